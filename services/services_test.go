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
	"os"
	"path/filepath"
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
	var files []string
	for _, n := range names {
		files = append(files, filepath.Join(".", n+".sx"))
	}
	p, err := host.New(files, host.Options{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
		})
		urls[svc.Name] = "http://" + ln.Addr().String()
	}
	return urls
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
	c := call{Status: resp.StatusCode, Body: string(b)}
	dec := json.NewDecoder(bytes.NewReader(b))
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
}

// scalar reads one value directly from the database.
func scalar[T any](t *testing.T, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}
