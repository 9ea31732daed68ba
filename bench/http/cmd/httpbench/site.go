package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/migrations"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

// The site scenarios (issue 14, "Performance"): the REAL blog home and a
// REAL product page of the platform, not models of them. sxhost serves the
// six services of services/*.sx in one process, as `make run` does, over a
// database migrated and filled with the demo cooperative of seed/demo.sx
// (httpbench site-seed, which bench/http/run calls), with production
// options; the requests are an anonymous visitor's (no cookies). The peer
// (site_peer.go) runs the same SQL statements per request and writes the
// same markup with html/template.

// siteServiceNames are the six services, in the order `make run` loads them.
var siteServiceNames = []string{"blog", "market", "cart", "events", "federation", "account"}

// sitePublicURL is the public base URL of a service's pages in the bench
// (SX_PUBLIC_URL_<SERVICE>, as a deployment sets it): the links between
// the services and the canonical URLs are absolute on it, on both sides.
func sitePublicURL(service string) string { return "https://" + service + ".coop.example" }

// siteFiles are the service files under root (the repository).
func siteFiles(root string) []string {
	files := make([]string, len(siteServiceNames))
	for i, n := range siteServiceNames {
		files[i] = filepath.Join(root, "services", n+".sx")
	}
	return files
}

// siteSeed migrates the database at url and fills it with the demo
// cooperative as the sitetest package does: seed/demo.sx through the six
// services, then the activities the seed emitted handled as the processors
// would (the menu's link nodes, the paid orders' tickets).
func siteSeed(ctx context.Context, url, root string, out io.Writer) error {
	pool, err := host.OpenDatabase(ctx, url, sqlprims.Options{})
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool, migrations.FS); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	plat, err := host.New(siteFiles(root), host.Options{DB: pool, Logger: log})
	if err != nil {
		return err
	}
	if _, err := plat.RunScript(ctx, filepath.Join(root, "seed", "demo.sx"), out); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for range 5 {
		n := 0
		for _, s := range plat.Services() {
			k, err := s.ProcessActivities(ctx)
			if err != nil {
				return fmt.Errorf("activities of %s: %w", s.Name, err)
			}
			n += k
		}
		if n == 0 {
			break
		}
	}
	_, err = pool.Exec(ctx, "analyze")
	return err
}

// newSiteServers loads the six services over pool with the options of
// newSXServer (sxOptions) and returns the servers of blog and market.
func newSiteServers(root string, pool *pgxpool.Pool, logOut io.Writer) (blog, market *fasthttp.Server, err error) {
	p, err := host.New(siteFiles(root), sxOptions(pool, logOut))
	if err != nil {
		return nil, nil, err
	}
	for _, n := range siteServiceNames {
		p.SetPublicURL(n, sitePublicURL(n))
	}
	for _, s := range p.Services() {
		switch s.Name {
		case "blog":
			blog = host.NewServer(s)
		case "market":
			market = host.NewServer(s)
		}
	}
	return blog, market, nil
}

// siteScenarios are the two real pages: blog's home (the three header
// fragments, the settings, the tag filter, what's on and the 12-post
// listing) and market's product page of one product of the seed.
var siteScenarios = []scenario{
	{name: "site-blog", site: "blog", path: "/", target: 1.5, peer: "html/template",
		title: "REAL blog home (services/blog.sx + layout: 3 header fragments, settings, tags, what's on, 12 posts; the services' caches) vs fasthttp + pgx + html/template (its 12 statements)"},
	{name: "site-product", site: "market", path: "/suma-market/product/olive-oil-500ml/", target: 1.5, peer: "html/template",
		title: "REAL product page (services/market.sx + layout: 3 header fragments, settings, category tree, CSRF session; the services' caches) vs fasthttp + pgx + html/template (its 10 statements)"},
}

func init() { scenarios = append(scenarios, siteScenarios...) }

var (
	siteRuntimeScript = regexp.MustCompile(`<script src="/static/sx(-ext)?\.[0-9a-f]+\.js" defer( data-sx-ext="[^"]*")? nonce="[^"]*"></script>`)
	siteBundle        = regexp.MustCompile(`(?s)<script type="text/sx" data-components data-hash="[0-9a-f]*">.*?</script>`)
	siteNonce         = regexp.MustCompile(`nonce="[^"]*"`)
	siteCSRF          = regexp.MustCompile(`(name="csrf-token" content=|name="csrf_token" value=)"[^"]*"`)
)

// normaliseSite prepares a page of either side for the comparison: it
// removes what sxhost adds for its browser runtime (the sx.js and
// sx-ext.js script tags, the component bundle) and replaces what differs
// on every response (the CSP nonce, the CSRF token). Everything else must
// be byte-identical.
func normaliseSite(body []byte) []byte {
	body = siteRuntimeScript.ReplaceAll(body, nil)
	body = siteBundle.ReplaceAll(body, nil)
	body = siteNonce.ReplaceAll(body, []byte(`nonce="NONCE"`))
	return siteCSRF.ReplaceAll(body, []byte(`$1"TOKEN"`))
}

// url is the base URL that answers the scenario on this side: a site
// scenario's service listens on an address of its own (siteAddrs).
func (s *side) url(sc scenario) string {
	if sc.site == "" {
		return s.base
	}
	return "http://" + s.siteAddrs[sc.site]
}

// freeAddr returns a 127.0.0.1 address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// siteAddrFlags are the serve flags of a side's site servers, choosing
// their addresses the first time.
func (s *side) siteAddrFlags() ([]string, error) {
	if s.siteAddrs == nil {
		s.siteAddrs = map[string]string{}
		for _, n := range []string{"blog", "market"} {
			a, err := freeAddr()
			if err != nil {
				return nil, err
			}
			s.siteAddrs[n] = a
		}
	}
	return []string{"-site-blog-addr", s.siteAddrs["blog"], "-site-market-addr", s.siteAddrs["market"]}, nil
}

// siteHashes are sxhost's component bundle hashes of the site scenarios'
// pages (blog's and market's bundles differ), learned by checkSite.
var siteHashes = map[string]string{}

// scenarioHash is the SX-Components-Hash wrk sends for the scenario, as a
// browser holding the service's bundle does.
func scenarioHash(sc scenario) string {
	if sc.site != "" {
		return siteHashes[sc.name]
	}
	return componentsHash
}

// checkSite requests the page from both sides and fails unless both
// answer 200 with the same content type and the same markup (normalised:
// normaliseSite); it learns the bundle hash of sxhost's page.
func checkSite(ctx context.Context, _ *config, sc scenario, sx, peer *side) error {
	a, err := get(ctx, sx.url(sc)+sc.path)
	if err != nil {
		return fmt.Errorf("%s: sx: %w", sc.name, err)
	}
	b, err := get(ctx, peer.url(sc)+sc.path)
	if err != nil {
		return fmt.Errorf("%s: peer: %w", sc.name, err)
	}
	if a.status != 200 || b.status != 200 {
		return fmt.Errorf("%s: GET %s: sx answered %d, peer %d\n  sx:   %.300s\n  peer: %.300s", sc.name, sc.path, a.status, b.status, a.body, b.body)
	}
	if a.contentType != b.contentType {
		return fmt.Errorf("%s: content types differ: sx %q, peer %q", sc.name, a.contentType, b.contentType)
	}
	m := hashAttr.FindSubmatch(a.body)
	if m == nil {
		return fmt.Errorf("%s: no component bundle hash in sxhost's page", sc.name)
	}
	siteHashes[sc.name] = string(m[1])
	if msg := firstDifference(normaliseSite(a.body), normaliseSite(b.body)); msg != "" {
		return fmt.Errorf("%s: GET %s: pages differ: %s", sc.name, sc.path, msg)
	}
	return nil
}

// serveSite opens a pool on the site database and serves blog's and
// market's pages (sxhost's services, or the peer's handlers) on addrs
// (blog's, market's); a server's failure goes to errs. stop shuts them
// down.
func serveSite(ctx context.Context, sideName string, addrs [2]string, db, root string, maxConns int32, errs chan<- error) (stop func(), err error) {
	open := openPeerPool
	if sideName == "sx" {
		open = openSXPool
	}
	pool, err := open(ctx, db, maxConns)
	if err != nil {
		return nil, fmt.Errorf("%s: site database: %w", sideName, err)
	}
	var blog, market *fasthttp.Server
	if sideName == "sx" {
		blog, market, err = newSiteServers(root, pool, os.Stderr)
	} else {
		blog, market, err = newSitePeerServers(root, pool)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	servers := []*fasthttp.Server{blog, market}
	for i, srv := range servers {
		ln, err := net.Listen("tcp", addrs[i])
		if err != nil {
			pool.Close()
			return nil, err
		}
		if sideName == "sx" {
			ln = host.WrapListener(ln)
		}
		go func() { errs <- srv.Serve(ln) }()
	}
	return func() {
		for _, srv := range servers {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			srv.ShutdownWithContext(c)
			cancel()
		}
		pool.Close()
	}, nil
}

// siteSeedCommand is httpbench site-seed: bench/http/run seeds the site
// scenarios' database with it.
func siteSeedCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("httpbench site-seed", flag.ExitOnError)
	db := fs.String("db", "", "PostgreSQL URL of an empty database (required)")
	root := fs.String("root", "..", "the repository: services/, seed/")
	fs.Parse(args)
	if *db == "" {
		return fmt.Errorf("site-seed: -db is required")
	}
	return siteSeed(ctx, *db, *root, os.Stderr)
}
