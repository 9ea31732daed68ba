package cacheprims

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisTimeout is the dial, read, write and pool-wait timeout used unless the
// URL sets one: a cache that cannot answer this fast is worth less than the
// request it would hold up.
const RedisTimeout = 100 * time.Millisecond

// Redis is a Cache on a Redis server. Its errors are real errors; wrap it in
// Resilient to serve through outages.
type Redis struct {
	client *redis.Client
}

var _ Cache = (*Redis)(nil)

var quietRedis sync.Once

// NewRedis returns a cache on the server at url (redis://[user:pass@]host:port/db).
// It does not connect until first used. Timeouts the URL leaves unset are
// RedisTimeout, and commands are not retried, so one call costs at most about
// one timeout. The first call sends go-redis's own log lines (one per failed
// dial) to slog's default logger at debug level, process-wide.
func NewRedis(url string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, d := range []*time.Duration{&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.PoolTimeout} {
		if *d == 0 {
			*d = RedisTimeout
		}
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = -1 // go-redis spells "no retries" -1; 0 means 3
	}
	// One dial attempt: go-redis's default is five, 100 ms apart, inside
	// a single call.
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	// Let a request's own deadline cut a command short too.
	opt.ContextTimeoutEnabled = true
	// Open-source Redis has no maintenance notifications; asking costs a
	// failing round trip on every new connection.
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	quietRedis.Do(func() {
		// go-redis logs every failed dial to stderr; Resilient reports
		// outages itself, rate-limited, so its lines go to debug level.
		redis.SetLogger(debugLogger{})
	})
	return &Redis{client: redis.NewClient(opt)}, nil
}

// Client returns the underlying go-redis client.
func (r *Redis) Client() *redis.Client { return r.client }

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

// Get implements Cache.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// Set implements Cache.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return r.client.Set(ctx, key, value, redisTTL(ttl)).Err()
}

// Add implements Cache with SET NX.
func (r *Redis) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	return r.client.SetNX(ctx, key, value, redisTTL(ttl)).Result()
}

// Shared implements Cache: every process using the server sees its entries.
func (r *Redis) Shared() bool { return true }

// redisTTL is ttl as go-redis takes it.
func redisTTL(ttl time.Duration) time.Duration {
	switch {
	case ttl <= 0:
		return 0 // go-redis reads -1 as KEEPTTL; here it means no expiry
	case ttl < time.Millisecond:
		return time.Millisecond // Redis's resolution
	}
	return ttl
}

// Delete implements Cache.
func (r *Redis) Delete(ctx context.Context, key string) error {
	return r.client.Del(ctx, key).Err()
}

type debugLogger struct{}

func (debugLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
