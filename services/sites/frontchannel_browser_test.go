//go:build linux

package sites_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// thirdParty is a relying party outside the platform on a real
// 127.0.0.1 HTTP server, built on the standard libraries (golang.org/x/oauth2,
// coreos/go-oidc) as a third party would build it: sign-in by the
// authorization code flow with PKCE, RP-initiated logout with its ID token,
// and a front-channel logout URI (/fc) that ends the sessions of the sid
// it is given when iss is the provider's. It records every request to /fc.
type thirdParty struct {
	t        *testing.T
	url, fed string
	id       string
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier

	mu       sync.Mutex
	flows    map[string][2]string // state → PKCE verifier, nonce
	sessions map[string]rpSession // cookie → session
	hits     []fcHit
}

type rpSession struct{ email, sid, idToken string }

// fcHit is a request to the front-channel logout URI.
type fcHit struct {
	iss, sid, dest string
	cleared        int
}

func newThirdParty(t *testing.T, fed string) *thirdParty {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rp := &thirdParty{t: t, url: "http://" + ln.Addr().String(), fed: fed, id: "fc-rp-" + token()[:12],
		flows: map[string][2]string{}, sessions: map[string]rpSession{}}
	secret := token()
	sum := sha256.Sum256([]byte(secret))
	exec(t, `insert into oauth_clients (client_id, name, client_type, secret_hash, redirect_uris, post_logout_redirect_uris,
	                                    allowed_scopes, first_party, frontchannel_logout_uri, frontchannel_logout_session_required)
	         values ($1, 'Reading Circle', 'confidential', $2, $3, $4, 'openid email', false, $5, true)`,
		rp.id, hex.EncodeToString(sum[:]), []string{rp.url + "/cb"}, []string{rp.url + "/bye"}, rp.url+"/fc")
	t.Cleanup(func() { exec(t, "delete from oauth_clients where client_id = $1", rp.id) })
	prov, err := oidc.NewProvider(context.Background(), fed)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var meta struct {
		FrontChannel        bool   `json:"frontchannel_logout_supported"`
		FrontChannelSession bool   `json:"frontchannel_logout_session_supported"`
		EndSession          string `json:"end_session_endpoint"`
	}
	if err := prov.Claims(&meta); err != nil || !meta.FrontChannel || !meta.FrontChannelSession || meta.EndSession != fed+"/oauth/logout" {
		t.Fatalf("discovery's front-channel logout: %+v %v", meta, err)
	}
	rp.verifier = prov.Verifier(&oidc.Config{ClientID: rp.id})
	rp.conf = oauth2.Config{ClientID: rp.id, ClientSecret: secret, Endpoint: prov.Endpoint(), RedirectURL: rp.url + "/cb",
		Scopes: []string{oidc.ScopeOpenID, "email"}}
	mux := http.NewServeMux()
	mux.HandleFunc("/", rp.home)
	mux.HandleFunc("/login", rp.login)
	mux.HandleFunc("/cb", rp.callback)
	mux.HandleFunc("/logout", rp.logout)
	mux.HandleFunc("/bye", func(w http.ResponseWriter, r *http.Request) {
		page(w, "<h1 id=bye>Signed out of the Reading Circle</h1>")
	})
	mux.HandleFunc("/fc", rp.frontChannel)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rp
}

func token() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func page(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><html lang=en><title>Reading Circle</title><body>%s</body></html>", body)
}

func (rp *thirdParty) session(r *http.Request) (rpSession, bool) {
	c, err := r.Cookie("rp_session")
	if err != nil {
		return rpSession{}, false
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	s, ok := rp.sessions[c.Value]
	return s, ok
}

func (rp *thirdParty) home(w http.ResponseWriter, r *http.Request) {
	if s, ok := rp.session(r); ok {
		page(w, `<p id=who>Signed in as `+html.EscapeString(s.email)+`</p><a id=signout href="/logout">Sign out</a>`)
		return
	}
	page(w, `<p id=who>Anonymous</p><a id=signin href="/login">Sign in</a>`)
}

func (rp *thirdParty) login(w http.ResponseWriter, r *http.Request) {
	state, verifier, nonce := token(), oauth2.GenerateVerifier(), token()
	rp.mu.Lock()
	rp.flows[state] = [2]string{verifier, nonce}
	rp.mu.Unlock()
	http.Redirect(w, r, rp.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), http.StatusSeeOther)
}

func (rp *thirdParty) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rp.mu.Lock()
	flow, ok := rp.flows[q.Get("state")]
	delete(rp.flows, q.Get("state"))
	rp.mu.Unlock()
	if !ok || q.Get("iss") != rp.fed {
		http.Error(w, "unknown state or issuer", 400)
		return
	}
	tok, err := rp.conf.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(flow[0]))
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := rp.verifier.Verify(r.Context(), raw)
	var claims struct {
		Email string `json:"email"`
		Sid   string `json:"sid"`
	}
	if err != nil || id.Nonce != flow[1] || id.Claims(&claims) != nil || claims.Sid == "" {
		http.Error(w, fmt.Sprintf("ID token: %v", err), 400)
		return
	}
	c := token()
	rp.mu.Lock()
	rp.sessions[c] = rpSession{email: claims.Email, sid: claims.Sid, idToken: raw}
	rp.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "rp_session", Value: c, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout: RP-initiated logout at the provider, naming itself by its ID
// token; the provider comes back to /bye.
func (rp *thirdParty) logout(w http.ResponseWriter, r *http.Request) {
	s, ok := rp.session(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, rp.fed+"/oauth/logout?"+url.Values{"id_token_hint": {s.idToken},
		"post_logout_redirect_uri": {rp.url + "/bye"}, "state": {"s1"}}.Encode(), http.StatusSeeOther)
}

// frontChannel is the front-channel logout URI: every session of sid ends
// when iss is the provider (OpenID Connect Front-Channel Logout 1.0 §2),
// with or without the session's cookie; only the provider may frame it.
func (rp *thirdParty) frontChannel(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	hit := fcHit{iss: q.Get("iss"), sid: q.Get("sid"), dest: r.Header.Get("Sec-Fetch-Dest")}
	rp.mu.Lock()
	if hit.iss == rp.fed && hit.sid != "" {
		for c, s := range rp.sessions {
			if s.sid == hit.sid {
				delete(rp.sessions, c)
				hit.cleared++
			}
		}
	}
	rp.hits = append(rp.hits, hit)
	rp.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "frame-ancestors "+rp.fed)
	page(w, "<p>Signed out</p>")
}

func (rp *thirdParty) frontChannelHits() []fcHit {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return append([]fcHit(nil), rp.hits...)
}

// Front-channel logout in Chromium (OpenID Connect Front-Channel Logout
// 1.0): signed in on the six services and at a third-party relying party
// on its own 127.0.0.1 server, the visitor signs out at the relying party
// (RP-initiated logout with its ID token). Federation's logged-out page
// loads, in hidden iframes, the relying party's /fc with federation's iss
// and the login session's sid — the sid of its ID token — and every
// service's /auth/sso-clear, then goes on to the relying party's
// post-logout page: signed out of the relying party and of all six. The
// services' grant checks are not due for an hour here, so only the iframes
// can have signed them out. A front-channel request with a wrong sid
// signs no one out.
func TestBrowserFrontChannelLogout(t *testing.T) {
	b := newTab(t, true)
	n := newSigninNet(t)
	u := n.urls
	fed := u["federation"]
	for _, svc := range services {
		n.plat.Service(svc).Env().Define("sso-grant-recheck", int64(3600))
	}
	rp := newThirdParty(t, fed)
	email := "fc-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@example.org"

	// Signed in on market, then silently on the other five.
	b.open(u["market"] + homes["market"])
	n.signInHere(b, email)
	signedInAs(b, "signed in on market", email)
	for _, svc := range []string{"blog", "events", "account", "cart", "federation"} {
		b.open(u[svc] + homes[svc])
		signedInAs(b, "signed in silently on "+svc, email)
	}

	// And at the relying party: federation's consent page, Allow.
	b.open(rp.url + "/login")
	b.until("the consent page", `location.origin === '`+fed+`' && document.querySelector('button[name=decision][value=allow]')`)
	b.do(`document.querySelector('button[name=decision][value=allow]').click()`)
	b.until("signed in at the relying party", `location.href === '`+rp.url+`/' && document.querySelector('#who').textContent === 'Signed in as `+email+`'`)
	sid := scalar[string](t, "select issuer_session from oauth_grants where client_id = $1", rp.id)

	// A front-channel request with a wrong sid signs no one out, on a
	// service or at the relying party.
	b.open(u["blog"] + "/auth/sso-clear?" + url.Values{"iss": {fed}, "sid": {sid + "x"}}.Encode())
	b.until("blog's answer", `document.body.textContent.includes('Nothing to sign out')`)
	b.open(u["blog"] + homes["blog"])
	signedInAs(b, "still signed in on blog after a wrong sid", email)
	b.open(rp.url + "/fc?" + url.Values{"iss": {fed}, "sid": {"not-" + sid}}.Encode())
	b.open(rp.url + "/")
	b.until("still signed in at the relying party", `document.querySelector('#who').textContent === 'Signed in as `+email+`'`)

	// Sign out at the relying party: federation's page loads the iframes
	// and goes on to the post-logout page once they have loaded.
	before := len(rp.frontChannelHits())
	b.do(`document.querySelector('#signout').click()`)
	b.until("the relying party's post-logout page", `location.href === '`+rp.url+`/bye?state=s1' && document.querySelector('#bye')`)
	hits := rp.frontChannelHits()[before:]
	if len(hits) != 1 || hits[0].iss != fed || hits[0].sid != sid || hits[0].dest != "iframe" || hits[0].cleared != 1 {
		t.Fatalf("the relying party's front-channel logout URI saw %+v, want one iframe request with iss %s and sid %s ending its session", hits, fed, sid)
	}
	b.open(rp.url + "/")
	b.until("signed out at the relying party", `document.querySelector('#who').textContent === 'Anonymous'`)
	for _, svc := range services {
		b.open(u[svc] + homes[svc])
		signedOut(b, "signed out on "+svc+" by its front-channel logout URI")
	}
	if got := scalar[int64](t, "select count(*) from oauth_grants where user_id = $1 and revoked_at is null", userID(t, email)); got != 0 {
		t.Errorf("%d grants still live after signing out", got)
	}
}
