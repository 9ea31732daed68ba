package cacheprims

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Defaults for MemoryOptions.
const (
	DefaultMaxEntries = 10000
	DefaultMaxBytes   = 64 << 20
)

// MemoryOptions bound a Memory cache. Zero fields take the defaults.
type MemoryOptions struct {
	// MaxEntries caps the number of entries (DefaultMaxEntries).
	MaxEntries int
	// MaxBytes caps the total size of keys and values (DefaultMaxBytes);
	// a single value larger than this is not stored.
	MaxBytes int64
}

// Memory is an in-process cache: least recently used entries are evicted
// when a bound is reached, expired entries are never returned. It is safe
// for concurrent use.
type Memory struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	bytes      int64
	order      *list.List // of *memEntry, most recently used first
	entries    map[string]*list.Element
}

type memEntry struct {
	key     string
	value   []byte
	expires time.Time // zero: never
}

func (e *memEntry) size() int64 { return int64(len(e.key) + len(e.value)) }

var _ Cache = (*Memory)(nil)

// NewMemory returns an empty Memory cache bounded by opts.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Memory{
		maxEntries: opts.MaxEntries,
		maxBytes:   opts.MaxBytes,
		order:      list.New(),
		entries:    make(map[string]*list.Element),
	}
}

// Get returns a copy of the value under key, so callers may keep or modify
// it as they would a value read from Redis.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el := m.entries[key]
	if el == nil {
		return nil, false, nil
	}
	e := el.Value.(*memEntry)
	if !e.expires.IsZero() && !time.Now().Before(e.expires) {
		// Expired entries are dropped when met rather than by a sweeper;
		// the bounds keep the ones never met from piling up.
		m.remove(el)
		return nil, false, nil
	}
	m.order.MoveToFront(el)
	return append([]byte(nil), e.value...), true, nil
}

// Set stores a copy of value.
func (m *Memory) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store(key, value, ttl)
	return nil
}

// Add stores a copy of value unless a live entry is under key.
func (m *Memory) Add(_ context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el := m.entries[key]; el != nil {
		if e := el.Value.(*memEntry); e.expires.IsZero() || time.Now().Before(e.expires) {
			return false, nil
		}
	}
	return m.store(key, value, ttl), nil
}

// Shared implements Cache: the entries are this process's alone.
func (m *Memory) Shared() bool { return false }

// store puts a copy of value under key, evicting as the bounds require,
// and reports whether it kept it (a value larger than MaxBytes is not
// kept); m.mu is held.
func (m *Memory) store(key string, value []byte, ttl time.Duration) bool {
	e := &memEntry{key: key, value: append([]byte(nil), value...)}
	if ttl > 0 {
		e.expires = time.Now().Add(ttl)
	}
	if el := m.entries[key]; el != nil {
		m.remove(el)
	}
	if e.size() > m.maxBytes {
		return false
	}
	m.entries[key] = m.order.PushFront(e)
	m.bytes += e.size()
	for len(m.entries) > m.maxEntries || m.bytes > m.maxBytes {
		m.remove(m.order.Back())
	}
	return true
}

// Delete removes key.
func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el := m.entries[key]; el != nil {
		m.remove(el)
	}
	return nil
}

// Len returns the number of entries held, expired ones not yet dropped
// included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

func (m *Memory) remove(el *list.Element) {
	e := m.order.Remove(el).(*memEntry)
	delete(m.entries, e.key)
	m.bytes -= e.size()
}
