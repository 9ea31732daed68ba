package host_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rose-ash/sxhost/host"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"
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

// redisReads counts the GET and MGET commands a Redis client sends.
type redisReads struct{ get, mget atomic.Int32 }

func (c *redisReads) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *redisReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (c *redisReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch cmd.Name() {
		case "get":
			c.get.Add(1)
		case "mget":
			c.mget.Add(1)
		}
		return next(ctx, cmd)
	}
}

// A gather's cache reads go to Redis together: the thunks' first reads in
// one MGET, a read that needs what its thunk read first in a round of its
// own, each thunk answered with its own key's value; a thunk busy with
// other I/O does not stop the others.
func TestGatherBatchesRedisReads(t *testing.T) {
	r, err := cacheprims.NewRedis(testRedisURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	reads := &redisReads{}
	r.Client().AddHook(reads)
	pool, err := host.OpenDatabase(context.Background(), dbURL, sqlprims.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, _, _ := startService(t, `
(defservice batched)
(defroute reads :path "/reads" (&key (p :str))
  (gather (fn () (cache/get (str p "a")))
          (fn () (cache/get (str p "missing")))
          (fn () (cache/get (str p "b")))
          (fn () (cache/get (str p "c" (cache/get (str p "a")))))))
(defroute busy :path "/busy" (&key (p :str))
  (gather (fn () (do (sql/value "select pg_sleep(0.2)") 1))
          (fn () (cache/get (str p "c" (cache/get (str p "a")))))))
`, host.Options{DB: pool, Cache: r})
	p := fmt.Sprintf("gather:%d:%d:", os.Getpid(), time.Now().UnixNano())
	ctx := context.Background()
	for k, v := range map[string]string{"a": `"A"`, "b": `"B"`, "cA": `"C of A"`} {
		if err := r.Set(ctx, "sx:"+p+k, []byte(v), time.Minute); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Delete(ctx, "sx:"+p+k) })
	}
	reads.get.Store(0)
	res := get(t, s.URL+"/reads?p="+url.QueryEscape(p))
	if res.Status != 200 || res.Body != `["A",null,"B","C of A"]` {
		t.Errorf("gathered reads: %s", res)
	}
	if g, m := reads.get.Load(), reads.mget.Load(); g != 1 || m != 1 {
		t.Errorf("%d GETs and %d MGETs, want the four first reads in one MGET and the dependent one alone", g, m)
	}
	if res := get(t, s.URL+"/busy?p="+url.QueryEscape(p)); res.Status != 200 || res.Body != `[1,"C of A"]` {
		t.Errorf("reads beside a busy thunk: %s", res)
	}
}
