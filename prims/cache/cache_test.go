package cacheprims_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"

	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/internal/syncbuf"
)

// The tests use the Redis at SX_TEST_REDIS_URL (default: the local server),
// under a key prefix unique to this run, deleted when the run ends.
var (
	redisURL  string
	runPrefix string
)

func TestMain(m *testing.M) {
	redisURL = pgtest.RedisURL()
	runPrefix = fmt.Sprintf("sxtest:%d:%d:", os.Getpid(), time.Now().UnixNano())
	r, err := cacheprims.NewRedis(redisURL)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = r.Client().Ping(ctx).Err()
		cancel()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cacheprims tests need Redis at %s (set SX_TEST_REDIS_URL): %v\n", redisURL, err)
		os.Exit(1)
	}
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	iter := r.Client().Scan(ctx, 0, runPrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		r.Client().Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "cleaning up %s*: %v\n", runPrefix, err)
	}
	cancel()
	r.Close()
	os.Exit(code)
}

// backend is a cache under test and the prefix its test keys live under.
type backend struct {
	name   string
	cache  cacheprims.Cache
	prefix string
}

var backendSeq atomic.Int64

// backends returns a fresh Memory cache and a Redis cache whose keys are
// private to the calling test (and to this run of it, under -count).
func backends(t *testing.T) []backend {
	t.Helper()
	r, err := cacheprims.NewRedis(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return []backend{
		{"memory", cacheprims.NewMemory(cacheprims.MemoryOptions{}), ""},
		{"redis", r, fmt.Sprintf("%s%s:%d:", runPrefix, t.Name(), backendSeq.Add(1))},
	}
}

func mustGet(t *testing.T, c cacheprims.Cache, key string) (string, bool) {
	t.Helper()
	v, ok, err := c.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return string(v), ok
}

func mustSet(t *testing.T, c cacheprims.Cache, key, value string, ttl time.Duration) {
	t.Helper()
	if err := c.Set(context.Background(), key, []byte(value), ttl); err != nil {
		t.Fatalf("set %s: %v", key, err)
	}
}

func TestContract(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c, k := b.cache, func(s string) string { return b.prefix + s }
			ctx := context.Background()

			if v, ok := mustGet(t, c, k("missing")); ok {
				t.Errorf("missing key: got %q", v)
			}
			mustSet(t, c, k("a"), "1", 0)
			if v, ok := mustGet(t, c, k("a")); !ok || v != "1" {
				t.Errorf("get a = %q, %v; want 1", v, ok)
			}
			mustSet(t, c, k("a"), "2", 0)
			if v, _ := mustGet(t, c, k("a")); v != "2" {
				t.Errorf("after overwrite: %q, want 2", v)
			}

			bin := "\x00\xff binary\r\n"
			mustSet(t, c, k("bin"), bin, 0)
			if v, _ := mustGet(t, c, k("bin")); v != bin {
				t.Errorf("binary value: %q", v)
			}
			mustSet(t, c, k("empty"), "", 0)
			if v, ok := mustGet(t, c, k("empty")); !ok || v != "" {
				t.Errorf("empty value: %q, %v; want a hit", v, ok)
			}

			// A caller modifying what it got must not change the cache.
			got, _, _ := c.Get(ctx, k("a"))
			got[0] = 'x'
			if v, _ := mustGet(t, c, k("a")); v != "2" {
				t.Errorf("value changed through a returned slice: %q", v)
			}

			if err := c.Delete(ctx, k("a")); err != nil {
				t.Fatal(err)
			}
			if _, ok := mustGet(t, c, k("a")); ok {
				t.Error("deleted key still present")
			}
			if err := c.Delete(ctx, k("never-set")); err != nil {
				t.Errorf("deleting a missing key: %v", err)
			}

			// TTLs: one expires; one is overwritten without a TTL and stays.
			mustSet(t, c, k("short"), "s", 100*time.Millisecond)
			mustSet(t, c, k("kept"), "k", 100*time.Millisecond)
			mustSet(t, c, k("kept"), "k2", 0)
			mustSet(t, c, k("long"), "l", time.Minute)
			if _, ok := mustGet(t, c, k("short")); !ok {
				t.Error("short-lived entry missing before its TTL")
			}
			time.Sleep(150 * time.Millisecond)
			if v, ok := mustGet(t, c, k("short")); ok {
				t.Errorf("entry outlived its TTL: %q", v)
			}
			if v, ok := mustGet(t, c, k("kept")); !ok || v != "k2" {
				t.Errorf("overwrite without TTL: %q, %v", v, ok)
			}
			if _, ok := mustGet(t, c, k("long")); !ok {
				t.Error("entry with a long TTL missing")
			}
		})
	}
}

// Add stores only where nothing live is: a reader's late Add cannot undo
// a writer's Set; an expired entry is as good as none.
func TestAdd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c, k := b.cache, func(s string) string { return b.prefix + s }
			ctx := context.Background()
			add := func(key, value string, ttl time.Duration) bool {
				t.Helper()
				added, err := c.Add(ctx, key, []byte(value), ttl)
				if err != nil {
					t.Fatalf("add %s: %v", key, err)
				}
				return added
			}
			if !add(k("a"), "read", time.Minute) {
				t.Error("add to an absent key: not added")
			}
			if v, _ := mustGet(t, c, k("a")); v != "read" {
				t.Errorf("after add: %q", v)
			}
			mustSet(t, c, k("a"), "written", time.Minute)
			if add(k("a"), "stale", time.Minute) {
				t.Error("add over a live entry: added")
			}
			if v, _ := mustGet(t, c, k("a")); v != "written" {
				t.Errorf("add replaced the written value: %q", v)
			}
			if !add(k("short"), "1", 50*time.Millisecond) {
				t.Fatal("add short: not added")
			}
			time.Sleep(100 * time.Millisecond)
			if !add(k("short"), "2", time.Minute) {
				t.Error("add over an expired entry: not added")
			}
			if v, _ := mustGet(t, c, k("short")); v != "2" {
				t.Errorf("after add over an expired entry: %q", v)
			}
		})
	}
}

func TestShared(t *testing.T) {
	for _, b := range backends(t) {
		want := b.name == "redis"
		if got := b.cache.Shared(); got != want {
			t.Errorf("%s: Shared() = %v, want %v", b.name, got, want)
		}
		if got := eval(t, sxThread(b.cache, b.prefix), `(cache/shared?)`); got != want {
			t.Errorf("%s: (cache/shared?) = %v, want %v", b.name, got, want)
		}
	}
	if got := cacheprims.NewResilient(cacheprims.NewMemory(cacheprims.MemoryOptions{}), nil).Shared(); got {
		t.Error("Resilient over Memory: shared")
	}
	unbound := stdlib.NewEnv()
	unbound.DefinePrimitives(cacheprims.Primitives()...)
	if v, err := unbound.NewThread(nil).EvalString("x.sx", `(cache/shared?)`); err != nil || v != false {
		t.Errorf("no cache bound: %v, %v; want false", v, err)
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	m := cacheprims.NewMemory(cacheprims.MemoryOptions{MaxEntries: 3})
	for _, k := range []string{"a", "b", "c"} {
		mustSet(t, m, k, k, 0)
	}
	mustGet(t, m, "a") // a is now the most recently used; b the least
	mustSet(t, m, "d", "d", 0)
	if _, ok := mustGet(t, m, "b"); ok {
		t.Error("b should have been evicted")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := mustGet(t, m, k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if m.Len() != 3 {
		t.Errorf("Len = %d, want 3", m.Len())
	}
}

func TestMemoryByteBound(t *testing.T) {
	m := cacheprims.NewMemory(cacheprims.MemoryOptions{MaxBytes: 100})
	mustSet(t, m, "a", strings.Repeat("a", 40), 0)
	mustSet(t, m, "b", strings.Repeat("b", 40), 0)
	mustSet(t, m, "c", strings.Repeat("c", 40), 0) // 123 bytes with keys: a goes
	if _, ok := mustGet(t, m, "a"); ok {
		t.Error("a should have been evicted to stay under MaxBytes")
	}
	mustSet(t, m, "huge", strings.Repeat("h", 200), 0)
	if _, ok := mustGet(t, m, "huge"); ok {
		t.Error("a value larger than MaxBytes was stored")
	}
	if _, ok := mustGet(t, m, "c"); !ok {
		t.Error("storing an oversized value evicted c")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := cacheprims.NewMemory(cacheprims.MemoryOptions{MaxEntries: 50})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := strconv.Itoa((g*7 + i) % 100)
				switch i % 3 {
				case 0:
					m.Set(ctx, k, []byte(k), time.Duration(i%5)*time.Millisecond)
				case 1:
					if v, ok, _ := m.Get(ctx, k); ok && string(v) != k {
						t.Errorf("key %s holds %q", k, v)
					}
				default:
					m.Delete(ctx, k)
				}
			}
		}()
	}
	wg.Wait()
	if m.Len() > 50 {
		t.Errorf("Len = %d, over the bound of 50", m.Len())
	}
}

// sxThread returns a thread with the cache primitives bound to c under prefix.
func sxThread(c cacheprims.Cache, prefix string) *runtime.Thread {
	env := stdlib.NewEnv()
	env.DefinePrimitives(cacheprims.Primitives()...)
	th := env.NewThread(context.Background())
	cacheprims.BindPrefix(th, c, prefix)
	return th
}

func eval(t *testing.T, th *runtime.Thread, src string) runtime.Value {
	t.Helper()
	v, err := th.EvalString("cache_test.sx", src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return v
}

func TestPrimitivesRoundTrip(t *testing.T) {
	values := []string{
		`{:a 1 :b (list 1 2.5 "s\n\"q\"") :c (parse-datetime "2026-03-04T10:00:00.123+02:00") :d nil :e true :f {"not a keyword" 'kw} :g (list)}`,
		`(list {:id 1 :tags (list "x" "y")} {:id 2 :tags (list)})`,
		`"plain"`, `""`, `42`, `-1.5`, `9007199254740993`, `false`, `nil`,
		`'(sym (nested "x" :k))`,
		`(parse-datetime "2026-03-04")`,
		`"ünïcödé \u2603 \\ \t"`,
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			th := sxThread(b.cache, b.prefix+"sx:")
			for _, src := range values {
				want := eval(t, th, src)
				set := eval(t, th, `(cache/set "v" `+src+`)`)
				if !runtime.Equal(set, want) {
					t.Errorf("cache/set returned %s, want %s", runtime.Print(set), runtime.Print(want))
				}
				got := eval(t, th, `(cache/get "v")`)
				if !runtime.Equal(got, want) || runtime.Print(got) != runtime.Print(want) {
					t.Errorf("%s: got back %s, want %s", src, runtime.Print(got), runtime.Print(want))
				}
			}
			if v := eval(t, th, `(cache/get "absent")`); v != nil {
				t.Errorf("absent key: %s", runtime.Print(v))
			}

			// Keys are prefixed: the host sees the SX key under the prefix.
			eval(t, th, `(cache/set "seen" 7)`)
			if v, ok := mustGet(t, b.cache, b.prefix+"sx:seen"); !ok || v != "7" {
				t.Errorf("raw key %ssx:seen = %q, %v", b.prefix, v, ok)
			}

			if v := eval(t, th, `(cache/add "seen" 8)`); v != false {
				t.Errorf("cache/add over an entry: %s", runtime.Print(v))
			}
			if v := eval(t, th, `(list (cache/add "added" {:x 1} 60) (cache/get "added"))`); runtime.Print(v) != "(true {:x 1})" {
				t.Errorf("cache/add to an absent key, then cache/get: %s", runtime.Print(v))
			}

			eval(t, th, `(cache/delete "seen")`)
			if v := eval(t, th, `(cache/get "seen")`); v != nil {
				t.Errorf("after cache/delete: %s", runtime.Print(v))
			}

			eval(t, th, `(cache/set "ttl" {:x 1} 0.1)`)
			if v := eval(t, th, `(cache/get "ttl")`); v == nil {
				t.Error("entry missing before its TTL")
			}
			time.Sleep(150 * time.Millisecond)
			if v := eval(t, th, `(cache/get "ttl")`); v != nil {
				t.Errorf("entry outlived its TTL: %s", runtime.Print(v))
			}

			// Text that is not SX (put there by something else) is a miss.
			mustSet(t, b.cache, b.prefix+"sx:junk", "(unterminated", 0)
			if v := eval(t, th, `(cache/get "junk")`); v != nil {
				t.Errorf("junk entry: %s", runtime.Print(v))
			}
		})
	}
}

func TestBindDefaultPrefix(t *testing.T) {
	m := cacheprims.NewMemory(cacheprims.MemoryOptions{})
	env := stdlib.NewEnv()
	env.DefinePrimitives(cacheprims.Primitives()...)
	th := env.NewThread(context.Background())
	cacheprims.Bind(th, m)
	eval(t, th, `(cache/set "k" "v")`)
	if v, ok := mustGet(t, m, cacheprims.DefaultPrefix+"k"); !ok || v != `"v"` {
		t.Errorf("sx:k = %q, %v", v, ok)
	}
	if cacheprims.Bound(th) != m {
		t.Error("Bound does not return the bound cache")
	}
}

func TestPrimitiveErrors(t *testing.T) {
	th := sxThread(cacheprims.NewMemory(cacheprims.MemoryOptions{}), "sx:")
	cases := map[string]string{
		`(cache/set "f" (fn (x) x))`:              "cannot cache a lambda",
		`(cache/set "f" (list 1 {:g (fn () 1)}))`: "cannot cache a lambda",
		`(cache/set "f" +)`:                       "cannot cache a lambda",
		`(cache/set "h" (raw! "<b>"))`:            "cannot cache html",
		`(cache/set 1 2)`:                         "cache/set expects a string key, got number",
		`(cache/get :k)`:                          "", // :k evaluates to the string "k": fine
		`(cache/set "k" 1 0)`:                     "ttl-seconds must be positive",
		`(cache/set "k" 1 -5)`:                    "ttl-seconds must be positive",
		`(cache/set "k" 1 "soon")`:                "ttl-seconds to be a number",
		`(cache/set "k" (string->symbol "12"))`:   "not a valid symbol name", // refused when made
		`(cache/add "f" (fn (x) x))`:              "cache/add: cannot cache a lambda",
		`(cache/add "k" 1 0)`:                     "cache/add: ttl-seconds must be positive",
	}
	for src, want := range cases {
		_, err := th.EvalString("errors.sx", src)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: got error %v, want one containing %q", src, err, want)
		}
	}

	// Nesting the reader would refuse is refused on the way in.
	var deep runtime.Value = int64(1)
	for range runtime.MaxReadDepth + 10 {
		deep = runtime.NewList(deep)
	}
	set, _ := th.Env.Lookup("cache/set")
	if _, err := th.Apply(set, "deep", deep); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("deep value: %v", err)
	}

	unbound := stdlib.NewEnv()
	unbound.DefinePrimitives(cacheprims.Primitives()...)
	if _, err := unbound.NewThread(nil).EvalString("x.sx", `(cache/get "k")`); err == nil || !strings.Contains(err.Error(), "no cache bound") {
		t.Errorf("unbound thread: %v", err)
	}
}

func TestFetchSingleFlight(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.prefix + "frag"
			var calls atomic.Int32
			fill := func() ([]byte, error) {
				calls.Add(1)
				time.Sleep(200 * time.Millisecond) // long enough for every caller to join
				return []byte("rendered"), nil
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			results := make([]string, 100)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					v, err := cacheprims.Fetch(context.Background(), b.cache, key, time.Minute, fill)
					if err != nil {
						t.Error(err)
					}
					results[i] = string(v)
				}()
			}
			close(start)
			wg.Wait()
			if n := calls.Load(); n != 1 {
				t.Errorf("fill called %d times, want 1", n)
			}
			for i, r := range results {
				if r != "rendered" {
					t.Fatalf("caller %d got %q", i, r)
				}
			}
			// Now cached: no further fill.
			if v, err := cacheprims.Fetch(context.Background(), b.cache, key, time.Minute, fill); err != nil || string(v) != "rendered" || calls.Load() != 1 {
				t.Errorf("cached fetch: %q, %v, %d fills", v, err, calls.Load())
			}
		})
	}
}

func TestFetchErrorsAreNotCached(t *testing.T) {
	m := cacheprims.NewMemory(cacheprims.MemoryOptions{})
	boom := errors.New("boom")
	if _, err := cacheprims.Fetch(context.Background(), m, "k", time.Minute, func() ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	v, err := cacheprims.Fetch(context.Background(), m, "k", time.Minute, func() ([]byte, error) { return []byte("ok"), nil })
	if err != nil || string(v) != "ok" {
		t.Errorf("after a failed fill: %q, %v", v, err)
	}
}

func TestFetchWaiterGivesUpWithItsContext(t *testing.T) {
	m := cacheprims.NewMemory(cacheprims.MemoryOptions{})
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := cacheprims.Fetch(context.Background(), m, "k", time.Minute, func() ([]byte, error) {
			close(started)
			<-release
			return []byte("v"), nil
		})
		done <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := cacheprims.Fetch(ctx, m, "k", time.Minute, func() ([]byte, error) {
		t.Error("a second fill ran while the first was in flight")
		return nil, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter: %v, want its deadline", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestFetchReleasesWaitersWhenFillPanics(t *testing.T) {
	m := cacheprims.NewMemory(cacheprims.MemoryOptions{})
	started := make(chan struct{})
	go func() {
		defer func() { recover() }()
		cacheprims.Fetch(context.Background(), m, "k", time.Minute, func() ([]byte, error) {
			close(started)
			time.Sleep(50 * time.Millisecond)
			panic("fill bug")
		})
	}()
	<-started
	_, err := cacheprims.Fetch(context.Background(), m, "k", time.Minute, func() ([]byte, error) { return nil, nil })
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("waiter got %v, want the leader's panic as an error", err)
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// resilient returns the cache New gives for a Redis URL, logging to a buffer.
func resilient(t *testing.T, url string) (*cacheprims.Resilient, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	c, ok := cacheprims.New(url, slog.New(slog.NewTextHandler(logs, nil))).(*cacheprims.Resilient)
	if !ok {
		t.Fatalf("New(%q) did not return a Resilient cache", url)
	}
	t.Cleanup(func() { c.Close() })
	return c, logs
}

// timed runs f and fails the test if it took longer than limit.
func timed(t *testing.T, what string, limit time.Duration, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > limit {
		t.Errorf("%s took %v, want under %v", what, d, limit)
	}
}

func TestUnreachableRedis(t *testing.T) {
	c, logs := resilient(t, fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t)))
	// No backoff: every call goes to the dead server, so what is tested
	// is that each failure is cheap and that warnings are rate-limited.
	c.Backoff = 0
	ctx := context.Background()
	for i := range 50 {
		timed(t, "get", 200*time.Millisecond, func() {
			if v, ok, err := c.Get(ctx, "k"); ok || err != nil {
				t.Fatalf("get %d: %q, %v, %v; want a plain miss", i, v, ok, err)
			}
		})
		timed(t, "set", 200*time.Millisecond, func() {
			if err := c.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
				t.Fatalf("set %d: %v", i, err)
			}
		})
		timed(t, "add", 200*time.Millisecond, func() {
			if added, err := c.Add(ctx, "k", []byte("v"), time.Minute); added || err != nil {
				t.Fatalf("add %d: %v, %v; want nothing added and no error", i, added, err)
			}
		})
		timed(t, "delete", 200*time.Millisecond, func() {
			if err := c.Delete(ctx, "k"); err != nil {
				t.Fatalf("delete %d: %v", i, err)
			}
		})
	}
	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 1 {
		t.Errorf("%d warnings for 200 failures, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "err=") || !strings.Contains(out, "connection refused") {
		t.Errorf("the warning does not carry the error:\n%s", out)
	}

	// Requests are still served: Fetch fills and returns.
	v, err := cacheprims.Fetch(ctx, c, "frag", time.Minute, func() ([]byte, error) { return []byte("fresh"), nil })
	if err != nil || string(v) != "fresh" {
		t.Errorf("Fetch without Redis: %q, %v", v, err)
	}

	// And SX code too.
	th := sxThread(c, "sx:")
	if got := eval(t, th, `(do (cache/set "k" {:a 1}) (cache/get "k"))`); got != nil {
		t.Errorf("cache/get without Redis: %s", runtime.Print(got))
	}
}

func TestHungRedis(t *testing.T) {
	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() { ln.Close(); conns.Wait() })
	conns.Add(1)
	go func() {
		defer conns.Done()
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	c, logs := resilient(t, "redis://"+ln.Addr().String()+"/0")
	ctx := context.Background()
	timed(t, "first get", 300*time.Millisecond, func() {
		if _, ok, err := c.Get(ctx, "k"); ok || err != nil {
			t.Errorf("get: %v, %v", ok, err)
		}
	})
	// Within the backoff the server is not asked again.
	timed(t, "20 more calls", 50*time.Millisecond, func() {
		for range 10 {
			c.Get(ctx, "k")
			c.Set(ctx, "k", []byte("v"), 0)
		}
	})
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs)
	}
}

func TestRedisRestart(t *testing.T) {
	// SX_REDIS_SERVER names the binary, as for scripts/services.sh.
	name := os.Getenv("SX_REDIS_SERVER")
	if name == "" {
		name = "redis-server"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install redis-server, or set SX_REDIS_SERVER); skipping the restart test: %v", name, err)
	}
	port := freePort(t)
	dir := t.TempDir()
	var server *exec.Cmd
	start := func() {
		t.Helper()
		server = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir)
		if err := server.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); ; {
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err == nil {
				c.Close()
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("redis-server did not start on port %d: %v", port, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stop := func() {
		if server != nil {
			server.Process.Kill()
			server.Wait()
			server = nil
		}
	}
	t.Cleanup(stop)

	start()
	c, logs := resilient(t, fmt.Sprintf("redis://127.0.0.1:%d/0", port))
	ctx := context.Background()
	mustSet(t, c, "k", "before", 0)
	if v, ok := mustGet(t, c, "k"); !ok || v != "before" {
		t.Fatalf("with the server up: %q, %v", v, ok)
	}

	stop()
	for range 5 {
		timed(t, "get while down", 200*time.Millisecond, func() {
			if _, ok := mustGet(t, c, "k"); ok {
				t.Error("hit with the server down")
			}
		})
		timed(t, "set while down", 200*time.Millisecond, func() { mustSet(t, c, "k", "during", 0) })
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("no warning logged for the outage:\n%s", logs)
	}

	start()
	// The same cache recovers by itself: the next calls after the backoff
	// reach the new server.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.Set(ctx, "k", []byte("after"), 0)
		if v, ok := mustGet(t, c, "k"); ok && v == "after" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cache did not recover within 10s of the server restarting:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "cache available again") {
		t.Errorf("recovery not logged:\n%s", logs)
	}
}

func TestNewWithoutURLIsMemory(t *testing.T) {
	if _, ok := cacheprims.New("", nil).(*cacheprims.Memory); !ok {
		t.Error(`New("") is not the in-process cache`)
	}
	logs := &syncbuf.Buffer{}
	if _, ok := cacheprims.New("notaurl://x", slog.New(slog.NewTextHandler(logs, nil))).(*cacheprims.Memory); !ok {
		t.Error("New with a bad URL is not the in-process cache")
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("bad URL not logged:\n%s", logs)
	}
}
