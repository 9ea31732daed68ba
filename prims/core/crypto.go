package core

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rose-ash/sxhost/runtime"
)

// Hashes, MACs, random tokens, key pairs and signed tokens. Byte strings are
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
	{Name: "rsa-keypair", Params: "(bits?)", Doc: "A new RSA key pair of bits (2048, the default, 3072 or 4096) as {:public-pem :private-pem}: PKIX \"PUBLIC KEY\" and PKCS #8 \"PRIVATE KEY\" PEM text.", MinArgs: 0, MaxArgs: 1, Fn: rsaKeypair},
	{Name: "jwt-hs256", Params: "(claims key header?)", Doc: "A compact JWS (JWT) of the claims dict signed with HMAC-SHA256 under the bytes of key; header entries (e.g. {:kid id}) are added to {\"alg\":\"HS256\",\"typ\":\"JWT\"}.", MinArgs: 2, MaxArgs: 3, Fn: jwtHS256},
	{Name: "jwt-hs256-verify", Params: "(token key)", Doc: "The claims dict of a compact JWT signed with HMAC-SHA256 under the bytes of key; fails when the signature is wrong, the alg is not HS256, or the token has expired (exp) or is not yet valid (nbf).", MinArgs: 2, MaxArgs: 2, Fn: jwtHS256Verify},
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

func rsaKeypair(th *Thread, args []Value) Value {
	bits := int64(2048)
	if len(args) > 0 && args[0] != nil {
		bits = wantInt(th, "rsa-keypair", args[0])
	}
	if bits != 2048 && bits != 3072 && bits != 4096 {
		th.Fail("rsa-keypair: bits must be 2048, 3072 or 4096, got %d", bits)
	}
	key, err := rsa.GenerateKey(rand.Reader, int(bits))
	if err != nil {
		th.Fail("rsa-keypair: %v", err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		th.Fail("rsa-keypair: %v", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		th.Fail("rsa-keypair: %v", err)
	}
	d := runtime.NewDict(2)
	d.Set("public-pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
	d.Set("private-pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})))
	return d
}

// JWTs are signed and verified by golang-jwt/jwt (the library the sign-in
// work's ID tokens need anyway), which owns the format's pitfalls: the alg
// allow-list, exp/nbf checks, constant-time comparison.

// jsonClaims are claims already encoded as JSON in the dict's order, so a
// token is byte for byte what other signers produce for the same claims.
// Signing uses none of the jwt.Claims getters.
type jsonClaims []byte

func (c jsonClaims) MarshalJSON() ([]byte, error)               { return c, nil }
func (jsonClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (jsonClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (jsonClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (jsonClaims) GetIssuer() (string, error)                   { return "", nil }
func (jsonClaims) GetSubject() (string, error)                  { return "", nil }
func (jsonClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

func jwtHS256(th *Thread, args []Value) Value {
	claims := wantDict(th, "jwt-hs256", args[0])
	key := wantString(th, "jwt-hs256", args[1])
	if key == "" {
		th.Fail("jwt-hs256: the key is empty")
	}
	encode := func(v Value) []byte {
		w := &jsonWriter{th: th}
		w.value(v, 0)
		return []byte(w.b.String())
	}
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, jsonClaims(encode(claims)))
	if len(args) > 2 && args[2] != nil {
		extra := wantDict(th, "jwt-hs256", args[2])
		if _, ok := extra.Get("alg"); ok {
			th.Fail("jwt-hs256: the header's alg is fixed to HS256")
		}
		var header map[string]any
		if err := json.Unmarshal(encode(extra), &header); err != nil {
			th.Fail("jwt-hs256: header: %v", err)
		}
		for k, v := range header {
			token.Header[k] = v
		}
	}
	signed, err := token.SignedString([]byte(key))
	if err != nil {
		th.Fail("jwt-hs256: %v", err)
	}
	return signed
}

func jwtHS256Verify(th *Thread, args []Value) Value {
	token := wantString(th, "jwt-hs256-verify", args[0])
	key := wantString(th, "jwt-hs256-verify", args[1])
	if key == "" {
		th.Fail("jwt-hs256-verify: the key is empty")
	}
	_, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return []byte(key), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		th.Fail("jwt-hs256-verify: the token has expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		th.Fail("jwt-hs256-verify: the token is not valid yet")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		th.Fail("jwt-hs256-verify: the signature does not match")
	case err != nil:
		th.Fail("jwt-hs256-verify: %v", err)
	}
	// The claims as a dict in the token's order (the library's map has none).
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		th.Fail("jwt-hs256-verify: %v", err)
	}
	return jsonDecode(th, []Value{string(payload)})
}
