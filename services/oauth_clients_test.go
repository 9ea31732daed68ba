package services_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// Issue 9, finding 8: the client registry create-auth-code checks, and the
// exchange's client authentication.
func TestOAuthClientRegistry(t *testing.T) {
	r := newOAuth(t)
	uid, _ := oaUser(t)
	id := "app-" + uniq(t)
	cb := "https://app.example.org/cb"
	reg := r.issue("register-oauth-client", "client_secret", map[string]any{
		"client-id": id, "name": "App", "redirect-uris": []string{cb, "https://app.example.org/cb2"},
		"allowed-scopes": "openid profile", "post-logout-redirect-uris": []string{"https://app.example.org/"}})
	if reg["client_type"] != "confidential" || reg["name"] != "App" || len(reg["redirect_uris"].([]any)) != 2 {
		t.Fatalf("register-oauth-client: %v", reg)
	}
	secret := reg["client_secret"].(string)
	if n := scalar[int64](t, "select count(*) from oauth_clients where client_id = $1 and secret_hash = $2", id, sha256Hex(secret)); n != 1 {
		t.Fatal("the client secret is not stored as its hash")
	}
	got := wantObj(t, r.q("oauth-client", vals("client-id", id)))
	if _, leaked := got["secret_hash"]; leaked || got["client_secret"] != nil || got["client_id"] != id {
		t.Fatalf("oauth-client: %v", got)
	}
	wantError(t, r.a("register-oauth-client", map[string]any{"client-id": id, "name": "Again", "redirect-uris": []string{cb}}), 409, "already registered")
	wantBadParam(t, r.a("register-oauth-client", map[string]any{"client-id": "x-" + uniq(t), "name": "N", "redirect-uris": []string{"ftp://x/"}}), "redirect-uris")
	wantBadParam(t, r.a("register-oauth-client", map[string]any{"client-id": "x-" + uniq(t), "name": "N", "redirect-uris": []string{}}), "redirect-uris")
	wantBadParam(t, r.a("register-oauth-client", map[string]any{"client-id": "x-" + uniq(t), "name": "N", "redirect-uris": []string{cb}, "client-type": "trusted"}), "client-type")
	wantNull(t, r.q("oauth-client", vals("client-id", "nobody-"+uniq(t))))

	code := func(extra map[string]any) call {
		body := map[string]any{"user-id": uid, "client-id": id, "redirect-uri": cb, "issuer-session": "s-" + uniq(t),
			"code-challenge": oaChallenge, "scope": "openid"}
		for k, v := range extra {
			body[k] = v
		}
		return r.a("create-auth-code", body)
	}
	// Only registered clients, exact redirect URIs, allowed scopes.
	wantError(t, code(map[string]any{"client-id": "nobody-" + uniq(t)}), 400, "not a registered OAuth client")
	for _, uri := range []string{cb + "/", cb + "?x=1", "https://app.example.org/CB", "https://evil.example.org/cb"} {
		wantError(t, code(map[string]any{"redirect-uri": uri}), 400, "redirect-uri is not one registered")
	}
	wantError(t, code(map[string]any{"scope": "openid admin"}), 400, "scope admin is not allowed")
	if n := scalar[int64](t, "select count(*) from oauth_codes where client_id = $1", id); n != 0 {
		t.Fatalf("refused requests wrote %d codes", n)
	}

	// A confidential client proves itself at the exchange.
	c := wantObj(t, code(nil))
	r.secret("create-auth-code", "code", c)
	ex := map[string]any{"code": c["code"], "client-id": id, "redirect-uri": cb, "code-verifier": oaVerifier}
	wantNull(t, r.a("exchange-auth-code", ex))
	ex["client-secret"] = strings.Repeat("w", 43)
	wantNull(t, r.a("exchange-auth-code", ex))
	ex["client-secret"] = secret
	g := wantObj(t, r.a("exchange-auth-code", ex))
	r.secret("exchange-auth-code", "token", g)
	if g["client_id"] != id || g["scope"] != "openid" {
		t.Fatalf("exchange: %v", g)
	}

	// A disabled client gets no code, and cannot exchange one it has.
	c2 := wantObj(t, code(map[string]any{"redirect-uri": "https://app.example.org/cb2"}))
	r.secret("create-auth-code", "code", c2)
	exec(t, "update oauth_clients set disabled_at = now() where client_id = $1", id)
	wantError(t, code(nil), 400, "not a registered OAuth client")
	wantNull(t, r.a("exchange-auth-code", map[string]any{"code": c2["code"], "client-id": id,
		"redirect-uri": "https://app.example.org/cb2", "code-verifier": oaVerifier, "client-secret": secret}))
}

// Issue 9, finding 8: grants expire after OAUTH_GRANT_TTL unused, and
// verify-grant renews one used after half its lifetime.
func TestOAuthGrantExpiry(t *testing.T) {
	_, urls := platformWith(t, host.Options{Getenv: func(k string) string {
		if k == "OAUTH_GRANT_TTL" {
			return "3600"
		}
		return ""
	}}, "federation")
	r := &oauthRec{t: t, base: urls["federation"], issued: map[string]string{}}
	t.Cleanup(r.audit)
	oaRegisterBlog(t)
	uid, _ := oaUser(t)
	expiresIn := func(token string) time.Duration {
		return time.Duration(scalar[float64](t, "select extract(epoch from expires_at - now()) from oauth_grants where token = $1", sha256Hex(token))) * time.Second
	}
	near := func(d, want time.Duration) bool { return d > want-time.Minute && d <= want }

	g := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "cart", "issuer-session": uniq(t)})
	tok := g["token"].(string)
	if d := expiresIn(tok); !near(d, time.Hour) {
		t.Fatalf("a new grant expires in %v, want OAUTH_GRANT_TTL (1h)", d)
	}
	// Used early: not renewed (no write per request).
	exec(t, "update oauth_grants set expires_at = now() + interval '50 minutes' where token = $1", sha256Hex(tok))
	v := wantObj(t, r.q("verify-grant", vals("token", tok)))
	if d := expiresIn(tok); !near(d, 50*time.Minute) || v["expires_at"] == nil {
		t.Fatalf("a grant used with 50 of 60 minutes left was renewed to %v: %v", d, v)
	}
	// Used after half its lifetime: renewed for a full one.
	exec(t, "update oauth_grants set expires_at = now() + interval '10 minutes' where token = $1", sha256Hex(tok))
	wantObj(t, r.q("verify-grant", vals("token", tok)))
	if d := expiresIn(tok); !near(d, time.Hour) {
		t.Fatalf("a grant used with 10 minutes left expires in %v, want renewed to 1h", d)
	}
	// Past its expiry: dead, and not revived by use.
	exec(t, "update oauth_grants set expires_at = now() - interval '1 second' where token = $1", sha256Hex(tok))
	wantNull(t, r.q("verify-grant", vals("token", tok)))
	if d := expiresIn(tok); d > 0 {
		t.Fatalf("an expired grant was revived: %v", d)
	}

	// The code flow's grant gets its lifetime at the exchange.
	code, _ := oaCode(t, r, uid, nil)
	ex := wantObj(t, oaExchange(r, code, nil))
	if d := expiresIn(r.secret("exchange-auth-code", "token", ex)); !near(d, time.Hour) || ex["expires_at"] == nil {
		t.Fatalf("an exchanged grant expires in %v: %v", d, ex)
	}
}
