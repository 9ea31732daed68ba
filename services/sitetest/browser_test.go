//go:build linux

package sitetest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/internal/browsertest"
)

// tab opens a Chromium tab for visitor v (its session cookies set for
// every service) with a viewport of width × 900.
func (v *visitor) tab(t *testing.T, width int64) context.Context {
	t.Helper()
	tab := browsertest.New(t)
	for s, c := range v.cookies {
		name, value, _ := strings.Cut(c, "=")
		if _, err := chromedp.Call(tab, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: urls[s] + "/"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 900)); err != nil {
		t.Fatal(err)
	}
	return tab
}

// until waits (5 s) for a JavaScript condition in the tab; an exception
// counts as "not yet" (a page may be half-parsed after a navigation).
func until(t *testing.T, tab context.Context, what, cond string) {
	t.Helper()
	var ok bool
	var err error
	for try := 0; try < 5 && !ok; try++ {
		ok, err = chromedp.Run(tab, chromedp.Evaluate[bool](`new Promise((done) => {
			const t0 = Date.now();
			(function poll() {
				let met = false;
				try { met = !!(`+cond+`); } catch (e) {}
				if (met) done(true);
				else if (Date.now() - t0 > 5000) done(false);
				else setTimeout(poll, 30);
			})();
		})`, chromedp.EvalAwaitPromise))
	}
	if err != nil || !ok {
		html, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		t.Fatalf("%s: %v\n%s", what, err, clip(html))
	}
}

func navigate(t *testing.T, tab context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(u)); err != nil {
		t.Fatal(err)
	}
}

// Blog home → a post → Back, boosted: only #site-page (the content and
// aside) is swapped — the page is not reloaded and the header stays the
// same node —, the URL and title follow, so does the account menu's sign-in
// link, and Back brings the listing back at the place it was scrolled to.
func TestBrowserBlogHomePostBack(t *testing.T) {
	tab := anon.tab(t, 1280)
	navigate(t, tab, urls["blog"]+"/")
	until(t, tab, "runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	until(t, tab, "scroll down the listing", `(window.__same = 1, window.__header = document.querySelector('header.site-header'), window.scrollTo(0, 700), window.scrollY === 700)`)
	until(t, tab, "open a post", `(document.querySelector('#posts a[href$="/bread-week/"]:not([tabindex])').click(), true)`)
	until(t, tab, "the post, boosted, at the top", `document.querySelector('h1').textContent === 'Bread week' && window.__same === 1 && window.scrollY === 0`)
	until(t, tab, "URL and title follow", `location.pathname === '/bread-week/' && document.title === 'Bread week · Rose Ash Co-op'`)
	until(t, tab, "the header stayed", `document.querySelectorAll('#sx-root header.site-header').length === 1 && document.querySelector('header.site-header') === window.__header && document.querySelectorAll('#sx-root title').length === 0`)
	until(t, tab, "sign-in comes back to the post", `document.querySelector('#site-account a.auth-sign-in').getAttribute('href').endsWith('/auth/login?next=%2Fbread-week%2F')`)
	until(t, tab, "back", `(history.back(), true)`)
	until(t, tab, "the listing again", `location.pathname === '/' && document.querySelector('h1').textContent === 'News from the co-op'`)
	until(t, tab, "scrolled where it was", `Math.abs(window.scrollY - 700) < 5`)
	until(t, tab, "sign-in comes back to the listing", `document.querySelector('#site-account a.auth-sign-in').getAttribute('href').endsWith('/auth/login?next=%2F')`)
}

// The phone menu (open while #site-nav is the CSS :target) closes when a
// boosted navigation leaves the page, as a full load does: the header is
// kept, and pushState does not change the target.
func TestBrowserPhoneMenuClosesOnNavigation(t *testing.T) {
	tab := anon.tab(t, 375)
	navigate(t, tab, urls["blog"]+"/")
	until(t, tab, "runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	until(t, tab, "open the menu", `(document.querySelector('a.menu-toggle').click(), getComputedStyle(document.getElementById('site-nav')).display === 'block')`)
	until(t, tab, "open a post", `(window.__same = 1, document.querySelector('#posts a[href$="/bread-week/"]:not([tabindex])').click(), true)`)
	until(t, tab, "the post, boosted", `document.querySelector('h1').textContent === 'Bread week' && window.__same === 1`)
	until(t, tab, "the menu closed", `getComputedStyle(document.getElementById('site-nav')).display === 'none'`)
	until(t, tab, "it opens again", `(document.querySelector('a.menu-toggle').click(), getComputedStyle(document.getElementById('site-nav')).display === 'block')`)
	until(t, tab, "its links still boosted", `(document.querySelector('#site-nav a[href$="/"]').click(), true) && location.pathname === '/' && window.__same === 1 && document.querySelector('h1').textContent === 'News from the co-op'`)
}

// Infinite scroll: bringing the "Older posts" sentinel into view loads the
// next page's posts into the list, and the one after that.
func TestBrowserBlogInfiniteScroll(t *testing.T) {
	tab := anon.tab(t, 1280)
	navigate(t, tab, urls["blog"]+"/")
	until(t, tab, "runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	until(t, tab, "first page", `document.querySelectorAll('#posts > li > article').length === 12`)
	until(t, tab, "scroll to the end", `(window.__same = 1, document.getElementById('more-posts').scrollIntoView(), true)`)
	until(t, tab, "second page appended", `document.querySelectorAll('#posts > li > article').length > 12 && window.__same === 1`)
	until(t, tab, "no duplicates", `(() => { const h = [...document.querySelectorAll('#posts h2 a')].map(a => a.href); return new Set(h).size === h.length; })()`)
	until(t, tab, "the URL stays", `location.pathname === '/' && location.search === ''`)
}

// A newsletter toggle swaps its switch in place and is stored.
func TestBrowserNewsletterToggle(t *testing.T) {
	cleo := as("cleo") // subscribed to both seed newsletters
	tab := cleo.tab(t, 1280)
	navigate(t, tab, urls["account"]+"/newsletters/")
	until(t, tab, "runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	until(t, tab, "subscribed to Events", `document.querySelector('button[aria-label="Unsubscribe from Events"]')`)
	until(t, tab, "unsubscribe", `(window.__same = 1, document.querySelector('button[aria-label="Unsubscribe from Events"]').click(), true)`)
	until(t, tab, "the switch follows without a reload", `document.querySelector('button[aria-label="Subscribe to Events"]') && window.__same === 1`)
	if scalar[bool](t, `select subscribed from user_newsletters un join users u on u.id = un.user_id join ghost_newsletters n on n.id = un.newsletter_id
		where u.slug = 'cleo' and n.slug = 'events'`) {
		t.Fatal("the unsubscribe was not stored")
	}
	until(t, tab, "subscribe again", `(document.querySelector('button[aria-label="Subscribe to Events"]').click(), true)`)
	until(t, tab, "subscribed again", `document.querySelector('button[aria-label="Unsubscribe from Events"]') && window.__same === 1`)
}

// With JavaScript off the same pages work through plain links and forms:
// the listing's "Older posts" is a link to the next page, a post opens by
// its link, and the newsletter switch is a form that posts and comes back.
func TestBrowserSitesWithoutJavaScript(t *testing.T) {
	ben := newMember(t, "nojs")
	tab := ben.tab(t, 375)
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			html, _ := chromedp.Run(tab, chromedp.OuterHTML("html"))
			t.Fatalf("reading %s: %v\n%s", sel, err, clip(html))
		}
		return strings.TrimSpace(got)
	}
	click := func(sel string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Click(sel)); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
	}
	waitText := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if got := text(sel); strings.Contains(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never read %q (last %q)", sel, want, text(sel))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	navigate(t, tab, urls["blog"]+"/")
	waitText("h1", "News from the co-op")
	// The mobile menu opens through its link (CSS :target), no script.
	click("a.menu-toggle")
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#site-nav a[href$='/shop/']")); err != nil {
		t.Fatalf("the menu did not open: %v", err)
	}
	cancel()
	click("#more-posts a")
	waitText("h1", "News from the co-op")
	if got, _ := chromedp.Run(tab, chromedp.Location()); !strings.HasSuffix(got, "/?page=2") {
		t.Fatalf("Older posts led to %s", got)
	}
	navigate(t, tab, urls["blog"]+"/")
	click(`#posts a[href$="/bread-week/"]:not([tabindex])`)
	waitText("h1", "Bread week")
	navigate(t, tab, urls["account"]+"/newsletters/")
	waitText("h1", "Newsletters")
	click(`button[aria-label="Subscribe to Events"]`)
	waitText(`li:has(button[aria-label="Unsubscribe from Events"])`, "Events")
	if !scalar[bool](t, `select subscribed from user_newsletters un join users u on u.id = un.user_id join ghost_newsletters n on n.id = un.newsletter_id
		where u.slug = 'nojs' and n.slug = 'events'`) {
		t.Fatal("the form's subscribe was not stored")
	}
}
