package sitetest_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// A service of its own that uses the shared layout (services/shared and
// services/static beside it, as links): its page's header fetches blog's
// nav-tree, cart's cart-mini and account's auth-menu from other processes.
const fanoutService = `(defservice shop :title "Shop")
(defpage home :path "/" :layout ~site-layout :title "Fan-out" :content (p :id "body" "The page itself."))
`

// layoutPlatform serves fanoutService with the three header providers at
// the given base URLs and returns its URL.
func layoutPlatform(t *testing.T, remote map[string]string) string {
	t.Helper()
	return layoutService(t, fanoutService, remote)
}

// layoutService serves a service of its own (source src) beside the shared
// layout, with the other services at the given base URLs, and returns its
// URL.
func layoutService(t *testing.T, src string, remote map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"shared", "static"} {
		abs, _ := filepath.Abs(filepath.Join("..", d))
		if err := os.Symlink(abs, filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "shop.sx")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := host.New([]string{file}, host.Options{Remote: remote, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := host.NewServer(p.Services()[0])
	go srv.Serve(ln)
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.ShutdownWithContext(c)
		ln.Close()
	})
	return "http://" + ln.Addr().String()
}

// delayed is a reverse proxy to a real service that holds every answer
// for d first: a slow provider.
func delayed(t *testing.T, target string, d time.Duration) string {
	t.Helper()
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func timedGet(t *testing.T, u string) (page, time.Duration) {
	t.Helper()
	start := time.Now()
	p := anon.getURL(t, u)
	return p, time.Since(start)
}

// Fan-out costs the slowest fragment, not the sum: with each of the three
// header fragments 200 ms away, the page answers in under 300 ms (cold
// fragment cache: the page's own cache is empty).
func TestHeaderFragmentsFetchedConcurrently(t *testing.T) {
	remote := map[string]string{}
	for _, s := range []string{"blog", "cart", "account"} {
		remote[s] = delayed(t, urls[s], 200*time.Millisecond)
	}
	base := layoutPlatform(t, remote)
	p, took := timedGet(t, base+"/")
	p.want(t, "fan-out page", 200, `<p id="body">The page itself.</p>`, ">Shop</a>", `id="cart-mini"`)
	if took < 200*time.Millisecond {
		t.Fatalf("answered in %v: the fragments were not fetched through the slow providers", took)
	}
	if took >= 300*time.Millisecond {
		t.Fatalf("answered in %v with three 200 ms fragments: they were not fetched concurrently", took)
	}
	// Again: cached fragments (nav-tree 60 s, cart-mini 10 s) are not asked
	// for, and one still missing costs its 200 ms once, not three times.
	if _, again := timedGet(t, base+"/"); again >= 300*time.Millisecond {
		t.Fatalf("second answer took %v", again)
	}
}

// A provider that is down (nothing listens) or hangs (accepts and never
// answers) costs its part of the header, not the page: the page renders
// without it, within the 2 s fragment timeout, far inside the request's
// deadline.
func TestPageRendersWithoutFragmentsOfDeadProviders(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}))
	t.Cleanup(hang.CloseClientConnections)
	t.Cleanup(hang.Close)
	base := layoutPlatform(t, map[string]string{"blog": urls["blog"], "cart": down, "account": hang.URL})
	p, took := timedGet(t, base+"/")
	p.want(t, "page with dead providers", 200, `<p id="body">The page itself.</p>`, ">Shop</a>",
		// the account menu falls back to a sign-in link
		`href="/auth/login?next=%2F">Sign in</a>`)
	p.lacks(t, "page with dead providers", `id="cart-mini"`)
	if took > 3*time.Second {
		t.Fatalf("the page took %v with a hanging provider", took)
	}
	// Failures are not cached: once the provider is back, its part is too.
	base2 := layoutPlatform(t, map[string]string{"blog": urls["blog"], "cart": urls["cart"], "account": urls["account"]})
	anon.getURL(t, base2+"/").want(t, "providers back", 200, `id="cart-mini"`)
	if !strings.Contains(p.Body, "Rose Ash Co-op") {
		t.Fatal("no layout")
	}
}
