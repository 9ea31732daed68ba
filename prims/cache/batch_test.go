package cacheprims_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
)

// commandLog records the commands a Redis client sends, as "get k" or
// "mget k1 k2 …".
type commandLog struct {
	mu   sync.Mutex
	cmds []string
}

func (l *commandLog) DialHook(next redis.DialHook) redis.DialHook { return next }

func (l *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := cmd.Name(); name == "get" || name == "mget" {
			var parts []string
			for _, a := range cmd.Args() {
				parts = append(parts, fmt.Sprint(a))
			}
			l.mu.Lock()
			l.cmds = append(l.cmds, strings.Join(parts, " "))
			l.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (l *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (l *commandLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.cmds
	l.cmds = nil
	return out
}

// loggedRedis returns a Redis cache whose reads are logged, and the prefix
// of the calling test's keys.
func loggedRedis(t *testing.T) (*cacheprims.Redis, *commandLog, string) {
	t.Helper()
	r, err := cacheprims.NewRedis(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	log := &commandLog{}
	r.Client().AddHook(log)
	return r, log, fmt.Sprintf("%s%s:%d:", runPrefix, t.Name(), backendSeq.Add(1))
}

// answer is what one Get returned.
type answer struct {
	v   string
	ok  bool
	err error
}

func (a answer) String() string { return fmt.Sprintf("%q %v %v", a.v, a.ok, a.err) }

// within waits for ch or fails the test: a batch that never sends would
// otherwise hang it.
func within[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no answer", what)
		panic("unreachable")
	}
}

// getAsync reads key with ctx on its own goroutine.
func getAsync(c cacheprims.Cache, ctx context.Context, key string) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		v, ok, err := c.Get(ctx, key)
		ch <- answer{string(v), ok, err}
	}()
	return ch
}

func TestReadBatchOneRoundTrip(t *testing.T) {
	r, log, p := loggedRedis(t)
	for i, v := range []string{"zero", "one", "", "three"} {
		if v != "" {
			mustSet(t, r, fmt.Sprint(p, "k", i), v, time.Minute)
		}
	}
	log.take()
	// Five members: four keys (k2 absent) and k1 twice, asked in an order
	// unlike the members'. A wait of an hour: the read must go when the last
	// member asks, not on the timer.
	batch, ctxs := cacheprims.NewReadBatch(context.Background(), 5, time.Hour)
	defer batch.Stop()
	keys := []string{p + "k3", p + "k1", p + "k0", p + "k2", p + "k1"}
	want := []answer{{"three", true, nil}, {"one", true, nil}, {"zero", true, nil}, {"", false, nil}, {"one", true, nil}}
	chans := make([]<-chan answer, len(keys))
	for i := range keys {
		chans[i] = getAsync(r, ctxs[i], keys[i])
	}
	for i, ch := range chans {
		if got := within(t, keys[i], ch); got != want[i] {
			t.Errorf("member %d read %s: got %s, want %s", i, keys[i], got, want[i])
		}
		batch.Done(i)
	}
	cmds := log.take()
	if len(cmds) != 1 || !strings.HasPrefix(cmds[0], "mget ") || len(strings.Fields(cmds[0])) != 6 {
		t.Errorf("commands sent: %q, want one MGET of the five keys", cmds)
	}
}

func TestReadBatchRounds(t *testing.T) {
	r, log, p := loggedRedis(t)
	mustSet(t, r, p+"rev", "7", time.Minute)
	mustSet(t, r, p+"menu:7", "the menu of rev 7", time.Minute)
	mustSet(t, r, p+"settings", "the settings", time.Minute)
	log.take()
	batch, ctxs := cacheprims.NewReadBatch(context.Background(), 2, time.Hour)
	defer batch.Stop()
	// Member 0 reads a key named by what it read first (a fragment keyed by
	// a revision); member 1 reads once and finishes.
	menu := make(chan answer, 1)
	go func() {
		defer batch.Done(0)
		rev, _, err := r.Get(ctxs[0], p+"rev")
		if err != nil {
			menu <- answer{err: err}
			return
		}
		v, ok, err := r.Get(ctxs[0], p+"menu:"+string(rev))
		menu <- answer{string(v), ok, err}
	}()
	settings := make(chan answer, 1)
	go func() {
		defer batch.Done(1)
		v, ok, err := r.Get(ctxs[1], p+"settings")
		settings <- answer{string(v), ok, err}
	}()
	if got := within(t, "menu", menu); got != (answer{"the menu of rev 7", true, nil}) {
		t.Errorf("menu: %s", got)
	}
	if got := within(t, "settings", settings); got != (answer{"the settings", true, nil}) {
		t.Errorf("settings: %s", got)
	}
	cmds := log.take()
	want := []string{"mget " + p + "rev " + p + "settings", "get " + p + "menu:7"}
	alt := []string{"mget " + p + "settings " + p + "rev", "get " + p + "menu:7"}
	if fmt.Sprint(cmds) != fmt.Sprint(want) && fmt.Sprint(cmds) != fmt.Sprint(alt) {
		t.Errorf("commands sent: %q, want %q", cmds, want)
	}
}

// A member that finishes without reading releases the others' reads at
// once: with an hour's wait, nothing else would.
func TestReadBatchDoneReleasesReads(t *testing.T) {
	r, log, p := loggedRedis(t)
	mustSet(t, r, p+"a", "A", time.Minute)
	log.take()
	batch, ctxs := cacheprims.NewReadBatch(context.Background(), 3, time.Hour)
	defer batch.Stop()
	ch := getAsync(r, ctxs[0], p+"a")
	batch.Done(1)
	select {
	case got := <-ch:
		t.Fatalf("read answered while member 2 still runs: %s", got)
	case <-time.After(50 * time.Millisecond):
	}
	batch.Done(2)
	if got := within(t, "a", ch); got != (answer{"A", true, nil}) {
		t.Errorf("a: %s", got)
	}
	batch.Done(0)
	// A finished member's context reads on its own.
	if v, ok, err := r.Get(ctxs[1], p+"a"); string(v) != "A" || !ok || err != nil {
		t.Errorf("read after Done: %q %v %v", v, ok, err)
	}
	if cmds := log.take(); fmt.Sprint(cmds) != fmt.Sprint([]string{"get " + p + "a", "get " + p + "a"}) {
		t.Errorf("commands sent: %q", cmds)
	}
}

// A member busy elsewhere (here: waiting for something the others never
// give) holds the others' reads back for the batch's wait only.
func TestReadBatchWaitsOnlySoLong(t *testing.T) {
	r, _, p := loggedRedis(t)
	mustSet(t, r, p+"a", "A", time.Minute)
	mustSet(t, r, p+"b", "B", time.Minute)
	batch, ctxs := cacheprims.NewReadBatch(context.Background(), 3, 5*time.Millisecond)
	defer batch.Stop()
	a, b := getAsync(r, ctxs[0], p+"a"), getAsync(r, ctxs[1], p+"b")
	if got := within(t, "a", a); got != (answer{"A", true, nil}) {
		t.Errorf("a: %s", got)
	}
	if got := within(t, "b", b); got != (answer{"B", true, nil}) {
		t.Errorf("b: %s", got)
	}
	// The busy member's own read, later, is answered too (and a miss is
	// a miss).
	if got := within(t, "c", getAsync(r, ctxs[2], p+"c")); got != (answer{"", false, nil}) {
		t.Errorf("c: %s", got)
	}
	for i := range 3 {
		batch.Done(i)
	}
}

// Reads waiting in a batch give up with their context.
func TestReadBatchCancelled(t *testing.T) {
	r, _, p := loggedRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	batch, ctxs := cacheprims.NewReadBatch(ctx, 2, time.Hour)
	defer batch.Stop()
	ch := getAsync(r, ctxs[0], p+"a")
	cancel()
	if got := within(t, "a", ch); !errors.Is(got.err, context.Canceled) {
		t.Errorf("cancelled read: %s", got)
	}
	batch.Done(0)
	batch.Done(1)
}

// The in-process cache makes no round trip: its reads never wait.
func TestReadBatchMemoryDoesNotWait(t *testing.T) {
	m := cacheprims.NewMemory(cacheprims.MemoryOptions{})
	mustSet(t, m, "a", "A", time.Minute)
	batch, ctxs := cacheprims.NewReadBatch(context.Background(), 2, time.Hour)
	defer batch.Stop()
	if got := within(t, "a", getAsync(m, ctxs[0], "a")); got != (answer{"A", true, nil}) {
		t.Errorf("a: %s", got)
	}
}

// Two Redis caches in one batch: one MGET each, each answered from its own.
func TestReadBatchTwoServers(t *testing.T) {
	r1, log1, p := loggedRedis(t)
	u := strings.TrimSuffix(redisURL, "/0")
	if u == redisURL {
		t.Skipf("SX_TEST_REDIS_URL %s does not end in /0", redisURL)
	}
	r2, err := cacheprims.NewRedis(u + "/1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Close() })
	log2 := &commandLog{}
	r2.Client().AddHook(log2)
	mustSet(t, r1, p+"k", "in 0", time.Minute)
	mustSet(t, r2, p+"k", "in 1", time.Minute)
	t.Cleanup(func() { r2.Delete(context.Background(), p+"k") })
	log1.take()
	batch, ctxs := cacheprims.NewReadBatch(context.Background(), 4, time.Hour)
	defer batch.Stop()
	chans := []<-chan answer{getAsync(r1, ctxs[0], p+"k"), getAsync(r2, ctxs[1], p+"k"), getAsync(r1, ctxs[2], p+"k"), getAsync(r2, ctxs[3], p+"k")}
	for i, ch := range chans {
		want := answer{fmt.Sprint("in ", i%2), true, nil}
		if got := within(t, "k", ch); got != want {
			t.Errorf("member %d: %s, want %s", i, got, want)
		}
	}
	if c1, c2 := log1.take(), log2.take(); len(c1) != 1 || len(c2) != 1 || !strings.HasPrefix(c1[0], "mget") || !strings.HasPrefix(c2[0], "mget") {
		t.Errorf("commands sent: %q and %q, want one MGET to each", c1, c2)
	}
	for i := range 4 {
		batch.Done(i)
	}
}

// With Redis down every read of the round gets the error a GET would
// have, and through Resilient a plain miss.
func TestReadBatchRedisDown(t *testing.T) {
	dead := fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t))
	r, err := cacheprims.NewRedis(dead)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	batch, ctxs := cacheprims.NewReadBatch(context.Background(), 2, time.Hour)
	a, b := getAsync(r, ctxs[0], "a"), getAsync(r, ctxs[1], "b")
	for _, ch := range []<-chan answer{a, b} {
		got := within(t, "read", ch)
		var op *net.OpError
		if got.ok || !errors.As(got.err, &op) {
			t.Errorf("read with Redis down: %s, want the connection's error", got)
		}
	}
	batch.Done(0)
	batch.Done(1)
	batch.Stop()

	c, _ := resilient(t, dead)
	batch, ctxs = cacheprims.NewReadBatch(context.Background(), 2, time.Hour)
	defer batch.Stop()
	a, b = getAsync(c, ctxs[0], "a"), getAsync(c, ctxs[1], "b")
	for _, ch := range []<-chan answer{a, b} {
		if got := within(t, "read", ch); got != (answer{}) {
			t.Errorf("read through Resilient with Redis down: %s, want a plain miss", got)
		}
	}
	batch.Done(0)
	batch.Done(1)
}
