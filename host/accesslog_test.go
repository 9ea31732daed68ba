package host_test

import (
	"fmt"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// TestProbesNotLogged: successful probe and scrape requests leave no access
// log line, a failing probe and ordinary requests do.
func TestProbesNotLogged(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger()
	pool := openPool(t, dbURL)
	s, _, _ := startService(t, `(defservice probed) (defpage home :path "/" :content (p "hi"))`,
		host.Options{Logger: logger, DB: pool})
	wantStatus(t, get(t, s.URL+"/healthz"), 200, "/healthz")
	wantStatus(t, get(t, s.URL+"/readyz"), 200, "/readyz")
	wantStatus(t, get(t, s.URL+"/metrics"), 200, "/metrics")
	wantStatus(t, get(t, s.URL+"/"), 200, "the page")
	pool.Close() // the next readiness probe fails
	wantStatus(t, get(t, s.URL+"/readyz"), 503, "/readyz without its database")

	var logged []string
	for _, rec := range logs.records(t) {
		if rec["msg"] == "request" {
			logged = append(logged, fmt.Sprint(rec["path"], " ", rec["status"]))
		}
	}
	want := []string{"/ 200", "/readyz 503"}
	if len(logged) != len(want) || logged[0] != want[0] || logged[1] != want[1] {
		t.Errorf("access log lines %q, want %q", logged, want)
	}
}
