package services_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/smtptest"
	"github.com/rose-ash/sxhost/prims/mail"
)

// provider is federation served on 127.0.0.1 with its mail going to a real
// SMTP server, as the sign-in flows run in production.
type provider struct {
	t    *testing.T
	base string
	plat *host.Platform
	smtp *smtptest.Server
	seen map[string]int // mails already read, by address
}

func newProvider(t *testing.T, opts host.Options) *provider {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{})
	sender := srv.Sender(t)
	opts.Mailer = sender
	// Counters from earlier tests (every test comes from 127.0.0.1).
	exec(t, "delete from rate_limits")
	p, urls := platformWith(t, opts, "federation")
	return &provider{t: t, base: urls["federation"], plat: p, smtp: srv}
}

// browser is a client with its own cookie jar that does not follow
// redirects, so each hop can be checked.
type browser struct {
	t   *testing.T
	c   *http.Client
	jar *cookiejar.Jar
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, jar: jar, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(u string) answer {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) answer {
	b.t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	nonceAttr = regexp.MustCompile(`nonce="[^"]*"`)
)

// csrf reads the CSRF token of the form in a page.
func (b *browser) csrf(page answer) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(page.Body)
	if m == nil {
		b.t.Fatalf("no csrf_token field in the page: %s", page.Body)
	}
	return m[1]
}

// requestLink asks for a sign-in link for addr (with next) and returns the
// link read from the delivered mail.
func (p *provider) requestLink(b *browser, addr, next string) string {
	p.t.Helper()
	form := b.get(p.base + "/auth/login?next=" + url.QueryEscape(next))
	if form.Status != 200 {
		p.t.Fatalf("login form: %d %s", form.Status, form.Body)
	}
	a := b.post(p.base+"/auth/login", url.Values{"csrf_token": {b.csrf(form)}, "email": {addr}, "next": {next}})
	if a.Status != 303 || p.local(a) != "/auth/login/sent" {
		p.t.Fatalf("login post: %d %v %s", a.Status, a.Header, a.Body)
	}
	return p.deliveredLink(addr)
}

// deliveredLink runs federation's activity processor (which sends queued
// mail) and returns the sign-in link of the mail that reaches addr.
func (p *provider) deliveredLink(addr string) string {
	p.t.Helper()
	if _, err := p.plat.Service("federation").ProcessActivities(context.Background()); err != nil {
		p.t.Fatal(err)
	}
	m := p.nextMail(addr)
	for _, l := range mail.Links(m.Text) {
		if strings.Contains(l, "/auth/magic/") {
			return l
		}
	}
	p.t.Fatalf("no sign-in link in the mail: %q", m.Text)
	return ""
}

// nextMail waits for the next message to addr not returned before.
func (p *provider) nextMail(addr string) *smtptest.Message {
	p.t.Helper()
	if p.seen == nil {
		p.seen = map[string]int{}
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var to []*smtptest.Message
		for _, m := range p.smtp.Messages() {
			for _, r := range m.To {
				if strings.EqualFold(r, addr) {
					to = append(to, m)
				}
			}
		}
		if len(to) > p.seen[addr] {
			p.seen[addr]++
			return to[p.seen[addr]-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("no new mail to %s within 5 s", addr)
	return nil
}

// signIn signs b in as addr and returns where the magic link sent it.
func (p *provider) signIn(b *browser, addr, next string) string {
	p.t.Helper()
	link := p.requestLink(b, addr, next)
	a := b.get(link)
	if a.Status != 303 {
		p.t.Fatalf("magic link: %d %s", a.Status, a.Body)
	}
	return p.local(a)
}

// local is a redirect's target, relative when it is on the provider
// (fasthttp makes every Location absolute).
func (p *provider) local(a answer) string {
	return strings.TrimPrefix(a.Header.Get("Location"), p.base)
}

// signedIn reports whether b is signed in at federation: the login form
// redirects a signed-in visitor.
func (p *provider) signedIn(b *browser) bool {
	p.t.Helper()
	return b.get(p.base+"/auth/login").Status == 303
}

func sessionCookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && strings.HasPrefix(c.Name, "sx_session") {
			return c
		}
	}
	return nil
}

// The whole magic-link login: form, mail through SMTP, single-use link,
// redirect to next, a signed-in session.
func TestAuthMagicLinkLogin(t *testing.T) {
	p := newProvider(t, host.Options{})
	b := newBrowser(t)
	addr := uniq(t) + "@example.org"

	form := b.get(p.base + "/auth/login?next=/social/")
	if form.Status != 200 || !strings.Contains(form.Body, `type="email"`) || !strings.Contains(form.Body, `name="next" value="/social/"`) {
		t.Fatalf("login form: %d %s", form.Status, form.Body)
	}
	if p.signedIn(b) {
		t.Fatal("signed in before the link was used")
	}
	link := p.requestLink(b, addr, "/social/")
	if !strings.HasPrefix(link, p.base+"/auth/magic/") {
		t.Fatalf("link %q does not point at %s/auth/magic/", link, p.base)
	}
	sent := b.get(p.base + "/auth/login/sent")
	if sent.Status != 200 || !strings.Contains(sent.Body, "Check your e-mail") || !strings.Contains(sent.Body, addr) {
		t.Fatalf("check-your-e-mail page: %d %s", sent.Status, sent.Body)
	}
	used := b.get(link)
	if used.Status != 303 || p.local(used) != "/social/" {
		t.Fatalf("magic link: %d %q %s", used.Status, p.local(used), used.Body)
	}
	c := sessionCookie(t, used.Header)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure in development", c)
	}
	if !p.signedIn(b) {
		t.Fatal("not signed in after the link")
	}
	if n := scalar[int](t, "select count(*)::int from oauth_sessions s join users u on u.id = s.user_id where u.email = $1 and s.ended_at is null", addr); n != 1 {
		t.Fatalf("%d live login sessions, want 1", n)
	}
	// Single use: the same link again, from another browser, signs no one in.
	other := newBrowser(t)
	again := other.get(link)
	if again.Status != 400 || !strings.Contains(again.Body, "expired or was already used") {
		t.Fatalf("second use: %d %s", again.Status, again.Body)
	}
	if p.signedIn(other) {
		t.Fatal("a used link signed a second browser in")
	}
	// A made-up token is the same refusal.
	if a := other.get(p.base + "/auth/magic/" + strings.Repeat("A", 43)); a.Status != 400 {
		t.Fatalf("unknown token: %d", a.Status)
	}
}

// With secure cookies (SX_ENV=prod) the session cookie is Secure too.
func TestAuthSecureCookie(t *testing.T) {
	p := newProvider(t, host.Options{SecureCookies: true})
	b := newBrowser(t)
	form := b.get(p.base + "/auth/login")
	c := sessionCookie(t, form.Header)
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v: want Secure, HttpOnly, SameSite=Lax", c)
	}
}

// The answer to a login request is the same whether or not the address
// has an account; the mail goes out in both cases.
func TestAuthLoginSameAnswer(t *testing.T) {
	p := newProvider(t, host.Options{})
	known := uniq(t) + "@example.org"
	exec(t, "insert into users (email) values ($1)", known)
	unknown := uniq(t) + "@example.org"
	var bodies []string
	for _, addr := range []string{known, unknown} {
		b := newBrowser(t)
		form := b.get(p.base + "/auth/login")
		a := b.post(p.base+"/auth/login", url.Values{"csrf_token": {b.csrf(form)}, "email": {addr}})
		if a.Status != 303 || p.local(a) != "/auth/login/sent" {
			t.Fatalf("%s: %d %s", addr, a.Status, a.Body)
		}
		// The same page but for the address and the response's CSP nonce.
		page := nonceAttr.ReplaceAllString(b.get(p.base+"/auth/login/sent").Body, `nonce=""`)
		bodies = append(bodies, strings.ReplaceAll(page, addr, "ADDR"))
		p.deliveredLink(addr)
	}
	if bodies[0] != bodies[1] {
		t.Fatalf("the pages differ for a known and an unknown address:\n%s\n%s", bodies[0], bodies[1])
	}
	if n := scalar[int](t, "select count(*)::int from users where email = $1", unknown); n != 0 {
		t.Fatal("asking for a link created a user")
	}
}

// Every POST form needs the session's CSRF token.
func TestAuthLoginCSRF(t *testing.T) {
	p := newProvider(t, host.Options{})
	b := newBrowser(t)
	b.get(p.base + "/auth/login")
	a := b.post(p.base+"/auth/login", url.Values{"email": {uniq(t) + "@example.org"}})
	if a.Status != 403 {
		t.Fatalf("POST without csrf_token: %d %s", a.Status, a.Body)
	}
	a = b.post(p.base+"/auth/login", url.Values{"email": {uniq(t) + "@example.org"}, "csrf_token": {"0123456789abcdef0123456789abcdef"}})
	if a.Status != 403 {
		t.Fatalf("POST with a wrong csrf_token: %d %s", a.Status, a.Body)
	}
	// A bad address is a 400 page that keeps the form.
	form := b.get(p.base + "/auth/login")
	a = b.post(p.base+"/auth/login", url.Values{"email": {"not-an-address"}, "csrf_token": {b.csrf(form)}})
	if a.Status != 400 || !strings.Contains(a.Body, "e-mail address like") || !strings.Contains(a.Body, `name="csrf_token"`) {
		t.Fatalf("bad address: %d %s", a.Status, a.Body)
	}
}

// next may only lead back to this site (or a registered first-party
// client): anything else is dropped, at the form and at the link.
func TestAuthOpenRedirectRefused(t *testing.T) {
	p := newProvider(t, host.Options{})
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "http://evil.example@127.0.0.1:1/"} {
		b := newBrowser(t)
		form := b.get(p.base + "/auth/login?next=" + url.QueryEscape(next))
		if strings.Contains(form.Body, `name="next"`) {
			t.Errorf("next %q kept by the form", next)
		}
		addr := uniq(t) + "@example.org"
		// Posted directly too (a crafted form).
		a := b.post(p.base+"/auth/login", url.Values{"csrf_token": {b.csrf(form)}, "email": {addr}, "next": {next}})
		if a.Status != 303 {
			t.Fatalf("%q: %d %s", next, a.Status, a.Body)
		}
		used := b.get(p.deliveredLink(addr))
		if loc := p.local(used); used.Status != 303 || loc != "/" {
			t.Errorf("next %q: the link sent the browser to %q, want /", next, loc)
		}
	}
	// A registered first-party client's origin is fine.
	client := "fp-" + uniq(t)
	exec(t, `insert into oauth_clients (client_id, name, client_type, redirect_uris, first_party)
	         values ($1, 'First party', 'public', array['http://shop.example.test:8080/auth/callback'], true)`, client)
	b := newBrowser(t)
	if loc := p.signIn(b, uniq(t)+"@example.org", "http://shop.example.test:8080/basket?x=1"); loc != "http://shop.example.test:8080/basket?x=1" {
		t.Errorf("first-party next: sent to %q", loc)
	}
	exec(t, "update oauth_clients set disabled_at = now() where client_id = $1", client)
}

// A login makes a new session: a cookie copied (or planted) before it is
// still anonymous afterwards, the CSRF token changes, and the login
// session id is new.
func TestAuthNoSessionFixation(t *testing.T) {
	p := newProvider(t, host.Options{})
	b := newBrowser(t)
	addr := uniq(t) + "@example.org"
	form := b.get(p.base + "/auth/login")
	before := b.csrf(form)
	u, _ := url.Parse(p.base)
	planted := b.jar.Cookies(u)
	link := p.requestLink(b, addr, "/")
	b.get(link)
	if !p.signedIn(b) {
		t.Fatal("not signed in")
	}
	// The attacker's copy of the pre-login cookie.
	attacker := newBrowser(t)
	attacker.jar.SetCookies(u, planted)
	if p.signedIn(attacker) {
		t.Fatal("the cookie from before the login is signed in")
	}
	// The CSRF token is new after the login: the old one is refused.
	if a := b.post(p.base+"/auth/login", url.Values{"csrf_token": {before}, "email": {addr}}); a.Status != 403 {
		t.Fatalf("the pre-login CSRF token still works: %d", a.Status)
	}
	sid1 := scalar[string](t, "select s.sid from oauth_sessions s join users u on u.id = s.user_id where u.email = $1", addr)
	// A second login in the same browser ends the first login session.
	b.get(p.requestLink(newBrowser(t), addr, "/"))
	if n := scalar[int](t, "select count(*)::int from oauth_sessions s join users u on u.id = s.user_id where u.email = $1 and ended_at is null", addr); n != 1 {
		t.Fatalf("%d live sessions after a second login, want 1", n)
	}
	if ended := scalar[bool](t, "select ended_at is not null from oauth_sessions where sid = $1", sid1); !ended {
		t.Fatal("the first login session was not ended by the second login")
	}
}

// Login requests are limited per address and per client address: 429 with
// Retry-After.
func TestAuthLoginRateLimits(t *testing.T) {
	p := newProvider(t, host.Options{})
	b := newBrowser(t)
	addr := uniq(t) + "@example.org"
	post := func(email string) answer {
		form := b.get(p.base + "/auth/login")
		return b.post(p.base+"/auth/login", url.Values{"csrf_token": {b.csrf(form)}, "email": {email}})
	}
	for i := 0; i < 5; i++ {
		if a := post(addr); a.Status != 303 {
			t.Fatalf("request %d: %d %s", i+1, a.Status, a.Body)
		}
	}
	a := post(addr)
	if a.Status != 429 {
		t.Fatalf("6th request for one address: %d %s", a.Status, a.Body)
	}
	if s, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || s < 1 || s > 600 {
		t.Fatalf("Retry-After %q", a.Header.Get("Retry-After"))
	}
	// Other addresses from the same client: 20 requests per window in all.
	var last answer
	for i := 0; i < 20; i++ {
		last = post(uniq(t) + "@example.org")
		if last.Status == 429 {
			break
		}
	}
	if last.Status != 429 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("per-client limit: %d %v", last.Status, last.Header)
	}
	// Trying magic links: 30 per client address per 10 minutes.
	for i := 0; i < 31; i++ {
		last = b.get(p.base + "/auth/magic/" + strings.Repeat("B", 43))
		if last.Status == 429 {
			break
		}
	}
	if last.Status != 429 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("magic-link tries: %d", last.Status)
	}
}
