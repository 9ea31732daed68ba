package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/migrations"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

const sxhostUsage = `usage:
  sxhost run [--addr HOST:PORT] [--dev] FILE...   serve the services in FILE...
  sxhost check FILE...                            load everything and report problems
  sxhost migrate up|down [N]|status               apply or roll back migrations (DATABASE_URL)
  sxhost seed [--script FILE] [FILE...]           migrate, then fill an empty database with demo
                                                  data (seed/demo.sx through services/*.sx)

environment: DATABASE_URL, REDIS_URL, SX_INTERNAL_SECRET, SX_SESSION_SECRET,
SX_ENV=dev|prod, SX_URL_<SERVICE> (services served elsewhere), SX_ADDR_<SERVICE>
(listen address), SX_OUTBOUND_ALLOW (non-public prefixes http/request may reach)
`

// SxhostMain runs the sxhost command and returns its exit status.
func SxhostMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, sxhostUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "run":
		return run(ctx, args[1:], stderr)
	case "check":
		return check(args[1:], stdout, stderr)
	case "migrate":
		return migrations.Command(ctx, args[1:], stdout, stderr)
	case "seed":
		return seed(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, sxhostUsage)
		return 0
	}
	fmt.Fprintf(stderr, "sxhost: unknown command %q\n%s", args[0], sxhostUsage)
	return 2
}

// platformOptions reads the environment into host options.
func platformOptions(ctx context.Context, log *slog.Logger) (host.Options, func(), error) {
	opts := host.Options{
		Secret:        os.Getenv("SX_INTERNAL_SECRET"),
		SessionSecret: os.Getenv("SX_SESSION_SECRET"),
		SecureCookies: os.Getenv("SX_ENV") == "prod",
		Dev:           os.Getenv("SX_ENV") == "dev",
		Logger:        log,
		Remote:        map[string]string{},
		Cache:         cacheprims.New(os.Getenv("REDIS_URL"), log),
		LoginURL:      os.Getenv("SX_LOGIN_URL"),
		Getenv:        os.Getenv,
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "SX_URL_") {
			opts.Remote[strings.ToLower(strings.ReplaceAll(k[len("SX_URL_"):], "_", "-"))] = v
		}
	}
	allow, err := host.ParseOutboundAllow(os.Getenv("SX_OUTBOUND_ALLOW"))
	if err != nil {
		return opts, nil, err
	}
	opts.OutboundAllow = allow
	closeDB := func() {}
	if url := os.Getenv("DATABASE_URL"); url != "" {
		pool, err := host.OpenDatabase(ctx, url, sqlprims.Options{})
		if err != nil {
			return opts, nil, fmt.Errorf("database: %w", err)
		}
		opts.DB = pool
		closeDB = pool.Close
	} else {
		log.Warn("DATABASE_URL is not set: running without a database")
	}
	return opts, closeDB, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("sxhost run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "listen address when serving one file (HOST:PORT)")
	dev := fs.Bool("dev", false, "development: hot reload, errors shown in the browser")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprint(stderr, "sxhost run: no service files\n"+sxhostUsage)
		return 2
	}
	if *addr != "" && len(files) > 1 {
		fmt.Fprintln(stderr, "sxhost run: --addr serves one file; use SX_ADDR_<SERVICE> for several")
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	opts, closeDB, err := platformOptions(ctx, log)
	if err != nil {
		fmt.Fprintln(stderr, "sxhost:", err)
		return 1
	}
	defer closeDB()
	opts.Dev = opts.Dev || *dev
	p, err := host.New(files, opts)
	if err != nil {
		return report(stderr, err)
	}
	if opts.Dev {
		stopWatch, err := p.Watch(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "sxhost: watch:", err)
			return 1
		}
		defer stopWatch()
	}
	stopActivities := p.StartActivityProcessors(ctx)
	defer stopActivities()
	var servers []*fasthttp.Server
	errs := make(chan error, len(p.Services()))
	for _, svc := range p.Services() {
		listen := *addr
		if listen == "" {
			listen = os.Getenv("SX_ADDR_" + strings.ToUpper(strings.ReplaceAll(svc.Name, "-", "_")))
		}
		if listen == "" {
			if svc.Port == 0 {
				fmt.Fprintf(stderr, "sxhost: service %s has no :port in its defservice; give --addr or SX_ADDR_%s\n", svc.Name, strings.ToUpper(svc.Name))
				return 2
			}
			listen = ":" + strconv.Itoa(svc.Port)
		}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			fmt.Fprintf(stderr, "sxhost: %s: %v\n", svc.Name, err)
			return 1
		}
		srv := host.NewServer(svc)
		servers = append(servers, srv)
		log.Info("serving", "service", svc.Name, "addr", ln.Addr().String(), "dev", opts.Dev)
		go func() { errs <- srv.Serve(ln) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errs:
		if err != nil {
			fmt.Fprintln(stderr, "sxhost:", err)
			return 1
		}
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.ShutdownWithContext(shutdownCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("shutdown", "error", err)
			}
		}()
	}
	wg.Wait()
	return 0
}

// check loads every file and reports what would fail at run time.
func check(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprint(stderr, "sxhost check: no service files\n"+sxhostUsage)
		return 2
	}
	p, err := host.New(files, host.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return report(stderr, err)
	}
	problems := p.Check()
	for _, pr := range problems {
		fmt.Fprintln(stderr, pr)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "%d problem(s)\n", len(problems))
		return 1
	}
	n := 0
	for _, s := range p.Services() {
		n += len(s.Env().Definitions(""))
	}
	fmt.Fprintf(stdout, "ok: %d service(s), %d definition(s)\n", len(p.Services()), n)
	return 0
}

// platformFiles are the six service files, relative to the repository.
var platformFiles = []string{
	"services/blog.sx", "services/market.sx", "services/cart.sx",
	"services/events.sx", "services/federation.sx", "services/account.sx",
}

// seed applies the migrations and runs the demo-data script against the
// platform's services in one transaction. The script itself decides that a
// database which already has users is left alone, so seeding twice is safe.
func seed(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sxhost seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	script := fs.String("script", "seed/demo.sx", "the SX script that writes the data")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		files = platformFiles
	}
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		fmt.Fprintln(stderr, "sxhost seed: DATABASE_URL is not set")
		return 2
	}
	pool, err := host.OpenDatabase(ctx, url, sqlprims.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "sxhost seed: database:", err)
		return 1
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool, migrations.FS); err != nil {
		fmt.Fprintln(stderr, "sxhost seed: migrations:", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := host.New(files, host.Options{DB: pool, Logger: log, Getenv: os.Getenv})
	if err != nil {
		return report(stderr, err)
	}
	if _, err := p.RunScript(ctx, *script, stdout); err != nil {
		return report(stderr, err)
	}
	return 0
}
