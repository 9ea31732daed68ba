package host_test

// Shared fixtures for the host's integration tests: a PostgreSQL database of
// the package's own, services written into temporary directories, servers on
// 127.0.0.1:0 and small HTTP helpers. Everything goes through real sockets
// and the real database.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/internal/syncbuf"
	"github.com/rose-ash/sxhost/migrations"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

// dbURL is the package's own database, created in TestMain.
var dbURL string

// allowLoopback lets http/request reach fakes of outside APIs on 127.0.0.1
// (SX_OUTBOUND_ALLOW=127.0.0.0/8).
var allowLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func TestMain(m *testing.M) {
	url, drop, err := pgtest.Create("sx_host")
	if err != nil {
		fmt.Fprintln(os.Stderr, "host tests need PostgreSQL:", err)
		os.Exit(1)
	}
	dbURL = url
	// The platform schema, for the activity bus's table.
	if err := applyMigrations(url); err != nil {
		fmt.Fprintln(os.Stderr, "host tests: migrations:", err)
		drop()
		os.Exit(1)
	}
	code := m.Run()
	browsertest.Shutdown()
	drop()
	os.Exit(code)
}

func applyMigrations(url string) error {
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = migrations.Up(context.Background(), pool, migrations.FS)
	return err
}

// openPool opens a host pool (with the SQL tracer) on url, closed when the
// test ends.
func openPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := host.OpenDatabase(ctx, url, sqlprims.Options{})
	if err != nil {
		t.Fatalf("OpenDatabase: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// directConn is a connection of the test's own, outside the host's pool,
// for setting up tables and checking what the host committed.
func directConn(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// execSQL runs statements on a fresh direct connection.
func execSQL(t testing.TB, stmts ...string) {
	t.Helper()
	c := directConn(t)
	for _, s := range stmts {
		if _, err := c.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// countRows counts the rows of a table through a direct connection.
func countRows(t testing.TB, c *pgx.Conn, table string, where string, args ...any) int {
	t.Helper()
	var n int
	q := "select count(*) from " + table
	if where != "" {
		q += " where " + where
	}
	if err := c.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// uniqueName returns a table or key name no other test uses.
func uniqueName(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// writeFile writes content to dir/name (creating directories) and returns
// the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// logBuffer collects the platform's JSON log lines; safe for concurrent use.
type logBuffer struct{ syncbuf.Buffer }

// records decodes every JSON log line.
func (l *logBuffer) records(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// newLogger returns a JSON logger writing into a fresh buffer.
func newLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// newPlatform loads files into a platform; a nil logger discards the log.
func newPlatform(t testing.TB, files []string, opts host.Options) *host.Platform {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := host.New(files, opts)
	if err != nil {
		t.Fatalf("host.New: %v", err)
	}
	return p
}

// served is one service answering on a real socket.
type served struct {
	URL string
	Srv *fasthttp.Server
}

// listen reserves a port on 127.0.0.1.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serveOn serves svc on ln until the test ends. The cleanup stops the
// server however early it runs: Shutdown only closes the listeners Serve has
// already registered, so a test that ends (a skip, a fatal error) before
// the goroutine reaches Serve would leave it accepting forever. Closing ln
// as well ends that Serve at its first Accept.
func serveOn(t testing.TB, svc *host.Service, ln net.Listener) *served {
	t.Helper()
	srv := host.NewServer(svc)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.ShutdownWithContext(ctx)
		ln.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("server for %s did not stop", svc.Name)
		}
	})
	return &served{URL: "http://" + ln.Addr().String(), Srv: srv}
}

// serve serves svc on a fresh port until the test ends.
func serve(t testing.TB, svc *host.Service) *served {
	t.Helper()
	return serveOn(t, svc, listen(t))
}

// startService writes src as name.sx into a temporary directory, loads it
// and serves it.
func startService(t testing.TB, src string, opts host.Options) (*served, *host.Platform, string) {
	t.Helper()
	dir := t.TempDir()
	file := writeFile(t, dir, "svc.sx", src)
	p := newPlatform(t, []string{file}, opts)
	return serve(t, p.Services()[0]), p, file
}

// client is the tests' HTTP client: no redirects followed, a deadline on
// every call, and no connection reuse (servers come and go).
var client = &http.Client{
	Timeout: 15 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
	Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true},
}

// response is a completed HTTP exchange.
type response struct {
	Status int
	Header http.Header
	Body   string
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// JSON decodes the body into a generic value.
func (r response) JSON(t testing.TB) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, r.Body)
	}
	return v
}

// Object decodes the body as a JSON object.
func (r response) Object(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.JSON(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not a JSON object: %q", r.Body)
	}
	return m
}

// do sends one request; headers are name/value pairs.
func do(t testing.TB, method, url string, body []byte, headers ...string) response {
	t.Helper()
	r, err := tryDo(method, url, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func tryDo(method, url string, body []byte, headers ...string) (response, error) {
	return tryDoCtx(context.Background(), method, url, body, headers...)
}

// tryDoCtx is tryDo giving up when ctx ends.
func tryDoCtx(ctx context.Context, method, url string, body []byte, headers ...string) (response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return response{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}

func get(t testing.TB, url string, headers ...string) response {
	t.Helper()
	return do(t, "GET", url, nil, headers...)
}

func postJSON(t testing.TB, url, body string, headers ...string) response {
	t.Helper()
	return do(t, "POST", url, []byte(body), append([]string{"Content-Type", "application/json"}, headers...)...)
}

// wantStatus fails the test unless r has the status.
func wantStatus(t testing.TB, r response, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d; body %q", what, r.Status, status, r.Body)
	}
}

// wantJSONError checks a JSON error answer: status, content type and an
// "error" message containing every fragment.
func wantJSONError(t testing.TB, r response, status int, what string, fragments ...string) map[string]any {
	t.Helper()
	wantStatus(t, r, status, what)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: content type %q, want application/json; body %q", what, ct, r.Body)
	}
	obj := r.Object(t)
	msg, _ := obj["error"].(string)
	if msg == "" {
		t.Fatalf("%s: no \"error\" message in %q", what, r.Body)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Fatalf("%s: error %q does not mention %q", what, msg, f)
		}
	}
	return obj
}

// eventually polls cond every 10 ms until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitForBackend waits until PostgreSQL shows a statement containing
// marker running (or waiting) in the package's database: a request is then
// certainly in flight.
func waitForBackend(t testing.TB, c *pgx.Conn, marker string) {
	t.Helper()
	eventually(t, 5*time.Second, "a statement containing "+marker+" to run", func() bool {
		return backendCount(t, c, marker) > 0
	})
}

// waitNoBackend waits until no statement containing marker runs: the
// server has cancelled or finished it.
func waitNoBackend(t testing.TB, c *pgx.Conn, marker string, within time.Duration) {
	t.Helper()
	eventually(t, within, "statements containing "+marker+" to stop", func() bool {
		return backendCount(t, c, marker) == 0
	})
}

// posOf returns "line:col" (1-based) of the first occurrence of needle in
// src, for matching positions in messages.
func posOf(t testing.TB, src, needle string) string {
	t.Helper()
	i := strings.Index(src, needle)
	if i < 0 {
		t.Fatalf("%q is not in the source", needle)
	}
	line := strings.Count(src[:i], "\n") + 1
	col := i - strings.LastIndex(src[:i], "\n")
	return fmt.Sprintf("%d:%d", line, col)
}

// sameJSON reports whether two JSON texts hold the same value (key order
// and escaping aside).
func sameJSON(t testing.TB, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON %q: %v", want, err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// containsAll reports whether s contains every fragment.
func containsAll(s string, fragments ...string) bool {
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			return false
		}
	}
	return true
}

// backendCount counts statements containing marker running in the
// package's database, other than the asking one.
func backendCount(t testing.TB, c *pgx.Conn, marker string) int {
	t.Helper()
	var n int
	err := c.QueryRow(context.Background(),
		`select count(*) from pg_stat_activity where datname = current_database()
		   and state = 'active' and pid <> pg_backend_pid() and position($1 in query) > 0`, marker).Scan(&n)
	if err != nil {
		t.Fatalf("pg_stat_activity: %v", err)
	}
	return n
}
