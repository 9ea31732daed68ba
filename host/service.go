package host

import (
	"context"
	"crypto/cipher"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	"github.com/rose-ash/sxhost/prims/htmlsafe"
	"github.com/rose-ash/sxhost/prims/mail"
	"github.com/rose-ash/sxhost/prims/markdown"
	mediaprims "github.com/rose-ash/sxhost/prims/media"
	oidcprims "github.com/rose-ash/sxhost/prims/oidc"
	qrprims "github.com/rose-ash/sxhost/prims/qr"
	"github.com/rose-ash/sxhost/prims/signing"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	sumupprims "github.com/rose-ash/sxhost/prims/sumup"
	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// Options configure a Platform. Everything comes from the caller (the
// sxhost command reads the environment); nothing here reads it.
type Options struct {
	// DB is the database pool; nil runs without a database (sql/* fail
	// and /readyz reports ready).
	DB *pgxpool.Pool
	// Router, when set, sends reads outside transactions to a read replica
	// (DATABASE_READ_URL); its Primary is DB. See replica.go.
	Router *sqlprims.Router
	// Secret signs and checks internal calls (SX_INTERNAL_SECRET); empty
	// disables the check, for development.
	Secret string
	// Dev shows error details in responses and enables hot reload.
	Dev bool
	// Logger receives request and error logs.
	Logger *slog.Logger
	// RequestTimeout bounds each request's evaluation, SQL and outgoing
	// calls (default 10 s).
	RequestTimeout time.Duration
	// StepBudget bounds each request's evaluation (0: unlimited).
	StepBudget int64
	// Remote maps a service name to the base URL of a process serving it,
	// for services not loaded here (SX_URL_<SERVICE>).
	Remote map[string]string
	// SessionKeys seal session cookies (SX_SESSION_KEYS), newest first:
	// the first seals, all open. SessionSecret (SX_SESSION_SECRET) is one
	// more, last. With neither, a random key per process.
	SessionKeys   []string
	SessionSecret string
	// SecureCookies marks cookies Secure (serve over HTTPS).
	SecureCookies bool
	// Cache backs cache/get, cache/set and the fragment cache; nil uses an
	// in-process cache.
	Cache cacheprims.Cache
	// Getenv reads configuration for (env name) (the sxhost command
	// passes os.Getenv); nil reads nothing.
	Getenv func(string) string
	// Activities tune the activity processors.
	Activities ActivityOptions
	// ReadOnly refuses every action before it starts (ErrReadOnly), for a
	// session on a production replica (sx repl --read-only).
	ReadOnly bool
	// LoginURL is where pages that need a signed-in user send anonymous
	// visitors (with ?next=the page); empty answers 401 instead.
	LoginURL string
	// OutboundAllow lists address prefixes http/request may reach although
	// they are not public (SX_OUTBOUND_ALLOW; e.g. 127.0.0.1/32 for a local
	// Ghost in development and tests). See outguard.go.
	OutboundAllow []netip.Prefix
	// CookieDomain is the Domain of the visitor cookie the services share
	// (SX_COOKIE_DOMAIN, e.g. .rose-ash.com when they run on its
	// subdomains); empty: host-only.
	CookieDomain string
	// Mailer delivers (mail-send …) mail (SMTP_URL); nil keeps it in a
	// development outbox (the log, and /dev/outbox with Dev).
	Mailer mail.Sender
	// MediaDir is where uploaded images are kept and served from
	// (prims/media); empty reads MEDIA_DIR through Getenv, then
	// media.DefaultDir.
	MediaDir string
}

// Platform is the set of services loaded into one process.
type Platform struct {
	opts      Options
	log       *slog.Logger
	bindCache func(*runtime.Thread) // opts.Cache's binding, made once (bindIO)
	services  map[string]*Service
	order     []*Service
	metrics   *metrics
	queries   queryCache // results of defquery :cache (querycache.go)
	client    *internalClient
	outbound  *http.Client // http/request's, guarded by OutboundAllow
	outage    outageLog
	dev       devState
	// replEval serialises the dev REPL's evaluations: an interrupted one
	// (its client hung up) still runs until it sees the cancellation, and the
	// next entry must not observe it half-stopped.
	replEval       sync.Mutex
	keyOnce        sync.Once
	sessionCiphers []cipher.AEAD
	opened         openedSessions // session cookies opened (session.go)
	publicMu       sync.RWMutex
	publicURLs     map[string]string // SX_PUBLIC_URL_<SERVICE>: (site-url …) bases
	// replay guard for signed internal calls (see hmac.go)
	nonceOnce  sync.Once
	nonceStore *nonceStore
	// the start-up warning about a missing secret, logged once
	announceOnce sync.Once
	// outgoing mail (mail.go)
	mailOnce sync.Once
	mail     mail.Sender
	// draining: shutting down, /readyz answers 503 (drain.go)
	draining atomic.Bool
	// the server limits, read once from the configuration (run.go)
	limitsOnce sync.Once
	lim        Limits
	// uploaded images (prims/media), configured once
	mediaOnce  sync.Once
	mediaStore *mediaprims.Store
}

// Service is one service: its name, port and current definitions.
type Service struct {
	Name  string
	Title string
	Port  int
	// Files are the .sx files the service was loaded from.
	Files []string

	plat   *Platform
	state  atomic.Pointer[state]
	static atomic.Pointer[staticAssets] // content-hashed names of static/ (sxpage.go)
	mu     sync.Mutex                   // serialises reloads
}

// state is one loaded generation of a service's definitions. Hot reload
// builds a new state and swaps it in; requests in flight keep the old one.
type state struct {
	env     *runtime.Env
	pages   map[string]*runtime.Lambda // page name → content renderer
	threads sync.Pool
	handler func(*requestCtx) // the router for this generation
	// directs: the defqueries answered without evaluation (directquery.go)
	directs map[string]*directQuery
}

// New loads every file as a service. A file declares its service with
// (defservice name :title "…" :port n); without one the file name is used.
func New(files []string, opts Options) (*Platform, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.Cache == nil {
		opts.Cache = cacheprims.New("", opts.Logger)
	}
	p := &Platform{opts: opts, log: opts.Logger, services: map[string]*Service{}, metrics: newMetrics()}
	p.bindCache = cacheprims.Binder(opts.Cache, cacheprims.DefaultPrefix)
	p.client = newInternalClient(p)
	p.outbound = newOutboundClient(opts.OutboundAllow)
	for _, f := range files {
		if _, err := p.add(f); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// media is the platform's image store: Options.MediaDir, else MEDIA_DIR,
// with the limits MEDIA_MAX_BYTES and MEDIA_MAX_PIXELS.
func (p *Platform) media() *mediaprims.Store {
	p.mediaOnce.Do(func() {
		c := mediaprims.ConfigFromEnv(p.opts.Getenv, p.log.Warn)
		if p.opts.MediaDir != "" {
			c.Dir = p.opts.MediaDir
		}
		p.mediaStore = mediaprims.New(c)
	})
	return p.mediaStore
}

// Services returns the loaded services in load order.
func (p *Platform) Services() []*Service { return p.order }

// Service returns a loaded service by name.
func (p *Platform) Service(name string) *Service { return p.services[name] }

// serviceFiles returns a service file followed by the .sx files of the
// directory named after it (services/cart.sx loads services/cart/*.sx).
func serviceFiles(file string) []string {
	files := []string{file}
	dir := strings.TrimSuffix(file, filepath.Ext(file))
	more, _ := filepath.Glob(filepath.Join(dir, "*.sx"))
	sort.Strings(more)
	return append(files, more...)
}

// sharedDir is the directory of modules every service beside it loads first
// (services/shared/ for services/cart.sx): the layout, the SSO client and
// other definitions the six services have in common. Each service still
// gets its own copy in its own environment.
func sharedDir(file string) string {
	return filepath.Join(filepath.Dir(file), "shared")
}

// sharedFiles lists the .sx files of a service's shared directory, sorted.
func sharedFiles(file string) []string {
	files, _ := filepath.Glob(filepath.Join(sharedDir(file), "*.sx"))
	sort.Strings(files)
	return files
}

// Env returns the service's current environment.
func (s *Service) Env() *runtime.Env { return s.state.Load().env }

// newEnv is an environment with the standard library and the platform's
// I/O primitives.
func (p *Platform) newEnv() *runtime.Env {
	env := stdlib.NewEnv()
	env.DefinePrimitives(sqlprims.Primitives()...)
	env.DefinePrimitives(cacheprims.Primitives()...)
	env.DefinePrimitives(qrprims.Primitives()...)
	env.DefinePrimitives(htmlsafe.Primitives()...)
	env.DefinePrimitives(markdown.Primitives()...)
	env.DefinePrimitives(mediaprims.Primitives(p.media())...)
	env.DefinePrimitives(oidcprims.Primitives()...)
	env.DefinePrimitives(signing.Primitives()...)
	env.DefinePrimitives(sumupprims.Primitives(p.opts.Getenv)...)
	env.DefinePrimitives(p.ioPrimitives()...)
	env.DefinePrimitives(p.apPrimitives()...)
	return env
}

// load reads the service's files into a new state.
func (s *Service) load() (*state, error) {
	env := s.plat.newEnv()
	env.DefinePrimitives(s.primitives()...)
	env.DefinePrimitives(s.sitePrimitives()...)
	env.DefinePrimitives(s.authPrimitives()...)
	th := env.NewThread(context.Background())
	th.Out = os.Stderr
	for _, f := range append(sharedFiles(s.Files[0]), s.Files...) {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if _, err := th.EvalString(f, string(src)); err != nil {
			return nil, err
		}
	}
	if err := checkJobs(env); err != nil {
		return nil, err
	}
	if err := s.cacheQueries(env); err != nil {
		return nil, err
	}
	services := env.Definitions("service")
	switch len(services) {
	case 0:
		if s.Name == "" {
			s.Name = strings.TrimSuffix(filepath.Base(s.Files[0]), filepath.Ext(s.Files[0]))
		}
	case 1:
		d := services[0]
		if s.Name != "" && s.Name != d.Name {
			return nil, fmt.Errorf("%s: the service is %s; a reload cannot rename it to %s", d.Pos, s.Name, d.Name)
		}
		s.Name, s.Title = d.Name, d.OptionString("title")
		if v, ok := d.Option("port"); ok {
			port, ok := v.(int64)
			if !ok || port <= 0 || port > 65535 {
				return nil, fmt.Errorf("%s: defservice %s: :port must be a port number", d.Pos, d.Name)
			}
			s.Port = int(port)
		}
	default:
		return nil, fmt.Errorf("%s: a file may declare one service, found %d", services[1].Pos, len(services))
	}
	if s.Title == "" {
		s.Title = s.Name
	}
	st := &state{env: env, pages: map[string]*runtime.Lambda{}}
	for _, d := range env.Definitions("page") {
		fn, err := pageFunction(th, d)
		if err != nil {
			return nil, err
		}
		st.pages[d.Name] = fn
	}
	st.threads.New = func() any { return env.NewThread(nil) }
	st.directs = planDirectQueries(env)
	h, err := s.routes(st)
	if err != nil {
		return nil, err
	}
	st.handler = h
	return st, nil
}

// pageFunction compiles a page's :content into a function of the page's
// parameters: the path's <segments> (strings unless :params types them)
// and the :params option's parameters.
func pageFunction(th *runtime.Thread, d *runtime.Definition) (*runtime.Lambda, error) {
	content, ok := d.Option("content")
	if !ok {
		return nil, fmt.Errorf("%s: defpage %s has no :content", d.Pos, d.Name)
	}
	path := d.OptionString("path")
	if path == "" || path[0] != '/' {
		return nil, fmt.Errorf("%s: defpage %s needs a :path starting with /", d.Pos, d.Name)
	}
	params := []runtime.Value{runtime.Intern("&key")}
	declared := map[string]bool{}
	if pv, ok := d.Option("params"); ok {
		pl, ok := pv.(*runtime.List)
		if !ok {
			return nil, fmt.Errorf("%s: defpage %s: :params must be a parameter list", d.Pos, d.Name)
		}
		for _, it := range pl.Items {
			if s, ok := it.(*runtime.Symbol); ok && strings.HasPrefix(s.Name, "&") {
				continue
			}
			params = append(params, it)
			declared[paramName(it)] = true
		}
	}
	for _, seg := range pathParams(path) {
		if !declared[seg] {
			params = append(params, runtime.Intern(seg))
		}
	}
	if lv, ok := d.Option("layout"); ok {
		// (defpage … :layout ~shell) renders (~shell :title … :page name content).
		name := ""
		switch x := lv.(type) {
		case *runtime.Symbol:
			name = x.Name
		case runtime.Keyword:
			name = x.Name
		case string:
			name = x
		}
		if name == "" {
			return nil, fmt.Errorf("%s: defpage %s: :layout must name a component", d.Pos, d.Name)
		}
		if !strings.HasPrefix(name, "~") {
			name = "~" + name
		}
		title, _ := d.Option("title")
		call := []runtime.Value{runtime.Intern(name), runtime.Keyword{Name: "title"}, title, runtime.Keyword{Name: "page"}, d.Name}
		for _, opt := range layoutOptions {
			if v, ok := d.Option(opt); ok {
				call = append(call, runtime.Keyword{Name: opt}, v)
			}
		}
		content = runtime.NewList(append(call, content)...)
	}
	if _, err := authLevel(d); err != nil {
		return nil, err
	}
	form := runtime.NewList(runtime.Intern("fn"), runtime.NewList(params...), content)
	form.Pos = d.Pos
	v, err := th.Eval(form)
	if err != nil {
		return nil, err
	}
	return v.(*runtime.Lambda), nil
}

func paramName(v runtime.Value) string {
	switch x := v.(type) {
	case *runtime.Symbol:
		return x.Name
	case *runtime.List:
		if len(x.Items) > 0 {
			if s, ok := x.Items[0].(*runtime.Symbol); ok {
				return s.Name
			}
		}
	}
	return ""
}

// pathParams returns the names of the <name> segments of a page path.
func pathParams(path string) []string {
	var names []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "<") && strings.HasSuffix(seg, ">") {
			names = append(names, seg[1:len(seg)-1])
		}
	}
	return names
}

// routerPath turns /orders/<id>/ into the router's /orders/{id}/.
func routerPath(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "<") && strings.HasSuffix(seg, ">") {
			segs[i] = "{" + seg[1:len(seg)-1] + "}"
		}
	}
	return strings.Join(segs, "/")
}

// Reload re-reads the service's files and swaps the new definitions in.
// On error the current definitions keep serving and the error is returned.
func (s *Service) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Files = serviceFiles(s.Files[0])
	st, err := s.load()
	if err != nil {
		return err
	}
	s.state.Store(st)
	return nil
}

// thread takes a pooled thread for one request.
func (st *state) thread(ctx context.Context, p *Platform) *runtime.Thread {
	th := st.threads.Get().(*runtime.Thread)
	th.Reset(ctx)
	th.StepBudget = p.opts.StepBudget
	th.Out = os.Stderr
	p.bindIO(th)
	return th
}

func (st *state) release(th *runtime.Thread) {
	clear(th.Local) // drop the request's values; keep the map for the next one
	st.threads.Put(th)
}

// Auth levels (:auth) of pages and routes: public (the default), user (a
// signed-in user, the session's "user" dict), admin (a user whose dict has
// a truthy :admin), and the staff roles editor and organiser (an admin, or
// a user whose :roles list names the role: docs/admin.md).
var authLevels = map[string]bool{"public": true, "user": true, "admin": true, "editor": true, "organiser": true}

func authLevel(d *runtime.Definition) (string, error) {
	level := d.OptionString("auth")
	if level == "" {
		return "public", nil
	}
	if !authLevels[level] {
		return "", fmt.Errorf("%s: def%s %s: unknown :auth %s (public, user, admin, editor or organiser)", d.Pos, d.Kind, d.Name, level)
	}
	return level, nil
}
