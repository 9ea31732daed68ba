package main

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// BenchmarkDataHandlers calls both servers' handlers in-process (no
// sockets, no wrk) for the query and list scenarios against a throwaway
// database of 1,000 products, one request at a time. Besides ns/op (mostly
// the database's round trip) it reports cpu-ns/op, this process's user +
// system CPU per request, which is what the servers differ in; with
// -benchmem, bytes and allocations per request. It skips without
// PostgreSQL.
//
//	cd bench && go test -run '^$' -bench DataHandlers -benchmem ./http/cmd/httpbench/
func BenchmarkDataHandlers(b *testing.B) {
	sx, peer := newBenchPair(b, productsSQL(1000))
	for _, sc := range []struct{ name, path, param string }{
		{"query", "/internal/data/product-by-id", "id"},
		{"list", "/internal/data/products-from", "from"},
	} {
		uris := make([][]byte, 1000)
		for i := range uris {
			uris[i] = []byte(sc.path + "?" + sc.param + "=" + strconv.Itoa(i+1))
		}
		benchSides(b, sc.name, sx, peer, uris)
	}
}

// benchSides runs sub-benchmarks name/sx and name/peer, each calling its
// server's handler in-process for the URIs in turn (every answer must be a
// 200), reporting allocations and cpu-ns/op.
func benchSides(b *testing.B, name string, sx, peer *fasthttp.Server, uris [][]byte) {
	for _, side := range []struct {
		name string
		srv  *fasthttp.Server
	}{{"sx", sx}, {"peer", peer}} {
		b.Run(name+"/"+side.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			var req fasthttp.Request
			ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuNow()
			for i := 0; i < b.N; i++ {
				uri := uris[i%len(uris)]
				ctx.Request.SetRequestURIBytes(uri)
				ctx.Response.Reset()
				side.srv.Handler(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("%s: %d %s", uri, ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuNow is this process's user + system CPU time.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
