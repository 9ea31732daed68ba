package services_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/internal/smtptest"
)

// The SSO client of services/shared/auth.sx, through real sockets: each
// service on its own port of 127.0.0.1, a browser whose cookie jar (like a
// real browser's) does not separate ports, federation as the provider (its
// magic-link login with the mail read from a real SMTP server, its
// /oauth/authorize).

type ssoNet struct {
	t    *testing.T
	plat *host.Platform
	urls map[string]string
	smtp *smtptest.Server
	seen map[string]int
}

// ssoServices are the six services; a probe service beside them sets the
// visitor cookie the services share, as market's add-to-cart does.
var ssoServices = []string{"blog", "market", "cart", "events", "federation", "account"}

func newSSONet(t *testing.T, opts host.Options) *ssoNet {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{})
	sender := srv.Sender(t)
	opts.Mailer = sender
	exec(t, "delete from rate_limits") // every test comes from 127.0.0.1
	files := []string{filepath.Join("testdata", "visitorprobe.sx")}
	for _, n := range ssoServices {
		files = append(files, n+".sx")
	}
	opts.DB = db
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := host.New(files, opts)
	if err != nil {
		t.Fatal(err)
	}
	n := &ssoNet{t: t, plat: p, urls: map[string]string{}, smtp: srv, seen: map[string]int{}}
	lns := map[string]net.Listener{}
	for _, svc := range p.Services() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[svc.Name] = ln
		n.urls[svc.Name] = "http://" + ln.Addr().String()
		p.SetPublicURL(svc.Name, n.urls[svc.Name])
	}
	for _, svc := range p.Services() {
		srv, ln := host.NewServer(svc), lns[svc.Name]
		go srv.Serve(ln)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.ShutdownWithContext(ctx)
			ln.Close()
		})
	}
	// The six as the seed registers them, with this run's ports.
	if err := pgtest.RegisterSSOClients(context.Background(), db, ssoServices, n.urls); err != nil {
		t.Fatal(err)
	}
	return n
}

// fedLogin signs b in at federation by magic link: the login form, the
// mail through SMTP, the link. next is where the link returns to.
func (n *ssoNet) fedLogin(b *browser, email, next string) answer {
	n.t.Helper()
	fed := n.urls["federation"]
	form := b.get(fed + "/auth/login?next=" + url.QueryEscape(next))
	if form.Status != 200 {
		n.t.Fatalf("federation login form: %d %s", form.Status, form.Body)
	}
	a := b.post(fed+"/auth/login", url.Values{"csrf_token": {b.csrf(form)}, "email": {email}, "next": {next}})
	if a.Status != 303 {
		n.t.Fatalf("federation login post: %d %s", a.Status, a.Body)
	}
	link := n.mailedLink(email)
	return b.get(link)
}

// mailedLink sends federation's queued mail and returns the sign-in link
// of the next message to email.
func (n *ssoNet) mailedLink(email string) string {
	n.t.Helper()
	link := n.smtp.WaitLink(n.t, email, n.seen[email], "/auth/magic/", 5*time.Second, func() {
		if _, err := n.plat.Service("federation").ProcessActivities(context.Background()); err != nil {
			n.t.Fatal(err)
		}
	})
	n.seen[email]++
	return link
}

// navigate is a top-level navigation as a browser sends it.
func navigate(b *browser, u string) answer {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	req.Header.Set("Accept", "text/html")
	return b.do(req)
}

// authorizeRequest checks a redirect to the provider's /oauth/authorize for
// client and returns its query.
func (n *ssoNet) authorizeRequest(a answer, client string) url.Values {
	n.t.Helper()
	loc, err := url.Parse(a.Header.Get("Location"))
	if a.Status != 303 || err != nil || loc.Scheme+"://"+loc.Host != n.urls["federation"] || loc.Path != "/oauth/authorize" {
		n.t.Fatalf("not a redirect to the provider's authorize endpoint: %d %v %s", a.Status, a.Header, a.Body)
	}
	q := loc.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != client || q.Get("redirect_uri") != n.urls[client]+"/auth/callback" ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 32 {
		n.t.Fatalf("authorize request %v", q)
	}
	return q
}

// authorize is the browser at the provider's authorize endpoint, signed in
// there: the query the provider sends it back to the client with.
func (n *ssoNet) authorize(b *browser, a answer, client string) url.Values {
	n.t.Helper()
	n.authorizeRequest(a, client)
	back := b.get(a.Header.Get("Location"))
	loc, err := url.Parse(back.Header.Get("Location"))
	if back.Status != 303 || err != nil || !strings.HasPrefix(back.Header.Get("Location"), n.urls[client]+"/auth/callback?") {
		n.t.Fatalf("authorize did not send the browser back to %s: %d %v %s", client, back.Status, back.Header, back.Body)
	}
	return loc.Query()
}

// callback is the browser coming back to client with params.
func (n *ssoNet) callback(b *browser, client string, params url.Values) answer {
	n.t.Helper()
	return b.get(n.urls[client] + "/auth/callback?" + params.Encode())
}

// signIn signs b in on client through /auth/login (b must be signed in at
// federation) and returns the callback's answer.
func (n *ssoNet) signIn(b *browser, client, next string) answer {
	n.t.Helper()
	q := n.authorize(b, b.get(n.urls[client]+"/auth/login?next="+url.QueryEscape(next)), client)
	return n.callback(b, client, q)
}

// member signs a new browser in at federation as a new address.
func (n *ssoNet) member() (*browser, string) {
	n.t.Helper()
	b := newBrowser(n.t)
	email := uniq(n.t) + "@example.org"
	if a := n.fedLogin(b, email, "/"); a.Status != 303 {
		n.t.Fatalf("magic link: %d %s", a.Status, a.Body)
	}
	return b, email
}

func (n *ssoNet) userID(email string) int64 {
	n.t.Helper()
	return scalar[int64](n.t, "select id from users where lower(email) = lower($1)", email)
}

// signedIn reports whether b is signed in on client: its /auth/login sends
// a signed-in visitor straight back.
func (n *ssoNet) signedIn(b *browser, client string) bool {
	n.t.Helper()
	a := b.get(n.urls[client] + "/auth/login?next=/here")
	return a.Status == 303 && a.Header.Get("Location") == n.urls[client]+"/here"
}

func (n *ssoNet) cookie(b *browser, client, name string) string {
	u, _ := url.Parse(n.urls[client])
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Sign-in end to end: an anonymous visitor with a cart on market follows
// /auth/login to the provider, signs in there by magic link (read from the
// SMTP server), comes back through the provider's authorize step to
// market's callback, which checks the state, exchanges the code, starts a
// fresh session (no fixation) and returns to next; the anonymous cart is
// adopted (user.login) and the anonymous key dropped.
func TestSSOSignIn(t *testing.T) {
	n := newSSONet(t, host.Options{})
	b := newBrowser(t)
	email := uniq(t) + "@example.org"

	// An anonymous visitor with a cart line under the shared visitor key.
	sid := "visitor-" + uniq(t)
	if a := b.get(n.urls["probe"] + "/sid?v=" + sid); a.Body != sid {
		t.Fatalf("probe: %d %s", a.Status, a.Body)
	}
	product := scalar[int64](t, `insert into products (slug, title, price) values ($1, 'Oats', 2.50) returning id`, "oats-"+uniq(t))
	wantStatus(t, action(t, n.urls["cart"], "add-to-cart", map[string]any{"session-id": sid, "product-id": product, "quantity": 2}), 200)

	login := b.get(n.urls["market"] + "/auth/login?next=" + url.QueryEscape("/veg/?page=2"))
	q := n.authorizeRequest(login, "market")
	before := n.cookie(b, "market", "sx_session_market")
	if before == "" {
		t.Fatal("no session cookie kept the sign-in's state")
	}
	// The provider: not signed in there yet, so its magic-link login, which
	// returns to the authorize request.
	toLogin := b.get(login.Header.Get("Location"))
	if toLogin.Status != 303 || !strings.Contains(toLogin.Header.Get("Location"), "/auth/login?next=") {
		t.Fatalf("authorize without a provider session: %d %v", toLogin.Status, toLogin.Header)
	}
	loginURL, _ := url.Parse(toLogin.Header.Get("Location"))
	magic := n.fedLogin(b, email, loginURL.Query().Get("next"))
	back := b.get(magic.Header.Get("Location"))
	cb, err := url.Parse(back.Header.Get("Location"))
	if back.Status != 303 || err != nil || !strings.HasPrefix(back.Header.Get("Location"), n.urls["market"]+"/auth/callback?") ||
		cb.Query().Get("state") != q.Get("state") || cb.Query().Get("code") == "" {
		t.Fatalf("after the magic link: %d %v (magic link: %d %v)", back.Status, back.Header, magic.Status, magic.Header)
	}
	code := cb.Query().Get("code")

	// A state this browser did not start, or none: refused, code unused.
	for _, bad := range []url.Values{{"code": {code}, "state": {"forged-" + q.Get("state")}}, {"code": {code}}} {
		if a := n.callback(b, "market", bad); a.Status != 400 || !strings.Contains(a.Body, "state") {
			t.Errorf("callback with state %q: %d %s", bad.Get("state"), a.Status, a.Body)
		}
	}
	// Another browser cannot finish this browser's sign-in.
	if a := n.callback(newBrowser(t), "market", cb.Query()); a.Status != 400 {
		t.Errorf("callback in another browser: %d %s", a.Status, a.Body)
	}

	a := n.callback(b, "market", cb.Query())
	if a.Status != 303 || a.Header.Get("Location") != n.urls["market"]+"/veg/?page=2" {
		t.Fatalf("callback: %d %v %s", a.Status, a.Header, a.Body)
	}
	c := sessionCookie(t, a.Header)
	if c == nil || c.Name != "sx_session_market" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Value == before {
		t.Errorf("session cookie after sign-in: %+v", c)
	}
	if !n.signedIn(b, "market") {
		t.Error("not signed in on market after the callback")
	}
	// The state is used up.
	if a := n.callback(b, "market", cb.Query()); a.Status != 400 {
		t.Errorf("state used twice: %d %s", a.Status, a.Body)
	}
	// Fixation: the cookie the browser had before signing in signs no one in.
	old := newBrowser(t)
	u, _ := url.Parse(n.urls["market"])
	old.jar.SetCookies(u, []*http.Cookie{{Name: "sx_session_market", Value: before}})
	if n.signedIn(old, "market") {
		t.Error("the pre-sign-in cookie is signed in")
	}
	// Signed in on market only: blog has its own session.
	if n.signedIn(b, "blog") {
		t.Error("signed in on blog without going through the provider")
	}

	// Adoption: cart's user.login moved the anonymous line to the user.
	if _, err := n.plat.Service("cart").ProcessActivities(context.Background()); err != nil {
		t.Fatal(err)
	}
	uid := n.userID(email)
	if got := scalar[int64](t, "select count(*) from cart_items where user_id = $1 and product_id = $2 and quantity = 2 and session_id is null", uid, product); got != 1 {
		t.Errorf("the anonymous cart was not adopted (%d lines)", got)
	}
	if a := b.get(n.urls["probe"] + "/sid"); a.Body != "" {
		t.Errorf("the anonymous visitor key survived the sign-in: %q", a.Body)
	}
}

// A code the provider refuses (used already), or an answer naming another
// issuer, is a 400, not a session.
func TestSSOCodeRefused(t *testing.T) {
	n := newSSONet(t, host.Options{})
	b, _ := n.member()
	q := n.authorize(b, b.get(n.urls["blog"]+"/auth/login"), "blog")
	exec(t, "update oauth_codes set used_at = now() where code = $1", sha256Hex(q.Get("code")))
	if a := n.callback(b, "blog", q); a.Status != 400 || !strings.Contains(a.Body, "code") {
		t.Errorf("callback with a used code: %d %s", a.Status, a.Body)
	}
	q = n.authorize(b, b.get(n.urls["blog"]+"/auth/login"), "blog")
	q.Set("iss", "https://evil.example")
	if a := n.callback(b, "blog", q); a.Status != 400 || !strings.Contains(a.Body, "iss") {
		t.Errorf("callback from another issuer: %d %s", a.Status, a.Body)
	}
	if n.signedIn(b, "blog") {
		t.Error("signed in with a refused answer")
	}
}

// next must be a path on the service: anything else returns to /.
func TestSSOOpenRedirectRefused(t *testing.T) {
	n := newSSONet(t, host.Options{})
	member, _ := n.member()
	fed, _ := url.Parse(n.urls["federation"])
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "/ok\r\nX: y"} {
		// A browser signed in at the provider only.
		b := newBrowser(t)
		for _, c := range member.jar.Cookies(fed) {
			if c.Name == "sx_session_federation" {
				b.jar.SetCookies(fed, []*http.Cookie{c})
			}
		}
		a := n.signIn(b, "events", next)
		if a.Status != 303 || a.Header.Get("Location") != n.urls["events"]+"/" {
			t.Errorf("next %q: %d %v", next, a.Status, a.Header.Get("Location"))
		}
	}
	for _, c := range []struct{ path, want string }{
		{"/auth/logged-out?state=" + url.QueryEscape("https://evil.example/"), n.urls["blog"] + "/"},
		{"/auth/logged-out?state=" + url.QueryEscape("/after"), n.urls["blog"] + "/after"},
	} {
		a := newBrowser(t).get(n.urls["blog"] + c.path)
		if a.Status != 303 || a.Header.Get("Location") != c.want {
			t.Errorf("%s: %d %s, want %s", c.path, a.Status, a.Header.Get("Location"), c.want)
		}
	}
	// The front-channel logout URI goes nowhere: it answers in its iframe.
	if a := newBrowser(t).get(n.urls["blog"] + "/auth/sso-clear?next=" + url.QueryEscape("https://evil.example/x")); a.Status != 200 || a.Header.Get("Location") != "" {
		t.Errorf("sso-clear with a next: %d %v", a.Status, a.Header.Get("Location"))
	}
}

// Silent sign-in: an anonymous visitor's first navigation asks the provider
// with prompt=none; "not signed in" brings her back and is remembered, so
// the next pages are served at once; requests that are not navigations
// (crawlers, the runtime's requests) are never redirected. Signed in at
// the provider, the silent attempt signs her in without a page of its own.
func TestSSOSilentSignIn(t *testing.T) {
	n := newSSONet(t, host.Options{})
	b := newBrowser(t)
	first := navigate(b, n.urls["blog"]+"/?x=1")
	q := n.authorizeRequest(first, "blog")
	if q.Get("prompt") != "none" {
		t.Fatalf("first navigation: prompt %q", q.Get("prompt"))
	}
	back := n.authorize(b, first, "blog")
	if back.Get("error") != "login_required" {
		t.Fatalf("the provider's answer without a session: %v", back)
	}
	a := n.callback(b, "blog", back)
	if a.Status != 303 || a.Header.Get("Location") != n.urls["blog"]+"/?x=1" {
		t.Fatalf("login_required: %d %v %s", a.Status, a.Header, a.Body)
	}
	if a := navigate(b, n.urls["blog"]+"/?x=1"); a.Status != 200 {
		t.Errorf("asked the provider again within 5 minutes: %d %v", a.Status, a.Header.Get("Location"))
	}
	// "Not signed in" is remembered sso-none-ttl seconds: 300, and a signed-in
	// session's grant re-checked every sso-grant-recheck seconds: 60.
	for name, want := range map[string]int64{"sso-none-ttl": 300, "sso-grant-recheck": 60} {
		if v, _ := n.plat.Service("blog").Env().Lookup(name); v != want {
			t.Errorf("%s is %v, want %d", name, v, want)
		}
	}
	// Once it has expired (two seconds here, so the test does not wait five
	// minutes) the next navigation asks the provider again. Whether the
	// answer is still remembered can only be told when the callback and the
	// next page took less than those two seconds (a loaded machine can stall
	// longer): a slower try says nothing and is made again.
	n.plat.Service("blog").Env().Define("sso-none-ttl", int64(2))
	var b2 *browser
	for try := 1; ; try++ {
		b2 = newBrowser(t)
		first2 := navigate(b2, n.urls["blog"]+"/")
		start := time.Now()
		n.callback(b2, "blog", n.authorize(b2, first2, "blog"))
		a := navigate(b2, n.urls["blog"]+"/")
		if time.Since(start) >= 2*time.Second && try < 3 {
			t.Logf("try %d took %v, longer than the remembered answer lives: again", try, time.Since(start))
			continue
		}
		if a.Status != 200 {
			t.Errorf("asked the provider again before the remembered answer expired: %d %v", a.Status, a.Header.Get("Location"))
		}
		break
	}
	time.Sleep(2100 * time.Millisecond)
	if q := n.authorizeRequest(navigate(b2, n.urls["blog"]+"/"), "blog"); q.Get("prompt") != "none" {
		t.Errorf("after the remembered answer expired: prompt %q", q.Get("prompt"))
	}
	n.plat.Service("blog").Env().Define("sso-none-ttl", int64(300))
	crawler := newBrowser(t)
	if a := crawler.get(n.urls["blog"] + "/"); a.Status != 200 {
		t.Errorf("a request that is not a navigation was redirected: %d %v", a.Status, a.Header)
	}

	// A service the provider does not know at this address is not sent
	// there (the visitor would be stranded on its error page).
	exec(t, "update oauth_clients set redirect_uris = '{https://elsewhere.example/auth/callback}' where client_id = 'cart'")
	if a := navigate(newBrowser(t), n.urls["cart"]+"/"); a.Status != 200 {
		t.Errorf("an unregistered client sent the visitor to the provider: %d %v", a.Status, a.Header.Get("Location"))
	}

	c, _ := n.member()
	nav := navigate(c, n.urls["blog"]+"/")
	q = n.authorize(c, nav, "blog")
	a = n.callback(c, "blog", q)
	if a.Status != 303 || a.Header.Get("Location") != n.urls["blog"]+"/" || !n.signedIn(c, "blog") {
		t.Errorf("silent sign-in: %d %v", a.Status, a.Header.Get("Location"))
	}
}

// The grant is checked at most every sso-grant-recheck seconds (60; one
// here): a revoked grant ends the session at the next check; within the
// interval no check is made.
func TestSSOGrantRevokedEndsSession(t *testing.T) {
	n := newSSONet(t, host.Options{})
	n.plat.Service("events").Env().Define("sso-grant-recheck", int64(1))
	b, email := n.member()
	if a := n.signIn(b, "events", "/"); a.Status != 303 {
		t.Fatalf("sign in: %d %s", a.Status, a.Body)
	}
	grant := scalar[int64](t, "select id from oauth_grants where user_id = $1 and client_id = 'events' and revoked_at is null", n.userID(email))
	wantStatus(t, action(t, n.urls["federation"], "revoke-grant", map[string]any{"grant-id": grant}), 200)
	if a := navigate(b, n.urls["events"]+"/tickets/"); a.Status != 200 || !n.signedIn(b, "events") {
		t.Fatalf("signed out before the check was due: %d", a.Status)
	}
	time.Sleep(1100 * time.Millisecond)
	if a := navigate(b, n.urls["events"]+"/tickets/"); a.Status != 303 || !strings.Contains(a.Header.Get("Location"), "/auth/login?next=") {
		t.Errorf("the :auth :user page after the grant's revocation: %d %v", a.Status, a.Header.Get("Location"))
	}
	if n.signedIn(b, "events") {
		t.Error("still signed in after the grant was revoked and the check was due")
	}
}

// frames loads the iframes of the provider's front-channel logout page
// as a browser does (each a request of its own, with the cookies of its
// origin) and checks that only the provider may frame each answer.
func (n *ssoNet) frames(b *browser, page answer) {
	n.t.Helper()
	for _, src := range iframeSources(page.Body) {
		req, _ := http.NewRequest("GET", src, nil)
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		req.Header.Set("Sec-Fetch-Mode", "navigate")
		a := b.do(req)
		if a.Status != 200 || !strings.HasSuffix(a.Header.Get("Content-Security-Policy"), "; frame-ancestors "+n.urls["federation"]) ||
			a.Header.Get("X-Frame-Options") != "" {
			n.t.Errorf("front-channel logout URI %s: %d, CSP %q, X-Frame-Options %q", src, a.Status,
				a.Header.Get("Content-Security-Policy"), a.Header.Get("X-Frame-Options"))
		}
	}
}

// sid is the provider's login session a service's grants were issued by.
func (n *ssoNet) sid(email, client string) string {
	n.t.Helper()
	return scalar[string](n.t, "select issuer_session from oauth_grants where user_id = $1 and client_id = $2 order by id desc limit 1",
		n.userID(email), client)
}

// Sign-out: POST with the CSRF token only; the local session ends, the
// grant is revoked and the provider's end-session ends the login session
// and shows the front-channel logout page, whose iframes load the
// /auth/sso-clear (with iss and sid) of every service signed in to — each
// ends its session there — then back to the page through /auth/logged-out:
// signed out everywhere.
func TestSSOSignOutEverywhere(t *testing.T) {
	n := newSSONet(t, host.Options{})
	b, email := n.member()
	for _, s := range []string{"cart", "blog", "account"} {
		n.signIn(b, s, "/")
	}
	if a := b.post(n.urls["cart"]+"/auth/logout", url.Values{"next": {"/x"}}); a.Status != 403 {
		t.Errorf("sign-out without the CSRF token: %d %s", a.Status, a.Body)
	}
	if !n.signedIn(b, "cart") {
		t.Fatal("a refused sign-out signed out")
	}
	page := b.get(n.urls["cart"] + "/auth/logout?next=/x")
	if page.Status != 200 || !strings.Contains(page.Body, `action="/auth/logout"`) {
		t.Fatalf("sign-out page: %d %s", page.Status, page.Body)
	}
	sid := n.sid(email, "blog")
	a := b.post(n.urls["cart"]+"/auth/logout", url.Values{"csrf_token": {b.csrf(page)}, "next": {"/x"}})
	loc, _ := url.Parse(a.Header.Get("Location"))
	if a.Status != 303 || loc == nil || loc.Scheme+"://"+loc.Host+loc.Path != n.urls["federation"]+"/oauth/logout" ||
		loc.Query().Get("client_id") != "cart" || loc.Query().Get("post_logout_redirect_uri") != n.urls["cart"]+"/auth/logged-out" ||
		loc.Query().Get("state") != "/x" {
		t.Fatalf("sign-out: %d %v", a.Status, a.Header)
	}
	a = b.get(a.Header.Get("Location"))
	if a.Status != 303 || a.Header.Get("Location") != n.urls["federation"]+"/oauth/logout/frontchannel" {
		t.Fatalf("end-session: %d %v", a.Status, a.Header)
	}
	fc := b.get(a.Header.Get("Location"))
	var want []string
	for _, s := range []string{"account", "blog", "cart"} {
		want = append(want, n.urls[s]+"/auth/sso-clear?iss="+url.QueryEscape(n.urls["federation"])+"&sid="+url.QueryEscape(sid))
	}
	got := iframeSources(fc.Body)
	sort.Strings(got) // by client name, which another test's seed may have set
	sort.Strings(want)
	if fc.Status != 200 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("front-channel logout page: %d, iframes %q, want %q", fc.Status, got, want)
	}
	var origins []string
	for _, d := range strings.Split(fc.Header.Get("Content-Security-Policy"), "; ") {
		if strings.HasPrefix(d, "frame-src ") {
			origins = strings.Fields(d)[1:]
		}
	}
	sort.Strings(origins)
	wantOrigins := []string{"'self'", n.urls["account"], n.urls["blog"], n.urls["cart"]}
	sort.Strings(wantOrigins)
	if strings.Join(origins, " ") != strings.Join(wantOrigins, " ") {
		t.Errorf("the page's frame-src: %q, want %q", origins, wantOrigins)
	}
	// Until the iframes load, blog and account hold (their grant checks are
	// not due for a minute): the front channel is what signs them out.
	if !n.signedIn(b, "blog") || !n.signedIn(b, "account") {
		t.Fatal("signed out of blog or account before the front-channel logout page's iframes loaded")
	}
	n.frames(b, fc)
	cont := regexp.MustCompile(`id="logout-continue" href="([^"]+)"`).FindStringSubmatch(fc.Body)
	if cont == nil || html.UnescapeString(cont[1]) != n.urls["cart"]+"/auth/logged-out?state=%2Fx" {
		t.Fatalf("the continue link: %q", cont)
	}
	if a := b.get(html.UnescapeString(cont[1])); a.Status != 303 || a.Header.Get("Location") != n.urls["cart"]+"/x" {
		t.Errorf("back on the page: %d %v", a.Status, a.Header.Get("Location"))
	}
	for _, s := range []string{"cart", "blog", "account"} {
		if n.signedIn(b, s) {
			t.Errorf("still signed in on %s after signing out on cart", s)
		}
	}
	if got := scalar[int64](t, "select count(*) from oauth_grants where user_id = $1 and revoked_at is null", n.userID(email)); got != 0 {
		t.Errorf("%d live grants after sign-out", got)
	}
	// And the provider: a new sign-in needs the magic link again.
	if q := n.authorizeRequest(b.get(n.urls["market"]+"/auth/login"), "market"); q != nil {
		if a := b.get(n.urls["federation"] + "/oauth/authorize?" + q.Encode()); !strings.Contains(a.Header.Get("Location"), "/auth/login") {
			t.Errorf("still signed in at the provider: %d %v", a.Status, a.Header)
		}
	}
}

// sso-clear, the front-channel logout URI, ends the service's session only
// for the provider's iss and this session's sid: a wrong sid, a wrong iss
// or none leave it signed in. Only the provider may frame it.
func TestSSOClear(t *testing.T) {
	n := newSSONet(t, host.Options{})
	b, email := n.member()
	n.signIn(b, "account", "/")
	n.signIn(b, "blog", "/")
	sid, fed := n.sid(email, "account"), n.urls["federation"]
	for what, q := range map[string]url.Values{
		"no parameters":  {},
		"a wrong sid":    {"iss": {fed}, "sid": {sid + "x"}},
		"another sid":    {"iss": {fed}, "sid": {"Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4"}},
		"no sid":         {"iss": {fed}},
		"a wrong iss":    {"iss": {"http://127.0.0.1:1"}, "sid": {sid}},
		"no iss":         {"sid": {sid}},
		"the blog's url": {"iss": {n.urls["blog"]}, "sid": {sid}},
	} {
		a := b.get(n.urls["account"] + "/auth/sso-clear?" + q.Encode())
		if a.Status != 200 || !n.signedIn(b, "account") {
			t.Errorf("sso-clear with %s: %d, signed in %v", what, a.Status, n.signedIn(b, "account"))
		}
		if csp := a.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors "+fed) || a.Header.Get("X-Frame-Options") != "" {
			t.Errorf("sso-clear framable by %q (X-Frame-Options %q), want the provider only", csp, a.Header.Get("X-Frame-Options"))
		}
	}
	a := b.get(n.urls["account"] + "/auth/sso-clear?" + url.Values{"iss": {fed}, "sid": {sid}}.Encode())
	if a.Status != 200 || n.signedIn(b, "account") || !n.signedIn(b, "blog") {
		t.Errorf("sso-clear on account: %d, account %v, blog %v", a.Status, n.signedIn(b, "account"), n.signedIn(b, "blog"))
	}
}

// Secure cookies in production.
func TestSSOSecureCookies(t *testing.T) {
	n := newSSONet(t, host.Options{SecureCookies: true})
	a := newBrowser(t).get(n.urls["market"] + "/auth/login?next=/")
	c := sessionCookie(t, a.Header)
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie in production: %+v", c)
	}
}

// The account menu: a sign-in link for anonymous visitors (to the page's
// own /auth/login, with next), the e-mail and the menu for a user, with an
// in-place sign-out form when the page's CSRF token is given.
func TestSSOAuthMenu(t *testing.T) {
	n := newSSONet(t, host.Options{})
	email := uniq(t) + "@example.org"
	uid := scalar[int64](t, "insert into users (email) values ($1) returning id", email)
	frag := func(q string) string {
		t.Helper()
		resp, err := http.Get(n.urls["account"] + "/internal/fragments/auth-menu?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	anon := frag("next=" + url.QueryEscape("/veg/?a=1&b=2"))
	if !strings.Contains(anon, `href="/auth/login?next=%2Fveg%2F%3Fa%3D1%26b%3D2"`) || !strings.Contains(anon, "Sign in") {
		t.Errorf("anonymous menu: %s", anon)
	}
	desktop := frag(url.Values{"user-id": {itoa(uid)}, "next": {"/p"}, "csrf": {"tok123"}}.Encode())
	for _, want := range []string{"<details", "<summary", email, `href="` + n.urls["account"] + `/"`, `href="` + n.urls["account"] + `/orders/"`,
		`href="` + n.urls["account"] + `/tickets/"`, `action="/auth/logout"`, `name="csrf_token" value="tok123"`} {
		if !strings.Contains(desktop, want) {
			t.Errorf("desktop menu lacks %q: %s", want, desktop)
		}
	}
	mobile := frag(url.Values{"user-id": {itoa(uid)}, "next": {"/p"}, "variant": {"mobile"}}.Encode())
	if strings.Contains(mobile, "<details") || !strings.Contains(mobile, email) || !strings.Contains(mobile, `href="/auth/logout?next=%2Fp"`) {
		t.Errorf("mobile menu: %s", mobile)
	}
	if evil := frag("next=" + url.QueryEscape("https://evil.example/")); !strings.Contains(evil, `next=%2F"`) {
		t.Errorf("menu with a foreign next: %s", evil)
	}
}

// postRoute is a POST route of the sign-in modules, from their source.
var postRoute = regexp.MustCompile(`\(defroute (\S+) :path "([^"]+)" :method :post([^\n(]*)`)

// CSRF on every POST form of sign-in: every POST route of federation's
// provider (auth.sx, oidc.sx) and of the services' SSO client
// (shared/auth.sx), read from the source so that a new one is covered, is
// refused (403) without the session's CSRF token or with another, and
// changes nothing (the browser stays signed in). The only routes without
// the check are the OAuth endpoints that clients call with their own
// credentials, never a browser's form.
func TestSSOEveryPostFormNeedsCSRF(t *testing.T) {
	machine := map[string]bool{"/oauth/token": true, "/oauth/revoke": true, "/oauth/introspect": true,
		"/oauth/userinfo": true, "/oauth/device/authorize": true}
	n := newSSONet(t, host.Options{})
	b, _ := n.member()
	n.signIn(b, "blog", "/")
	fedSignedIn := func() bool {
		return b.get(n.urls["federation"]+"/auth/login").Status == 303 // a signed-in visitor is sent on
	}
	checked := 0
	for file, svc := range map[string]string{"federation/auth.sx": "federation", "federation/oidc.sx": "federation", "shared/auth.sx": "blog"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range postRoute.FindAllStringSubmatch(string(src), -1) {
			name, path, opts := m[1], m[2], m[3]
			if strings.Contains(opts, ":csrf false") {
				if !machine[path] {
					t.Errorf("%s (%s %s) is a POST route without the CSRF check that is not a client-authenticated OAuth endpoint", name, file, path)
				}
				continue
			}
			for _, token := range []string{"", "0123456789abcdef0123456789abcdef"} {
				form := url.Values{"decision": {"allow"}, "client_id": {"blog"}, "next": {"/"}, "email": {"x@example.org"},
					"user_code": {"BCDF-GHJK"}}
				if token != "" {
					form.Set("csrf_token", token)
				}
				if a := b.post(n.urls[svc]+path, form); a.Status != 403 {
					t.Errorf("POST %s%s (%s) with csrf_token %q: %d, want 403", svc, path, name, token, a.Status)
				}
			}
			checked++
		}
	}
	if checked < 7 {
		t.Errorf("checked %d POST routes; the source has more", checked)
	}
	if !fedSignedIn() || !n.signedIn(b, "blog") {
		t.Error("a refused POST signed the browser out")
	}
}
