package host

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Drain starts a graceful shutdown: /readyz answers 503 from now on, so a
// load balancer or orchestrator that checks it stops sending new requests
// here, while the servers go on answering everything that still arrives.
// The caller waits DrainDelay, then shuts the servers down (which finishes
// the requests in flight). Without the wait, requests a balancer sends in
// the moment between the listener closing and its next health check
// would be refused.
func (p *Platform) Drain() { p.draining.Store(true) }

// Draining reports whether Drain was called.
func (p *Platform) Draining() bool { return p.draining.Load() }

// ParseDrainDelay reads SX_SHUTDOWN_DELAY: a Go duration (5s) or seconds;
// empty is 0 (shut down at once).
func ParseDrainDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("SX_SHUTDOWN_DELAY: %q is not a duration (5s, 500ms, or seconds)", s)
}
