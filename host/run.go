package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// NewServer returns a fasthttp server for svc with the host's limits: a
// 1 MiB body limit (413 above it) and timeouts against slow clients.
func NewServer(svc *Service) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:            svc.Handler(),
		Name:               "sxhost",
		MaxRequestBodySize: MaxBodySize,
		ReadBufferSize:     readBufferSize,
		ReadTimeout:        30 * time.Second,
		WriteTimeout:       30 * time.Second,
		IdleTimeout:        2 * time.Minute,
		CloseOnShutdown:    true,
		Logger:             fasthttpLogger{svc.plat.log},
		ErrorHandler: func(ctx *fasthttp.RequestCtx, err error) {
			if errors.Is(err, fasthttp.ErrBodyTooLarge) {
				writeError(ctx, 413, fmt.Sprintf("request body over %d bytes", MaxBodySize), "")
				return
			}
			// The details (which may quote the request's headers) go to the
			// log, not back to the client.
			svc.plat.log.Info("malformed request", "service", svc.Name, "err", err)
			writeError(ctx, 400, "malformed request", "")
		},
	}
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
	cfg.MaxConns = opts.PoolSize()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return pool, nil
}

// sqlTracer records statement durations in the process-wide histogram.
type sqlTracer struct{}

type sqlStartKey struct{}

func (sqlTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, sqlStartKey{}, time.Now())
}

func (sqlTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if t, ok := ctx.Value(sqlStartKey{}).(time.Time); ok {
		observeSQL(time.Since(t))
	}
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
	l.log.Debug(fmt.Sprintf(format, args...))
}
