package core

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"

	"github.com/rose-ash/sxhost/runtime"
)

// Hashes, MACs and random tokens (key pairs and signed tokens are in
// prims/signing, which links crypto/x509 and golang-jwt). Byte strings are
// SX strings holding the raw bytes; hex and base64url convert them to text.

var cryptoPrims = []*runtime.Primitive{
	{Name: "sha256-hex", Params: "(s)", Doc: "The SHA-256 digest of the bytes of s, as lower-case hex.", MinArgs: 1, MaxArgs: 1, Fn: sha256Hex},
	{Name: "hmac-sha256-hex", Params: "(key s)", Doc: "The HMAC-SHA256 of s under key, as lower-case hex.", MinArgs: 2, MaxArgs: 2, Fn: hmacSHA256Hex},
	{Name: "hex-encode", Params: "(s)", Doc: "The bytes of s as lower-case hex.", MinArgs: 1, MaxArgs: 1, Fn: hexEncode},
	{Name: "hex-decode", Params: "(s)", Doc: "The bytes that hex text s encodes, as a string; fails on anything but an even number of hex digits.", MinArgs: 1, MaxArgs: 1, Fn: hexDecode},
	{Name: "base64url-encode", Params: "(s)", Doc: "The bytes of s in unpadded URL-safe base64 (RFC 4648 §5).", MinArgs: 1, MaxArgs: 1, Fn: base64URLEncode},
	{Name: "base64url-decode", Params: "(s)", Doc: "The bytes that unpadded URL-safe base64 text s encodes, as a string.", MinArgs: 1, MaxArgs: 1, Fn: base64URLDecode},
	{Name: "secure-equal?", Params: "(a b)", Doc: "Whether strings a and b are equal, in time that does not depend on where they differ (for comparing secrets).", MinArgs: 2, MaxArgs: 2, Fn: secureEqual},
	{Name: "random-token", Params: "(n?)", Doc: "n (default 32, at most 1024) bytes from the system's secure random source, in unpadded URL-safe base64.", MinArgs: 0, MaxArgs: 1, Fn: randomToken},
}

// maxRandomBytes bounds random-token; a token is a secret, not bulk data.
const maxRandomBytes = 1024

func sha256Hex(th *Thread, args []Value) Value {
	sum := sha256.Sum256([]byte(wantString(th, "sha256-hex", args[0])))
	return hex.EncodeToString(sum[:])
}

func hmacSHA256Hex(th *Thread, args []Value) Value {
	return hex.EncodeToString(hmacSHA256(wantString(th, "hmac-sha256-hex", args[0]), wantString(th, "hmac-sha256-hex", args[1])))
}

func hmacSHA256(key, msg string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func hexEncode(th *Thread, args []Value) Value {
	return hex.EncodeToString([]byte(wantString(th, "hex-encode", args[0])))
}

func hexDecode(th *Thread, args []Value) Value {
	b, err := hex.DecodeString(wantString(th, "hex-decode", args[0]))
	if err != nil {
		th.Fail("hex-decode: %v", err)
	}
	return string(b)
}

func base64URLEncode(th *Thread, args []Value) Value {
	return base64.RawURLEncoding.EncodeToString([]byte(wantString(th, "base64url-encode", args[0])))
}

func base64URLDecode(th *Thread, args []Value) Value {
	b, err := base64.RawURLEncoding.DecodeString(wantString(th, "base64url-decode", args[0]))
	if err != nil {
		th.Fail("base64url-decode: %v", err)
	}
	return string(b)
}

func secureEqual(th *Thread, args []Value) Value {
	a, b := wantString(th, "secure-equal?", args[0]), wantString(th, "secure-equal?", args[1])
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomToken(th *Thread, args []Value) Value {
	n := int64(32)
	if len(args) > 0 && args[0] != nil {
		n = wantInt(th, "random-token", args[0])
	}
	if n < 1 || n > maxRandomBytes {
		th.Fail("random-token: n must be between 1 and %d, got %d", maxRandomBytes, n)
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		th.Fail("random-token: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
