package services_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rose-ash/sxhost/host"
)

// Every fixture of these tests is the test's own: users, sessions and
// containers are fresh ids, market places and calendars have unique slugs,
// and assertions are about the rows the test made, never global counts.

// ctEnv is cart served with the services it calls, in one process (so
// their actions join cart's transactions), with a market place to shop in.
type ctEnv struct {
	p                          *host.Platform
	cart, events, market, blog string
	marketID                   int64
	marketSlug, marketName     string
}

// ctPlatform loads cart, events, market and blog, keeping the platform for
// running cart's activity processor.
func ctPlatform(t *testing.T) *ctEnv {
	t.Helper()
	p, urls := platformWith(t, host.Options{}, "cart", "events", "market", "blog")
	e := &ctEnv{p: p, cart: urls["cart"], events: urls["events"], market: urls["market"], blog: urls["blog"]}
	e.marketSlug = uniq(t)
	e.marketName = "Market " + e.marketSlug
	mp := wantObj(t, action(t, e.market, "upsert-marketplace", map[string]any{"slug": e.marketSlug, "name": e.marketName}))
	e.marketID = num(t, mp["id"])
	return e
}

// ctInt is an id unique to this run, for users and containers (plain
// integers in the cart, orders and events tables).
func ctInt() int64 { return 1_800_000_000 + seq.Add(1) }

func ctUser() map[string]any { return map[string]any{"user-id": ctInt()} }

func ctSession(t *testing.T) map[string]any {
	return map[string]any{"session-id": "cart-sess-" + uniq(t)}
}

// ctWith copies an owner (or any body) and adds key/value pairs.
func ctWith(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// ctQ is a query string of an owner (or any body) and key/value pairs.
func ctQ(m map[string]any, kv ...any) string {
	v := url.Values{}
	for k, x := range ctWith(m, kv...) {
		switch x := x.(type) {
		case int64:
			v.Set(k, itoa(x))
		case int:
			v.Set(k, itoa(int64(x)))
		case string:
			v.Set(k, x)
		default:
			panic("ctQ: unsupported value")
		}
	}
	return v.Encode()
}

func ctObj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("want an object, got %#v", v)
	}
	return m
}

func ctIDs(t *testing.T, rows []any) []int64 {
	t.Helper()
	out := []int64{}
	for _, r := range rows {
		out = append(out, num(t, ctObj(t, r)["id"]))
	}
	return out
}

func ctWantIDs(t *testing.T, what string, rows []any, want ...int64) {
	t.Helper()
	got := ctIDs(t, rows)
	if len(got) != len(want) {
		t.Fatalf("%s: ids %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: ids %v, want %v", what, got, want)
		}
	}
}

// ctWantMoney compares a JSON number with a decimal exactly: 11.45 is not
// 11.450000000000001.
func ctWantMoney(t *testing.T, what string, v any, want string) {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s: want a number, got %#v", what, v)
	}
	got, ok := new(big.Rat).SetString(n.String())
	w, _ := new(big.Rat).SetString(want)
	if !ok || got.Cmp(w) != 0 {
		t.Fatalf("%s: %s, want %s", what, n, want)
	}
}

// ctNoOwner checks the 400 for a cart call without an owner.
func ctNoOwner(t *testing.T, c call) {
	t.Helper()
	wantBadParam(t, c, "user-id")
	if !strings.Contains(c.Body, "session-id") {
		t.Fatalf("400 does not name session-id: %s", c.Body)
	}
}

// ctProduct upserts a product of the env's market place (price nil: none).
func ctProduct(t *testing.T, e *ctEnv, title string, price any) (id int64, slug string) {
	t.Helper()
	slug = uniq(t)
	fields := map[string]any{"market-id": e.marketID, "slug": slug, "title": title,
		"image-url": "https://img.example/" + slug + ".jpg"}
	if price != nil {
		fields["price"] = price
	}
	c := action(t, e.market, "upsert-product", fields)
	wantStatus(t, c, 200)
	return num(t, wantObj(t, c)["id"]), slug
}

// ctAdd puts a product in a cart through add-to-cart and returns the line.
func ctAdd(t *testing.T, e *ctEnv, owner map[string]any, product int64, quantity int, kv ...any) map[string]any {
	t.Helper()
	c := action(t, e.cart, "add-to-cart", ctWith(owner, append([]any{"product-id", product, "quantity", quantity}, kv...)...))
	wantStatus(t, c, 200)
	return wantObj(t, c)
}

// ctPage is a container (a page) with a calendar, for entries and tickets.
func ctPage(t *testing.T) (container, calendar int64) {
	t.Helper()
	container = ctInt()
	calendar = scalar[int64](t, `insert into calendars (container_type, container_id, name, slug)
		values ('page', $1, 'Workshops', $2) returning id`, container, uniq(t))
	return container, calendar
}

// ctBook books a pending entry costing cost through events' book-entry:
// in a weekly slot of its own (Mondays 10:00-11:00 UTC), on a Monday.
func ctBook(t *testing.T, e *ctEnv, owner map[string]any, calendar int64, cost float64) int64 {
	t.Helper()
	slot := scalar[int64](t, `insert into calendar_slots (calendar_id, weekday, start_time, end_time, name, cost)
		values ($1, 1, '10:00', '11:00', 'Class', $2) returning id`, calendar, cost)
	// 2032-03-01 is a Monday; a week later is one too.
	start := time.Date(2032, 3, 1, 10, 0, 0, 0, time.UTC).AddDate(0, 0, 7*int(seq.Add(1)%500))
	c := action(t, e.events, "book-entry", ctWith(owner, "calendar-id", calendar, "slot-id", slot,
		"start-at", start.Format(time.RFC3339)))
	wantStatus(t, c, 200)
	return num(t, wantObj(t, c)["id"])
}

// ctReserve reserves n tickets at price through events' reserve-tickets.
func ctReserve(t *testing.T, e *ctEnv, owner map[string]any, calendar int64, price float64, n int) []int64 {
	t.Helper()
	entry := scalar[int64](t, `insert into calendar_entries (calendar_id, name, start_at, state)
		values ($1, 'Show', '2032-06-01T19:00:00Z', 'confirmed') returning id`, calendar)
	tt := scalar[int64](t, `insert into ticket_types (entry_id, name, price, count)
		values ($1, 'Seat', $2, 100) returning id`, entry, price)
	return ctIDs(t, wantArr(t, action(t, e.events, "reserve-tickets", ctWith(owner, "ticket-type-id", tt, "quantity", n))))
}

// ctAttach attaches the env's market place to a page (blog's container
// graph), so that its products may be put in carts under that page.
func ctAttach(t *testing.T, e *ctEnv, page int64) {
	t.Helper()
	wantStatus(t, action(t, e.blog, "attach-child", map[string]any{"parent-type": "page", "parent-id": page,
		"child-type": "market", "child-id": e.marketID}), 200)
}

// ctCart is what ctFill put in a cart.
type ctCart struct {
	owner                   map[string]any
	container               int64
	lines, entries, tickets []int64
}

// ctFill fills owner's cart in a fresh page: products products (2 × 2.35
// each), entries entries (0.55 each) and tickets tickets (3.10 each).
func ctFill(t *testing.T, e *ctEnv, owner map[string]any, products, entries, tickets int) ctCart {
	t.Helper()
	c := ctCart{owner: owner}
	var cal int64
	c.container, cal = ctPage(t)
	ctAttach(t, e, c.container)
	for i := 0; i < products; i++ {
		p, _ := ctProduct(t, e, "Oats", 2.35)
		c.lines = append(c.lines, num(t, ctAdd(t, e, owner, p, 2, "container-type", "page", "container-id", c.container)["id"]))
	}
	for i := 0; i < entries; i++ {
		c.entries = append(c.entries, ctBook(t, e, owner, cal, 0.55))
	}
	if tickets > 0 {
		c.tickets = ctReserve(t, e, owner, cal, 3.10, tickets)
	}
	return c
}

// ctOrder checks out the cart's page and returns the order.
func ctOrder(t *testing.T, e *ctEnv, c ctCart) map[string]any {
	t.Helper()
	r := action(t, e.cart, "create-order", ctWith(c.owner, "container-type", "page", "container-id", c.container))
	wantStatus(t, r, 200)
	return wantObj(t, r)
}

// ctProcess runs cart's activity processor until nothing is due.
func ctProcess(t *testing.T, e *ctEnv) {
	t.Helper()
	for i := 0; i < 100; i++ {
		n, err := e.p.Service("cart").ProcessActivities(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("cart's activities keep coming")
}

// ctActivities is the process state of each of cart's activities of a
// type for an order, oldest first.
func ctActivities(t *testing.T, typ string, order int64) []string {
	t.Helper()
	return column(t, `select process_state from ap_activities
		where origin_app = 'cart' and activity_type = $1 and payload->>'order-id' = $2::text order by id`,
		typ, itoa(order))
}

// ctEmit queues another activity for an order, as a retried webhook would.
func ctEmit(t *testing.T, typ string, order int64) {
	t.Helper()
	exec(t, `insert into ap_activities (activity_type, payload, origin_app)
		values ($1, jsonb_build_object('order-id', $2::int), 'cart')`, typ, order)
}

func ctEntryState(t *testing.T, id int64) string {
	t.Helper()
	return scalar[string](t, "select state || '/' || coalesce(order_id::text, '-') from calendar_entries where id = $1", id)
}

func ctTicketState(t *testing.T, id int64) string {
	t.Helper()
	return scalar[string](t, "select state || '/' || coalesce(order_id::text, '-') from tickets where id = $1", id)
}

// ctLineState is a cart line's order id and whether it is deleted.
func ctLineState(t *testing.T, id int64) string {
	t.Helper()
	return scalar[string](t, `select coalesce(order_id::text, '-') || case when deleted_at is null then '' else '/deleted' end
		from cart_items where id = $1`, id)
}

// ---------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------

func TestCartSchema(t *testing.T) {
	e := ctPlatform(t)
	all := checkSchema(t, e.cart, "cart",
		[]string{"cart-items", "cart-summary", "order-by-id", "order-by-checkout", "orders-for-user", "pending-orders", "order-statuses"},
		[]string{"add-to-cart", "update-cart-item", "remove-cart-item", "adopt-cart", "clear-cart-for-order",
			"session-login", "create-order", "record-checkout", "mark-order-paid", "fail-order", "cancel-order",
			"queue-order-check", "reconcile-payments"})
	params := func(name string) map[string]map[string]any {
		out := map[string]map[string]any{}
		list, _ := all[name]["params"].([]any)
		for _, p := range list {
			m := p.(map[string]any)
			out[m["name"].(string)] = m
		}
		return out
	}
	add := params("add-to-cart")
	if add["product-id"]["type"] != "int" || add["product-id"]["required"] != true ||
		add["quantity"]["required"] != false || add["user-id"]["required"] != false || add["session-id"]["required"] != false {
		t.Errorf("add-to-cart params: %v", all["add-to-cart"]["params"])
	}
	if p := params("adopt-cart"); p["user-id"]["required"] != true || p["session-id"]["required"] != true {
		t.Errorf("adopt-cart params: %v", all["adopt-cart"]["params"])
	}
	if p := params("fail-order"); p["status"]["required"] != true || p["order-id"]["type"] != "int" {
		t.Errorf("fail-order params: %v", all["fail-order"]["params"])
	}
}

// ---------------------------------------------------------------------------
// Cart
// ---------------------------------------------------------------------------

func TestCartAddToCart(t *testing.T) {
	e := ctPlatform(t)
	owner := ctUser()
	uid := owner["user-id"].(int64)
	cid := ctInt()
	ctAttach(t, e, cid)
	pid, pslug := ctProduct(t, e, "Rolled Oats 1kg", 2.35)

	line := ctAdd(t, e, owner, pid, 2, "container-type", "page", "container-id", cid)
	id := num(t, line["id"])
	if num(t, line["user_id"]) != uid || num(t, line["product_id"]) != pid || num(t, line["market_place_id"]) != e.marketID ||
		num(t, line["quantity"]) != 2 || line["product_title"] != "Rolled Oats 1kg" || line["product_slug"] != pslug ||
		line["product_image"] != "https://img.example/"+pslug+".jpg" || line["currency"] != "GBP" ||
		line["market_slug"] != e.marketSlug || line["market_name"] != e.marketName ||
		line["container_type"] != "page" || num(t, line["container_id"]) != cid || line["order_id"] != nil {
		t.Fatalf("line: %v", line)
	}
	ctWantMoney(t, "unit_price", line["unit_price"], "2.35")
	for _, k := range []string{"created_at", "updated_at"} {
		if _, ok := line[k]; !ok {
			t.Errorf("line lacks %s", k)
		}
	}

	// Adding again raises the quantity of the same line; the default is 1.
	again := wantObj(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", pid)))
	if num(t, again["id"]) != id || num(t, again["quantity"]) != 3 {
		t.Fatalf("add again: %v", again)
	}
	again = ctAdd(t, e, owner, pid, 4)
	if num(t, again["id"]) != id || num(t, again["quantity"]) != 7 {
		t.Fatalf("add 4 more: %v", again)
	}
	if n := scalar[int64](t, "select count(*) from cart_items where user_id = $1", uid); n != 1 {
		t.Fatalf("%d cart rows, want 1", n)
	}
	// The line follows the product's current price and title.
	wantStatus(t, action(t, e.market, "upsert-product", map[string]any{"market-id": e.marketID, "slug": pslug,
		"title": "Rolled Oats 1kg (new)", "price": 2.5, "image-url": "https://img.example/new.jpg"}), 200)
	again = ctAdd(t, e, owner, pid, 1)
	if num(t, again["quantity"]) != 8 || again["product_title"] != "Rolled Oats 1kg (new)" ||
		again["product_image"] != "https://img.example/new.jpg" {
		t.Fatalf("add after a product change: %v", again)
	}
	ctWantMoney(t, "new unit_price", again["unit_price"], "2.50")

	// A session's line: the session id is a key, never returned.
	sess := ctSession(t)
	sline := ctAdd(t, e, sess, pid, 1)
	if sline["user_id"] != nil || num(t, sline["id"]) == id || sline["container_type"] != nil {
		t.Fatalf("session line: %v", sline)
	}
	if strings.Contains(fmtJSON(t, sline), "cart-sess-") {
		t.Fatalf("the session id leaked: %v", sline)
	}
	if got := scalar[string](t, "select session_id from cart_items where id = $1", num(t, sline["id"])); got != sess["session-id"] {
		t.Fatalf("session_id %q", got)
	}

	// Unknown and deleted products: 400 naming product-id, nothing written.
	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", 2_000_000_000)), "product-id")
	gone, _ := ctProduct(t, e, "Gone", 1.5)
	wantStatus(t, action(t, e.market, "delete-product", map[string]any{"id": gone}), 200)
	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", gone)), "product-id")
	if n := scalar[int64](t, "select count(*) from cart_items where product_id = $1", gone); n != 0 {
		t.Fatalf("deleted product: %d rows", n)
	}
	wantBadParam(t, action(t, e.cart, "add-to-cart", owner), "product-id")
	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", "x")), "product-id")

	// A product without a price cannot be sold.
	free, _ := ctProduct(t, e, "Priceless", nil)
	wantError(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", free)), 409, "no price")

	// Quantity bounds, also for the sum on an existing line.
	other, _ := ctProduct(t, e, "Other", 1)
	for _, q := range []int{0, -1, 1000} {
		wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", other, "quantity", q)), "quantity")
	}
	if n := scalar[int64](t, "select count(*) from cart_items where product_id = $1", other); n != 0 {
		t.Fatalf("bad quantities wrote %d rows", n)
	}
	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", pid, "quantity", 992)), "quantity")
	if q := scalar[int32](t, "select quantity from cart_items where id = $1", id); q != 8 {
		t.Fatalf("quantity %d after a refused add, want 8", q)
	}
	if got := ctAdd(t, e, owner, pid, 991); num(t, got["quantity"]) != 999 {
		t.Fatalf("up to the limit: %v", got)
	}

	// Owner and container are checked.
	ctNoOwner(t, action(t, e.cart, "add-to-cart", map[string]any{"product-id": pid}))
	ctNoOwner(t, action(t, e.cart, "add-to-cart", map[string]any{"product-id": pid, "session-id": ""}))
	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", other, "container-type", "page")), "container-id")
	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(owner, "product-id", other, "container-id", cid)), "container-type")
}

func fmtJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCartItemsAndSummary(t *testing.T) {
	e := ctPlatform(t)
	user, other := ctUser(), ctUser()
	sess, otherSess := ctSession(t), ctSession(t)
	pageA, calA := ctPage(t)
	pageB, calB := ctPage(t)
	ctAttach(t, e, pageA)
	ctAttach(t, e, pageB)
	oats, _ := ctProduct(t, e, "Oats", 2.35)
	tea, _ := ctProduct(t, e, "Tea", 1)
	jam, _ := ctProduct(t, e, "Jam", 4)

	a := num(t, ctAdd(t, e, user, oats, 2, "container-type", "page", "container-id", pageA)["id"])
	b := num(t, ctAdd(t, e, user, tea, 1, "container-type", "page", "container-id", pageB)["id"])
	s := num(t, ctAdd(t, e, sess, jam, 1)["id"])
	o := num(t, ctAdd(t, e, other, oats, 7, "container-type", "page", "container-id", pageA)["id"])
	tickets := ctReserve(t, e, user, calA, 3.10, 2)
	ctBook(t, e, user, calA, 0.55)
	ctBook(t, e, user, calB, 2)
	ctReserve(t, e, other, calA, 50, 1)

	// Owner scoping: a user's lines, a session's, another user's; user-id
	// wins when both are given.
	ctWantIDs(t, "user's lines", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), a, b)
	ctWantIDs(t, "user and session", wantArr(t, query(t, e.cart, "cart-items", ctQ(user, "session-id", sess["session-id"]))), a, b)
	ctWantIDs(t, "session's lines", wantArr(t, query(t, e.cart, "cart-items", ctQ(sess))), s)
	ctWantIDs(t, "other user's lines", wantArr(t, query(t, e.cart, "cart-items", ctQ(other))), o)
	ctWantIDs(t, "empty session", wantArr(t, query(t, e.cart, "cart-items", ctQ(otherSess))))
	rows := wantArr(t, query(t, e.cart, "cart-items", ctQ(user)))
	first := ctObj(t, rows[0])
	if num(t, first["quantity"]) != 2 || first["product_title"] != "Oats" || num(t, first["container_id"]) != pageA {
		t.Fatalf("line: %v", first)
	}
	if _, leaked := ctObj(t, wantArr(t, query(t, e.cart, "cart-items", ctQ(sess)))[0])["session_id"]; leaked {
		t.Fatal("cart-items returns session ids")
	}

	// Container scoping.
	ctWantIDs(t, "page A", wantArr(t, query(t, e.cart, "cart-items", ctQ(user, "container-type", "page", "container-id", pageA))), a)
	ctWantIDs(t, "page B", wantArr(t, query(t, e.cart, "cart-items", ctQ(user, "container-type", "page", "container-id", pageB))), b)
	ctWantIDs(t, "post A", wantArr(t, query(t, e.cart, "cart-items", ctQ(user, "container-type", "post", "container-id", pageA))))

	// Summary of page A: 2 × 2.35 + 2 × 3.10 + 0.55 = 11.45 exactly (a
	// float sum would give 11.450000000000001).
	sum := wantObj(t, query(t, e.cart, "cart-summary", ctQ(user, "container-type", "page", "container-id", pageA)))
	if num(t, sum["count"]) != 2 || num(t, sum["ticket_count"]) != 2 || num(t, sum["entry_count"]) != 1 {
		t.Fatalf("summary of page A: %v", sum)
	}
	ctWantMoney(t, "total", sum["total"], "4.70")
	ctWantMoney(t, "ticket_total", sum["ticket_total"], "6.20")
	ctWantMoney(t, "entry_total", sum["entry_total"], "0.55")
	ctWantMoney(t, "grand_total", sum["grand_total"], "11.45")

	// The whole cart: 3 units (5.70), 2 tickets (6.20), 2 entries (2.55).
	sum = wantObj(t, query(t, e.cart, "cart-summary", ctQ(user)))
	if num(t, sum["count"]) != 3 || num(t, sum["ticket_count"]) != 2 || num(t, sum["entry_count"]) != 2 {
		t.Fatalf("summary: %v", sum)
	}
	ctWantMoney(t, "total", sum["total"], "5.70")
	ctWantMoney(t, "entry_total", sum["entry_total"], "2.55")
	ctWantMoney(t, "grand_total", sum["grand_total"], "14.45")

	// A session cart with one product and nothing else; an empty cart.
	sum = wantObj(t, query(t, e.cart, "cart-summary", ctQ(sess)))
	if num(t, sum["count"]) != 1 || num(t, sum["ticket_count"]) != 0 || num(t, sum["entry_count"]) != 0 {
		t.Fatalf("session summary: %v", sum)
	}
	ctWantMoney(t, "session grand_total", sum["grand_total"], "4")
	sum = wantObj(t, query(t, e.cart, "cart-summary", ctQ(otherSess)))
	if num(t, sum["count"]) != 0 || num(t, sum["ticket_count"]) != 0 || num(t, sum["entry_count"]) != 0 {
		t.Fatalf("empty summary: %v", sum)
	}
	for _, k := range []string{"total", "ticket_total", "entry_total", "grand_total"} {
		ctWantMoney(t, "empty "+k, sum[k], "0")
	}

	// A removed ticket or line leaves the summary.
	wantStatus(t, action(t, e.events, "cancel-tickets", ctWith(user, "ids", []int64{tickets[0]})), 200)
	wantStatus(t, action(t, e.cart, "remove-cart-item", ctWith(user, "item-id", b)), 200)
	sum = wantObj(t, query(t, e.cart, "cart-summary", ctQ(user)))
	if num(t, sum["count"]) != 2 || num(t, sum["ticket_count"]) != 1 {
		t.Fatalf("summary after removals: %v", sum)
	}
	ctWantMoney(t, "grand_total after removals", sum["grand_total"], "10.35")

	for _, name := range []string{"cart-items", "cart-summary"} {
		ctNoOwner(t, query(t, e.cart, name, ""))
		ctNoOwner(t, query(t, e.cart, name, "session-id="))
		wantBadParam(t, query(t, e.cart, name, ctQ(user, "container-type", "page")), "container-id")
		wantBadParam(t, query(t, e.cart, name, ctQ(user, "container-id", pageA)), "container-type")
		wantBadParam(t, query(t, e.cart, name, "user-id=x"), "user-id")
	}
}

func TestCartUpdateAndRemove(t *testing.T) {
	e := ctPlatform(t)
	user, other := ctUser(), ctSession(t)
	p1, _ := ctProduct(t, e, "Flour", 1.2)
	p2, _ := ctProduct(t, e, "Salt", 0.5)
	a := num(t, ctAdd(t, e, user, p1, 1)["id"])
	b := num(t, ctAdd(t, e, user, p2, 1)["id"])

	got := wantObj(t, action(t, e.cart, "update-cart-item", ctWith(user, "item-id", a, "quantity", 5)))
	if num(t, got["id"]) != a || num(t, got["quantity"]) != 5 {
		t.Fatalf("update: %v", got)
	}
	// Another owner's line: null, unchanged.
	wantNull(t, action(t, e.cart, "update-cart-item", ctWith(other, "item-id", a, "quantity", 9)))
	wantNull(t, action(t, e.cart, "update-cart-item", map[string]any{"user-id": ctInt(), "item-id": a, "quantity": 9}))
	if q := scalar[int32](t, "select quantity from cart_items where id = $1", a); q != 5 {
		t.Fatalf("another owner changed the quantity to %d", q)
	}
	for _, q := range []int{-1, 1000} {
		wantBadParam(t, action(t, e.cart, "update-cart-item", ctWith(user, "item-id", a, "quantity", q)), "quantity")
	}
	wantBadParam(t, action(t, e.cart, "update-cart-item", ctWith(user, "item-id", a)), "quantity")
	ctNoOwner(t, action(t, e.cart, "update-cart-item", map[string]any{"item-id": a, "quantity": 2}))
	// Quantity 0 removes the line.
	wantNull(t, action(t, e.cart, "update-cart-item", ctWith(user, "item-id", a, "quantity", 0)))
	ctWantIDs(t, "after 0", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), b)
	if st := ctLineState(t, a); st != "-/deleted" {
		t.Fatalf("line after quantity 0: %s", st)
	}
	wantNull(t, action(t, e.cart, "update-cart-item", ctWith(user, "item-id", a, "quantity", 3)))

	// remove-cart-item: another owner's line is not removed; the owner's is, once.
	if r := wantObj(t, action(t, e.cart, "remove-cart-item", ctWith(other, "item-id", b))); r["removed"] != false {
		t.Fatalf("another owner's remove: %v", r)
	}
	ctWantIDs(t, "after another owner's remove", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), b)
	if r := wantObj(t, action(t, e.cart, "remove-cart-item", ctWith(user, "item-id", b))); r["removed"] != true {
		t.Fatalf("remove: %v", r)
	}
	if r := wantObj(t, action(t, e.cart, "remove-cart-item", ctWith(user, "item-id", b))); r["removed"] != false {
		t.Fatalf("remove again: %v", r)
	}
	ctWantIDs(t, "after remove", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))))
	ctNoOwner(t, action(t, e.cart, "remove-cart-item", map[string]any{"item-id": b}))

	// A removed product can be added again as a new line.
	c := ctAdd(t, e, user, p2, 2)
	if num(t, c["id"]) == b || num(t, c["quantity"]) != 2 {
		t.Fatalf("re-added: %v", c)
	}
}

func TestCartAdopt(t *testing.T) {
	e := ctPlatform(t)
	user, sess := ctUser(), ctSession(t)
	uid := user["user-id"].(int64)
	both := ctWith(user, "session-id", sess["session-id"])
	oats, _ := ctProduct(t, e, "Oats", 2)
	tea, _ := ctProduct(t, e, "Tea", 3)
	jam, _ := ctProduct(t, e, "Jam", 4)
	rice, _ := ctProduct(t, e, "Rice", 5)

	uOats := num(t, ctAdd(t, e, user, oats, 3)["id"])
	uJam := num(t, ctAdd(t, e, user, jam, 1)["id"])
	uRice := num(t, ctAdd(t, e, user, rice, 600)["id"])
	sOats := num(t, ctAdd(t, e, sess, oats, 2)["id"])
	sTea := num(t, ctAdd(t, e, sess, tea, 1)["id"])
	sRice := num(t, ctAdd(t, e, sess, rice, 500)["id"])
	// Another session's line stays where it is.
	stranger := ctSession(t)
	x := num(t, ctAdd(t, e, stranger, tea, 1)["id"])

	r := wantObj(t, action(t, e.cart, "adopt-cart", both))
	if num(t, r["adopted"]) != 3 {
		t.Fatalf("adopt: %v", r)
	}
	rows := wantArr(t, query(t, e.cart, "cart-items", ctQ(user)))
	ctWantIDs(t, "user's cart", rows, uOats, uJam, uRice, sTea)
	want := map[int64]int64{uOats: 5, uJam: 1, uRice: 999, sTea: 1}
	for _, row := range rows {
		m := ctObj(t, row)
		if num(t, m["quantity"]) != want[num(t, m["id"])] || num(t, m["user_id"]) != uid {
			t.Fatalf("adopted line: %v", m)
		}
	}
	ctWantIDs(t, "session's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(sess))))
	for _, id := range []int64{sOats, sRice} {
		if st := ctLineState(t, id); st != "-/deleted" {
			t.Fatalf("merged session line %d: %s", id, st)
		}
	}
	if s := scalar[*string](t, "select session_id from cart_items where id = $1", sTea); s != nil {
		t.Fatalf("moved line keeps session %q", *s)
	}
	ctWantIDs(t, "stranger's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(stranger))), x)

	// Adopting again moves nothing and changes nothing.
	before := scalar[string](t, "select string_agg(id || ':' || quantity || ':' || updated_at, ',' order by id) from cart_items where user_id = $1", uid)
	r = wantObj(t, action(t, e.cart, "adopt-cart", both))
	if num(t, r["adopted"]) != 0 {
		t.Fatalf("adopt again: %v", r)
	}
	if after := scalar[string](t, "select string_agg(id || ':' || quantity || ':' || updated_at, ',' order by id) from cart_items where user_id = $1", uid); after != before {
		t.Fatalf("adopt again changed the cart:\n%s\n%s", before, after)
	}

	wantBadParam(t, action(t, e.cart, "adopt-cart", user), "session-id")
	wantBadParam(t, action(t, e.cart, "adopt-cart", sess), "user-id")
}

// ---------------------------------------------------------------------------
// Checkout
// ---------------------------------------------------------------------------

func TestCartCreateOrder(t *testing.T) {
	e := ctPlatform(t)
	user := ctUser()
	uid := user["user-id"].(int64)
	c := ctFill(t, e, user, 2, 1, 2)
	// Something outside the page stays in the cart.
	outside := ctFill(t, e, user, 1, 1, 1)
	wantNull(t, query(t, e.blog, "page-config-by-container", ctQ(nil, "container-type", "page", "container-id", c.container)))
	products := column(t, "select product_slug from cart_items where id = any($1) order by id", c.lines)

	r := action(t, e.cart, "create-order", ctWith(user, "container-type", "page", "container-id", c.container, "email", "buyer@example.com"))
	wantStatus(t, r, 200)
	o := wantObj(t, r)
	id := num(t, o["id"])
	if o["status"] != "pending" || num(t, o["user_id"]) != uid || o["email"] != "buyer@example.com" ||
		o["container_type"] != "page" || num(t, o["container_id"]) != c.container || o["currency"] != "GBP" ||
		o["paid_at"] != nil || o["sumup_checkout_id"] != nil || o["sumup_reference"] != nil {
		t.Fatalf("order: %v", o)
	}
	if _, leaked := o["session_id"]; leaked {
		t.Fatalf("order returns its session id: %v", o)
	}
	// 2 lines of 2 × 2.35, one entry at 0.55, two tickets at 3.10.
	ctWantMoney(t, "total_amount", o["total_amount"], "16.15")
	if got := scalar[string](t, "select total_amount::text from orders where id = $1", id); got != "16.15" {
		t.Fatalf("stored total %s", got)
	}
	// The page config was created and recorded.
	pc := wantObj(t, query(t, e.blog, "page-config-by-container", ctQ(nil, "container-type", "page", "container-id", c.container)))
	if num(t, o["page_config_id"]) != num(t, pc["id"]) {
		t.Fatalf("page_config_id %v, page config %v", o["page_config_id"], pc)
	}

	items, _ := o["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("items: %v", o["items"])
	}
	for i, it := range items {
		m := ctObj(t, it)
		if num(t, m["order_id"]) != id || m["title"] != "Oats" || m["slug"] != products[i] ||
			m["image"] != "https://img.example/"+products[i]+".jpg" || num(t, m["quantity"]) != 2 ||
			num(t, m["market_place_id"]) != e.marketID || m["product_id"] == nil {
			t.Fatalf("item %d: %v", i, m)
		}
		ctWantMoney(t, "unit_price", m["unit_price"], "2.35")
		ctWantMoney(t, "line_total", m["line_total"], "4.70")
	}

	// The page's lines, entries and tickets are claimed; the rest is still in the cart.
	for _, l := range c.lines {
		if st := ctLineState(t, l); st != itoa(id) {
			t.Fatalf("line %d: %s", l, st)
		}
	}
	for _, en := range c.entries {
		if st := ctEntryState(t, en); st != "ordered/"+itoa(id) {
			t.Fatalf("entry %d: %s", en, st)
		}
	}
	for _, tk := range c.tickets {
		if st := ctTicketState(t, tk); st != "ordered/"+itoa(id) {
			t.Fatalf("ticket %d: %s", tk, st)
		}
	}
	ctWantIDs(t, "cart after checkout", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), outside.lines...)
	sum := wantObj(t, query(t, e.cart, "cart-summary", ctQ(user, "container-type", "page", "container-id", c.container)))
	if num(t, sum["count"]) != 0 || num(t, sum["ticket_count"]) != 0 || num(t, sum["entry_count"]) != 0 {
		t.Fatalf("page's summary after checkout: %v", sum)
	}
	if st := ctEntryState(t, outside.entries[0]); st != "pending/-" {
		t.Fatalf("other page's entry: %s", st)
	}
	if st := ctTicketState(t, outside.tickets[0]); st != "reserved/-" {
		t.Fatalf("other page's ticket: %s", st)
	}
	if a := ctActivities(t, "order.created", id); len(a) != 1 || a[0] != "pending" {
		t.Fatalf("order.created activities: %v", a)
	}

	// An existing page config is used, not replaced; a session can check out.
	sess := ctSession(t)
	c2 := ctFill(t, e, sess, 1, 0, 0)
	pc2 := wantObj(t, action(t, e.blog, "page-config-ensure", ctQMap("container-type", "page", "container-id", c2.container)))
	o2 := ctOrder(t, e, c2)
	if num(t, o2["page_config_id"]) != num(t, pc2["id"]) || o2["user_id"] != nil || o2["email"] != nil {
		t.Fatalf("session order: %v", o2)
	}
	if n := scalar[int64](t, "select count(*) from page_configs where container_type = 'page' and container_id = $1", c2.container); n != 1 {
		t.Fatalf("%d page configs", n)
	}
	if s := scalar[string](t, "select session_id from orders where id = $1", num(t, o2["id"])); s != sess["session-id"] {
		t.Fatalf("order's session %q", s)
	}

	// Without container-type the page is the one the cart is in.
	c3 := ctFill(t, e, ctUser(), 1, 0, 1)
	o3 := wantObj(t, action(t, e.cart, "create-order", c3.owner))
	if o3["container_type"] != "page" || num(t, o3["container_id"]) != c3.container || o3["page_config_id"] == nil {
		t.Fatalf("order without container: %v", o3)
	}
	ctWantMoney(t, "total without container", o3["total_amount"], "7.80")

	// Only tickets: the total is theirs and there are no items.
	c4 := ctFill(t, e, ctUser(), 0, 0, 3)
	o4 := ctOrder(t, e, c4)
	ctWantMoney(t, "tickets-only total", o4["total_amount"], "9.30")
	if items, ok := o4["items"].([]any); !ok || len(items) != 0 {
		t.Fatalf("tickets-only items: %v", o4["items"])
	}

	// A cart in no page: an order without a page config.
	u5 := ctUser()
	p5, _ := ctProduct(t, e, "Loose", 1.25)
	ctAdd(t, e, u5, p5, 3)
	o5 := wantObj(t, action(t, e.cart, "create-order", u5))
	if o5["container_type"] != nil || o5["page_config_id"] != nil {
		t.Fatalf("order in no page: %v", o5)
	}
	ctWantMoney(t, "no-page total", o5["total_amount"], "3.75")

	ctNoOwner(t, action(t, e.cart, "create-order", map[string]any{}))
	wantBadParam(t, action(t, e.cart, "create-order", ctWith(user, "container-type", "page")), "container-id")
	wantBadParam(t, action(t, e.cart, "create-order", ctWith(outside.owner, "email", "nope")), "email")
	if st := ctLineState(t, outside.lines[0]); st != "-" {
		t.Fatalf("a refused checkout claimed line: %s", st)
	}
}

// ctQMap is a body of key/value pairs.
func ctQMap(kv ...any) map[string]any { return ctWith(nil, kv...) }

func TestCartCreateOrderRefused(t *testing.T) {
	e := ctPlatform(t)

	// Empty cart: 409, no order.
	user := ctUser()
	wantError(t, action(t, e.cart, "create-order", user), 409, "empty")
	ctFill(t, e, user, 1, 0, 0)
	wantError(t, action(t, e.cart, "create-order", ctWith(user, "container-type", "page", "container-id", ctInt())), 409, "empty")
	if n := scalar[int64](t, "select count(*) from orders where user_id = $1", user["user-id"]); n != 0 {
		t.Fatalf("empty checkouts made %d orders", n)
	}

	// A cart spanning two pages needs a page: 400, nothing written.
	span := ctUser()
	a := ctFill(t, e, span, 1, 1, 0)
	pageB, calB := ctPage(t)
	tb := ctReserve(t, e, span, calB, 5, 1)[0]
	wantBadParam(t, action(t, e.cart, "create-order", span), "container-type")
	if n := scalar[int64](t, "select count(*) from orders where user_id = $1", span["user-id"]); n != 0 {
		t.Fatalf("a spanning checkout made %d orders", n)
	}
	if st := ctLineState(t, a.lines[0]); st != "-" {
		t.Fatalf("line: %s", st)
	}
	if st := ctEntryState(t, a.entries[0]); st != "pending/-" {
		t.Fatalf("entry: %s", st)
	}
	if st := ctTicketState(t, tb); st != "reserved/-" {
		t.Fatalf("ticket: %s", st)
	}
	for _, cid := range []int64{a.container, pageB} {
		if n := scalar[int64](t, "select count(*) from page_configs where container_type = 'page' and container_id = $1", cid); n != 0 {
			t.Fatalf("a refused checkout made a page config for %d", cid)
		}
	}
	// One page at a time works.
	o := wantObj(t, action(t, e.cart, "create-order", ctWith(span, "container-type", "page", "container-id", pageB)))
	if num(t, o["container_id"]) != pageB {
		t.Fatalf("order of page B: %v", o)
	}
	ctWantMoney(t, "page B total", o["total_amount"], "5")
	if st := ctTicketState(t, tb); st != "ordered/"+itoa(num(t, o["id"])) {
		t.Fatalf("page B's ticket: %s", st)
	}
	if st := ctLineState(t, a.lines[0]); st != "-" {
		t.Fatalf("page A's line: %s", st)
	}
}

// TestCartCreateOrderAtomic makes the ticket claim fail after the order,
// its items, the claimed lines and the claimed entries were written: all of
// it, across services, must roll back.
func TestCartCreateOrderAtomic(t *testing.T) {
	e := ctPlatform(t)
	exec(t, `create or replace function carttest_refuse_claim() returns trigger language plpgsql as $$
		begin
			if new.state = 'ordered' and new.code like 'carttest-refuse-%' then
				raise exception 'carttest: claim refused';
			end if;
			return new;
		end $$`)
	exec(t, "drop trigger if exists carttest_refuse_claim on tickets")
	exec(t, "create trigger carttest_refuse_claim before update on tickets for each row execute function carttest_refuse_claim()")
	t.Cleanup(func() {
		exec(t, "drop trigger if exists carttest_refuse_claim on tickets")
		exec(t, "drop function if exists carttest_refuse_claim()")
	})

	user := ctUser()
	c := ctFill(t, e, user, 2, 1, 1)
	exec(t, "update tickets set code = 'carttest-refuse-' || id where id = $1", c.tickets[0])
	lastActivity := scalar[int64](t, "select coalesce(max(id), 0) from ap_activities")
	lastOrder := scalar[int64](t, "select coalesce(max(id), 0) from orders")

	r := action(t, e.cart, "create-order", ctWith(user, "container-type", "page", "container-id", c.container))
	wantStatus(t, r, 500)
	if n := scalar[int64](t, "select count(*) from orders where user_id = $1", user["user-id"]); n != 0 {
		t.Fatalf("a failed checkout left %d orders", n)
	}
	if n := scalar[int64](t, "select count(*) from order_items where order_id > $1", lastOrder); n != 0 {
		t.Fatalf("a failed checkout left %d order items", n)
	}
	for _, l := range c.lines {
		if st := ctLineState(t, l); st != "-" {
			t.Fatalf("line %d: %s", l, st)
		}
	}
	if st := ctEntryState(t, c.entries[0]); st != "pending/-" {
		t.Fatalf("entry: %s", st)
	}
	if st := ctTicketState(t, c.tickets[0]); st != "reserved/-" {
		t.Fatalf("ticket: %s", st)
	}
	if n := scalar[int64](t, "select count(*) from page_configs where container_type = 'page' and container_id = $1", c.container); n != 0 {
		t.Fatal("a failed checkout left a page config")
	}
	if n := scalar[int64](t, "select count(*) from ap_activities where id > $1 and origin_app = 'cart'", lastActivity); n != 0 {
		t.Fatalf("a failed checkout left %d activities", n)
	}
	ctWantIDs(t, "cart after a failed checkout", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), c.lines...)

	// Without the refusal the same checkout succeeds.
	exec(t, "drop trigger carttest_refuse_claim on tickets")
	o := ctOrder(t, e, c)
	if st := ctTicketState(t, c.tickets[0]); st != "ordered/"+itoa(num(t, o["id"])) {
		t.Fatalf("ticket: %s", st)
	}
}

// ---------------------------------------------------------------------------
// Order queries
// ---------------------------------------------------------------------------

func TestCartOrderQueries(t *testing.T) {
	e := ctPlatform(t)
	user := ctUser()
	uid := user["user-id"].(int64)
	o1 := ctOrder(t, e, ctFill(t, e, user, 1, 0, 0))
	o2 := ctOrder(t, e, ctFill(t, e, user, 2, 0, 0))
	o3 := ctOrder(t, e, ctFill(t, e, user, 0, 0, 1))
	id1, id2, id3 := num(t, o1["id"]), num(t, o2["id"]), num(t, o3["id"])
	otherOrder := ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))

	got := wantObj(t, query(t, e.cart, "order-by-id", "id="+itoa(id2)))
	if num(t, got["id"]) != id2 || num(t, got["user_id"]) != uid || got["status"] != "pending" {
		t.Fatalf("order-by-id: %v", got)
	}
	items, _ := got["items"].([]any)
	if len(items) != 2 || ctObj(t, items[0])["title"] != "Oats" {
		t.Fatalf("order-by-id items: %v", got["items"])
	}
	ctWantMoney(t, "order-by-id total", got["total_amount"], "9.40")
	wantNull(t, query(t, e.cart, "order-by-id", "id=2000000000"))
	wantBadParam(t, query(t, e.cart, "order-by-id", ""), "id")

	// Newest first; a status filter; a limit.
	ctWantIDs(t, "orders-for-user", wantArr(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid))), id3, id2, id1)
	wantStatus(t, action(t, e.cart, "cancel-order", ctQMap("order-id", id2)), 200)
	wantStatus(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", id1)), 200)
	ctWantIDs(t, "paid", wantArr(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid)+"&status=paid")), id1)
	ctWantIDs(t, "cancelled", wantArr(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid)+"&status=cancelled")), id2)
	ctWantIDs(t, "pending", wantArr(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid)+"&status=pending")), id3)
	ctWantIDs(t, "failed", wantArr(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid)+"&status=failed")))
	ctWantIDs(t, "limit", wantArr(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid)+"&limit=2")), id3, id2)
	ctWantIDs(t, "another user", wantArr(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(ctInt()))))
	if rows := wantArr(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid))); ctObj(t, rows[0])["status"] != "pending" {
		t.Fatalf("orders-for-user row: %v", rows[0])
	}
	wantBadParam(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid)+"&status=shipped"), "status")
	wantBadParam(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid)+"&limit=0"), "limit")
	wantBadParam(t, query(t, e.cart, "orders-for-user", "user-id="+itoa(uid)+"&limit=201"), "limit")
	wantBadParam(t, query(t, e.cart, "orders-for-user", ""), "user-id")

	// pending-orders: pending ones older than older-than minutes, oldest first.
	exec(t, "update orders set created_at = now() - interval '2 days' where id = $1", id3)
	exec(t, "update orders set created_at = now() - interval '3 days' where id = $1", num(t, otherOrder["id"]))
	exec(t, "update orders set created_at = now() - interval '2 days' where id = $1", id1) // paid: not pending
	pending := ctIDs(t, wantArr(t, query(t, e.cart, "pending-orders", "older-than=15&limit=1000")))
	pos := map[int64]int{}
	for i, id := range pending {
		pos[id] = i + 1
	}
	if pos[id3] == 0 || pos[num(t, otherOrder["id"])] == 0 || pos[num(t, otherOrder["id"])] > pos[id3] {
		t.Fatalf("pending-orders %v lacks or misorders %d and %d", pending, num(t, otherOrder["id"]), id3)
	}
	if pos[id1] != 0 || pos[id2] != 0 {
		t.Fatalf("pending-orders %v lists a paid or cancelled order", pending)
	}
	fresh := num(t, ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))["id"])
	for _, id := range ctIDs(t, wantArr(t, query(t, e.cart, "pending-orders", "older-than=15&limit=1000"))) {
		if id == fresh {
			t.Fatal("pending-orders lists an order of a moment ago")
		}
	}
	exec(t, "update orders set created_at = now() - interval '20 minutes' where id = $1", fresh)
	found := false
	for _, id := range ctIDs(t, wantArr(t, query(t, e.cart, "pending-orders", "limit=1000"))) {
		found = found || id == fresh
	}
	if !found {
		t.Fatal("pending-orders (default 15 minutes) lacks an order of 20 minutes ago")
	}
	if rows := wantArr(t, query(t, e.cart, "pending-orders", "older-than=0&limit=1")); len(rows) != 1 {
		t.Fatalf("limit 1: %d rows", len(rows))
	}
	wantBadParam(t, query(t, e.cart, "pending-orders", "older-than=-1"), "older-than")
	wantBadParam(t, query(t, e.cart, "pending-orders", "limit=0"), "limit")
	wantBadParam(t, query(t, e.cart, "pending-orders", "limit=1001"), "limit")
}

func TestCartRecordCheckout(t *testing.T) {
	e := ctPlatform(t)
	o := ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))
	id := num(t, o["id"])
	checkout := "chk-" + uniq(t)

	wantNull(t, query(t, e.cart, "order-by-checkout", "checkout-id="+checkout))
	got := wantObj(t, action(t, e.cart, "record-checkout", ctQMap("order-id", id, "checkout-id", checkout, "hosted-url", "https://pay.example/"+checkout)))
	if num(t, got["id"]) != id || got["sumup_checkout_id"] != checkout || got["sumup_hosted_url"] != "https://pay.example/"+checkout ||
		got["sumup_status"] != "PENDING" || got["status"] != "pending" {
		t.Fatalf("record-checkout: %v", got)
	}
	if items, _ := got["items"].([]any); len(items) != 1 {
		t.Fatalf("record-checkout items: %v", got["items"])
	}
	byCheckout := wantObj(t, query(t, e.cart, "order-by-checkout", "checkout-id="+checkout))
	if num(t, byCheckout["id"]) != id {
		t.Fatalf("order-by-checkout: %v", byCheckout)
	}
	if items, _ := byCheckout["items"].([]any); len(items) != 1 || num(t, ctObj(t, items[0])["order_id"]) != id {
		t.Fatalf("order-by-checkout items: %v", byCheckout["items"])
	}

	// The same checkout again is fine; another one is refused.
	again := wantObj(t, action(t, e.cart, "record-checkout", ctQMap("order-id", id, "checkout-id", checkout)))
	if again["sumup_checkout_id"] != checkout {
		t.Fatalf("record again: %v", again)
	}
	wantError(t, action(t, e.cart, "record-checkout", ctQMap("order-id", id, "checkout-id", "chk-other-"+uniq(t))), 409, "checkout")
	if got := scalar[string](t, "select sumup_checkout_id from orders where id = $1", id); got != checkout {
		t.Fatalf("checkout id became %q", got)
	}
	wantNull(t, action(t, e.cart, "record-checkout", ctQMap("order-id", 2_000_000_000, "checkout-id", "chk-"+uniq(t))))
	wantBadParam(t, action(t, e.cart, "record-checkout", ctQMap("order-id", id)), "checkout-id")
	wantBadParam(t, query(t, e.cart, "order-by-checkout", ""), "checkout-id")

	// Not pending any more: 409.
	cancelled := num(t, ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))["id"])
	wantStatus(t, action(t, e.cart, "cancel-order", ctQMap("order-id", cancelled)), 200)
	wantError(t, action(t, e.cart, "record-checkout", ctQMap("order-id", cancelled, "checkout-id", "chk-"+uniq(t))), 409, "cancelled")
	if n := scalar[int64](t, "select count(*) from orders where id = $1 and sumup_checkout_id is null", cancelled); n != 1 {
		t.Fatal("a cancelled order took a checkout")
	}
}

// ---------------------------------------------------------------------------
// Transitions
// ---------------------------------------------------------------------------

func TestCartMarkOrderPaid(t *testing.T) {
	e := ctPlatform(t)
	c := ctFill(t, e, ctUser(), 1, 1, 1)
	o := ctOrder(t, e, c)
	id := num(t, o["id"])

	paid := wantObj(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", id)))
	if num(t, paid["id"]) != id || paid["status"] != "paid" || paid["paid_at"] == nil || paid["sumup_status"] != "PAID" {
		t.Fatalf("paid: %v", paid)
	}
	if items, _ := paid["items"].([]any); len(items) != 1 {
		t.Fatalf("paid items: %v", paid["items"])
	}
	if a := ctActivities(t, "order.paid", id); len(a) != 1 || a[0] != "pending" {
		t.Fatalf("order.paid activities: %v", a)
	}
	// Paying again: the order unchanged, no second activity.
	again := wantObj(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", id)))
	if again["status"] != "paid" || again["paid_at"] != paid["paid_at"] || again["updated_at"] != paid["updated_at"] {
		t.Fatalf("paid again: %v\nwas %v", again, paid)
	}
	if a := ctActivities(t, "order.paid", id); len(a) != 1 {
		t.Fatalf("paying again emitted: %v", a)
	}
	// A paid order is final.
	wantError(t, action(t, e.cart, "cancel-order", ctQMap("order-id", id)), 409, "paid")
	wantError(t, action(t, e.cart, "fail-order", ctQMap("order-id", id, "status", "failed")), 409, "paid")
	wantError(t, action(t, e.cart, "fail-order", ctQMap("order-id", id, "status", "expired")), 409, "paid")
	if st := scalar[string](t, "select status from orders where id = $1", id); st != "paid" {
		t.Fatalf("status %s", st)
	}
	if st := ctTicketState(t, c.tickets[0]); st != "ordered/"+itoa(id) {
		t.Fatalf("a refused cancel touched the ticket: %s", st)
	}
	if st := ctLineState(t, c.lines[0]); st != itoa(id) {
		t.Fatalf("a refused cancel touched the line: %s", st)
	}

	// Cancelled and failed orders cannot be paid.
	for _, how := range []string{"cancel", "fail"} {
		o := ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 1))
		oid := num(t, o["id"])
		if how == "cancel" {
			wantStatus(t, action(t, e.cart, "cancel-order", ctQMap("order-id", oid)), 200)
		} else {
			wantStatus(t, action(t, e.cart, "fail-order", ctQMap("order-id", oid, "status", "failed")), 200)
		}
		before := scalar[string](t, "select status || updated_at from orders where id = $1", oid)
		wantStatus(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", oid)), 409)
		if after := scalar[string](t, "select status || updated_at from orders where id = $1", oid); after != before {
			t.Fatalf("%s: paying changed the order: %s -> %s", how, before, after)
		}
		if n := scalar[int64](t, "select count(*) from orders where id = $1 and paid_at is null", oid); n != 1 {
			t.Fatalf("%s: paid_at set", how)
		}
		if a := ctActivities(t, "order.paid", oid); len(a) != 0 {
			t.Fatalf("%s: order.paid emitted: %v", how, a)
		}
	}
	wantNull(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", 2_000_000_000)))
	wantBadParam(t, action(t, e.cart, "mark-order-paid", ctQMap()), "order-id")
}

// ctReleased checks that an order gave its cart lines, entries and tickets
// back to the cart.
func ctReleased(t *testing.T, e *ctEnv, c ctCart) {
	t.Helper()
	ctWantIDs(t, "cart after release", wantArr(t, query(t, e.cart, "cart-items", ctQ(c.owner))), c.lines...)
	for _, l := range c.lines {
		if st := ctLineState(t, l); st != "-" {
			t.Fatalf("line %d: %s", l, st)
		}
	}
	for _, en := range c.entries {
		if st := ctEntryState(t, en); st != "pending/-" {
			t.Fatalf("entry %d: %s", en, st)
		}
	}
	for _, tk := range c.tickets {
		if st := ctTicketState(t, tk); st != "reserved/-" {
			t.Fatalf("ticket %d: %s", tk, st)
		}
	}
	sum := wantObj(t, query(t, e.cart, "cart-summary", ctQ(c.owner)))
	if num(t, sum["count"]) != int64(2*len(c.lines)) || num(t, sum["entry_count"]) != int64(len(c.entries)) ||
		num(t, sum["ticket_count"]) != int64(len(c.tickets)) {
		t.Fatalf("summary after release: %v", sum)
	}
}

func TestCartFailOrder(t *testing.T) {
	e := ctPlatform(t)
	for _, status := range []string{"failed", "expired"} {
		c := ctFill(t, e, ctUser(), 2, 1, 2)
		id := num(t, ctOrder(t, e, c)["id"])
		got := wantObj(t, action(t, e.cart, "fail-order", ctQMap("order-id", id, "status", status)))
		if num(t, got["id"]) != id || got["status"] != status || got["sumup_status"] != strings.ToUpper(status) || got["paid_at"] != nil {
			t.Fatalf("fail-order %s: %v", status, got)
		}
		if items, _ := got["items"].([]any); len(items) != 2 {
			t.Fatalf("fail-order items: %v", got["items"])
		}
		ctReleased(t, e, c)
		// Again: unchanged; the other failure status and cancelling: 409.
		again := wantObj(t, action(t, e.cart, "fail-order", ctQMap("order-id", id, "status", status)))
		if again["status"] != status || again["updated_at"] != got["updated_at"] {
			t.Fatalf("fail again: %v", again)
		}
		otherStatus := map[string]string{"failed": "expired", "expired": "failed"}[status]
		wantError(t, action(t, e.cart, "fail-order", ctQMap("order-id", id, "status", otherStatus)), 409, status)
		wantError(t, action(t, e.cart, "cancel-order", ctQMap("order-id", id)), 409, status)
		if st := scalar[string](t, "select status from orders where id = $1", id); st != status {
			t.Fatalf("status %s, want %s", st, status)
		}
		// The released cart can be checked out again.
		again2 := ctOrder(t, e, c)
		if num(t, again2["id"]) == id || len(again2["items"].([]any)) != 2 {
			t.Fatalf("checkout after %s: %v", status, again2)
		}
		ctWantMoney(t, "re-checkout total", again2["total_amount"], "16.15")
	}

	id := num(t, ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))["id"])
	for _, bad := range []string{"paid", "cancelled", "pending", ""} {
		wantBadParam(t, action(t, e.cart, "fail-order", ctQMap("order-id", id, "status", bad)), "status")
	}
	wantBadParam(t, action(t, e.cart, "fail-order", ctQMap("order-id", id)), "status")
	if st := scalar[string](t, "select status from orders where id = $1", id); st != "pending" {
		t.Fatalf("a refused fail-order made the order %s", st)
	}
	wantNull(t, action(t, e.cart, "fail-order", ctQMap("order-id", 2_000_000_000, "status", "failed")))
}

func TestCartCancelOrder(t *testing.T) {
	e := ctPlatform(t)
	c := ctFill(t, e, ctSession(t), 1, 2, 1)
	id := num(t, ctOrder(t, e, c)["id"])
	got := wantObj(t, action(t, e.cart, "cancel-order", ctQMap("order-id", id)))
	if num(t, got["id"]) != id || got["status"] != "cancelled" {
		t.Fatalf("cancel: %v", got)
	}
	ctReleased(t, e, c)
	again := wantObj(t, action(t, e.cart, "cancel-order", ctQMap("order-id", id)))
	if again["status"] != "cancelled" || again["updated_at"] != got["updated_at"] {
		t.Fatalf("cancel again: %v", again)
	}
	wantError(t, action(t, e.cart, "fail-order", ctQMap("order-id", id, "status", "failed")), 409, "cancelled")
	wantError(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", id)), 409, "cancelled")
	wantNull(t, action(t, e.cart, "cancel-order", ctQMap("order-id", 2_000_000_000)))
	wantBadParam(t, action(t, e.cart, "cancel-order", ctQMap()), "order-id")
	wantBadParam(t, action(t, e.cart, "cancel-order", ctQMap("order-id", "abc")), "order-id")

	// Cancelling a paid order: 409, its claims kept.
	c2 := ctFill(t, e, ctUser(), 1, 1, 1)
	id2 := num(t, ctOrder(t, e, c2)["id"])
	wantStatus(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", id2)), 200)
	wantError(t, action(t, e.cart, "cancel-order", ctQMap("order-id", id2)), 409, "paid")
	if st := ctEntryState(t, c2.entries[0]); st != "ordered/"+itoa(id2) {
		t.Fatalf("entry of a paid order: %s", st)
	}
	if st := ctLineState(t, c2.lines[0]); st != itoa(id2) {
		t.Fatalf("line of a paid order: %s", st)
	}
}

// ---------------------------------------------------------------------------
// Activity handlers
// ---------------------------------------------------------------------------

func TestCartOrderCreatedHandler(t *testing.T) {
	e := ctPlatform(t)
	// A page with a checkout prefix, a page without, and no page.
	c1 := ctFill(t, e, ctUser(), 1, 0, 0)
	wantStatus(t, action(t, e.blog, "page-config-ensure", ctQMap("container-type", "page", "container-id", c1.container)), 200)
	prefix := "shop" + itoa(ctInt())
	exec(t, "update page_configs set sumup_checkout_prefix = $1 where container_type = 'page' and container_id = $2", prefix, c1.container)
	id1 := num(t, ctOrder(t, e, c1)["id"])
	id2 := num(t, ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))["id"])
	u3 := ctUser()
	p3, _ := ctProduct(t, e, "Loose", 1)
	ctAdd(t, e, u3, p3, 1)
	id3 := num(t, wantObj(t, action(t, e.cart, "create-order", u3))["id"])

	ctProcess(t, e)
	want := map[int64]string{id1: prefix + "-" + itoa(id1), id2: "order-" + itoa(id2), id3: "order-" + itoa(id3)}
	for id, ref := range want {
		o := wantObj(t, query(t, e.cart, "order-by-id", "id="+itoa(id)))
		if o["sumup_reference"] != ref {
			t.Fatalf("order %d: reference %v, want %s", id, o["sumup_reference"], ref)
		}
		if a := ctActivities(t, "order.created", id); len(a) != 1 || a[0] != "done" {
			t.Fatalf("order %d: order.created %v", id, a)
		}
	}

	// Running it again (a new prefix meanwhile) keeps the reference.
	exec(t, "update page_configs set sumup_checkout_prefix = 'changed' where container_type = 'page' and container_id = $1", c1.container)
	before := scalar[string](t, "select updated_at::text from orders where id = $1", id1)
	ctEmit(t, "order.created", id1)
	ctProcess(t, e)
	if a := ctActivities(t, "order.created", id1); len(a) != 2 || a[1] != "done" {
		t.Fatalf("re-run: %v", a)
	}
	if got := scalar[string](t, "select sumup_reference || ' ' || updated_at::text from orders where id = $1", id1); got != want[id1]+" "+before {
		t.Fatalf("re-run changed the order: %s", got)
	}
}

func TestCartOrderPaidHandler(t *testing.T) {
	e := ctPlatform(t)
	kinds := map[string]ctCart{
		"products": ctFill(t, e, ctUser(), 2, 0, 0),
		"tickets":  ctFill(t, e, ctUser(), 0, 0, 2),
		"entries":  ctFill(t, e, ctUser(), 0, 1, 0),
		"all":      ctFill(t, e, ctSession(t), 1, 2, 2),
	}
	ids := map[string]int64{}
	for k, c := range kinds {
		ids[k] = num(t, ctOrder(t, e, c)["id"])
		wantStatus(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", ids[k])), 200)
	}
	// Another product of the same owner, still in the cart, is not cleared.
	keep := ctFill(t, e, kinds["all"].owner, 1, 1, 0)

	check := func(round string) string {
		t.Helper()
		var snapshot []string
		for _, k := range []string{"products", "tickets", "entries", "all"} {
			c, id := kinds[k], ids[k]
			for _, a := range ctActivities(t, "order.paid", id) {
				if a != "done" {
					t.Fatalf("%s: %s order's order.paid is %s (error %v)", round, k, a,
						column(t, "select coalesce(last_error, '') from ap_activities where origin_app = 'cart' and activity_type = 'order.paid' and payload->>'order-id' = $1", itoa(id)))
				}
			}
			for _, l := range c.lines {
				if st := ctLineState(t, l); st != itoa(id)+"/deleted" {
					t.Fatalf("%s: %s order's line: %s", round, k, st)
				}
			}
			for _, en := range c.entries {
				if st := ctEntryState(t, en); st != "confirmed/"+itoa(id) {
					t.Fatalf("%s: %s order's entry: %s", round, k, st)
				}
			}
			for _, tk := range c.tickets {
				if st := ctTicketState(t, tk); st != "confirmed/"+itoa(id) {
					t.Fatalf("%s: %s order's ticket: %s", round, k, st)
				}
			}
			snapshot = append(snapshot,
				scalar[string](t, "select coalesce(string_agg(id || deleted_at::text || updated_at::text, ','), '') from cart_items where order_id = $1", id),
				scalar[string](t, "select coalesce(string_agg(id || state || updated_at::text, ','), '') from calendar_entries where order_id = $1", id),
				scalar[string](t, "select coalesce(string_agg(id || state || updated_at::text, ','), '') from tickets where order_id = $1", id),
				scalar[string](t, "select status || updated_at::text from orders where id = $1", id))
		}
		if st := ctLineState(t, keep.lines[0]); st != "-" {
			t.Fatalf("%s: a line in the cart was touched: %s", round, st)
		}
		if st := ctEntryState(t, keep.entries[0]); st != "pending/-" {
			t.Fatalf("%s: an entry in the cart was touched: %s", round, st)
		}
		return strings.Join(snapshot, ";")
	}

	ctProcess(t, e)
	first := check("first run")
	ctWantIDs(t, "cart after payment", wantArr(t, query(t, e.cart, "cart-items", ctQ(kinds["all"].owner))), keep.lines...)

	// Re-emitted (a retried webhook): done, nothing changes.
	for _, id := range ids {
		ctEmit(t, "order.paid", id)
	}
	ctProcess(t, e)
	for k, id := range ids {
		if a := ctActivities(t, "order.paid", id); len(a) != 2 {
			t.Fatalf("%s: order.paid %v", k, a)
		}
	}
	if second := check("second run"); second != first {
		t.Fatalf("a second run changed rows:\n%s\n%s", first, second)
	}
	// Clearing again through the action clears nothing.
	if r := wantObj(t, action(t, e.cart, "clear-cart-for-order", ctQMap("order-id", ids["all"]))); num(t, r["cleared"]) != 0 {
		t.Fatalf("clear again: %v", r)
	}
}

func TestCartClearCartForOrder(t *testing.T) {
	e := ctPlatform(t)
	c := ctFill(t, e, ctUser(), 2, 0, 0)
	id := num(t, ctOrder(t, e, c)["id"])
	other := ctFill(t, e, c.owner, 1, 0, 0)
	// Paid, its order.paid not yet processed: the lines are still claimed.
	wantStatus(t, action(t, e.cart, "mark-order-paid", ctQMap("order-id", id)), 200)
	if r := wantObj(t, action(t, e.cart, "clear-cart-for-order", ctQMap("order-id", id))); num(t, r["cleared"]) != 2 {
		t.Fatalf("clear: %v", r)
	}
	for _, l := range c.lines {
		if st := ctLineState(t, l); st != itoa(id)+"/deleted" {
			t.Fatalf("line %d: %s", l, st)
		}
	}
	if st := ctLineState(t, other.lines[0]); st != "-" {
		t.Fatalf("a line in the cart: %s", st)
	}
	if r := wantObj(t, action(t, e.cart, "clear-cart-for-order", ctQMap("order-id", id))); num(t, r["cleared"]) != 0 {
		t.Fatalf("clear again: %v", r)
	}
	wantNull(t, action(t, e.cart, "clear-cart-for-order", ctQMap("order-id", 2_000_000_000)))
	wantBadParam(t, action(t, e.cart, "clear-cart-for-order", ctQMap()), "order-id")
	wantBadParam(t, action(t, e.cart, "clear-cart-for-order", ctQMap("order-id", "x")), "order-id")
}

func TestCartSessionLogin(t *testing.T) {
	e := ctPlatform(t)
	sess := ctSession(t)
	user := ctUser()
	uid := user["user-id"].(int64)
	c := ctFill(t, e, sess, 1, 1, 2)
	mine := ctFill(t, e, user, 1, 0, 0)
	stranger := ctFill(t, e, ctSession(t), 1, 1, 1)

	r := wantObj(t, action(t, e.cart, "session-login", ctWith(user, "session-id", sess["session-id"])))
	if r["queued"] != true {
		t.Fatalf("session-login: %v", r)
	}
	states := column(t, `select process_state from ap_activities
		where origin_app = 'cart' and activity_type = 'user.login'
		  and payload->>'session-id' = $1 and payload->>'user-id' = $2`, sess["session-id"], itoa(uid))
	if len(states) != 1 || states[0] != "pending" {
		t.Fatalf("user.login activities: %v", states)
	}
	// Nothing moves until the activity is processed.
	ctWantIDs(t, "session's cart before", wantArr(t, query(t, e.cart, "cart-items", ctQ(sess))), c.lines...)

	ctProcess(t, e)
	states = column(t, `select process_state from ap_activities
		where origin_app = 'cart' and activity_type = 'user.login' and payload->>'session-id' = $1`, sess["session-id"])
	if len(states) != 1 || states[0] != "done" {
		t.Fatalf("user.login after processing: %v", states)
	}
	// Oldest first: the session's line was put in the cart before the user's.
	ctWantIDs(t, "user's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), append(c.lines, mine.lines...)...)
	ctWantIDs(t, "session's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(sess))))
	ctWantIDs(t, "user's entries", wantArr(t, query(t, e.events, "entries-for-cart", ctQ(user))), c.entries...)
	ctWantIDs(t, "user's tickets", wantArr(t, query(t, e.events, "tickets-for-cart", ctQ(user))), c.tickets...)
	ctWantIDs(t, "session's entries", wantArr(t, query(t, e.events, "entries-for-cart", ctQ(sess))))
	ctWantIDs(t, "session's tickets", wantArr(t, query(t, e.events, "tickets-for-cart", ctQ(sess))))
	ctWantIDs(t, "stranger's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(stranger.owner))), stranger.lines...)
	ctWantIDs(t, "stranger's tickets", wantArr(t, query(t, e.events, "tickets-for-cart", ctQ(stranger.owner))), stranger.tickets...)
	// The user checks out what the session put in the cart.
	o := wantObj(t, action(t, e.cart, "create-order", ctWith(user, "container-type", "page", "container-id", c.container)))
	if num(t, o["user_id"]) != uid {
		t.Fatalf("order: %v", o)
	}
	ctWantMoney(t, "adopted cart's total", o["total_amount"], "11.45")

	wantBadParam(t, action(t, e.cart, "session-login", user), "session-id")
	wantBadParam(t, action(t, e.cart, "session-login", sess), "user-id")
}

// ---------------------------------------------------------------------------
// Edges found in review (each failed before its fix).
// ---------------------------------------------------------------------------

// A shopper with a pending order (checkout started, not paid) adds the
// same product again: a claimed line is out of the cart (migration 0003),
// so a new line is made; cancelling the order merges the claimed line back
// into it.
func TestCartAddProductAgainWhileOrderPending(t *testing.T) {
	e := ctPlatform(t)
	user := ctUser()
	pid, _ := ctProduct(t, e, "Oats", 2.35)
	claimed := num(t, ctAdd(t, e, user, pid, 2)["id"])
	id := num(t, wantObj(t, action(t, e.cart, "create-order", user))["id"])

	r := action(t, e.cart, "add-to-cart", ctWith(user, "product-id", pid))
	wantStatus(t, r, 200)
	line := wantObj(t, r)
	if num(t, line["id"]) == claimed || num(t, line["quantity"]) != 1 || line["order_id"] != nil {
		t.Fatalf("new line: %v", line)
	}
	if st := ctLineState(t, claimed); st != itoa(id) {
		t.Fatalf("the claimed line: %s", st)
	}
	wantStatus(t, action(t, e.cart, "cancel-order", map[string]any{"order-id": id}), 200)
	items := wantArr(t, query(t, e.cart, "cart-items", ctQ(user)))
	if len(items) != 1 || num(t, items[0].(map[string]any)["id"]) != num(t, line["id"]) ||
		num(t, items[0].(map[string]any)["quantity"]) != 3 {
		t.Fatalf("after cancelling, the cart should hold one line of 3: %v", items)
	}
}

// Signing in while the user has a pending order of a product the session's
// cart also holds: the session's line moves to the user beside the claimed
// one.
func TestCartAdoptWhileOrderPending(t *testing.T) {
	e := ctPlatform(t)
	user, sess := ctUser(), ctSession(t)
	pid, _ := ctProduct(t, e, "Oats", 2.35)
	ctAdd(t, e, user, pid, 2)
	wantStatus(t, action(t, e.cart, "create-order", user), 200)
	s := num(t, ctAdd(t, e, sess, pid, 1)["id"])

	r := action(t, e.cart, "adopt-cart", ctWith(user, "session-id", sess["session-id"]))
	wantStatus(t, r, 200)
	if num(t, wantObj(t, r)["adopted"]) != 1 {
		t.Fatalf("adopt: %s", r.Body)
	}
	ctWantIDs(t, "user's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), s)
}

// Two checkouts of one cart at once (a double click) when the cart holds
// only entries and tickets (so no cart_items row to lock): the owner lock
// makes the second wait and find the cart empty, a 409, never an empty
// order.
func TestCartConcurrentCheckoutsMakeOneOrder(t *testing.T) {
	e := ctPlatform(t)
	c := ctFill(t, e, ctUser(), 0, 0, 2)
	wantStatus(t, action(t, e.blog, "page-config-ensure", ctQMap("container-type", "page", "container-id", c.container)), 200)

	// Hold the tickets so that both checkouts reach the claim before either commits.
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "select id from tickets where id = any($1) for update", c.tickets); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(ctWith(c.owner, "container-type", "page", "container-id", c.container))
	type result struct {
		status int
		body   string
		err    error
	}
	results := make(chan result, 2)
	for i := 0; i < 2; i++ {
		go func() {
			resp, err := http.Post(e.cart+"/internal/actions/create-order", "application/json", bytes.NewReader(body))
			if err != nil {
				results <- result{err: err}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results <- result{status: resp.StatusCode, body: string(b)}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for scalar[int64](t, `select count(*) from pg_stat_activity
		where datname = current_database() and wait_event_type = 'Lock'`) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the checkouts never waited for the tickets")
		}
		time.Sleep(10 * time.Millisecond)
	}
	tx.Rollback(ctx)

	statuses := map[int]int{}
	for i := 0; i < 2; i++ {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		statuses[r.status]++
		if r.status == 200 {
			t.Logf("create-order: %s", r.body)
		}
	}
	orders := column(t, "select id || ' total ' || total_amount from orders where user_id = $1 order by id", c.owner["user-id"])
	if statuses[200] != 1 || statuses[409] != 1 || len(orders) != 1 {
		t.Fatalf("two concurrent checkouts: statuses %v, orders %v; want one order and one 409 (cart empty)", statuses, orders)
	}
}

// record-checkout with a checkout id already recorded for another order is
// a 409 that says so (not the unique index's 500).
func TestCartRecordCheckoutIDOfAnotherOrder(t *testing.T) {
	e := ctPlatform(t)
	o1 := num(t, ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))["id"])
	o2 := num(t, ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))["id"])
	checkout := "chk-" + uniq(t)
	wantStatus(t, action(t, e.cart, "record-checkout", ctQMap("order-id", o1, "checkout-id", checkout)), 200)
	wantError(t, action(t, e.cart, "record-checkout", ctQMap("order-id", o2, "checkout-id", checkout)), 409, "checkout")
	if n := scalar[int64](t, "select count(*) from orders where id = $1 and sumup_checkout_id is null", o2); n != 1 {
		t.Fatal("the second order took the checkout")
	}
}

// session-login with an empty session id is refused: its user.login
// activity could never succeed and would be retried until marked failed.
func TestCartSessionLoginWithEmptySession(t *testing.T) {
	e := ctPlatform(t)
	uid := ctInt()
	r := action(t, e.cart, "session-login", map[string]any{"user-id": uid, "session-id": ""})
	if r.Status == 200 {
		ctProcess(t, e)
		t.Logf("user.login: %v", column(t, `select process_state || ' ' || coalesce(last_error, '') from ap_activities
			where origin_app = 'cart' and activity_type = 'user.login' and payload->>'user-id' = $1`, itoa(uid)))
		// Mark it failed so that later runs do not retry it.
		exec(t, `update ap_activities set process_state = 'failed' where origin_app = 'cart'
			and activity_type = 'user.login' and payload->>'user-id' = $1`, itoa(uid))
	}
	wantBadParam(t, r, "session-id")
}

// The internal inbox: market's Add / Update / Remove of a rose:CartItem.
func TestCartInbox(t *testing.T) {
	e := ctPlatform(t)
	uid := ctInt()
	pid, slug := ctProduct(t, e, "Oats", 2.35)
	inbox := func(typ string, object map[string]any) call {
		return request(t, "POST", e.cart+"/internal/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "type": typ, "object": object})
	}
	item := func(kv ...any) map[string]any {
		return ctWith(map[string]any{"type": "rose:CartItem", "user_id": uid, "product_id": pid}, kv...)
	}
	lines := func() []any { return wantArr(t, query(t, e.cart, "cart-items", "user-id="+itoa(uid))) }

	add := wantObj(t, inbox("Add", item("quantity", 2)))
	if num(t, add["quantity"]) != 2 || add["product_slug"] != slug {
		t.Fatalf("Add: %v", add)
	}
	wantStatus(t, inbox("Add", item()), 200) // default quantity 1
	if l := lines(); len(l) != 1 || num(t, l[0].(map[string]any)["quantity"]) != 3 {
		t.Fatalf("after two Adds: %v", l)
	}
	if up := wantObj(t, inbox("Update", item("quantity", 5))); num(t, up["quantity"]) != 5 {
		t.Fatalf("Update: %v", up)
	}
	if rm := wantObj(t, inbox("Remove", item())); rm["removed"] != true {
		t.Fatalf("Remove: %v", rm)
	}
	if l := lines(); len(l) != 0 {
		t.Fatalf("after Remove: %v", l)
	}
	if rm := wantObj(t, inbox("Remove", item())); rm["removed"] != false {
		t.Fatalf("Remove again: %v", rm)
	}
	// Update of a product not in the cart puts it there; to 0 is nothing.
	wantNull(t, inbox("Update", item("quantity", 0)))
	if up := wantObj(t, inbox("Update", item("quantity", 4))); num(t, up["quantity"]) != 4 {
		t.Fatalf("Update of a product not in the cart: %v", up)
	}

	// Bad activities are 400s that say what is wrong, and change nothing.
	wantError(t, inbox("Like", item()), 400, "type must be Add, Update or Remove")
	wantError(t, inbox("Add", ctWith(item(), "type", "Note")), 400, "rose:CartItem")
	wantError(t, inbox("Add", ctWith(item(), "product_id", "seven")), 400, "product_id")
	wantError(t, inbox("Add", ctWith(item(), "quantity", 1.5)), 400, "quantity")
	wantError(t, inbox("Update", item()), 400, "quantity is required")
	wantError(t, inbox("Add", map[string]any{"type": "rose:CartItem", "product_id": pid}), 400, "user-id or a non-blank session-id")
	for _, typ := range []string{"Update", "Remove"} {
		wantError(t, inbox(typ, map[string]any{"type": "rose:CartItem", "product_id": pid, "quantity": 0}), 400, "user-id or a non-blank session-id")
	}
	wantError(t, inbox("Add", ctWith(item(), "product_id", ctInt())), 400, "product-id")
	if l := lines(); len(l) != 1 || num(t, l[0].(map[string]any)["quantity"]) != 4 {
		t.Fatalf("bad activities changed the cart: %v", l)
	}
}

// ---------------------------------------------------------------------------
// Second review: unpaid clears, concurrent adds, adoption races, containers.
// ---------------------------------------------------------------------------

// ctResult is the answer to a request made in a goroutine.
type ctResult struct {
	status int
	body   string
	err    error
}

// ctAsync posts an action from a goroutine (no t.Fatal there); the answer
// arrives on the channel.
func ctAsync(base, name string, body map[string]any) <-chan ctResult {
	out := make(chan ctResult, 1)
	b, _ := json.Marshal(body)
	go func() {
		resp, err := http.Post(base+"/internal/actions/"+name, "application/json", bytes.NewReader(b))
		if err != nil {
			out <- ctResult{err: err}
			return
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		out <- ctResult{status: resp.StatusCode, body: string(rb)}
	}()
	return out
}

// ctWaitForLockWaiters waits until n sessions of the test database wait
// for a lock (a row lock or an advisory lock).
func ctWaitForLockWaiters(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for scalar[int64](t, `select count(*) from pg_stat_activity
		where datname = current_database() and wait_event_type = 'Lock'`) < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d sessions ever waited for a lock", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ctOwnerLock opens a transaction holding cart's advisory lock of an owner
// (as create-order, add-to-cart and adopt-cart take it), for the test to
// write in and then commit or roll back.
func ctOwnerLock(t *testing.T, key string) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(ctx) })
	if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(8003, hashtext($1))", key); err != nil {
		t.Fatal(err)
	}
	return tx
}

// clear-cart-for-order clears only a paid order's lines: a pending (or
// failed) order's lines are still the shopper's, and failing the order
// must give them back.
func TestCartClearCartForOrderRefusesUnpaid(t *testing.T) {
	e := ctPlatform(t)
	c := ctFill(t, e, ctUser(), 2, 0, 0)
	id := num(t, ctOrder(t, e, c)["id"])

	wantError(t, action(t, e.cart, "clear-cart-for-order", ctQMap("order-id", id)), 409,
		"order "+itoa(id)+" is pending; only a paid order's lines are cleared")
	for _, l := range c.lines {
		if st := ctLineState(t, l); st != itoa(id) {
			t.Fatalf("a refused clear touched line %d: %s", l, st)
		}
	}
	wantStatus(t, action(t, e.cart, "fail-order", ctQMap("order-id", id, "status", "failed")), 200)
	ctReleased(t, e, c)

	// A failed order's lines are back in the cart: clearing it is refused too.
	wantError(t, action(t, e.cart, "clear-cart-for-order", ctQMap("order-id", id)), 409, "is failed")
	for _, l := range c.lines {
		if st := ctLineState(t, l); st != "-" {
			t.Fatalf("a refused clear touched line %d: %s", l, st)
		}
	}
}

// Ten add-to-cart calls at once for one session and a product not yet in
// its cart: all succeed and the line holds all ten.
func TestCartConcurrentAddsOfANewProduct(t *testing.T) {
	e := ctPlatform(t)
	for round, owner := range []map[string]any{ctSession(t), ctUser()} {
		pid, _ := ctProduct(t, e, "Oats", 2.35)
		const n = 10
		var results []<-chan ctResult
		for i := 0; i < n; i++ {
			results = append(results, ctAsync(e.cart, "add-to-cart", ctWith(owner, "product-id", pid)))
		}
		for _, ch := range results {
			r := <-ch
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.status != 200 {
				t.Errorf("round %d: concurrent add: %d %s", round, r.status, r.body)
			}
		}
		items := wantArr(t, query(t, e.cart, "cart-items", ctQ(owner)))
		if len(items) != 1 || num(t, ctObj(t, items[0])["quantity"]) != n {
			t.Fatalf("round %d: after %d concurrent adds of 1: %v", round, n, items)
		}
	}
}

// Sign-in while a checkout of the user's cart holds the user (its owner
// lock, the line it claims): adoption waits for it. Rolled back, the
// session's line merges into the user's; committed (the line now claimed),
// the session's line moves to the user beside it. Nothing is lost.
func TestCartAdoptWaitsForCheckout(t *testing.T) {
	e := ctPlatform(t)
	for _, commit := range []bool{false, true} {
		user, sess := ctUser(), ctSession(t)
		uid := user["user-id"].(int64)
		oats, _ := ctProduct(t, e, "Oats", 2)
		tea, _ := ctProduct(t, e, "Tea", 3)
		uOats := num(t, ctAdd(t, e, user, oats, 3)["id"])
		sOats := num(t, ctAdd(t, e, sess, oats, 2)["id"])
		sTea := num(t, ctAdd(t, e, sess, tea, 1)["id"])

		// The checkout: the user's lock, and the user's line locked and claimed.
		ctx := context.Background()
		tx := ctOwnerLock(t, "u:"+itoa(uid))
		order := ctInt()
		if _, err := tx.Exec(ctx, "select id from cart_items where id = $1 for update", uOats); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "update cart_items set order_id = $2, updated_at = now() where id = $1", uOats, order); err != nil {
			t.Fatal(err)
		}
		adopt := ctAsync(e.cart, "adopt-cart", ctWith(user, "session-id", sess["session-id"]))
		ctWaitForLockWaiters(t, 1)
		select {
		case r := <-adopt:
			t.Fatalf("commit %v: adopt-cart did not wait for the checkout: %d %s", commit, r.status, r.body)
		case <-time.After(50 * time.Millisecond):
		}
		var err error
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		r := <-adopt
		if r.err != nil || r.status != 200 {
			t.Fatalf("commit %v: adopt-cart: %v %d %s", commit, r.err, r.status, r.body)
		}

		if commit {
			if st := ctLineState(t, uOats); st != itoa(order) {
				t.Fatalf("the claimed line: %s", st)
			}
			ctWantIDs(t, "user's cart after a checkout", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), sOats, sTea)
		} else {
			ctWantIDs(t, "user's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), uOats, sTea)
			if st := ctLineState(t, sOats); st != "-/deleted" {
				t.Fatalf("merged session line: %s", st)
			}
		}
		// Every unit is the user's, claimed or in the cart.
		if q := scalar[int64](t, `select coalesce(sum(quantity), 0) from cart_items
			where user_id = $1 and product_id = $2 and deleted_at is null`, uid, oats); q != 5 {
			t.Fatalf("commit %v: the user holds %d oats, want 5", commit, q)
		}
		ctWantIDs(t, "session's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(sess))))
	}
}

// Sign-in while an add to the session's cart is under way (it holds the
// session's owner lock and has written its line): adoption waits and moves
// that line too.
func TestCartAdoptWaitsForAdd(t *testing.T) {
	e := ctPlatform(t)
	user, sess := ctUser(), ctSession(t)
	jam, _ := ctProduct(t, e, "Jam", 4)
	s1 := num(t, ctAdd(t, e, sess, jam, 1)["id"])
	tea, tslug := ctProduct(t, e, "Tea", 3)

	ctx := context.Background()
	tx := ctOwnerLock(t, "s:"+sess["session-id"].(string))
	var s2 int64
	if err := tx.QueryRow(ctx, `insert into cart_items (session_id, product_id, quantity, product_title, product_slug, unit_price)
		values ($1, $2, 2, 'Tea', $3, 3) returning id`, sess["session-id"], tea, tslug).Scan(&s2); err != nil {
		t.Fatal(err)
	}
	adopt := ctAsync(e.cart, "adopt-cart", ctWith(user, "session-id", sess["session-id"]))
	ctWaitForLockWaiters(t, 1)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-adopt
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"adopted":2`) {
		t.Fatalf("adopt-cart: %v %d %s", r.err, r.status, r.body)
	}
	ctWantIDs(t, "user's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), s1, s2)
	ctWantIDs(t, "session's cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(sess))))
}

// A product goes in a cart under a page only when the product's market
// place is attached to that page (whose SumUp account takes the payment).
func TestCartAddUnderAPageWithoutTheMarket(t *testing.T) {
	e := ctPlatform(t)
	user := ctUser()
	shop, elsewhere := ctInt(), ctInt()
	ctAttach(t, e, shop)
	pid, _ := ctProduct(t, e, "Oats", 2.35)

	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(user, "product-id", pid,
		"container-type", "page", "container-id", elsewhere)), "container-id")
	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(user, "product-id", pid,
		"container-type", "post", "container-id", shop)), "container-id")
	// Through the inbox too.
	r := request(t, "POST", e.cart+"/internal/inbox", map[string]any{"type": "Add", "object": map[string]any{
		"type": "rose:CartItem", "user_id": user["user-id"], "product_id": pid,
		"container_type": "page", "container_id": elsewhere}})
	wantBadParam(t, r, "container-id")
	if n := scalar[int64](t, "select count(*) from cart_items where product_id = $1", pid); n != 0 {
		t.Fatalf("refused adds wrote %d lines", n)
	}

	line := ctAdd(t, e, user, pid, 1, "container-type", "page", "container-id", shop)
	if num(t, line["container_id"]) != shop {
		t.Fatalf("line: %v", line)
	}
	// Not in the market's page any more: refused, the line unchanged.
	wantStatus(t, action(t, e.blog, "detach-child", map[string]any{"parent-type": "page", "parent-id": shop,
		"child-type": "market", "child-id": e.marketID}), 200)
	wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(user, "product-id", pid,
		"container-type", "page", "container-id", shop)), "container-id")
	if q := scalar[int32](t, "select quantity from cart_items where id = $1", num(t, line["id"])); q != 1 {
		t.Fatalf("a refused add made the quantity %d", q)
	}

	// Without a container no page is checked, and none is chosen: the line
	// has no container even when the market is on exactly one page.
	other := ctUser()
	ctAttach(t, e, elsewhere)
	loose := ctAdd(t, e, other, pid, 1)
	if loose["container_type"] != nil || loose["container_id"] != nil {
		t.Fatalf("line without a container: %v", loose)
	}
}

// Cancelling an order while an add of the same product to the owner's
// cart is under way (it holds the owner's lock and has written a new
// line): the cancel waits, then merges the claimed line into the new one
// (no unique violation, no lost quantity).
func TestCartCancelWaitsForAdd(t *testing.T) {
	e := ctPlatform(t)
	sess := ctSession(t)
	pid, slug := ctProduct(t, e, "Oats", 2.35)
	claimed := num(t, ctAdd(t, e, sess, pid, 2)["id"])
	id := num(t, wantObj(t, action(t, e.cart, "create-order", sess))["id"])

	ctx := context.Background()
	tx := ctOwnerLock(t, "s:"+sess["session-id"].(string))
	var added int64
	if err := tx.QueryRow(ctx, `insert into cart_items (session_id, product_id, quantity, product_title, product_slug, unit_price)
		values ($1, $2, 1, 'Oats', $3, 2.35) returning id`, sess["session-id"], pid, slug).Scan(&added); err != nil {
		t.Fatal(err)
	}
	cancel := ctAsync(e.cart, "cancel-order", ctQMap("order-id", id))
	ctWaitForLockWaiters(t, 1)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if r := <-cancel; r.err != nil || r.status != 200 {
		t.Fatalf("cancel-order: %v %d %s", r.err, r.status, r.body)
	}
	items := wantArr(t, query(t, e.cart, "cart-items", ctQ(sess)))
	ctWantIDs(t, "cart after cancelling", items, added)
	if q := num(t, ctObj(t, items[0])["quantity"]); q != 3 {
		t.Fatalf("quantity %d, want 3", q)
	}
	if st := ctLineState(t, claimed); st != itoa(id)+"/deleted" {
		t.Fatalf("the merged claimed line: %s", st)
	}
}

// A blank session id is no owner, for cart's own queries and actions too.
func TestCartBlankSessionIsNoOwner(t *testing.T) {
	e := ctPlatform(t)
	ctNoOwner(t, query(t, e.cart, "cart-items", "session-id=%20%20"))
	ctNoOwner(t, action(t, e.cart, "remove-cart-item", map[string]any{"session-id": " ", "item-id": 1}))
}

// ---------------------------------------------------------------------------
// Third review: pageless lines at checkout, inbox types, blank containers.
// ---------------------------------------------------------------------------

// An order's lines all belong to its page, or it has no page at all. A
// product added without a container (its market may sit under another
// page) must not be paid into the account of the page a ticket or entry
// of the cart is in: without a page given, a cart mixing lines without a
// page with lines of a page is refused and nothing is written.
func TestCartCheckoutMixesLinesWithoutAPage(t *testing.T) {
	e := ctPlatform(t)
	sess := ctSession(t)
	shop := ctInt()
	ctAttach(t, e, shop) // the market sits under the shop page
	hall, hallCal := ctPage(t)
	pid, _ := ctProduct(t, e, "Oats", 2.35)
	loose := num(t, ctAdd(t, e, sess, pid, 2)["id"]) // no container
	ticket := ctReserve(t, e, sess, hallCal, 5, 1)[0]
	orders := func() int64 {
		return scalar[int64](t, "select count(*) from orders where session_id = $1", sess["session-id"])
	}

	c := action(t, e.cart, "create-order", sess)
	wantBadParam(t, c, "container-type")
	if !strings.Contains(c.Body, "mixes lines without a page with lines of a page") {
		t.Fatalf("the 400 does not say why: %s", c.Body)
	}
	if n := orders(); n != 0 {
		t.Fatalf("a refused checkout made %d orders", n)
	}
	if st := ctLineState(t, loose); st != "-" {
		t.Fatalf("line: %s", st)
	}
	if st := ctTicketState(t, ticket); st != "reserved/-" {
		t.Fatalf("ticket: %s", st)
	}
	if n := scalar[int64](t, "select count(*) from page_configs where container_type = 'page' and container_id = $1", hall); n != 0 {
		t.Fatal("a refused checkout made a page config")
	}

	// The hall's page: its ticket only; the line without a page is not swept in.
	o := wantObj(t, action(t, e.cart, "create-order", ctWith(sess, "container-type", "page", "container-id", hall)))
	if num(t, o["container_id"]) != hall {
		t.Fatalf("order of the hall: %v", o)
	}
	if items, _ := o["items"].([]any); len(items) != 0 {
		t.Fatalf("the hall's order took product lines: %v", o["items"])
	}
	ctWantMoney(t, "hall total", o["total_amount"], "5")
	if st := ctLineState(t, loose); st != "-" {
		t.Fatalf("line after the hall's checkout: %s", st)
	}
	// What is left has no page: an order without one.
	o = wantObj(t, action(t, e.cart, "create-order", sess))
	if o["container_type"] != nil || o["container_id"] != nil || o["page_config_id"] != nil {
		t.Fatalf("order without a page: %v", o)
	}
	ctWantMoney(t, "pageless total", o["total_amount"], "4.70")
	if st := ctLineState(t, loose); st != itoa(num(t, o["id"])) {
		t.Fatalf("line: %s", st)
	}

	// A line without a page beside a line of a page, or beside an entry: refused too.
	for _, withEntry := range []bool{false, true} {
		u := ctUser()
		p2, _ := ctProduct(t, e, "Tea", 1)
		ctAdd(t, e, u, p2, 1)
		if withEntry {
			ctBook(t, e, u, hallCal, 2)
		} else {
			p3, _ := ctProduct(t, e, "Jam", 4)
			ctAdd(t, e, u, p3, 1, "container-type", "page", "container-id", shop)
		}
		wantBadParam(t, action(t, e.cart, "create-order", u), "container-type")
		if n := scalar[int64](t, "select count(*) from orders where user_id = $1", u["user-id"]); n != 0 {
			t.Fatalf("a refused checkout made %d orders", n)
		}
	}
}

// When the page is inferred, the entries and tickets claimed are the
// page's: one of another page put in the cart while the checkout runs
// (events does not take cart's owner lock) stays in the cart. A trigger
// puts it there just after the order row is written.
func TestCartInferredCheckoutClaimsOnlyItsPage(t *testing.T) {
	e := ctPlatform(t)
	user := ctUser()
	c := ctFill(t, e, user, 1, 1, 1)
	_, otherCal := ctPage(t)
	otherEntry := scalar[int64](t, `insert into calendar_entries (calendar_id, name, start_at, state)
		values ($1, 'Elsewhere', '2032-06-01T19:00:00Z', 'confirmed') returning id`, otherCal)
	otherType := scalar[int64](t, `insert into ticket_types (entry_id, name, price, count)
		values ($1, 'Seat', 9, 100) returning id`, otherEntry)
	exec(t, fmt.Sprintf(`create or replace function carttest_sneak() returns trigger language plpgsql as $$
		begin
			if new.email = 'carttest-sneak@example.com' then
				insert into tickets (entry_id, ticket_type_id, code, price, user_id)
				values (%d, %d, 'carttest-sneak-' || new.id, 9, new.user_id);
				insert into calendar_entries (calendar_id, name, start_at, state, cost, user_id)
				values (%d, 'carttest-sneak-' || new.id, '2032-06-02T19:00:00Z', 'pending', 7, new.user_id);
			end if;
			return new;
		end $$`, otherEntry, otherType, otherCal))
	exec(t, "drop trigger if exists carttest_sneak on orders")
	exec(t, "create trigger carttest_sneak after insert on orders for each row execute function carttest_sneak()")
	t.Cleanup(func() {
		exec(t, "drop trigger if exists carttest_sneak on orders")
		exec(t, "drop function if exists carttest_sneak()")
	})

	o := wantObj(t, action(t, e.cart, "create-order", ctWith(user, "email", "carttest-sneak@example.com")))
	id := num(t, o["id"])
	if num(t, o["container_id"]) != c.container {
		t.Fatalf("order: %v", o)
	}
	// 2 × 2.35 + 0.55 + 3.10; not the other page's 9 and 7.
	ctWantMoney(t, "total", o["total_amount"], "8.35")
	if st := scalar[string](t, "select state || '/' || coalesce(order_id::text, '-') from tickets where code = $1",
		"carttest-sneak-"+itoa(id)); st != "reserved/-" {
		t.Fatalf("the other page's ticket: %s", st)
	}
	if st := scalar[string](t, "select state || '/' || coalesce(order_id::text, '-') from calendar_entries where name = $1",
		"carttest-sneak-"+itoa(id)); st != "pending/-" {
		t.Fatalf("the other page's entry: %s", st)
	}
	if st := ctEntryState(t, c.entries[0]); st != "ordered/"+itoa(id) {
		t.Fatalf("the page's entry: %s", st)
	}
	if st := ctTicketState(t, c.tickets[0]); st != "ordered/"+itoa(id) {
		t.Fatalf("the page's ticket: %s", st)
	}
}

// The inbox checks the types of what it passes on: a 400 naming the field,
// not a 500, and nothing written.
func TestCartInboxFieldTypes(t *testing.T) {
	e := ctPlatform(t)
	pid, _ := ctProduct(t, e, "Oats", 2.35)
	shop := ctInt()
	ctAttach(t, e, shop)
	sess := "cart-sess-" + uniq(t)
	inbox := func(typ string, object map[string]any) call {
		return request(t, "POST", e.cart+"/internal/inbox", map[string]any{"type": typ, "object": object})
	}
	item := func(kv ...any) map[string]any {
		return ctWith(map[string]any{"type": "rose:CartItem", "session_id": sess, "product_id": pid, "quantity": 1}, kv...)
	}
	for _, typ := range []string{"Add", "Update", "Remove"} {
		for _, bad := range []struct {
			field string
			value any
		}{
			{"session_id", []any{"a", "b"}},
			{"session_id", map[string]any{"id": "a"}},
			{"session_id", 7},
			{"container_type", []any{"page"}},
			{"container_type", map[string]any{"page": 1}},
			{"container_type", 1},
			{"container_id", "1"},
			{"container_id", 1.5},
			{"container_id", []any{1}},
		} {
			obj := item(bad.field, bad.value)
			if bad.field == "container_type" {
				obj["container_id"] = shop
			} else if bad.field == "container_id" {
				obj["container_type"] = "page"
			}
			c := inbox(typ, obj)
			wantError(t, c, 400, "object."+bad.field)
		}
		// With a user id, a bad session id is still refused.
		wantError(t, inbox(typ, item("user_id", ctInt(), "session_id", []any{1})), 400, "object.session_id")
	}
	// A blank container type is refused by add-to-cart.
	wantBadParam(t, inbox("Add", item("container_type", " ", "container_id", shop)), "container-type")
	if n := scalar[int64](t, "select count(*) from cart_items where product_id = $1", pid); n != 0 {
		t.Fatalf("refused activities wrote %d lines", n)
	}
	// Well typed, it works.
	l := wantObj(t, inbox("Add", item("container_type", "page", "container_id", shop)))
	if num(t, l["container_id"]) != shop {
		t.Fatalf("line: %v", l)
	}
}

// A blank container-type is a caller's mistake, not "every page" or
// "no page": 400 naming container-type, and nothing written.
func TestCartBlankContainerType(t *testing.T) {
	e := ctPlatform(t)
	user := ctUser()
	c := ctFill(t, e, user, 1, 1, 1)
	for _, blank := range []string{" ", "\t", "  \n "} {
		for _, name := range []string{"cart-items", "cart-summary"} {
			wantBadParam(t, query(t, e.cart, name, ctQ(user, "container-type", blank, "container-id", c.container)), "container-type")
			wantBadParam(t, query(t, e.cart, name, ctQ(user, "container-type", blank)), "container-type")
		}
		wantBadParam(t, action(t, e.cart, "create-order", ctWith(user, "container-type", blank, "container-id", c.container)), "container-type")
		wantBadParam(t, action(t, e.cart, "create-order", ctWith(user, "container-type", blank)), "container-type")
		p, _ := ctProduct(t, e, "Tea", 1)
		wantBadParam(t, action(t, e.cart, "add-to-cart", ctWith(user, "product-id", p, "container-type", blank,
			"container-id", c.container)), "container-type")
	}
	if n := scalar[int64](t, "select count(*) from orders where user_id = $1", user["user-id"]); n != 0 {
		t.Fatalf("refused checkouts made %d orders", n)
	}
	ctWantIDs(t, "cart", wantArr(t, query(t, e.cart, "cart-items", ctQ(user))), c.lines...)
	if st := ctEntryState(t, c.entries[0]); st != "pending/-" {
		t.Fatalf("entry: %s", st)
	}
}

func TestCartOrderStatuses(t *testing.T) {
	e := ctPlatform(t)
	a := num(t, ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))["id"])
	b := num(t, ctOrder(t, e, ctFill(t, e, ctUser(), 1, 0, 0))["id"])
	wantStatus(t, action(t, e.cart, "cancel-order", map[string]any{"order-id": b}), 200)
	got := wantArr(t, query(t, e.cart, "order-statuses", "ids="+itoa(b)+","+itoa(ctInt())+","+itoa(a)))
	if len(got) != 2 || num(t, got[0].(map[string]any)["id"]) != a || got[0].(map[string]any)["status"] != "pending" ||
		num(t, got[1].(map[string]any)["id"]) != b || got[1].(map[string]any)["status"] != "cancelled" {
		t.Fatalf("order-statuses: %v", got)
	}
	wantBadParam(t, query(t, e.cart, "order-statuses", "ids=x"), "ids")
	many := make([]string, 1001)
	for i := range many {
		many[i] = itoa(int64(i + 1))
	}
	wantBadParam(t, query(t, e.cart, "order-statuses", "ids="+strings.Join(many, ",")), "ids")
}
