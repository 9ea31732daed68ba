package payments_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/internal/smtptest"
	"github.com/rose-ash/sxhost/internal/sumupfake"
)

// addProduct puts n of a product of the shop's market in v's cart.
func (v *visitor) addProduct(slug string, n int) {
	v.t.Helper()
	p := v.w.urls["market"] + "/suma-market/product/" + slug + "/"
	v.post(p+"add", p, url.Values{"quantity": {fmt.Sprint(n)}}).want(303)
}

// reserve puts n tickets of a ticket type of the spring supper in v's cart.
func (v *visitor) reserve(typeID, n int) answer {
	v.t.Helper()
	entry := v.w.urls["events"] + fmt.Sprintf("/whats-on/calendar/hall/entry/%d/", supperID(v.t))
	return v.post(entry+"tickets", entry, url.Values{"ticket-type-id": {fmt.Sprint(typeID)}, "quantity": {fmt.Sprint(n)}})
}

func supperID(t *testing.T) int {
	return scalar[int](t, "select id from calendar_entries where name = 'Spring supper'")
}

// checkout checks out v's cart of a page (email for a guest) and returns
// the order id and the SumUp checkout; the answer must send the browser to
// the stand-in's hosted page.
func (v *visitor) checkout(page, email string) (int, *sumupfake.Checkout) {
	v.t.Helper()
	cart := v.w.urls["cart"] + "/" + page + "/"
	form := url.Values{}
	if email != "" {
		form.Set("email", email)
	}
	r := v.post(cart+"checkout", cart, form).want(303)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, v.w.pay.URL()+"/pay/") {
		v.t.Fatalf("checkout went to %q", loc)
	}
	c := v.w.pay.Checkout(strings.TrimPrefix(loc, v.w.pay.URL()+"/pay/"))
	id := scalar[int](v.t, "select id from orders where sumup_checkout_id = $1", c.ID)
	return id, c
}

// payOnSumUp presses a button of the stand-in's hosted page (no cookies:
// another site) and returns where it sends the browser.
func (w *platform) payOnSumUp(t *testing.T, checkoutID, button string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(w.pay.URL()+"/pay/"+checkoutID+"/"+button, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 {
		t.Fatalf("hosted page %s: %d", button, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func orderStatus(t *testing.T, id int) string {
	return scalar[string](t, "select status from orders where id = $1", id)
}

func activities(t *testing.T, typ string, id int) int {
	return scalar[int](t, `select count(*) from ap_activities where activity_type = $1 and (payload->>'order-id')::int = $2`, typ, id)
}

func mailsTo(w *platform, addr string) []*smtptest.Message {
	var out []*smtptest.Message
	for _, m := range w.smtp.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// settled waits until nothing is left to do: no pending activity, and every
// webhook the stand-in sent answered.
func settled(t *testing.T) {
	t.Helper()
	eventually(t, "activities done", func() bool {
		return scalar[int](t, "select count(*) from ap_activities where process_state = 'pending'") == 0
	})
}

// A guest pays for two products: the webhook delivered five times and the
// return page opened twice make one payment, one order.paid and one
// receipt (with the lines, the total, the page's VAT and a link that shows
// the order to her and nobody else); the cart is empty afterwards.
func TestPaymentIsIdempotent(t *testing.T) {
	w := start(t)
	v := w.visitor(t)
	v.addProduct("cider-vinegar", 2)
	addr := "guest-idem@example.org"
	id, c := v.checkout("shop", addr)
	if c.Amount != 6.40 || c.Currency != "GBP" || c.MerchantCode != "MSHOP001" || c.CheckoutReference != fmt.Sprintf("shop-%d", id) ||
		c.ReturnURL != w.urls["cart"]+fmt.Sprintf("/checkout/webhook/%d", id) || c.RedirectURL != w.urls["cart"]+fmt.Sprintf("/checkout/return/%d", id) {
		t.Fatalf("the checkout SumUp got: %+v", c)
	}
	if orderStatus(t, id) != "pending" {
		t.Fatal("order not pending before payment")
	}
	back := w.payOnSumUp(t, c.ID, "pay") // the first webhook goes out
	if back != c.RedirectURL {
		t.Fatalf("the hosted page sent the payer to %s", back)
	}
	for i := 0; i < 4; i++ {
		w.pay.Notify(c.ID)
	}
	ret := v.get(back).want(200).has("Thank you: your order is paid", "A receipt is on its way to "+addr)
	v.get(back).want(200)
	eventually(t, "five webhooks answered", func() bool {
		n := 0
		for _, d := range w.pay.Deliveries() {
			if d.CheckoutID == c.ID && d.Status == 200 {
				n++
			}
		}
		return n == 5
	})
	eventually(t, "the receipt", func() bool { return len(mailsTo(w, addr)) == 1 })
	settled(t)
	time.Sleep(300 * time.Millisecond)
	if s := orderStatus(t, id); s != "paid" {
		t.Fatalf("order is %s", s)
	}
	if n := activities(t, "order.paid", id); n != 1 {
		t.Fatalf("%d order.paid activities", n)
	}
	if n := len(mailsTo(w, addr)); n != 1 {
		t.Fatalf("%d receipts", n)
	}
	if n := len(w.pay.Checkouts()); n == 0 || scalar[int](t, "select count(*) from orders where email = $1", addr) != 1 {
		t.Fatal("more than one order")
	}
	m := mailsTo(w, addr)[0]
	key := scalar[string](t, "select guest_key from orders where id = $1", id)
	link := w.urls["cart"] + fmt.Sprintf("/checkout/return/%d?key=%s", id, url.QueryEscape(key))
	for _, want := range []string{fmt.Sprintf("order #%d", id), "2 x Apple cider vinegar 500ml", "£6.40", "Total: £6.40",
		"Includes VAT at 20%: £1.07", link} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("receipt text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "Includes VAT at 20%") || m.Subject != fmt.Sprintf("Your receipt for order #%d", id) {
		t.Errorf("receipt: %s\n%s", m.Subject, m.HTML)
	}
	// The cart is empty; the guest link shows the order to anyone holding
	// it, and nothing without the key.
	v.get(w.urls["cart"] + "/shop/").want(200).has("Nothing from")
	w.visitor(t).get(link).want(200).has("Thank you: your order is paid")
	w.visitor(t).get(back).want(404)
	w.visitor(t).get(back + "?key=wrong").want(404)
	_ = ret
}

// A webhook for an order nobody knows, for a settled order, and with an
// event type SumUp may add later is a quiet, empty 200 that changes nothing.
func TestWebhookUnknownOrderIsQuiet(t *testing.T) {
	w := start(t)
	v := w.visitor(t)
	for _, path := range []string{"/checkout/webhook/999999", "/checkout/webhook/1"} {
		for _, body := range []string{`{"event_type":"CHECKOUT_STATUS_CHANGED","id":"x"}`, `{"event_type":"SOMETHING_NEW","id":"x"}`} {
			req, _ := http.NewRequest("POST", w.urls["cart"]+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := v.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var b [64]byte
			n, _ := resp.Body.Read(b[:])
			resp.Body.Close()
			if resp.StatusCode != 200 || n != 0 {
				t.Fatalf("%s %s: %d %q", path, body, resp.StatusCode, b[:n])
			}
		}
	}
	if n := scalar[int](t, "select count(*) from ap_activities where activity_type = 'order.check' and (payload->>'order-id')::int in (1, 999999)"); n != 0 {
		t.Fatalf("%d checks queued", n)
	}
}

// The webhook is lost: the reconciliation job asks SumUp and pays the
// order. An abandoned checkout expires: its lines go back to the cart and
// its tickets back on sale for the next buyer.
func TestReconciliation(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	cart := w.plat.Service("cart")
	// Lost webhook.
	v := w.visitor(t)
	v.addProduct("cider-vinegar", 1)
	id, c := v.checkout("shop", "lost-hook@example.org")
	if err := w.pay.SetStatus(c.ID, sumupfake.Paid, false); err != nil {
		t.Fatal(err)
	}
	exec(t, "update orders set created_at = now() - interval '3 minutes' where id = $1", id)
	if _, err := cart.RunJob(ctx, "reconcile-pending-payments"); err != nil {
		t.Fatal(err)
	}
	if s := orderStatus(t, id); s != "paid" {
		t.Fatalf("after the job the order is %s", s)
	}
	eventually(t, "the receipt", func() bool { return len(mailsTo(w, "lost-hook@example.org")) == 1 })

	// Abandoned: the last ticket of a type of one.
	tt := scalar[int](t, `insert into ticket_types (entry_id, name, price, count, sort_order)
		values ($1, 'Last seat', 5, 1, 9) returning id`, supperID(t))
	a := w.visitor(t)
	a.reserve(tt, 1).want(303)
	other := w.visitor(t)
	other.reserve(tt, 1).want(409)
	aid, ac := a.checkout("whats-on", "abandons@example.org")
	exec(t, "update orders set created_at = now() - interval '31 minutes' where id = $1", aid)
	exec(t, "delete from job_runs where job = 'reconcile-pending-payments'")
	if _, err := cart.RunJob(ctx, "reconcile-pending-payments"); err != nil {
		t.Fatal(err)
	}
	if s := orderStatus(t, aid); s != "expired" {
		t.Fatalf("abandoned order is %s", s)
	}
	// SumUp's checkout was deactivated: the payer can no longer pay it.
	if s := w.pay.Checkout(ac.ID).Status; s != sumupfake.Expired {
		t.Fatalf("the abandoned checkout is %s at SumUp", s)
	}
	other.reserve(tt, 1).want(303)
	bid, bc := other.checkout("whats-on", "next-buyer@example.org")
	w.payOnSumUp(t, bc.ID, "pay")
	eventually(t, "the next buyer's order paid", func() bool { return orderStatus(t, bid) == "paid" })
	eventually(t, "the next buyer's ticket confirmed", func() bool {
		return scalar[int](t, "select count(*) from tickets where ticket_type_id = $1 and state = 'confirmed'", tt) == 1
	})
}

// Thirty buyers race for the last five tickets through the whole HTTP
// flow: exactly five hold a ticket, and the others are told before they
// pay; the five pay and get confirmed tickets.
func TestThirtyBuyersFiveTickets(t *testing.T) {
	w := start(t)
	tt := scalar[int](t, `insert into ticket_types (entry_id, name, price, count, sort_order)
		values ($1, 'Race', 7, 5, 10) returning id`, supperID(t))
	type result struct {
		v      *visitor
		status int
		body   string
	}
	res := make([]result, 30)
	var wg sync.WaitGroup
	for i := range res {
		res[i].v = w.visitor(t)
		res[i].v.get(w.urls["events"] + fmt.Sprintf("/whats-on/calendar/hall/entry/%d/", supperID(t))).want(200)
	}
	for i := range res {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := res[i].v.reserve(tt, 1)
			res[i].status, res[i].body = r.Status, r.Body
		}(i)
	}
	wg.Wait()
	won := 0
	for _, r := range res {
		switch r.status {
		case 303:
			won++
		case 409:
			if !strings.Contains(r.body, "left") {
				t.Errorf("a buyer who lost was told: %.300s", r.body)
			}
		default:
			t.Fatalf("reserve: %d %.300s", r.status, r.body)
		}
	}
	if won != 5 {
		t.Fatalf("%d buyers got a ticket", won)
	}
	var orders []int
	for i, r := range res {
		if r.status != 303 {
			continue
		}
		id, c := r.v.checkout("whats-on", fmt.Sprintf("racer%d@example.org", i))
		orders = append(orders, id)
		w.payOnSumUp(t, c.ID, "pay")
	}
	for _, id := range orders {
		eventually(t, "paid", func() bool { return orderStatus(t, id) == "paid" })
	}
	eventually(t, "five confirmed tickets", func() bool {
		return scalar[int](t, "select count(*) from tickets where ticket_type_id = $1 and state = 'confirmed'", tt) == 5
	})
	if n := scalar[int](t, "select count(*) from tickets where ticket_type_id = $1 and state <> 'cancelled'", tt); n != 5 {
		t.Fatalf("%d tickets of five", n)
	}
}

// A failed payment gives everything back to the cart; paying again makes a
// new order and checkout, which pays.
func TestFailThenRetry(t *testing.T) {
	w := start(t)
	v := w.member(t, "cleo@coop.example")
	v.addProduct("cider-vinegar", 1)
	id, c := v.checkout("shop", "")
	back := w.payOnSumUp(t, c.ID, "fail")
	r := v.get(back).want(200).has("The payment did not go through", "Try the payment again")
	if s := orderStatus(t, id); s != "failed" {
		t.Fatalf("order is %s", s)
	}
	v.get(w.urls["cart"] + "/shop/").want(200).has("Apple cider vinegar 500ml")
	m := csrfRE.FindStringSubmatch(r.Body)
	again := v.do("POST", w.urls["cart"]+fmt.Sprintf("/orders/%d/pay", id), url.Values{"csrf_token": {m[1]}}).want(303)
	loc := again.Header.Get("Location")
	nc := w.pay.Checkout(strings.TrimPrefix(loc, w.pay.URL()+"/pay/"))
	if nc == nil || nc.ID == c.ID {
		t.Fatalf("pay again went to %s", loc)
	}
	nid := scalar[int](t, "select id from orders where sumup_checkout_id = $1", nc.ID)
	w.payOnSumUp(t, nc.ID, "pay")
	v.get(w.urls["cart"] + fmt.Sprintf("/checkout/return/%d", nid)).want(200).has("your order is paid")
	eventually(t, "receipt to cleo", func() bool { return len(mailsTo(w, "cleo@coop.example")) >= 1 })
}

// A guest must give an address; a page whose SumUp account refuses the
// checkout shows the cart again with the reason and keeps the lines.
func TestCheckoutRefusals(t *testing.T) {
	w := start(t)
	v := w.visitor(t)
	v.addProduct("cider-vinegar", 1)
	cart := w.urls["cart"] + "/shop/"
	v.post(cart+"checkout", cart, url.Values{"email": {"not an address"}}).want(400).has("Give your e-mail address")
	exec(t, "update page_configs set sumup_api_key = 'sup_sk_revoked' where sumup_checkout_prefix = 'shop'")
	defer exec(t, "update page_configs set sumup_api_key = 'sup_sk_shop' where sumup_checkout_prefix = 'shop'")
	v.post(cart+"checkout", cart, url.Values{"email": {"refused@example.org"}}).want(502).
		has("SumUp refused the API key", "Apple cider vinegar 500ml")
	if s := scalar[string](t, "select status from orders where email = 'refused@example.org'"); s != "cancelled" {
		t.Fatalf("the refused order is %s", s)
	}
	if strings.Contains(v.get(cart).Body, "sup_sk_revoked") {
		t.Fatal("the key is on the page")
	}
}

// The payment settings and orders of a page are for administrators: the
// API key is write-only (never in a page), "Test connection" asks SumUp
// for the key's merchant, and the orders list filters by status and
// exports CSV.
func TestAdminPaymentsAndOrders(t *testing.T) {
	w := start(t)
	admin := w.member(t, "ada@coop.example")
	member := w.member(t, "ben@coop.example")
	settings := w.urls["cart"] + "/admin/shop/payments/"
	member.get(settings).want(403)
	page := admin.get(settings).want(200).has("MSHOP001", "A key is set.", `type="password"`)
	if strings.Contains(page.Body, "sup_sk_shop") {
		t.Fatal("the API key is on the settings page")
	}
	admin.post(w.urls["cart"]+"/admin/shop/payments/test", settings, nil).want(200).
		has("Connected to SumUp as Rose Ash shop (MSHOP001).")
	// A wrong key: saved (write-only), refused by SumUp on test, then the right one again.
	r := admin.post(w.urls["cart"]+"/admin/shop/payments", settings, url.Values{"merchant-code": {"MSHOP001"},
		"api-key": {"sup_sk_wrong"}, "checkout-prefix": {"shop"}, "vat-rate": {"20"}}).want(200).has("Saved.")
	if strings.Contains(r.Body, "sup_sk_wrong") || scalar[string](t, "select sumup_api_key from page_configs where sumup_checkout_prefix = 'shop'") != "sup_sk_wrong" {
		t.Fatal("the key was shown or not stored")
	}
	admin.post(w.urls["cart"]+"/admin/shop/payments/test", settings, nil).want(200).has("Connection failed: SumUp refused the API key")
	// A blank key keeps the stored one.
	admin.post(w.urls["cart"]+"/admin/shop/payments", settings, url.Values{"merchant-code": {"MSHOP001"},
		"api-key": {""}, "checkout-prefix": {"shop"}, "vat-rate": {"20"}}).want(200)
	if scalar[string](t, "select sumup_api_key from page_configs where sumup_checkout_prefix = 'shop'") != "sup_sk_wrong" {
		t.Fatal("a blank key field changed the key")
	}
	exec(t, "update page_configs set sumup_api_key = 'sup_sk_shop' where sumup_checkout_prefix = 'shop'")
	admin.post(w.urls["cart"]+"/admin/shop/payments", settings, url.Values{"vat-rate": {"200"}}).want(400).has("vat-rate")

	// Orders: a paid one appears under "paid", not under "failed"; CSV.
	v := w.visitor(t)
	v.addProduct("cider-vinegar", 1)
	id, c := v.checkout("shop", "admin-list@example.org")
	w.payOnSumUp(t, c.ID, "pay")
	eventually(t, "paid", func() bool { return orderStatus(t, id) == "paid" })
	orders := w.urls["cart"] + "/admin/shop/orders/"
	member.get(orders).want(403)
	admin.get(orders+"?status=paid").want(200).has(fmt.Sprintf("#%d", id), "admin-list@example.org")
	if strings.Contains(admin.get(orders+"?status=failed").want(200).Body, "admin-list@example.org") {
		t.Fatal("a paid order under failed")
	}
	admin.get(orders + "?status=nonsense").want(400)
	csv := admin.get(w.urls["cart"] + "/admin/shop/orders.csv?status=paid").want(200)
	if !strings.HasPrefix(csv.Body, "id,created_at,paid_at,email,status,currency,total,sumup_reference,sumup_checkout_id\r\n") ||
		!strings.Contains(csv.Body, fmt.Sprintf("%d,", id)) || !strings.Contains(csv.Body, ",admin-list@example.org,paid,GBP,3.20,shop-") ||
		!strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %s %q", csv.Header.Get("Content-Type"), csv.Body)
	}
	member.get(w.urls["cart"] + "/admin/shop/orders.csv").want(403)
}
