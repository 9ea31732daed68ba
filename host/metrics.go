package host

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// metrics holds one Prometheus registry per service, so each port's
// /metrics reports its own service: request counts and latencies by route,
// method and status, the process-wide SQL timings, and the Go runtime and
// process collectors.
//
// Every label value comes from a closed set — the service's route patterns
// (or "other" when nothing matched), the standard methods (or "other") and
// the status code — so a client choosing methods and paths cannot grow the
// series without bound.
type metrics struct {
	mu       sync.Mutex
	services map[string]*serviceMetrics
	last     atomic.Pointer[serviceMetrics] // the common case: one lookup per request
}

// serviceMetrics is one service's registry and request series.
type serviceMetrics struct {
	name     string
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// series is copied on write (new label combinations are rare), so a
	// request reads it without a lock and without hashing label values.
	series atomic.Pointer[map[seriesKey]*series]
	grow   sync.Mutex
}

type seriesKey struct {
	route, method string
	status        int
}

// series is one label combination's counter and histogram.
type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// sqlTimings is process-wide: the pool is shared by every service.
var sqlTimings = prometheus.NewHistogram(prometheus.HistogramOpts{
	Name:    "sxhost_sql_duration_seconds",
	Help:    "SQL statement latency.",
	Buckets: latencyBuckets,
})

// knownMethods are the methods reported by name; any other is "other".
var knownMethods = map[string]string{
	"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT", "PATCH": "PATCH",
	"DELETE": "DELETE", "OPTIONS": "OPTIONS",
}

// unmatchedRoute labels requests no route answered (404, 405, redirects).
const unmatchedRoute = "other"

func newMetrics() *metrics {
	return &metrics{services: map[string]*serviceMetrics{}}
}

// forService returns the service's series, registering them on first use.
func (m *metrics) forService(service string) *serviceMetrics {
	if sm := m.last.Load(); sm != nil && sm.name == service {
		return sm
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if sm := m.services[service]; sm != nil {
		m.last.Store(sm)
		return sm
	}
	reg := prometheus.NewRegistry()
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:        "sxhost_request_duration_seconds",
		Help:        "Request latency by route pattern, method and status.",
		Buckets:     latencyBuckets,
		ConstLabels: prometheus.Labels{"service": service},
	}, []string{"route", "method", "status"})
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "sxhost_requests_total",
		Help:        "Requests served, by route pattern, method and status.",
		ConstLabels: prometheus.Labels{"service": service},
	}, []string{"route", "method", "status"})
	reg.MustRegister(requests, duration, sqlTimings, cacheLookups,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	sm := &serviceMetrics{name: service, registry: reg, requests: requests, duration: duration}
	m.services[service] = sm
	return sm
}

func (m *metrics) request(service, route, method string, status int, d time.Duration) {
	if route == "" {
		route = unmatchedRoute
	}
	if known, ok := knownMethods[method]; ok {
		method = known
	} else {
		method = "other"
	}
	sm := m.forService(service)
	s := sm.seriesFor(seriesKey{route, method, status})
	s.count.Inc()
	s.latency.Observe(d.Seconds())
}

// seriesFor returns the counter and histogram of one label combination.
func (sm *serviceMetrics) seriesFor(k seriesKey) *series {
	if m := sm.series.Load(); m != nil {
		if s := (*m)[k]; s != nil {
			return s
		}
	}
	sm.grow.Lock()
	defer sm.grow.Unlock()
	old := map[seriesKey]*series{}
	if m := sm.series.Load(); m != nil {
		if s := (*m)[k]; s != nil {
			return s
		}
		old = *m
	}
	code := strconv.Itoa(k.status)
	s := &series{
		count:   sm.requests.WithLabelValues(k.route, k.method, code),
		latency: sm.duration.WithLabelValues(k.route, k.method, code),
	}
	next := make(map[seriesKey]*series, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = s
	sm.series.Store(&next)
	return s
}

// write renders the service's metrics in the Prometheus text format.
func (m *metrics) write(service string, w io.Writer) error {
	families, err := m.forService(service).registry.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

// observeSQL records one statement's duration.
func observeSQL(d time.Duration) { sqlTimings.Observe(d.Seconds()) }
