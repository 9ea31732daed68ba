package services_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Every federation query and action goes through fedQuery/fedAction, which
// fail the test if a response carries anything of a private key.

func fedURL(t *testing.T) string {
	t.Helper()
	return platform(t, "federation")["federation"]
}

func fedNoSecret(t *testing.T, name string, c call) {
	t.Helper()
	if strings.Contains(c.Body, "private_key") || strings.Contains(c.Body, "PRIVATE KEY") {
		t.Fatalf("%s exposes a private key: %s", name, c.Body)
	}
}

func fedQuery(t *testing.T, base, name, q string) call {
	t.Helper()
	c := query(t, base, name, q)
	fedNoSecret(t, name, c)
	return c
}

func fedAction(t *testing.T, base, name string, body map[string]any) call {
	t.Helper()
	c := action(t, base, name, body)
	fedNoSecret(t, name, c)
	return c
}

// fedUser inserts a user with a unique e-mail and returns its id.
func fedUser(t *testing.T, name string) int64 {
	t.Helper()
	return scalar[int64](t, "insert into users (email, name) values ($1, $2) returning id", uniq(t)+"@example.com", name)
}

// fedName is a username (letters, digits, underscore; under 30 characters)
// unique to this run.
func fedName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, time.Now().UnixNano()%1e8, seq.Add(1))
}

// fedProfile creates a user and their actor profile through the action and
// returns the profile.
func fedProfile(t *testing.T, base, prefix string) map[string]any {
	t.Helper()
	uid := fedUser(t, "User "+prefix)
	c := fedAction(t, base, "create-actor-profile", map[string]any{"user-id": uid, "username": fedName(prefix)})
	wantStatus(t, c, 200)
	return wantObj(t, c)
}

// fedURI is an https URI unique to this run.
func fedURI(what string) string {
	return fmt.Sprintf("https://r%d.fedtest.example/%s", seq.Add(1), what)
}

// fedRemote caches a remote actor through upsert-remote-actor and returns it.
func fedRemote(t *testing.T, base, username string) map[string]any {
	t.Helper()
	uri := fedURI("users/" + username)
	c := fedAction(t, base, "upsert-remote-actor", map[string]any{
		"actor-uri": uri, "inbox": uri + "/inbox", "preferred-username": username,
		"display-name": "Remote " + username,
	})
	wantStatus(t, c, 200)
	return wantObj(t, c)
}

func fedCount(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	return scalar[int64](t, sql, args...)
}

func fedIDs(t *testing.T, rows []any) []int64 {
	t.Helper()
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = num(t, r.(map[string]any)["id"])
	}
	return out
}

func fedSameIDs(got, want []int64) bool {
	return fmt.Sprint(got) == fmt.Sprint(want)
}

// ---------------------------------------------------------------------------
// Actor profiles
// ---------------------------------------------------------------------------

func TestFederationCreateActorProfile(t *testing.T) {
	b := fedURL(t)
	uid := fedUser(t, "Alice Example")
	name := fedName("Alice")

	c := fedAction(t, b, "create-actor-profile", map[string]any{"user-id": uid, "username": name, "summary": "Hi"})
	wantStatus(t, c, 200)
	p := wantObj(t, c)
	if num(t, p["user_id"]) != uid || p["preferred_username"] != name || p["summary"] != "Hi" ||
		p["display_name"] != "Alice Example" || p["avatar_url"] != nil {
		t.Fatalf("create-actor-profile: %s", c.Body)
	}
	for _, k := range []string{"id", "public_key_pem", "created_at", "updated_at"} {
		if _, ok := p[k]; !ok {
			t.Errorf("create-actor-profile lacks %s: %s", k, c.Body)
		}
	}
	if _, ok := p["private_key_pem"]; ok {
		t.Fatalf("private key returned: %s", c.Body)
	}
	id := num(t, p["id"])
	pub := p["public_key_pem"].(string)
	if !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("public key: %q", pub)
	}
	if stored := scalar[string](t, "select private_key_pem from ap_actor_profiles where id = $1", id); !strings.Contains(stored, "PRIVATE KEY") {
		t.Fatalf("stored private key: %q", stored)
	}

	// Idempotent: the same user and username (in any case) return the same
	// profile and key, without touching the row.
	stamp := scalar[time.Time](t, "select updated_at from ap_actor_profiles where id = $1", id)
	for _, again := range []string{name, strings.ToUpper(name)} {
		c = fedAction(t, b, "create-actor-profile", map[string]any{"user-id": uid, "username": again, "display-name": "Other"})
		wantStatus(t, c, 200)
		q := wantObj(t, c)
		if num(t, q["id"]) != id || q["public_key_pem"] != pub || q["preferred_username"] != name || q["display_name"] != "Alice Example" {
			t.Fatalf("create again (%s): %s", again, c.Body)
		}
	}
	if n := fedCount(t, "select count(*) from ap_actor_profiles where user_id = $1", uid); n != 1 {
		t.Fatalf("%d profiles, want 1", n)
	}
	if s := scalar[time.Time](t, "select updated_at from ap_actor_profiles where id = $1", id); !s.Equal(stamp) {
		t.Fatalf("repeat changed the row: %v -> %v", stamp, s)
	}

	// A given display name wins over the user's name; "" leaves it empty.
	other := fedUser(t, "Bob Example")
	c = fedAction(t, b, "create-actor-profile", map[string]any{
		"user-id": other, "username": fedName("bob"), "display-name": "Bobby", "avatar-url": "https://img.example/b.png",
	})
	wantStatus(t, c, 200)
	if q := wantObj(t, c); q["display_name"] != "Bobby" || q["avatar_url"] != "https://img.example/b.png" || q["public_key_pem"] == pub {
		t.Fatalf("second profile: %s", c.Body)
	}

	// 409: the username is taken (case-insensitively) by another user; the
	// other user gets no profile and the owner's row is unchanged.
	third := fedUser(t, "Carol")
	for _, taken := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
		wantError(t, fedAction(t, b, "create-actor-profile", map[string]any{"user-id": third, "username": taken}), 409, "taken")
	}
	if n := fedCount(t, "select count(*) from ap_actor_profiles where user_id = $1", third); n != 0 {
		t.Fatalf("taken username created %d profiles", n)
	}
	// 409: the user already has another username.
	wantError(t, fedAction(t, b, "create-actor-profile", map[string]any{"user-id": uid, "username": fedName("renamed")}), 409, name)
	if got := scalar[string](t, "select preferred_username from ap_actor_profiles where user_id = $1", uid); got != name {
		t.Fatalf("username changed to %q", got)
	}
	if got := scalar[string](t, "select public_key_pem from ap_actor_profiles where user_id = $1", uid); got != pub {
		t.Fatal("public key changed")
	}
	if s := scalar[time.Time](t, "select updated_at from ap_actor_profiles where id = $1", id); !s.Equal(stamp) {
		t.Fatalf("409 changed the row: %v -> %v", stamp, s)
	}

	// Unknown user: null, nothing written.
	wantNull(t, fedAction(t, b, "create-actor-profile", map[string]any{"user-id": 2000000000, "username": fedName("ghost")}))
	if n := fedCount(t, "select count(*) from ap_actor_profiles where user_id = 2000000000"); n != 0 {
		t.Fatal("profile for an unknown user")
	}

	// Bad input: 400 naming the parameter, nothing written.
	fresh := fedUser(t, "Dan")
	for _, bad := range []string{"", "has-hyphen", "has space", "dot.name", "émile", "a234567890123456789012345678901"} {
		wantBadParam(t, fedAction(t, b, "create-actor-profile", map[string]any{"user-id": fresh, "username": bad}), "username")
	}
	wantBadParam(t, fedAction(t, b, "create-actor-profile", map[string]any{"user-id": fresh}), "username")
	wantBadParam(t, fedAction(t, b, "create-actor-profile", map[string]any{"username": fedName("x")}), "user-id")
	wantBadParam(t, fedAction(t, b, "create-actor-profile", map[string]any{"user-id": "x", "username": fedName("x")}), "user-id")
	wantBadParam(t, fedAction(t, b, "create-actor-profile", map[string]any{"user-id": fresh, "username": fedName("x"), "avatar-url": "ftp://img/x.png"}), "avatar-url")
	wantBadParam(t, fedAction(t, b, "create-actor-profile", map[string]any{"user-id": fresh, "username": fedName("x"), "display-name": strings.Repeat("d", 101)}), "display-name")
	if n := fedCount(t, "select count(*) from ap_actor_profiles where user_id = $1", fresh); n != 0 {
		t.Fatalf("bad input created %d profiles", n)
	}
	// The longest allowed username works.
	long := fmt.Sprintf("L%029d", seq.Add(1))
	c = fedAction(t, b, "create-actor-profile", map[string]any{"user-id": fresh, "username": long})
	wantStatus(t, c, 200)
	if wantObj(t, c)["preferred_username"] != long {
		t.Fatalf("30-character username: %s", c.Body)
	}
}

func TestFederationActorKeyPair(t *testing.T) {
	b := fedURL(t)
	p1 := fedProfile(t, b, "signer")
	p2 := fedProfile(t, b, "other")

	parsePub := func(p map[string]any) *rsa.PublicKey {
		blk, _ := pem.Decode([]byte(p["public_key_pem"].(string)))
		if blk == nil || blk.Type != "PUBLIC KEY" {
			t.Fatalf("public key PEM: %v", p["public_key_pem"])
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok || rk.N.BitLen() < 2048 {
			t.Fatalf("public key: %T", k)
		}
		return rk
	}
	stored := scalar[string](t, "select private_key_pem from ap_actor_profiles where id = $1", num(t, p1["id"]))
	blk, _ := pem.Decode([]byte(stored))
	if blk == nil || blk.Type != "PRIVATE KEY" {
		t.Fatalf("stored private key PEM: %q", stored)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("private key: %T", k)
	}

	msg := sha256.Sum256([]byte("(request-target): post /inbox\nhost: example.com"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, msg[:])
	if err != nil {
		t.Fatal(err)
	}
	// The key returned by the lookups verifies what the stored key signed.
	got := wantObj(t, fedQuery(t, b, "actor-profile-by-user", "user-id="+itoa(num(t, p1["user_id"]))))
	if err := rsa.VerifyPKCS1v15(parsePub(got), crypto.SHA256, msg[:], sig); err != nil {
		t.Fatalf("returned public key does not match the stored private key: %v", err)
	}
	if err := rsa.VerifyPKCS1v15(parsePub(p2), crypto.SHA256, msg[:], sig); err == nil {
		t.Fatal("another actor's key verifies the signature")
	}
}

func TestFederationActorProfileLookups(t *testing.T) {
	b := fedURL(t)
	p := fedProfile(t, b, "Lookup")
	id, uid, name := num(t, p["id"]), num(t, p["user_id"]), p["preferred_username"].(string)

	for _, q := range []struct{ name, args string }{
		{"actor-profile-by-id", "id=" + itoa(id)},
		{"actor-profile-by-user", "user-id=" + itoa(uid)},
		{"actor-profile-by-username", "username=" + name},
		{"actor-profile-by-username", "username=" + strings.ToLower(name)},
		{"actor-profile-by-username", "username=" + strings.ToUpper(name)},
	} {
		c := fedQuery(t, b, q.name, q.args)
		wantStatus(t, c, 200)
		got := wantObj(t, c)
		if num(t, got["id"]) != id || got["preferred_username"] != name || got["public_key_pem"] != p["public_key_pem"] {
			t.Fatalf("%s %s: %s", q.name, q.args, c.Body)
		}
		if _, ok := got["private_key_pem"]; ok {
			t.Fatalf("%s exposes the private key", q.name)
		}
	}

	wantNull(t, fedQuery(t, b, "actor-profile-by-id", "id=2000000000"))
	wantNull(t, fedQuery(t, b, "actor-profile-by-user", "user-id=2000000000"))
	wantNull(t, fedQuery(t, b, "actor-profile-by-user", "user-id="+itoa(fedUser(t, "No Profile"))))
	wantNull(t, fedQuery(t, b, "actor-profile-by-username", "username=nobody_"+itoa(seq.Add(1))))
	wantBadParam(t, fedQuery(t, b, "actor-profile-by-id", "id=x"), "id")
	wantBadParam(t, fedQuery(t, b, "actor-profile-by-user", ""), "user-id")
	wantBadParam(t, fedQuery(t, b, "actor-profile-by-username", ""), "username")
}

func TestFederationUpdateActorProfile(t *testing.T) {
	b := fedURL(t)
	p := fedProfile(t, b, "upd")
	uid := num(t, p["user_id"])

	c := fedAction(t, b, "update-actor-profile", map[string]any{
		"user-id": uid, "display-name": "New Name", "summary": "About me", "avatar-url": "http://img.example/a.png",
	})
	wantStatus(t, c, 200)
	got := wantObj(t, c)
	if got["display_name"] != "New Name" || got["summary"] != "About me" || got["avatar_url"] != "http://img.example/a.png" ||
		num(t, got["id"]) != num(t, p["id"]) || got["public_key_pem"] != p["public_key_pem"] || got["preferred_username"] != p["preferred_username"] {
		t.Fatalf("update: %s", c.Body)
	}

	// Left out keeps; "" clears.
	c = fedAction(t, b, "update-actor-profile", map[string]any{"user-id": uid, "summary": ""})
	wantStatus(t, c, 200)
	got = wantObj(t, c)
	if got["display_name"] != "New Name" || got["summary"] != nil || got["avatar_url"] != "http://img.example/a.png" {
		t.Fatalf("partial update: %s", c.Body)
	}
	row := wantObj(t, fedQuery(t, b, "actor-profile-by-user", "user-id="+itoa(uid)))
	if row["display_name"] != "New Name" || row["summary"] != nil {
		t.Fatalf("stored: %v", row)
	}

	wantNull(t, fedAction(t, b, "update-actor-profile", map[string]any{"user-id": fedUser(t, "No Profile"), "display-name": "x"}))
	wantBadParam(t, fedAction(t, b, "update-actor-profile", map[string]any{"display-name": "x"}), "user-id")
	wantBadParam(t, fedAction(t, b, "update-actor-profile", map[string]any{"user-id": uid, "avatar-url": "javascript:alert(1)"}), "avatar-url")
	wantBadParam(t, fedAction(t, b, "update-actor-profile", map[string]any{"user-id": uid, "summary": strings.Repeat("s", 5001)}), "summary")
	if s := scalar[string](t, "select avatar_url from ap_actor_profiles where user_id = $1", uid); s != "http://img.example/a.png" {
		t.Fatalf("bad update changed avatar_url to %q", s)
	}
}

// ---------------------------------------------------------------------------
// Remote actors
// ---------------------------------------------------------------------------

func TestFederationRemoteActors(t *testing.T) {
	b := fedURL(t)
	uri := fedURI("users/Zed")
	host := strings.Split(strings.TrimPrefix(uri, "https://"), "/")[0]
	keyID := uri + "#main-key"
	const pubPEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"

	c := fedAction(t, b, "upsert-remote-actor", map[string]any{
		"actor-uri": uri, "inbox": uri + "/inbox", "shared-inbox": "https://" + host + "/inbox",
		"preferred-username": "Zed", "display-name": "Zed Z", "public-key-id": keyID, "public-key-pem": pubPEM,
	})
	wantStatus(t, c, 200)
	r := wantObj(t, c)
	id := num(t, r["id"])
	if r["actor_uri"] != uri || r["domain"] != host || r["preferred_username"] != "Zed" || r["public_key_pem"] != pubPEM ||
		r["shared_inbox"] != "https://"+host+"/inbox" || r["fetched_at"] == nil {
		t.Fatalf("upsert: %s", c.Body)
	}
	fetched := scalar[time.Time](t, "select fetched_at from ap_remote_actors where id = $1", id)

	for _, q := range []struct{ name, args string }{
		{"remote-actor-by-uri", "actor-uri=" + url.QueryEscape(uri)},
		{"remote-actor-by-key-id", "key-id=" + url.QueryEscape(keyID)},
		{"remote-actor-by-handle", "username=zed&domain=" + strings.ToUpper(host)},
	} {
		got := wantObj(t, fedQuery(t, b, q.name, q.args))
		if num(t, got["id"]) != id || got["inbox"] != uri+"/inbox" {
			t.Fatalf("%s: %v", q.name, got)
		}
	}

	// A refresh replaces the cached fields, keeps the id and moves fetched_at.
	time.Sleep(5 * time.Millisecond)
	c = fedAction(t, b, "upsert-remote-actor", map[string]any{
		"actor-uri": uri, "inbox": uri + "/inbox2", "preferred-username": "Zed", "domain": "Alias.Example",
	})
	wantStatus(t, c, 200)
	r = wantObj(t, c)
	if num(t, r["id"]) != id || r["inbox"] != uri+"/inbox2" || r["shared_inbox"] != nil || r["public_key_pem"] != nil ||
		r["display_name"] != nil || r["domain"] != "alias.example" {
		t.Fatalf("refresh: %s", c.Body)
	}
	if f := scalar[time.Time](t, "select fetched_at from ap_remote_actors where id = $1", id); !f.After(fetched) {
		t.Fatalf("fetched_at not refreshed: %v -> %v", fetched, f)
	}
	if n := fedCount(t, "select count(*) from ap_remote_actors where actor_uri = $1", uri); n != 1 {
		t.Fatalf("%d rows for one actor", n)
	}
	wantNull(t, fedQuery(t, b, "remote-actor-by-key-id", "key-id="+url.QueryEscape(keyID)))

	wantNull(t, fedQuery(t, b, "remote-actor-by-uri", "actor-uri="+url.QueryEscape(fedURI("users/none"))))
	wantNull(t, fedQuery(t, b, "remote-actor-by-handle", "username=nobody&domain=nowhere.example"))
	wantBadParam(t, fedQuery(t, b, "remote-actor-by-uri", "actor-uri=ftp://x.example/u"), "actor-uri")
	wantBadParam(t, fedQuery(t, b, "remote-actor-by-uri", ""), "actor-uri")
	wantBadParam(t, fedQuery(t, b, "remote-actor-by-key-id", "key-id=main-key"), "key-id")
	wantBadParam(t, fedQuery(t, b, "remote-actor-by-handle", "username=zed"), "domain")

	// Bad input: 400 naming the parameter, the cached row unchanged.
	bad := func(body map[string]any, param string) {
		t.Helper()
		full := map[string]any{"actor-uri": uri, "inbox": uri + "/inbox3"}
		for k, v := range body {
			full[k] = v
		}
		wantBadParam(t, fedAction(t, b, "upsert-remote-actor", full), param)
	}
	bad(map[string]any{"actor-uri": "mailto:zed@example.com"}, "actor-uri")
	bad(map[string]any{"actor-uri": "https://"}, "actor-uri")
	bad(map[string]any{"actor-uri": "https:// spaced.example/u"}, "actor-uri")
	bad(map[string]any{"inbox": "/inbox"}, "inbox")
	bad(map[string]any{"shared-inbox": "inbox"}, "shared-inbox")
	bad(map[string]any{"icon-url": "data:image/png;base64,AAAA"}, "icon-url")
	bad(map[string]any{"public-key-id": "#main-key"}, "public-key-id")
	bad(map[string]any{"public-key-pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "public-key-pem")
	bad(map[string]any{"public-key-pem": "not a key"}, "public-key-pem")
	bad(map[string]any{"domain": " "}, "domain")
	wantBadParam(t, fedAction(t, b, "upsert-remote-actor", map[string]any{"actor-uri": uri}), "inbox")
	if s := scalar[string](t, "select inbox from ap_remote_actors where id = $1", id); s != uri+"/inbox2" {
		t.Fatalf("bad upsert changed inbox to %q", s)
	}
}

// ---------------------------------------------------------------------------
// Followers
// ---------------------------------------------------------------------------

func TestFederationFollowers(t *testing.T) {
	b := fedURL(t)
	p := fedProfile(t, b, "followed")
	pid := num(t, p["id"])
	uid := num(t, p["user_id"])
	known := fedRemote(t, b, "known")
	knownURI := known["actor_uri"].(string)
	anon := fedURI("users/anon")
	shared := fedURI("inbox")

	add := func(body map[string]any) call {
		t.Helper()
		full := map[string]any{"actor-profile-id": pid}
		for k, v := range body {
			full[k] = v
		}
		return fedAction(t, b, "add-follower", full)
	}

	c := add(map[string]any{"follower-actor-uri": knownURI, "follower-inbox": knownURI + "/inbox", "follower-shared-inbox": shared,
		"follow-activity-id": knownURI + "/follows/1"})
	wantStatus(t, c, 200)
	f := wantObj(t, c)
	fid := num(t, f["id"])
	if num(t, f["actor_profile_id"]) != pid || f["app_domain"] != "federation" || f["follower_actor_uri"] != knownURI ||
		num(t, f["remote_actor_id"]) != num(t, known["id"]) || f["accepted_at"] == nil || f["preferred_username"] != "known" ||
		f["follow_activity_id"] != knownURI+"/follows/1" {
		t.Fatalf("add-follower: %s", c.Body)
	}

	// Idempotent: the same follower again is the same row, inboxes refreshed,
	// and only the first Follow notified the user.
	c = add(map[string]any{"follower-actor-uri": knownURI, "follower-inbox": knownURI + "/inbox-new"})
	wantStatus(t, c, 200)
	f = wantObj(t, c)
	if num(t, f["id"]) != fid || f["follower_inbox"] != knownURI+"/inbox-new" || f["follower_shared_inbox"] != shared ||
		f["follow_activity_id"] != knownURI+"/follows/1" {
		t.Fatalf("add-follower again: %s", c.Body)
	}
	if n := fedCount(t, "select count(*) from ap_followers where actor_profile_id = $1", pid); n != 1 {
		t.Fatalf("%d follower rows, want 1", n)
	}
	if n := fedCount(t, "select count(*) from ap_notifications where actor_profile_id = $1 and notification_type = 'follow' and from_actor_uri = $2", pid, knownURI); n != 1 {
		t.Fatalf("%d follow notifications, want 1", n)
	}

	// Followers are per app; an uncached follower has no actor fields.
	wantStatus(t, add(map[string]any{"follower-actor-uri": anon, "follower-inbox": anon + "/inbox", "follower-shared-inbox": shared}), 200)
	c = add(map[string]any{"follower-actor-uri": anon, "follower-inbox": anon + "/inbox", "app-domain": "blog"})
	wantStatus(t, c, 200)
	if g := wantObj(t, c); g["app_domain"] != "blog" || g["remote_actor_id"] != nil || g["preferred_username"] != nil {
		t.Fatalf("blog follower: %s", c.Body)
	}

	rows := wantArr(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)))
	if len(rows) != 2 || rows[0].(map[string]any)["follower_actor_uri"] != anon || num(t, rows[1].(map[string]any)["id"]) != fid {
		t.Fatalf("followers-of (newest first): %v", rows)
	}
	rows = wantArr(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)+"&app-domain=blog"))
	if len(rows) != 1 || rows[0].(map[string]any)["follower_actor_uri"] != anon {
		t.Fatalf("followers-of blog: %v", rows)
	}
	rows = wantArr(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)+"&limit=1&offset=1"))
	if len(rows) != 1 || num(t, rows[0].(map[string]any)["id"]) != fid {
		t.Fatalf("followers-of paged: %v", rows)
	}
	if rows := wantArr(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)+"&app-domain=market")); len(rows) != 0 {
		t.Fatalf("followers-of market: %v", rows)
	}

	// Delivery inboxes: the shared inbox once, else the actor's inbox.
	inboxes := wantArr(t, fedQuery(t, b, "follower-inboxes", "actor-profile-id="+itoa(pid)))
	if len(inboxes) != 1 || inboxes[0] != shared {
		t.Fatalf("follower-inboxes: %v", inboxes)
	}
	inboxes = wantArr(t, fedQuery(t, b, "follower-inboxes", "actor-profile-id="+itoa(pid)+"&app-domain=blog"))
	if len(inboxes) != 1 || inboxes[0] != anon+"/inbox" {
		t.Fatalf("follower-inboxes blog: %v", inboxes)
	}

	// Caching the actor later links the follower rows recorded under its URI.
	fedAction(t, b, "upsert-remote-actor", map[string]any{"actor-uri": anon, "inbox": anon + "/inbox", "preferred-username": "anon"})
	rows = wantArr(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)+"&app-domain=blog"))
	if len(rows) != 1 || rows[0].(map[string]any)["preferred_username"] != "anon" || rows[0].(map[string]any)["remote_actor_id"] == nil {
		t.Fatalf("follower not linked to its cached actor: %v", rows)
	}

	// remove-follower: per app, idempotent.
	rm := map[string]any{"actor-profile-id": pid, "follower-actor-uri": anon, "app-domain": "blog"}
	if r := wantObj(t, fedAction(t, b, "remove-follower", rm)); r["removed"] != true {
		t.Fatalf("remove-follower: %v", r)
	}
	if r := wantObj(t, fedAction(t, b, "remove-follower", rm)); r["removed"] != false {
		t.Fatalf("remove-follower again: %v", r)
	}
	if rows := wantArr(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)+"&app-domain=blog")); len(rows) != 0 {
		t.Fatalf("removed follower listed: %v", rows)
	}
	if rows := wantArr(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid))); len(rows) != 2 {
		t.Fatalf("removing the blog follower touched federation's: %v", rows)
	}
	// One follow notification per new follower row (anon follows on two
	// apps), linked to the cached actor once it is known.
	notes := wantArr(t, fedQuery(t, b, "notifications-for-user", "user-id="+itoa(uid)))
	if len(notes) != 3 {
		t.Fatalf("follow notifications: %v", notes)
	}
	for i, want := range []string{anon, anon, knownURI} {
		n := notes[i].(map[string]any)
		if n["notification_type"] != "follow" || n["from_actor_uri"] != want || n["from_username"] == nil {
			t.Fatalf("follow notification %d: %v", i, n)
		}
	}

	// Unknown ids: null; bad input: 400 naming the parameter, nothing written.
	wantNull(t, fedQuery(t, b, "followers-of", "actor-profile-id=2000000000"))
	wantNull(t, fedQuery(t, b, "follower-inboxes", "actor-profile-id=2000000000"))
	wantNull(t, fedAction(t, b, "add-follower", map[string]any{"actor-profile-id": 2000000000, "follower-actor-uri": anon, "follower-inbox": anon}))
	if r := wantObj(t, fedAction(t, b, "remove-follower", map[string]any{"actor-profile-id": 2000000000, "follower-actor-uri": anon})); r["removed"] != false {
		t.Fatalf("remove-follower unknown: %v", r)
	}
	before := fedCount(t, "select count(*) from ap_followers where actor_profile_id = $1", pid)
	wantBadParam(t, add(map[string]any{"follower-actor-uri": "acct:x@y", "follower-inbox": anon}), "follower-actor-uri")
	wantBadParam(t, add(map[string]any{"follower-actor-uri": anon + "2", "follower-inbox": "inbox"}), "follower-inbox")
	wantBadParam(t, add(map[string]any{"follower-actor-uri": anon + "2", "follower-inbox": anon, "follower-shared-inbox": "x"}), "follower-shared-inbox")
	wantBadParam(t, add(map[string]any{"follower-actor-uri": anon + "2", "follower-inbox": anon, "follow-activity-id": "x"}), "follow-activity-id")
	wantBadParam(t, add(map[string]any{"follower-actor-uri": anon + "2", "follower-inbox": anon, "app-domain": "nope"}), "app-domain")
	wantBadParam(t, add(map[string]any{"follower-actor-uri": anon + "2"}), "follower-inbox")
	if after := fedCount(t, "select count(*) from ap_followers where actor_profile_id = $1", pid); after != before {
		t.Fatalf("bad input wrote followers: %d -> %d", before, after)
	}
	wantBadParam(t, fedAction(t, b, "remove-follower", map[string]any{"actor-profile-id": pid, "follower-actor-uri": "x"}), "follower-actor-uri")
	wantBadParam(t, fedAction(t, b, "remove-follower", map[string]any{"actor-profile-id": pid, "follower-actor-uri": anon, "app-domain": "x"}), "app-domain")
	wantBadParam(t, fedQuery(t, b, "followers-of", ""), "actor-profile-id")
	wantBadParam(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)+"&app-domain=x"), "app-domain")
	wantBadParam(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)+"&limit=0"), "limit")
	wantBadParam(t, fedQuery(t, b, "followers-of", "actor-profile-id="+itoa(pid)+"&offset=-1"), "offset")
	wantBadParam(t, fedQuery(t, b, "follower-inboxes", "actor-profile-id=x"), "actor-profile-id")
	wantBadParam(t, fedQuery(t, b, "follower-inboxes", "actor-profile-id="+itoa(pid)+"&app-domain=x"), "app-domain")
}

// ---------------------------------------------------------------------------
// Following
// ---------------------------------------------------------------------------

func TestFederationFollowing(t *testing.T) {
	b := fedURL(t)
	p := fedProfile(t, b, "follower")
	pid := num(t, p["id"])
	r1, r2 := fedRemote(t, b, "first"), fedRemote(t, b, "second")
	rid1, rid2 := num(t, r1["id"]), num(t, r2["id"])
	act1 := fedURI("activities/follow-1")

	c := fedAction(t, b, "follow", map[string]any{"actor-profile-id": pid, "remote-actor-id": rid1, "follow-activity-id": act1})
	wantStatus(t, c, 200)
	f := wantObj(t, c)
	fid := num(t, f["id"])
	if f["state"] != "pending" || f["accepted_at"] != nil || f["follow_activity_id"] != act1 ||
		num(t, f["remote_actor_id"]) != rid1 || f["actor_uri"] != r1["actor_uri"] || f["preferred_username"] != "first" {
		t.Fatalf("follow: %s", c.Body)
	}
	// Idempotent.
	c = fedAction(t, b, "follow", map[string]any{"actor-profile-id": pid, "remote-actor-id": rid1})
	if g := wantObj(t, c); num(t, g["id"]) != fid || g["state"] != "pending" || g["follow_activity_id"] != act1 {
		t.Fatalf("follow again: %s", c.Body)
	}
	wantStatus(t, fedAction(t, b, "follow", map[string]any{"actor-profile-id": pid, "remote-actor-id": rid2}), 200)

	// 409: a Follow id used by another follow; nothing written.
	wantError(t, fedAction(t, b, "follow", map[string]any{"actor-profile-id": pid, "remote-actor-id": rid2, "follow-activity-id": act1}), 409, "follow-activity-id")
	if s := scalar[*string](t, "select follow_activity_id from ap_following where actor_profile_id = $1 and remote_actor_id = $2", pid, rid2); s != nil {
		t.Fatalf("409 set follow_activity_id to %q", *s)
	}

	rows := wantArr(t, fedQuery(t, b, "following-of", "actor-profile-id="+itoa(pid)))
	if len(rows) != 2 || num(t, rows[1].(map[string]any)["id"]) != fid {
		t.Fatalf("following-of: %v", rows)
	}

	// accept-follow: found by the Follow id (with the remote actor), pending -> accepted.
	c = fedAction(t, b, "accept-follow", map[string]any{"remote-actor-id": rid1, "follow-activity-id": act1})
	wantStatus(t, c, 200)
	if g := wantObj(t, c); num(t, g["id"]) != fid || g["state"] != "accepted" || g["accepted_at"] == nil {
		t.Fatalf("accept-follow: %s", c.Body)
	}
	// Accepting again: 409, row unchanged.
	stamp := scalar[time.Time](t, "select updated_at from ap_following where id = $1", fid)
	wantError(t, fedAction(t, b, "accept-follow", map[string]any{"remote-actor-id": rid1, "actor-profile-id": pid}), 409, "accepted")
	if s := scalar[time.Time](t, "select updated_at from ap_following where id = $1", fid); !s.Equal(stamp) {
		t.Fatal("409 changed the follow")
	}
	// Another remote actor cannot answer this Follow.
	wantNull(t, fedAction(t, b, "accept-follow", map[string]any{"remote-actor-id": rid2, "follow-activity-id": act1}))
	wantNull(t, fedAction(t, b, "accept-follow", map[string]any{"remote-actor-id": 2000000000, "actor-profile-id": pid}))

	rows = wantArr(t, fedQuery(t, b, "following-of", "actor-profile-id="+itoa(pid)+"&state=accepted"))
	if len(rows) != 1 || num(t, rows[0].(map[string]any)["id"]) != fid {
		t.Fatalf("following-of accepted: %v", rows)
	}
	rows = wantArr(t, fedQuery(t, b, "following-of", "actor-profile-id="+itoa(pid)+"&state=pending"))
	if len(rows) != 1 || num(t, rows[0].(map[string]any)["remote_actor_id"]) != rid2 {
		t.Fatalf("following-of pending: %v", rows)
	}
	rows = wantArr(t, fedQuery(t, b, "following-of", "actor-profile-id="+itoa(pid)+"&remote-actor-id="+itoa(rid1)))
	if len(rows) != 1 || rows[0].(map[string]any)["state"] != "accepted" {
		t.Fatalf("following-of one actor: %v", rows)
	}
	rows = wantArr(t, fedQuery(t, b, "following-of", "actor-profile-id="+itoa(pid)+"&limit=1"))
	if len(rows) != 1 || num(t, rows[0].(map[string]any)["remote_actor_id"]) != rid2 {
		t.Fatalf("following-of limit: %v", rows)
	}

	// reject-follow: pending -> rejected; again 409; a new follow makes it pending.
	c = fedAction(t, b, "reject-follow", map[string]any{"remote-actor-id": rid2, "actor-profile-id": pid})
	if g := wantObj(t, c); g["state"] != "rejected" || g["accepted_at"] != nil {
		t.Fatalf("reject-follow: %s", c.Body)
	}
	wantError(t, fedAction(t, b, "reject-follow", map[string]any{"remote-actor-id": rid2, "actor-profile-id": pid}), 409, "rejected")
	wantError(t, fedAction(t, b, "accept-follow", map[string]any{"remote-actor-id": rid2, "actor-profile-id": pid}), 409, "rejected")
	if s := scalar[string](t, "select state from ap_following where actor_profile_id = $1 and remote_actor_id = $2", pid, rid2); s != "rejected" {
		t.Fatalf("409 changed the state to %s", s)
	}
	act2 := fedURI("activities/follow-2")
	c = fedAction(t, b, "follow", map[string]any{"actor-profile-id": pid, "remote-actor-id": rid2, "follow-activity-id": act2})
	if g := wantObj(t, c); g["state"] != "pending" || g["follow_activity_id"] != act2 {
		t.Fatalf("follow after reject: %s", c.Body)
	}

	// unfollow returns the Follow id for the Undo; again: false.
	c = fedAction(t, b, "unfollow", map[string]any{"actor-profile-id": pid, "remote-actor-id": rid1})
	if g := wantObj(t, c); g["unfollowed"] != true || g["follow_activity_id"] != act1 {
		t.Fatalf("unfollow: %s", c.Body)
	}
	c = fedAction(t, b, "unfollow", map[string]any{"actor-profile-id": pid, "remote-actor-id": rid1})
	if g := wantObj(t, c); g["unfollowed"] != false || g["follow_activity_id"] != nil {
		t.Fatalf("unfollow again: %s", c.Body)
	}
	if n := fedCount(t, "select count(*) from ap_following where actor_profile_id = $1", pid); n != 1 {
		t.Fatalf("%d follows left, want 1", n)
	}

	// Unknown ids: null; bad input: 400 naming the parameter.
	wantNull(t, fedAction(t, b, "follow", map[string]any{"actor-profile-id": 2000000000, "remote-actor-id": rid1}))
	wantNull(t, fedAction(t, b, "follow", map[string]any{"actor-profile-id": pid, "remote-actor-id": 2000000000}))
	wantNull(t, fedQuery(t, b, "following-of", "actor-profile-id=2000000000"))
	wantBadParam(t, fedAction(t, b, "follow", map[string]any{"actor-profile-id": pid, "remote-actor-id": rid1, "follow-activity-id": "f1"}), "follow-activity-id")
	wantBadParam(t, fedAction(t, b, "follow", map[string]any{"actor-profile-id": pid}), "remote-actor-id")
	wantBadParam(t, fedAction(t, b, "accept-follow", map[string]any{"remote-actor-id": rid2}), "actor-profile-id")
	wantBadParam(t, fedAction(t, b, "accept-follow", map[string]any{"actor-profile-id": pid}), "remote-actor-id")
	wantBadParam(t, fedAction(t, b, "accept-follow", map[string]any{"remote-actor-id": rid2, "follow-activity-id": "x"}), "follow-activity-id")
	wantBadParam(t, fedAction(t, b, "reject-follow", map[string]any{"remote-actor-id": rid2}), "follow-activity-id")
	wantBadParam(t, fedAction(t, b, "unfollow", map[string]any{"actor-profile-id": pid}), "remote-actor-id")
	wantBadParam(t, fedQuery(t, b, "following-of", "actor-profile-id="+itoa(pid)+"&state=maybe"), "state")
	wantBadParam(t, fedQuery(t, b, "following-of", "actor-profile-id="+itoa(pid)+"&limit=1001"), "limit")
	if s := scalar[string](t, "select state from ap_following where actor_profile_id = $1 and remote_actor_id = $2", pid, rid2); s != "pending" {
		t.Fatalf("bad input changed the state to %s", s)
	}
}

// ---------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------

func TestFederationNotifications(t *testing.T) {
	b := fedURL(t)
	p := fedProfile(t, b, "notified")
	pid, uid := num(t, p["id"]), num(t, p["user_id"])
	other := fedProfile(t, b, "bystander")
	sender := fedRemote(t, b, "sender")
	from := sender["actor_uri"].(string)
	obj := fedURI("notes/1")

	add := func(kind, object string) map[string]any {
		t.Helper()
		body := map[string]any{"actor-profile-id": pid, "notification-type": kind, "from-actor-uri": from}
		if object != "" {
			body["object-id"] = object
		}
		c := fedAction(t, b, "add-notification", body)
		wantStatus(t, c, 200)
		return wantObj(t, c)
	}
	n1 := add("mention", obj)
	if n1["notification_type"] != "mention" || n1["object_id"] != obj || num(t, n1["remote_actor_id"]) != num(t, sender["id"]) ||
		n1["from_username"] != "sender" || n1["read_at"] != nil {
		t.Fatalf("add-notification: %v", n1)
	}
	// Idempotent.
	if again := add("mention", obj); num(t, again["id"]) != num(t, n1["id"]) {
		t.Fatalf("add-notification again: %v", again)
	}
	n2 := add("reply", obj)
	n3 := add("follow", "")
	if again := add("follow", ""); num(t, again["id"]) != num(t, n3["id"]) {
		t.Fatalf("add-notification without object again: %v", again)
	}
	theirs := wantObj(t, fedAction(t, b, "add-notification", map[string]any{
		"actor-profile-id": num(t, other["id"]), "notification-type": "like", "from-actor-uri": from, "object-id": obj,
	}))
	if n := fedCount(t, "select count(*) from ap_notifications where actor_profile_id = $1", pid); n != 3 {
		t.Fatalf("%d notifications, want 3", n)
	}

	list := func(args string) []int64 {
		t.Helper()
		return fedIDs(t, wantArr(t, fedQuery(t, b, "notifications-for-user", "user-id="+itoa(uid)+args)))
	}
	all := []int64{num(t, n3["id"]), num(t, n2["id"]), num(t, n1["id"])}
	if got := list(""); !fedSameIDs(got, all) {
		t.Fatalf("notifications-for-user: %v, want %v", got, all)
	}
	if got := list("&limit=2"); !fedSameIDs(got, all[:2]) {
		t.Fatalf("notifications-for-user limit: %v", got)
	}

	// Mark some read: other users' ids are ignored; the count is what changed.
	c := fedAction(t, b, "mark-notifications-read", map[string]any{"user-id": uid, "ids": []int64{num(t, n1["id"]), num(t, theirs["id"])}})
	if m := wantObj(t, c); num(t, m["count"]) != 1 {
		t.Fatalf("mark-notifications-read: %s", c.Body)
	}
	if s := scalar[*time.Time](t, "select read_at from ap_notifications where id = $1", num(t, theirs["id"])); s != nil {
		t.Fatal("marked another user's notification read")
	}
	if got := list("&unread-only=true"); !fedSameIDs(got, all[:2]) {
		t.Fatalf("unread after marking one: %v", got)
	}
	// Again: nothing newly marked. Then all.
	c = fedAction(t, b, "mark-notifications-read", map[string]any{"user-id": uid, "ids": fmt.Sprint(num(t, n1["id"]))})
	if m := wantObj(t, c); num(t, m["count"]) != 0 {
		t.Fatalf("mark again: %s", c.Body)
	}
	c = fedAction(t, b, "mark-notifications-read", map[string]any{"user-id": uid})
	if m := wantObj(t, c); num(t, m["count"]) != 2 {
		t.Fatalf("mark all: %s", c.Body)
	}
	if got := list("&unread-only=1"); len(got) != 0 {
		t.Fatalf("unread after marking all: %v", got)
	}
	rows := wantArr(t, fedQuery(t, b, "notifications-for-user", "user-id="+itoa(uid)))
	if len(rows) != 3 || rows[0].(map[string]any)["read_at"] == nil {
		t.Fatalf("read notifications: %v", rows)
	}

	noProfile := fedUser(t, "No Profile")
	wantNull(t, fedQuery(t, b, "notifications-for-user", "user-id="+itoa(noProfile)))
	wantNull(t, fedAction(t, b, "mark-notifications-read", map[string]any{"user-id": noProfile}))
	wantNull(t, fedAction(t, b, "add-notification", map[string]any{"actor-profile-id": 2000000000, "notification-type": "like", "from-actor-uri": from}))
	wantBadParam(t, fedQuery(t, b, "notifications-for-user", ""), "user-id")
	wantBadParam(t, fedQuery(t, b, "notifications-for-user", "user-id="+itoa(uid)+"&unread-only=perhaps"), "unread-only")
	wantBadParam(t, fedQuery(t, b, "notifications-for-user", "user-id="+itoa(uid)+"&limit=201"), "limit")
	wantBadParam(t, fedAction(t, b, "mark-notifications-read", map[string]any{"user-id": uid, "ids": "1,x"}), "ids")
	wantBadParam(t, fedAction(t, b, "mark-notifications-read", map[string]any{}), "user-id")
	wantBadParam(t, fedAction(t, b, "add-notification", map[string]any{"actor-profile-id": pid, "notification-type": "poke", "from-actor-uri": from}), "notification-type")
	wantBadParam(t, fedAction(t, b, "add-notification", map[string]any{"actor-profile-id": pid, "notification-type": "like", "from-actor-uri": "someone"}), "from-actor-uri")
	wantBadParam(t, fedAction(t, b, "add-notification", map[string]any{"actor-profile-id": pid, "notification-type": "like", "from-actor-uri": from, "object-id": "x"}), "object-id")
	if n := fedCount(t, "select count(*) from ap_notifications where actor_profile_id = $1", pid); n != 3 {
		t.Fatalf("bad input wrote notifications: %d", n)
	}
}

// ---------------------------------------------------------------------------
// Interactions
// ---------------------------------------------------------------------------

func TestFederationInteractions(t *testing.T) {
	b := fedURL(t)
	author := fedProfile(t, b, "author")
	liker := fedProfile(t, b, "liker")
	aid, lid := num(t, author["id"]), num(t, liker["id"])
	remote := fedRemote(t, b, "fan")
	rid := num(t, remote["id"])
	post := wantObj(t, fedAction(t, b, "create-local-post", map[string]any{"actor-profile-id": aid, "object-id": fedURI("notes/local"), "content": "hello"}))
	postURI := post["object_id"].(string)
	remoteObj := fedURI("notes/remote")

	rec := func(body map[string]any) call {
		t.Helper()
		return fedAction(t, b, "record-interaction", body)
	}

	// Outbound like by a local actor; idempotent.
	like := map[string]any{"direction": "outbound", "interaction-type": "like", "object-id": remoteObj, "actor-profile-id": lid,
		"activity-id": fedURI("likes/1")}
	c := rec(like)
	wantStatus(t, c, 200)
	out := wantObj(t, c)
	if out["direction"] != "outbound" || out["interaction_type"] != "like" || num(t, out["actor_profile_id"]) != lid ||
		out["object_id"] != remoteObj || out["local_post_id"] != nil || out["undone_at"] != nil {
		t.Fatalf("record outbound: %s", c.Body)
	}
	if again := wantObj(t, rec(like)); num(t, again["id"]) != num(t, out["id"]) {
		t.Fatalf("record outbound again: %v", again)
	}
	boost := wantObj(t, rec(map[string]any{"direction": "outbound", "interaction-type": "boost", "object-id": remoteObj, "actor-profile-id": lid}))
	if num(t, boost["id"]) == num(t, out["id"]) {
		t.Fatal("a boost is not the like")
	}

	// Inbound like of a local post: linked to the post, its author is notified once.
	in := map[string]any{"direction": "inbound", "interaction-type": "like", "object-id": postURI, "remote-actor-id": rid}
	c = rec(in)
	wantStatus(t, c, 200)
	inb := wantObj(t, c)
	if num(t, inb["remote_actor_id"]) != rid || num(t, inb["local_post_id"]) != num(t, post["id"]) || num(t, inb["actor_profile_id"]) != aid {
		t.Fatalf("record inbound: %s", c.Body)
	}
	if again := wantObj(t, rec(in)); num(t, again["id"]) != num(t, inb["id"]) {
		t.Fatalf("record inbound again: %v", again)
	}
	notes := wantArr(t, fedQuery(t, b, "notifications-for-user", "user-id="+itoa(num(t, author["user_id"]))))
	if len(notes) != 1 {
		t.Fatalf("author notifications: %v", notes)
	}
	if n := notes[0].(map[string]any); n["notification_type"] != "like" || n["object_id"] != postURI ||
		num(t, n["interaction_id"]) != num(t, inb["id"]) || n["from_actor_uri"] != remote["actor_uri"] {
		t.Fatalf("like notification: %v", n)
	}

	// interactions-for-object: live ones, newest first, filterable.
	rows := wantArr(t, fedQuery(t, b, "interactions-for-object", "object-id="+url.QueryEscape(remoteObj)))
	if got := fedIDs(t, rows); !fedSameIDs(got, []int64{num(t, boost["id"]), num(t, out["id"])}) {
		t.Fatalf("interactions-for-object: %v", rows)
	}
	if r := rows[1].(map[string]any); r["local_username"] != liker["preferred_username"] {
		t.Fatalf("interaction actor fields: %v", r)
	}
	rows = wantArr(t, fedQuery(t, b, "interactions-for-object", "object-id="+url.QueryEscape(remoteObj)+"&interaction-type=like"))
	if len(rows) != 1 || num(t, rows[0].(map[string]any)["id"]) != num(t, out["id"]) {
		t.Fatalf("interactions-for-object likes: %v", rows)
	}
	rows = wantArr(t, fedQuery(t, b, "interactions-for-object", "object-id="+url.QueryEscape(postURI)))
	if len(rows) != 1 || rows[0].(map[string]any)["remote_username"] != "fan" {
		t.Fatalf("interactions-for-object inbound: %v", rows)
	}
	if rows := wantArr(t, fedQuery(t, b, "interactions-for-object", "object-id="+url.QueryEscape(fedURI("none")))); len(rows) != 0 {
		t.Fatalf("interactions-for-object unknown: %v", rows)
	}

	// undo: gone from the list; idempotent; recording again is a new row.
	undo := map[string]any{"direction": "outbound", "interaction-type": "like", "object-id": remoteObj, "actor-profile-id": lid}
	if u := wantObj(t, fedAction(t, b, "undo-interaction", undo)); u["undone"] != true {
		t.Fatalf("undo: %v", u)
	}
	if u := wantObj(t, fedAction(t, b, "undo-interaction", undo)); u["undone"] != false {
		t.Fatalf("undo again: %v", u)
	}
	rows = wantArr(t, fedQuery(t, b, "interactions-for-object", "object-id="+url.QueryEscape(remoteObj)+"&interaction-type=like"))
	if len(rows) != 0 {
		t.Fatalf("undone like listed: %v", rows)
	}
	// The undone Like's activity id cannot be reused: 409, nothing written.
	before := fedCount(t, "select count(*) from ap_interactions where object_id = $1", remoteObj)
	wantError(t, rec(like), 409, "activity-id")
	if after := fedCount(t, "select count(*) from ap_interactions where object_id = $1", remoteObj); after != before {
		t.Fatalf("409 wrote interactions: %d -> %d", before, after)
	}
	relike := wantObj(t, rec(undo))
	if num(t, relike["id"]) == num(t, out["id"]) || relike["undone_at"] != nil {
		t.Fatalf("like after undo: %v", relike)
	}
	inUndo := map[string]any{"direction": "inbound", "interaction-type": "like", "object-id": postURI, "remote-actor-id": rid}
	if u := wantObj(t, fedAction(t, b, "undo-interaction", inUndo)); u["undone"] != true {
		t.Fatalf("undo inbound: %v", u)
	}

	// Unknown actors: null, nothing written.
	wantNull(t, rec(map[string]any{"direction": "outbound", "interaction-type": "like", "object-id": remoteObj, "actor-profile-id": 2000000000}))
	wantNull(t, rec(map[string]any{"direction": "inbound", "interaction-type": "like", "object-id": postURI, "remote-actor-id": 2000000000}))

	// Bad input: 400 naming the parameter, nothing written.
	before = fedCount(t, "select count(*) from ap_interactions")
	for _, tc := range []struct {
		body  map[string]any
		param string
	}{
		{map[string]any{"direction": "sideways", "interaction-type": "like", "object-id": remoteObj, "actor-profile-id": lid}, "direction"},
		{map[string]any{"direction": "outbound", "interaction-type": "love", "object-id": remoteObj, "actor-profile-id": lid}, "interaction-type"},
		{map[string]any{"direction": "outbound", "interaction-type": "like", "object-id": "note-1", "actor-profile-id": lid}, "object-id"},
		{map[string]any{"direction": "outbound", "interaction-type": "like", "object-id": remoteObj}, "actor-profile-id"},
		{map[string]any{"direction": "inbound", "interaction-type": "like", "object-id": remoteObj, "actor-profile-id": lid}, "remote-actor-id"},
		{map[string]any{"direction": "outbound", "interaction-type": "like", "object-id": remoteObj, "actor-profile-id": lid, "activity-id": "x"}, "activity-id"},
		{map[string]any{"interaction-type": "like", "object-id": remoteObj, "actor-profile-id": lid}, "direction"},
	} {
		wantBadParam(t, rec(tc.body), tc.param)
	}
	if after := fedCount(t, "select count(*) from ap_interactions"); after != before {
		t.Fatalf("bad input wrote interactions: %d -> %d", before, after)
	}
	wantBadParam(t, fedAction(t, b, "undo-interaction", map[string]any{"direction": "inbound", "interaction-type": "like", "object-id": postURI}), "remote-actor-id")
	wantBadParam(t, fedAction(t, b, "undo-interaction", map[string]any{"direction": "outbound", "interaction-type": "boost", "object-id": "x", "actor-profile-id": lid}), "object-id")
	wantBadParam(t, fedQuery(t, b, "interactions-for-object", ""), "object-id")
	wantBadParam(t, fedQuery(t, b, "interactions-for-object", "object-id=x"), "object-id")
	wantBadParam(t, fedQuery(t, b, "interactions-for-object", "object-id="+url.QueryEscape(remoteObj)+"&interaction-type=x"), "interaction-type")
	wantBadParam(t, fedQuery(t, b, "interactions-for-object", "object-id="+url.QueryEscape(remoteObj)+"&limit=501"), "limit")
}

// ---------------------------------------------------------------------------
// Local posts
// ---------------------------------------------------------------------------

func TestFederationLocalPosts(t *testing.T) {
	b := fedURL(t)
	p := fedProfile(t, b, "poster")
	pid := num(t, p["id"])
	other := fedProfile(t, b, "otherposter")

	create := func(body map[string]any) call {
		t.Helper()
		full := map[string]any{"actor-profile-id": pid}
		for k, v := range body {
			full[k] = v
		}
		return fedAction(t, b, "create-local-post", full)
	}
	at := func(day int) string { return fmt.Sprintf("2026-03-%02dT10:00:00Z", day) }
	oldURI, midURI, newURI := fedURI("notes/old"), fedURI("notes/mid"), fedURI("notes/new")

	c := create(map[string]any{"object-id": oldURI, "content": "<p>old</p>", "published-at": at(1)})
	wantStatus(t, c, 200)
	old := wantObj(t, c)
	if old["object_type"] != "Note" || old["origin_app"] != "federation" || old["visibility"] != "public" ||
		old["content"] != "<p>old</p>" || num(t, old["actor_profile_id"]) != pid || !strings.HasPrefix(old["published_at"].(string), "2026-03-01T10:00:00") {
		t.Fatalf("create-local-post: %s", c.Body)
	}
	// Idempotent: same object id, same row, unchanged.
	c = create(map[string]any{"object-id": oldURI, "content": "changed"})
	if g := wantObj(t, c); num(t, g["id"]) != num(t, old["id"]) || g["content"] != "<p>old</p>" {
		t.Fatalf("create-local-post again: %s", c.Body)
	}
	mid := wantObj(t, create(map[string]any{"object-id": midURI, "published-at": at(2), "visibility": "followers",
		"object-type": "Article", "origin-app": "blog", "source-type": "post", "source-id": 42, "summary": "cw"}))
	if mid["object_type"] != "Article" || mid["origin_app"] != "blog" || num(t, mid["source_id"]) != 42 || mid["visibility"] != "followers" {
		t.Fatalf("create-local-post fields: %v", mid)
	}
	newest := wantObj(t, create(map[string]any{"object-id": newURI, "published-at": at(3), "visibility": "unlisted", "in-reply-to": oldURI}))
	gone := wantObj(t, create(map[string]any{"object-id": fedURI("notes/gone"), "published-at": at(4)}))
	exec(t, "update ap_local_posts set deleted_at = now() where id = $1", num(t, gone["id"]))

	// 409: the object id belongs to another actor; nothing changes.
	wantError(t, fedAction(t, b, "create-local-post", map[string]any{"actor-profile-id": num(t, other["id"]), "object-id": oldURI}), 409, "object-id")
	if n := fedCount(t, "select count(*) from ap_local_posts where actor_profile_id = $1", num(t, other["id"])); n != 0 {
		t.Fatalf("409 wrote %d posts", n)
	}

	list := func(args string) []int64 {
		t.Helper()
		return fedIDs(t, wantArr(t, fedQuery(t, b, "local-posts-for-actor", "actor-profile-id="+itoa(pid)+args)))
	}
	ids := []int64{num(t, newest["id"]), num(t, mid["id"]), num(t, old["id"])}
	if got := list(""); !fedSameIDs(got, ids) {
		t.Fatalf("local-posts-for-actor: %v, want %v", got, ids)
	}
	if got := list("&limit=1&offset=1"); !fedSameIDs(got, ids[1:2]) {
		t.Fatalf("local-posts-for-actor paged: %v", got)
	}
	if got := list("&offset=3"); len(got) != 0 {
		t.Fatalf("local-posts-for-actor past the end: %v", got)
	}
	if got := list("&public-only=true"); !fedSameIDs(got, []int64{ids[0], ids[2]}) {
		t.Fatalf("local-posts-for-actor public-only: %v", got)
	}
	if got := fedIDs(t, wantArr(t, fedQuery(t, b, "local-posts-for-actor", "actor-profile-id="+itoa(num(t, other["id"]))))); len(got) != 0 {
		t.Fatalf("other actor's posts: %v", got)
	}

	wantNull(t, fedQuery(t, b, "local-posts-for-actor", "actor-profile-id=2000000000"))
	wantNull(t, fedAction(t, b, "create-local-post", map[string]any{"actor-profile-id": 2000000000, "object-id": fedURI("notes/x")}))
	wantBadParam(t, fedQuery(t, b, "local-posts-for-actor", ""), "actor-profile-id")
	wantBadParam(t, fedQuery(t, b, "local-posts-for-actor", "actor-profile-id="+itoa(pid)+"&limit=101"), "limit")
	wantBadParam(t, fedQuery(t, b, "local-posts-for-actor", "actor-profile-id="+itoa(pid)+"&offset=-1"), "offset")
	wantBadParam(t, fedQuery(t, b, "local-posts-for-actor", "actor-profile-id="+itoa(pid)+"&public-only=sometimes"), "public-only")
	before := fedCount(t, "select count(*) from ap_local_posts where actor_profile_id = $1", pid)
	for param, body := range map[string]map[string]any{
		"object-id":    {"object-id": "urn:x"},
		"in-reply-to":  {"object-id": fedURI("n"), "in-reply-to": "x"},
		"visibility":   {"object-id": fedURI("n"), "visibility": "secret"},
		"origin-app":   {"object-id": fedURI("n"), "origin-app": "shop"},
		"object-type":  {"object-id": fedURI("n"), "object-type": ""},
		"published-at": {"object-id": fedURI("n"), "published-at": "yesterday"},
		"source-id":    {"object-id": fedURI("n"), "source-id": "x"},
	} {
		wantBadParam(t, create(body), param)
	}
	wantBadParam(t, fedAction(t, b, "create-local-post", map[string]any{"object-id": fedURI("n")}), "actor-profile-id")
	if after := fedCount(t, "select count(*) from ap_local_posts where actor_profile_id = $1", pid); after != before {
		t.Fatalf("bad input wrote posts: %d -> %d", before, after)
	}
}

// ---------------------------------------------------------------------------
// Atomicity: an action that fails after its first write leaves no rows.
// ---------------------------------------------------------------------------

func TestFederationActionsAtomic(t *testing.T) {
	b := fedURL(t)
	// Notifications from this host fail, after the follower or interaction
	// row they belong to has been written in the same action.
	exec(t, `create or replace function fedtest_refuse_notification() returns trigger language plpgsql as $$
		begin
			if new.from_actor_uri like 'https://refused.fedtest.example/%' then
				raise exception 'fedtest: notification refused';
			end if;
			return new;
		end $$`)
	exec(t, "drop trigger if exists fedtest_refuse_notification on ap_notifications")
	exec(t, "create trigger fedtest_refuse_notification before insert on ap_notifications for each row execute function fedtest_refuse_notification()")
	t.Cleanup(func() {
		exec(t, "drop trigger if exists fedtest_refuse_notification on ap_notifications")
		exec(t, "drop function if exists fedtest_refuse_notification()")
	})

	p := fedProfile(t, b, "atomic")
	pid := num(t, p["id"])
	refused := fmt.Sprintf("https://refused.fedtest.example/users/%d", seq.Add(1))

	c := fedAction(t, b, "add-follower", map[string]any{"actor-profile-id": pid, "follower-actor-uri": refused, "follower-inbox": refused + "/inbox"})
	wantStatus(t, c, 500)
	if n := fedCount(t, "select count(*) from ap_followers where follower_actor_uri = $1", refused); n != 0 {
		t.Fatalf("failed add-follower left %d follower rows", n)
	}

	remote := wantObj(t, fedAction(t, b, "upsert-remote-actor", map[string]any{"actor-uri": refused, "inbox": refused + "/inbox"}))
	post := wantObj(t, fedAction(t, b, "create-local-post", map[string]any{"actor-profile-id": pid, "object-id": fedURI("notes/atomic")}))
	c = fedAction(t, b, "record-interaction", map[string]any{"direction": "inbound", "interaction-type": "boost",
		"object-id": post["object_id"], "remote-actor-id": num(t, remote["id"])})
	wantStatus(t, c, 500)
	if n := fedCount(t, "select count(*) from ap_interactions where remote_actor_id = $1", num(t, remote["id"])); n != 0 {
		t.Fatalf("failed record-interaction left %d interaction rows", n)
	}

	// The same actions from another host succeed, so the failures above were
	// the notifications'.
	ok := fedURI("users/accepted")
	wantStatus(t, fedAction(t, b, "add-follower", map[string]any{"actor-profile-id": pid, "follower-actor-uri": ok, "follower-inbox": ok + "/inbox"}), 200)
	if n := fedCount(t, "select count(*) from ap_followers where follower_actor_uri = $1", ok); n != 1 {
		t.Fatalf("add-follower from another host: %d rows", n)
	}
}

// ---------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------

func TestFederationSchema(t *testing.T) {
	b := fedURL(t)
	all := checkSchema(t, b, "federation",
		[]string{
			"actor-profile-by-id", "actor-profile-by-user", "actor-profile-by-username",
			"followers-of", "follower-inboxes", "following-of",
			"remote-actor-by-uri", "remote-actor-by-key-id", "remote-actor-by-handle",
			"notifications-for-user", "interactions-for-object", "local-posts-for-actor",
			// OAuth / SSO (services/federation/oauth.sx).
			"verify-grant", "check-device", "device-code-by-user-code", "oauth-client",
			// The provider (services/federation/auth.sx, oidc.sx).
			"verify-access-token", "token-info", "oauth-clients", "user-consents",
			// The social pages (services/federation/social.sx).
			"social-timeline", "social-profile-posts", "social-post", "social-note", "social-search",
			"social-followers", "social-following", "social-counts", "social-notifications", "social-members",
			// ActivityPub (services/federation/activitypub.sx).
			"ap-profile-by-name", "ap-usage", "ap-outbox-count", "ap-outbox-items", "ap-follower-count",
			"ap-follower-uris", "ap-following-count", "ap-following-uris", "ap-object", "ap-blocks",
			"ap-dead-letters", "ap-delivery-stats",
		},
		[]string{
			"create-magic-link", "consume-magic-link", "create-grant", "revoke-grant", "revoke-session-grants",
			"revoke-user-grants", "create-auth-code", "exchange-auth-code", "create-device-code",
			"approve-device-code", "deny-device-code", "poll-device-code", "register-oauth-client",
			"create-actor-profile", "update-actor-profile",
			"add-follower", "remove-follower",
			"follow", "accept-follow", "reject-follow", "unfollow",
			"upsert-remote-actor",
			"add-notification", "mark-notifications-read",
			"record-interaction", "undo-interaction",
			"create-local-post",
			"start-login-session", "end-login-session", "send-login-link", "ensure-token-signer",
			"token-for-code", "token-for-refresh", "token-for-device", "revoke-token", "end-session",
			"remove-oauth-client", "record-consent", "revoke-consent",
			"follow-member", "unfollow-member", "set-interaction", "compose-note",
			// ActivityPub (services/federation/activitypub.sx).
			"ap-ensure-site-actor", "ap-set-locked", "ap-block", "ap-unblock", "ap-report", "ap-receive",
			"ap-answer-follow", "ap-claim!", "ap-record!", "ap-retry-delivery", "ap-lookup", "ap-follow-remote",
			"ap-unfollow-remote", "ap-post-note", "ap-like", "ap-unlike", "ap-boost", "ap-unboost",
			"ap-publish-article", "ap-delete-object",
		})
	// No way to read a private key: no query or action is about keys.
	for name := range all {
		if strings.Contains(name, "key") && name != "remote-actor-by-key-id" {
			t.Errorf("%s looks like a key accessor", name)
		}
	}
	// Required parameters as declared.
	params := func(def string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, p := range all[def]["params"].([]any) {
			m := p.(map[string]any)
			out[m["name"].(string)] = m
		}
		return out
	}
	cp := params("create-actor-profile")
	if cp["user-id"]["required"] != true || cp["username"]["required"] != true || cp["display-name"]["required"] != false {
		t.Errorf("create-actor-profile params: %v", cp)
	}
	fo := params("followers-of")
	if fo["app-domain"]["required"] != false || fo["app-domain"]["default"] != "federation" {
		t.Errorf("followers-of app-domain: %v", fo["app-domain"])
	}
}
