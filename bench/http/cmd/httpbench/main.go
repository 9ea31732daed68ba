// Command httpbench measures the HTTP throughput of sxhost against
// hand-written fasthttp servers doing the same work, with wrk, in one run.
// bench/http/run (make bench-http) sets up wrk and a throwaway database and
// calls it; docs/benchmarks.md has the method and the latest results.
//
// Usage:
//
//	httpbench run -db URL [flags]                  measure, print the tables
//	httpbench serve -side sx|peer -db URL [flags]  one server (run starts these)
//	httpbench idle -pid PID [flags]                RSS of a server holding idle keep-alive connections
//	httpbench service                              print the SX service file
//	httpbench blog-tables                          print the blog scenario's tables (SQL)
//	httpbench site-seed -db URL [-root DIR]        migrate and seed the site scenarios' database
//
// run starts two servers from its own binary, sxhost (host.New and
// host.NewServer on a generated service file) and the peer (one fasthttp
// handler), each pinned to -server-cpu with GOMAXPROCS=1, and drives them
// with wrk pinned to -wrk-cpu. For each scenario it first checks that both
// answer byte-identical bodies with the same status and content type (for
// the query, for every product id), then warms both up and runs -rounds
// interleaved rounds (sx, peer, sx, peer …), so that each sx/peer ratio
// compares measurements taken seconds apart. The ratio reported is the
// median of the per-round ratios.
//
// Scenarios:
//
//	query  GET /internal/data/product-by-id?id=N, a defquery running one
//	       select, against fasthttp + pgx running the same select and
//	       encoding the same JSON; wrk cycles N through 1…-products
//	hello  a defpage with one static paragraph, against a raw fasthttp
//	       handler writing the same bytes
//	page   the complex page of bench/page.go as a defpage, against the same
//	       page rendered by html/template (bench.RenderTemplate)
//	product a shop's product page (product.go): two selects, money,
//	       JSON-LD, breadcrumbs, a form, four related products, against
//	       fasthttp + pgx + html/template writing the same bytes
//	blog   a blog home (blog.go): three header fragments fetched with
//	       gather and cached per their TTLs, and a 12-post listing, against
//	       fasthttp + pgx + html/template running the three queries
//	blog-uncached the same page with the fragments uncached
//	site-blog, site-product the REAL blog home and product page of
//	       services/*.sx on the demo data, against a hand-written peer
//	       running the same statements (site.go, site_peer.go)
//
// With -profile DIR it then runs one more round per scenario against each
// side while taking a CPU profile of the server process, and writes
// DIR/<side>-<scenario>.pprof (read them with go tool pprof -top).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // served on -pprof only
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/bench"
	"github.com/rose-ash/sxhost/host"
)

const usage = `usage:
  httpbench run -db URL [flags]                  measure sxhost against the peers
  httpbench serve -side sx|peer -db URL [flags]  serve one side (run starts these)
  httpbench idle -pid PID [flags]                RSS of a server holding idle keep-alive connections
  httpbench service                              print the SX service file
  httpbench blog-tables                          print the blog scenario's tables (SQL)
  httpbench site-seed -db URL [-root DIR]        migrate and seed the site scenarios' database
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	switch os.Args[1] {
	case "run":
		err = runCommand(ctx, os.Args[2:])
	case "serve":
		err = serveCommand(ctx, os.Args[2:])
	case "idle":
		err = idleCommand(ctx, os.Args[2:])
	case "service":
		fmt.Print(serviceSource(bench.NewPageData()))
	case "blog-tables":
		fmt.Print(blogTables)
	case "site-seed":
		err = siteSeedCommand(ctx, os.Args[2:])
	default:
		fmt.Fprint(os.Stderr, usage)
		stop()
		os.Exit(2)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		os.Exit(1)
	}
}

// serveCommand runs one side until it is interrupted.
func serveCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("httpbench serve", flag.ExitOnError)
	side := fs.String("side", "", "sx or peer")
	addr := fs.String("addr", "127.0.0.1:18101", "listen address")
	db := fs.String("db", "", "PostgreSQL URL (empty: no database; the query scenario fails)")
	poolSize := fs.Int("pool", 8, "maximum database connections")
	dir := fs.String("dir", os.TempDir(), "directory for the generated service file (sx)")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof on this address")
	reduce := fs.Bool("reduce-memory", true, "sx: fasthttp's ReduceMemoryUsage as host.NewServer sets it (false: the trade measured in docs/benchmarks.md)")
	readAhead := fs.Bool("read-ahead", true, "sx: serve on host.WrapListener, as sxhost does (false: a plain listener, as measured in docs/benchmarks.md)")
	siteDB := fs.String("site-db", "", "also serve the site scenarios' pages over this seeded database (site.go)")
	root := fs.String("root", "..", "the repository (site scenarios)")
	blogAddr := fs.String("site-blog-addr", "127.0.0.1:18201", "listen address of blog's pages (site scenarios)")
	marketAddr := fs.String("site-market-addr", "127.0.0.1:18202", "listen address of market's pages (site scenarios)")
	fs.Parse(args)

	var pool *pgxpool.Pool
	var err error
	if *db != "" {
		open := openPeerPool
		if *side == "sx" {
			open = openSXPool
		}
		if pool, err = open(ctx, *db, int32(*poolSize)); err != nil {
			return fmt.Errorf("%s: database: %w", *side, err)
		}
		defer pool.Close()
	}
	var srv *fasthttp.Server
	switch *side {
	case "sx":
		srv, err = newSXServer(*dir, pool, os.Stderr)
	case "peer":
		srv = newPeerServer(pool)
	default:
		return fmt.Errorf("serve: -side must be sx or peer")
	}
	if err != nil {
		return err
	}
	if *side == "sx" {
		srv.ReduceMemoryUsage = *reduce
	}
	if *pprofAddr != "" {
		go func() {
			if err := http.ListenAndServe(*pprofAddr, nil); err != nil {
				fmt.Fprintln(os.Stderr, "httpbench serve: pprof:", err)
			}
		}()
	}
	// The site servers first: /healthz answers once everything does.
	errs := make(chan error, 3)
	if *siteDB != "" {
		stop, err := serveSite(ctx, *side, [2]string{*blogAddr, *marketAddr}, *siteDB, *root, int32(*poolSize), errs)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *side == "sx" && *readAhead {
		ln = host.WrapListener(ln)
	}
	go func() { errs <- srv.Serve(ln) }()
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.ShutdownWithContext(sctx)
}
