//go:build linux

package sites_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/internal/smtptest"
)

// Sign-in everywhere in Chromium (issue 13): the six services on their own
// ports of 127.0.0.1 with their public URLs set, federation the provider,
// mail through a real SMTP server, the activity processors running as
// under sxhost run (the mail goes out and user.login adopts the cart after
// commit, in the background).

type signinNet struct {
	t    *testing.T
	plat *host.Platform
	urls map[string]string
	smtp *smtptest.Server
	seen map[string]int
}

func newSigninNet(t *testing.T) *signinNet {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{})
	sender := srv.Sender(t)
	exec(t, "delete from rate_limits") // every sign-in of the package comes from 127.0.0.1
	p, err := host.New(serviceFiles(".."), host.Options{DB: db, Logger: quiet(), SessionKeys: []string{"signin-test-key"},
		Mailer: sender, Activities: host.ActivityOptions{Poll: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	n := &signinNet{t: t, plat: p, urls: serveAll(t, p, true), smtp: srv, seen: map[string]int{}}
	// The six as the seed registers them, at this run's addresses.
	if err := pgtest.RegisterSSOClients(context.Background(), db, services, n.urls); err != nil {
		t.Fatal(err)
	}
	stop := p.StartActivityProcessors(context.Background())
	t.Cleanup(stop)
	return n
}

// link waits for the next sign-in mail to email on the SMTP server and
// returns its link.
func (n *signinNet) link(email string) string {
	n.t.Helper()
	link := n.smtp.WaitLink(n.t, email, n.seen[email], "/auth/magic/", 10*time.Second, nil)
	n.seen[email]++
	return link
}

// signInHere signs the visitor of b in from the page she is on: the
// header's "Sign in", federation's form, the link from the mail. She is
// back on the page (path and query) afterwards. Works with JavaScript on
// and off (the clicks are DevTools evaluations).
func (n *signinNet) signInHere(b *tabOf, email string) {
	n.t.Helper()
	b.until("a sign-in link in the header", `document.readyState === 'complete' && document.querySelector('#site-account a.auth-sign-in')`)
	fed := n.urls["federation"]
	// A page for members only has sent her to the form already.
	if evalStr(b, `location.origin + location.pathname`) != fed+"/auth/login" {
		b.do(`document.querySelector('#site-account a.auth-sign-in').click()`)
	}
	b.until("federation's sign-in form", `location.origin === '`+fed+`' && location.pathname === '/auth/login' && document.querySelector('#email')`)
	b.do(`document.querySelector('#email').value = '` + email + `', document.querySelector('form[action="/auth/login"] button[type=submit]').click()`)
	b.until("check your e-mail", `location.pathname === '/auth/login/sent' && document.querySelector('h1').textContent === 'Check your e-mail'`)
	b.open(n.link(email))
}

// signedInAs waits until the header of b's page shows email's menu.
func signedInAs(b *tabOf, what, email string) {
	b.t.Helper()
	b.until(what, `document.querySelector('#site-account details.auth-menu .auth-menu-email').textContent === '`+email+`'`)
}

// signedOut waits until the header of b's page offers "Sign in".
func signedOut(b *tabOf, what string) {
	b.t.Helper()
	b.until(what, `document.readyState === 'complete' && document.querySelector('#site-account a.auth-sign-in')
		&& !document.querySelector('#site-account details.auth-menu')`)
}

// signOutHere opens the header's account menu and presses "Sign out".
func signOutHere(b *tabOf) {
	b.t.Helper()
	b.do(`document.querySelector('#site-account details.auth-menu summary').click()`)
	b.until("the menu open", `document.querySelector('#site-account details.auth-menu').open
		&& document.querySelector('#site-account form.auth-menu-signout input[name=csrf_token]').value.length >= 16`)
	b.do(`document.querySelector('#site-account form.auth-menu-signout button[type=submit]').click()`)
}

// continueSignOut presses "Continue" on federation's front-channel logout
// page, as a visitor without JavaScript does once its iframes have signed
// her out of the services (with JavaScript the page goes on by itself).
func continueSignOut(b *tabOf, fed string) {
	b.t.Helper()
	b.until("federation's front-channel logout page", `location.origin === '`+fed+`'
		&& location.pathname === '/oauth/logout/frontchannel' && document.readyState === 'complete'
		&& document.querySelector('#logout-continue')`)
	b.do(`document.querySelector('#logout-continue').click()`)
}

// homes are pages of each service with the site header.
var homes = map[string]string{"blog": "/", "market": "/suma-market/", "cart": "/", "events": "/whats-on/calendar/hall/",
	"account": "/", "federation": "/"}

// The acceptance: an anonymous visitor adds a product to the cart
// on market, signs in by a magic link read from the SMTP server, lands
// back on the product with her cart adopted; opening blog signs her in
// silently (and so every other service); signing out on cart signs her out
// of all six at once (federation's front-channel logout page loads every
// service's /auth/sso-clear in an iframe).
// A service whose session outlived the sign-out (its iframe never loaded:
// the tab was closed at once) ends it at its next grant check, which is due
// sso-grant-recheck seconds after the last (60 in production; 1 here, so
// the test does not wait a minute).
func TestBrowserSignInEverywhere(t *testing.T) {
	b := newTab(t, true)
	n := newSigninNet(t)
	u := n.urls
	email := "walker-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@example.org"
	product := u["market"] + "/suma-market/product/organic-oats-1kg/"

	// Anonymous: the first navigation asks federation silently (prompt=none)
	// and comes back; then two bags of oats into the cart.
	b.open(product)
	b.until("the product page, anonymous", `location.href === '`+product+`' && document.documentElement.dataset.sxReady === 'true'
		&& document.querySelector('#site-account a.auth-sign-in')`)
	b.do(`document.querySelector('#add-quantity').value = '2', document.querySelector('#add-to-cart button[type=submit]').click()`)
	b.until("two in the cart", `document.querySelector('#cart-mini .cart-count').textContent === '2'`)

	// Sign in from the header: federation's form, the mail, the link; back
	// on the product page, signed in, the cart hers.
	n.signInHere(b, email)
	b.until("back on the product page", `location.href === '`+product+`'`)
	signedInAs(b, "signed in on market", email)
	b.until("the anonymous cart adopted", `document.querySelector('#cart-mini .cart-count').textContent === '2'`)
	uid := userID(t, email)
	if got := scalar[int64](t, `select coalesce(sum(quantity), 0) from cart_items c join products p on p.id = c.product_id
	                            where c.user_id = $1 and p.slug = 'organic-oats-1kg' and c.deleted_at is null`, uid); got != 2 {
		t.Fatalf("the user's cart has %d bags of oats, want 2", got)
	}

	// Blog, and every other service: signed in silently on the first page.
	for _, svc := range []string{"blog", "events", "account", "cart", "federation"} {
		b.open(u[svc] + homes[svc])
		b.until(svc+": back on the page", `location.href === '`+u[svc]+homes[svc]+`'`)
		signedInAs(b, "signed in silently on "+svc, email)
	}

	// The events session as it is now, to bring back after the sign-out.
	events := sessionCookie(t, b, u["events"], "sx_session_events")

	// Sign out on cart, from the header's menu.
	b.open(u["cart"] + "/shop/")
	signedInAs(b, "signed in on cart", email)
	signOutHere(b)
	b.until("back on the cart page", `location.href === '`+u["cart"]+`/shop/'`)
	signedOut(b, "signed out on cart")
	for _, svc := range services {
		b.open(u[svc] + homes[svc])
		signedOut(b, "signed out on "+svc)
	}
	if got := scalar[int64](t, "select count(*) from oauth_grants where user_id = $1 and revoked_at is null", uid); got != 0 {
		t.Errorf("%d grants still live after signing out", got)
	}

	// The iframe of events never loaded: its old session is back in the
	// browser. Its grant was checked when it began, seconds ago, so
	// within the minute it holds (no call to the provider); a minute on
	// (the interval cut to 1 s rather than waiting), the check is due and
	// the revoked grant ends it.
	setCookie(t, b, u["events"], "sx_session_events", events)
	b.open(u["events"] + homes["events"])
	signedInAs(b, "the restored session, before its check is due", email)
	n.plat.Service("events").Env().Define("sso-grant-recheck", int64(1))
	time.Sleep(1100 * time.Millisecond)
	b.open(u["events"] + homes["events"])
	signedOut(b, "the restored session ended by the grant check")
}

// The sign-out button of the header's account menu works from every
// service's pages, with JavaScript on (the runtime posts the form and
// follows the redirect) and off (a plain form post): back on the page,
// signed out there and at federation.
func TestBrowserHeaderSignOut(t *testing.T) {
	for _, js := range []bool{true, false} {
		t.Run(map[bool]string{true: "js", false: "nojs"}[js], func(t *testing.T) {
			b := newTab(t, js)
			n := newSigninNet(t)
			for _, svc := range services {
				email := svc + "-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@example.org"
				page := n.urls[svc] + homes[svc]
				b.open(page)
				n.signInHere(b, email)
				b.until(svc+": back on the page", `location.href === '`+page+`'`)
				signedInAs(b, "signed in on "+svc, email)
				signOutHere(b)
				if !js && svc != "federation" {
					continueSignOut(b, n.urls["federation"])
				}
				if svc == "account" {
					// Members only: the page sends her to sign in again.
					b.until("account: to the sign-in form after signing out", `location.origin === '`+n.urls["federation"]+`'
						&& location.pathname === '/auth/login' && document.querySelector('#email')`)
				} else {
					b.until(svc+": back on the page after signing out", `location.href === '`+page+`' && document.readyState === 'complete'`)
					signedOut(b, "signed out on "+svc)
				}
				b.open(n.urls["federation"] + homes["federation"])
				signedOut(b, "signed out at federation after signing out on "+svc)
			}
		})
	}
}

func sessionCookie(t *testing.T, b *tabOf, site, name string) string {
	t.Helper()
	r, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{site + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Cookies {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no cookie %s", name)
	return ""
}

func setCookie(t *testing.T, b *tabOf, site, name, value string) {
	yes := true
	t.Helper()
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: site + "/", HTTPOnly: &yes}); err != nil {
		t.Fatal(err)
	}
}

// evalStr is the value of a JavaScript expression in b's page ("" on an
// error).
func evalStr(b *tabOf, js string) string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	return s
}

// TestSigninScreenshots writes the sign-in pages and the header's account
// menu, open, at 1280 and 375 px into $SX_SCREENSHOTS (skipped without
// it): federation's form, "check your e-mail", its home page signed in,
// a market page with the menu open, and federation's front-channel logout
// page (in a tab without JavaScript, where it waits for "Continue").
func TestSigninScreenshots(t *testing.T) {
	dir := os.Getenv("SX_SCREENSHOTS")
	if dir == "" {
		t.Skip("set SX_SCREENSHOTS to a directory to write the screenshots")
	}
	b := newTab(t, true)
	n := newSigninNet(t)
	fed := n.urls["federation"]
	shot := func(name string, width int64) {
		t.Helper()
		shotOf(t, b, dir, name, width)
	}
	nojs := newTab(t, false)
	for _, width := range []int64{1280, 375} {
		if err := chromedp.Do(nojs.ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		email := "fc-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@example.org"
		nojs.open(n.urls["market"] + homes["market"])
		n.signInHere(nojs, email)
		signedInAs(nojs, "signed in on market", email)
		signOutHere(nojs)
		nojs.until("the front-channel logout page", `location.pathname === '/oauth/logout/frontchannel' && document.readyState === 'complete'`)
		shotOf(t, nojs, dir, "signout-frontchannel", width)
		continueSignOut(nojs, fed)
	}
	for _, width := range []int64{1280, 375} {
		if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		email := "ada-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@example.org"
		b.open(fed + "/auth/login")
		b.until("the form", `document.querySelector('#email')`)
		shot("signin-form", width)
		b.do(`document.querySelector('#email').value = '` + email + `', document.querySelector('form[action="/auth/login"] button[type=submit]').click()`)
		b.until("check your e-mail", `location.pathname === '/auth/login/sent' && document.readyState === 'complete'`)
		shot("signin-sent", width)
		b.open(n.link(email))
		b.until("federation home", `location.pathname === '/' && document.querySelector('.sso-logout-form')`)
		shot("signin-home", width)
		page := n.urls["market"] + "/suma-market/product/organic-oats-1kg/"
		b.open(page)
		// After the first round's sign-out market remembers "not signed in"
		// for 5 minutes: its Sign in goes through federation and back.
		b.until("the page", `document.readyState === 'complete' && document.querySelector('#site-account').children.length`)
		b.do(`(a => a && a.click())(document.querySelector('#site-account a.auth-sign-in'))`)
		signedInAs(b, "signed in on market", email)
		b.do(`document.querySelector('#site-account details.auth-menu summary').click()`)
		b.until("menu open", `document.querySelector('#site-account details.auth-menu').open`)
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "auth-menu-open-"+itoa(width)+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		b.do(`document.querySelector('#site-account form.auth-menu-signout button').click()`)
		b.until("signed out", `location.href === '`+page+`' && document.querySelector('#site-account a.auth-sign-in')`)
	}
}

// shotOf writes a full-page screenshot of b's page as dir/name-width.png.
func shotOf(t *testing.T, b *tabOf, dir, name string, width int64) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-"+itoa(width)+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
