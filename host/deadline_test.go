package host_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// The pg_sleep arguments are unique markers to find the statements in
// pg_stat_activity.
const slowService = `
(defservice slow)

(defpage sleepy :path "/sleepy" :content (div (sql/value "select pg_sleep(5.001)") "never"))

(defquery sleepy-query () (sql/value "select pg_sleep(5.002)"))

(defpage spin :path "/spin" :content (div (let loop ((i 0)) (loop (+ i 1)))))

(defroute spin-route :path "/spin-route" () (let loop ((i 0)) (loop (+ i 1))))

(defpage quick :path "/quick" :content (div "quick"))
`

// TestRequestDeadline checks that a request's deadline stops its SQL at
// the server and its evaluation, and that the server keeps serving. Not
// parallel: it times.
func TestRequestDeadline(t *testing.T) {
	s, _, _ := startService(t, slowService, host.Options{DB: openPool(t, dbURL), RequestTimeout: 200 * time.Millisecond})
	check := directConn(t)

	for _, c := range []struct{ path, marker string }{
		{"/sleepy", "pg_sleep(5.001)"},
		{"/internal/data/sleepy-query", "pg_sleep(5.002)"},
		{"/spin", ""},
		{"/spin-route", ""},
	} {
		// Wait three seconds at most, so a broken deadline fails fast.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		start := time.Now()
		r, err := tryDoCtx(ctx, "GET", s.URL+c.path, nil)
		d := time.Since(start)
		cancel()
		if err != nil {
			t.Fatalf("%s with a 200 ms deadline: no answer after %v: %v", c.path, d, err)
		}
		t.Logf("%s: %d in %v: %.150s", c.path, r.Status, d, r.Body)
		if r.Status != 504 {
			t.Errorf("%s past its deadline: %d %.200s, want 504", c.path, r.Status, r.Body)
		}
		if d > time.Second {
			t.Errorf("%s with a 200 ms deadline answered after %v, want < 1 s", c.path, d)
		}
		if strings.Contains(r.Body, "never") {
			t.Errorf("%s rendered past its deadline: %s", c.path, r.Body)
		}
		if c.marker != "" {
			// The statement was cancelled at the server, not left running.
			waitNoBackend(t, check, c.marker, 2*time.Second)
		}
		r = get(t, s.URL+"/quick")
		if r.Status != 200 || !strings.Contains(r.Body, "quick") {
			t.Fatalf("after %s: %s", c.path, r)
		}
	}
}
