package host

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/rose-ash/sxhost/runtime"
)

// OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: then every request is a
// server span (continuing the caller's traceparent), every call to another
// process a client span whose traceparent the callee continues, every SQL
// statement and every (frag …) a span of its own, and the request and
// error log lines carry the trace id. The exporter is OTLP over HTTP and
// reads the standard OTEL_EXPORTER_OTLP_* variables (headers, timeout,
// insecure); OTEL_SERVICE_NAME names the process (default "sxhost").
//
// Off, each hook is one atomic load and the request path allocates nothing
// more (BenchmarkMetricsHealthzRequest: the same allocations per request
// with and without these hooks).

// tracing is set while a tracer provider exports.
var tracing atomic.Bool

var propagator = propagation.TraceContext{}

// tracerOf holds the tracer (set before tracing is, read only while it is).
var tracerOf atomic.Pointer[tracerBox]

type tracerBox struct{ trace.Tracer }

func tracer() trace.Tracer { return tracerOf.Load().Tracer }

// SetupTracing starts exporting traces when the environment names an OTLP
// endpoint, and returns the function that flushes and stops it (nothing to
// do otherwise).
func SetupTracing(ctx context.Context, getenv func(string) string, log *slog.Logger) (shutdown func(context.Context) error, err error) {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry exporter: %w", err)
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "sxhost"
	}
	res := resource.NewSchemaless(attribute.String("service.name", name))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagator)
	tracerOf.Store(&tracerBox{tp.Tracer("sxhost")})
	tracing.Store(true)
	log.Info("exporting OpenTelemetry traces", "service_name", name)
	return func(ctx context.Context) error {
		tracing.Store(false)
		return tp.Shutdown(ctx)
	}, nil
}

// requestHeaderCarrier lets the propagator read and write fasthttp headers.
type requestHeaderCarrier struct{ h *fasthttp.RequestHeader }

func (c requestHeaderCarrier) Get(key string) string { return string(c.h.Peek(key)) }
func (c requestHeaderCarrier) Set(key, value string) { c.h.Set(key, value) }
func (c requestHeaderCarrier) Keys() []string        { return []string{"traceparent", "tracestate"} }

// startRequestSpan opens a request's server span, continuing the caller's
// trace (an internal call from another service carries traceparent).
func (s *Service) startRequestSpan(r *requestCtx) {
	if !tracing.Load() {
		return
	}
	parent := propagator.Extract(context.Background(), requestHeaderCarrier{&r.ctx.Request.Header})
	ctx, _ := tracer().Start(parent, string(r.ctx.Method())+" "+s.Name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("sx.service", s.Name), attribute.String("http.request.method", string(r.ctx.Method())),
			attribute.String("url.path", string(r.ctx.Path())), attribute.String("sx.request_id", r.ID())))
	r.trace = ctx
}

// endRequestSpan names the span after the route that answered and closes it.
func (s *Service) endRequestSpan(r *requestCtx, status int) {
	span := trace.SpanFromContext(r.trace)
	if r.route != "" {
		span.SetName(string(r.ctx.Method()) + " " + r.route)
		span.SetAttributes(attribute.String("http.route", r.route))
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, fmt.Sprint(status))
	}
	span.End()
}

// traceID is the request's trace id, or "" when it is not traced.
func (r *requestCtx) traceID() string {
	if r == nil || r.trace == nil {
		return ""
	}
	return trace.SpanContextFromContext(r.trace).TraceID().String()
}

// traceAttrs are the log attributes naming the trace of a traced request.
func (r *requestCtx) traceAttrs(attrs []any) []any {
	if id := r.traceID(); id != "" {
		return append(attrs, "trace_id", id)
	}
	return attrs
}

// startCallSpan opens a client span for an internal call and writes its
// traceparent into the request.
func startCallSpan(ctx context.Context, req *fasthttp.Request, service, method string) trace.Span {
	ctx, span := tracer().Start(ctx, method+" "+service, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("sx.callee", service), attribute.String("url.path", string(req.URI().Path()))))
	propagator.Inject(ctx, requestHeaderCarrier{&req.Header})
	return span
}

// endSpan closes span, marking it failed when err is set.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// startFragmentSpan opens the span of one (frag …) on th, whose statements
// become its children; the returned function closes it and restores th.
func startFragmentSpan(th *runtime.Thread, service, typ string) func() {
	outer := th.Ctx
	ctx, span := tracer().Start(outer, "fragment "+service+"/"+typ,
		trace.WithAttributes(attribute.String("sx.service", service), attribute.String("sx.fragment", typ)))
	th.Ctx = ctx
	return func() {
		span.End()
		th.Ctx = outer
	}
}

// startSQLSpan opens the span of one statement (its text has parameters,
// never values).
func startSQLSpan(ctx context.Context, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx // statements outside a traced request (processors, jobs)
	}
	ctx, span := tracer().Start(ctx, "sql", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.query.text", data.SQL)))
	return context.WithValue(ctx, sqlSpanKey{}, span)
}

type sqlSpanKey struct{}

func endSQLSpan(ctx context.Context, data pgx.TraceQueryEndData) {
	span, ok := ctx.Value(sqlSpanKey{}).(trace.Span)
	if !ok {
		return
	}
	if data.Err != nil {
		span.SetStatus(codes.Error, data.Err.Error())
	}
	span.End()
}
