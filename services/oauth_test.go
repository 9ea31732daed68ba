package services_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The OAuth / SSO data layer of federation (services/federation/oauth.sx).
//
// Every call goes through an oauthRec, which records each response body and,
// when the test ends, checks that no response carries a stored token hash
// and that every secret the tests were issued (magic-link tokens, codes,
// grant tokens, device codes) appears in exactly one response: the one that
// issued it.

type oauthRec struct {
	t      *testing.T
	base   string
	mu     sync.Mutex
	bodies []string
	issued map[string]string // secret -> the definition that issued it
}

func newOAuth(t *testing.T) *oauthRec {
	t.Helper()
	r := &oauthRec{t: t, base: fedURL(t), issued: map[string]string{}}
	t.Cleanup(r.audit)
	oaRegisterBlog(t)
	return r
}

// oaRegisterBlog registers the public clients "blog", with oaRedirect, and
// "artdag" (a CLI: the device flow), which the tests' codes are for.
func oaRegisterBlog(t *testing.T) {
	t.Helper()
	exec(t, `insert into oauth_clients (client_id, name, client_type, redirect_uris)
	         values ('blog', 'Blog', 'public', array[$1]), ('artdag', 'Artdag', 'public', array['http://127.0.0.1/cb'])
	         on conflict (client_id) do nothing`, oaRedirect)
}

func (r *oauthRec) record(body string) {
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	r.mu.Unlock()
}

func (r *oauthRec) q(name string, params url.Values) call {
	r.t.Helper()
	// Tokens travel in a JSON body, never in a URL (the host refuses them
	// in a query string).
	body := map[string]any{}
	for k := range params {
		body[k] = params.Get(k)
	}
	c := request(r.t, "POST", r.base+"/internal/data/"+name, body)
	r.record(c.Body)
	return c
}

func (r *oauthRec) a(name string, body map[string]any) call {
	r.t.Helper()
	c := action(r.t, r.base, name, body)
	r.record(c.Body)
	return c
}

// issue runs an action that issues a secret in field and returns the object.
func (r *oauthRec) issue(name, field string, body map[string]any) map[string]any {
	r.t.Helper()
	c := r.a(name, body)
	wantStatus(r.t, c, 200)
	m := wantObj(r.t, c)
	r.secret(name, field, m)
	return m
}

// secret registers m[field] as an issued secret (43 base64url characters).
func (r *oauthRec) secret(name, field string, m map[string]any) string {
	r.t.Helper()
	s, _ := m[field].(string)
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(s) {
		r.t.Fatalf("%s: %s is not a 32-byte random token: %v", name, field, m)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.issued[s]; dup {
		r.t.Fatalf("%s issued a secret twice: %s", name, s)
	}
	r.issued[s] = name
	return s
}

func (r *oauthRec) audit() {
	t := r.t
	rows, err := db.Query(context.Background(), `
		select token from magic_links union all select code from oauth_codes
		union all select token from oauth_grants union all select device_code from oauth_device_codes
		union all select grant_token from oauth_codes
		union all select grant_token from oauth_device_codes where grant_token is not null`)
	if err != nil {
		t.Errorf("audit: %v", err)
		return
	}
	var hashes []string
	for rows.Next() {
		var h string
		rows.Scan(&h)
		hashes = append(hashes, h)
	}
	rows.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bodies {
		for _, h := range hashes {
			if strings.Contains(b, h) {
				t.Errorf("a response carries a stored hash %s: %s", h, b)
			}
		}
	}
	for s, by := range r.issued {
		n := 0
		for _, b := range r.bodies {
			if strings.Contains(b, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the secret %s issued by %s is in %d responses, want 1", s, by, n)
		}
		for _, h := range hashes {
			if h == s {
				t.Errorf("the secret issued by %s is stored in plain", by)
			}
		}
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func oaUser(t *testing.T) (int64, string) {
	t.Helper()
	email := uniq(t) + "@example.org"
	return scalar[int64](t, "insert into users (email) values ($1) returning id", email), email
}

// oaPost is a POST to an action that is safe to send from any goroutine.
func oaPost(base, name string, body map[string]any) (call, error) {
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/internal/actions/"+name, "application/json", bytes.NewReader(b))
	if err != nil {
		return call{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return newCall(resp.StatusCode, raw), nil
}

// oaRace sends the given action calls all at once and returns the answers.
func oaRace(t *testing.T, r *oauthRec, name string, bodies ...map[string]any) []call {
	t.Helper()
	out := make([]call, len(bodies))
	errs := make([]error, len(bodies))
	var wg sync.WaitGroup
	gun := make(chan struct{})
	for i := range bodies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gun
			out[i], errs[i] = oaPost(r.base, name, bodies[i])
		}(i)
	}
	close(gun)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		r.record(out[i].Body)
	}
	return out
}

// times is n copies of body.
func times(n int, body map[string]any) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = body
	}
	return out
}

const (
	oaRedirect = "https://blog.example.org/auth/callback"
	// RFC 7636 appendix B.
	oaVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	oaChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

var oaQueries = []string{"verify-grant", "check-device", "device-code-by-user-code", "oauth-client"}
var oaActions = []string{
	"register-oauth-client",
	"create-magic-link", "consume-magic-link",
	"create-grant", "revoke-grant", "revoke-session-grants", "revoke-user-grants",
	"create-auth-code", "exchange-auth-code",
	"create-device-code", "approve-device-code", "deny-device-code", "poll-device-code",
}

func TestOAuthSchema(t *testing.T) {
	r := newOAuth(t)
	s := wantObj(t, request(t, "GET", r.base+"/internal/schema", nil))
	listed := func(key string, want []string) map[string]map[string]any {
		got := map[string]map[string]any{}
		for _, it := range s[key].([]any) {
			m := it.(map[string]any)
			got[m["name"].(string)] = m
		}
		for _, n := range want {
			m, ok := got[n]
			if !ok {
				t.Errorf("%s: %s not listed", key, n)
				continue
			}
			if doc, _ := m["doc"].(string); len(doc) < 40 {
				t.Errorf("%s %s: no real docstring: %q", key, n, doc)
			}
			if strings.Contains(n, "key") {
				t.Errorf("%s looks like a key accessor to TestFederationSchema", n)
			}
		}
		return got
	}
	qs := listed("queries", oaQueries)
	as := listed("actions", oaActions)
	required := func(defs map[string]map[string]any, def string) map[string]bool {
		out := map[string]bool{}
		for _, p := range defs[def]["params"].([]any) {
			m := p.(map[string]any)
			out[m["name"].(string)] = m["required"] == true
		}
		return out
	}
	if p := required(as, "exchange-auth-code"); !p["code"] || !p["client-id"] || !p["redirect-uri"] || !p["code-verifier"] || p["client-secret"] {
		t.Errorf("exchange-auth-code params: %v", p)
	}
	if p := required(qs, "verify-grant"); !p["token"] || p["client-id"] {
		t.Errorf("verify-grant params: %v", p)
	}
	if p := required(as, "create-grant"); !p["user-id"] || !p["client-id"] || !p["issuer-session"] || p["device-id"] {
		t.Errorf("create-grant params: %v", p)
	}
}

func TestOAuthMagicLink(t *testing.T) {
	r := newOAuth(t)
	local := uniq(t)
	email := "  Mixed." + local + "@Example.ORG "
	lower := "mixed." + local + "@example.org"

	m := r.issue("create-magic-link", "token", map[string]any{"email": email, "next-url": "/cart/?x=1"})
	token := m["token"].(string)
	if num(t, m["expires_in"]) != 900 || m["expires_at"] == nil {
		t.Fatalf("create-magic-link: %v", m)
	}
	if n := scalar[int64](t, "select count(*) from magic_links where token = $1 and email = $2 and user_id is null and used_at is null and expires_at between now() + interval '14 minutes' and now() + interval '16 minutes'",
		sha256Hex(token), lower); n != 1 {
		t.Fatalf("the link is not stored as its hash with the lower-cased address: %d", n)
	}
	if n := scalar[int64](t, "select count(*) from users where lower(email) = $1", lower); n != 0 {
		t.Fatalf("create-magic-link made a user")
	}

	u := wantObj(t, r.a("consume-magic-link", map[string]any{"token": token}))
	id := num(t, u["id"])
	if u["email"] != lower || u["created"] != true || u["next_url"] != "/cart/?x=1" || u["name"] != nil || u["is_admin"] != false {
		t.Fatalf("consume-magic-link: %v", u)
	}
	if n := scalar[int64](t, "select count(*) from users where id = $1 and email = $2 and last_login_at > now() - interval '1 minute'", id, lower); n != 1 {
		t.Fatal("the user was not created with last_login_at")
	}
	if n := scalar[int64](t, "select count(*) from magic_links where token = $1 and user_id = $2 and used_at is not null", sha256Hex(token), id); n != 1 {
		t.Fatal("the link was not marked used for the user")
	}
	wantNull(t, r.a("consume-magic-link", map[string]any{"token": token}))
	wantNull(t, r.a("consume-magic-link", map[string]any{"token": tampered(token)}))
	wantNull(t, r.a("consume-magic-link", map[string]any{"token": "nonsense"}))

	// A known address: the link names the user; logging in again finds them.
	exec(t, "update users set last_login_at = now() - interval '1 day', name = 'Ann' where id = $1", id)
	m2 := r.issue("create-magic-link", "token", map[string]any{"email": strings.ToUpper(lower)})
	if n := scalar[int64](t, "select count(*) from magic_links where token = $1 and user_id = $2 and next_url is null", sha256Hex(m2["token"].(string)), id); n != 1 {
		t.Fatal("a link for a known address does not name its user")
	}
	// Another live link for the address is retired by the login.
	m3 := r.issue("create-magic-link", "token", map[string]any{"email": lower})
	u2 := wantObj(t, r.a("consume-magic-link", map[string]any{"token": m2["token"]}))
	if num(t, u2["id"]) != id || u2["created"] != false || u2["name"] != "Ann" || u2["next_url"] != nil {
		t.Fatalf("second login: %v", u2)
	}
	if n := scalar[int64](t, "select count(*) from users where id = $1 and last_login_at > now() - interval '1 minute'", id); n != 1 {
		t.Fatal("last_login_at not updated")
	}
	wantNull(t, r.a("consume-magic-link", map[string]any{"token": m3["token"]}))
	if n := scalar[int64](t, "select count(*) from users where lower(email) = $1", lower); n != 1 {
		t.Fatalf("%d users for the address", n)
	}
}

func TestOAuthMagicLinkExpiry(t *testing.T) {
	r := newOAuth(t)
	email := uniq(t) + "@example.org"
	token := r.issue("create-magic-link", "token", map[string]any{"email": email})["token"].(string)
	exec(t, "update magic_links set expires_at = now() - interval '1 second' where token = $1", sha256Hex(token))
	wantNull(t, r.a("consume-magic-link", map[string]any{"token": token}))
	if n := scalar[int64](t, "select count(*) from users where lower(email) = $1", email); n != 0 {
		t.Fatal("an expired link made a user")
	}
	if n := scalar[int64](t, "select count(*) from magic_links where token = $1 and used_at is null", sha256Hex(token)); n != 1 {
		t.Fatal("an expired link was marked used")
	}
}

func TestOAuthMagicLinkConcurrent(t *testing.T) {
	r := newOAuth(t)
	email := uniq(t) + "@example.org"
	token := r.issue("create-magic-link", "token", map[string]any{"email": email})["token"].(string)
	users := 0
	for _, c := range oaRace(t, r, "consume-magic-link", times(12, map[string]any{"token": token})...) {
		wantStatus(t, c, 200)
		if strings.TrimSpace(c.Body) != "null" {
			users++
		}
	}
	if users != 1 {
		t.Fatalf("%d concurrent consumes of one link got a user, want 1", users)
	}

	// Two links of one new address used at once: one user, made once (the
	// second login may also find its link retired by the first).
	email2 := uniq(t) + "@example.org"
	t1 := r.issue("create-magic-link", "token", map[string]any{"email": email2})["token"].(string)
	t2 := r.issue("create-magic-link", "token", map[string]any{"email": email2})["token"].(string)
	res := oaRace(t, r, "consume-magic-link", map[string]any{"token": t1}, map[string]any{"token": t2})
	ids, created := map[string]bool{}, 0
	for _, c := range res {
		wantStatus(t, c, 200)
		if m, ok := c.JSON.(map[string]any); ok {
			ids[string(m["id"].(json.Number))] = true
			if m["created"] == true {
				created++
			}
		}
	}
	if len(ids) != 1 || created != 1 || scalar[int64](t, "select count(*) from users where lower(email) = $1", email2) != 1 {
		t.Fatalf("concurrent first logins of one address: %v %v", res[0].Body, res[1].Body)
	}
}

func TestOAuthMagicLinkRateLimit(t *testing.T) {
	r := newOAuth(t)
	email := uniq(t) + "@example.org"
	for i := 0; i < 5; i++ {
		r.issue("create-magic-link", "token", map[string]any{"email": email})
	}
	wantError(t, r.a("create-magic-link", map[string]any{"email": strings.ToUpper(email)}), 429, "email")
	if n := scalar[int64](t, "select count(*) from magic_links where email = $1", email); n != 5 {
		t.Fatalf("%d links stored, want 5", n)
	}
	// Another address is not limited.
	r.issue("create-magic-link", "token", map[string]any{"email": "other." + email})
	// Links older than 10 minutes, used or expired do not count.
	exec(t, `update magic_links set created_at = now() - interval '11 minutes' where id in
	           (select id from magic_links where email = $1 order by id limit 2)`, email)
	exec(t, `update magic_links set used_at = now() where id in
	           (select id from magic_links where email = $1 and created_at > now() - interval '1 minute' order by id limit 1)`, email)
	exec(t, `update magic_links set expires_at = now() where id in
	           (select id from magic_links where email = $1 and created_at > now() - interval '1 minute' and used_at is null order by id limit 1)`, email)
	// 1 live link left: four more fit.
	for i := 0; i < 4; i++ {
		r.issue("create-magic-link", "token", map[string]any{"email": email})
	}
	wantError(t, r.a("create-magic-link", map[string]any{"email": email}), 429, "email")

	// Concurrent requests cannot overshoot the limit.
	fresh := uniq(t) + "@example.org"
	ok := 0
	for _, c := range oaRace(t, r, "create-magic-link", times(12, map[string]any{"email": fresh})...) {
		switch c.Status {
		case 200:
			ok++
			r.secret("create-magic-link", "token", wantObj(t, c))
		case 429:
		default:
			t.Fatalf("unexpected %d %s", c.Status, c.Body)
		}
	}
	if ok != 5 {
		t.Fatalf("%d of 12 concurrent requests got a link, want 5", ok)
	}
}

func TestOAuthGrants(t *testing.T) {
	r := newOAuth(t)
	uid, email := oaUser(t)
	session := uniq(t)
	g := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "blog", "issuer-session": session})
	token, gid := g["token"].(string), num(t, g["grant_id"])
	if n := scalar[int64](t, "select count(*) from oauth_grants where id = $1 and token = $2 and user_id = $3 and client_id = 'blog' and issuer_session = $4 and device_id is null and revoked_at is null",
		gid, sha256Hex(token), uid, session); n != 1 {
		t.Fatal("the grant is not stored as its hash")
	}
	v := wantObj(t, r.q("verify-grant", vals("token", token)))
	if num(t, v["grant_id"]) != gid || num(t, v["user_id"]) != uid || v["email"] != email || v["client_id"] != "blog" || v["is_admin"] != false ||
		v["scope"] != nil {
		t.Fatalf("verify-grant: %v", v)
	}
	// A grant issued with scopes says so when verified.
	scoped := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "blog", "issuer-session": session + "-scoped", "scope": " read  write read"})
	if v := wantObj(t, r.q("verify-grant", vals("token", scoped["token"].(string)))); v["scope"] != "read write" {
		t.Fatalf("verify-grant of a scoped grant: %v", v)
	}
	wantStatus(t, r.a("revoke-grant", map[string]any{"token": scoped["token"]}), 200)
	wantObj(t, r.q("verify-grant", vals("token", token, "client-id", "blog")))
	wantNull(t, r.q("verify-grant", vals("token", token, "client-id", "cart")))
	wantNull(t, r.q("verify-grant", vals("token", tampered(token))))
	wantNull(t, r.q("verify-grant", vals("token", sha256Hex(token))))
	wantNull(t, r.a("create-grant", map[string]any{"user-id": 2147483000, "client-id": "blog", "issuer-session": session}))

	// Revoke by token, then by id.
	rv := wantObj(t, r.a("revoke-grant", map[string]any{"token": token}))
	if num(t, rv["revoked"]) != 1 {
		t.Fatalf("revoke-grant: %v", rv)
	}
	wantNull(t, r.q("verify-grant", vals("token", token)))
	if num(t, wantObj(t, r.a("revoke-grant", map[string]any{"token": token}))["revoked"]) != 0 {
		t.Fatal("revoking twice counted twice")
	}
	g2 := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "cart", "issuer-session": session})
	if num(t, wantObj(t, r.a("revoke-grant", map[string]any{"grant-id": g2["grant_id"]}))["revoked"]) != 1 {
		t.Fatal("revoke-grant by id")
	}
	wantNull(t, r.q("verify-grant", vals("token", g2["token"].(string))))
	if num(t, wantObj(t, r.a("revoke-grant", map[string]any{"grant-id": 2147483000}))["revoked"]) != 0 {
		t.Fatal("revoking an unknown grant")
	}

	// Logout of one session revokes only its grants.
	other := uniq(t)
	s1 := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "blog", "issuer-session": session})
	s2 := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "market", "issuer-session": session})
	s3 := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "blog", "issuer-session": other, "device-id": "dev-" + other})
	if n := num(t, wantObj(t, r.a("revoke-session-grants", map[string]any{"issuer-session": session}))["revoked"]); n != 2 {
		t.Fatalf("revoke-session-grants revoked %d, want 2", n)
	}
	wantNull(t, r.q("verify-grant", vals("token", s1["token"].(string))))
	wantNull(t, r.q("verify-grant", vals("token", s2["token"].(string))))
	wantObj(t, r.q("verify-grant", vals("token", s3["token"].(string))))

	// Logout everywhere.
	uid2, _ := oaUser(t)
	s4 := r.issue("create-grant", "token", map[string]any{"user-id": uid2, "client-id": "blog", "issuer-session": other})
	s5 := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "events", "issuer-session": uniq(t)})
	ru := wantObj(t, r.a("revoke-user-grants", map[string]any{"user-id": uid}))
	if num(t, ru["revoked"]) != 2 || num(t, ru["device_codes"]) != 0 {
		t.Fatalf("revoke-user-grants: %v", ru)
	}
	wantNull(t, r.q("verify-grant", vals("token", s3["token"].(string))))
	wantNull(t, r.q("verify-grant", vals("token", s5["token"].(string))))
	wantObj(t, r.q("verify-grant", vals("token", s4["token"].(string))))
	wantNull(t, r.a("revoke-user-grants", map[string]any{"user-id": 2147483000}))
}

func TestOAuthCheckDevice(t *testing.T) {
	r := newOAuth(t)
	email := uniq(t) + "@example.org"
	tok := r.issue("create-magic-link", "token", map[string]any{"email": email})["token"].(string)
	uid := num(t, wantObj(t, r.a("consume-magic-link", map[string]any{"token": tok}))["id"])
	device := "did-" + uniq(t)
	wantNull(t, r.q("check-device", vals("device-id", device)))

	g := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "blog", "issuer-session": uniq(t), "device-id": device})
	c := wantObj(t, r.q("check-device", vals("device-id", device)))
	if num(t, c["user_id"]) != uid || num(t, c["grant_id"]) != num(t, g["grant_id"]) || c["grant_live"] != true || c["logged_in"] != true || c["last_login_at"] == nil {
		t.Fatalf("check-device, live grant: %v", c)
	}
	r.a("revoke-user-grants", map[string]any{"user-id": uid})
	c = wantObj(t, r.q("check-device", vals("device-id", device)))
	if c["grant_live"] != false || c["logged_in"] != false || c["revoked_at"] == nil {
		t.Fatalf("check-device after logout: %v", c)
	}
	// Logging in again (anywhere) after the revocation: start OAuth.
	exec(t, "update oauth_grants set revoked_at = revoked_at - interval '1 second' where device_id = $1", device)
	tok = r.issue("create-magic-link", "token", map[string]any{"email": email})["token"].(string)
	wantObj(t, r.a("consume-magic-link", map[string]any{"token": tok}))
	c = wantObj(t, r.q("check-device", vals("device-id", device)))
	if c["grant_live"] != false || c["logged_in"] != true {
		t.Fatalf("check-device after a new login: %v", c)
	}
	// The device's newest grant counts.
	g2 := r.issue("create-grant", "token", map[string]any{"user-id": uid, "client-id": "cart", "issuer-session": uniq(t), "device-id": device})
	c = wantObj(t, r.q("check-device", vals("device-id", device)))
	if num(t, c["grant_id"]) != num(t, g2["grant_id"]) || c["grant_live"] != true || c["revoked_at"] != nil {
		t.Fatalf("check-device with a newer grant: %v", c)
	}
}

// oaCode creates an authorization code for blog with extra parameters.
func oaCode(t *testing.T, r *oauthRec, uid int64, extra map[string]any) (string, map[string]any) {
	t.Helper()
	body := map[string]any{"user-id": uid, "client-id": "blog", "redirect-uri": oaRedirect, "issuer-session": "sess-" + uniq(t),
		"code-challenge": oaChallenge}
	for k, v := range extra {
		body[k] = v
	}
	m := r.issue("create-auth-code", "code", body)
	return m["code"].(string), m
}

func oaExchange(r *oauthRec, code string, extra map[string]any) call {
	body := map[string]any{"code": code, "client-id": "blog", "redirect-uri": oaRedirect, "code-verifier": oaVerifier}
	for k, v := range extra {
		body[k] = v
	}
	return r.a("exchange-auth-code", body)
}

func TestOAuthAuthCode(t *testing.T) {
	r := newOAuth(t)
	uid, email := oaUser(t)
	device := "did-" + uniq(t)
	code, m := oaCode(t, r, uid, map[string]any{"device-id": device, "scope": " profile  email profile "})
	if num(t, m["expires_in"]) != 60 || m["expires_at"] == nil {
		t.Fatalf("create-auth-code: %v", m)
	}
	if n := scalar[int64](t, `select count(*) from oauth_codes c join oauth_grants g on g.token = c.grant_token
	                          where c.code = $1 and c.client_id = 'blog' and c.redirect_uri = $2 and c.user_id = $3
	                            and c.scope = 'profile email' and c.code_challenge = $5 and c.code_challenge_method = 'S256' and c.used_at is null
	                            and c.expires_at between now() + interval '50 seconds' and now() + interval '70 seconds'
	                            and g.user_id = $3 and g.client_id = 'blog' and g.device_id = $4 and g.revoked_at is null`,
		sha256Hex(code), oaRedirect, uid, device, oaChallenge); n != 1 {
		t.Fatal("the code and its grant are not stored as expected")
	}

	// The grant is not usable before the exchange, not even with the code.
	wantNull(t, r.q("verify-grant", vals("token", code)))
	c := wantObj(t, r.q("check-device", vals("device-id", device)))
	if c["grant_live"] != true || c["logged_in"] != true {
		t.Fatalf("check-device before the exchange: %v", c)
	}

	// Mismatches give null and leave the code usable.
	wantNull(t, oaExchange(r, code, map[string]any{"redirect-uri": oaRedirect + "/"}))
	wantNull(t, oaExchange(r, code, map[string]any{"redirect-uri": "https://evil.example.org/auth/callback"}))
	wantNull(t, oaExchange(r, code, map[string]any{"client-id": "cart"}))
	wantNull(t, oaExchange(r, code, map[string]any{"code-verifier": strings.Repeat("x", 43)}))
	wantNull(t, oaExchange(r, tampered(code), nil))

	g := wantObj(t, oaExchange(r, code, nil))
	token := r.secret("exchange-auth-code", "token", g)
	gid := num(t, g["grant_id"])
	if num(t, g["user_id"]) != uid || g["email"] != email || g["client_id"] != "blog" || g["scope"] != "profile email" {
		t.Fatalf("exchange-auth-code: %v", g)
	}
	if n := scalar[int64](t, `select count(*) from oauth_codes c join oauth_grants g on g.token = c.grant_token
	                          where c.code = $1 and c.used_at is not null and g.id = $2 and g.token = $3`,
		sha256Hex(code), gid, sha256Hex(token)); n != 1 {
		t.Fatal("the exchange did not consume the code and store the new grant token's hash")
	}
	v := wantObj(t, r.q("verify-grant", vals("token", token, "client-id", "blog")))
	if num(t, v["grant_id"]) != gid || v["scope"] != "profile email" {
		t.Fatalf("verify-grant (the code's scope should carry over): %v", v)
	}
	c = wantObj(t, r.q("check-device", vals("device-id", device)))
	if num(t, c["grant_id"]) != gid || c["grant_live"] != true {
		t.Fatalf("check-device: %v", c)
	}

	// Replay: null, and the grant of the first exchange is revoked.
	wantNull(t, oaExchange(r, code, nil))
	wantNull(t, r.q("verify-grant", vals("token", token)))
	if n := scalar[int64](t, "select count(*) from oauth_grants where id = $1 and revoked_at is not null", gid); n != 1 {
		t.Fatal("the replayed code's grant is not revoked")
	}

	// Expired.
	code2, _ := oaCode(t, r, uid, nil)
	exec(t, "update oauth_codes set expires_at = now() - interval '1 second' where code = $1", sha256Hex(code2))
	wantNull(t, oaExchange(r, code2, nil))
	if n := scalar[int64](t, "select count(*) from oauth_codes where code = $1 and used_at is null", sha256Hex(code2)); n != 1 {
		t.Fatal("an expired code was consumed")
	}

	// Logged out before the exchange: the grant stays revoked.
	session := "sess-" + uniq(t)
	code3, _ := oaCode(t, r, uid, map[string]any{"issuer-session": session})
	if n := num(t, wantObj(t, r.a("revoke-session-grants", map[string]any{"issuer-session": session}))["revoked"]); n != 1 {
		t.Fatalf("revoke-session-grants revoked %d, want 1 (the code's grant)", n)
	}
	wantNull(t, oaExchange(r, code3, nil))

	// Unknown user.
	wantNull(t, r.a("create-auth-code", map[string]any{"user-id": 2147483000, "client-id": "blog", "redirect-uri": oaRedirect, "issuer-session": "s", "code-challenge": oaChallenge}))

	// Concurrent exchanges: one token; the others count as replays.
	code4, _ := oaCode(t, r, uid, nil)
	got := 0
	var tok4 string
	for _, c := range oaRace(t, r, "exchange-auth-code", times(8, map[string]any{"code": code4, "client-id": "blog", "redirect-uri": oaRedirect, "code-verifier": oaVerifier})...) {
		wantStatus(t, c, 200)
		if m, ok := c.JSON.(map[string]any); ok {
			got++
			tok4 = r.secret("exchange-auth-code", "token", m)
		}
	}
	if got != 1 {
		t.Fatalf("%d concurrent exchanges got a grant, want 1", got)
	}
	wantNull(t, r.q("verify-grant", vals("token", tok4)))
}

func TestOAuthPKCE(t *testing.T) {
	r := newOAuth(t)
	uid, _ := oaUser(t)
	other := strings.Repeat("x", 43)

	// S256 (the default method), with RFC 7636's example pair.
	code, _ := oaCode(t, r, uid, nil)
	if m := scalar[string](t, "select code_challenge_method from oauth_codes where code = $1", sha256Hex(code)); m != "S256" {
		t.Fatalf("method %q", m)
	}
	wantBadParam(t, oaExchange(r, code, map[string]any{"code-verifier": nil}), "code-verifier")
	wantNull(t, oaExchange(r, code, map[string]any{"code-verifier": other}))
	wantNull(t, oaExchange(r, code, map[string]any{"code-verifier": oaChallenge}))
	g := wantObj(t, oaExchange(r, code, nil))
	wantObj(t, r.q("verify-grant", vals("token", r.secret("exchange-auth-code", "token", g))))

	// Explicit S256.
	code, _ = oaCode(t, r, uid, map[string]any{"code-challenge-method": "S256"})
	r.secret("exchange-auth-code", "token", wantObj(t, oaExchange(r, code, nil)))

	// PKCE is required, and plain is refused (issue 9): its challenge is the
	// verifier itself.
	body := map[string]any{"user-id": uid, "client-id": "blog", "redirect-uri": oaRedirect, "issuer-session": "s"}
	wantBadParam(t, r.a("create-auth-code", body), "code-challenge")
	body["code-challenge"], body["code-challenge-method"] = strings.Repeat("abc-._~", 8), "plain"
	wantBadParam(t, r.a("create-auth-code", body), "code-challenge-method")
	if n := scalar[int64](t, "select count(*) from oauth_grants where user_id = $1", uid); n != 2 {
		t.Fatalf("%d grants, want the 2 exchanged: the refused codes wrote", n)
	}
}

var oaUserCode = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

func oaDevice(t *testing.T, r *oauthRec) (string, string) {
	t.Helper()
	m := r.issue("create-device-code", "device_code", map[string]any{"client-id": "artdag", "scope": "read write"})
	uc, _ := m["user_code"].(string)
	if !oaUserCode.MatchString(uc) || num(t, m["interval"]) != 5 || num(t, m["expires_in"]) != 600 || m["expires_at"] == nil {
		t.Fatalf("create-device-code: %v", m)
	}
	return m["device_code"].(string), uc
}

func oaPoll(t *testing.T, r *oauthRec, dc string) map[string]any {
	t.Helper()
	return wantObj(t, r.a("poll-device-code", map[string]any{"device-code": dc, "client-id": "artdag"}))
}

func TestOAuthDeviceFlow(t *testing.T) {
	r := newOAuth(t)
	uid, email := oaUser(t)
	dc, uc := oaDevice(t, r)
	if n := scalar[int64](t, "select count(*) from oauth_device_codes where device_code = $1 and user_code = $2 and status = 'pending' and client_id = 'artdag' and scope = 'read write' and expires_at between now() + interval '9 minutes' and now() + interval '11 minutes'",
		sha256Hex(dc), uc); n != 1 {
		t.Fatal("the device code is not stored as its hash")
	}
	// The approval page, typed loosely.
	typed := strings.ToLower(strings.ReplaceAll(uc, "-", " "))
	d := wantObj(t, r.q("device-code-by-user-code", vals("user-code", typed)))
	if d["user_code"] != uc || d["client_id"] != "artdag" || d["scope"] != "read write" || d["status"] != "pending" {
		t.Fatalf("device-code-by-user-code: %v", d)
	}
	for k := range d {
		if strings.Contains(k, "device") || strings.Contains(k, "grant") || k == "id" {
			t.Errorf("device-code-by-user-code shows %s", k)
		}
	}

	// Polling: pending, too fast, pending again after the interval.
	if p := oaPoll(t, r, dc); p["status"] != "pending" || num(t, p["interval"]) != 5 {
		t.Fatalf("poll: %v", p)
	}
	if p := oaPoll(t, r, dc); p["status"] != "slow_down" || num(t, p["interval"]) != 10 {
		t.Fatalf("fast poll: %v", p)
	}
	exec(t, "update oauth_device_codes set last_polled_at = now() - interval '11 seconds' where device_code = $1", sha256Hex(dc))
	if p := oaPoll(t, r, dc); p["status"] != "pending" || num(t, p["interval"]) != 10 {
		t.Fatalf("poll after the interval: %v", p)
	}
	wantNull(t, r.a("poll-device-code", map[string]any{"device-code": dc, "client-id": "blog"}))
	wantNull(t, r.a("poll-device-code", map[string]any{"device-code": tampered(dc), "client-id": "artdag"}))

	// Approval.
	wantNull(t, r.a("approve-device-code", map[string]any{"user-code": uc, "user-id": 2147483000}))
	a := wantObj(t, r.a("approve-device-code", map[string]any{"user-code": typed, "user-id": uid}))
	if a["status"] != "approved" || a["user_code"] != uc {
		t.Fatalf("approve-device-code: %v", a)
	}
	wantError(t, r.a("approve-device-code", map[string]any{"user-code": uc, "user-id": uid}), 409, "approved")
	wantError(t, r.a("deny-device-code", map[string]any{"user-code": uc}), 409, "approved")

	// The grant, once, even to concurrent polls.
	exec(t, "update oauth_device_codes set last_polled_at = null where device_code = $1", sha256Hex(dc))
	var grant map[string]any
	for _, c := range oaRace(t, r, "poll-device-code", times(6, map[string]any{"device-code": dc, "client-id": "artdag"})...) {
		wantStatus(t, c, 200)
		if m, ok := c.JSON.(map[string]any); ok {
			if grant != nil {
				t.Fatalf("two polls collected the grant: %v", c.Body)
			}
			grant = m
		}
	}
	if grant == nil || grant["status"] != "approved" || num(t, grant["user_id"]) != uid || grant["client_id"] != "artdag" || grant["scope"] != "read write" {
		t.Fatalf("approved poll: %v", grant)
	}
	token := r.secret("poll-device-code", "token", grant)
	v := wantObj(t, r.q("verify-grant", vals("token", token, "client-id", "artdag")))
	if num(t, v["user_id"]) != uid || v["email"] != email || num(t, v["grant_id"]) != num(t, grant["grant_id"]) || v["scope"] != "read write" {
		t.Fatalf("verify-grant of the device grant: %v", v)
	}
	if n := scalar[int64](t, "select count(*) from oauth_device_codes where device_code = $1 and status = 'consumed' and user_id = $2 and grant_token = $3 and approved_at is not null",
		sha256Hex(dc), uid, sha256Hex(token)); n != 1 {
		t.Fatal("the device code is not consumed with the grant's hash")
	}
	wantNull(t, r.a("poll-device-code", map[string]any{"device-code": dc, "client-id": "artdag"}))
	if d := wantObj(t, r.q("device-code-by-user-code", vals("user-code", uc))); d["status"] != "consumed" {
		t.Fatalf("after collection: %v", d)
	}
	wantError(t, r.a("approve-device-code", map[string]any{"user-code": uc, "user-id": uid}), 409, "consumed")

	// Denied.
	dc2, uc2 := oaDevice(t, r)
	if d := wantObj(t, r.a("deny-device-code", map[string]any{"user-code": uc2})); d["status"] != "denied" {
		t.Fatalf("deny-device-code: %v", d)
	}
	if p := oaPoll(t, r, dc2); p["status"] != "denied" || len(p) != 1 {
		t.Fatalf("poll after deny: %v", p)
	}
	wantError(t, r.a("approve-device-code", map[string]any{"user-code": uc2, "user-id": uid}), 409, "denied")
	dc2b, uc2b := oaDevice(t, r)
	wantNull(t, r.a("deny-device-code", map[string]any{"user-code": uc2b, "user-id": 2147483000}))
	wantObj(t, r.a("deny-device-code", map[string]any{"user-code": uc2b, "user-id": uid}))
	if n := scalar[int64](t, "select count(*) from oauth_device_codes where device_code = $1 and status = 'denied' and user_id = $2", sha256Hex(dc2b), uid); n != 1 {
		t.Fatal("deny with a user did not record them")
	}

	// Concurrent approvals: one wins, the others are refused.
	racer, _ := oaUser(t)
	for round := 0; round < 3; round++ {
		_, ucr := oaDevice(t, r)
		ok := 0
		for _, c := range oaRace(t, r, "approve-device-code", times(5, map[string]any{"user-code": ucr, "user-id": racer})...) {
			switch c.Status {
			case 200:
				ok++
			case 409:
			default:
				t.Fatalf("concurrent decision: %d %s", c.Status, c.Body)
			}
		}
		if ok != 1 {
			t.Fatalf("%d concurrent decisions on one code succeeded, want 1", ok)
		}
	}

	// Expired while pending.
	dc3, uc3 := oaDevice(t, r)
	exec(t, "update oauth_device_codes set expires_at = now() - interval '1 second' where device_code = $1", sha256Hex(dc3))
	if d := wantObj(t, r.q("device-code-by-user-code", vals("user-code", uc3))); d["status"] != "expired" {
		t.Fatalf("expired lookup: %v", d)
	}
	wantError(t, r.a("approve-device-code", map[string]any{"user-code": uc3, "user-id": uid}), 409, "expired")
	if p := oaPoll(t, r, dc3); p["status"] != "expired" {
		t.Fatalf("poll of an expired code: %v", p)
	}
	if n := scalar[int64](t, "select count(*) from oauth_device_codes where device_code = $1 and status = 'expired'", sha256Hex(dc3)); n != 1 {
		t.Fatal("the polled expired code is not stored as expired")
	}

	// Expired after approval, before collection.
	dc4, uc4 := oaDevice(t, r)
	wantObj(t, r.a("approve-device-code", map[string]any{"user-code": uc4, "user-id": uid}))
	exec(t, "update oauth_device_codes set expires_at = now() - interval '1 second' where device_code = $1", sha256Hex(dc4))
	if p := oaPoll(t, r, dc4); p["status"] != "expired" {
		t.Fatalf("poll of an approved, expired code: %v", p)
	}

	// Logout everywhere drops an approved code not yet collected.
	dc5, uc5 := oaDevice(t, r)
	wantObj(t, r.a("approve-device-code", map[string]any{"user-code": uc5, "user-id": uid}))
	ru := wantObj(t, r.a("revoke-user-grants", map[string]any{"user-id": uid}))
	if num(t, ru["device_codes"]) != 1 || num(t, ru["revoked"]) != 1 {
		t.Fatalf("revoke-user-grants: %v", ru)
	}
	if p := oaPoll(t, r, dc5); p["status"] != "expired" {
		t.Fatalf("poll after logout: %v", p)
	}
	wantNull(t, r.q("verify-grant", vals("token", token)))

	// A well-formed user code nobody was given.
	for {
		m := r.q("device-code-by-user-code", vals("user-code", "ZZZZ-ZZZZ"))
		wantStatus(t, m, 200)
		if strings.TrimSpace(m.Body) == "null" {
			break
		}
		t.Skip("ZZZZ-ZZZZ happens to be in use") // 1 in 2.5e10
	}
	wantNull(t, r.a("approve-device-code", map[string]any{"user-code": "zzzzzzzz", "user-id": uid}))
	wantNull(t, r.a("deny-device-code", map[string]any{"user-code": "ZZZZ-ZZZZ"}))
}

func TestOAuthBadParams(t *testing.T) {
	r := newOAuth(t)
	uid, _ := oaUser(t)
	long := strings.Repeat("a", 600)
	code := map[string]any{"user-id": uid, "client-id": "blog", "redirect-uri": oaRedirect, "issuer-session": "s", "code-challenge": oaChallenge}
	with := func(base map[string]any, kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	exch := map[string]any{"code": "c", "client-id": "blog", "redirect-uri": oaRedirect, "code-verifier": oaVerifier}
	poll := map[string]any{"device-code": "d", "client-id": "artdag"}
	actions := []struct {
		name  string
		body  map[string]any
		param string
	}{
		{"create-magic-link", map[string]any{}, "email"},
		{"create-magic-link", map[string]any{"email": "  "}, "email"},
		{"create-magic-link", map[string]any{"email": "no-at-sign.example.org"}, "email"},
		{"create-magic-link", map[string]any{"email": "a@b@example.org"}, "email"},
		{"create-magic-link", map[string]any{"email": "a b@example.org"}, "email"},
		{"create-magic-link", map[string]any{"email": "ann@localhost"}, "email"},
		{"create-magic-link", map[string]any{"email": "@example.org"}, "email"},
		{"create-magic-link", map[string]any{"email": "a@example.org", "next-url": "javascript:alert(1)"}, "next-url"},
		{"create-magic-link", map[string]any{"email": "a@example.org", "next-url": "//evil.example.org/"}, "next-url"},
		{"create-magic-link", map[string]any{"email": "a@example.org", "next-url": "/\\evil.example.org"}, "next-url"},
		{"consume-magic-link", map[string]any{}, "token"},
		{"consume-magic-link", map[string]any{"token": long}, "token"},
		{"create-grant", map[string]any{"client-id": "blog", "issuer-session": "s"}, "user-id"},
		{"create-grant", map[string]any{"user-id": "x", "client-id": "blog", "issuer-session": "s"}, "user-id"},
		{"create-grant", map[string]any{"user-id": uid, "client-id": "  ", "issuer-session": "s"}, "client-id"},
		{"create-grant", map[string]any{"user-id": uid, "client-id": strings.Repeat("c", 65), "issuer-session": "s"}, "client-id"},
		{"create-grant", map[string]any{"user-id": uid, "client-id": "bl og", "issuer-session": "s"}, "client-id"},
		{"create-grant", map[string]any{"user-id": uid, "client-id": "blog"}, "issuer-session"},
		{"create-grant", map[string]any{"user-id": uid, "client-id": "blog", "issuer-session": long}, "issuer-session"},
		{"create-grant", map[string]any{"user-id": uid, "client-id": "blog", "issuer-session": "s", "device-id": long}, "device-id"},
		{"revoke-grant", map[string]any{}, "token or grant-id"},
		{"revoke-grant", map[string]any{"token": "t", "grant-id": 1}, "token or grant-id"},
		{"revoke-grant", map[string]any{"grant-id": "x"}, "grant-id"},
		{"revoke-session-grants", map[string]any{}, "issuer-session"},
		{"revoke-user-grants", map[string]any{}, "user-id"},
		{"create-auth-code", with(code, "redirect-uri", nil), "redirect-uri"},
		{"create-auth-code", with(code, "redirect-uri", "ftp://blog.example.org/cb"), "redirect-uri"},
		{"create-auth-code", with(code, "redirect-uri", "/auth/callback"), "redirect-uri"},
		{"create-auth-code", with(code, "redirect-uri", "https:///cb"), "redirect-uri"},
		{"create-auth-code", with(code, "redirect-uri", oaRedirect+"#frag"), "redirect-uri"},
		{"create-auth-code", with(code, "client-id", nil), "client-id"},
		{"create-auth-code", with(code, "issuer-session", nil), "issuer-session"},
		{"create-auth-code", with(code, "code-challenge", "short"), "code-challenge"},
		{"create-auth-code", with(code, "code-challenge", oaChallenge[:42]+"="), "code-challenge"},
		{"create-auth-code", with(code, "code-challenge", "short", "code-challenge-method", "plain"), "code-challenge"},
		{"create-auth-code", with(code, "code-challenge", oaChallenge, "code-challenge-method", "S512"), "code-challenge-method"},
		{"create-auth-code", with(code, "code-challenge", nil), "code-challenge"},
		{"create-auth-code", with(code, "code-challenge-method", "plain"), "code-challenge-method"},
		{"create-auth-code", with(code, "client-id", "nobody-registered-this"), "client-id"},
		{"create-auth-code", with(code, "redirect-uri", oaRedirect+"/"), "redirect-uri"},
		{"exchange-auth-code", with(exch, "code-verifier", nil), "code-verifier"},
		{"create-auth-code", with(code, "scope", "read \"all\""), "scope"},
		{"create-auth-code", with(code, "scope", strings.Repeat("s ", 600)), "scope"},
		{"exchange-auth-code", with(exch, "code", nil), "code"},
		{"exchange-auth-code", with(exch, "code", long), "code"},
		{"exchange-auth-code", with(exch, "client-id", nil), "client-id"},
		{"exchange-auth-code", with(exch, "redirect-uri", "blog"), "redirect-uri"},
		{"exchange-auth-code", with(exch, "code-verifier", "too-short"), "code-verifier"},
		{"exchange-auth-code", with(exch, "code-verifier", strings.Repeat("v", 42)+"!"), "code-verifier"},
		{"exchange-auth-code", with(exch, "code-verifier", strings.Repeat("v", 129)), "code-verifier"},
		{"create-device-code", map[string]any{}, "client-id"},
		{"create-device-code", map[string]any{"client-id": "artdag", "scope": "a\\b"}, "scope"},
		{"create-device-code", map[string]any{"client-id": "nobody-registered-this"}, "client-id"},
		{"approve-device-code", map[string]any{"user-id": uid}, "user-code"},
		{"approve-device-code", map[string]any{"user-code": "BCDF-GHJ", "user-id": uid}, "user-code"},
		{"approve-device-code", map[string]any{"user-code": "BCDF-GHJA", "user-id": uid}, "user-code"},
		{"approve-device-code", map[string]any{"user-code": "BCDF-GHJK"}, "user-id"},
		{"deny-device-code", map[string]any{}, "user-code"},
		{"deny-device-code", map[string]any{"user-code": "BCDF-GHJK0"}, "user-code"},
		{"poll-device-code", with(poll, "device-code", nil), "device-code"},
		{"poll-device-code", with(poll, "device-code", long), "device-code"},
		{"poll-device-code", with(poll, "client-id", nil), "client-id"},
	}
	for _, tc := range actions {
		c := r.a(tc.name, tc.body)
		if c.Status != 400 || !strings.Contains(c.Body, tc.param) {
			t.Errorf("%s %v: %d %s, want a 400 naming %s", tc.name, tc.body, c.Status, c.Body, tc.param)
		}
	}
	queries := []struct {
		name   string
		params url.Values
		param  string
	}{
		{"verify-grant", vals(), "token"},
		{"verify-grant", vals("token", long), "token"},
		{"verify-grant", vals("token", "t", "client-id", "a b"), "client-id"},
		{"check-device", vals(), "device-id"},
		{"check-device", vals("device-id", long), "device-id"},
		{"device-code-by-user-code", vals(), "user-code"},
		{"device-code-by-user-code", vals("user-code", "ABCD-EFGH"), "user-code"},
	}
	for _, tc := range queries {
		c := r.q(tc.name, tc.params)
		if c.Status != 400 || !strings.Contains(c.Body, tc.param) {
			t.Errorf("%s %v: %d %s, want a 400 naming %s", tc.name, tc.params, c.Status, c.Body, tc.param)
		}
	}
	// Nothing was written by the refused calls.
	if n := scalar[int64](t, "select count(*) from oauth_grants where user_id = $1", uid); n != 0 {
		t.Fatalf("refused calls wrote %d grants", n)
	}
}

// tampered returns the secret with its first character changed, so the
// result differs from the original whatever character it started with.
func tampered(secret string) string {
	first := "A"
	if strings.HasPrefix(secret, "A") {
		first = "B"
	}
	return first + secret[1:]
}
