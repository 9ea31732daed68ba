package main

import (
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/bench"
)

// serve calls a server's handler for GET path without a network.
func serve(t testing.TB, srv *fasthttp.Server, path string) response {
	t.Helper()
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.SetRequestURI(path)
	if componentsHash != "" {
		req.Header.Set("SX-Components-Hash", componentsHash)
	}
	ctx.Init(&req, nil, nil)
	srv.Handler(&ctx)
	return response{ctx.Response.StatusCode(), string(ctx.Response.Header.ContentType()), ctx.Response.Body()}
}

// TestPagesIdentical checks the two page scenarios without a database: the
// same status, content type and bytes from sxhost and the peer, and the
// complex page exactly as bench.RenderTemplate writes it.
func TestPagesIdentical(t *testing.T) {
	sx, err := newSXServer(t.TempDir(), nil, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	peer := newPeerServer(nil)
	var want strings.Builder
	if err := bench.RenderTemplate(&want, bench.NewPageData()); err != nil {
		t.Fatal(err)
	}
	m := hashAttr.FindSubmatch(serve(t, sx, "/hello").body)
	if m == nil {
		t.Fatal("no component bundle hash in /hello")
	}
	componentsHash = string(m[1])
	defer func() { componentsHash = "" }()
	for path, body := range map[string]string{"/hello": helloHTML, "/orders": want.String()} {
		a, b := serve(t, sx, path), serve(t, peer, path)
		a.body = stripRuntimeTags(a.body)
		if a.status != 200 || b.status != 200 {
			t.Fatalf("GET %s: sx %d, peer %d\n%s", path, a.status, b.status, a.body)
		}
		if a.contentType != b.contentType {
			t.Errorf("GET %s: content types %q and %q", path, a.contentType, b.contentType)
		}
		if msg := firstDifference(a.body, b.body); msg != "" {
			t.Errorf("GET %s: %s", path, msg)
		}
		if string(a.body) != body {
			t.Errorf("GET %s: not the expected page:\n%s", path, firstDifference(a.body, []byte(body)))
		}
	}
}

func TestParseWrk(t *testing.T) {
	out := "Running 10s test @ http://127.0.0.1:18101/hello\n" +
		"httpbench: requests=500000 duration_us=10000000 errors=0,0,0,0,0 p50_us=450 p99_us=2100\n"
	m, n, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if n != 500000 || m.reqs != 50000 || m.p50.Microseconds() != 450 || m.p99.Microseconds() != 2100 {
		t.Errorf("got %+v, %v requests", m, n)
	}
	for _, bad := range []string{
		"no result here",
		"httpbench: requests=10 duration_us=1000000 errors=0,0,0,3,0 p50_us=1 p99_us=2",
		"httpbench: requests=0 duration_us=1000000 errors=0,0,0,0,0 p50_us=1 p99_us=2",
	} {
		if _, _, err := parseWrk(bad); err == nil {
			t.Errorf("parseWrk(%q) succeeded", bad)
		}
	}
}

func TestWrkScript(t *testing.T) {
	for _, sc := range scenarios {
		s := wrkScript(sc, 1000)
		if got := strings.Contains(s, "request = function"); got != sc.vary {
			t.Errorf("%s: request function present = %v, want %v", sc.name, got, sc.vary)
		}
		if got := strings.Contains(s, `wrk.format("POST"`); got != sc.post {
			t.Errorf("%s: POST requests = %v, want %v", sc.name, got, sc.post)
		}
		if !strings.Contains(s, "done = function") {
			t.Errorf("%s: no done function", sc.name)
		}
	}
}

func TestCPUTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := cpuTime(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 45678.4: "45,678", 1234567: "1,234,567"} {
		if got := formatRate(in); got != want {
			t.Errorf("formatRate(%v) = %q, want %q", in, got, want)
		}
	}
	if got := bench.Median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("Median = %v", got)
	}
}
