//go:build linux

package sites_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/internal/browsertest"
)

// tabOf is a Chromium tab with an until helper: a JavaScript condition
// polled for up to 5 s (an exception counts as "not yet").
type tabOf struct {
	t   *testing.T
	ctx context.Context
}

func newTab(t *testing.T, js bool) *tabOf {
	tab := browsertest.New(t)
	if !js {
		if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	return &tabOf{t: t, ctx: tab}
}

func (b *tabOf) open(url string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Navigate(url))
	if err != nil && strings.Contains(err.Error(), "ERR_ABORTED") {
		// A navigation the page itself started (the runtime following a
		// redirect it was answered) replaced ours: ask again.
		err = chromedp.Do(ctx, chromedp.Navigate(url))
	}
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
}

// do runs JavaScript in the page once (a click, a value set). A click that
// loads a page may end the evaluation: that is not an error.
func (b *tabOf) do(js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(function () { `+js+`; return null; })()`))
	if err != nil && !strings.Contains(err.Error(), "context") && !strings.Contains(err.Error(), "navigat") {
		b.t.Fatalf("%s: %v", js, err)
	}
}

func (b *tabOf) until(what, cond string) {
	b.t.Helper()
	// Polled from here, not with a timer in the page: a page without
	// JavaScript runs no timers (DevTools' evaluations still run).
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		var ok bool
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () { try { return !!(`+cond+`); } catch (e) { return false; } })()`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(40 * time.Millisecond)
	}
	html, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if len(html) > 6000 {
		html = html[:6000]
	}
	b.t.Fatalf("%s: %v\n%s", what, err, html)
}

// The browse form updates the results as the visitor types, keeps the
// page (no reload) and puts the filters in the address.
func TestBrowserMarketActiveSearch(t *testing.T) {
	browsertest.Require(t)
	u := shared(t)
	b := newTab(t, true)
	b.open(u["market"] + "/suma-market/")
	b.until("runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	b.do(`window.__same = 1`)
	b.do(`(el => { el.focus(); el.value = 'puy lent'; el.dispatchEvent(new Event('input', {bubbles: true})); })(document.querySelector('#browse-q'))`)
	b.until("results for puy lent", `document.querySelector('#results .result-count').textContent.startsWith('1 product matching')
		&& document.querySelector('#results').textContent.includes('Puy lentils 250g')
		&& !document.querySelector('#results').textContent.includes('olive oil')`)
	b.until("no reload, address follows", `window.__same === 1 && new URLSearchParams(location.search).get('q') === 'puy lent'`)
	// Another filter: clear the words, pick a brand.
	b.do(`document.querySelector('#browse-q').value = '', document.querySelector('#browse-brand').value = 'Biona',
		document.querySelector('#browse-brand').dispatchEvent(new Event('input', {bubbles: true}))`)
	b.until("results by brand", `document.querySelector('#results .result-count').textContent.includes('by Biona')
		&& new URLSearchParams(location.search).get('brand') === 'Biona' && window.__same === 1`)
}

// Add to cart answers the form and the header's badge out of band: the
// count changes and the page is not reloaded.
func TestBrowserAddToCartBadge(t *testing.T) {
	browsertest.Require(t)
	u := shared(t)
	b := newTab(t, true)
	b.open(u["market"] + "/suma-market/product/organic-oats-1kg/")
	b.until("runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	b.until("empty badge", `(window.__same = 1, document.querySelector('#cart-mini .cart-count').textContent === '0')`)
	b.do(`document.querySelector('#add-quantity').value = '2', document.querySelector('#add-to-cart button[type=submit]').click()`)
	b.until("badge updated without a reload", `document.querySelector('#cart-mini .cart-count').textContent === '2'
		&& document.querySelector('#add-to-cart .form-status').textContent.startsWith('Added 2')
		&& window.__same === 1 && location.pathname.endsWith('/organic-oats-1kg/')`)
	// Again: the swapped-in form works too.
	b.do(`document.querySelector('#add-to-cart button[type=submit]').click()`)
	b.until("badge updated again", `document.querySelector('#cart-mini .cart-count').textContent === '3' && window.__same === 1`)
	// The cart page (another service) has the line; its quantity changes in place.
	b.open(u["cart"] + "/shop/")
	b.until("the line in the page cart", `document.documentElement.dataset.sxReady === 'true'
		&& document.querySelector('#page-cart').textContent.includes('Organic porridge oats 1kg')`)
	b.do(`window.__cart = 1, document.querySelector('.cart-line-qty input[type=number]').value = '5',
		document.querySelector('.cart-line-qty button').click()`)
	b.until("quantity changed in place", `document.querySelector('#page-cart').textContent.includes('£11.75')
		&& document.querySelector('#cart-mini .cart-count').textContent === '5' && window.__cart === 1`)
}

// Previous and next month swap the month in place and push the address.
func TestBrowserCalendarMonthNavigation(t *testing.T) {
	browsertest.Require(t)
	u := shared(t)
	b := newTab(t, true)
	b.open(u["events"] + "/whats-on/calendar/hall/?month=2027-01")
	b.until("runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	b.until("January", `(window.__same = 1, document.querySelector('#month-title').textContent === 'January 2027')`)
	b.do(`document.querySelector('.month-next').click()`)
	b.until("February in place", `document.querySelector('#month-title').textContent === 'February 2027'
		&& location.search === '?month=2027-02' && window.__same === 1`)
	b.do(`document.querySelector('.month-prev').click()`)
	b.until("January again", `document.querySelector('#month-title').textContent === 'January 2027' && location.search === '?month=2027-01'`)
	b.do(`document.querySelector('.month-prev').click()`)
	b.until("December", `document.querySelector('#month-title').textContent === 'December 2026' && window.__same === 1`)
}

// The same pages with JavaScript disabled: the forms and links work as
// plain HTML.
func TestBrowserWithoutJavaScript(t *testing.T) {
	browsertest.Require(t)
	u := shared(t)
	b := newTab(t, false)
	b.open(u["market"] + "/suma-market/")
	b.until("no runtime", `document.readyState === 'complete' && document.documentElement.dataset.sxReady === undefined`)
	b.do(`document.querySelector('#browse-q').value = 'vinegar', document.querySelector('.browse-form button[type=submit]').click()`)
	b.until("search by a page load", `location.search.includes('q=vinegar')
		&& document.querySelector('#results').textContent.includes('Apple cider vinegar')
		&& !document.querySelector('#results').textContent.includes('olive oil')`)
	b.open(u["market"] + "/suma-market/product/apples-kg/")
	b.do(`document.querySelector('#add-to-cart button[type=submit]').click()`)
	b.until("added, back on the product", `location.search === '?added=1'
		&& document.querySelector('#add-to-cart .form-status').textContent === 'Added 1 to your cart.'
		&& document.querySelector('#cart-mini .cart-count').textContent === '1'`)
	b.open(u["cart"] + "/shop/")
	b.until("page cart", `document.querySelector('#page-cart').textContent.includes('Local apples')`)
	b.do(`document.querySelector('.cart-line-remove button').click()`)
	b.until("removed by a page load", `location.pathname === '/shop/' && document.querySelector('#page-cart').textContent.includes('Nothing from')`)
	b.open(u["events"] + "/whats-on/calendar/hall/?month=2027-01")
	b.do(`document.querySelector('.month-next').click()`)
	b.until("next month by a page load", `location.search === '?month=2027-02' && document.querySelector('#month-title').textContent === 'February 2027'`)
	b.open(u["events"] + "/whats-on/calendar/hall/entry/" + itoa(supperID(t)) + "/")
	b.do(`document.querySelector('#tickets form button').click()`)
	b.until("tickets reserved", `document.querySelector('#tickets .form-status').textContent.startsWith('Added 1 Adult ticket')`)
}

// A reservation refused by the server (the last place went meanwhile)
// shows the server's message in the form's status line; the page stays.
func TestBrowserSoldOutMeanwhile(t *testing.T) {
	browsertest.Require(t)
	u := shared(t)
	exec(t, `insert into calendar_entries (calendar_id, name, start_at, state, cost)
	         values ((select id from calendars where slug = 'hall'), 'Last place supper', now() + interval '5 days', 'confirmed', 0)`)
	entry := scalar[int64](t, "select max(id) from calendar_entries where name = 'Last place supper'")
	exec(t, "insert into ticket_types (entry_id, name, price, count) values ($1, 'Seat', 5, 1)", entry)
	b := newTab(t, true)
	b.open(u["events"] + "/whats-on/calendar/hall/entry/" + itoa(entry) + "/")
	b.until("one left", `document.documentElement.dataset.sxReady === 'true'
		&& document.querySelector('#tickets').textContent.includes('1 left')`)
	// Someone else takes the last seat.
	exec(t, `insert into tickets (entry_id, ticket_type_id, code, price, session_id)
	         select $1, id, 'taken-' || id, 5, 'someone' from ticket_types where entry_id = $1`, entry)
	b.do(`window.__same = 1, document.querySelector('#tickets form button').click()`)
	b.until("the server's refusal in the status line", `document.querySelector('#tickets-status').textContent.includes('only 0 tickets left')
		&& window.__same === 1`)
}

// Scrolling to the end of a listing brings the next page's products into
// the same list (the "More products" link is followed when revealed).
func TestBrowserMarketInfiniteScroll(t *testing.T) {
	browsertest.Require(t)
	u := shared(t)
	b := newTab(t, true)
	b.open(u["market"] + "/suma-market/")
	b.until("runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	b.until("24 products and a next link", `(window.__same = 1, document.querySelectorAll('.product-grid .product-card').length === 24
		&& document.querySelector('#more a').getAttribute('href').endsWith('?page=2'))`)
	b.do(`document.querySelector('#more').scrollIntoView()`)
	b.until("page 2 appended", `document.querySelectorAll('.product-grid .product-card').length === 48
		&& document.querySelector('#more a').getAttribute('href').endsWith('?page=3') && window.__same === 1`)
	b.do(`document.querySelector('#more').scrollIntoView()`)
	b.until("page 3 appended", `document.querySelectorAll('.product-grid .product-card').length === 72`)
	// Each product once, in order.
	b.until("no duplicates", `new Set([...document.querySelectorAll('.product-card-link')].map(a => a.getAttribute('href'))).size === 72`)
}

// The next page's products come in where the "More products" link was and
// the view stays there: the browser's scroll anchoring once pinned a node
// of the new content and scrolled past the rest, so the next link showed
// at once and every page loaded in a row. The link at the very top of the
// view (scrollIntoView) is the case that did it, from the second append.
func TestBrowserMarketInfiniteScrollStaysPut(t *testing.T) {
	browsertest.Require(t)
	u := shared(t)
	b := newTab(t, true)
	b.open(u["market"] + "/suma-market/")
	b.until("runtime ready", `document.documentElement.dataset.sxReady === 'true'
		&& document.querySelectorAll('.product-grid .product-card').length === 24`)
	for _, n := range []string{"48", "72"} {
		b.do(`document.querySelector('#more').scrollIntoView(), window.__y = scrollY`)
		b.until(n+" products, the view where the link was", `document.querySelectorAll('.product-grid .product-card').length === `+n+`
			&& scrollY === window.__y
			&& document.querySelectorAll('.product-grid .product-card')[`+n+` - 24].getBoundingClientRect().top < innerHeight
			&& document.querySelector('#more').getBoundingClientRect().top > innerHeight`)
	}
}
