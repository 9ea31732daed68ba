package services_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rose-ash/sxhost/host"
)

// rp is a relying party registered at the provider: a client of the
// standard libraries, golang.org/x/oauth2 and coreos/go-oidc.
type rp struct {
	id, secret string
	redirect   string
	conf       oauth2.Config
	provider   *oidc.Provider
}

// register registers a client through federation's own action and sets
// up the libraries against the provider's discovery document.
func (p *provider) register(kind string, firstParty bool) *rp {
	p.t.Helper()
	id := "rp-" + uniq(p.t)
	if len(id) > 64 {
		id = id[:64]
	}
	redirect := "http://127.0.0.1:1/cb/" + strconv.FormatInt(seq.Add(1), 10)
	c := action(p.t, p.base, "register-oauth-client", map[string]any{"client-id": id, "name": "Test App " + id[:10],
		"redirect-uris": []string{redirect}, "client-type": kind, "first-party": firstParty,
		"post-logout-redirect-uris": []string{"http://127.0.0.1:1/bye"}})
	wantStatus(p.t, c, 200)
	secret, _ := wantObj(p.t, c)["client_secret"].(string)
	ctx := context.Background()
	prov, err := oidc.NewProvider(ctx, p.base)
	if err != nil {
		p.t.Fatalf("discovery: %v", err)
	}
	r := &rp{id: id, secret: secret, redirect: redirect, provider: prov}
	r.conf = oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: prov.Endpoint(), RedirectURL: redirect,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	if kind == "public" {
		r.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return r
}

// authorize follows an authorization request in browser b (allowing at the
// consent page when there is one) and returns the redirect to the client.
func (p *provider) authorize(b *browser, authURL string) *url.URL {
	p.t.Helper()
	a := b.get(authURL)
	if a.Status == 200 && strings.Contains(a.Body, `name="decision"`) {
		u, _ := url.Parse(authURL)
		form := u.Query()
		form.Set("csrf_token", b.csrf(a))
		form.Set("decision", "allow")
		a = b.post(p.base+"/oauth/authorize", form)
	}
	if a.Status != 303 {
		p.t.Fatalf("authorize: %d %s", a.Status, a.Body)
	}
	u, err := url.Parse(a.Header.Get("Location"))
	if err != nil {
		p.t.Fatal(err)
	}
	return u
}

func bg() context.Context { return context.Background() }

// oauthErr is the OAuth error code of an x/oauth2 failure.
func oauthErr(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// userinfoStatus is the status of a userinfo request with an access token.
func (p *provider) userinfoStatus(access string) int {
	req, _ := http.NewRequest("GET", p.base+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// introspect asks the provider about a token as confidential client r.
func (p *provider) introspect(r *rp, token string) map[string]any {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.base+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(r.id), url.QueryEscape(r.secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(body, &m) != nil {
		p.t.Fatalf("introspect: %d %s", resp.StatusCode, body)
	}
	return m
}

func formPost(t *testing.T, u string, form url.Values, user, pass string) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(body)}
}

// A confidential third-party client through x/oauth2 and go-oidc: consent,
// authorization code with PKCE, ID token verified against the JWKS (nonce,
// auth_time, sid), userinfo, refresh with rotation and reuse detection,
// introspection and revocation.
func TestOIDCConfidentialClient(t *testing.T) {
	p := newProvider(t, host.Options{})
	r := p.register("confidential", false)
	b := newBrowser(t)
	addr := uniq(t) + "@example.org"
	p.signIn(b, addr, "/")

	verifier := oauth2.GenerateVerifier()
	state, nonce := "st-"+uniq(t), "n-"+uniq(t)
	// The consent page names the client and the scopes.
	consent := b.get(r.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
	if consent.Status != 200 || !strings.Contains(consent.Body, "Test App") || !strings.Contains(consent.Body, "See your e-mail address") {
		t.Fatalf("consent page: %d %s", consent.Status, consent.Body)
	}
	back := p.authorize(b, r.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
	if got := back.Scheme + "://" + back.Host + back.Path; got != r.redirect {
		t.Fatalf("redirected to %s, want %s", got, r.redirect)
	}
	q := back.Query()
	if q.Get("state") != state || q.Get("iss") != p.base || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	code := q.Get("code")
	tok, err := r.conf.Exchange(bg(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.Expiry.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("token %+v", tok)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.provider.Verifier(&oidc.Config{ClientID: r.id}).Verify(bg(), raw)
	if err != nil {
		t.Fatalf("ID token does not verify against the JWKS: %v", err)
	}
	var claims struct {
		Email    string `json:"email"`
		Verified bool   `json:"email_verified"`
		AuthTime int64  `json:"auth_time"`
		Sid      string `json:"sid"`
	}
	idt.Claims(&claims)
	if idt.Nonce != nonce || idt.Issuer != p.base || claims.Email != addr || !claims.Verified || claims.Sid == "" ||
		time.Since(time.Unix(claims.AuthTime, 0)) > time.Minute {
		t.Fatalf("ID token claims: nonce %q iss %q %+v", idt.Nonce, idt.Issuer, claims)
	}
	uid := scalar[int](t, "select id from users where email = $1", addr)
	if idt.Subject != strconv.Itoa(uid) {
		t.Fatalf("sub %q, want %d", idt.Subject, uid)
	}
	info, err := r.provider.UserInfo(bg(), oauth2.StaticTokenSource(tok))
	if err != nil || info.Email != addr || info.Subject != idt.Subject {
		t.Fatalf("userinfo: %+v %v", info, err)
	}
	// Tokens are stored only as hashes.
	if n := scalar[int](t, "select count(*)::int from oauth_tokens where token in ($1, $2)", tok.AccessToken, tok.RefreshToken); n != 0 {
		t.Fatal("a token is stored in the clear")
	}
	if n := scalar[int](t, "select count(*)::int from oauth_tokens where token = $1", sha256Hex(tok.AccessToken)); n != 1 {
		t.Fatal("the access token's hash is not stored")
	}
	if m := p.introspect(r, tok.AccessToken); m["active"] != true || m["client_id"] != r.id || m["username"] != addr || m["sub"] != idt.Subject {
		t.Fatalf("introspect: %v", m)
	}

	// Refresh: a new pair; the old refresh token is used up.
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	fresh, err := r.conf.TokenSource(bg(), &old).Token()
	if err != nil || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %+v %v", fresh, err)
	}
	if raw2, _ := fresh.Extra("id_token").(string); raw2 == "" {
		t.Error("no ID token on refresh")
	} else if idt2, err := r.provider.Verifier(&oidc.Config{ClientID: r.id}).Verify(bg(), raw2); err != nil || idt2.Subject != idt.Subject {
		t.Errorf("refreshed ID token: %v", err)
	}
	if p.userinfoStatus(fresh.AccessToken) != 200 {
		t.Fatal("the refreshed access token does not work")
	}
	// Reuse of the rotated refresh token: refused, and the whole family dies.
	_, err = r.conf.TokenSource(bg(), &old).Token()
	if oauthErr(err) != "invalid_grant" {
		t.Fatalf("reused refresh token: %v", err)
	}
	if s := p.userinfoStatus(fresh.AccessToken); s != 401 {
		t.Fatalf("after refresh-token reuse the family's access token answers %d", s)
	}
	next := *fresh
	next.Expiry = time.Now().Add(-time.Minute)
	if _, err := r.conf.TokenSource(bg(), &next).Token(); oauthErr(err) != "invalid_grant" {
		t.Fatalf("after reuse the newest refresh token still works: %v", err)
	}
	if m := p.introspect(r, fresh.AccessToken); m["active"] != false {
		t.Fatalf("introspect after reuse: %v", m)
	}

	// A second code: the code used twice revokes what it issued.
	verifier = oauth2.GenerateVerifier()
	back = p.authorize(b, r.conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier)))
	code = back.Query().Get("code")
	tok, err = r.conf.Exchange(bg(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.conf.Exchange(bg(), code, oauth2.VerifierOption(verifier)); oauthErr(err) != "invalid_grant" {
		t.Fatalf("code reuse: %v", err)
	}
	if s := p.userinfoStatus(tok.AccessToken); s != 401 {
		t.Fatalf("code reuse did not revoke the tokens of the first exchange: userinfo %d", s)
	}

	// Revocation (RFC 7009) of a refresh token kills its access token too.
	verifier = oauth2.GenerateVerifier()
	back = p.authorize(b, r.conf.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier)))
	tok, _ = r.conf.Exchange(bg(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	a := formPost(t, p.base+"/oauth/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}, r.id, r.secret)
	if a.Status != 200 {
		t.Fatalf("revoke: %d %s", a.Status, a.Body)
	}
	if m := p.introspect(r, tok.AccessToken); m["active"] != false {
		t.Fatalf("introspect after revocation: %v", m)
	}
	// An unknown token is a 200 as well; a wrong secret is invalid_client.
	if a := formPost(t, p.base+"/oauth/revoke", url.Values{"token": {"nonsense"}}, r.id, r.secret); a.Status != 200 {
		t.Fatalf("revoke unknown: %d", a.Status)
	}
	a = formPost(t, p.base+"/oauth/revoke", url.Values{"token": {tok.AccessToken}}, r.id, "wrong")
	if a.Status != 401 || !strings.Contains(a.Body, "invalid_client") || a.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("wrong secret: %d %v %s", a.Status, a.Header, a.Body)
	}
	// client_secret_post works as well as Basic.
	verifier = oauth2.GenerateVerifier()
	back = p.authorize(b, r.conf.AuthCodeURL("s4", oauth2.S256ChallengeOption(verifier)))
	post := r.conf
	post.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	if _, err := post.Exchange(bg(), back.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("client_secret_post: %v", err)
	}
	// Without its secret a confidential client gets nothing.
	nosecret := r.conf
	nosecret.ClientSecret = ""
	nosecret.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier = oauth2.GenerateVerifier()
	back = p.authorize(b, r.conf.AuthCodeURL("s5", oauth2.S256ChallengeOption(verifier)))
	if _, err := nosecret.Exchange(bg(), back.Query().Get("code"), oauth2.VerifierOption(verifier)); oauthErr(err) != "invalid_client" {
		t.Fatalf("no secret: %v", err)
	}
}

// A public first-party client: no consent page, PKCE instead of a secret.
func TestOIDCPublicFirstPartyClient(t *testing.T) {
	p := newProvider(t, host.Options{})
	r := p.register("public", true)
	b := newBrowser(t)
	p.signIn(b, uniq(t)+"@example.org", "/")
	verifier := oauth2.GenerateVerifier()
	a := b.get(r.conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	if a.Status != 303 {
		t.Fatalf("first-party authorize: %d (a consent page?) %s", a.Status, a.Body)
	}
	u, _ := url.Parse(a.Header.Get("Location"))
	tok, err := r.conf.Exchange(bg(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("exchange: %v", err)
	}
	// A wrong verifier is refused (and leaves nothing issued).
	verifier2 := oauth2.GenerateVerifier()
	a = b.get(r.conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier2)))
	u, _ = url.Parse(a.Header.Get("Location"))
	if _, err := r.conf.Exchange(bg(), u.Query().Get("code"), oauth2.VerifierOption(verifier)); oauthErr(err) != "invalid_grant" {
		t.Fatalf("wrong verifier: %v", err)
	}
	// Refresh works for a public client too.
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	if fresh, err := r.conf.TokenSource(bg(), &old).Token(); err != nil || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("public refresh: %v", err)
	}
}

// The authorization endpoint's checks: registered client and exact
// redirect_uri (an error page, never a redirect), PKCE S256 required,
// state returned, prompt=none without a session, consent for third
// parties, scopes within the client's.
func TestOIDCAuthorizeChecks(t *testing.T) {
	p := newProvider(t, host.Options{})
	r := p.register("confidential", false)
	anon := newBrowser(t)
	ch := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	for name, u := range map[string]string{
		"unknown client":  strings.Replace(r.conf.AuthCodeURL("s", ch), "client_id="+url.QueryEscape(r.id), "client_id=nobody", 1),
		"redirect prefix": strings.Replace(r.conf.AuthCodeURL("s", ch), url.QueryEscape(r.redirect), url.QueryEscape(r.redirect+"x"), 1),
		"redirect query":  strings.Replace(r.conf.AuthCodeURL("s", ch), url.QueryEscape(r.redirect), url.QueryEscape(r.redirect+"?a=1"), 1),
		"other host":      strings.Replace(r.conf.AuthCodeURL("s", ch), url.QueryEscape(r.redirect), url.QueryEscape("https://evil.example/cb"), 1),
	} {
		a := anon.get(u)
		if a.Status != 400 || a.Header.Get("Location") != "" {
			t.Errorf("%s: %d %q (want a 400 page, no redirect)", name, a.Status, a.Header.Get("Location"))
		}
	}
	errorOf := func(a answer) url.Values {
		t.Helper()
		if a.Status != 303 {
			t.Fatalf("want a redirect to the client: %d %s", a.Status, a.Body)
		}
		u, _ := url.Parse(a.Header.Get("Location"))
		if !strings.HasPrefix(a.Header.Get("Location"), r.redirect+"?") {
			t.Fatalf("redirected to %s", u)
		}
		return u.Query()
	}
	// No PKCE.
	q := errorOf(anon.get(r.conf.AuthCodeURL("s1")))
	if q.Get("error") != "invalid_request" || q.Get("state") != "s1" || !strings.Contains(q.Get("error_description"), "code_challenge") {
		t.Errorf("without PKCE: %v", q)
	}
	// plain PKCE.
	q = errorOf(anon.get(r.conf.AuthCodeURL("s2", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
		oauth2.SetAuthURLParam("code_challenge_method", "plain"))))
	if q.Get("error") != "invalid_request" {
		t.Errorf("plain PKCE: %v", q)
	}
	// response_type token.
	q = errorOf(anon.get(strings.Replace(r.conf.AuthCodeURL("s3", ch), "response_type=code", "response_type=token", 1)))
	if q.Get("error") != "unsupported_response_type" || q.Get("state") != "s3" {
		t.Errorf("response_type=token: %v", q)
	}
	// prompt=none without a session.
	q = errorOf(anon.get(r.conf.AuthCodeURL("s4", ch, oauth2.SetAuthURLParam("prompt", "none"))))
	if q.Get("error") != "login_required" || q.Get("state") != "s4" || q.Get("iss") != p.base {
		t.Errorf("prompt=none anonymous: %v", q)
	}
	// Anonymous without prompt: to the login page, which comes back here.
	a := anon.get(r.conf.AuthCodeURL("s5", ch))
	if a.Status != 303 || !strings.HasPrefix(p.local(a), "/auth/login?next=%2Foauth%2Fauthorize%3F") {
		t.Fatalf("anonymous authorize: %d %q", a.Status, p.local(a))
	}
	// After signing in through that next, the browser is back at the
	// authorization request, now at the consent page.
	b := newBrowser(t)
	login, _ := url.Parse(p.base + p.local(a))
	loc := p.signIn(b, uniq(t)+"@example.org", login.Query().Get("next"))
	if !strings.HasPrefix(loc, "/oauth/authorize?") {
		t.Fatalf("after login: %q", loc)
	}
	if c := b.get(p.base + loc); c.Status != 200 || !strings.Contains(c.Body, "Allow") {
		t.Fatalf("consent after login: %d", c.Status)
	}
	// prompt=none for a third party without consent: consent_required.
	q = errorOf(b.get(r.conf.AuthCodeURL("s6", ch, oauth2.SetAuthURLParam("prompt", "none"))))
	if q.Get("error") != "consent_required" {
		t.Errorf("prompt=none third party: %v", q)
	}
	// Deny at the consent page.
	u, _ := url.Parse(r.conf.AuthCodeURL("s7", ch))
	form := u.Query()
	form.Set("csrf_token", b.csrf(b.get(u.String())))
	form.Set("decision", "deny")
	q = errorOf(b.post(p.base+"/oauth/authorize", form))
	if q.Get("error") != "access_denied" || q.Get("state") != "s7" {
		t.Errorf("deny: %v", q)
	}
	// The consent form needs its CSRF token.
	form.Del("csrf_token")
	form.Set("decision", "allow")
	if a := b.post(p.base+"/oauth/authorize", form); a.Status != 403 {
		t.Errorf("consent without csrf_token: %d", a.Status)
	}
	// A scope the client may not have.
	exec(t, "update oauth_clients set allowed_scopes = 'openid email' where client_id = $1", r.id)
	q = errorOf(b.get(r.conf.AuthCodeURL("s8", ch)))
	if q.Get("error") != "invalid_scope" || !strings.Contains(q.Get("error_description"), "profile") {
		t.Errorf("scope beyond the client's: %v", q)
	}
}

// Discovery and JWKS, and key rotation with overlap: a successor is
// published a day before it signs, the old key stays published after it
// retires, and private keys are stored sealed.
func TestOIDCDiscoveryAndKeyRotation(t *testing.T) {
	p := newProvider(t, host.Options{})
	var doc map[string]any
	a := newBrowser(t).get(p.base + "/.well-known/openid-configuration")
	if a.Status != 200 || json.Unmarshal([]byte(a.Body), &doc) != nil || doc["issuer"] != p.base ||
		doc["jwks_uri"] != p.base+"/oauth/jwks" || doc["end_session_endpoint"] != p.base+"/oauth/logout" ||
		doc["device_authorization_endpoint"] != p.base+"/oauth/device/authorize" ||
		doc["frontchannel_logout_supported"] != true || doc["frontchannel_logout_session_supported"] != true {
		t.Fatalf("discovery: %d %s", a.Status, a.Body)
	}
	if a.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("discovery is not readable cross-origin")
	}
	kids := func() []string {
		var set struct {
			Keys []struct {
				Kid, Kty, Alg string
			}
		}
		a := newBrowser(t).get(p.base + "/oauth/jwks")
		if err := json.Unmarshal([]byte(a.Body), &set); err != nil || a.Status != 200 {
			t.Fatalf("jwks: %d %s", a.Status, a.Body)
		}
		var out []string
		for _, k := range set.Keys {
			if k.Kty != "RSA" || k.Alg != "RS256" {
				t.Fatalf("key %+v", k)
			}
			out = append(out, k.Kid)
		}
		return out
	}
	if len(kids()) == 0 {
		t.Fatal("no published key")
	}
	if n := scalar[int](t, "select count(*)::int from oidc_keys where private_sealed like '%PRIVATE KEY%' or private_sealed not like 'v1.%'"); n != 0 {
		t.Fatal("a private key is stored unsealed")
	}
	fed := p.plat.Service("federation")
	run := func() {
		if _, err := fed.RunJob(bg(), "rotate-signing-keys"); err != nil {
			t.Fatal(err)
		}
	}
	signer := func() string {
		return scalar[string](t, "select kid from oidc_keys where signs_from <= now() and retired_at is null order by signs_from desc, id desc limit 1")
	}
	run()
	first := signer()
	before := len(kids())
	// Nothing to do for a young key.
	if len(kids()) != before {
		t.Fatal("a young key was rotated")
	}
	// 29+ days old: a successor appears in the JWKS but does not sign yet.
	exec(t, "update oidc_keys set created_at = now() - interval '29 days 1 hour', signs_from = now() - interval '29 days 1 hour' where kid = $1", first)
	run()
	ks := kids()
	if len(ks) != before+1 || signer() != first {
		t.Fatalf("after rotation: %d keys (before %d), signer %s (first %s)", len(ks), before, signer(), first)
	}
	next := scalar[string](t, "select kid from oidc_keys where signs_from > now()")
	// A day later the successor signs; the old key is retired but still
	// published for tokens it signed.
	exec(t, "update oidc_keys set signs_from = now() - interval '1 second' where kid = $1", next)
	run()
	if signer() != next {
		t.Fatalf("the successor does not sign: %s", signer())
	}
	if !contains(kids(), first) || !contains(kids(), next) {
		t.Fatal("both keys must be published during the overlap")
	}
	r := p.register("public", true)
	b := newBrowser(t)
	p.signIn(b, uniq(t)+"@example.org", "/")
	verifier := oauth2.GenerateVerifier()
	u := p.authorize(b, r.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	tok, err := r.conf.Exchange(bg(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if _, err := r.provider.Verifier(&oidc.Config{ClientID: r.id}).Verify(bg(), raw); err != nil {
		t.Fatalf("ID token by the new key: %v", err)
	}
	header, _ := base64Decode(strings.Split(raw, ".")[0])
	if !strings.Contains(header, next) {
		t.Fatalf("ID token header %s does not name the new key %s", header, next)
	}
	// After the overlap the old key leaves the JWKS.
	exec(t, "update oidc_keys set unpublish_at = now() - interval '1 second' where kid = $1", first)
	run()
	if contains(kids(), first) {
		t.Fatal("the retired key is still published after its overlap")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var iframeSrc = regexp.MustCompile(`<iframe src="([^"]*)"`)

// iframeSources are the src of the iframes of an HTML page, in order.
func iframeSources(body string) []string {
	var out []string
	for _, m := range iframeSrc.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func base64Decode(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}

// RP-initiated logout: the ID token names the client, the registered
// post-logout URI gets state, the login session ends, its grants are
// revoked (access tokens die), and the front-channel logout page loads the
// front-channel logout URI of each client the session signed in to (with
// iss and sid when the client asks for them) in a hidden iframe, its
// policy framing exactly those origins, before it continues.
func TestOIDCLogout(t *testing.T) {
	p := newProvider(t, host.Options{})
	r := p.register("confidential", false)
	fp := p.register("public", true)
	idle := p.register("public", false) // never signed in to: no iframe
	exec(t, "update oauth_clients set redirect_uris = array['http://127.0.0.1:7/auth/callback'] where client_id = $1", fp.id)
	exec(t, "update oauth_clients set frontchannel_logout_uri = 'http://127.0.0.1:1/fc?app=1', frontchannel_logout_session_required = true where client_id = $1", r.id)
	exec(t, "update oauth_clients set frontchannel_logout_uri = 'http://127.0.0.1:7/auth/sso-clear' where client_id = $1", fp.id)
	exec(t, "update oauth_clients set frontchannel_logout_uri = 'http://127.0.0.1:9/fc' where client_id = $1", idle.id)
	fp.conf.RedirectURL = "http://127.0.0.1:7/auth/callback"
	b := newBrowser(t)
	p.signIn(b, uniq(t)+"@example.org", "/")
	u, _ := url.Parse(p.base)
	signedInCookie := b.jar.Cookies(u)
	verifier := oauth2.GenerateVerifier()
	back := p.authorize(b, r.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n")))
	tok, err := r.conf.Exchange(bg(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	v2 := oauth2.GenerateVerifier()
	back = p.authorize(b, fp.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v2)))
	fpTok, err := fp.conf.Exchange(bg(), back.Query().Get("code"), oauth2.VerifierOption(v2))
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	verified, err := r.provider.Verifier(&oidc.Config{ClientID: r.id}).Verify(bg(), idToken)
	var claims struct {
		Sid string `json:"sid"`
	}
	if err != nil || verified.Claims(&claims) != nil || claims.Sid == "" {
		t.Fatalf("the ID token's sid: %v %+v", err, claims)
	}
	a := b.get(p.base + "/oauth/logout?" + url.Values{"id_token_hint": {idToken},
		"post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}, "state": {"after"}}.Encode())
	if a.Status != 303 || p.local(a) != "/oauth/logout/frontchannel" {
		t.Fatalf("logout: %d %q %s", a.Status, p.local(a), a.Body)
	}
	page := b.get(p.base + "/oauth/logout/frontchannel")
	frames := iframeSources(page.Body)
	wantFrames := []string{"http://127.0.0.1:1/fc?app=1&iss=" + url.QueryEscape(p.base) + "&sid=" + url.QueryEscape(claims.Sid),
		"http://127.0.0.1:7/auth/sso-clear"}
	if page.Status != 200 || strings.Join(frames, " ") != strings.Join(wantFrames, " ") {
		t.Fatalf("front-channel logout page: %d, iframes %q, want %q", page.Status, frames, wantFrames)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "; frame-src 'self' http://127.0.0.1:1 http://127.0.0.1:7; ") {
		t.Errorf("the page's policy does not frame exactly the clients' origins: %q", csp)
	}
	if !strings.Contains(page.Body, `id="logout-continue" href="http://127.0.0.1:1/bye?state=after"`) ||
		!strings.Contains(page.Body, "/static/logout.") {
		t.Errorf("the page has no continue link to the post-logout URI or no script: %s", page.Body)
	}
	// Shown once: a reload goes on.
	if again := b.get(p.base + "/oauth/logout/frontchannel"); again.Status != 303 {
		t.Errorf("the page again: %d", again.Status)
	}
	if p.signedIn(b) {
		t.Fatal("still signed in after logout")
	}
	for name, access := range map[string]string{"third party": tok.AccessToken, "first party": fpTok.AccessToken} {
		if s := p.userinfoStatus(access); s != 401 {
			t.Errorf("%s access token after logout: %d", name, s)
		}
	}
	// A copy of the cookie from before the logout signs no one in.
	thief := newBrowser(t)
	thief.jar.SetCookies(u, signedInCookie)
	if p.signedIn(thief) {
		t.Fatal("a copy of the signed-in cookie still works after logout")
	}
	// An unregistered post-logout URI is ignored.
	c := newBrowser(t)
	p.signIn(c, uniq(t)+"@example.org", "/")
	a = c.get(p.base + "/oauth/logout?" + url.Values{"client_id": {fp.id}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
	a = c.get(p.base + "/oauth/logout/frontchannel") // signed in to no client: no page, straight on
	if a.Header.Get("Location") != p.base+"/auth/logged-out" {
		t.Fatalf("unregistered post_logout_redirect_uri: %q", a.Header.Get("Location"))
	}
	// Without an ID token or a first-party client, logout asks first
	// (a POST with the CSRF token).
	d := newBrowser(t)
	p.signIn(d, uniq(t)+"@example.org", "/")
	a = d.get(p.base + "/oauth/logout")
	if a.Status != 200 || !strings.Contains(a.Body, "Sign out?") {
		t.Fatalf("unconfirmed logout: %d", a.Status)
	}
	if !p.signedIn(d) {
		t.Fatal("a bare GET signed the user out")
	}
	if a := d.post(p.base+"/oauth/logout", url.Values{}); a.Status != 403 {
		t.Fatalf("logout POST without csrf: %d", a.Status)
	}
	a = d.post(p.base+"/oauth/logout", url.Values{"csrf_token": {d.csrf(a)}})
	if a.Status != 303 || p.signedIn(d) {
		t.Fatalf("confirmed logout: %d", a.Status)
	}
}

// The device flow through x/oauth2 (RFC 8628), approved on /device by a
// signed-in person; and its errors: authorization_pending, slow_down,
// access_denied, expired_token.
func TestOIDCDeviceFlow(t *testing.T) {
	p := newProvider(t, host.Options{})
	r := p.register("public", false)
	r.conf.Endpoint.DeviceAuthURL = p.base + "/oauth/device/authorize"
	r.conf.Scopes = []string{"openid", "email"}
	resp, err := r.conf.DeviceAuth(bg())
	if err != nil {
		t.Fatalf("device authorize: %v", err)
	}
	if resp.VerificationURI != p.base+"/device" || !strings.Contains(resp.VerificationURIComplete, "user_code=") || resp.Interval != 5 {
		t.Fatalf("device response %+v", resp)
	}
	// The page asks an anonymous visitor to sign in first, then confirms.
	b := newBrowser(t)
	a := b.get(resp.VerificationURIComplete)
	if a.Status != 303 || !strings.HasPrefix(p.local(a), "/auth/login?next=") {
		t.Fatalf("anonymous /device: %d %q", a.Status, p.local(a))
	}
	addr := uniq(t) + "@example.org"
	loc := p.signIn(b, addr, "/device?user_code="+url.QueryEscape(resp.UserCode))
	page := b.get(p.base + loc)
	if page.Status != 200 || !strings.Contains(page.Body, resp.UserCode) || !strings.Contains(page.Body, "Approve") {
		t.Fatalf("device page: %d %s", page.Status, page.Body)
	}
	// Polling before approval: authorization_pending, then slow_down.
	poll := func(dc string) answer {
		return formPost(t, p.base+"/oauth/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
			"device_code": {dc}, "client_id": {r.id}}, "", "")
	}
	if a := poll(resp.DeviceCode); a.Status != 400 || !strings.Contains(a.Body, `"authorization_pending"`) {
		t.Fatalf("first poll: %d %s", a.Status, a.Body)
	}
	if a := poll(resp.DeviceCode); a.Status != 400 || !strings.Contains(a.Body, `"slow_down"`) {
		t.Fatalf("fast poll: %d %s", a.Status, a.Body)
	}
	exec(t, "update oauth_device_codes set last_polled_at = now() - interval '1 hour', interval_seconds = 1 where device_code = $1", sha256Hex(resp.DeviceCode))
	// The decision form needs its CSRF token.
	if a := b.post(p.base+"/device", url.Values{"user_code": {resp.UserCode}, "decision": {"approve"}}); a.Status != 403 {
		t.Fatalf("device approval without csrf_token: %d", a.Status)
	}
	// Approve (a typed code with another case and no dash works too).
	typed := strings.ToLower(strings.ReplaceAll(resp.UserCode, "-", ""))
	a = b.post(p.base+"/device", url.Values{"csrf_token": {b.csrf(page)}, "user_code": {typed}, "decision": {"approve"}})
	if a.Status != 200 || !strings.Contains(a.Body, "Device connected") {
		t.Fatalf("approve: %d %s", a.Status, a.Body)
	}
	resp.Interval = 1
	ctx, cancel := context.WithTimeout(bg(), 20*time.Second)
	defer cancel()
	tok, err := r.conf.DeviceAccessToken(ctx, resp)
	if err != nil {
		t.Fatalf("device token: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.provider.Verifier(&oidc.Config{ClientID: r.id}).Verify(bg(), raw)
	if err != nil {
		t.Fatalf("device ID token: %v", err)
	}
	var claims struct{ Email string }
	idt.Claims(&claims)
	if claims.Email != addr {
		t.Fatalf("device ID token email %q", claims.Email)
	}
	// The token works as a bearer token for a resource server.
	vt := request(t, "POST", p.base+"/internal/data/verify-access-token", map[string]any{"token": tok.AccessToken})
	if m := wantObj(t, vt); m["email"] != addr || m["client_id"] != r.id {
		t.Fatalf("verify-access-token: %s", vt.Body)
	}
	// Collected once only.
	if a := poll(resp.DeviceCode); a.Status != 400 || !strings.Contains(a.Body, `"invalid_grant"`) {
		t.Fatalf("poll after collection: %d %s", a.Status, a.Body)
	}

	// Denied.
	resp2, _ := r.conf.DeviceAuth(bg())
	page = b.get(resp2.VerificationURIComplete)
	b.post(p.base+"/device", url.Values{"csrf_token": {b.csrf(page)}, "user_code": {resp2.UserCode}, "decision": {"deny"}})
	if _, err := r.conf.DeviceAccessToken(ctx, &oauth2.DeviceAuthResponse{DeviceCode: resp2.DeviceCode, Interval: 1}); oauthErr(err) != "access_denied" {
		t.Fatalf("denied: %v", err)
	}
	// Expired.
	resp3, _ := r.conf.DeviceAuth(bg())
	exec(t, "update oauth_device_codes set expires_at = now() - interval '1 second' where device_code = $1", sha256Hex(resp3.DeviceCode))
	if a := poll(resp3.DeviceCode); !strings.Contains(a.Body, `"expired_token"`) {
		t.Fatalf("expired: %d %s", a.Status, a.Body)
	}
	// A code that is not pending cannot be approved from the page.
	page = b.get(p.base + "/device?user_code=" + url.QueryEscape(resp2.UserCode))
	if page.Status != 400 || !strings.Contains(page.Body, "denied") {
		t.Fatalf("page for a denied code: %d %s", page.Status, page.Body)
	}
}

// The token and device endpoints are rate-limited per client address:
// 429 with Retry-After.
func TestOIDCTokenRateLimit(t *testing.T) {
	p := newProvider(t, host.Options{})
	var last answer
	for i := 0; i < 130; i++ {
		last = formPost(t, p.base+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {"nobody"}}, "", "")
		if last.Status == 429 {
			break
		}
	}
	if last.Status != 429 {
		t.Fatalf("no 429 after 130 token requests: %d", last.Status)
	}
	if s, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
	}
	a := formPost(t, p.base+"/oauth/device/authorize", url.Values{"client_id": {"nobody"}}, "", "")
	if a.Status != 429 || a.Header.Get("Retry-After") == "" {
		t.Fatalf("device endpoint: %d", a.Status)
	}
	// Guessing user codes at /device: 30 tries per 10 minutes.
	b := newBrowser(t)
	p.signIn(b, uniq(t)+"@example.org", "/")
	for i := 0; i < 31; i++ {
		a = b.get(p.base + "/device?user_code=BCDF-GHJK")
		if a.Status == 429 {
			break
		}
		if a.Status != 400 {
			t.Fatalf("unknown user code: %d", a.Status)
		}
	}
	if a.Status != 429 || a.Header.Get("Retry-After") == "" {
		t.Fatalf("after 31 user-code tries: %d", a.Status)
	}
}

// No token ever travels in a URL: every redirect the provider makes
// carries at most an authorization code, state and errors; userinfo does
// not take an access token from the query string.
func TestOIDCNoTokenInURL(t *testing.T) {
	p := newProvider(t, host.Options{})
	r := p.register("confidential", false)
	b := newBrowser(t)
	p.signIn(b, uniq(t)+"@example.org", "/")
	verifier := oauth2.GenerateVerifier()
	back := p.authorize(b, r.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	for k := range back.Query() {
		if k != "code" && k != "state" && k != "iss" {
			t.Errorf("the redirect to the client carries %q", k)
		}
	}
	tok, err := r.conf.Exchange(bg(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	a := newBrowser(t).get(p.base + "/oauth/userinfo?access_token=" + url.QueryEscape(tok.AccessToken))
	if a.Status != 401 {
		t.Fatalf("userinfo with the token in the query: %d", a.Status)
	}
	// The token endpoint's answer is not cacheable.
	verifier = oauth2.GenerateVerifier()
	back = p.authorize(b, r.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	a = formPost(t, p.base+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"redirect_uri": {r.redirect}, "code_verifier": {verifier}}, r.id, r.secret)
	if a.Status != 200 || a.Header.Get("Cache-Control") != "no-store" || a.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("token answer: %d %v", a.Status, a.Header)
	}
}

// prompt=login and max_age make a signed-in user prove the address again
// (a new link); the new sign-in's auth_time is in the ID token, and
// prompt=none with them answers login_required.
func TestOIDCReauth(t *testing.T) {
	p := newProvider(t, host.Options{})
	r := p.register("public", true)
	b := newBrowser(t)
	addr := uniq(t) + "@example.org"
	p.signIn(b, addr, "/")
	exec(t, "update oauth_sessions set auth_time = now() - interval '1 hour' where user_id = (select id from users where email = $1)", addr)
	verifier := oauth2.GenerateVerifier()
	ch := oauth2.S256ChallengeOption(verifier)
	// A young enough sign-in passes max_age.
	if a := b.get(r.conf.AuthCodeURL("s", ch, oauth2.SetAuthURLParam("max_age", "7200"))); a.Status != 303 || !strings.Contains(a.Header.Get("Location"), "code=") {
		t.Fatalf("max_age=7200: %d %q", a.Status, a.Header.Get("Location"))
	}
	for name, opt := range map[string]oauth2.AuthCodeOption{
		"prompt=login": oauth2.SetAuthURLParam("prompt", "login"),
		"max_age=60":   oauth2.SetAuthURLParam("max_age", "60"),
	} {
		a := b.get(r.conf.AuthCodeURL("s", ch, opt))
		if a.Status != 303 || !strings.HasPrefix(p.local(a), "/auth/login?reauth=true&next=") {
			t.Fatalf("%s: %d %q", name, a.Status, p.local(a))
		}
		// The form shows although the browser is signed in.
		form := b.get(p.base + p.local(a))
		if form.Status != 200 || !strings.Contains(form.Body, `type="email"`) {
			t.Fatalf("%s: the re-authentication form: %d", name, form.Status)
		}
		login, _ := url.Parse(p.base + p.local(a))
		next := login.Query().Get("next")
		if strings.Contains(next, "prompt=login") || strings.Contains(next, "max_age") {
			t.Fatalf("%s: the way back asks again: %q", name, next)
		}
		before := time.Now().Add(-2 * time.Second)
		// The link is asked for elsewhere (the form posts the same way) and
		// used in this browser.
		used := b.get(p.requestLink(newBrowser(t), addr, next))
		if used.Status != 303 {
			t.Fatalf("%s: link: %d", name, used.Status)
		}
		a = b.get(p.base + p.local(used))
		if a.Status != 303 || !strings.Contains(a.Header.Get("Location"), "code=") {
			t.Fatalf("%s: after the new sign-in: %d %q", name, a.Status, a.Header.Get("Location"))
		}
		u, _ := url.Parse(a.Header.Get("Location"))
		tok, err := r.conf.Exchange(bg(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := r.provider.Verifier(&oidc.Config{ClientID: r.id}).Verify(bg(), raw)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			AuthTime int64 `json:"auth_time"`
		}
		idt.Claims(&c)
		if time.Unix(c.AuthTime, 0).Before(before) {
			t.Fatalf("%s: auth_time %v is the old sign-in", name, time.Unix(c.AuthTime, 0))
		}
		exec(t, "update oauth_sessions set auth_time = now() - interval '1 hour' where user_id = (select id from users where email = $1)", addr)
	}
	// prompt=none cannot ask: login_required.
	a := b.get(r.conf.AuthCodeURL("s", ch, oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("max_age", "60")))
	if u, _ := url.Parse(a.Header.Get("Location")); a.Status != 303 || u.Query().Get("error") != "login_required" {
		t.Fatalf("prompt=none with max_age: %d %q", a.Status, a.Header.Get("Location"))
	}
}

// Stored consent: the approval of a third-party client is remembered per
// user, client and scopes; a new scope or prompt=consent asks again; the
// person lists and revokes it at /auth/apps, which also revokes the
// client's tokens (seen through x/oauth2's refresh).
func TestOIDCStoredConsent(t *testing.T) {
	p := newProvider(t, host.Options{})
	r := p.register("confidential", false)
	r.conf.Scopes = []string{oidc.ScopeOpenID, "email"}
	b := newBrowser(t)
	addr := uniq(t) + "@example.org"
	p.signIn(b, addr, "/")
	isConsentPage := func(a answer) bool { return a.Status == 200 && strings.Contains(a.Body, `name="decision"`) }
	authURL := func(opts ...oauth2.AuthCodeOption) (string, string) {
		v := oauth2.GenerateVerifier()
		return r.conf.AuthCodeURL("st", append(opts, oauth2.S256ChallengeOption(v))...), v
	}

	u, v := authURL()
	if !isConsentPage(b.get(u)) {
		t.Fatal("the first authorization shows no consent page")
	}
	back := p.authorize(b, u)
	tok, err := r.conf.Exchange(bg(), back.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	uid := scalar[int](t, "select id from users where email = $1", addr)
	if s := scalar[string](t, "select scope from oauth_consents where user_id = $1 and client_id = $2", uid, r.id); s != "email openid" {
		t.Fatalf("stored consent scope %q", s)
	}
	// Within the approved scopes: straight back to the client, also with
	// prompt=none.
	for name, opts := range map[string][]oauth2.AuthCodeOption{"again": nil,
		"prompt=none": {oauth2.SetAuthURLParam("prompt", "none")}} {
		u, v := authURL(opts...)
		a := b.get(u)
		loc, _ := url.Parse(a.Header.Get("Location"))
		if a.Status != 303 || !strings.HasPrefix(a.Header.Get("Location"), r.redirect+"?") || loc.Query().Get("code") == "" {
			t.Fatalf("%s: %d %q (want the code without a consent page)", name, a.Status, a.Header.Get("Location"))
		}
		if _, err := r.conf.Exchange(bg(), loc.Query().Get("code"), oauth2.VerifierOption(v)); err != nil {
			t.Fatalf("%s: exchange: %v", name, err)
		}
	}
	// prompt=consent asks again; so does a scope not approved yet, and
	// approving it adds to the stored scopes.
	if u, _ := authURL(oauth2.SetAuthURLParam("prompt", "consent")); !isConsentPage(b.get(u)) {
		t.Fatal("prompt=consent shows no consent page")
	}
	wider := r.conf
	wider.Scopes = []string{oidc.ScopeOpenID, "profile"}
	wv := oauth2.GenerateVerifier()
	wu := wider.AuthCodeURL("st", oauth2.S256ChallengeOption(wv))
	if a := b.get(wu); !isConsentPage(a) || !strings.Contains(a.Body, "See your name") {
		t.Fatalf("a new scope: %d (want the consent page)", a.Status)
	}
	p.authorize(b, wu)
	if s := scalar[string](t, "select scope from oauth_consents where user_id = $1 and client_id = $2", uid, r.id); s != "email openid profile" {
		t.Fatalf("stored consent scope after a wider approval %q", s)
	}
	// Consent is per person.
	c := newBrowser(t)
	p.signIn(c, uniq(t)+"@example.org", "/")
	if u, _ := authURL(); !isConsentPage(c.get(u)) {
		t.Fatal("another person's authorization skipped the consent page")
	}

	// The list, and revocation.
	if a := newBrowser(t).get(p.base + "/auth/apps"); a.Status != 303 || !strings.HasPrefix(p.local(a), "/auth/login?next=") {
		t.Fatalf("anonymous /auth/apps: %d %q", a.Status, p.local(a))
	}
	page := b.get(p.base + "/auth/apps")
	if page.Status != 200 || !strings.Contains(page.Body, "Test App") || !strings.Contains(page.Body, "See your e-mail address") {
		t.Fatalf("/auth/apps: %d %s", page.Status, page.Body)
	}
	if a := b.post(p.base+"/auth/apps/revoke", url.Values{"client_id": {r.id}}); a.Status != 403 {
		t.Fatalf("revoke without csrf_token: %d", a.Status)
	}
	if a := b.post(p.base+"/auth/apps/revoke", url.Values{"csrf_token": {b.csrf(page)}}); a.Status != 400 || !strings.Contains(a.Body, "client_id") {
		t.Fatalf("revoke without client_id: %d", a.Status)
	}
	// Someone else's revocation leaves this person's consent alone.
	cp := c.get(p.base + "/") // its sign-out form carries the CSRF token
	if a := c.post(p.base+"/auth/apps/revoke", url.Values{"csrf_token": {c.csrf(cp)}, "client_id": {r.id}}); a.Status != 303 {
		t.Fatalf("revoke of nothing: %d", a.Status)
	}
	if n := scalar[int](t, "select count(*)::int from oauth_consents where user_id = $1", uid); n != 1 {
		t.Fatalf("another person's revocation removed this consent (%d left)", n)
	}
	if a := b.post(p.base+"/auth/apps/revoke", url.Values{"csrf_token": {b.csrf(page)}, "client_id": {r.id}}); a.Status != 303 || p.local(a) != "/auth/apps" {
		t.Fatalf("revoke: %d %q", a.Status, p.local(a))
	}
	if a := b.get(p.base + "/auth/apps"); strings.Contains(a.Body, "Test App") {
		t.Fatal("the revoked client is still listed")
	}
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	if _, err := r.conf.TokenSource(bg(), &old).Token(); oauthErr(err) != "invalid_grant" {
		t.Fatalf("refresh after the consent was revoked: %v", err)
	}
	if s := p.userinfoStatus(tok.AccessToken); s != 401 {
		t.Fatalf("access token after the consent was revoked: userinfo %d", s)
	}
	if u, _ := authURL(); !isConsentPage(b.get(u)) {
		t.Fatal("after revocation the client got a code without asking")
	}
}
