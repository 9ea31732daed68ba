package host

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
)

// Internal calls are signed with HMAC-SHA256 over a shared secret:
//
//	X-Internal-Service:   the calling service (informational, for logs)
//	X-Internal-Timestamp: unix seconds
//	X-Internal-Nonce:     16 random bytes, hex (32 characters)
//	X-Internal-Content-SHA256: hex(sha256(body))
//	X-Internal-Signature: hex(HMAC(secret, "sx2" "\n" TARGET "\n" METHOD "\n" PATH?QUERY "\n" ts "\n" nonce "\n" hex(sha256(body))))
//
// The body's hash travels in the head so that the server can check the
// signature before reading the body: only a genuinely signed call is
// allowed an internal-sized body. The hash is checked against the body
// once it is in.
//
// TARGET is the name of the service the call is for, so a signature made
// for one service is refused by every other. A call is accepted when the
// signature matches, the timestamp is within maxSkew of the receiver's
// clock and its nonce has not been seen in that window (Redis SET NX when
// REDIS_URL is set, so every instance shares it; an in-process set
// otherwise, and while Redis is unreachable). A replay is refused (403).
//
// With no secret configured nothing is signed, and the internal endpoints
// answer loopback clients only (development).
const (
	headerService   = "X-Internal-Service"
	headerTimestamp = "X-Internal-Timestamp"
	headerNonce     = "X-Internal-Nonce"
	headerSignature = "X-Internal-Signature"
	headerBodyHash  = "X-Internal-Content-SHA256"
	maxSkew         = 60 * time.Second
	signatureScheme = "sx2"
)

func signature(secret, service, method, target string, ts int64, nonce, bodyHash string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strings.Join([]string{signatureScheme, service, method, target,
		strconv.FormatInt(ts, 10), nonce, bodyHash}, "\n")))
	return hex.EncodeToString(m.Sum(nil))
}

// bodyHash is the hex SHA-256 of a body, as signatures cover it.
func bodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// SignRequest signs req, a call to service whose path and query are
// target, with the current time and a fresh nonce. Its method and body
// must be set.
func SignRequest(req *fasthttp.Request, secret, service, target string) {
	secret, _, _ = strings.Cut(secret, ",") // the first of a rotation's list signs
	ts, nonce, hash := time.Now().Unix(), newNonce(), bodyHash(req.Body())
	req.Header.Set(headerTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(headerNonce, nonce)
	req.Header.Set(headerBodyHash, hash)
	req.Header.Set(headerSignature, signature(secret, service, string(req.Header.Method()), target, ts, nonce, hash))
}

// signedHead reports whether a request head carries a valid signature for
// service, taking the body's hash from the head (the body is not read yet).
func signedHead(h *fasthttp.RequestHeader, secret, service string, now time.Time) bool {
	hash := string(h.Peek(headerBodyHash))
	return hash != "" && verify(secret, service, string(h.Method()), string(h.RequestURI()), string(h.Peek(headerTimestamp)),
		string(h.Peek(headerNonce)), string(h.Peek(headerSignature)), hash, now) == ""
}

// newNonce returns a fresh random nonce.
func newNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// verify checks a signed request for service whose body hashes to
// hash; it returns why a call is refused, or "". It does not record the
// nonce (see nonces.fresh).
func verify(secret, service, method, target, ts, nonce, sig, hash string, now time.Time) string {
	if sig == "" || ts == "" || nonce == "" {
		return "unsigned internal call"
	}
	if len(nonce) != 32 {
		return "bad " + headerNonce
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "bad " + headerTimestamp
	}
	if d := now.Sub(time.Unix(t, 0)); d > maxSkew || d < -maxSkew {
		return "stale internal call"
	}
	// During a rotation the secret is a list, "signing,other": a call
	// signed with any of them is accepted (docs/operations.md).
	for _, sec := range strings.Split(secret, ",") {
		want := signature(sec, service, method, target, t, nonce, hash)
		if hmac.Equal([]byte(want), []byte(sig)) {
			return ""
		}
	}
	return "bad internal signature"
}

// nonceStore remembers the nonces of accepted calls for twice the skew
// window, so a captured call cannot be sent again.
type nonceStore struct {
	redis     *redis.Client // nil: in-process only
	skipUntil atomic.Int64  // unix nanoseconds: Redis failed, use the fallback until then

	mu   sync.Mutex
	seen map[string]time.Time // nonce → when it may be forgotten
	next time.Time            // next sweep of expired entries
}

// nonceTTL covers a timestamp maxSkew in the past to one maxSkew ahead.
const nonceTTL = 2 * maxSkew

func newNonceStore(c cacheprims.Cache) *nonceStore {
	return &nonceStore{seen: map[string]time.Time{}, redis: redisOf(c)}
}

// redisOf is the Redis client behind the platform's cache, or nil when the
// cache is not Redis (the in-memory one of a single process).
func redisOf(c cacheprims.Cache) *redis.Client {
	if r, ok := c.(*cacheprims.Resilient); ok {
		c = r.Inner()
	}
	if r, ok := c.(*cacheprims.Redis); ok {
		return r.Client()
	}
	return nil
}

// nonces returns the platform's replay guard, made on first use.
func (p *Platform) nonces() *nonceStore {
	p.nonceOnce.Do(func() { p.nonceStore = newNonceStore(p.opts.Cache) })
	return p.nonceStore
}

// fresh records nonce for service and reports whether it was new.
func (s *nonceStore) fresh(service, nonce string, now time.Time) bool {
	key := "sx:nonce:" + service + ":" + nonce
	if s.redis != nil && now.UnixNano() >= s.skipUntil.Load() {
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		ok, err := s.redis.SetNX(ctx, key, 1, nonceTTL).Result()
		cancel()
		if err == nil {
			return ok
		}
		// Redis is away: this process's own memory guards until it is back.
		s.skipUntil.Store(now.Add(time.Second).UnixNano())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.After(s.next) {
		for k, until := range s.seen {
			if now.After(until) {
				delete(s.seen, k)
			}
		}
		s.next = now.Add(maxSkew / 4)
	}
	if until, ok := s.seen[key]; ok && now.Before(until) {
		return false
	}
	s.seen[key] = now.Add(nonceTTL)
	return true
}
