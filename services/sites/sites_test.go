// Package sites_test exercises the public pages and fragments of market,
// cart and events over HTTP, on a database of their own filled by
// seed/demo.sx, as anonymous visitors, members and administrators.
package sites_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/migrations"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

var db *pgxpool.Pool

func TestMain(m *testing.M) {
	url, drop, err := pgtest.Create("sx_sites")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	db, err = host.OpenDatabase(ctx, url, sqlprims.Options{})
	if err == nil {
		_, err = migrations.Up(ctx, db, migrations.FS)
	}
	if err == nil {
		err = seed(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		drop()
		os.Exit(1)
	}
	code := m.Run()
	browsertest.Shutdown()
	db.Close()
	drop()
	os.Exit(code)
}

var services = []string{"blog", "market", "cart", "events", "federation", "account"}

// seed runs seed/demo.sx against the six services, as `sxhost seed` does.
func seed(ctx context.Context) error {
	p, err := host.New(serviceFiles(".."), host.Options{DB: db, Logger: quiet()})
	if err != nil {
		return err
	}
	if _, err = p.RunScript(ctx, "../../seed/demo.sx", io.Discard); err != nil {
		return err
	}
	// What sxhost run's processors do next: paid orders confirm their
	// tickets, new orders get their references.
	for round := 0; round < 3; round++ {
		for _, svc := range p.Services() {
			if _, err := svc.ProcessActivities(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func serviceFiles(dir string) []string {
	var files []string
	for _, n := range services {
		files = append(files, filepath.Join(dir, n+".sx"))
	}
	return files
}

// testRoute is added to every service of a test platform: it signs a
// visitor in by writing the session's "user" dict, as the SSO client does.
const testRoute = `
(defroute test-sign-in :path "/__test/sign-in" (&key (id :int) (email :str) (name :str) (admin :bool false))
  (session/set "user" {:id id :email email :name name :admin admin})
  "signed in")
`

// tree builds a copy of services/ (symbolic links) in which every service
// directory also holds the test sign-in route.
func tree(t testing.TB) string {
	t.Helper()
	src, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && contains(services, e.Name()) {
			continue
		}
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range services {
		sub := filepath.Join(dir, n)
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		files, _ := os.ReadDir(filepath.Join(src, n))
		for _, f := range files {
			if err := os.Symlink(filepath.Join(src, n, f.Name()), filepath.Join(sub, f.Name())); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, "zz_test_sign_in.sx"), []byte(testRoute), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sites serves the six services on their own ports and returns their base
// URLs by name.
func sites(t testing.TB) map[string]string {
	t.Helper()
	urls, _ := sitesOn(t, nil)
	return urls
}

// sitesOn is sites with the platform's cache (nil: its own memory), and
// returns the platform too: two platforms on one shared cache are two
// instances of the platform.
func sitesOn(t testing.TB, cache cacheprims.Cache) (map[string]string, *host.Platform) {
	t.Helper()
	p, err := host.New(serviceFiles(tree(t)), host.Options{DB: db, Logger: quiet(), SessionKeys: []string{"sites-test-key"}, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	return serveAll(t, p, false), p
}

// serveAll serves each service of p on a port of its own until t ends and
// returns their base URLs by name; with public, (site-url …) links to them
// (the services' public URLs).
func serveAll(t testing.TB, p *host.Platform, public bool) map[string]string {
	t.Helper()
	urls := map[string]string{}
	lns := map[string]net.Listener{}
	for _, svc := range p.Services() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[svc.Name] = ln
		urls[svc.Name] = "http://" + ln.Addr().String()
		if public {
			p.SetPublicURL(svc.Name, urls[svc.Name])
		}
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
	return urls
}

var (
	sitesOnce sync.Once
	sitesURLs map[string]string
)

// shared is one platform for the HTTP tests of the package (they create
// what they change with unique names, or only read the seed data).
func shared(t *testing.T) map[string]string {
	sitesOnce.Do(func() { sitesURLs = sites(&keepAlive{T: t}) })
	return sitesURLs
}

// keepAlive lets the shared platform outlive the test that started it: its
// cleanups run at the end of the process instead.
type keepAlive struct{ *testing.T }

func (k *keepAlive) Cleanup(func()) {}
func (k *keepAlive) TempDir() string {
	d, err := os.MkdirTemp("", "sites-test-")
	if err != nil {
		k.T.Fatal(err)
	}
	return d
}

// visitor is one browser without JavaScript: its own cookies, redirects not
// followed.
type visitor struct {
	t      *testing.T
	client *http.Client
}

func newVisitor(t *testing.T) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// member and admin are visitors signed in as the seed's users on the
// services given.
func signedIn(t *testing.T, urls map[string]string, email string, admin bool, on ...string) *visitor {
	v := newVisitor(t)
	id := userID(t, email)
	for _, svc := range on {
		r := v.get(urls[svc] + "/__test/sign-in?" + url.Values{"id": {fmt.Sprint(id)}, "email": {email},
			"name": {email}, "admin": {fmt.Sprint(admin)}}.Encode())
		r.want(200)
	}
	return v
}

func member(t *testing.T, urls map[string]string, on ...string) *visitor {
	return signedIn(t, urls, "ben@coop.example", false, on...)
}

func admin(t *testing.T, urls map[string]string, on ...string) *visitor {
	return signedIn(t, urls, "ada@coop.example", true, on...)
}

func userID(t *testing.T, email string) int64 {
	var id int64
	if err := db.QueryRow(context.Background(), "select id from users where email = $1", email).Scan(&id); err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return id
}

type answer struct {
	t      *testing.T
	url    string
	Status int
	Header http.Header
	Body   string
}

func (a answer) want(status int) answer {
	a.t.Helper()
	if a.Status != status {
		body := a.Body
		if len(body) > 2000 {
			body = body[:2000]
		}
		a.t.Fatalf("%s: status %d, want %d: %s", a.url, a.Status, status, body)
	}
	return a
}

// has checks that the body contains every string.
func (a answer) has(parts ...string) answer {
	a.t.Helper()
	for _, p := range parts {
		if !strings.Contains(a.Body, p) {
			a.t.Errorf("%s: no %q in the answer", a.url, p)
		}
	}
	return a
}

func (a answer) lacks(parts ...string) answer {
	a.t.Helper()
	for _, p := range parts {
		if strings.Contains(a.Body, p) {
			a.t.Errorf("%s: %q should not be in the answer", a.url, p)
		}
	}
	return a
}

func (v *visitor) do(req *http.Request) answer {
	v.t.Helper()
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{t: v.t, url: req.Method + " " + req.URL.String(), Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func (v *visitor) get(u string, headers ...string) answer {
	v.t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return v.do(req)
}

// post submits a form with the CSRF token of the page at from.
func (v *visitor) post(u, from string, form url.Values, headers ...string) answer {
	v.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", csrfOf(v.t, v.get(from).want(200).Body))
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return v.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in the page")
	}
	return m[1]
}

// exec runs SQL for fixtures.
func exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	pgtest.FixtureWrote(sql) // seen at once, as a write through the platform
}

func scalar[T any](t *testing.T, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	pgtest.FixtureWrote(sql) // an insert … returning is a fixture too
	return v
}

// fragment fetches a fragment of a service as another service would.
func fragment(t *testing.T, base, typ string, args url.Values) answer {
	t.Helper()
	u := base + "/internal/fragments/" + url.PathEscape(typ)
	if len(args) > 0 {
		u += "?" + args.Encode()
	}
	return newVisitor(t).get(u, "X-Fragment-Request", "1")
}

func itoa(n int64) string { return fmt.Sprint(n) }

// mustRequest is a form POST without a CSRF token.
func mustRequest(t *testing.T, method, u, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
