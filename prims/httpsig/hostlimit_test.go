package httpsig

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

// redisClient is a client of the Redis the tests share (SX_TEST_REDIS_URL,
// else the local server); each call is a connection pool of its own, as a
// separate sxhost instance has.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	u := pgtest.RedisURL()
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("the test needs Redis at %s (set SX_TEST_REDIS_URL): %v", u, err)
	}
	return c
}

// Two delivery workers (two Deliver calls with their own Redis clients, as
// two instances) send to the same 3 hosts at once with PerHost 2: with
// RedisSlots no host ever sees more than 2 in flight; without, the same
// run goes above 2 (each process keeps only its own limit).
func TestDeliverPerHostLimitAcrossProcesses(t *testing.T) {
	a, _ := keys(t)
	prefix := fmt.Sprintf("sx:test:ap:%d:", time.Now().UnixNano())
	run := func(shared bool) (int32, *farm) {
		f := newFarm(t, 3, a.pub, 20*time.Millisecond)
		t.Cleanup(f.close)
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			// Each worker is a process of its own: its own in-process slots.
			opt := Options{PerHost: 2, Concurrency: 64, local: &localSlots{m: map[string]*hostSlot{}}}
			if shared {
				opt.Hosts = RedisSlots{Client: redisClient(t), Prefix: prefix}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, r := range Deliver(context.Background(), http.DefaultClient, f.jobs(60, a.priv), opt) {
					if r.Status != 202 || r.Err != "" {
						t.Errorf("job %d: %d %s", r.ID, r.Status, r.Err)
					}
				}
			}()
		}
		wg.Wait()
		most := int32(0)
		for i := range f.max {
			most = max(most, f.max[i].Load())
		}
		return most, f
	}
	if most, f := run(true); most != 2 || f.got.Load() != 120 || f.bad.Load() != 0 {
		t.Fatalf("shared slots: most in flight on one host %d (limit 2), delivered %d, refused %d", most, f.got.Load(), f.bad.Load())
	}
	if most, _ := run(false); most <= 2 {
		t.Fatalf("without shared slots the two workers never exceeded 2 on a host (%d): the test cannot tell", most)
	}
	// Every slot was given back.
	keys, _ := redisClient(t).Keys(context.Background(), prefix+"*").Result()
	for _, k := range keys {
		if n, _ := redisClient(t).ZCard(context.Background(), k).Result(); n != 0 {
			t.Fatalf("%s still holds %d slots", k, n)
		}
	}
}

// A slot of a process that died (never released) expires after its hold.
func TestRedisSlotsExpire(t *testing.T) {
	s := RedisSlots{Client: redisClient(t), Prefix: fmt.Sprintf("sx:test:ap:%d:", time.Now().UnixNano())}
	ctx := context.Background()
	if _, err := s.Acquire(ctx, "h", 1, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Acquire(short, "h", 1, time.Second); err == nil {
		t.Fatal("a second slot of a limit of 1 was given")
	}
	start := time.Now()
	release, err := s.Acquire(ctx, "h", 1, time.Second)
	if err != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("the dead slot did not expire: %v after %v", err, time.Since(start))
	}
	release()
}
