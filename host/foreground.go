package host

import (
	"context"
	"os"
	"strconv"
	"sync"
	"time"
)

// The foreground gate: background work that burns CPU (signing ActivityPub
// deliveries, ≈1 ms of RSA each) asks it before each step, and it lets the
// step run at once while no request is being served, else waits for the
// requests in flight to end — but at most pace per step, so background work
// always progresses, one step per pace while pages never stop. It is
// process-wide: the cores it protects are the process's.
type foreground struct {
	mu   sync.Mutex
	n    int           // requests in flight
	idle chan struct{} // closed while n == 0
	pace time.Duration // the longest a step waits; 0: the gate is open
	next time.Time     // while busy, when the next step may pass
}

// defaultPace: while pages are served back to back a signer gets one
// signature (≈1 ms) per 4 ms, a quarter of a core at most, and delivery
// still moves at ≥250 a second.
const defaultPace = 4 * time.Millisecond

var foregroundGate = newForeground(backgroundPace())

func newForeground(pace time.Duration) *foreground {
	g := &foreground{idle: make(chan struct{}), pace: pace}
	close(g.idle)
	return g
}

// backgroundPace reads SX_BACKGROUND_PACE_MS (0 opens the gate: background
// work no longer yields), else defaultPace.
func backgroundPace() time.Duration {
	if v := os.Getenv("SX_BACKGROUND_PACE_MS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 1000 {
			return time.Duration(n) * time.Millisecond
		}
	}
	return defaultPace
}

// enter and leave bracket a request.
func (g *foreground) enter() {
	g.mu.Lock()
	if g.n++; g.n == 1 {
		g.idle = make(chan struct{})
	}
	g.mu.Unlock()
}

func (g *foreground) leave() {
	g.mu.Lock()
	if g.n--; g.n == 0 {
		close(g.idle)
	}
	g.mu.Unlock()
}

// Wait returns when a background step may run (see foreground), or with
// ctx's error.
func (g *foreground) Wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.n == 0 || g.pace == 0 {
			g.mu.Unlock()
			return nil
		}
		now := time.Now()
		if g.next.IsZero() || g.next.Before(now.Add(-g.pace)) {
			// Busy after a quiet spell: the step waits a whole pace.
			g.next = now.Add(g.pace)
		}
		if !now.Before(g.next) {
			g.next = now.Add(g.pace)
			g.mu.Unlock()
			return nil
		}
		idle, wait := g.idle, g.next.Sub(now)
		g.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-idle:
			t.Stop()
			return nil
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
