// admin_test.go: the admin's foundation (services/shared/admin.sx, issue 16):
// who may open admin pages and post admin forms — anonymous visitors go to
// sign-in, members get 403, editors and organisers their own sections,
// administrators everything — and the audit pages.
package services_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// staff is a browser signed in to one service as a user (nil: anonymous),
// with the session's CSRF token; it does not follow redirects.
type staff struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
	csrf   string
	client *http.Client
}

// staffUser makes a user row with an admin flag and roles, for sessions.
func staffUser(t *testing.T, admin bool, roles ...string) map[string]any {
	t.Helper()
	email := uniq(t) + "@staff.example"
	if roles == nil {
		roles = []string{}
	}
	var id int64
	if err := db.QueryRow(context.Background(),
		`insert into users (email, name, is_admin, roles) values ($1, $2, $3, $4) returning id`,
		email, "Staff "+email[:8], admin, roles).Scan(&id); err != nil {
		t.Fatal(err)
	}
	rs := make([]any, len(roles))
	for i, r := range roles {
		rs[i] = r
	}
	return map[string]any{"id": id, "email": email, "name": "Staff", "admin": admin, "roles": rs}
}

func newStaff(t *testing.T, p *host.Platform, service, base string, user map[string]any) *staff {
	name, value, csrf := p.VisitorSession(service, user)
	return &staff{t: t, base: base, cookie: &http.Cookie{Name: name, Value: value}, csrf: csrf,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer: status, body, Location.
type page struct {
	Status   int
	Body     string
	Location string
}

func (s *staff) do(req *http.Request) page {
	s.t.Helper()
	req.AddCookie(s.cookie)
	req.Header.Set("Accept", "text/html")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// A session the answer changed (a flash message) is the next request's.
	for _, c := range resp.Cookies() {
		if c.Name == s.cookie.Name && c.Value != "" {
			s.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	return page{resp.StatusCode, string(b), resp.Header.Get("Location")}
}

func (s *staff) get(path string) page {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(req)
}

// post sends a form with the session's CSRF token.
func (s *staff) post(path string, form url.Values) page {
	s.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", s.csrf)
	}
	req, err := http.NewRequest("POST", s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req)
}

func wantPage(t *testing.T, p page, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d (Location %q): %.600s", p.Status, status, p.Location, p.Body)
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("the page does not say %q: %.2000s", s, p.Body)
		}
	}
}

// wantSignIn checks an anonymous visitor's refusal: a redirect to this
// service's sign-in that comes back to path.
func wantSignIn(t *testing.T, p page, path string) {
	t.Helper()
	loc := p.Location
	if u, err := url.Parse(loc); err == nil {
		loc = u.RequestURI() // fasthttp makes the Location absolute
	}
	if p.Status != 303 || loc != "/auth/login?next="+url.QueryEscape(path) {
		t.Fatalf("anonymous: status %d, Location %q; want 303 to sign-in, back to %s", p.Status, p.Location, path)
	}
}

// refusals checks the refusals of one admin route: anonymous to sign-in,
// each of the others 403. For a POST, the form carries a CSRF token (the
// refusal is the role's, not the token's) and nothing may be written:
// written reports a count the caller wants unchanged.
func refusals(t *testing.T, p *host.Platform, service, base, method, path string, form url.Values, others ...map[string]any) {
	t.Helper()
	send := func(s *staff) page {
		if method == "GET" {
			return s.get(path)
		}
		f := url.Values{}
		for k, v := range form {
			f[k] = append([]string(nil), v...)
		}
		return s.post(path, f)
	}
	wantSignIn(t, send(newStaff(t, p, service, base, nil)), path)
	for _, u := range others {
		a := send(newStaff(t, p, service, base, u))
		if a.Status != 403 {
			t.Fatalf("%s %s as %v: status %d, want 403: %.300s", method, path, u["roles"], a.Status, a.Body)
		}
	}
}

func TestAdminFoundation(t *testing.T) {
	p, urls := platformWith(t, host.Options{}, "blog", "market", "events")
	blog := urls["blog"]
	member := staffUser(t, false)
	editor := staffUser(t, false, "editor")
	organiser := staffUser(t, false, "organiser")
	admin := staffUser(t, true)

	t.Run("home", func(t *testing.T) {
		refusals(t, p, "blog", blog, "GET", "/admin/", nil, member, organiser)
		wantPage(t, newStaff(t, p, "blog", blog, editor).get("/admin/"), 200, "Posts", "Snippets")
		h := newStaff(t, p, "blog", blog, admin).get("/admin/")
		wantPage(t, h, 200, "Menus", "Settings", "Audit log", `name="robots" content="noindex"`)
		// An editor's menu has no admin-only sections.
		if e := newStaff(t, p, "blog", blog, editor).get("/admin/"); strings.Contains(e.Body, "/admin/settings/") {
			t.Error("an editor's admin menu links to the settings")
		}
	})
	t.Run("403 page", func(t *testing.T) {
		a := newStaff(t, p, "blog", blog, member).get("/admin/")
		wantPage(t, a, 403, "This page is not for you", "editors and administrators")
	})
	t.Run("audit", func(t *testing.T) {
		refusals(t, p, "blog", blog, "GET", "/admin/audit/", nil, member, editor, organiser)
		refusals(t, p, "blog", blog, "GET", "/admin/audit/post/1/", nil, member, editor, organiser)
		exec(t, `insert into audit_log (service, user_id, user_email, action, object_type, object_id, before, after)
		         values ('blog', $1, $2, 'post.update', 'post', '999999', '{"title":"Old"}', '{"title":"New"}')`,
			admin["id"], admin["email"])
		a := newStaff(t, p, "blog", blog, admin)
		wantPage(t, a.get("/admin/audit/"), 200, "post.update", "/admin/audit/post/999999/")
		wantPage(t, a.get("/admin/audit/post/999999/"), 200, "History of post 999999", "Old", "New", admin["email"].(string))
	})
	t.Run("roles reach the session", func(t *testing.T) {
		// The SSO client's user dict carries :roles from the grant answer.
		var roles []string
		if err := db.QueryRow(context.Background(), `select roles from users where id = $1`, editor["id"]).Scan(&roles); err != nil || len(roles) != 1 || roles[0] != "editor" {
			t.Fatalf("roles %v %v", roles, err)
		}
		if _, err := db.Exec(context.Background(), `update users set roles = '{janitor}' where id = $1`, editor["id"]); err == nil {
			t.Fatal("a role outside editor and organiser was stored")
		}
	})
}
