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
	"github.com/rose-ash/sxhost/prims/mail"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/repl"
)

const sxhostUsage = `usage:
  sxhost run [--addr HOST:PORT] [--host HOST] [--dev] FILE...
                                                  serve the services in FILE...
  sxhost check [--external SERVICE,...] FILE...   load everything and report problems
  sxhost migrate up|down [N]|status|create NAME   apply, roll back or write migrations (DATABASE_URL)
  sxhost seed [--script FILE] [FILE...]           migrate, then fill an empty database with demo
                                                  data (seed/demo.sx through services/*.sx)
  sxhost clients add|list|remove ...              register, list and remove OAuth clients (docs/auth.md)
  sxhost import-products --market SLUG [--dry-run] FILE
                                                  upsert a CSV/JSON catalogue by SKU and report the changes (docs/admin.md)
  sxhost repl [flags] [FILE...]                   the interactive REPL (what sx repl runs; --help lists its flags)
  sxhost probe URL                                exit 0 when URL answers 200 (container health checks)
  sxhost version                                  print the version (also --version)

Every command answers --help and --version.

environment: DATABASE_URL, DATABASE_POOL_MAX, REDIS_URL, SX_INTERNAL_SECRET, SX_SESSION_KEYS,
SX_ENV=dev|prod, SX_URL_<SERVICE> (services served elsewhere), SX_PUBLIC_URL_<SERVICE>
(where (site-url …) links to a service's pages), SX_ADDR_<SERVICE>
(listen address), SX_OUTBOUND_ALLOW (non-public prefixes http/request may reach),
SX_LOG_FORMAT=text|json, SX_LOG_LEVEL=debug|info|warn|error, SMTP_URL and MAIL_FROM
(outgoing mail; unset: the log and /dev/outbox)
deployment: DATABASE_READ_URL (a read replica), SX_MAX_REPLICA_LAG, SX_SHUTDOWN_DELAY;
each secret may be given as NAME_FILE, a file holding it (Docker secrets); see docs/operations.md
`

const runUsage = `usage: sxhost run [--addr HOST:PORT] [--host HOST] [--serve NAME,...|none] [--background=false] [--dev [--repl 127.0.0.1:PORT]] FILE...

Serves the services defined in FILE... until SIGINT or SIGTERM, each on the
:port of its defservice (or SX_ADDR_<SERVICE>, or --addr for one file), and
runs their activity processors and periodic jobs. Background work can run
apart from the pages: web processes with --background=false, and a worker,
e.g. at a lower priority, with --serve none (nice -n 10 sxhost run --serve
none FILE...), which serves nothing and runs only that.
`

const checkUsage = `usage: sxhost check [--external SERVICE,...] FILE...

Loads FILE... and reports undefined names, arity errors and calls to queries,
actions and fragments their service does not define, as FILE:LINE:COL lines.
Calls to a service named by --external (or by an SX_URL_<SERVICE> variable)
are taken to reach a process running elsewhere and are not checked.
`

const seedUsage = `usage: sxhost seed [--script FILE] [FILE...]

Applies the migrations to DATABASE_URL, then runs the seed script against
the services in FILE... (default: the six of services/) in one transaction.
A database that already has users is left alone.
`

// SxhostMain runs the sxhost command and returns its exit status.
func SxhostMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, sxhostUsage)
		return 2
	}
	if err := loadFileVariables(os.LookupEnv, os.Setenv); err != nil {
		fmt.Fprintln(stderr, "sxhost:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "run":
		return run(ctx, args[1:], stdout, stderr)
	case "check":
		return check(args[1:], stdout, stderr)
	case "migrate":
		for _, a := range args[1:] {
			if isVersionFlag(a) {
				return printVersion(stdout, "sxhost")
			}
		}
		return migrations.Command(ctx, args[1:], stdout, stderr)
	case "seed":
		return seed(ctx, args[1:], stdout, stderr)
	case "clients":
		return clients(ctx, args[1:], stdout, stderr)
	case "import-products":
		return importProducts(ctx, args[1:], stdout, stderr)
	case "repl":
		// sx repl runs this: the REPL needs the platform (services, the
		// database), which the one-shot sx commands do not link.
		stop()
		return repl.Main(args[1:], os.Stdin, stdout, stderr)
	case "probe":
		return probe(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, sxhostUsage)
		return 0
	case "version", "-version", "--version":
		return printVersion(stdout, "sxhost")
	}
	fmt.Fprintf(stderr, "sxhost: unknown command %q\n%s", args[0], sxhostUsage)
	return 2
}

// platformOptions reads the environment into host options.
func platformOptions(ctx context.Context, log *slog.Logger) (host.Options, func(), error) {
	opts := host.Options{
		Secret:        os.Getenv("SX_INTERNAL_SECRET"),
		SessionKeys:   host.SessionKeys(os.Getenv("SX_SESSION_KEYS")),
		SessionSecret: os.Getenv("SX_SESSION_SECRET"),
		SecureCookies: os.Getenv("SX_ENV") == "prod",
		Dev:           os.Getenv("SX_ENV") == "dev",
		Logger:        log,
		Remote:        host.RemoteFromEnv(os.Environ()),
		CookieDomain:  os.Getenv("SX_COOKIE_DOMAIN"),
		Cache:         cacheprims.New(os.Getenv("REDIS_URL"), log),
		LoginURL:      os.Getenv("SX_LOGIN_URL"),
		Getenv:        serviceGetenv(log.Warn),
	}
	allow, err := host.ParseOutboundAllow(os.Getenv("SX_OUTBOUND_ALLOW"))
	if err != nil {
		return opts, nil, err
	}
	opts.OutboundAllow = allow
	if os.Getenv("SMTP_URL") != "" {
		if opts.Mailer, err = mail.FromEnv(os.Getenv, log); err != nil {
			return opts, nil, err
		}
	} else {
		log.Info("SMTP_URL is not set: mail goes to the log and the dev outbox (/dev/outbox with --dev)")
	}
	closeDB := func() {}
	poolMax, err := sqlprims.ParsePoolMax(os.Getenv("DATABASE_POOL_MAX"))
	if err != nil {
		return opts, nil, err
	}
	if url := os.Getenv("DATABASE_URL"); url != "" {
		pool, err := host.OpenDatabase(ctx, url, sqlprims.Options{MaxConns: poolMax})
		if err != nil {
			return opts, nil, fmt.Errorf("database: %w", err)
		}
		opts.DB = pool
		closeDB = pool.Close
		if readURL := os.Getenv("DATABASE_READ_URL"); readURL != "" {
			maxLag, err := sqlprims.ParseMaxLag(os.Getenv("SX_MAX_REPLICA_LAG"))
			if err != nil {
				pool.Close()
				return opts, nil, err
			}
			// A replica that does not answer at start is not fatal: reads
			// go to the primary until it does (the router measures it).
			replica, err := host.OpenDatabase(ctx, readURL, sqlprims.Options{MaxConns: poolMax, ReadOnly: true})
			if err != nil {
				pool.Close()
				return opts, nil, fmt.Errorf("read replica (DATABASE_READ_URL): %w", err)
			}
			opts.Router = sqlprims.NewRouter(pool, replica, maxLag, log)
			closeDB = func() {
				opts.Router.Close()
				replica.Close()
				pool.Close()
			}
		}
	} else {
		log.Warn("DATABASE_URL is not set: running without a database")
	}
	return opts, closeDB, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sxhost run", flag.ContinueOnError)
	addr := fs.String("addr", "", "listen address when serving one file (HOST:PORT)")
	bindHost := fs.String("host", "", "the interface the services' :port listens on (default: all; 127.0.0.1 keeps them local)")
	dev := fs.Bool("dev", false, "development: hot reload, errors shown in the browser")
	serveOnly := fs.String("serve", "", "listen only for these services (comma-separated; none: for no service, a background worker); the others are loaded for in-process calls, e.g. cart's transactions with events and blog")
	background := fs.Bool("background", true, "run the activity processors and periodic jobs (ActivityPub delivery among them); false in web processes when a worker (--serve none) runs them")
	replAddr := fs.String("repl", "", "development: answer sx repl --connect on this loopback HOST:PORT (needs --dev)")
	if status, ok := parseFlags(fs, args, runUsage, stdout, stderr); !ok {
		return status
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprint(stderr, "sxhost run: no service files\n"+sxhostUsage)
		return 2
	}
	only := map[string]bool{}
	for _, name := range strings.Split(*serveOnly, ",") {
		if name = strings.TrimSpace(name); name != "" {
			only[name] = true
		}
	}
	if only["none"] && (len(only) > 1 || !*background) {
		fmt.Fprintln(stderr, "sxhost run: --serve none is a background worker: it names no other service and needs --background")
		return 2
	}
	if *addr != "" && len(files) > 1 {
		fmt.Fprintln(stderr, "sxhost run: --addr serves one file; use SX_ADDR_<SERVICE> for several")
		return 2
	}
	if err := host.RequireSecret(os.Getenv("SX_ENV"), os.Getenv("SX_INTERNAL_SECRET")); err != nil {
		fmt.Fprintln(stderr, "sxhost:", err)
		return 2
	}
	if os.Getenv("SX_ENV") == "prod" && os.Getenv("SMTP_URL") == "" {
		// Without a mail server sign-in links would only reach the log.
		fmt.Fprintln(stderr, "sxhost: SMTP_URL must be set when SX_ENV=prod: sign-in links and receipts are sent by mail (smtp://user:pass@host:587)")
		return 2
	}
	delay, err := host.ParseDrainDelay(os.Getenv("SX_SHUTDOWN_DELAY"))
	if err != nil {
		fmt.Fprintln(stderr, "sxhost:", err)
		return 2
	}
	devLog := *dev || os.Getenv("SX_ENV") == "dev"
	logOut := stderr
	if !devLog {
		// A collector reads it: lines batched, a write per flush, not per request.
		lb := newLineBuffer(stderr)
		defer lb.Close()
		logOut = lb
	}
	log, err := newLogger(logOut, devLog, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "sxhost run:", err)
		return 2
	}
	stopTracing, err := host.SetupTracing(ctx, os.Getenv, log)
	if err != nil {
		fmt.Fprintln(stderr, "sxhost:", err)
		return 1
	}
	defer func() {
		// Spans still buffered reach the collector before the exit.
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopTracing(c)
	}()
	opts, closeDB, err := platformOptions(ctx, log)
	if err != nil {
		fmt.Fprintln(stderr, "sxhost:", err)
		return 1
	}
	defer closeDB()
	opts.Dev = opts.Dev || *dev
	if *replAddr != "" && !opts.Dev {
		fmt.Fprintln(stderr, "sxhost run: --repl needs --dev (or SX_ENV=dev)")
		return 2
	}
	p, err := host.New(files, opts)
	if err != nil {
		return report(stderr, err)
	}
	for svc, base := range host.PublicURLsFromEnv(os.Environ()) {
		p.SetPublicURL(svc, base)
	}
	if *replAddr != "" {
		ln, err := host.ListenDevREPL(*replAddr)
		if err != nil {
			fmt.Fprintln(stderr, "sxhost: --repl:", err)
			return 1
		}
		log.Info("development REPL (sx repl --connect)", "addr", ln.Addr().String())
		go func() {
			if err := p.ServeDevREPL(ctx, ln); err != nil {
				log.Error("development REPL", "err", err)
			}
		}()
	}
	if opts.Dev {
		stopWatch, err := p.Watch(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "sxhost: watch:", err)
			return 1
		}
		defer stopWatch()
	}
	if *background {
		stopActivities := p.StartActivityProcessors(ctx)
		defer stopActivities()
	} else {
		log.Info("no activity processors or jobs here (--background=false): a worker runs them")
	}
	var servers []*fasthttp.Server
	errs := make(chan error, len(p.Services()))
	for name := range only {
		if name != "none" && p.Service(name) == nil {
			fmt.Fprintf(stderr, "sxhost run: --serve %s: no such service is loaded\n", name)
			return 2
		}
	}
	for _, svc := range p.Services() {
		if len(only) > 0 && !only[svc.Name] {
			continue
		}
		listen := *addr
		if listen == "" {
			listen = os.Getenv("SX_ADDR_" + strings.ToUpper(strings.ReplaceAll(svc.Name, "-", "_")))
		}
		if listen == "" {
			if svc.Port == 0 {
				fmt.Fprintf(stderr, "sxhost: service %s has no :port in its defservice; give --addr or SX_ADDR_%s\n", svc.Name, strings.ToUpper(svc.Name))
				return 2
			}
			listen = net.JoinHostPort(*bindHost, strconv.Itoa(svc.Port))
		}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			fmt.Fprintf(stderr, "sxhost: %s: %v\n", svc.Name, err)
			return 1
		}
		srv := host.NewServer(svc)
		servers = append(servers, srv)
		log.Info("serving", "service", svc.Name, "addr", ln.Addr().String(), "dev", opts.Dev)
		go func() { errs <- srv.Serve(host.WrapListener(ln)) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errs:
		if err != nil {
			fmt.Fprintln(stderr, "sxhost:", err)
			return 1
		}
	}
	if delay > 0 {
		// /readyz fails first; the balancer moves new requests elsewhere
		// while this process still answers them.
		p.Drain()
		log.Info("shutting down: draining", "delay", delay.String())
		time.Sleep(delay)
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
func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sxhost check", flag.ContinueOnError)
	var external []string
	fs.Func("external", "a service that runs elsewhere: calls to it are not checked (repeat, or separate with commas)", func(v string) error {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				external = append(external, name)
			}
		}
		return nil
	})
	if status, ok := parseFlags(fs, args, checkUsage, stdout, stderr); !ok {
		return status
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprint(stderr, "sxhost check: no service files\n"+checkUsage)
		return 2
	}
	remote := host.RemoteFromEnv(os.Environ())
	for _, name := range external {
		if remote[name] == "" {
			remote[name] = "external"
		}
	}
	p, err := host.New(files, host.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Remote: remote})
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
	script := fs.String("script", "seed/demo.sx", "the SX script that writes the data")
	if status, ok := parseFlags(fs, args, seedUsage, stdout, stderr); !ok {
		return status
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
		// The error names the migrations (and the file) itself.
		fmt.Fprintln(stderr, "sxhost seed:", err)
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
