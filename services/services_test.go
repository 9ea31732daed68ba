// Package services_test exercises the platform's service files through
// their real HTTP endpoints against a real PostgreSQL database with the
// platform schema applied.
package services_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/migrations"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

var (
	dbURL string
	db    *pgxpool.Pool
)

func TestMain(m *testing.M) {
	if url := os.Getenv("SX_AP_BENCH_WORKER_DB"); url != "" {
		// The delivery worker process of TestAPBenchDelivery10k works on
		// the database of the test that started it.
		var err error
		dbURL = url
		if db, err = host.OpenDatabase(context.Background(), url, sqlprims.Options{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(m.Run())
	}
	url, drop, err := pgtest.Create("sx_services")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dbURL = url
	ctx := context.Background()
	db, err = host.OpenDatabase(ctx, url, sqlprims.Options{})
	if err == nil {
		_, err = migrations.Up(ctx, db, migrations.FS)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		drop()
		os.Exit(1)
	}
	code := m.Run()
	db.Close()
	drop()
	os.Exit(code)
}

// platform loads the named service files (e.g. "account") into one
// process and serves each on its own port; it returns base URLs by name.
func platform(t *testing.T, names ...string) map[string]string {
	t.Helper()
	_, urls := platformWith(t, host.Options{}, names...)
	return urls
}

// platformWith is platform with options (configuration, activity tuning);
// the database and a silent logger are filled in. It also returns the
// platform, for running activity processors.
func platformWith(t *testing.T, opts host.Options, names ...string) (*host.Platform, map[string]string) {
	t.Helper()
	var files []string
	for _, n := range names {
		files = append(files, filepath.Join(".", n+".sx"))
	}
	opts.DB = db
	if opts.OutboundAllow == nil {
		// The fakes of outside APIs (Ghost) listen on 127.0.0.1, which
		// http/request refuses unless allowed (SX_OUTBOUND_ALLOW).
		opts.OutboundAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := host.New(files, opts)
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	for _, svc := range p.Services() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := host.NewServer(svc)
		go srv.Serve(ln)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.ShutdownWithContext(ctx)
			// Shutdown misses a listener Serve has not registered yet.
			ln.Close()
		})
		urls[svc.Name] = "http://" + ln.Addr().String()
	}
	return p, urls
}

// call is one request and its decoded JSON answer.
type call struct {
	Status int
	Body   string
	JSON   any
}

func request(t *testing.T, method, url string, body any) call {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return newCall(resp.StatusCode, b)
}

// newCall is an answer with its body decoded as JSON (numbers kept exact).
func newCall(status int, body []byte) call {
	c := call{Status: status, Body: string(body)}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.Decode(&c.JSON)
	return c
}

// query calls GET /internal/data/{name}?query on a service.
func query(t *testing.T, base, name, query string) call {
	t.Helper()
	u := base + "/internal/data/" + name
	if query != "" {
		u += "?" + query
	}
	return request(t, "GET", u, nil)
}

// action calls POST /internal/actions/{name} with a JSON body.
func action(t *testing.T, base, name string, body map[string]any) call {
	t.Helper()
	return request(t, "POST", base+"/internal/actions/"+name, body)
}

// exec runs SQL directly, for fixtures and for checking what was written.
func exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	pgtest.FixtureWrote(sql) // seen at once, as a write through the platform
}

// scalar reads one value directly from the database.
func scalar[T any](t *testing.T, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	pgtest.FixtureWrote(sql) // an insert … returning is a fixture too
	return v
}

// seq keeps e-mails, slugs and codes unique across tests sharing the database.
var seq atomic.Int64

// uniq is a lower-case token unique to this test run.
func uniq(t *testing.T) string {
	return fmt.Sprintf("%s-%d-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")),
		time.Now().UnixNano(), seq.Add(1))
}

func wantStatus(t *testing.T, c call, status int) {
	t.Helper()
	if c.Status != status {
		t.Fatalf("status %d, want %d: %s", c.Status, status, c.Body)
	}
}

// wantBadParam checks for a 400 whose error names the parameter.
func wantBadParam(t *testing.T, c call, param string) {
	t.Helper()
	wantStatus(t, c, 400)
	m := wantObj(t, c)
	if msg, _ := m["error"].(string); !strings.Contains(msg, param) {
		t.Fatalf("400 does not name %q: %s", param, c.Body)
	}
}

// wantError checks for a status whose error message contains text.
func wantError(t *testing.T, c call, status int, text string) {
	t.Helper()
	wantStatus(t, c, status)
	if !strings.Contains(c.Body, text) {
		t.Fatalf("error does not say %q: %s", text, c.Body)
	}
}

func wantNull(t *testing.T, c call) {
	t.Helper()
	wantStatus(t, c, 200)
	if strings.TrimSpace(c.Body) != "null" {
		t.Fatalf("want null, got %s", c.Body)
	}
}

func wantObj(t *testing.T, c call) map[string]any {
	t.Helper()
	m, ok := c.JSON.(map[string]any)
	if !ok {
		t.Fatalf("want a JSON object, got %d %s", c.Status, c.Body)
	}
	return m
}

func wantArr(t *testing.T, c call) []any {
	t.Helper()
	wantStatus(t, c, 200)
	a, ok := c.JSON.([]any)
	if !ok {
		t.Fatalf("want a JSON array, got %d %s", c.Status, c.Body)
	}
	return a
}

// num reads a JSON number as an int64.
func num(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("want a number, got %#v", v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// numf reads a JSON number as a float64 (money, rates).
func numf(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("want a number, got %#v", v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// column runs SQL directly and returns its one text column, row by row.
func column(t *testing.T, sql string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// itoa formats an id for a query string.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// checkSchema checks that /internal/schema of a service lists exactly the
// given queries and actions, each with a docstring, and returns the
// listing by name.
func checkSchema(t *testing.T, base, service string, queries, actions []string) map[string]map[string]any {
	t.Helper()
	s := wantObj(t, request(t, "GET", base+"/internal/schema", nil))
	if s["service"] != service {
		t.Fatalf("schema of %q: %v", service, s["service"])
	}
	all := map[string]map[string]any{}
	check := func(key string, want []string) {
		list, _ := s[key].([]any)
		got := map[string]bool{}
		for _, it := range list {
			m := it.(map[string]any)
			name := m["name"].(string)
			got[name] = true
			all[name] = m
			if doc, _ := m["doc"].(string); doc == "" {
				t.Errorf("%s %s has no docstring", key, name)
			}
		}
		for _, n := range want {
			if !got[n] {
				t.Errorf("%s: %s not listed", key, n)
			}
		}
		wanted := map[string]bool{}
		for _, n := range want {
			wanted[n] = true
		}
		for n := range got {
			if !wanted[n] {
				t.Errorf("%s: %s listed but not expected", key, n)
			}
		}
	}
	check("queries", queries)
	check("actions", actions)
	return all
}
