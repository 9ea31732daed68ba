package cacheprims

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// Fetch returns the value cached under key, or calls fill, stores its result
// for ttl and returns it. Concurrent misses for the same cache and key in
// this process share one call of fill: the others wait for it (or for their
// own ctx) and get its result, so a popular fragment expiring under load is
// rendered once, not once per request.
//
// The cache is an optimisation here: its errors count as misses and a failed
// store is ignored. An error from fill is returned to every waiter and not
// cached. The returned slice may be shared with concurrent callers; do not
// modify it.
func Fetch(ctx context.Context, c Cache, key string, ttl time.Duration, fill func() ([]byte, error)) ([]byte, error) {
	if v, ok, err := c.Get(ctx, key); err == nil && ok {
		return v, nil
	}
	fk := flightKey{key: key}
	// Caches are compared to keep two caches' equal keys apart; a cache
	// type that cannot be a map key shares flights by key alone.
	if reflect.TypeOf(c).Comparable() {
		fk.cache = c
	}
	flights.mu.Lock()
	if f, ok := flights.m[fk]; ok {
		flights.mu.Unlock()
		select {
		case <-f.done:
			return f.value, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	flights.m[fk] = f
	flights.mu.Unlock()

	finished := false
	defer func() {
		if !finished {
			// fill panicked: release the waiters before the panic goes on.
			f.err = fmt.Errorf("cache: filling %q panicked", key)
		}
		flights.mu.Lock()
		delete(flights.m, fk)
		flights.mu.Unlock()
		close(f.done)
	}()
	// Another flight may have stored the value between our miss and ours.
	if v, ok, err := c.Get(ctx, key); err == nil && ok {
		f.value, finished = v, true
		return v, nil
	}
	f.value, f.err = fill()
	finished = true
	if f.err == nil {
		_ = c.Set(ctx, key, f.value, ttl)
	}
	return f.value, f.err
}

type flightKey struct {
	cache Cache
	key   string
}

// flight is one call of fill in progress; value and err are set before done
// is closed.
type flight struct {
	done  chan struct{}
	value []byte
	err   error
}

var flights = struct {
	mu sync.Mutex
	m  map[flightKey]*flight
}{m: make(map[flightKey]*flight)}
