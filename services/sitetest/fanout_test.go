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
	"sync"
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

// overlap stands between a page and its fragment providers (reverse proxies
// to the real services): until every provider has had a request in flight
// at the same moment, each request is held, so fragments fetched one after
// another never get an answer (the page's fragment timeout ends them), and
// fetched concurrently they all go through at once. Afterwards requests
// pass straight through. It records the paths each provider was asked for.
type overlap struct {
	mu       sync.Mutex
	inFlight map[string]int
	asked    map[string][]string
	met      chan struct{} // closed when every provider had a request in flight at once
}

func newOverlap() *overlap {
	return &overlap{inFlight: map[string]int{}, asked: map[string][]string{}, met: make(chan struct{})}
}

// provider returns the URL of a proxy to target, held by o, for the
// provider named name.
func (o *overlap) provider(t *testing.T, name, target string) string {
	t.Helper()
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	o.inFlight[name] = 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.asked[name] = append(o.asked[name], r.URL.Path)
		o.inFlight[name]++
		all := true
		for _, n := range o.inFlight {
			all = all && n > 0
		}
		if all && !o.isMet() {
			close(o.met)
		}
		o.mu.Unlock()
		select {
		case <-o.met:
		case <-r.Context().Done(): // the page gave up on this fragment
		}
		o.mu.Lock()
		o.inFlight[name]--
		o.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func (o *overlap) isMet() bool {
	select {
	case <-o.met:
		return true
	default:
		return false
	}
}

// count returns how many requests each provider has had.
func (o *overlap) count() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := map[string]int{}
	for n, l := range o.asked {
		m[n] = len(l)
	}
	return m
}

func timedGet(t *testing.T, u string) (page, time.Duration) {
	t.Helper()
	start := time.Now()
	p := anon.getURL(t, u)
	return p, time.Since(start)
}

// Fan-out costs the slowest fragment, not the sum: the header's fragments
// from blog, cart and account are all in flight at the same moment (each
// provider holds its answer until the others have been asked; fetched one
// after another they would time out and the header would lack them). No
// wall-clock bound (it failed under load on a fresh process's first
// fan-out, the providers' time): docs/sites.md, "Fragments that fail".
func TestHeaderFragmentsFetchedConcurrently(t *testing.T) {
	o := newOverlap()
	remote := map[string]string{}
	for _, s := range []string{"blog", "cart", "account"} {
		remote[s] = o.provider(t, s, urls[s])
	}
	base := layoutPlatform(t, remote)
	anon.getURL(t, base+"/").want(t, "fan-out page", 200, `<p id="body">The page itself.</p>`,
		">Shop</a>", `id="cart-mini"`, `href="/auth/login?next=%2F">Sign in</a>`)
	if !o.isMet() {
		t.Fatalf("the providers were never asked at the same moment (asked: %v)", o.asked)
	}
	first := o.count()
	for _, s := range []string{"blog", "cart", "account"} {
		if first[s] == 0 {
			t.Fatalf("%s was not asked: the fragments did not go through the providers (asked: %v)", s, o.asked)
		}
	}
	// Again: cached fragments (nav-tree 60 s, cart-mini 10 s) are not asked
	// for again.
	anon.getURL(t, base+"/").want(t, "fan-out page again", 200, ">Shop</a>", `id="cart-mini"`)
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range []string{"blog", "cart"} {
		for _, path := range o.asked[s][first[s]:] {
			if strings.Contains(path, "nav-tree") || strings.Contains(path, "cart-mini") {
				t.Errorf("%s asked again for %s: not cached (asked: %v)", s, path, o.asked)
			}
		}
	}
	t.Logf("asked: %v", o.asked)
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

// delayed is a reverse proxy to a real service that holds every answer for
// d first: a slow provider.
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

// Issue 14's own words: with each of the three header fragments 200 ms
// away, the page answers in under 300 ms. Fetched one after another they
// would take 600 ms or more on every try. The providers are warmed first
// by a page of their own (a fresh process's first fragments, compiled and
// queried for the first time, were what made a single try fail under
// load), and each try is a fresh page process with an empty fragment
// cache; one try of three under 300 ms shows the fan-out, since none of
// a sequential page's could be.
func TestHeaderFragmentsDelayedCostTheSlowest(t *testing.T) {
	direct := map[string]string{"blog": urls["blog"], "cart": urls["cart"], "account": urls["account"]}
	anon.getURL(t, layoutPlatform(t, direct)+"/").want(t, "warm-up page", 200, ">Shop</a>", `id="cart-mini"`)

	remote := map[string]string{}
	for s, u := range direct {
		remote[s] = delayed(t, u, 200*time.Millisecond)
	}
	var tries []time.Duration
	for range 3 {
		p, took := timedGet(t, layoutPlatform(t, remote)+"/")
		p.want(t, "fan-out page", 200, `<p id="body">The page itself.</p>`, ">Shop</a>", `id="cart-mini"`,
			`href="/auth/login?next=%2F">Sign in</a>`)
		if took < 200*time.Millisecond {
			t.Fatalf("answered in %v: the fragments did not go through the 200 ms providers", took)
		}
		tries = append(tries, took)
		if took < 300*time.Millisecond {
			t.Logf("answered in %v (tries: %v)", took, tries)
			return
		}
	}
	t.Fatalf("three header fragments 200 ms away: the page took %v, never under 300 ms (not fetched concurrently)", tries)
}
