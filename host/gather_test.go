package host_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

const gatherService = `
(defservice par)

(define (nap) (sql/value "select pg_sleep(0.1)"))

(defroute together :path "/together" ()
  (len (gather nap nap (fn () (nap)) (fn () (sql/value "select pg_sleep(0.1)")))))

(defroute one-by-one :path "/one-by-one" ()
  (len (list (nap) (nap) (nap) (nap))))

(defpage together-page :path "/page" :content
  (ul (map (fn (x) (li x))
           (gather (fn () (do (nap) "a")) (fn () (do (nap) "b"))
                   (fn () (do (nap) "c")) (fn () (do (nap) "d"))))))

(defroute in-order :path "/in-order" ()
  (gather (fn () 1) (fn () (sql/value "select 2")) (fn () "three") (fn () (list 4))))

(defroute one-fails :path "/one-fails" ()
  (gather (fn () (sql/value "select pg_sleep(3)")) (fn () (error "second thunk fails"))))
`

// timed runs a GET and returns its status, body and duration.
func timed(t *testing.T, url string) (response, time.Duration) {
	t.Helper()
	start := time.Now()
	r := get(t, url)
	return r, time.Since(start)
}

// TestGatherRunsConcurrently measures gathered and sequential I/O in the
// same test, so a loaded machine slows both alike. Not parallel: it times.
func TestGatherRunsConcurrently(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := host.OpenDatabase(ctx, dbURL, sqlprims.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, _, _ := startService(t, gatherService, host.Options{DB: pool})

	r := get(t, s.URL+"/in-order")
	if r.Status != 200 || r.Body != `[1,2,"three",[4]]` {
		t.Errorf("gather results in order: %s", r)
	}

	// Warm the pool: four connections open.
	wantStatus(t, get(t, s.URL+"/together"), 200, "gather warm-up")

	best := time.Hour
	for i := 0; i < 3; i++ {
		r, d := timed(t, s.URL+"/together")
		if r.Status != 200 || r.Body != "4" {
			t.Fatalf("gather: %s", r)
		}
		best = min(best, d)
		seqR, seq := timed(t, s.URL+"/one-by-one")
		if seqR.Status != 200 || seqR.Body != "4" {
			t.Fatalf("sequential: %s", seqR)
		}
		if seq < 400*time.Millisecond {
			t.Errorf("four sequential 100 ms sleeps took %v, want ≥ 400 ms", seq)
		}
		t.Logf("gathered %v, sequential %v", d, seq)
		if d < 300*time.Millisecond {
			break
		}
	}
	if best >= 300*time.Millisecond {
		t.Errorf("four gathered 100 ms sleeps took %v at best, want < 300 ms", best)
	}

	r, d := timed(t, s.URL+"/page")
	wantStatus(t, r, 200, "page with gather")
	if !containsAll(r.Body, "<ul><li>a</li><li>b</li><li>c</li><li>d</li></ul>") {
		t.Errorf("page with gather: %s", r.Body)
	}
	if d >= 300*time.Millisecond {
		t.Errorf("a page gathering four 100 ms sleeps took %v, want < 300 ms", d)
	}

	// One failing thunk fails the gather and stops the others.
	r, d = timed(t, s.URL+"/one-fails")
	wantStatus(t, r, 500, "gather with a failing thunk")
	if d > 2*time.Second {
		t.Errorf("a gather whose second thunk fails at once took %v; the 3 s sleep should be cancelled", d)
	}
}

// When one thunk fails, gather reports that failure, not the cancellations
// it causes in the others.
func TestGatherReportsTheFailureNotTheCancellations(t *testing.T) {
	pool, err := host.OpenDatabase(context.Background(), dbURL, sqlprims.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, _, _ := startService(t, `
(defquery boom ()
  (gather (fn () (sql/value "select pg_sleep(2)"))
          (fn () (error "the real failure"))
          (fn () (sql/value "select pg_sleep(2)"))))`, host.Options{DB: pool, Dev: true})
	r := get(t, s.URL+"/internal/data/boom")
	if r.Status != 500 || !strings.Contains(r.Body, "the real failure") {
		t.Errorf("got %s", r)
	}
}
