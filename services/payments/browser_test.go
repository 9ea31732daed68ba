//go:build linux

package payments_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/internal/browsertest"
)

type tab struct {
	t   *testing.T
	ctx context.Context
}

func (b *tab) open(u string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		b.t.Fatalf("open %s: %v", u, err)
	}
}

// do runs JavaScript once; a click that loads a page may end it.
func (b *tab) do(js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(function () { `+js+`; return null; })()`))
	if err != nil && !strings.Contains(err.Error(), "context") && !strings.Contains(err.Error(), "navigat") {
		b.t.Fatalf("%s: %v", js, err)
	}
}

// until polls a JavaScript condition for up to 10 s.
func (b *tab) until(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		var ok bool
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () { try { return !!(`+cond+`); } catch (e) { return false; } })()`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	html, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.href + "\n" + document.documentElement.outerHTML`))
	if len(html) > 5000 {
		html = html[:5000]
	}
	b.t.Fatalf("%s: %v\n%s", what, err, html)
}

// shoot saves the page at 1280 and 375 px when SX_SCREENSHOTS names a
// directory.
func (b *tab) shoot(name string) {
	dir := os.Getenv("SX_SCREENSHOTS")
	if dir == "" {
		return
	}
	os.MkdirAll(dir, 0o755)
	for _, w := range []int64{1280, 375} {
		if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			b.t.Fatal(err)
		}
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644)
	}
	chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 900))
}

// A member buys a product and two tickets in Chromium: checks out, pays on
// the stand-in's hosted page (the return page polls until SumUp says
// paid), fails a payment, tries again and pays; then her cart is empty, her
// tickets show their QR codes on events' /tickets/ and in her account, and
// the receipts are in the SMTP server's mailbox.
func TestBrowserCheckout(t *testing.T) {
	browsertest.Require(t)
	w := start(t)
	b := &tab{t: t, ctx: browsertest.New(t)}
	email := "cleo@coop.example"
	var id int
	var name string
	if err := db.QueryRow(context.Background(), "select id, name from users where email = $1", email).Scan(&id, &name); err != nil {
		t.Fatal(err)
	}
	for _, s := range serviceNames {
		n, v, _ := w.plat.VisitorSession(s, map[string]any{"id": id, "email": email, "name": name, "admin": false})
		if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: n, Value: v, URL: w.urls[s] + "/", Path: "/"}); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, "delete from cart_items where user_id = $1 and order_id is null", id)

	// A product, checked out and paid; the return page polls while SumUp
	// has not confirmed.
	b.open(w.urls["market"] + "/suma-market/product/cider-vinegar/")
	b.until("runtime", `document.documentElement.dataset.sxReady === 'true'`)
	b.do(`document.querySelector('#add-to-cart button[type=submit]').click()`)
	b.until("added", `document.querySelector('#add-to-cart .form-status').textContent.startsWith('Added')`)
	b.open(w.urls["cart"] + "/shop/")
	b.until("cart page", `document.querySelector('form.checkout button')`)
	b.shoot("checkout-cart")
	b.do(`document.querySelector('form.checkout button').click()`)
	b.until("the hosted page", `location.href.startsWith(`+jsString(w.pay.URL()+"/pay/")+`) && document.body.textContent.includes('Test payment page')`)
	b.shoot("checkout-sumup-test-page")
	href, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.href`))
	checkoutID := strings.TrimPrefix(href, w.pay.URL()+"/pay/")
	order := scalar[int](t, "select id from orders where sumup_checkout_id = $1", checkoutID)
	ret := w.urls["cart"] + fmt.Sprintf("/checkout/return/%d", order)
	b.open(ret)
	b.until("processing", `document.querySelector('#payment-status h1').textContent.startsWith('Processing')
		&& document.documentElement.dataset.sxReady === 'true'`)
	b.shoot("checkout-return-processing")
	b.do(`window.__same = 1`)
	if err := w.pay.SetStatus(checkoutID, "PAID", false); err != nil {
		t.Fatal(err)
	}
	b.until("paid, without a reload", `document.querySelector('#payment-status h1').textContent.includes('paid') && window.__same === 1`)

	// Two tickets: the payment fails, is tried again, and pays.
	entry := w.urls["events"] + fmt.Sprintf("/whats-on/calendar/hall/entry/%d/", supperID(t))
	b.open(entry)
	b.until("runtime", `document.documentElement.dataset.sxReady === 'true'`)
	b.do(`document.querySelector('#tickets form [name=quantity]').value = '2', document.querySelector('#tickets form button').click()`)
	b.until("reserved", `document.querySelector('#tickets .form-status').textContent.startsWith('Added')`)
	b.open(w.urls["cart"] + "/whats-on/")
	b.until("two tickets in the cart", `document.querySelectorAll('.cart-ticket').length === 2`)
	b.do(`document.querySelector('form.checkout button').click()`)
	b.until("the hosted page", `document.querySelector('button.fail')`)
	b.do(`document.querySelector('button.fail').click()`)
	b.until("failed", `document.querySelector('#payment-status h1').textContent.includes('did not go through')`)
	b.shoot("checkout-return-failed")
	b.do(`document.querySelector('form.retry-payment button').click()`)
	b.until("the hosted page again", `document.querySelector('button.pay')`)
	b.do(`document.querySelector('button.pay').click()`)
	b.until("paid with two QR codes", `document.querySelector('#payment-status h1').textContent.includes('paid')
		&& document.querySelectorAll('#payment-status svg.qr').length === 2`)
	b.shoot("checkout-return-paid")

	// The cart is empty once order.paid has run.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.open(w.urls["cart"] + "/")
		empty, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.body.textContent.includes('Your cart is empty.')`))
		if empty {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cart is not empty after payment")
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.open(w.urls["events"] + "/tickets/")
	b.until("tickets with QR codes on events", `document.querySelectorAll('svg.qr').length >= 2 && document.body.textContent.includes('Spring supper')`)
	b.open(w.urls["account"] + "/tickets/")
	b.until("tickets with QR codes in the account", `document.querySelectorAll('svg.qr').length >= 2`)
	eventually(t, "two receipts", func() bool { return len(mailsTo(w, email)) >= 2 })
	var products, tickets bool
	for _, m := range mailsTo(w, email) {
		products = products || strings.Contains(m.Text, "Apple cider vinegar")
		tickets = tickets || strings.Contains(m.Text, "Ticket: Spring supper") && strings.Contains(m.HTML, `class="qr"`)
	}
	if !products || !tickets {
		t.Fatalf("receipts: products %v, tickets %v", products, tickets)
	}
}

// The payment settings and orders pages of an administrator, for the
// screenshots (and that they render in a browser with the runtime).
func TestBrowserPaymentsAdmin(t *testing.T) {
	browsertest.Require(t)
	w := start(t)
	b := &tab{t: t, ctx: browsertest.New(t)}
	var id int
	if err := db.QueryRow(context.Background(), "select id from users where email = 'ada@coop.example'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	n, v, _ := w.plat.VisitorSession("cart", map[string]any{"id": id, "email": "ada@coop.example", "name": "Ada", "admin": true})
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: n, Value: v, URL: w.urls["cart"] + "/", Path: "/"}); err != nil {
		t.Fatal(err)
	}
	b.open(w.urls["cart"] + "/admin/shop/payments/")
	b.until("settings", `document.querySelector('#api-key') && document.documentElement.dataset.sxReady === 'true'`)
	b.do(`document.querySelector('.admin-test button').click()`)
	b.until("tested", `document.querySelector('.connection-good')`)
	b.shoot("admin-payments-tested")
	b.open(w.urls["cart"] + "/admin/shop/orders/?status=paid")
	b.until("orders", `document.querySelector('.status-filter')`)
	b.shoot("admin-orders")
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
