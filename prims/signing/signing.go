// Package signing holds the primitives that sign tokens and make key pairs:
// jwt-hs256, jwt-hs256-verify and rsa-keypair. They are apart from
// prims/core because they link golang-jwt and crypto/x509 (with net, ECDSA,
// Ed25519 …), whose package initialisers and pages would otherwise run in
// every `sx eval` (docs/benchmarks.md, start-up). The platform (sxhost, its
// REPL, the services' tests) registers them; the one-shot sx command does not
// and says so when a script calls one (cli/sxcmd).
package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rose-ash/sxhost/prims/core"
	"github.com/rose-ash/sxhost/runtime"
)

type (
	// Value and Thread are short names for the runtime types.
	Value  = runtime.Value
	Thread = runtime.Thread
)

// Primitives returns the package's primitives, ready for
// Env.DefinePrimitives.
func Primitives() []*runtime.Primitive { return prims }

var prims = []*runtime.Primitive{
	{Name: "rsa-keypair", Params: "(bits?)", Doc: "A new RSA key pair of bits (2048, the default, 3072 or 4096) as {:public-pem :private-pem}: PKIX \"PUBLIC KEY\" and PKCS #8 \"PRIVATE KEY\" PEM text.", MinArgs: 0, MaxArgs: 1, Fn: rsaKeypair},
	{Name: "jwt-hs256", Params: "(claims key header?)", Doc: "A compact JWS (JWT) of the claims dict signed with HMAC-SHA256 under the bytes of key; header entries (e.g. {:kid id}) are added to {\"alg\":\"HS256\",\"typ\":\"JWT\"}.", MinArgs: 2, MaxArgs: 3, Fn: jwtHS256},
	{Name: "jwt-hs256-verify", Params: "(token key)", Doc: "The claims dict of a compact JWT signed with HMAC-SHA256 under the bytes of key; fails when the signature is wrong, the alg is not HS256, or the token has expired (exp) or is not yet valid (nbf).", MinArgs: 2, MaxArgs: 2, Fn: jwtHS256Verify}}

func rsaKeypair(th *Thread, args []Value) Value {
	bits := int64(2048)
	if len(args) > 0 && args[0] != nil {
		bits = core.WantInt(th, "rsa-keypair", args[0])
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

// JSONClaims are claims already encoded as JSON (in the dict's order), so
// a token is byte for byte what other signers produce for the same claims.
// Signing uses none of the jwt.Claims getters. prims/oidc signs with it too.
type JSONClaims []byte

func (c JSONClaims) MarshalJSON() ([]byte, error)               { return c, nil }
func (JSONClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (JSONClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (JSONClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (JSONClaims) GetIssuer() (string, error)                   { return "", nil }
func (JSONClaims) GetSubject() (string, error)                  { return "", nil }
func (JSONClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

func jwtHS256(th *Thread, args []Value) Value {
	claims := core.WantDict(th, "jwt-hs256", args[0])
	key := core.WantString(th, "jwt-hs256", args[1])
	if key == "" {
		th.Fail("jwt-hs256: the key is empty")
	}
	encode := func(v Value) []byte { return []byte(core.EncodeJSON(th, v)) }
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, JSONClaims(encode(claims)))
	if len(args) > 2 && args[2] != nil {
		extra := core.WantDict(th, "jwt-hs256", args[2])
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
	token := core.WantString(th, "jwt-hs256-verify", args[0])
	key := core.WantString(th, "jwt-hs256-verify", args[1])
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
	return core.DecodeJSON(th, string(payload))
}
