package host_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

const authService = `
(defservice members :title "Members")
(defcomp ~shell (&key title page &rest children)
  (html (head (title title)) (body (header (str "layout of " page)) (main children))))
(defroute sign-in :path "/sign-in" (&key name admin)
  (session/set "user" {:name name :admin (= admin "yes")})
  "signed in")
(defpage open :path "/open" :layout ~shell :title "Open" :content (p "anyone"))
(defpage mine :path "/mine" :auth :user :content (p (str "hello " (get (current-user) :name))))
(defpage admin :path "/admin" :auth :admin :content (p "admins only"))
`

// signIn returns the session cookie for a user.
func signIn(t *testing.T, base, query string) string {
	t.Helper()
	r := get(t, base+"/sign-in?"+query)
	wantStatus(t, r, 200, "sign in")
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "sx_session_members" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("sign in set no session cookie: %v", r.Header)
	return ""
}

func TestPageLayoutWrapsContent(t *testing.T) {
	s, _, _ := startService(t, authService, host.Options{})
	r := get(t, s.URL+"/open")
	wantStatus(t, r, 200, "public page")
	// The runtime's tags (docs/client.md) join the layout's head and body.
	for _, want := range []string{"<html><head><title>Open</title>", "</head><body><header>layout of open</header><main><p>anyone</p></main>", "</body></html>"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("body %q, want the content inside ~shell (%q)", r.Body, want)
		}
	}
}

func TestPageAuthLevels(t *testing.T) {
	s, _, _ := startService(t, authService, host.Options{})
	if r := get(t, s.URL+"/mine"); r.Status != 401 {
		t.Errorf("anonymous visitor on a :user page: %s", r)
	}
	ann := signIn(t, s.URL, "name=ann")
	if r := get(t, s.URL+"/mine", "Cookie", ann); r.Status != 200 || !strings.Contains(r.Body, "<p>hello ann</p>") {
		t.Errorf("signed-in user: %s", r)
	}
	if r := get(t, s.URL+"/admin", "Cookie", ann); r.Status != 403 {
		t.Errorf("non-admin on an :admin page: %s", r)
	}
	boss := signIn(t, s.URL, "name=boss&admin=yes")
	if r := get(t, s.URL+"/admin", "Cookie", boss); r.Status != 200 || !strings.Contains(r.Body, "admins only") {
		t.Errorf("admin: %s", r)
	}
	forged := strings.Replace(ann, ".", ".00", 1)
	if r := get(t, s.URL+"/mine", "Cookie", forged); r.Status != 401 {
		t.Errorf("forged session cookie was accepted: %s", r)
	}
}

func TestAnonymousVisitorsGoToLogin(t *testing.T) {
	s, _, _ := startService(t, authService, host.Options{LoginURL: "https://auth.example/login"})
	r := get(t, s.URL+"/mine?tab=2")
	if r.Status != 303 || r.Header.Get("Location") != "https://auth.example/login?next=%2Fmine%3Ftab%3D2" {
		t.Errorf("got %d Location %q", r.Status, r.Header.Get("Location"))
	}
}

func TestUnknownAuthLevelIsALoadError(t *testing.T) {
	file := writeFile(t, t.TempDir(), "bad.sx", `(defpage p :path "/" :auth :everyone :content (p "x"))`)
	_, err := host.New([]string{file}, host.Options{})
	if err == nil || !strings.Contains(err.Error(), "unknown :auth everyone") {
		t.Errorf("error %v", err)
	}
}
