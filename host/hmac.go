package host

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Internal calls are signed with HMAC-SHA256 over a shared secret:
//
//	X-Internal-Service:   the calling service
//	X-Internal-Timestamp: unix seconds
//	X-Internal-Signature: hex(HMAC(secret, METHOD "\n" PATH?QUERY "\n" ts "\n" hex(sha256(body))))
//
// A call is accepted when the signature matches and the timestamp is within
// maxSkew of the receiver's clock. With no secret configured nothing is
// signed or checked (development).
const (
	headerService   = "X-Internal-Service"
	headerTimestamp = "X-Internal-Timestamp"
	headerSignature = "X-Internal-Signature"
	maxSkew         = 60 * time.Second
)

func signature(secret, method, target string, ts int64, body []byte) string {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + "\n" + target + "\n" + strconv.FormatInt(ts, 10) + "\n" + hex.EncodeToString(sum[:])))
	return hex.EncodeToString(m.Sum(nil))
}

// verify checks a signed request; it returns why a call is refused, or "".
func verify(secret, method, target, ts, sig string, body []byte, now time.Time) string {
	if sig == "" || ts == "" {
		return "unsigned internal call"
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "bad " + headerTimestamp
	}
	if d := now.Sub(time.Unix(t, 0)); d > maxSkew || d < -maxSkew {
		return "stale internal call"
	}
	want := signature(secret, method, target, t, body)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "bad internal signature"
	}
	return ""
}
