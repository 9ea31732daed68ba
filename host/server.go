package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fasthttp/router"
	"github.com/prometheus/common/expfmt"
	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/client"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// MaxBodySize is the largest request body accepted (413 above it).
const MaxBodySize = 1 << 20

// requestCtx is what a request's evaluation can see of it.
type requestCtx struct {
	ctx       *fasthttp.RequestCtx
	svc       *Service
	id        string   // the caller's X-Request-Id, else "" and idHex (setID)
	idHex     [16]byte // a generated id, made a string only when asked (ID)
	route     string
	sess      *runtime.Dict
	sessDirty bool
	// primary: the request wrote, so its reads go to the primary (replica.go)
	primary atomic.Bool
	status  int // (response-status n): a route's status other than 200
	// the visitor cookie shared by the services (auth.go)
	visitor      *runtime.Dict
	visitorDirty bool
	// trace: the request's span, when tracing (otel.go)
	trace context.Context
	// json, jsonErr: a direct query's answer while it is written
	// (directquery.go)
	json    []byte
	jsonErr error
}

// arg returns a path parameter, query-string or form value (see
// requestArg).
func (r *requestCtx) arg(name string) (runtime.Value, bool) { return requestArg(r.ctx, name) }

// Handler returns the service's fasthttp handler. It follows reloads: each
// request uses the definitions current when it started.
func (s *Service) Handler() fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		st := s.state.Load()
		r := &requestCtx{ctx: ctx, svc: s}
		r.setID()
		start := time.Now()
		foregroundGate.enter() // background delivery yields meanwhile (foreground.go)
		defer foregroundGate.leave()
		if tracing.Load() {
			s.startRequestSpan(r)
		}
		defer func() {
			if rec := recover(); rec != nil {
				// A bug in the host itself: answer 500, keep serving.
				id := newErrorID()
				s.plat.log.Error("panic", "service", s.Name, "request_id", r.ID(), "error_id", id, "panic", fmt.Sprint(rec))
				writeError(ctx, 500, "internal error", id)
			}
			status := ctx.Response.StatusCode()
			d := time.Since(start)
			s.plat.metrics.request(s.Name, r.route, string(ctx.Method()), status, d)
			if r.trace != nil {
				s.endRequestSpan(r, status)
			}
			// Enabled first: a production log at warn skips the line, and
			// building its arguments (two strings, the boxing) is work.
			if (status >= 400 || !quietRoutes[r.route]) && s.plat.log.Enabled(context.Background(), slog.LevelInfo) {
				s.plat.log.Info("request", r.traceAttrs([]any{"service", s.Name, "method", string(ctx.Method()), "path", string(ctx.Path()),
					"status", status, "duration_ms", float64(d.Microseconds()) / 1000, "request_id", r.ID()})...)
			}
		}()
		if r.id != "" {
			ctx.Response.Header.Set("X-Request-Id", r.id)
		} else {
			ctx.Response.Header.SetCanonical(requestIDHeader, r.idHex[:])
		}
		ctx.SetUserValue("sxhost.request", r)
		s.stickyIn(r)
		st.handler(r)
		s.stickyOut(r)
		r.writeSession()
		setSecurityHeaders(r)
	}
}

// quietRoutes are polled by machines (probes, scrapers, the dev page's
// reload script): their successful requests are counted in the metrics but
// not logged, or they would drown the log.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/__sx/reload": true}

// requestIDHeader is X-Request-Id as fasthttp keeps it.
var requestIDHeader = []byte("X-Request-Id")

// setID gives r the caller's request id, else a new one, which is written
// to the response from its bytes and made a string only for a log line or
// a call (ID): most requests never need it as one.
func (r *requestCtx) setID() {
	if v := r.ctx.Request.Header.Peek("X-Request-Id"); len(v) > 0 && len(v) <= 64 {
		r.id = string(v)
		return
	}
	// math/rand/v2's generator is ChaCha8 seeded from the system's
	// entropy: unpredictable enough for an id that correlates log lines,
	// and without crypto/rand's system call per request.
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	hex.Encode(r.idHex[:], b[:])
}

// ID is the request's id, as logged and passed on to the services it
// calls.
func (r *requestCtx) ID() string {
	if r.id != "" {
		return r.id
	}
	return string(r.idHex[:])
}

func writeJSONResponse(ctx *fasthttp.RequestCtx, status int, v runtime.Value) {
	var buf bytes.Buffer
	if err := toJSON(&buf, v); err != nil {
		writeError(ctx, 500, "result cannot be encoded as JSON: "+err.Error(), "")
		return
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(buf.Bytes())
}

// headerErrorKind marks the error answers of internal endpoints that a
// calling service passes on as its own (see remoteError): a bad parameter,
// or an (abort …) with its status.
const (
	headerErrorKind    = "X-Sx-Error"
	errorKindParameter = "parameter"
	errorKindAbort     = "abort"
)

// writeError answers {"error": msg} (and "error_id" when given).
func writeError(ctx *fasthttp.RequestCtx, status int, msg, errorID string) {
	d := runtime.NewDict(2)
	d.Set("error", msg)
	if errorID != "" {
		d.Set("error_id", errorID)
	}
	var buf bytes.Buffer
	toJSON(&buf, d)
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(buf.Bytes())
}

// fail answers an evaluation error: aborts and redirects as asked, bad
// parameters 400, database outages 503, anything else 500 with an error id
// that is also in the log (with the backtrace).
func (s *Service) fail(r *requestCtx, err error, html bool) {
	ctx := r.ctx
	if a := abortOf(err); a != nil {
		if a.Location != "" {
			// The runtime's fetch cannot follow a redirect to another
			// origin (no CORS there: the SSO client's /auth/login to the
			// provider): it is told to navigate instead, as pages do.
			if name := engineRedirectHeader(ctx); name != "" && crossOrigin(ctx, a.Location) {
				ctx.Response.Header.Set(name, a.Location)
				ctx.SetStatusCode(200)
				return
			}
			ctx.Redirect(a.Location, a.Status)
			return
		}
		if html {
			s.writeHTMLError(r, a.Status, a.Message, "", "<!doctype html><title>"+runtime.EscapeHTML(a.Message)+"</title><p>"+runtime.EscapeHTML(a.Message)+"</p>")
			return
		}
		ctx.Response.Header.Set(headerErrorKind, errorKindAbort)
		writeError(ctx, a.Status, a.Message, "")
		return
	}
	if pe := paramErrorOf(err); pe != nil {
		ctx.Response.Header.Set(headerErrorKind, errorKindParameter)
		writeError(ctx, 400, pe.msg, "")
		return
	}
	if bv := sqlprims.BadValueOf(err); bv != "" {
		ctx.Response.Header.Set(headerErrorKind, errorKindParameter)
		writeError(ctx, 400, bv, "")
		return
	}
	id := newErrorID()
	attrs := r.traceAttrs([]any{"service", s.Name, "request_id", r.ID(), "error_id", id, "error", err.Error()})
	var e *runtime.Error
	if errors.As(err, &e) {
		attrs = append(attrs, "backtrace", e.Backtrace())
		if e.GoStack != "" {
			attrs = append(attrs, "go_stack", e.GoStack)
		}
	}
	status, msg := 500, "internal error"
	switch {
	case deadlineExceeded(err):
		status, msg = 504, "the request took longer than its deadline"
	case upstreamFailed(err):
		status, msg = 502, "bad gateway: an outside service did not answer"
	case databaseDown(err):
		status, msg = 503, "service unavailable: the database is not reachable"
	}
	s.plat.logFailure(status, attrs)
	if s.plat.opts.Dev {
		msg = err.Error()
		if e != nil {
			msg = e.Format()
		}
	}
	if html {
		body := "<!doctype html><title>Error</title><h1>Something went wrong</h1><p>Error id: <code>" + id + "</code></p>"
		if s.plat.opts.Dev {
			body += "<pre>" + runtime.EscapeHTML(msg) + "</pre>"
		}
		s.writeHTMLError(r, status, msg, id, body)
		return
	}
	writeError(ctx, status, msg, id)
}

// deadlineExceeded reports whether err comes from the request's deadline
// (evaluation, SQL or an outgoing call stopped by it).
func deadlineExceeded(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "context deadline exceeded") ||
		strings.Contains(err.Error(), "canceling statement due to user request")
}

// requestContext gives a request its deadline.
func (s *Service) requestContext(r *requestCtx) (context.Context, context.CancelFunc) {
	if r.trace != nil {
		return context.WithTimeout(r.trace, s.plat.opts.RequestTimeout)
	}
	return context.WithTimeout(context.Background(), s.plat.opts.RequestTimeout)
}

// evaluate runs f on a pooled thread of the current definitions, bound to
// the request and under its deadline.
func (s *Service) evaluate(r *requestCtx, f func(th *runtime.Thread)) {
	c, cancel := s.requestContext(r)
	defer cancel()
	st := s.state.Load()
	th := st.thread(c, s.plat)
	defer st.release(th)
	setRequest(th, r)
	f(th)
}

// routes builds the router for one generation of definitions.
func (s *Service) routes(st *state) (func(*requestCtx), error) {
	rt := router.New()
	rt.HandleMethodNotAllowed = true
	rt.RedirectTrailingSlash = true
	wrap := func(route string, h func(r *requestCtx)) fasthttp.RequestHandler {
		return func(ctx *fasthttp.RequestCtx) {
			r := ctx.UserValue("sxhost.request").(*requestCtx)
			r.route = route
			h(r)
		}
	}
	internal := func(route string, h func(r *requestCtx)) fasthttp.RequestHandler {
		return wrap(route, func(r *requestCtx) {
			if !s.refuseInternal(r) {
				h(r)
			}
		})
	}
	call := func(kind string) func(r *requestCtx) {
		return func(r *requestCtx) {
			name, _ := r.ctx.UserValue(kind).(string)
			s.serveCall(r, kind, name)
		}
	}
	rt.GET("/internal/schema", internal("/internal/schema", func(r *requestCtx) { writeJSONResponse(r.ctx, 200, s.schema(st)) }))
	rt.GET(dataRoute, internal(dataRoute, call("query")))
	rt.POST(dataRoute, internal(dataRoute, call("query")))
	rt.POST("/internal/actions/{action}", internal("/internal/actions/{action}", call("action")))
	rt.GET("/internal/fragments/{type}", internal("/internal/fragments/{type}", s.serveFragment))
	rt.GET("/healthz", wrap("/healthz", func(r *requestCtx) { r.ctx.SetContentType("text/plain"); r.ctx.SetBodyString("ok\n") }))
	rt.GET("/readyz", wrap("/readyz", s.serveReady))
	if s.plat.opts.Dev {
		rt.GET("/__sx/reload", wrap("/__sx/reload", func(r *requestCtx) {
			r.ctx.Response.Header.Set("Cache-Control", "no-store")
			r.ctx.SetContentType("text/plain")
			r.ctx.SetBodyString(s.plat.dev.version(s.Name))
		}))
	}
	if s.plat.opts.Dev {
		rt.GET("/dev/outbox", wrap("/dev/outbox", s.serveOutbox))
	}
	rt.GET("/metrics", wrap("/metrics", func(r *requestCtx) {
		r.ctx.SetContentType(string(expfmt.NewFormat(expfmt.TypeTextPlain)))
		if err := s.plat.metrics.write(s.Name, r.ctx); err != nil {
			s.plat.log.Error("metrics", "service", s.Name, "error", err.Error())
		}
	}))
	rt.GET(runtimeStaticURL, wrap(runtimeStaticURL, func(r *requestCtx) { serveRuntime(r.ctx, false) }))
	rt.GET(client.HashedPath, wrap(client.HashedPath, func(r *requestCtx) { serveRuntime(r.ctx, true) }))
	rt.GET(client.ExtHashedPath, wrap(client.ExtHashedPath, func(r *requestCtx) { serveExt(r.ctx) }))
	// Uploaded images (prims/media), on every service: a blog post's card
	// is shown in market and events pages too, and its /media/… address
	// is relative.
	media := wrap("/media/", func(r *requestCtx) {
		if !s.plat.media().Serve(r.ctx, r.ctx.UserValue("name").(string)) {
			writeError(r.ctx, 404, "not found: "+string(r.ctx.Path()), "")
		}
	})
	rt.GET("/media/{name}", media)
	rt.HEAD("/media/{name}", media)
	if dir := s.staticDir(); dir != "" {
		fs := &fasthttp.FS{Root: dir, Compress: true, AcceptByteRange: true}
		rt.GET("/static/{filepath:*}", wrap("/static/", s.serveStatic(fs.NewRequestHandler())))
	}
	shadowed := false // a page or route may take some /internal/data/… path
	for _, d := range st.env.Definitions("page") {
		method := strings.ToUpper(d.OptionString("method"))
		if method == "" {
			method = "GET"
		}
		path := d.OptionString("path")
		shadowed = shadowed || mayShadowData(path)
		def, fn := d, st.pages[d.Name]
		if err := safeHandle(rt, method, routerPath(path), wrap(path, s.forms(s.csrf(def, s.hooked(st, func(r *requestCtx) { s.servePage(r, def, fn) }))))); err != nil {
			return nil, fmt.Errorf("%s: defpage %s: %v", d.Pos, d.Name, err)
		}
	}
	for _, d := range st.env.Definitions("route") {
		method := strings.ToUpper(d.OptionString("method"))
		if method == "" {
			method = "GET"
		}
		path := d.OptionString("path")
		shadowed = shadowed || mayShadowData(path)
		if path == "" || path[0] != '/' {
			return nil, fmt.Errorf("%s: defroute %s needs a :path starting with /", d.Pos, d.Name)
		}
		if _, err := authLevel(d); err != nil {
			return nil, err
		}
		def := d
		h := wrap(path, s.forms(s.csrf(def, s.hooked(st, func(r *requestCtx) { s.serveRoute(r, def) }))))
		if strings.HasPrefix(path, "/internal/") {
			// Under /internal/ a route is for other services (an inbox):
			// signed like the built-in internal endpoints, not a browser
			// form, so no CSRF token.
			h = internal(path, func(r *requestCtx) { s.serveRoute(r, def) })
		}
		if err := safeHandle(rt, method, routerPath(path), h); err != nil {
			return nil, fmt.Errorf("%s: defroute %s: %v", d.Pos, d.Name, err)
		}
	}
	rt.NotFound = func(ctx *fasthttp.RequestCtx) {
		if r, ok := ctx.UserValue("sxhost.request").(*requestCtx); ok && wantsHTML(ctx) {
			s.writeHTMLError(r, 404, "not found: "+string(ctx.Path()), "", "<!doctype html><title>Not found</title><p>Not found</p>")
			return
		}
		writeError(ctx, 404, "not found: "+string(ctx.Path()), "")
	}
	rt.MethodNotAllowed = func(ctx *fasthttp.RequestCtx) {
		writeError(ctx, 405, "method "+string(ctx.Method())+" not allowed for "+string(ctx.Path()), "")
	}
	h := rt.Handler
	if shadowed {
		return func(r *requestCtx) { h(r.ctx) }, nil
	}
	return func(r *requestCtx) {
		// A direct query is found before the router, which would copy
		// the path and make a parameter of the name: what the router
		// does for it, without those allocations.
		if dq := st.directAt(s.plat, r.ctx); dq != nil {
			r.route = dataRoute
			if !s.refuseInternal(r) {
				s.serveCall(r, "query", dq.def.Name)
			}
			return
		}
		h(r.ctx)
	}, nil
}

// dataRoute is the router's path of the defquery endpoint.
const dataRoute = "/internal/data/{query}"

// mayShadowData reports whether a page or route's path could match some
// /internal/data/… request before dataRoute does.
func mayShadowData(path string) bool {
	return strings.HasPrefix(path, "/internal/data") || strings.HasPrefix(path, "/{") || strings.HasPrefix(path, "/internal/{")
}

// csrf guards a browser-facing page or route: methods that change state
// need the session's CSRF token unless the definition says :csrf false
// (webhooks, which authenticate otherwise).
func (s *Service) csrf(d *runtime.Definition, h func(*requestCtx)) func(*requestCtx) {
	if v, ok := d.Option("csrf"); ok && v == false {
		return h
	}
	return func(r *requestCtx) {
		switch string(r.ctx.Method()) {
		case "GET", "HEAD", "OPTIONS":
		default:
			if !r.checkCSRF() {
				writeError(r.ctx, 403, "missing or wrong CSRF token", "")
				return
			}
		}
		h(r)
	}
}

// safeHandle registers a route, turning the router's panics on conflicting
// paths into errors.
func safeHandle(rt *router.Router, method, path string, h fasthttp.RequestHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	rt.Handle(method, path, h)
	return nil
}

// staticDir is the static/ directory beside the service file, if any.
func (s *Service) staticDir() string {
	dir := filepath.Join(filepath.Dir(s.Files[0]), "static")
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		abs, _ := filepath.Abs(dir)
		return abs
	}
	return ""
}

// checkInternal decides whether a call may reach an internal endpoint; it
// returns the refusal's status and reason, or 0. With a secret the call
// must be signed for this service, recent, and not seen before; without
// one (development) only loopback clients are answered. A body must be
// JSON: a browser can send text/plain or a form across origins without a
// preflight, never application/json.
func (s *Service) checkInternal(ctx *fasthttp.RequestCtx) (int, string) {
	secret := s.plat.opts.Secret
	if secret == "" {
		if !ctx.RemoteIP().IsLoopback() {
			return 403, "internal endpoints answer only loopback clients while " + secretVariable + " is not set"
		}
	} else {
		h := &ctx.Request.Header
		nonce := string(h.Peek(headerNonce))
		now := time.Now()
		if why := verify(secret, s.Name, string(ctx.Method()), string(ctx.RequestURI()), string(h.Peek(headerTimestamp)),
			nonce, string(h.Peek(headerSignature)), bodyHash(ctx.PostBody()), now); why != "" {
			return 403, why
		}
		if !s.plat.nonces().fresh(s.Name, nonce, now) {
			return 403, "replayed internal call"
		}
	}
	if !ctx.IsGet() && !ctx.IsHead() && !isJSON(ctx.Request.Header.ContentType()) {
		return 415, "an internal call's body must be JSON (Content-Type: application/json)"
	}
	return 0, ""
}

// refuseInternal answers checkInternal's refusal of r, if any, and
// reports whether it did.
func (s *Service) refuseInternal(r *requestCtx) bool {
	status, why := s.checkInternal(r.ctx)
	if status != 0 {
		writeError(r.ctx, status, why, "")
	}
	return status != 0
}

// secretVariable names the environment variable holding the internal secret.
const secretVariable = "SX_INTERNAL_SECRET"

// isJSON reports whether a Content-Type is application/json (parameters
// such as charset allowed).
func isJSON(contentType []byte) bool {
	mt, _, _ := bytes.Cut(contentType, []byte(";"))
	return bytes.EqualFold(bytes.TrimSpace(mt), []byte("application/json"))
}

// serveCall answers /internal/data/{query} and /internal/actions/{action}.
func (s *Service) serveCall(r *requestCtx, kind, name string) {
	ctx := r.ctx
	var get func(string) (runtime.Value, bool)
	if ctx.IsGet() {
		if name := secretInQuery(ctx); name != "" {
			writeError(ctx, 400, name+" must travel in a JSON body (POST), not in the URL, where proxies and logs keep it", "")
			return
		}
		get = func(n string) (runtime.Value, bool) {
			if v := ctx.QueryArgs().Peek(n); v != nil {
				return string(v), true
			}
			return nil, false
		}
	} else {
		body := ctx.PostBody()
		var obj *runtime.Dict
		if len(bytes.TrimSpace(body)) == 0 {
			obj = runtime.NewDict(0)
		} else {
			v, err := fromJSON(body)
			if err != nil {
				writeError(ctx, 400, "malformed JSON body: "+err.Error(), "")
				return
			}
			d, ok := v.(*runtime.Dict)
			if !ok {
				writeError(ctx, 400, "the body must be a JSON object", "")
				return
			}
			obj = d
		}
		get = obj.Get
	}
	if kind == "query" {
		st := s.state.Load()
		if dq := st.direct(s.plat, name); dq != nil {
			s.serveDirect(r, st, dq, get)
			return
		}
	}
	c, cancel := s.requestContext(r)
	defer cancel()
	v, err := s.invoke(c, kind, name, get, r, nil)
	if errors.Is(err, errNotFound) {
		writeError(ctx, 404, "no such "+kind+": "+name, "")
		return
	}
	if err != nil {
		s.fail(r, err, false)
		return
	}
	s.writeResult(r, v)
}

// secretParam reports whether a parameter name holds a credential (token,
// secret, password, or one ending in -token or -secret): such values are
// refused in query strings.
func secretParam(name string) bool {
	switch name {
	case "token", "secret", "password":
		return true
	}
	return strings.HasSuffix(name, "-token") || strings.HasSuffix(name, "-secret")
}

// secretInQuery returns the first credential-named parameter of the query
// string, or "".
func secretInQuery(ctx *fasthttp.RequestCtx) string {
	found := ""
	ctx.QueryArgs().VisitAll(func(k, _ []byte) {
		if found == "" && secretParam(string(k)) {
			found = string(k)
		}
	})
	return found
}

// writeResult answers 200 with v as JSON; a value JSON cannot hold is an
// evaluation error (500, logged with its error id). The JSON is appended
// straight to the response's own body buffer (SwapBody), so the body is
// neither built elsewhere nor copied.
func (s *Service) writeResult(r *requestCtx, v runtime.Value) {
	resp := &r.ctx.Response
	b, err := appendJSON(resp.SwapBody(nil)[:0], v, 0)
	resp.SwapBody(b)
	if err != nil {
		resp.ResetBody()
		s.fail(r, fmt.Errorf("the result cannot be sent as JSON: %w", err), false)
		return
	}
	r.ctx.SetStatusCode(200)
	r.ctx.SetContentType("application/json")
}

// wantsWire reports whether the client asked for the SX wire format.
func wantsWire(ctx *fasthttp.RequestCtx) bool {
	return bytes.Contains(ctx.Request.Header.Peek("Accept"), []byte("text/sx")) ||
		string(ctx.QueryArgs().Peek("format")) == "sx"
}

// serveFragment answers /internal/fragments/{type}. A failing fragment
// answers an empty 200, so the page that includes it still renders.
func (s *Service) serveFragment(r *requestCtx) {
	ctx := r.ctx
	typ, _ := ctx.UserValue("type").(string)
	// The client escapes the type (account-page/orders travels as
	// account-page%2Forders, one path segment); the router leaves it so.
	if u, err := url.PathUnescape(typ); err == nil {
		typ = u
	}
	if name := secretInQuery(ctx); name != "" {
		writeError(ctx, 400, name+" must not travel in the URL, where proxies and logs keep it", "")
		return
	}
	c, cancel := s.requestContext(r)
	defer cancel()
	wire := wantsWire(ctx)
	out, err := s.renderFragment(c, typ, func(n string) (runtime.Value, bool) {
		if v := ctx.QueryArgs().Peek(n); v != nil {
			return string(v), true
		}
		return nil, false
	}, r, wire)
	if errors.Is(err, errNotFound) {
		writeError(ctx, 404, "no such fragment: "+typ, "")
		return
	}
	if err != nil {
		s.plat.log.Warn("fragment failed", "service", s.Name, "type", typ, "request_id", r.ID(), "error", err.Error())
		out = ""
	}
	if wire {
		ctx.SetContentType("text/sx; charset=utf-8")
	} else {
		ctx.SetContentType("text/html; charset=utf-8")
	}
	if ttl := s.fragmentTTL(typ); ttl > 0 && err == nil {
		// Callers in other processes cache the fragment this long.
		ctx.Response.Header.Set("Cache-Control", fmt.Sprintf("max-age=%d", int(ttl.Seconds())))
	}
	ctx.SetStatusCode(200)
	ctx.SetBodyString(out)
}

// servePage renders a defpage: its content with the path's parameters,
// inside a document shell (or its :layout component).
func (s *Service) servePage(r *requestCtx, d *runtime.Definition, fn *runtime.Lambda) {
	ctx := r.ctx
	if !s.authorize(r, d) {
		return
	}
	// Read before the definitions are: a reload in between then costs an
	// extra page reload, never a missed one.
	version := s.plat.dev.version(s.Name)
	params := pageParams(fn)
	args, err := bindParams(params, r.arg)
	if err != nil {
		writeError(ctx, 400, err.Error(), "")
		return
	}
	if s.answerEngineRequest(r, d, fn, args) {
		return
	}
	wire := wantsWire(ctx)
	// Outside development the page stays in the runtime's chunks until it
	// is written (writeDocument): no string of the whole page.
	chunks := !wire && !s.plat.opts.Dev
	var out string
	var o *runtime.Output
	s.evaluate(r, func(th *runtime.Thread) {
		switch {
		case wire:
			out, err = th.RenderWireCall(fn, args...)
		case chunks:
			o, err = th.RenderCallOutput(fn, args...)
		default:
			out, err = th.RenderCall(fn, args...)
		}
	})
	if err != nil {
		s.fail(r, err, !wire)
		return
	}
	if wire {
		ctx.SetContentType("text/sx; charset=utf-8")
		ctx.SetBodyString(out)
		return
	}
	ctx.SetContentType("text/html; charset=utf-8")
	if r.status != 0 {
		// (response-status 400): a form shown again with its errors.
		ctx.SetStatusCode(r.status)
	}
	if chunks {
		s.writeDocument(r, pageTitle(s, d), o)
		return
	}
	out = s.pageDocument(r, d, out)
	if _, err := s.plat.dev.status(s.Name); err != nil {
		out = devErrorBanner(out, err)
	}
	ctx.SetBodyString(injectReloadScript(out, version, r.cspNonce()))
}

// authorize enforces a page's :auth level, answering for the page when the
// visitor may not see it.
func (s *Service) authorize(r *requestCtx, d *runtime.Definition) bool {
	level, _ := authLevel(d)
	if level == "public" {
		return true
	}
	user, _ := r.session().Get("user")
	u, _ := user.(*runtime.Dict)
	if u == nil {
		if login := s.loginRedirect(s.state.Load(), string(r.ctx.RequestURI())); login != "" {
			r.ctx.Redirect(login, 303)
			return false
		}
		s.fail(r, abortError(401, "sign in to see this page"), true)
		return false
	}
	if level != "user" && !hasRole(u, level) {
		msg := "this page is for administrators"
		if level != "admin" {
			msg = "this page is for the co-op's " + level + "s and administrators"
		}
		s.fail(r, abortError(403, msg), true)
		return false
	}
	return true
}

// engineRedirectHeader is the header that makes the browser runtime
// navigate (SX-Redirect, HX-Redirect for htmx), "" when the request is not
// the runtime's.
func engineRedirectHeader(ctx *fasthttp.RequestCtx) string {
	switch {
	case string(ctx.Request.Header.Peek(headerSXRequest)) == "true":
		return "SX-Redirect"
	case string(ctx.Request.Header.Peek(headerHXRequest)) == "true":
		return "HX-Redirect"
	}
	return ""
}

// crossOrigin reports whether location is an absolute URL on another host
// than the request's.
func crossOrigin(ctx *fasthttp.RequestCtx, location string) bool {
	u, err := url.Parse(location)
	return err == nil && u.Host != "" && !strings.EqualFold(u.Host, string(ctx.Host()))
}

// hasRole reports whether a session's user may act as role: an admin may
// act as anyone; an editor or organiser is named in the user's :roles.
func hasRole(u *runtime.Dict, role string) bool {
	if admin, _ := u.Get("admin"); runtime.Truthy(admin) {
		return true
	}
	if role == "admin" {
		return false
	}
	roles, _ := u.Get("roles")
	if l, ok := roles.(*runtime.List); ok {
		for _, v := range l.Items {
			if v == role {
				return true
			}
		}
	}
	return false
}

// abortError is an error that answers with status and message.
func abortError(status int, msg string) error {
	return &runtime.Error{Msg: msg, Value: &Abort{Status: status, Message: msg}}
}

// pageParams are the page function's keyword parameters.
func pageParams(fn *runtime.Lambda) []runtime.Param { return fn.Params() }

// serveRoute runs a defroute: the value decides the response — a string is
// text, html is HTML, anything else JSON; (redirect …) and (abort …) stop.
func (s *Service) serveRoute(r *requestCtx, d *runtime.Definition) {
	ctx := r.ctx
	// A route with :auth refuses as a page does (sign-in redirect, 401,
	// 403) and answers its errors as HTML pages to browsers: such routes
	// are the forms of the admin.
	authed := d.OptionString("auth") != ""
	if authed && !s.authorize(r, d) {
		return
	}
	get := r.arg
	if bytes.HasPrefix(ctx.Request.Header.ContentType(), []byte("application/json")) && len(ctx.PostBody()) > 0 {
		v, err := fromJSON(ctx.PostBody())
		if err != nil {
			writeError(ctx, 400, "malformed JSON body: "+err.Error(), "")
			return
		}
		if obj, ok := v.(*runtime.Dict); ok {
			get = func(n string) (runtime.Value, bool) {
				if v, ok := pathArg(ctx, n); ok {
					return v, true
				}
				if v, ok := obj.Get(n); ok {
					return v, true
				}
				return r.arg(n)
			}
		}
	}
	args, err := bindParams(d.Params, get)
	if err != nil {
		writeError(ctx, 400, err.Error(), "")
		return
	}
	var v runtime.Value
	s.evaluate(r, func(th *runtime.Thread) { v, err = th.Apply(d.Fn, args...) })
	if err != nil {
		s.fail(r, err, authed && acceptsHTML(ctx))
		return
	}
	switch x := v.(type) {
	case string:
		// :content-type names a text format (an .ics feed, say).
		ct := d.OptionString("content-type")
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		ctx.SetContentType(ct)
		ctx.SetBodyString(x)
	case runtime.HTML:
		ctx.SetContentType("text/html; charset=utf-8")
		ctx.SetBodyString(string(x))
	default:
		s.writeResult(r, v)
	}
	if r.status != 0 && ctx.Response.StatusCode() == 200 {
		ctx.SetStatusCode(r.status)
	}
}

// schema describes the service's definitions for /internal/schema.
func (s *Service) schema(st *state) *runtime.Dict {
	d := runtime.NewDict(8)
	d.Set("service", s.Name)
	d.Set("title", s.Title)
	for _, kind := range []struct{ key, kind string }{{"queries", "query"}, {"actions", "action"}, {"fragments", "handler"}, {"pages", "page"}, {"routes", "route"}, {"activities", "activity"}, {"jobs", "job"}} {
		var items []runtime.Value
		for _, def := range st.env.Definitions(kind.kind) {
			e := runtime.NewDict(6)
			e.Set("name", def.Name)
			e.Set("doc", def.Doc)
			params := def.Params
			if kind.kind == "page" {
				e.Set("path", def.OptionString("path"))
				params = pageParams(st.pages[def.Name])
			}
			if kind.kind == "page" || kind.kind == "route" {
				m := strings.ToUpper(def.OptionString("method"))
				if m == "" {
					m = "GET"
				}
				e.Set("method", m)
			}
			if kind.kind == "page" || kind.kind == "route" {
				if auth := def.OptionString("auth"); auth != "" {
					e.Set("auth", auth)
				}
			}
			if kind.kind == "handler" {
				if ttl, ok := def.Option("ttl"); ok {
					e.Set("ttl", ttl)
				}
			}
			if kind.kind == "job" {
				if every, ok := def.Option("every"); ok {
					e.Set("every", every)
				}
			}
			var ps []runtime.Value
			for _, p := range params {
				if p.Rest {
					continue
				}
				pd := runtime.NewDict(4)
				pd.Set("name", p.Name)
				typ := p.Type
				if typ == "" {
					typ = "string"
				}
				pd.Set("type", typ)
				pd.Set("required", required(p))
				if p.HasDefault {
					pd.Set("default", p.Default)
				}
				ps = append(ps, pd)
			}
			e.Set("params", runtime.NewList(ps...))
			items = append(items, e)
		}
		d.Set(kind.key, runtime.NewList(items...))
	}
	return d
}

// Logger returns the platform's logger.
func (p *Platform) Logger() *slog.Logger { return p.log }
