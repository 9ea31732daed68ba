//go:build linux

package host_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	sxclient "github.com/rose-ash/sxhost/client"
)

// htmxPath is htmx 4.0.1's browser build, the peer of
// BenchmarkBrowserBootPeers: SX_HTMX_JS, else where `make bench-browser`
// installs it with npm (.cache/htmx, git-ignored; a benchmark tool, never
// part of the product). "" when neither is there.
func htmxPath() string {
	if p := os.Getenv("SX_HTMX_JS"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", ".cache", "htmx", "node_modules", "htmx.org", "dist", "htmx.min.js")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// BenchmarkBrowserBootPeers measures sx.js's parse and init on a first
// visit against peers loaded the same way in the same run: the same
// blog post (the bytes /posts/1 answers, its component bundle included)
// served by a plain static server three ways, with sx.js, with htmx 4.0.1
// (the reference of docs/client.md, which renders nothing) and with an
// empty script (the floor: what any deferred script's first run costs a
// fresh renderer, and the timer's own observer). Each load is cold (a
// fresh browser context), the three alternate, 10 rounds per op.
//
// A script's run is from its first statement (each is served with a
// statement before it that stamps the time) to the end of its init (when
// data-sx-ready is set, which sx.js does last, htmx's initialize is
// wrapped to do, and the empty script does at once; bootTimer's observer
// stamps it). htmx 4 initializes in a task of its own
// after its script (setTimeout), so its run spans that wait too.
// -cpu-ms is the main thread's script CPU during the load, read at the
// end of init (DevTools ScriptDuration in thread ticks: compile, run,
// init and the timer), which other processes do not inflate; -run-ms is
// wall time by the Performance API. sx-net-* subtracts the empty
// script's median: what sx.js itself costs. sx/htmx-* are the ratios.
func BenchmarkBrowserBootPeers(b *testing.B) {
	_, base := benchTab(b, "")
	resp, err := http.Get(base + "/posts/1")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	// The tag keeps data-sx-handlers (the host's word that the page has no
	// sx-on: handler), which only sx.js reads.
	tag := regexp.MustCompile(`<script src="/static/sx\.[0-9a-f]+\.js" defer( data-sx-handlers="none")?[^>]*></script>`)
	if !tag.Match(doc) {
		b.Fatal("/posts/1 has no sx.js script tag")
	}
	// The scripts end their init by setting data-sx-ready, as sx.js does.
	const ready = `document.documentElement.setAttribute('data-sx-ready', 'true')`
	// Each script's first statement stamps its start (and retires
	// bootTimer's globalThis getter, which would stamp it again).
	const stamp = `__boot.start = performance.now(); Object.defineProperty(window, 'globalThis', {value: window, writable: true, configurable: true});`
	scripts := map[string][]byte{
		"sx":    slices.Concat([]byte(stamp), sxclient.Script),
		"empty": []byte(stamp + ready),
	}
	names := []string{"sx", "empty"}
	if p := htmxPath(); p != "" {
		hx, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		// The end of htmx.initialize, which htmx 4 calls from a timer task,
		// is its init's end.
		scripts["htmx"] = slices.Concat([]byte(stamp), hx,
			[]byte(";(() => { const init = htmx.initialize; htmx.initialize = function () { const r = init.apply(this, arguments); "+ready+"; return r; }; })();"))
		names = append(names, "htmx")
	} else {
		b.Log("htmx 4.0.1 is not installed (make bench-browser installs it with npm; or set SX_HTMX_JS): measuring sx.js against the empty script only")
	}
	mux := http.NewServeMux()
	for _, name := range names {
		js, html := scripts[name], tag.ReplaceAll(doc, []byte(`<script src="/`+name+`.js" defer$1></script>`))
		mux.HandleFunc("/"+name+"/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(html)
		})
		mux.HandleFunc("/"+name+".js", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(js)
		})
	}
	// The page's stylesheet and anything else it loads come from the service.
	target, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })

	run, cpu := map[string][]float64{}, map[string][]float64{}
	for i := 0; i < b.N; i++ {
		for j := 0; j < 10; j++ {
			for _, name := range names {
				r, c := coldBoot(b, "http://"+ln.Addr().String()+"/"+name+"/")
				run[name], cpu[name] = append(run[name], r), append(cpu[name], c)
			}
		}
	}
	for _, name := range names {
		b.ReportMetric(benchMedian(run[name]), name+"-run-ms")
		b.ReportMetric(slices.Min(run[name]), name+"-run-min-ms")
		b.ReportMetric(benchMedian(cpu[name]), name+"-cpu-ms")
	}
	b.ReportMetric(benchMedian(run["sx"])-benchMedian(run["empty"]), "sx-net-run-ms")
	b.ReportMetric(benchMedian(cpu["sx"])-benchMedian(cpu["empty"]), "sx-net-cpu-ms")
	if len(run["htmx"]) > 0 {
		b.ReportMetric(benchMedian(run["sx"])/benchMedian(run["htmx"]), "sx/htmx-run")
		b.ReportMetric(benchMedian(cpu["sx"])/benchMedian(cpu["htmx"]), "sx/htmx-cpu")
	}
}

// coldBoot loads url in a fresh browser context and returns its script's
// run (ms, Performance API) and the main thread's script CPU (ms) at the
// end of its init.
func coldBoot(b *testing.B, url string) (run, cpu float64) {
	b.Helper()
	tab := bootTab(b)
	defer closeTab(tab)
	before := scriptSeconds(b, tab)
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		b.Fatal(err)
	}
	run = benchEval[float64](b, tab, `new Promise((r) => { const t0 = Date.now(); (function p() {
		if (__boot.ready && __boot.start) r(__boot.ready - __boot.start); else if (Date.now() - t0 > 10000) r(-1); else setTimeout(p, 1); })(); })`)
	if run < 0 {
		b.Fatalf("%s: the script did not finish its init", url)
	}
	after := scriptSeconds(b, tab)
	if d := after - before; d > 0 {
		after = d
	}
	return run, after * 1000
}
