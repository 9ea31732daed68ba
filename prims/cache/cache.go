// Package cacheprims gives SX code a key-value cache, cache/get, cache/set,
// cache/add (set if absent), cache/delete and cache/shared?, and gives the host the same cache through the Cache
// interface and Fetch (a read-through helper with single-flight per key).
//
// The cache lives in Redis when REDIS_URL is set and in process memory
// otherwise (New chooses). Redis is an optimisation, never a dependency: the
// Redis cache New returns is wrapped in Resilient, which turns every Redis
// failure into a miss or a no-op, logs it at most once a minute and recovers
// by itself when the server comes back.
//
// Values stored from SX are printed with runtime.Print and read back with
// runtime.ReadOne, so they map as follows (SX → stored text → SX):
//
//	nil, true, false   nil, true, false        the same
//	int                digits                  int
//	float              shortest form           float; an integral one reads back as an equal int
//	string             "escaped"               string
//	keyword            :name                   keyword
//	symbol             name                    symbol
//	list               (a b …)                 list
//	dict               {:k v "other key" v}    dict, keys in order
//	datetime           #datetime "RFC 3339"    datetime: same instant and offset
//
// Anything that would not read back equal is refused with an error naming it:
// functions, macros, components and definitions, html (store the string it
// was made from), nan and infinities, strings that are not valid UTF-8 and
// values nested deeper than the reader accepts.
//
// SX keys are prefixed (DefaultPrefix, or the prefix given to BindPrefix) so
// that they cannot collide with the keys the host itself stores.
package cacheprims

import (
	"context"
	"log/slog"
	"time"
)

// Cache is a byte-valued cache. A miss is ok == false with a nil error; err
// reports a cache that could not answer (a Redis outage, say).
type Cache interface {
	// Get returns the value stored under key, if any and not expired.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Set stores value under key. ttl <= 0 stores it without expiry (until
	// evicted or deleted).
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Add stores value under key only if no live entry is there (Redis
	// SET NX) and reports whether it did: of a reader's Add and a writer's
	// Set racing for one key, the Set's value stays whichever runs first.
	Add(ctx context.Context, key string, value []byte, ttl time.Duration) (added bool, err error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Shared reports whether every process of the platform sees the same
	// entries (Redis) rather than this process alone (Memory): a copy that
	// another instance's writes must update belongs only in a shared cache.
	Shared() bool
}

// New returns the cache the host should use: an in-process Memory cache when
// redisURL is empty, otherwise Redis at redisURL wrapped in Resilient, which
// reports outages to logger (slog.Default() when nil). A URL that does not
// parse is logged as an error and the Memory cache is used, so that a
// misconfigured cache degrades the service instead of stopping it.
func New(redisURL string, logger *slog.Logger) Cache {
	if logger == nil {
		logger = slog.Default()
	}
	if redisURL == "" {
		return NewMemory(MemoryOptions{})
	}
	r, err := NewRedis(redisURL)
	if err != nil {
		logger.Error("cache: bad REDIS_URL; using the in-process cache", "err", err)
		return NewMemory(MemoryOptions{})
	}
	return NewResilient(r, logger)
}
