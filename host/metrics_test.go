package host_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// Client-chosen methods and paths must not become label values: each
// distinct one used to add a series, so /metrics (and the process) grew
// without bound.
func TestMetricsLabelsComeFromAClosedSet(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, `(defservice closed) (defpage home :path "/" :content (p "hi"))`, host.Options{})
	addr := strings.TrimPrefix(s.URL, "http://")
	for i := 0; i < 50; i++ {
		status := rawStatus(t, addr, fmt.Sprintf("M%dX /nowhere/%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", i, i))
		if status == "" {
			t.Fatalf("request %d: no answer", i)
		}
		wantStatus(t, get(t, fmt.Sprintf("%s/missing-%d", s.URL, i)), 404, "unknown path")
	}
	series := scrape(t, s.URL)
	n := 0
	for k := range series {
		if strings.HasPrefix(k, "sxhost_requests_total{") {
			n++
			if strings.Contains(k, "M1X") || strings.Contains(k, "nowhere") || strings.Contains(k, "missing-") {
				t.Errorf("client-chosen value became a label: %s", k)
			}
		}
	}
	if n > 5 {
		t.Errorf("%d request series after 100 distinct methods and paths, want a handful", n)
	}
	if got := series[`sxhost_requests_total{method="GET",route="other",service="closed",status="404"}`]; got != 50 {
		t.Errorf("unknown paths counted as route \"other\": %v, want 50", got)
	}
}

// Each port's /metrics reports its own service, with the Go runtime and
// process metrics beside the host's.
func TestMetricsPerServiceWithRuntimeAndProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writeFile(t, dir, "alpha.sx", `(defservice alpha) (defquery ping () "a")`)
	b := writeFile(t, dir, "beta.sx", `(defservice beta) (defquery ping () "b")`)
	p := newPlatform(t, []string{a, b}, host.Options{})
	sa, sb := serve(t, p.Service("alpha")), serve(t, p.Service("beta"))
	wantStatus(t, get(t, sa.URL+"/internal/data/ping"), 200, "alpha ping")
	wantStatus(t, get(t, sb.URL+"/internal/data/ping"), 200, "beta ping")
	for _, c := range []struct{ name, url, other string }{{"alpha", sa.URL, "beta"}, {"beta", sb.URL, "alpha"}} {
		series := scrape(t, c.url)
		own := fmt.Sprintf(`sxhost_requests_total{method="GET",route="/internal/data/{query}",service="%s",status="200"}`, c.name)
		if series[own] != 1 {
			t.Errorf("%s: %s = %v, want 1", c.name, own, series[own])
		}
		for k := range series {
			if strings.Contains(k, `service="`+c.other+`"`) {
				t.Errorf("%s's /metrics reports %s: %s", c.name, c.other, k)
			}
		}
		for _, want := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "process_open_fds"} {
			if _, ok := series[want]; !ok {
				t.Errorf("%s: /metrics has no %s", c.name, want)
			}
		}
	}
}
