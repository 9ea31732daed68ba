package host_test

import (
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/syncbuf"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"
)

const cachedService = `
(defservice cached)
(define renders 0)
(defhandler counter :ttl 60 (&key (n :int))
  (set! renders (+ renders 1))
  (span (str "n=" n " render " renders)))
(defpage home :path "/" :params ((n :int 1)) :content (div (frag "cached" "counter" :n n)))
(defquery remember (&key v) (cache/set "k" v 60) (cache/get "k"))
`

func TestFragmentsAreCachedPerTTLAndArguments(t *testing.T) {
	s, _, _ := startService(t, cachedService, host.Options{})
	first := get(t, s.URL+"/?n=1").Body
	again := get(t, s.URL+"/?n=1").Body
	other := get(t, s.URL+"/?n=2").Body
	// Pages differ per response (CSP nonce), so compare the fragment.
	if !strings.Contains(first, "n=1 render 1") || !strings.Contains(again, "n=1 render 1") {
		t.Errorf("the fragment was not served from the cache: %q then %q", first, again)
	}
	if !strings.Contains(other, "n=2 render 2") {
		t.Errorf("other arguments must not share the entry: %q", other)
	}
}

// With Redis unreachable the service still answers, without the cache, and
// warns once rather than on every request.
func TestUnreachableRedisStillServes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, _, _ := startService(t, cachedService, host.Options{Logger: log, Cache: cacheprims.New("redis://"+dead+"/0", log)})
	start := time.Now()
	for i := 0; i < 20; i++ {
		r := get(t, s.URL+"/?n=7")
		if r.Status != 200 || !strings.Contains(r.Body, "n=7") {
			t.Fatalf("request %d: %s", i, r)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("20 requests took %v with Redis down", d)
	}
	if r := get(t, s.URL+"/internal/data/remember?v=x"); r.Status != 200 || r.Body != "null" {
		t.Errorf("cache/get with Redis down should miss: %s", r)
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"cache"); n != 1 {
		t.Errorf("%d cache warnings logged, want exactly 1:\n%s", n, logs.String())
	}
}
