package oidc

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

func eval(t *testing.T, src string) runtime.Value {
	t.Helper()
	env := stdlib.NewEnv()
	env.DefinePrimitives(Primitives()...)
	v, err := env.NewThread(nil).EvalString("test", src)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A key made by oidc/new-key signs tokens that an independent JOSE library
// verifies with the published JWK, and that oidc/verify accepts; the kid
// is the RFC 7638 thumbprint go-jose computes too.
func TestSignVerifyRoundTrip(t *testing.T) {
	for _, alg := range []string{"RS256", "EdDSA"} {
		v := eval(t, `(let ((k (oidc/new-key "`+alg+`"))
		                    (row {:kid (get k :kid) :alg (get k :alg) :private_sealed (get k :private-sealed)})
		                    (tok (oidc/sign (json-encode {:sub "42" :aud "cli"}) row)))
		                {:tok tok :jwk (get k :public-jwk) :sealed (get k :private-sealed)
		                 :ok (oidc/verify tok (str "{\"keys\":[" (get k :public-jwk) "]}"))
		                 :other (oidc/verify tok (str "{\"keys\":[" (get (oidc/new-key "`+alg+`") :public-jwk) "]}"))})`).(*runtime.Dict)
		get := func(k string) string { s, _ := v.Get(k); x, _ := s.(string); return x }
		var jwk jose.JSONWebKey
		if err := json.Unmarshal([]byte(get("jwk")), &jwk); err != nil {
			t.Fatal(err)
		}
		thumb, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil || base64.RawURLEncoding.EncodeToString(thumb) != jwk.KeyID {
			t.Errorf("%s: kid %q is not the RFC 7638 thumbprint (%v)", alg, jwk.KeyID, err)
		}
		sig, err := jose.ParseSigned(get("tok"), []jose.SignatureAlgorithm{jose.RS256, jose.EdDSA})
		if err != nil {
			t.Fatal(err)
		}
		payload, err := sig.Verify(jwk)
		if err != nil {
			t.Fatalf("%s: go-jose does not verify the token: %v", alg, err)
		}
		if string(payload) != `{"sub":"42","aud":"cli"}` {
			t.Errorf("payload %s", payload)
		}
		if sig.Signatures[0].Header.KeyID != jwk.KeyID {
			t.Errorf("kid %q vs %q", sig.Signatures[0].Header.KeyID, jwk.KeyID)
		}
		if get("ok") != `{"sub":"42","aud":"cli"}` {
			t.Errorf("%s: oidc/verify gave %q", alg, get("ok"))
		}
		if x, _ := v.Get("other"); x != nil {
			t.Errorf("%s: verified against another key", alg)
		}
		if strings.Contains(get("sealed"), "PRIVATE") {
			t.Error("the sealed key is PEM text")
		}
	}
}

// A sealed key opens only as its own kid: swapping rows or changing a
// byte makes signing fail.
func TestSealedKeyBound(t *testing.T) {
	env := stdlib.NewEnv()
	env.DefinePrimitives(Primitives()...)
	_, err := env.NewThread(nil).EvalString("test", `(let ((a (oidc/new-key "EdDSA")) (b (oidc/new-key "EdDSA")))
	   (oidc/sign "{}" {:kid (get a :kid) :alg "EdDSA" :private_sealed (get b :private-sealed)}))`)
	if err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("another key's sealed private key signed: %v", err)
	}
}

func TestBasicCredentials(t *testing.T) {
	// RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
	v := eval(t, `(basic-credentials "Basic bXklM0FjbGllbnQ6cyUyNWVjcmV0K3g=")`).(*runtime.Dict)
	u, _ := v.Get("username")
	p, _ := v.Get("password")
	if u != "my:client" || p != "s%ecret x" {
		t.Fatalf("got %q %q", u, p)
	}
	for _, h := range []string{"Bearer abc", "Basic !!!", "Basic Zm9v", ""} {
		if v := eval(t, `(basic-credentials "`+h+`")`); v != nil {
			t.Errorf("%q gave %v", h, v)
		}
	}
}
