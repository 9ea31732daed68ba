package host

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// The metrics library must cost little next to a request: these two
// benchmarks give the ratio (recorded in docs/benchmarks.md). The request
// is the cheapest there is (/healthz through the handler, no network), so
// the share of a real request is smaller still.
//
//	go test ./host -run '^$' -bench 'Metrics' -benchtime 2s

func BenchmarkMetricsObserve(b *testing.B) {
	m := newMetrics()
	m.request("svc", "/healthz", "GET", 200, time.Millisecond)
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		m.request("svc", "/healthz", "GET", 200, time.Millisecond)
	}
}

func BenchmarkMetricsHealthzRequest(b *testing.B) {
	file := filepath.Join(b.TempDir(), "svc.sx")
	if err := os.WriteFile(file, []byte("(defservice svc)"), 0o644); err != nil {
		b.Fatal(err)
	}
	p, err := New([]string{file}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	h := p.Services()[0].Handler()
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.SetRequestURI("/healthz")
		h(&ctx)
	}
}

// reportCPU resets the timer and returns a function reporting the
// process's CPU time per operation (user+system, from getrusage): on a
// shared machine wall time per operation also counts waiting for a core.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	start := cpu()
	return func() {
		b.StopTimer()
		b.ReportMetric(float64((cpu()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
