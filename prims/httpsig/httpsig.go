// Package httpsig gives SX code the HTTP Signatures of ActivityPub
// (draft-cavage-http-signatures, as Mastodon and the fediverse use them):
// signing an outgoing POST with an actor's key, verifying an incoming one,
// and delivering many signed POSTs at once with per-host concurrency limits.
// The signature strings, header parsing and RSA/Ed25519 operations are
// github.com/go-fed/httpsig's (named in the project's design); this package
// adds the policy the fediverse needs around them:
//
//   - a signature must cover (request-target), host and date, and on a
//     request with a body also digest (or content-digest);
//   - the Digest (RFC 3230, SHA-256=…) or Content-Digest (RFC 9530,
//     sha-256=:…:) must match the body;
//   - the Date must lie within a skew window of now (replays of old
//     captures fail);
//   - "hs2019" and "rsa-sha256" are both accepted: the algorithm is taken
//     from the key (RSA → RSA-SHA256, Ed25519 → Ed25519), never from the
//     request, so a request cannot pick a weaker one.
//
// Everything else of federation — which key belongs to which actor, the
// key cache and its refetch on rotation, what an activity does — is SX, in
// services/federation/activitypub.sx and services/shared/activitypub.sx.
//
// Why Go: RSA verification and concurrent delivery to thousands of inboxes
// are the hot paths of federation; in SX they would be slow and a second
// place for cryptographic mistakes.
package httpsig

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"

	gofed "github.com/go-fed/httpsig"
)

// DefaultSkew is how far a request's Date may be from now, either way.
// Mastodon allows 12 hours in the past; an hour is enough for honest
// clocks and queues and shortens the window in which a capture can be
// replayed (the inbox also drops activity ids it has seen).
const DefaultSkew = time.Hour

// Request is what verification needs of an incoming request.
type Request struct {
	Method string
	Target string // path and query as received: the (request-target)
	Host   string
	Header http.Header
	Body   []byte
}

// Error is a refusal, with the reason for the log and the 401's message.
type Error struct{ Reason string }

func (e *Error) Error() string { return e.Reason }

func refuse(format string, a ...any) error { return &Error{Reason: fmt.Sprintf(format, a...)} }

// signatureParams returns the parameters of the Signature header (or of an
// "Authorization: Signature …" header).
func signatureParams(h http.Header) (map[string]string, error) {
	s := h.Get("Signature")
	if s == "" {
		a := h.Get("Authorization")
		if !strings.HasPrefix(a, "Signature ") {
			return nil, refuse("the request is not signed (no Signature header)")
		}
		s = strings.TrimPrefix(a, "Signature ")
	}
	out := map[string]string{}
	for _, part := range splitParams(s) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, refuse("malformed Signature header")
		}
		out[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	if out["keyid"] == "" || out["signature"] == "" {
		return nil, refuse("the Signature header has no keyId or no signature")
	}
	return out, nil
}

// splitParams splits k="v",k2="v2" at the commas outside quotes.
func splitParams(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// KeyID returns the keyId of a request's signature.
func KeyID(h http.Header) (string, error) {
	p, err := signatureParams(h)
	if err != nil {
		return "", err
	}
	return p["keyid"], nil
}

// ParsePublicKey reads a PEM public key: PKIX ("PUBLIC KEY", what
// ActivityPub actors publish) or PKCS #1 ("RSA PUBLIC KEY").
func ParsePublicKey(pemText string) (crypto.PublicKey, gofed.Algorithm, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, "", errors.New("the key is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("a %s is not a public key", block.Type)
	}
	if err != nil {
		return nil, "", err
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("an RSA key of %d bits is too weak", k.N.BitLen())
		}
		return k, gofed.RSA_SHA256, nil
	case ed25519.PublicKey:
		return k, gofed.ED25519, nil
	}
	return nil, "", fmt.Errorf("keys of type %T are not supported", key)
}

// ParsePrivateKey reads a PEM private key (PKCS #8, or PKCS #1 RSA).
func ParsePrivateKey(pemText string) (crypto.PrivateKey, gofed.Algorithm, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, "", errors.New("the private key is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("a %s is not a private key", block.Type)
	}
	if err != nil {
		return nil, "", err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, gofed.RSA_SHA256, nil
	case ed25519.PrivateKey:
		return k, gofed.ED25519, nil
	}
	return nil, "", fmt.Errorf("keys of type %T are not supported", key)
}

// keyCache holds parsed public keys by their PEM text: parsing a PEM and
// its ASN.1 costs about as much as the RSA verification itself, and an
// inbox sees the same few keys over and over.
var keyCache sync.Map // pem string -> parsedKey

type parsedKey struct {
	key  crypto.PublicKey
	algo gofed.Algorithm
}

func publicKey(pemText string) (crypto.PublicKey, gofed.Algorithm, error) {
	if k, ok := keyCache.Load(pemText); ok {
		pk := k.(parsedKey)
		return pk.key, pk.algo, nil
	}
	key, algo, err := ParsePublicKey(pemText)
	if err != nil {
		return nil, "", err
	}
	keyCache.Store(pemText, parsedKey{key, algo})
	return key, algo, nil
}

// Digest is the RFC 3230 Digest header value of body: SHA-256=<base64>.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// checkDigest compares the body with the Digest or Content-Digest header.
// It returns which header carried the digest.
func checkDigest(h http.Header, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])
	if d := h.Get("Digest"); d != "" {
		for _, part := range strings.Split(d, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.EqualFold(alg, "SHA-256") {
				if val != want {
					return "", refuse("the Digest header does not match the body")
				}
				return "digest", nil
			}
		}
		return "", refuse("the Digest header has no SHA-256 value")
	}
	if d := h.Get("Content-Digest"); d != "" {
		for _, part := range strings.Split(d, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.EqualFold(alg, "sha-256") {
				if strings.Trim(val, ":") != want {
					return "", refuse("the Content-Digest header does not match the body")
				}
				return "content-digest", nil
			}
		}
		return "", refuse("the Content-Digest header has no sha-256 value")
	}
	return "", refuse("a request with a body needs a Digest or Content-Digest header")
}

// Verify checks an incoming request's signature with the public key in
// pemText, and the policy of the package comment. A nil error means the
// holder of the key sent exactly this request (method, target, host, date,
// body) within skew of now.
func Verify(r Request, pemText string, now time.Time, skew time.Duration) error {
	params, err := signatureParams(r.Header)
	if err != nil {
		return err
	}
	signed := map[string]bool{}
	headers := params["headers"]
	if headers == "" {
		headers = "date" // the draft's default
	}
	for _, h := range strings.Fields(strings.ToLower(headers)) {
		signed[h] = true
	}
	for _, need := range []string{"(request-target)", "host", "date"} {
		if !signed[need] {
			return refuse("the signature does not cover %s", need)
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return refuse("the Date header is missing or malformed")
	}
	if d := now.Sub(date); d > skew || d < -skew {
		return refuse("the Date header is %s from now, more than the %s allowed", d.Round(time.Second), skew)
	}
	if len(r.Body) > 0 || r.Method == "POST" {
		which, err := checkDigest(r.Header, r.Body)
		if err != nil {
			return err
		}
		if !signed[which] {
			return refuse("the signature does not cover the %s header", which)
		}
	}
	key, algo, err := publicKey(pemText)
	if err != nil {
		return refuse("the signer's key is unusable: %v", err)
	}
	hreq, err := http.NewRequest(r.Method, "http://"+r.Host+r.Target, nil)
	if err != nil {
		return refuse("the request target is malformed")
	}
	hreq.Host = r.Host
	hreq.Header = r.Header.Clone()
	hreq.Header["Host"] = []string{r.Host}
	v, err := gofed.NewVerifier(hreq)
	if err != nil {
		return refuse("malformed signature: %v", err)
	}
	if err := v.Verify(key, algo); err != nil {
		return refuse("the signature does not verify with the key %s", v.KeyId())
	}
	return nil
}

// signedHeaders are what outgoing requests sign: Mastodon's set.
var signedHeaders = []string{gofed.RequestTarget, "host", "date", "digest"}
var signedHeadersGet = []string{gofed.RequestTarget, "host", "date"}

// Sign adds Host, Date, Digest (for a body) and Signature headers to req,
// signed with the private key privatePEM under keyID.
func Sign(req *http.Request, body []byte, privatePEM, keyID string, now time.Time) error {
	key, algo, err := parsePrivateCached(privatePEM)
	if err != nil {
		return err
	}
	headers := signedHeadersGet
	if body != nil {
		headers = signedHeaders
	}
	// A Signer is not safe for concurrent use; making one is cheap.
	signer, _, err := gofed.NewSigner([]gofed.Algorithm{algo}, gofed.DigestSha256, headers, gofed.Signature, 0)
	if err != nil {
		return err
	}
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	req.Header["Host"] = []string{req.URL.Host}
	req.Header.Del("Digest")
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		return err
	}
	return nil
}

var privCache sync.Map // pem -> parsedPriv

type parsedPriv struct {
	key  crypto.PrivateKey
	algo gofed.Algorithm
}

// parsePrivateCached parses a private key once: delivering one post to
// thousands of inboxes signs with the same key thousands of times.
func parsePrivateCached(pemText string) (crypto.PrivateKey, gofed.Algorithm, error) {
	if k, ok := privCache.Load(pemText); ok {
		pk := k.(parsedPriv)
		return pk.key, pk.algo, nil
	}
	key, algo, err := ParsePrivateKey(pemText)
	if err != nil {
		return nil, "", err
	}
	privCache.Store(pemText, parsedPriv{key, algo})
	return key, algo, nil
}

// HeaderFromMap builds an http.Header from lower-case names.
func HeaderFromMap(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h[textproto.CanonicalMIMEHeaderKey(k)] = []string{v}
	}
	return h
}

// HostOf returns the host[:port] of an http(s) URL, lower-cased, or "".
func HostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return strings.ToLower(u.Host)
}

// trimBody shortens a response body for an error message.
func trimBody(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}
