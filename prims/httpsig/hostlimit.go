package httpsig

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"
)

// HostSlots bounds the requests in flight to one host across every
// process that shares it (several sxhost instances delivering at once),
// on top of Deliver's in-process limit.
type HostSlots interface {
	// Acquire waits for one of limit slots of host, held at most hold (a
	// process that dies frees its slots when they expire), and returns
	// its release. An error means the slots cannot be counted (the store
	// is down): Deliver then keeps to its in-process limit alone.
	Acquire(ctx context.Context, host string, limit int, hold time.Duration) (func(), error)
}

// RedisSlots keeps each host's slots in a Redis sorted set (member a
// random token, score the slot's expiry on Redis's clock), taken and
// trimmed atomically by a script.
type RedisSlots struct {
	Client *redis.Client
	Prefix string // key prefix; "sx:ap:host:" when empty
}

var takeSlot = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
  return 1
end
return 0`)

// Acquire polls (every 10–30 ms) until a slot of host is free.
func (r RedisSlots) Acquire(ctx context.Context, host string, limit int, hold time.Duration) (func(), error) {
	prefix := r.Prefix
	if prefix == "" {
		prefix = "sx:ap:host:"
	}
	key := prefix + host
	var b [12]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	for {
		n, err := takeSlot.Run(ctx, r.Client, []string{key}, limit, hold.Milliseconds(), tok).Int()
		if err != nil {
			return nil, err
		}
		if n == 1 {
			return func() {
				// Released on a context of its own: the delivery's may be done.
				c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				r.Client.ZRem(c, key, tok)
			}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(10+mrand.IntN(20)) * time.Millisecond):
		}
	}
}
