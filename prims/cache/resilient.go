package cacheprims

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"time"
)

// Resilient wraps a cache whose failures must not fail requests: an error
// from the inner cache becomes a miss (Get) or a no-op (Set, Delete) and the
// caller proceeds without the cache.
//
// After a failure the inner cache is left alone for Backoff, so a server that
// hangs rather than refuses costs one timeout per Backoff instead of one per
// call; the next call after that probes it again, which is how it recovers.
// Failures are logged as a warning at most once per WarnEvery, with the
// error and the number of failures since the last warning; the first success
// after an outage is logged at info level.
type Resilient struct {
	inner  Cache
	logger *slog.Logger
	// WarnEvery is the least time between two warnings. Set before use.
	WarnEvery time.Duration
	// Backoff is how long calls skip the inner cache after it failed; 0
	// sends every call to it. Set before use.
	Backoff time.Duration

	lastWarn  atomic.Int64 // unix nanoseconds; 0 before the first warning
	skipUntil atomic.Int64 // unix nanoseconds
	failures  atomic.Int64 // since the last warning
	down      atomic.Bool
}

var _ Cache = (*Resilient)(nil)

// NewResilient wraps inner, logging to logger (slog.Default() when nil).
func NewResilient(inner Cache, logger *slog.Logger) *Resilient {
	if logger == nil {
		logger = slog.Default()
	}
	return &Resilient{inner: inner, logger: logger, WarnEvery: time.Minute, Backoff: time.Second}
}

// Inner returns the wrapped cache.
func (r *Resilient) Inner() Cache { return r.inner }

// Close closes the inner cache when it can be closed.
func (r *Resilient) Close() error {
	if c, ok := r.inner.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Get implements Cache; it never returns an error.
func (r *Resilient) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if r.skipping() {
		return nil, false, nil
	}
	v, ok, err := r.inner.Get(ctx, key)
	if err != nil {
		r.failed(ctx, "get", err)
		return nil, false, nil
	}
	r.succeeded()
	return v, ok, nil
}

// Set implements Cache; it never returns an error.
func (r *Resilient) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if r.skipping() {
		return nil
	}
	if err := r.inner.Set(ctx, key, value, ttl); err != nil {
		r.failed(ctx, "set", err)
		return nil
	}
	r.succeeded()
	return nil
}

// Add implements Cache; it never returns an error: a failure reports
// nothing added.
func (r *Resilient) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if r.skipping() {
		return false, nil
	}
	added, err := r.inner.Add(ctx, key, value, ttl)
	if err != nil {
		r.failed(ctx, "add", err)
		return false, nil
	}
	r.succeeded()
	return added, nil
}

// Shared implements Cache: the inner cache's answer, outage or not (an
// outage makes every call a miss or a no-op, never a process's own copy).
func (r *Resilient) Shared() bool { return r.inner.Shared() }

// Delete implements Cache; it never returns an error. A delete lost in an
// outage leaves the entry to expire by its TTL.
func (r *Resilient) Delete(ctx context.Context, key string) error {
	if r.skipping() {
		return nil
	}
	if err := r.inner.Delete(ctx, key); err != nil {
		r.failed(ctx, "delete", err)
		return nil
	}
	r.succeeded()
	return nil
}

func (r *Resilient) skipping() bool {
	return time.Now().UnixNano() < r.skipUntil.Load()
}

func (r *Resilient) failed(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		// The caller gave up (deadline, disconnect); the cache is not at fault.
		return
	}
	now := time.Now().UnixNano()
	if r.Backoff > 0 {
		r.skipUntil.Store(now + int64(r.Backoff))
	}
	r.down.Store(true)
	n := r.failures.Add(1)
	last := r.lastWarn.Load()
	if last != 0 && now-last < int64(r.WarnEvery) {
		return
	}
	// Of several goroutines failing at once, one wins the swap and logs.
	if !r.lastWarn.CompareAndSwap(last, now) {
		return
	}
	r.failures.Add(-n)
	r.logger.Warn("cache unavailable; serving without it", "op", op, "err", err, "failures", n, "next_warning_in", r.WarnEvery)
}

func (r *Resilient) succeeded() {
	if r.down.Load() && r.down.CompareAndSwap(true, false) {
		r.logger.Info("cache available again")
	}
}
