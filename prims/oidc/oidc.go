// Package oidc holds the cryptographic primitives of federation's OpenID
// Connect provider: signing-key generation, the sealing of private keys at
// rest, JWS signing and verification of ID tokens, and HTTP Basic client
// credentials. Everything else of the provider (endpoints, pages, token
// tables, rotation policy) is SX, in services/federation/.
//
// Keys. oidc/new-key makes an RS256 (RSA 2048) or EdDSA (Ed25519) key pair
// and returns its public half as a JWK (RFC 7517) whose kid is the RFC 7638
// thumbprint, and its private half sealed: PKCS #8, encrypted with
// AES-256-GCM under a key derived (HKDF-SHA256) from OIDC_KEY_SECRET, with
// the kid as additional data so a sealed key cannot be passed off as
// another. SX code never holds a private key in the clear: oidc/sign opens
// it where it signs. Without OIDC_KEY_SECRET a fixed development secret is
// used, except with SX_ENV=prod, where sealing and signing fail.
//
// Tokens are compact JWS made and checked by golang-jwt/jwt/v5 (the alg
// allow-list, the key type checks); claims travel to and from SX as JSON
// text, so a token carries exactly the bytes (json-encode claims) made.
package oidc

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rose-ash/sxhost/prims/signing"
	"github.com/rose-ash/sxhost/runtime"
)

// Primitives returns the package's primitives, ready for
// Env.DefinePrimitives.
func Primitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "oidc/new-key", Params: "(alg)", Doc: "A new signing key for alg \"RS256\" (RSA 2048) or \"EdDSA\" (Ed25519): {:kid :alg :public-jwk (JSON text of the public JWK; kid = RFC 7638 thumbprint) :private-sealed (the PKCS #8 private key sealed with OIDC_KEY_SECRET)}.", MinArgs: 1, MaxArgs: 1, IO: true, Fn: newKey},
		{Name: "oidc/sign", Params: "(claims-json key)", Doc: "A compact JWS of the JSON text claims-json, signed with key ({:kid :alg :private_sealed}, as stored from oidc/new-key); the header is {alg, kid, typ: JWT}.", MinArgs: 2, MaxArgs: 2, IO: true, Fn: sign},
		{Name: "oidc/verify", Params: "(token jwks-json)", Doc: "The claims (JSON text) of a compact JWS whose signature checks out against a key of the JWK set jwks-json with the token's kid and alg, or nil. Expiry and audience are the caller's to check.", MinArgs: 2, MaxArgs: 2, Fn: verify},
		{Name: "basic-credentials", Params: "(authorization)", Doc: "The user name and password of an HTTP Basic Authorization header value, each form-urldecoded as OAuth client credentials are (RFC 6749 §2.3.1): {:username :password}, or nil when the value is not Basic credentials.", MinArgs: 1, MaxArgs: 1, Fn: basicCredentials},
	}
}

// devSecret seals keys in development when OIDC_KEY_SECRET is unset; it is
// public, so keys sealed with it protect nothing, which SX_ENV=prod refuses.
const devSecret = "sxhost development OIDC key secret: not for production"

var (
	sealOnce sync.Once
	sealAEAD cipher.AEAD
	sealErr  error
)

// sealer returns the AEAD that seals private keys, from OIDC_KEY_SECRET.
func sealer() (cipher.AEAD, error) {
	sealOnce.Do(func() {
		secret := os.Getenv("OIDC_KEY_SECRET")
		if secret == "" {
			if os.Getenv("SX_ENV") == "prod" {
				sealErr = errors.New("OIDC_KEY_SECRET must be set when SX_ENV=prod: it encrypts the ID-token signing keys")
				return
			}
			secret = devSecret
		}
		key, err := hkdf.Key(sha256.New, []byte(secret), nil, "sxhost oidc signing keys v1", 32)
		if err != nil {
			sealErr = err
			return
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			sealErr = err
			return
		}
		sealAEAD, sealErr = cipher.NewGCM(block)
	})
	return sealAEAD, sealErr
}

const sealFormat = "v1."

func seal(plain []byte, kid string) (string, error) {
	aead, err := sealer()
	if err != nil {
		return "", err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(out)
	out = aead.Seal(out, out, plain, []byte(kid))
	return sealFormat + base64.RawURLEncoding.EncodeToString(out), nil
}

func unseal(sealed, kid string) ([]byte, error) {
	aead, err := sealer()
	if err != nil {
		return nil, err
	}
	raw, ok := strings.CutPrefix(sealed, sealFormat)
	if !ok {
		return nil, errors.New("the sealed key is not in the v1 format")
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) < aead.NonceSize() {
		return nil, errors.New("the sealed key is malformed")
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(kid))
	if err != nil {
		return nil, errors.New("the sealed key does not open with OIDC_KEY_SECRET (a different secret, or a changed row)")
	}
	return plain, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicJWK returns a public key's JWK members and its RFC 7638 thumbprint.
func publicJWK(pub crypto.PublicKey) (map[string]string, string, error) {
	var members map[string]string
	var canonical string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		e := b64(big.NewInt(int64(k.E)).Bytes())
		n := b64(k.N.Bytes())
		members = map[string]string{"kty": "RSA", "n": n, "e": e}
		canonical = `{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`
	case ed25519.PublicKey:
		x := b64(k)
		members = map[string]string{"kty": "OKP", "crv": "Ed25519", "x": x}
		canonical = `{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`
	default:
		return nil, "", errors.New("unsupported key type")
	}
	sum := sha256.Sum256([]byte(canonical))
	return members, b64(sum[:]), nil
}

func newKey(th *runtime.Thread, a []runtime.Value) runtime.Value {
	alg, _ := a[0].(string)
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		th.Fail("oidc/new-key: alg must be RS256 or EdDSA, got %s", runtime.Print(a[0]))
	}
	if err != nil {
		th.Fail("oidc/new-key: %v", err)
	}
	members, kid, err := publicJWK(priv.Public())
	if err != nil {
		th.Fail("oidc/new-key: %v", err)
	}
	members["kid"], members["alg"], members["use"] = kid, alg, "sig"
	jwk, _ := json.Marshal(members)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		th.Fail("oidc/new-key: %v", err)
	}
	sealed, err := seal(der, kid)
	if err != nil {
		th.Fail("oidc/new-key: %v", err)
	}
	d := runtime.NewDict(4)
	d.Set("kid", kid)
	d.Set("alg", alg)
	d.Set("public-jwk", string(jwk))
	d.Set("private-sealed", sealed)
	return d
}

// keyCache keeps opened private keys by kid and sealed text: parsing an RSA
// key costs more than signing with it.
var keyCache sync.Map // kid + "\x00" + sealed → crypto.Signer

func dictString(d *runtime.Dict, k string) string {
	v, _ := d.Get(k)
	s, _ := v.(string)
	return s
}

func methodFor(alg string) jwt.SigningMethod {
	switch alg {
	case "RS256":
		return jwt.SigningMethodRS256
	case "EdDSA":
		return jwt.SigningMethodEdDSA
	}
	return nil
}

func sign(th *runtime.Thread, a []runtime.Value) runtime.Value {
	claims, ok := a[0].(string)
	if !ok || !json.Valid([]byte(claims)) || !strings.HasPrefix(strings.TrimSpace(claims), "{") {
		th.Fail("oidc/sign expects the claims as JSON object text (json-encode claims)")
	}
	key, ok := a[1].(*runtime.Dict)
	if !ok {
		th.Fail("oidc/sign expects a key dict {:kid :alg :private_sealed}, got %s", runtime.TypeOf(a[1]))
	}
	kid, alg, sealed := dictString(key, "kid"), dictString(key, "alg"), dictString(key, "private_sealed")
	method := methodFor(alg)
	if kid == "" || sealed == "" || method == nil {
		th.Fail("oidc/sign: the key needs :kid, :private_sealed and :alg RS256 or EdDSA")
	}
	cacheKey := kid + "\x00" + sealed
	signer, _ := keyCache.Load(cacheKey)
	if signer == nil {
		der, err := unseal(sealed, kid)
		if err != nil {
			th.Fail("oidc/sign: %v", err)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			th.Fail("oidc/sign: the private key: %v", err)
		}
		signer = k
		keyCache.Store(cacheKey, k)
	}
	token := jwt.NewWithClaims(method, signing.JSONClaims(claims))
	token.Header["kid"] = kid
	out, err := token.SignedString(signer)
	if err != nil {
		th.Fail("oidc/sign: %v", err)
	}
	return out
}

// jwkSet is the subset of RFC 7517 the provider publishes.
type jwkSet struct {
	Keys []struct {
		Kty, Kid, Alg, N, E, Crv, X string
	} `json:"keys"`
}

func verify(th *runtime.Thread, a []runtime.Value) runtime.Value {
	token, ok1 := a[0].(string)
	set, ok2 := a[1].(string)
	if !ok1 || !ok2 {
		th.Fail("oidc/verify expects a token and the JWK set as JSON text")
	}
	var jwks jwkSet
	if err := json.Unmarshal([]byte(set), &jwks); err != nil {
		th.Fail("oidc/verify: the JWK set: %v", err)
	}
	keyFor := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range jwks.Keys {
			if k.Kid != kid || k.Alg != t.Method.Alg() {
				continue
			}
			switch k.Kty {
			case "RSA":
				n, err1 := base64.RawURLEncoding.DecodeString(k.N)
				e, err2 := base64.RawURLEncoding.DecodeString(k.E)
				if err1 != nil || err2 != nil {
					return nil, errors.New("malformed RSA JWK")
				}
				return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
			case "OKP":
				x, err := base64.RawURLEncoding.DecodeString(k.X)
				if err != nil || len(x) != ed25519.PublicKeySize {
					return nil, errors.New("malformed Ed25519 JWK")
				}
				return ed25519.PublicKey(x), nil
			}
		}
		return nil, errors.New("no key with that kid and alg")
	}
	_, err := jwt.Parse(token, keyFor, jwt.WithValidMethods([]string{"RS256", "EdDSA"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		return nil
	}
	return string(payload)
}

func basicCredentials(th *runtime.Thread, a []runtime.Value) runtime.Value {
	h, _ := a[0].(string)
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return nil
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil
	}
	u, err1 := url.QueryUnescape(user)
	p, err2 := url.QueryUnescape(pass)
	if err1 != nil || err2 != nil {
		return nil
	}
	d := runtime.NewDict(2)
	d.Set("username", u)
	d.Set("password", p)
	return d
}
