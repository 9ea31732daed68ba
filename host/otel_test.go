package host_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/rose-ash/sxhost/host"
)

// collector is a fake OpenTelemetry collector: it takes OTLP/HTTP
// protobuf exports (POST /v1/traces), as the protocol documents.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "unexpected export", 400)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

const tracedFront = `(defservice front)
(defroute page :path "/page" ()
  (str (query "back" "total") " " (frag "back" "badge")))`

const tracedBack = `(defservice back)
(defquery total () (sql/value "select 40 + 2"))
(defhandler badge () (str "badge " (sql/value "select 'b'")))`

// With OTEL_EXPORTER_OTLP_ENDPOINT set, one page request across two
// processes is one trace: the front's server span, its client span for the
// call, the back's server span continuing the traceparent, the SQL
// statement under it, the fragment; and the request log line names the
// trace.
func TestTracingAcrossServices(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "sxhost-test")
	logger, logs := newLogger()
	stop, err := host.SetupTracing(context.Background(), os.Getenv, logger)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stop(context.Background())
		}
	}()

	back, _, _ := startService(t, tracedBack, host.Options{DB: openPool(t, dbURL)})
	front, _, _ := startService(t, tracedFront, host.Options{Logger: logger, Remote: map[string]string{"back": back.URL}})
	r := get(t, front.URL+"/page")
	wantStatus(t, r, 200, "traced page")
	if r.Body != "42 badge b" {
		t.Fatalf("page answered %q", r.Body)
	}
	if err := stop(context.Background()); err != nil { // flushes
		t.Fatal(err)
	}
	stopped = true

	col.mu.Lock()
	spans := col.spans
	col.mu.Unlock()
	byID := map[string]*tracepb.Span{}
	var frontSrv *tracepb.Span
	for _, s := range spans {
		byID[hex.EncodeToString(s.SpanId)] = s
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER && s.Name == "GET /page" {
			frontSrv = s
		}
	}
	if frontSrv == nil {
		t.Fatalf("no server span GET /page among %d spans: %v", len(spans), names(spans))
	}
	traceID := hex.EncodeToString(frontSrv.TraceId)
	parentOf := func(s *tracepb.Span) *tracepb.Span { return byID[hex.EncodeToString(s.ParentSpanId)] }
	find := func(pred func(*tracepb.Span) bool) *tracepb.Span {
		for _, s := range spans {
			if hex.EncodeToString(s.TraceId) == traceID && pred(s) {
				return s
			}
		}
		return nil
	}
	client := find(func(s *tracepb.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_CLIENT && s.Name == "GET back" })
	if client == nil {
		t.Fatalf("no client span for the call to back in the trace: %v", names(spans))
	}
	backSrv := find(func(s *tracepb.Span) bool {
		return s.Kind == tracepb.Span_SPAN_KIND_SERVER && strings.Contains(s.Name, "/internal/data/")
	})
	if backSrv == nil || parentOf(backSrv) != client {
		t.Fatalf("back's server span does not continue the client span's traceparent: %v", names(spans))
	}
	sql := find(func(s *tracepb.Span) bool { return s.Name == "sql" && attr(s, "db.query.text") == "select 40 + 2" })
	if sql == nil || parentOf(sql) != backSrv {
		t.Errorf("the query's statement is not a span under back's request: %v", names(spans))
	}
	frag := find(func(s *tracepb.Span) bool { return s.Name == "fragment back/badge" })
	if frag == nil {
		t.Errorf("no fragment span: %v", names(spans))
	}
	found := false
	for _, rec := range logs.records(t) {
		if rec["msg"] == "request" && rec["path"] == "/page" {
			found = rec["trace_id"] == traceID
		}
	}
	if !found {
		t.Errorf("the request log line does not carry trace_id %s:\n%s", traceID, logs.String())
	}
}

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.GetStringValue()
		}
	}
	return ""
}

func names(spans []*tracepb.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
