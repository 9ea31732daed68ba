package host_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// Two services in one process, as make run serves them: each its own
// session cookie, one visitor cookie for both, a before-request hook and
// the SSO client's /auth/login route.
const hookedA = `
(defservice blog)
(define (before-request)
  (when (= (request-arg "hook") "stop") (redirect "/stopped"))
  (session/set "hooked" (str (or (session/get "hooked") "") "+")))
(defroute login :path "/auth/login" (&key next) (str "login for " next))
(defroute set-user :path "/set-user" () (session/set "user" {:id 1 :email "a@example.org"}) (service-name))
(defroute whoami :path "/whoami" () (str (get (current-user) :email) "|" (session/get "hooked") "|" (request-uri)))
(defroute set-visitor :path "/visitor" (&key v) (visitor/set "sid" v) "set")
(defroute clear :path "/clear" () (session/clear) "cleared")
(defpage mine :path "/mine" :auth :user :content (p "mine"))
`

const hookedB = `
(defservice market)
(defroute whoami :path "/whoami" () (str (get (current-user) :email) "|" (visitor/get "sid" "none")))
`

func cookiesOf(r response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

func TestAuthHooksAndCookies(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "blog.sx", hookedA)
	b := writeFile(t, dir, "market.sx", hookedB)
	p := newPlatform(t, []string{a, b}, host.Options{SessionKeys: []string{"k"}})
	sa, sb := serve(t, p.Service("blog")), serve(t, p.Service("market"))

	// The per-service session cookie, HttpOnly and SameSite=Lax.
	r := get(t, sa.URL+"/set-user")
	if r.Body != "blog" {
		t.Errorf("service-name: %q", r.Body)
	}
	c := cookiesOf(r)["sx_session_blog"]
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Fatalf("blog's session cookie: %+v", c)
	}
	blog := "sx_session_blog=" + c.Value
	if r := get(t, sa.URL+"/whoami?x=1", "Cookie", blog); !strings.HasPrefix(r.Body, "a@example.org|") || !strings.HasSuffix(r.Body, "|/whoami?x=1") {
		t.Errorf("blog with its cookie: %s", r)
	}
	// The same cookie under market's name does not sign anyone in there.
	if r := get(t, sb.URL+"/whoami", "Cookie", "sx_session_market="+c.Value); r.Body != "|none" {
		t.Errorf("blog's cookie opened on market: %s", r)
	}

	// The hook runs before routes (once per request) and may answer.
	r = get(t, sa.URL+"/whoami", "Cookie", blog)
	hooked := cookiesOf(r)["sx_session_blog"]
	if hooked == nil || !strings.Contains(get(t, sa.URL+"/whoami", "Cookie", "sx_session_blog="+hooked.Value).Body, "|+++|") {
		t.Errorf("the hook did not run once per request: %s", r)
	}
	if r := get(t, sa.URL+"/whoami?hook=stop"); r.Status != 303 || !strings.HasSuffix(r.Header.Get("Location"), "/stopped") {
		t.Errorf("a hook's redirect: %s %v", r, r.Header)
	}

	// The visitor cookie is shared: set on blog, read on market.
	r = get(t, sa.URL+"/visitor?v=anon-1")
	v := cookiesOf(r)["sx_visitor"]
	if v == nil || !v.HttpOnly || v.SameSite != http.SameSiteLaxMode || strings.Contains(v.Value, "anon-1") {
		t.Fatalf("visitor cookie: %+v", v)
	}
	if r := get(t, sb.URL+"/whoami", "Cookie", "sx_visitor="+v.Value); r.Body != "|anon-1" {
		t.Errorf("market reading blog's visitor cookie: %s", r)
	}

	// session/clear empties the session.
	r = get(t, sa.URL+"/clear", "Cookie", blog)
	cleared := cookiesOf(r)["sx_session_blog"]
	if cleared == nil || get(t, sa.URL+"/whoami", "Cookie", "sx_session_blog="+cleared.Value).Body != "|+|/whoami" {
		t.Errorf("after session/clear: %v", cleared)
	}

	// Without SX_LOGIN_URL a :auth :user page sends anonymous visitors to
	// the service's own /auth/login, with the page to come back to.
	if r := get(t, sa.URL+"/mine?tab=2"); r.Status != 303 || !strings.HasSuffix(r.Header.Get("Location"), "/auth/login?next=%2Fmine%3Ftab%3D2") {
		t.Errorf("anonymous on a :user page: %s %v", r, r.Header)
	}
}

// Secure cookies in production.
func TestAuthCookiesSecureInProd(t *testing.T) {
	s, _, _ := startService(t, hookedA, host.Options{SecureCookies: true})
	c := cookiesOf(get(t, s.URL+"/set-user"))["sx_session_blog"]
	v := cookiesOf(get(t, s.URL+"/visitor?v=x"))["sx_visitor"]
	if c == nil || !c.Secure || v == nil || !v.Secure {
		t.Errorf("cookies without Secure in prod: %+v %+v", c, v)
	}
}
