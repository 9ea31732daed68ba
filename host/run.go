package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// Limits bound what one server gives its clients. Every field has a
// default (DefaultLimits); the sxhost command reads them from SX_MAX_CONNS,
// SX_MAX_CONNS_PER_IP, SX_HEADER_TIMEOUT (a Go duration), SX_MAX_BODY,
// SX_MAX_PUBLIC_BODY, SX_MAX_UPLOAD and SX_MAX_UPLOAD_FILE (bytes) through
// Options.Getenv.
type Limits struct {
	// MaxConns bounds concurrent connections; more are refused (503).
	MaxConns int
	// MaxConnsPerIP bounds concurrent connections from one address (429).
	MaxConnsPerIP int
	// HeaderTimeout bounds reading a request's head, from its first byte
	// (and the wait for the first byte of a new connection).
	HeaderTimeout time.Duration
	// BodyTimeout bounds reading a request's body once its head is in.
	BodyTimeout time.Duration
	// MaxBody caps the body of a call to an internal endpoint (413 above).
	MaxBody int
	// MaxPublicBody caps every other body: pages, forms, webhooks.
	MaxPublicBody int
	// MaxUpload caps a multipart/form-data body (file uploads) sent to a
	// page or route; MaxUploadFile caps each file in it (413 naming the
	// field above it).
	MaxUpload     int
	MaxUploadFile int
}

// DefaultLimits are sized for a web server behind a proxy: a few thousand
// connections, a head in a few seconds, bodies as large as the services'
// own calls need and no larger.
var DefaultLimits = Limits{
	MaxConns:      2048,
	MaxConnsPerIP: 256,
	HeaderTimeout: 5 * time.Second,
	BodyTimeout:   30 * time.Second,
	MaxBody:       MaxBodySize,
	MaxPublicBody: 64 << 10,
	MaxUpload:     32 << 20,
	MaxUploadFile: 16 << 20,
}

// bodyLimit is the body cap for a request with head h, and what the 413
// says of it: an internal call's, an upload's (multipart/form-data, for a
// page or route) or every other body's.
func bodyLimit(l Limits, h *fasthttp.RequestHeader, secret, service string) (int, string) {
	switch {
	case mayCarryInternalBody(h, secret, service):
		return l.MaxBody, ""
	case isMultipart(h.ContentType()):
		return max(l.MaxUpload, l.MaxPublicBody), " (the limit for a multipart/form-data upload, SX_MAX_UPLOAD)"
	}
	return l.MaxPublicBody, ""
}

// limits are the server limits, read once (readLimits).
func (p *Platform) limits() Limits {
	p.limitsOnce.Do(func() { p.lim = p.readLimits() })
	return p.lim
}

// readLimits reads the server limits from the platform's configuration,
// falling back to DefaultLimits for what is unset or malformed (logged).
func (p *Platform) readLimits() Limits {
	l := DefaultLimits
	get := p.opts.Getenv
	if get == nil {
		return l
	}
	ints := []struct {
		name string
		to   *int
	}{{"SX_MAX_CONNS", &l.MaxConns}, {"SX_MAX_CONNS_PER_IP", &l.MaxConnsPerIP}, {"SX_MAX_BODY", &l.MaxBody}, {"SX_MAX_PUBLIC_BODY", &l.MaxPublicBody},
		{"SX_MAX_UPLOAD", &l.MaxUpload}, {"SX_MAX_UPLOAD_FILE", &l.MaxUploadFile}}
	for _, v := range ints {
		if s := get(v.name); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				*v.to = n
			} else {
				p.log.Warn("ignoring a malformed limit", "variable", v.name, "value", s)
			}
		}
	}
	if s := get("SX_HEADER_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			l.HeaderTimeout = d
		} else {
			p.log.Warn("ignoring a malformed limit", "variable", "SX_HEADER_TIMEOUT", "value", s)
		}
	}
	return l
}

// NewServer returns a fasthttp server for svc with the host's limits
// (Limits): bounded connections, a short head timeout, body caps by
// endpoint, buffers returned to their pools between requests.
func NewServer(svc *Service) *fasthttp.Server {
	l := svc.plat.limits()
	secret := svc.plat.opts.Secret
	svc.plat.announce()
	return &fasthttp.Server{
		Handler:            svc.Handler(),
		Name:               "sxhost",
		MaxRequestBodySize: l.MaxBody,
		ReadBufferSize:     readBufferSize,
		Concurrency:        l.MaxConns,
		MaxConnsPerIP:      l.MaxConnsPerIP,
		ReadTimeout:        l.HeaderTimeout,
		WriteTimeout:       30 * time.Second,
		IdleTimeout:        2 * time.Minute,
		// Buffers go back to their pools between requests: an idle
		// keep-alive connection then holds 14 KiB instead of 79 KiB, for
		// no CPU per request measurable on a busy one (docs/benchmarks.md,
		// round six).
		ReduceMemoryUsage: true,
		// Multipart bodies are parsed by the host, in memory (multipart.go):
		// fasthttp's own pre-parse spills large files to temporary files
		// and answers a malformed body with a bare "malformed request".
		DisablePreParseMultipartForm: true,
		SecureErrorLogMessage:        true,
		CloseOnShutdown:              true,
		Logger:                       fasthttpLogger{svc.plat.log},
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			// The head is in: the body gets its own time, and a body only
			// an internal call may send large.
			max, _ := bodyLimit(l, h, secret, svc.Name)
			return fasthttp.RequestConfig{ReadTimeout: l.BodyTimeout, MaxRequestBodySize: max}
		},
		// A client that waits for "100 Continue" before sending its body is
		// refused at once when the body it announces is over the limit:
		// fasthttp's default invites the body and then cuts the connection
		// while the client writes it, which the client sees as a broken pipe
		// instead of the 413.
		ExpectHandler: func(ctx *fasthttp.RequestCtx) int {
			max, _ := bodyLimit(l, &ctx.Request.Header, secret, svc.Name)
			if n := ctx.Request.Header.ContentLength(); max > 0 && n > max {
				return fasthttp.StatusRequestEntityTooLarge
			}
			return fasthttp.StatusContinue
		},
		ErrorHandler: func(ctx *fasthttp.RequestCtx, err error) {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// A connection that sent nothing (or not a whole head) in
				// time is closed without an answer nobody asked for.
				svc.plat.log.Debug("connection timed out", "service", svc.Name, "remote", ctx.RemoteIP().String())
				ctx.Conn().Close()
				return
			}
			if errors.Is(err, fasthttp.ErrBodyTooLarge) {
				max, what := bodyLimit(l, &ctx.Request.Header, secret, svc.Name)
				writeError(ctx, 413, fmt.Sprintf("request body over %d bytes%s", max, what), "")
				return
			}
			// The details may quote the request's head (cookies, tokens):
			// only the kind of error is logged.
			svc.plat.log.Info("malformed request", "service", svc.Name, "remote", ctx.RemoteIP().String(), "error", redactError(err))
			writeError(ctx, 400, "malformed request", "")
		},
	}
}

// mayCarryInternalBody reports whether a request head is that of a call to
// an internal endpoint that may be allowed the larger body: one whose
// signature checks out (against the body hash its head declares), or
// without a secret any call under /internal/. Deciding before the body
// arrives keeps unsigned and forged trickles to the small cap.
func mayCarryInternalBody(h *fasthttp.RequestHeader, secret, service string) bool {
	if !bytes.HasPrefix(h.RequestURI(), []byte("/internal/")) {
		return false
	}
	return secret == "" || signedHead(h, secret, service, time.Now())
}

// redactError is an error's message cut before anything quoted from the
// request (fasthttp quotes the head it could not parse unless told not to).
func redactError(err error) string { return redact(err.Error()) }

// redact cuts a log message before anything quoted from a request.
func redact(msg string) string {
	for _, mark := range []string{"\"", "'", "contents", "buffer", "Buffer"} {
		if i := strings.Index(msg, mark); i >= 0 {
			msg = msg[:i]
		}
	}
	return strings.TrimRight(msg, " :;,=")
}

// announce logs, once per platform, how the internal endpoints are
// guarded when no secret is set.
func (p *Platform) announce() {
	p.announceOnce.Do(func() {
		if p.opts.Secret == "" {
			p.log.Warn("internal endpoints answer only loopback clients: " + secretVariable + " is not set")
		}
	})
}

// RequireSecret refuses a production start without the internal secret:
// unsigned internal endpoints would let anyone who can reach a port mark
// orders paid or mint grants.
func RequireSecret(env, secret string) error {
	if env == "prod" && secret == "" {
		return fmt.Errorf("%s must be set when SX_ENV=prod: it signs the calls between services (any long random string, the same for every service)", secretVariable)
	}
	return nil
}

// readBufferSize bounds a request's head (request line and headers): room
// for the long query strings of calls between services (maxTarget).
const readBufferSize = 32 << 10

// OpenDatabase opens the pool the services share, timing every statement
// for /metrics.
func OpenDatabase(ctx context.Context, url string, opts sqlprims.Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.Tracer = sqlTracer{}
	if opts.ReadOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	cfg.MaxConns = opts.PoolSize()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return pool, nil
}

// sqlTracer records statement durations in the process-wide histogram.
// A statement's start is kept on its connection (which runs one statement
// at a time), not in a new context per statement: no allocation.
type sqlTracer struct{}

// sqlStartKey names a connection's *time.Time in its CustomData.
const sqlStartKey = "sxhost.sql-start"

func (sqlTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if tracing.Load() {
		ctx = startSQLSpan(ctx, data) // otel.go
	}
	if t := sqlStart(conn); t != nil {
		*t = time.Now()
	}
	return ctx
}

func (sqlTracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	if tracing.Load() {
		endSQLSpan(ctx, data)
	}
	if t := sqlStart(conn); t != nil && !t.IsZero() {
		observeSQL(time.Since(*t))
		*t = time.Time{}
	}
}

// sqlStart is the start of conn's current statement, made on its first.
func sqlStart(conn *pgx.Conn) *time.Time {
	if conn == nil || conn.PgConn() == nil {
		return nil
	}
	m := conn.PgConn().CustomData()
	if m == nil {
		return nil
	}
	t, _ := m[sqlStartKey].(*time.Time)
	if t == nil {
		t = new(time.Time)
		m[sqlStartKey] = t
	}
	return t
}

// Check reports, for every loaded service, undefined symbols, unknown
// components, arity errors and calls to queries, actions or fragments that
// no loaded service defines (services named in SX_URL_* are trusted).
func (p *Platform) Check() []string {
	type finding struct {
		pos runtime.Pos
		msg string
	}
	var found []finding
	for _, svc := range p.order {
		st := svc.state.Load()
		var pages []runtime.Value
		for _, fn := range st.pages {
			pages = append(pages, fn)
		}
		for _, f := range st.env.Check(pages...) {
			if f.Call == nil {
				found = append(found, finding{f.Pos, f.Msg})
				continue
			}
			if msg := p.checkCall(f.Call); msg != "" {
				found = append(found, finding{f.Pos, msg})
			}
		}
	}
	// In source order: by file, then line, then column.
	sort.Slice(found, func(i, j int) bool {
		a, b := found[i].pos, found[j].pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return found[i].msg < found[j].msg
	})
	out := make([]string, 0, len(found))
	for _, f := range found {
		out = append(out, f.pos.String()+": "+f.msg)
	}
	return dedupe(out)
}

func (p *Platform) checkCall(c *runtime.CallRef) string {
	target := p.services[c.Service]
	if target == nil {
		if p.opts.Remote[c.Service] != "" {
			return ""
		}
		return fmt.Sprintf("%s %s/%s: no service %s is loaded", c.Kind, c.Service, c.Name, c.Service)
	}
	kind := c.Kind
	if kind == "frag" {
		kind = "handler"
	}
	if target.state.Load().env.Definition(kind, c.Name) == nil {
		return fmt.Sprintf("%s %s/%s: service %s defines no %s %s", c.Kind, c.Service, c.Name, c.Service, kind, c.Name)
	}
	return ""
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// fasthttpLogger sends fasthttp's own messages (connection errors) to the
// structured log at debug level: clients that hang up are not news.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug(redact(fmt.Sprintf(format, args...)))
}
