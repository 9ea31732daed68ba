package sites_test

import (
	"net/url"
	"strings"
	"testing"
)

func TestCartOverview(t *testing.T) {
	u := shared(t)
	newVisitor(t).get(u["cart"]+"/").want(200).has("<h1>Your cart</h1>", "Your cart is empty.")
	// Cleo (seed) has lentils in her cart on the shop page.
	cleo := signedIn(t, u, "cleo@coop.example", false, "cart")
	cleo.get(u["cart"]+"/").want(200).has(`<a href="/shop/">The shop</a>`, "3 products", "View cart for The shop")
	admin(t, u, "cart").get(u["cart"] + "/").want(200).has("<h1>Your cart</h1>")
}

func TestCartPage(t *testing.T) {
	u := shared(t)
	cleo := signedIn(t, u, "cleo@coop.example", false, "cart")
	cleo.get(u["cart"]+"/shop/").want(200).has("<h1>Your cart for The shop</h1>", "Red split lentils 500g",
		"£1.60 each", `value="3"`, "£4.80", "Products (3)", `action="/shop/checkout"`, "Checkout",
		`<label for="qty-`, `name="csrf_token"`)
	newVisitor(t).get(u["cart"] + "/shop/").want(200).has("Nothing from The shop in your cart yet.").lacks(`action="/shop/checkout"`)
	member(t, u, "cart").get(u["cart"] + "/shop/").want(200)
	admin(t, u, "cart").get(u["cart"] + "/shop/").want(200)
	newVisitor(t).get(u["cart"] + "/no-such-page/").want(404)
	// A post is not a page with a cart.
	newVisitor(t).get(u["cart"] + "/bread-week/").want(404)
}

// An anonymous visitor adds on market, then changes the quantity and
// removes the line on cart, with and without the runtime.
func TestCartChangeInline(t *testing.T) {
	u := shared(t)
	v := newVisitor(t)
	p := u["market"] + "/suma-market/product/cider-vinegar/"
	v.post(p+"add", p, url.Values{"quantity": {"2"}}).want(303)
	page := v.get(u["cart"]+"/shop/").want(200).has("Apple cider vinegar 500ml", "£6.40")
	line := lineID(t, page.Body)
	r := v.post(u["cart"]+"/shop/item/"+line, u["cart"]+"/shop/", url.Values{"quantity": {"5"}}, "SX-Request", "true").want(200)
	r.has(`id="page-cart"`, `value="5"`, "£16.00", "Quantity of Apple cider vinegar 500ml is now 5.",
		`sx-swap-oob="true"`, `<span class="cart-count">5</span>`).lacks("<html")
	v.post(u["cart"]+"/shop/item/"+line, u["cart"]+"/shop/", url.Values{"quantity": {"1000"}}).want(400)
	r = v.post(u["cart"]+"/shop/item/"+line+"/remove", u["cart"]+"/shop/", nil).want(303)
	if r.Header.Get("Location") == "" || !strings.HasSuffix(r.Header.Get("Location"), "/shop/") {
		t.Errorf("remove without the runtime goes to %q", r.Header.Get("Location"))
	}
	v.get(u["cart"] + "/shop/").want(200).has("Nothing from The shop in your cart yet.")
	// Someone else's line is not changed by another visitor. (The CSRF
	// token comes from a cart page with a form: each service has its own
	// session, so a token of market's does not pass on cart.)
	other := newVisitor(t)
	other.post(p+"add", p, nil).want(303)
	other.post(u["cart"]+"/shop/item/"+line, u["cart"]+"/shop/", url.Values{"quantity": {"2"}}).want(404)
	other.post(u["cart"]+"/shop/item/"+line, p, url.Values{"quantity": {"2"}}).want(403)
}

func lineID(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `id="line-`)
	if i < 0 {
		t.Fatalf("no cart line in the page")
	}
	rest := body[i+len(`id="line-`):]
	return rest[:strings.Index(rest, `"`)]
}

func TestCartTicketsAndBookings(t *testing.T) {
	u := shared(t)
	v := newVisitor(t)
	entry := u["events"] + "/whats-on/calendar/hall/entry/" + itoa(supperID(t)) + "/"
	adult := scalar[int64](t, "select id from ticket_types where name = 'Adult'")
	v.post(entry+"tickets", entry, url.Values{"ticket-type-id": {itoa(adult)}, "quantity": {"2"}}).want(303)
	page := v.get(u["cart"] + "/whats-on/").want(200)
	page.has("Spring supper — Adult", "£36.00", "Tickets (2)", "Total")
	tid := scalar[int64](t, "select max(id) from tickets")
	r := v.post(u["cart"]+"/whats-on/ticket/"+itoa(tid)+"/remove", u["cart"]+"/whats-on/", nil, "SX-Request", "true").want(200)
	r.has("Ticket removed.", "£18.00", `<span class="cart-count">1</span>`)
	v.get(u["cart"]+"/").want(200).has(`<a href="/whats-on/">What's on</a>`, "1 ticket")
}

func supperID(t *testing.T) int64 {
	return scalar[int64](t, "select id from calendar_entries where name = 'Spring supper'")
}

func TestCartOrders(t *testing.T) {
	u := shared(t)
	// Anonymous: sent to sign in (the service's SSO client), coming back here.
	if a := newVisitor(t).get(u["cart"] + "/orders/").want(303); !strings.HasSuffix(a.Header.Get("Location"), "/auth/login?next=%2Forders%2F") {
		t.Errorf("anonymous visitor sent to %q", a.Header.Get("Location"))
	}
	ben := member(t, u, "cart")
	paid := scalar[int64](t, "select min(o.id) from orders o join users u on u.id = o.user_id where u.email = 'ben@coop.example'")
	ben.get(u["cart"]+"/orders/").want(200).has("<h1>Your orders</h1>", `href="/orders/`+itoa(paid)+`/"`, "paid", "£11.45")
	ben.get(u["cart"]+"/orders/"+itoa(paid)+"/").want(200).has("<h1>Order #"+itoa(paid)+"</h1>",
		"Organic porridge oats 1kg", "£2.35", "£4.70", "Extra virgin olive oil 500ml", "£11.45", "paid")
	// Not Cleo's: as unknown as a missing order.
	signedIn(t, u, "cleo@coop.example", false, "cart").get(u["cart"] + "/orders/" + itoa(paid) + "/").want(404)
	admin(t, u, "cart").get(u["cart"] + "/orders/" + itoa(paid) + "/").want(200)
	ben.get(u["cart"] + "/orders/999999/").want(404)
	// The ticket order lists its tickets.
	tickets := scalar[int64](t, "select max(o.id) from orders o join users u on u.id = o.user_id where u.email = 'ben@coop.example'")
	ben.get(u["cart"]+"/orders/"+itoa(tickets)+"/").want(200).has("Spring supper — Adult", "£48.50")
}

func TestCartEscapesUserText(t *testing.T) {
	u := shared(t)
	v := newVisitor(t)
	exec(t, `insert into products (market_id, slug, title, price)
	         values ((select id from market_places where slug = 'suma-market'), 'cart-evil', '<img src=x onerror=alert(1)>', 2.00)
	         on conflict do nothing`)
	p := u["market"] + "/suma-market/product/cart-evil/"
	v.post(p+"add", p, nil).want(303)
	v.get(u["cart"] + "/shop/").want(200).has("&lt;img src=x onerror=alert(1)&gt;").lacks("<img src=x")
}

func TestCartFragments(t *testing.T) {
	u := shared(t)
	cleo := userID(t, "cleo@coop.example")
	fragment(t, u["cart"], "cart-mini", url.Values{"user-id": {itoa(cleo)}}).want(200).
		has(`id="cart-mini"`, `<span class="cart-count">3</span>`, `aria-label="Cart: 3 items"`)
	fragment(t, u["cart"], "cart-mini", nil).want(200).has(`<span class="cart-count">0</span>`)
	fragment(t, u["cart"], "account-nav-item", url.Values{"user-id": {itoa(cleo)}}).want(200).has(`/orders/`, "Orders")
	ben := userID(t, "ben@coop.example")
	fragment(t, u["cart"], "account-page/orders", url.Values{"user-id": {itoa(ben)}}).want(200).
		has("<table", "£11.45", "paid", "/orders/")
	fragment(t, u["cart"], "account-page/orders", url.Values{"user-id": {"999999"}}).want(200).has("No orders yet.")
}
