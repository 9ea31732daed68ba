package host

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"
)

// metrics keeps request counts and latency histograms per route and status,
// and SQL statement timings, in the Prometheus text format. Written here
// rather than with client_golang: a few dozen lines, no dependency tree, and
// the exposition format is stable and simple.
type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]*histogram
}

// sqlTimings is process-wide: the pool is shared by every service.
var sqlTimings = &lockedHistogram{h: newHistogram()}

type lockedHistogram struct {
	mu sync.Mutex
	h  *histogram
}

func (l *lockedHistogram) observe(d time.Duration) {
	l.mu.Lock()
	l.h.observe(d.Seconds())
	l.mu.Unlock()
}

type reqKey struct {
	service, route, method string
	status                 int
}

var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64 // per bucket, plus +Inf
	sum    float64
	n      uint64
}

func newHistogram() *histogram { return &histogram{counts: make([]uint64, len(latencyBuckets)+1)} }

func (h *histogram) observe(seconds float64) {
	i := sort.SearchFloat64s(latencyBuckets, seconds)
	h.counts[i]++
	h.sum += seconds
	h.n++
}

func newMetrics() *metrics {
	return &metrics{requests: map[reqKey]*histogram{}}
}

func (m *metrics) request(service, route, method string, status int, d time.Duration) {
	k := reqKey{service, route, method, status}
	m.mu.Lock()
	h := m.requests[k]
	if h == nil {
		h = newHistogram()
		m.requests[k] = h
	}
	h.observe(d.Seconds())
	m.mu.Unlock()
}

func writeHistogram(w io.Writer, name, labels string, h *histogram) {
	var cum uint64
	sep := ""
	if labels != "" {
		sep = ","
	}
	for i, le := range latencyBuckets {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s%sle=\"%s\"} %d\n", name, labels, sep, strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += h.counts[len(latencyBuckets)]
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
	fmt.Fprintf(w, "%s_sum{%s} %s\n", name, labels, strconv.FormatFloat(h.sum, 'g', -1, 64))
	fmt.Fprintf(w, "%s_count{%s} %d\n", name, labels, h.n)
}

// write renders every metric.
func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	fmt.Fprintln(w, "# HELP sxhost_requests_total Requests served, by service, route, method and status.")
	fmt.Fprintln(w, "# TYPE sxhost_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "sxhost_requests_total{%s} %d\n", k.labels(), m.requests[k].n)
	}
	fmt.Fprintln(w, "# HELP sxhost_request_duration_seconds Request latency.")
	fmt.Fprintln(w, "# TYPE sxhost_request_duration_seconds histogram")
	for _, k := range keys {
		writeHistogram(w, "sxhost_request_duration_seconds", k.labels(), m.requests[k])
	}
	fmt.Fprintln(w, "# HELP sxhost_sql_duration_seconds SQL statement latency.")
	fmt.Fprintln(w, "# TYPE sxhost_sql_duration_seconds histogram")
	sqlTimings.mu.Lock()
	writeHistogram(w, "sxhost_sql_duration_seconds", "", sqlTimings.h)
	sqlTimings.mu.Unlock()
}

func (k reqKey) labels() string {
	return fmt.Sprintf("service=%q,route=%q,method=%q,status=\"%d\"", k.service, k.route, k.method, k.status)
}
