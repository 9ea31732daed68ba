// Package sitetest_test tests the six services' pages and fragments
// (docs/sites.md) over HTTP, on the demo cooperative of seed/demo.sx in a
// database of its own, with the services in one process as `make run`
// serves them.
package sitetest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/migrations"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

// The six services, in the order `make run` loads them.
var serviceNames = []string{"blog", "market", "cart", "events", "federation", "account"}

var (
	db   *pgxpool.Pool
	plat *host.Platform
	urls = map[string]string{} // service → base URL
	// Users of the seed, by slug.
	users = map[string]map[string]any{}
	// mediaDir is where uploaded images go (MEDIA_DIR), removed at the end.
	mediaDir string
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	dbURL, drop, err := pgtest.Create("sx_sites")
	if err != nil {
		return 0, err
	}
	defer drop()
	ctx := context.Background()
	db, err = host.OpenDatabase(ctx, dbURL, sqlprims.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db, migrations.FS); err != nil {
		return 0, err
	}
	var files []string
	for _, n := range serviceNames {
		files = append(files, filepath.Join("..", n+".sx"))
	}
	if mediaDir, err = os.MkdirTemp("", "sx-sites-media-"); err != nil {
		return 0, err
	}
	defer os.RemoveAll(mediaDir)
	plat, err = host.New(files, host.Options{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MediaDir: mediaDir})
	if err != nil {
		return 0, err
	}
	var out strings.Builder
	if _, err := plat.RunScript(ctx, filepath.Join("..", "..", "seed", "demo.sx"), &out); err != nil {
		return 0, fmt.Errorf("seed: %v\n%s", err, out.String())
	}
	// The seed's activities (the paid orders' tickets, the menu's link
	// nodes) are handled as the processors would.
	for pass := 0; pass < 5; pass++ {
		n := 0
		for _, s := range plat.Services() {
			k, err := s.ProcessActivities(ctx)
			if err != nil {
				return 0, fmt.Errorf("activities of %s: %w", s.Name, err)
			}
			n += k
		}
		if n == 0 {
			break
		}
	}
	var servers []*fasthttp.Server
	for _, s := range plat.Services() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		urls[s.Name] = "http://" + ln.Addr().String()
		plat.SetPublicURL(s.Name, urls[s.Name])
		srv := host.NewServer(s)
		servers = append(servers, srv)
		go srv.Serve(ln)
	}
	defer func() {
		for _, srv := range servers {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			srv.ShutdownWithContext(c)
			cancel()
		}
	}()
	rows, err := db.Query(ctx, "select id, slug, name, email, is_admin from users")
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int
		var slug, name, email string
		var admin bool
		if err := rows.Scan(&id, &slug, &name, &email, &admin); err != nil {
			return 0, err
		}
		users[slug] = map[string]any{"id": id, "name": name, "email": email, "admin": admin}
	}
	rows.Close()
	defer browsertest.Shutdown()
	return m.Run(), nil
}

// visitor is someone browsing: anonymous, or signed in as a seed user.
type visitor struct {
	who     string            // "" for anonymous, else the user's slug
	cookies map[string]string // service → session cookie
	csrf    map[string]string // service → CSRF token
}

var anon = &visitor{}

// as returns a signed-in visitor: ada (admin), ben (member with orders,
// tickets and a booking), cleo (member).
func as(slug string) *visitor {
	u := users[slug]
	if u == nil {
		panic("no seed user " + slug)
	}
	v := &visitor{who: slug, cookies: map[string]string{}, csrf: map[string]string{}}
	for _, s := range serviceNames {
		name, value, csrf := plat.VisitorSession(s, u)
		v.cookies[s] = name + "=" + value
		v.csrf[s] = csrf
	}
	return v
}

// page is one answer.
type page struct {
	Status int
	Header http.Header
	Body   string
}

var client = &http.Client{
	Timeout:       15 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends a request to service's path as v; headers are name, value pairs.
func (v *visitor) do(t testing.TB, method, service, path string, form url.Values, headers ...string) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, urls[service]+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	if c := v.cookies[service]; c != "" {
		req.Header.Set("Cookie", c)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, service, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func (v *visitor) get(t testing.TB, service, path string, headers ...string) page {
	t.Helper()
	return v.do(t, "GET", service, path, nil, headers...)
}

// post sends a form with the visitor's CSRF token.
func (v *visitor) post(t testing.TB, service, path string, form url.Values, headers ...string) page {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if tok := v.csrf[service]; tok != "" && form.Get("csrf_token") == "" {
		form.Set("csrf_token", tok)
	}
	return v.do(t, "POST", service, path, form, headers...)
}

// want fails t unless the page has status and contains every string.
func (p page) want(t testing.TB, what string, status int, contains ...string) page {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.Status, status, clip(p.Body))
	}
	for _, c := range contains {
		if !strings.Contains(p.Body, c) {
			t.Errorf("%s: no %q in\n%s", what, c, clip(p.Body))
		}
	}
	return p
}

// lacks fails t when the page contains any of the strings.
func (p page) lacks(t testing.TB, what string, strs ...string) page {
	t.Helper()
	for _, s := range strs {
		if strings.Contains(p.Body, s) {
			t.Errorf("%s: unexpected %q in\n%s", what, s, clip(p.Body))
		}
	}
	return p
}

func clip(s string) string {
	if len(s) > 1500 {
		return s[:1500] + "…"
	}
	return s
}

// exec runs SQL against the test database. A fixture written here stands
// for a change made through the platform, so it drops the query-result
// cache (pgtest.FixtureWrote) as the platform's own writes do.
func exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
	pgtest.FixtureWrote(sql)
}

// scalar reads one value; an insert … returning is a fixture write (exec).
func scalar[T any](t testing.TB, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatal(err)
	}
	pgtest.FixtureWrote(sql)
	return v
}

func mustAtoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// getURL is get for an absolute URL (a service outside the shared platform).
func (v *visitor) getURL(t testing.TB, u string) page {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// newMember adds a user of its own to the database (a test that changes a
// member's data leaves the seed's members as they were) and signs them in.
func newMember(t testing.TB, slug string) *visitor {
	t.Helper()
	var id int
	if err := db.QueryRow(context.Background(), "insert into users (email, name, slug) values ($1, $2, $3) returning id",
		slug+"@test.example", "Test "+slug, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	u := map[string]any{"id": id, "name": "Test " + slug, "email": slug + "@test.example", "admin": false}
	v := &visitor{who: slug, cookies: map[string]string{}, csrf: map[string]string{}}
	for _, s := range serviceNames {
		name, value, csrf := plat.VisitorSession(s, u)
		v.cookies[s] = name + "=" + value
		v.csrf[s] = csrf
	}
	return v
}
