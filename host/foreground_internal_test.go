package host

import (
	"context"
	"testing"
	"time"
)

// While a request is in flight a background step waits for it to end;
// with nothing in flight it runs at once; and under requests that never
// end it still gets through, one per pace.
func TestForegroundGate(t *testing.T) {
	ctx := context.Background()
	g := newForeground(time.Hour)
	if err := g.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	g.enter()
	passed := make(chan struct{})
	go func() { g.Wait(ctx); close(passed) }()
	select {
	case <-passed:
		t.Fatal("a background step ran while a request was in flight (pace 1 h)")
	case <-time.After(50 * time.Millisecond):
	}
	g.leave()
	<-passed // the request's end lets it through

	busy := newForeground(time.Millisecond)
	busy.enter()
	defer busy.leave()
	for i := 0; i < 3; i++ {
		if err := busy.Wait(ctx); err != nil { // returns although the request never ends
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := newForegroundBusy(t).Wait(cctx); err == nil {
		t.Fatal("a cancelled wait returned no error")
	}
	open := newForeground(0)
	open.enter()
	if err := open.Wait(ctx); err != nil { // pace 0: the gate is open
		t.Fatal(err)
	}
}

func newForegroundBusy(t *testing.T) *foreground {
	g := newForeground(time.Hour)
	g.enter()
	return g
}
