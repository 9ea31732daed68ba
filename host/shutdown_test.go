package host_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	key := time.Now().UnixNano()%1e9 + 1
	src := fmt.Sprintf(`(defservice slowpoke)
(defpage wait :path "/wait" :content (div (sql/value "select pg_advisory_xact_lock(%d)") "finished"))
`, key)
	p := newPlatform(t, []string{writeFile(t, t.TempDir(), "slowpoke.sx", src)}, host.Options{DB: openPool(t, dbURL)})
	ln := listen(t)
	srv := host.NewServer(p.Services()[0])
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	wantStatus(t, get(t, base+"/healthz"), 200, "healthz")

	// The request waits on a lock the test holds.
	locker := directConn(t)
	if _, err := locker.Exec(context.Background(), "select pg_advisory_lock($1)", key); err != nil {
		t.Fatal(err)
	}
	type result struct {
		r   response
		err error
	}
	inFlight := make(chan result, 1)
	go func() {
		r, err := tryDo("GET", base+"/wait", nil)
		inFlight <- result{r, err}
	}()
	waitForBackend(t, directConn(t), fmt.Sprintf("pg_advisory_xact_lock(%d)", key))

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- srv.ShutdownWithContext(ctx)
	}()
	// Shutting down: no new connections are accepted…
	eventually(t, 5*time.Second, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	// …but the request in flight is still running and shutdown waits.
	select {
	case res := <-inFlight:
		t.Fatalf("the request in flight ended before its lock was released: %v %v", res.r, res.err)
	case err := <-shutdown:
		t.Fatalf("shutdown returned (%v) with a request in flight", err)
	default:
	}

	if _, err := locker.Exec(context.Background(), "select pg_advisory_unlock($1)", key); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-inFlight:
		if res.err != nil {
			t.Fatalf("the request in flight during shutdown failed: %v", res.err)
		}
		if res.r.Status != 200 || !strings.Contains(res.r.Body, "finished") {
			t.Errorf("the request in flight during shutdown: %s, want 200", res.r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request in flight did not finish")
	}
	select {
	case err := <-shutdown:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown did not return after the last request finished")
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v after shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
}
