//go:build linux

package sites_test

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/internal/browsertest"
)

// TestScreenshots renders the market, cart and events pages at 1280 and
// 375 px into $SX_SCREENSHOTS (skipped without it): a member with a cart,
// tickets and a booking, as people will see them.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SX_SCREENSHOTS")
	if dir == "" {
		t.Skip("set SX_SCREENSHOTS to a directory to write the screenshots")
	}
	browsertest.Require(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	u := shared(t)
	b := newTab(t, true)
	// Ben, signed in on every service, with products and tickets in his cart.
	id := itoa(userID(t, "ben@coop.example"))
	for _, svc := range []string{"market", "cart", "events"} {
		b.open(u[svc] + "/__test/sign-in?" + url.Values{"id": {id}, "email": {"ben@coop.example"}, "name": {"Ben Grower"}}.Encode())
	}
	b.open(u["market"] + "/suma-market/product/organic-oats-1kg/")
	b.until("runtime", `document.documentElement.dataset.sxReady === 'true'`)
	b.do(`document.querySelector('#add-to-cart button[type=submit]').click()`)
	b.until("added", `document.querySelector('#add-to-cart .form-status').textContent.startsWith('Added')`)
	entry := u["events"] + "/whats-on/calendar/hall/entry/" + itoa(supperID(t)) + "/"
	b.open(entry)
	b.until("runtime", `document.documentElement.dataset.sxReady === 'true'`)
	b.do(`document.querySelector('#tickets form button').click()`)
	b.until("reserved", `document.querySelector('#tickets .form-status').textContent.startsWith('Added')`)
	paid := itoa(scalar[int64](t, "select min(o.id) from orders o join users u on u.id = o.user_id where u.email = 'ben@coop.example'"))
	pages := []struct{ name, url string }{
		{"market-home", u["market"] + "/suma-market/"},
		{"market-category", u["market"] + "/suma-market/pantry/grains/"},
		{"market-search", u["market"] + "/suma-market/?q=tea&sort=price-asc"},
		{"market-product", u["market"] + "/suma-market/product/organic-oats-1kg/"},
		{"cart-overview", u["cart"] + "/"},
		{"cart-page", u["cart"] + "/shop/"},
		{"cart-events-page", u["cart"] + "/whats-on/"},
		{"cart-orders", u["cart"] + "/orders/"},
		{"cart-order", u["cart"] + "/orders/" + paid + "/"},
		{"events-calendars", u["events"] + "/whats-on/calendars/"},
		{"events-month", u["events"] + "/whats-on/calendar/hall/"},
		{"events-day", u["events"] + "/whats-on/calendar/hall/day/" + nextSaturday().Format("2006/01/02") + "/"},
		{"events-entry", entry},
		{"events-tickets", u["events"] + "/tickets/"},
	}
	for _, width := range []int64{1280, 375} {
		for _, p := range pages {
			if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(p.url)); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			name := filepath.Join(dir, p.name+"-"+itoa(width)+".png")
			if err := os.WriteFile(name, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
