package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/pgtest"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

// siteRoot is the repository, from this package's directory.
var siteRoot = filepath.Join("..", "..", "..", "..")

// The site scenarios' two sides answer the real blog home and a real
// product page of the demo cooperative with the same markup (normalised as
// the run's check does: sxhost's runtime tags removed, the per-response
// nonce and CSRF token replaced), on the first request (every cache empty)
// and the second (sxhost's caches warm); an unknown product is a 404 on
// both.
func TestSitePagesIdentical(t *testing.T) {
	servers := newSitePair(t)
	for _, sc := range siteScenarios {
		sx, peer := servers(sc.site)
		for range 2 {
			a, b := serve(t, sx, sc.path), serve(t, peer, sc.path)
			if a.status != 200 || b.status != 200 {
				t.Fatalf("%s GET %s: sx %d, peer %d\n%.2000s\n%.2000s", sc.name, sc.path, a.status, b.status, a.body, b.body)
			}
			if a.contentType != b.contentType {
				t.Errorf("%s: content types %q and %q", sc.name, a.contentType, b.contentType)
			}
			x, y := normaliseSite(a.body), normaliseSite(b.body)
			if msg := firstDifference(x, y); msg != "" {
				t.Fatalf("%s GET %s: %s", sc.name, sc.path, msg)
			}
			for _, want := range siteWants[sc.name] {
				if !strings.Contains(string(x), want) {
					t.Errorf("%s: no %s in\n%s", sc.name, want, x)
				}
			}
		}
	}
	missing := "/suma-market/product/no-such-thing/"
	sxMarket, peerMarket := servers("market")
	if a, b := serve(t, sxMarket, missing), serve(t, peerMarket, missing); a.status != 404 || b.status != 404 {
		t.Errorf("unknown product: sx %d, peer %d", a.status, b.status)
	}
}

// newSitePair seeds a throwaway database with the demo data, starts both
// sides' servers of blog and market over it and returns the pair serving a
// site ("blog" or "market"); it skips without PostgreSQL.
func newSitePair(t testing.TB) func(site string) (sx, peer *fasthttp.Server) {
	t.Helper()
	url, drop, err := pgtest.Create("sx_httpbench_site")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(drop)
	ctx := context.Background()
	if err := siteSeed(ctx, url, siteRoot, io.Discard); err != nil {
		t.Fatal(err)
	}
	pool, err := host.OpenDatabase(ctx, url, sqlprims.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	sxBlog, sxMarket, err := newSiteServers(siteRoot, pool, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	peerBlog, peerMarket, err := newSitePeerServers(siteRoot, pool)
	if err != nil {
		t.Fatal(err)
	}
	return func(site string) (*fasthttp.Server, *fasthttp.Server) {
		if site == "market" {
			return sxMarket, peerMarket
		}
		return sxBlog, peerBlog
	}
}

// BenchmarkSiteHandlers calls both sides' handlers for the two real pages
// in-process, one request at a time (no sockets, no wrk), reporting
// cpu-ns/op besides ns/op; for profiles of one side:
//
//	cd bench && go test -run '^$' -bench 'SiteHandlers/site-product/sx' -cpuprofile cpu.out ./http/cmd/httpbench/
func BenchmarkSiteHandlers(b *testing.B) {
	servers := newSitePair(b)
	for _, sc := range siteScenarios {
		sx, peer := servers(sc.site)
		benchSides(b, sc.name, sx, peer, [][]byte{[]byte(sc.path)})
	}
}

// siteWants are parts of each page the comparison must have seen: the
// header's fragments (the menu with its link nodes, the cart badge, the
// sign-in link), the listing and its events, the product's price and form.
var siteWants = map[string][]string{
	"site-blog": {
		`<a href="https://market.coop.example/suma-market/">Market</a>`,
		`<a href="https://events.coop.example/whats-on/calendar/workshops/">Workshops</a>`,
		`<span class="cart-count">0</span>`,
		`href="/auth/login?next=%2F">Sign in</a>`,
		`<li class="event-card"><a href="https://events.coop.example/whats-on/calendar/`,
		`<p>Minutes and decisions of this year's general meeting.</p>`,
		`<a class="tag" href="https://blog.coop.example/?tag=co-op">Co-op</a>`,
		`sx-get="/?page=2"`,
	},
	"site-product": {
		`<h1>Extra virgin olive oil 500ml</h1>`,
		`<span class="price-now">£6.75</span>`,
		`<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","name":"Extra virgin olive oil 500ml"`,
		`<input type="hidden" name="csrf_token" value="TOKEN">`,
		`<a href="/suma-market/pantry/oils/">Oils</a>`,
		`<a href="https://market.coop.example/suma-market/">Market</a>`,
	},
}

// The normaliser removes what it must and nothing else.
func TestNormaliseSite(t *testing.T) {
	in := `<head><script src="/static/site.abc.js" defer nonce="a+b=="></script><meta name="csrf-token" content="0123abcd">` +
		`<script src="/static/sx.8ae17af68c388f90.js" defer nonce="a+b=="></script></head><body><div id="sx-root" sx-boost="true">` +
		`<input type="hidden" name="csrf_token" value="0123abcd"></div><script type="text/sx" data-components data-hash="12ab">(define x 1)</script></body>`
	want := `<head><script src="/static/site.abc.js" defer nonce="NONCE"></script><meta name="csrf-token" content="TOKEN">` +
		`</head><body><div id="sx-root" sx-boost="true">` +
		`<input type="hidden" name="csrf_token" value="TOKEN"></div></body>`
	if got := string(normaliseSite([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
