package services_test

// ActivityPub on the wire (issue 17, docs/federation.md): discovery,
// actors, inboxes with HTTP signature checks, collections, delivery. The
// remote fediverse is a fake server on 127.0.0.1 that signs and verifies
// with the same draft-cavage rules (prims/httpsig), allowed by the outbound
// guard the way SX_OUTBOUND_ALLOW allows a test farm.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rose-ash/sxhost/host"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	"github.com/rose-ash/sxhost/prims/httpsig"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

// apPlatform serves blog and federation with their public URLs set (actor
// ids are absolute) and the given outbound allow list.
func apPlatform(t *testing.T, allow []netip.Prefix) (*host.Platform, map[string]string) {
	t.Helper()
	opts := host.Options{OutboundAllow: allow}
	if os.Getenv("SX_TEST_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	p, urls := platformWith(t, opts, "blog", "federation")
	for name, u := range urls {
		p.SetPublicURL(name, u)
	}
	return p, urls
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// received is one activity a fake inbox got, with whether its signature
// verified against the key its keyId names, and when it arrived.
type received struct {
	Path     string
	Activity map[string]any
	Verified error
	At       time.Time
}

// fakeFedi is a remote ActivityPub server: actors with one key pair,
// WebFinger, inboxes that verify signatures, and a signing client.
type fakeFedi struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	privPEM string
	pubPEM  string
	status  int // what its inboxes answer (202 by default)

	mu    sync.Mutex
	inbox []received
	// idHost, when set, is the host the actor documents claim for their
	// ids (an actor whose id's host differs from its key's).
	idHost string
}

func newFakeFedi(t *testing.T) *fakeFedi {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := x509.MarshalPKCS8PrivateKey(k)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	f := &fakeFedi{key: k, status: 202,
		privPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
		pubPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFedi) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeFedi) actor(name string) string { return f.srv.URL + "/users/" + name }

func (f *fakeFedi) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/.well-known/webfinger":
		res := strings.TrimPrefix(r.URL.Query().Get("resource"), "acct:")
		name, _, _ := strings.Cut(res, "@")
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{"subject": "acct:" + res, "links": []any{
			map[string]any{"rel": "self", "type": "application/activity+json", "href": f.actor(name)}}})
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/users/"):
		name := strings.TrimPrefix(r.URL.Path, "/users/")
		id := f.actor(name)
		if f.idHost != "" {
			id = "http://" + f.idHost + "/users/" + name
		}
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       id, "type": "Person", "preferredUsername": name, "name": "Remote " + name,
			"inbox": f.actor(name) + "/inbox", "endpoints": map[string]any{"sharedInbox": f.srv.URL + "/inbox"},
			"publicKey": map[string]any{"id": f.actor(name) + "#main-key", "owner": id, "publicKeyPem": f.pubPEM},
		})
	case r.Method == "POST":
		body, _ := io.ReadAll(r.Body)
		var a map[string]any
		json.Unmarshal(body, &a)
		rec := received{Path: r.URL.Path, Activity: a, Verified: f.verify(r, body), At: time.Now()}
		f.mu.Lock()
		f.inbox = append(f.inbox, rec)
		f.mu.Unlock()
		w.WriteHeader(f.status)
	default:
		http.NotFound(w, r)
	}
}

// verify checks a request to a fake inbox the way a fediverse server
// does: fetch the keyId's actor, check the signature with its key.
func (f *fakeFedi) verify(r *http.Request, body []byte) error {
	keyID, err := httpsig.KeyID(r.Header)
	if err != nil {
		return err
	}
	req, _ := http.NewRequest("GET", strings.SplitN(keyID, "#", 2)[0], nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var actor struct {
		ID        string `json:"id"`
		PublicKey struct {
			ID, Owner, PublicKeyPem string
		} `json:"publicKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&actor); err != nil {
		return err
	}
	if actor.PublicKey.ID != keyID || actor.PublicKey.Owner != actor.ID {
		return fmt.Errorf("the key %s is not the actor's", keyID)
	}
	return httpsig.Verify(httpsig.Request{Method: r.Method, Target: r.URL.RequestURI(), Host: r.Host,
		Header: r.Header, Body: body}, actor.PublicKey.PublicKeyPem, time.Now(), httpsig.DefaultSkew)
}

// got returns the activities its inboxes received.
func (f *fakeFedi) got() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.inbox...)
}

// sendOpts tamper with a signed request, for the refusal tests.
type sendOpts struct {
	key      string                           // private key PEM (default the fake's)
	keyID    string                           // default actor#main-key
	date     time.Time                        // default now
	mutate   func(body []byte) []byte         // the body after signing
	header   func(h http.Header, body []byte) // headers after signing (and mutate)
	unsigned bool
}

// send POSTs an activity from the fake's actor name to url, signed.
func (f *fakeFedi) send(t *testing.T, url, name string, activity map[string]any, o sendOpts) call {
	t.Helper()
	body, _ := json.Marshal(activity)
	req, _ := http.NewRequest("POST", url, nil)
	req.Header.Set("Content-Type", "application/activity+json")
	if !o.unsigned {
		key, keyID, date := f.privPEM, f.actor(name)+"#main-key", time.Now()
		if o.key != "" {
			key = o.key
		}
		if o.keyID != "" {
			keyID = o.keyID
		}
		if !o.date.IsZero() {
			date = o.date
		}
		if err := httpsig.Sign(req, body, key, keyID, date); err != nil {
			t.Fatal(err)
		}
	}
	if o.mutate != nil {
		body = o.mutate(body)
	}
	if o.header != nil {
		o.header(req.Header, body)
	}
	req.Body = io.NopCloser(strings.NewReader(string(body)))
	req.ContentLength = int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return newCall(resp.StatusCode, b)
}

// getAP fetches an ActivityStreams document.
func getAP(t *testing.T, url string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	return doAP(t, req)
}

// doAP sends req (a GET) asking for ActivityStreams and decodes the answer.
func doAP(t *testing.T, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	req.Header.Set("Accept", "application/activity+json")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// pump runs the activity processors and the delivery job until nothing is
// left to do: what sxhost run's background loops do.
func pump(t *testing.T, p *host.Platform) {
	t.Helper()
	ctx := context.Background()
	for range 4 {
		for _, name := range []string{"blog", "federation"} {
			if _, err := p.Service(name).ProcessActivities(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.Service("federation").RunJob(ctx, "ap-deliver"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAPDiscovery(t *testing.T) {
	_, urls := apPlatform(t, loopback)
	blog, fed := urls["blog"], urls["federation"]
	blogHost := strings.TrimPrefix(blog, "http://")

	// WebFinger: the blog's actor, under its name and as coop.
	for _, res := range []string{"acct:blog@" + blogHost, "acct:coop@" + blogHost, "blog@" + blogHost} {
		c := request(t, "GET", blog+"/.well-known/webfinger?resource="+res, nil)
		wantStatus(t, c, 200)
		if !strings.Contains(c.Body, `"href":"`+blog+`/users/blog"`) || !strings.Contains(c.Body, `"subject":"acct:blog@`+blogHost) {
			t.Fatalf("webfinger %s: %s", res, c.Body)
		}
	}
	wantStatus(t, request(t, "GET", blog+"/.well-known/webfinger?resource=acct:blog@elsewhere.example", nil), 404)
	wantStatus(t, request(t, "GET", blog+"/.well-known/webfinger?resource=acct:nobody_here@"+blogHost, nil), 404)
	wantStatus(t, request(t, "GET", blog+"/.well-known/webfinger", nil), 400)

	// The actor: a Service with its key, inboxes, collections, and the
	// other apps' views in alsoKnownAs.
	st, a, h := getAP(t, blog+"/users/blog")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/activity+json") {
		t.Fatalf("actor: %d %s", st, h.Get("Content-Type"))
	}
	if a["id"] != blog+"/users/blog" || a["type"] != "Service" || a["inbox"] != blog+"/users/blog/inbox" ||
		a["outbox"] != blog+"/users/blog/outbox" || a["followers"] != blog+"/users/blog/followers" ||
		a["following"] != blog+"/users/blog/following" {
		t.Fatalf("actor: %v", a)
	}
	if ep, _ := a["endpoints"].(map[string]any); ep["sharedInbox"] != blog+"/inbox" {
		t.Fatalf("sharedInbox: %v", a["endpoints"])
	}
	pk, _ := a["publicKey"].(map[string]any)
	if pk["id"] != blog+"/users/blog#main-key" || pk["owner"] != blog+"/users/blog" ||
		!strings.Contains(fmt.Sprint(pk["publicKeyPem"]), "BEGIN PUBLIC KEY") {
		t.Fatalf("publicKey: %v", pk)
	}
	if aka := fmt.Sprint(a["alsoKnownAs"]); !strings.Contains(aka, fed+"/users/federation") {
		t.Fatalf("alsoKnownAs: %s", aka)
	}
	// One key pair: the federation app actor publishes the same key.
	_, fa, _ := getAP(t, fed+"/users/federation")
	if fpk, _ := fa["publicKey"].(map[string]any); fpk["publicKeyPem"] != pk["publicKeyPem"] {
		t.Fatal("the app actors do not share the cooperative's key")
	}
	// ld+json profile is ActivityStreams too; a browser goes to the site.
	req, _ := http.NewRequest("GET", blog+"/users/blog", nil)
	req.Header.Set("Accept", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	resp, _ := noRedirect.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ld+json: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", blog+"/users/blog", nil)
	req.Header.Set("Accept", "text/html")
	resp, _ = noRedirect.Do(req)
	resp.Body.Close()
	if resp.StatusCode/100 != 3 {
		t.Fatalf("browser: %d, want a redirect", resp.StatusCode)
	}

	// A member's actor on two apps: a Person, the same key, each other's alias.
	m := fedProfile(t, fed, "apm")
	name := m["preferred_username"].(string)
	st, ma, _ := getAP(t, blog+"/users/"+name)
	if st != 200 || ma["type"] != "Person" || ma["preferredUsername"] != name {
		t.Fatalf("member actor: %d %v", st, ma)
	}
	if !strings.Contains(fmt.Sprint(ma["alsoKnownAs"]), fed+"/users/"+name) {
		t.Fatalf("member alsoKnownAs: %v", ma["alsoKnownAs"])
	}
	c := request(t, "GET", fed+"/.well-known/webfinger?resource=acct:"+name+"@"+strings.TrimPrefix(fed, "http://"), nil)
	wantStatus(t, c, 200)
	// Reserved names cannot be claimed.
	c = fedAction(t, fed, "create-actor-profile", map[string]any{"user-id": fedUser(t, "R"), "username": "Blog"})
	wantError(t, c, 409, "reserved")

	// host-meta and NodeInfo 2.1.
	c = request(t, "GET", blog+"/.well-known/host-meta", nil)
	if c.Status != 200 || !strings.Contains(c.Body, `template="`+blog+`/.well-known/webfinger?resource={uri}"`) {
		t.Fatalf("host-meta: %d %s", c.Status, c.Body)
	}
	c = request(t, "GET", blog+"/.well-known/nodeinfo", nil)
	if c.Status != 200 || !strings.Contains(c.Body, blog+"/nodeinfo/2.1") {
		t.Fatalf("nodeinfo links: %s", c.Body)
	}
	c = request(t, "GET", blog+"/nodeinfo/2.1", nil)
	if c.Status != 200 || !strings.Contains(c.Body, `"version":"2.1"`) || !strings.Contains(c.Body, `"protocols":["activitypub"]`) {
		t.Fatalf("nodeinfo: %s", c.Body)
	}
	// Empty collections page properly.
	st, col, _ := getAP(t, blog+"/users/blog/following")
	if st != 200 || col["type"] != "OrderedCollection" {
		t.Fatalf("following: %d %v", st, col)
	}
}

// apCounts are the rows an inbox could write, to prove a refusal wrote none.
func apCounts(t *testing.T) string {
	return scalar[string](t, `select concat_ws(',',
		(select count(*) from ap_followers), (select count(*) from ap_inbox_seen),
		(select count(*) from ap_remote_actors), (select count(*) from ap_activities),
		(select count(*) from ap_remote_posts), (select count(*) from ap_interactions),
		(select count(*) from ap_notifications))`)
}

func TestAPFollowPublishUndo(t *testing.T) {
	p, urls := apPlatform(t, loopback)
	blog := urls["blog"]
	remote := newFakeFedi(t)
	alice := remote.actor("alice")

	// A remote actor follows the blog: 202, an accepted follower, an Accept
	// delivered signed.
	follow := map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": alice + "/follows/1", "type": "Follow", "actor": alice, "object": blog + "/users/blog"}
	c := remote.send(t, blog+"/users/blog/inbox", "alice", follow, sendOpts{})
	wantStatus(t, c, 202)
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri = $1 and app_domain = 'blog' and accepted_at is not null", alice); n != 1 {
		t.Fatalf("followers of blog from alice: %d", n)
	}
	// The same Follow again is a duplicate: nothing new.
	before := apCounts(t)
	c = remote.send(t, blog+"/users/blog/inbox", "alice", follow, sendOpts{})
	wantStatus(t, c, 202)
	if !strings.Contains(c.Body, `"duplicate":true`) || apCounts(t) != before {
		t.Fatalf("duplicate Follow: %s", c.Body)
	}
	pump(t, p)
	got := remote.got()
	if len(got) != 1 || got[0].Activity["type"] != "Accept" || got[0].Verified != nil ||
		got[0].Path != "/users/alice/inbox" {
		t.Fatalf("Accept: %+v", got)
	}
	if o, _ := got[0].Activity["object"].(map[string]any); o["id"] != alice+"/follows/1" {
		t.Fatalf("Accept's object: %v", got[0].Activity["object"])
	}

	// A published post goes out to the follower's shared inbox once.
	slug := uniq(t)
	postID := scalar[int](t, `insert into posts (slug, title, status, html, published_at, visibility)
		values ($1, 'Harvest news', 'published', '<p>Apples <script>x()</script>are in.</p>', now() - interval '1 minute', 'public') returning id`, slug)
	c = action(t, blog, "federate-post", map[string]any{"post-id": postID})
	wantStatus(t, c, 200)
	pump(t, p)
	got = remote.got()
	if len(got) != 2 {
		t.Fatalf("after publishing: %d activities: %+v", len(got), got)
	}
	create := got[1]
	art, _ := create.Activity["object"].(map[string]any)
	objID := fmt.Sprintf("%s/ap/posts/%d", blog, postID)
	if create.Activity["type"] != "Create" || create.Verified != nil || create.Path != "/inbox" ||
		art["type"] != "Article" || art["id"] != objID || art["name"] != "Harvest news" ||
		strings.Contains(fmt.Sprint(art["content"]), "script") || art["url"] != blog+"/"+slug+"/" {
		t.Fatalf("Create: %+v", create)
	}
	// The object's id dereferences: the Article for ActivityPub, the page
	// for browsers.
	st, obj, _ := getAP(t, objID)
	if st != 200 || obj["type"] != "Article" || obj["id"] != objID {
		t.Fatalf("object: %d %v", st, obj)
	}
	req, _ := http.NewRequest("GET", objID, nil)
	req.Header.Set("Accept", "text/html")
	resp, _ := noRedirect.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != blog+"/"+slug+"/" {
		t.Fatalf("object for a browser: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The outbox pages it; the followers collection counts alice.
	st, ob, _ := getAP(t, blog+"/users/blog/outbox")
	if st != 200 || ob["type"] != "OrderedCollection" || ob["first"] != blog+"/users/blog/outbox?page=1" {
		t.Fatalf("outbox: %v", ob)
	}
	_, page, _ := getAP(t, blog+"/users/blog/outbox?page=1")
	if items, _ := page["orderedItems"].([]any); len(items) == 0 || !strings.Contains(fmt.Sprint(items[0]), objID) {
		t.Fatalf("outbox page: %v", page)
	}
	_, fpage, _ := getAP(t, blog+"/users/blog/followers?page=1")
	if !strings.Contains(fmt.Sprint(fpage["orderedItems"]), alice) {
		t.Fatalf("followers page: %v", fpage)
	}

	// A Like of the post: an interaction and a notification.
	c = remote.send(t, blog+"/inbox", "alice", map[string]any{"id": alice + "/likes/1", "type": "Like",
		"actor": alice, "object": objID}, sendOpts{})
	wantStatus(t, c, 202)
	if n := scalar[int](t, "select count(*) from ap_interactions where object_id = $1 and direction = 'inbound' and undone_at is null", objID); n != 1 {
		t.Fatalf("likes: %d", n)
	}
	// Undo of the Like, then Undo of the Follow.
	c = remote.send(t, blog+"/inbox", "alice", map[string]any{"id": alice + "/undo/1", "type": "Undo",
		"actor": alice, "object": map[string]any{"id": alice + "/likes/1", "type": "Like", "actor": alice, "object": objID}}, sendOpts{})
	wantStatus(t, c, 202)
	if n := scalar[int](t, "select count(*) from ap_interactions where object_id = $1 and undone_at is null", objID); n != 0 {
		t.Fatalf("likes after Undo: %d", n)
	}
	c = remote.send(t, blog+"/users/blog/inbox", "alice", map[string]any{"id": alice + "/undo/2", "type": "Undo",
		"actor": alice, "object": follow}, sendOpts{})
	wantStatus(t, c, 202)
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri = $1", alice); n != 0 {
		t.Fatalf("followers after Undo: %d", n)
	}
	// A second publication reaches nobody now.
	pump(t, p)
	if n := len(remote.got()); n != 2 {
		t.Fatalf("deliveries after Undo: %d", n)
	}
}

func TestAPMemberFollowsRemote(t *testing.T) {
	p, urls := apPlatform(t, loopback)
	fed := urls["federation"]
	remote := newFakeFedi(t)
	bob := remote.actor("bob")
	m := fedProfile(t, fed, "apf")
	uid := m["user_id"]
	name := m["preferred_username"].(string)
	me := fed + "/users/" + name

	// Follow by handle: WebFinger on the remote, the actor cached, a
	// pending follow, a signed Follow delivered.
	c := fedAction(t, fed, "ap-follow-remote", map[string]any{"user-id": uid, "handle": "@bob@" + remote.host()})
	wantStatus(t, c, 200)
	if !strings.Contains(c.Body, `"state":"pending"`) {
		t.Fatalf("follow: %s", c.Body)
	}
	pump(t, p)
	got := remote.got()
	if len(got) != 1 || got[0].Activity["type"] != "Follow" || got[0].Verified != nil || got[0].Activity["actor"] != me {
		t.Fatalf("Follow: %+v", got)
	}
	fid := got[0].Activity["id"]
	// bob accepts; his note arrives, sanitised.
	c = remote.send(t, fed+"/users/"+name+"/inbox", "bob", map[string]any{"id": bob + "/accepts/1", "type": "Accept",
		"actor": bob, "object": map[string]any{"id": fid, "type": "Follow", "actor": me, "object": bob}}, sendOpts{})
	wantStatus(t, c, 202)
	if st := scalar[string](t, "select f.state from ap_following f join ap_remote_actors r on r.id = f.remote_actor_id where r.actor_uri = $1", bob); st != "accepted" {
		t.Fatalf("follow state: %s", st)
	}
	note := bob + "/notes/1"
	c = remote.send(t, fed+"/inbox", "bob", map[string]any{"id": note + "/activity", "type": "Create", "actor": bob,
		"object": map[string]any{"id": note, "type": "Note", "attributedTo": bob,
			"content":   `<p>Hello <a href="https://x.example" onclick="evil()">co-op</a><script>alert(1)</script></p>`,
			"published": "2026-12-05T06:00:00Z"}}, sendOpts{})
	wantStatus(t, c, 202)
	html := scalar[string](t, "select content_html from ap_remote_posts where object_id = $1", note)
	if !strings.Contains(html, "Hello") || strings.Contains(html, "script") || strings.Contains(html, "onclick") {
		t.Fatalf("timeline post: %q", html)
	}
	// A note attributed to someone else, from bob, is not taken.
	c = remote.send(t, fed+"/inbox", "bob", map[string]any{"id": bob + "/notes/2/activity", "type": "Create", "actor": bob,
		"object": map[string]any{"id": bob + "/notes/2", "type": "Note", "attributedTo": remote.actor("carol"), "content": "x"}}, sendOpts{})
	wantStatus(t, c, 202)
	if n := scalar[int](t, "select count(*) from ap_remote_posts where object_id = $1", bob+"/notes/2"); n != 0 {
		t.Fatal("a note attributed to another actor was stored")
	}
	// The member likes and boosts it, posts a reply: each delivered signed.
	wantStatus(t, fedAction(t, fed, "ap-like", map[string]any{"user-id": uid, "object-id": note}), 200)
	wantStatus(t, fedAction(t, fed, "ap-boost", map[string]any{"user-id": uid, "object-id": note}), 200)
	c = fedAction(t, fed, "ap-post-note", map[string]any{"user-id": uid, "content": "Thanks <b>bob</b>", "in-reply-to": note})
	wantStatus(t, c, 200)
	pump(t, p)
	var types []string
	var reply map[string]any
	for _, r := range remote.got()[1:] {
		if r.Verified != nil {
			t.Fatalf("%v: %v", r.Activity["type"], r.Verified)
		}
		types = append(types, fmt.Sprint(r.Activity["type"]))
		if r.Activity["type"] == "Create" {
			reply, _ = r.Activity["object"].(map[string]any)
		}
	}
	sort.Strings(types) // delivered concurrently: any order
	if strings.Join(types, ",") != "Announce,Create,Like" {
		t.Fatalf("delivered: %v", types)
	}
	if reply["inReplyTo"] != note || !strings.Contains(fmt.Sprint(reply["content"]), "&lt;b&gt;") {
		t.Fatalf("reply: %v", reply)
	}
	// bob replies to the member's note: a reply notification.
	c = remote.send(t, fed+"/inbox", "bob", map[string]any{"id": bob + "/notes/3/activity", "type": "Create", "actor": bob,
		"object": map[string]any{"id": bob + "/notes/3", "type": "Note", "attributedTo": bob, "content": "yw", "inReplyTo": reply["id"]}}, sendOpts{})
	wantStatus(t, c, 202)
	if n := scalar[int](t, "select count(*) from ap_notifications n join ap_actor_profiles p on p.id = n.actor_profile_id where p.user_id = $1 and notification_type = 'reply'", uid); n != 1 {
		t.Fatalf("reply notifications: %d", n)
	}
	// Delete of the note: a tombstone. Unfollow: an Undo.
	c = remote.send(t, fed+"/inbox", "bob", map[string]any{"id": note + "#delete", "type": "Delete", "actor": bob,
		"object": map[string]any{"id": note, "type": "Tombstone"}}, sendOpts{})
	wantStatus(t, c, 202)
	if n := scalar[int](t, "select count(*) from ap_remote_posts where object_id = $1 and deleted_at is not null", note); n != 1 {
		t.Fatal("Delete did not tombstone the note")
	}
	rid := scalar[int](t, "select id from ap_remote_actors where actor_uri = $1", bob)
	wantStatus(t, fedAction(t, fed, "ap-unfollow-remote", map[string]any{"user-id": uid, "remote-actor-id": rid}), 200)
	pump(t, p)
	last := remote.got()[len(remote.got())-1]
	if last.Activity["type"] != "Undo" || last.Verified != nil {
		t.Fatalf("Undo: %+v", last)
	}
	if o, _ := last.Activity["object"].(map[string]any); o["id"] != fid {
		t.Fatalf("Undo's object: %v", last.Activity["object"])
	}

	// A locked profile: the Follow waits; accepting sends the Accept.
	wantStatus(t, fedAction(t, fed, "ap-set-locked", map[string]any{"user-id": uid, "locked": true}), 200)
	carol := remote.actor("carol")
	c = remote.send(t, fed+"/users/"+name+"/inbox", "carol", map[string]any{"id": carol + "/follows/1", "type": "Follow", "actor": carol, "object": me}, sendOpts{})
	wantStatus(t, c, 202)
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri = $1 and accepted_at is null", carol); n != 1 {
		t.Fatal("a Follow of a locked profile is not pending")
	}
	n0 := len(remote.got())
	pump(t, p)
	if len(remote.got()) != n0 {
		t.Fatal("a pending Follow was answered")
	}
	wantStatus(t, fedAction(t, fed, "ap-answer-follow", map[string]any{"user-id": uid, "follower-actor-uri": carol, "accept": true}), 200)
	pump(t, p)
	if g := remote.got(); len(g) != n0+1 || g[n0].Activity["type"] != "Accept" {
		t.Fatalf("after accepting: %+v", g[n0:])
	}

	// Blocking the remote domain: its activities are dropped, followers gone.
	wantStatus(t, fedAction(t, fed, "ap-block", map[string]any{"domain": remote.host()}), 200)
	defer fedAction(t, fed, "ap-unblock", map[string]any{"domain": remote.host()})
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri like $1", remote.srv.URL+"/%"); n != 0 {
		t.Fatalf("followers from a blocked domain: %d", n)
	}
	c = remote.send(t, fed+"/inbox", "bob", map[string]any{"id": bob + "/likes/9", "type": "Like", "actor": bob, "object": reply["id"]}, sendOpts{})
	if c.Status != 202 || !strings.Contains(c.Body, "blocked") {
		t.Fatalf("blocked Like: %d %s", c.Status, c.Body)
	}
}

// Every forged, replayed, tampered, oversized or misattributed request is
// refused, and none writes anything.
func TestAPInboxRefusals(t *testing.T) {
	_, urls := apPlatform(t, loopback)
	blog := urls["blog"]
	remote := newFakeFedi(t)
	other := newFakeFedi(t) // another server with another key
	eve := remote.actor("eve")
	inbox := blog + "/users/blog/inbox"
	follow := func(n int) map[string]any {
		return map[string]any{"id": fmt.Sprintf("%s/follows/r%d", eve, n), "type": "Follow", "actor": eve, "object": blog + "/users/blog"}
	}
	cases := []struct {
		name   string
		status int
		why    string
		o      sendOpts
		fedi   *fakeFedi
	}{
		{"unsigned", 401, "not signed", sendOpts{unsigned: true}, remote},
		{"forged signature", 401, "does not verify", sendOpts{header: func(h http.Header, _ []byte) {
			s := h.Get("Signature")
			i := strings.Index(s, `signature="`) + len(`signature="`)
			h.Set("Signature", s[:i]+"AAAA"+s[i+4:])
		}}, remote},
		{"wrong key", 401, "does not verify", sendOpts{key: other.privPEM}, remote},
		{"replay outside the date window", 401, "Date", sendOpts{date: time.Now().Add(-2 * time.Hour)}, remote},
		{"date in the future", 401, "Date", sendOpts{date: time.Now().Add(2 * time.Hour)}, remote},
		{"digest mismatch", 401, "Digest", sendOpts{mutate: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"Follow"`, `"Like"`, 1))
		}}, remote},
		{"body changed with its digest", 401, "does not verify", sendOpts{mutate: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"Follow"`, `"Like"`, 1))
		}, header: func(h http.Header, b []byte) { h.Set("Digest", httpsig.Digest(b)) }}, remote},
		{"oversized body", 413, "", sendOpts{mutate: func(b []byte) []byte {
			return append(b[:len(b)-1], []byte(`,"pad":"`+strings.Repeat("x", 70000)+`"}`)...)
		}, header: func(h http.Header, _ []byte) {
			// The server answers 413 to the headers and may close before the
			// body is written: wait for its answer as a careful client does.
			h.Set("Expect", "100-continue")
		}}, remote},
		{"another server's key for our actor", 401, "not the signer", sendOpts{key: other.privPEM, keyID: other.actor("eve") + "#main-key"}, remote},
		{"key URL at a link-local address", 401, "could not be fetched", sendOpts{keyID: "http://169.254.169.254/users/eve#main-key"}, remote},
		{"key URL at a private address", 401, "could not be fetched", sendOpts{keyID: "http://10.0.0.1/users/eve#main-key"}, remote},
		{"signature without digest", 401, "digest", sendOpts{header: func(h http.Header, _ []byte) {
			h.Set("Signature", strings.Replace(h.Get("Signature"), " digest", "", 1))
		}}, remote},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := apCounts(t)
			c := tc.fedi.send(t, inbox, "eve", follow(i), tc.o)
			if c.Status != tc.status || !strings.Contains(c.Body, tc.why) {
				t.Fatalf("status %d, want %d with %q: %s", c.Status, tc.status, tc.why, c.Body)
			}
			if after := apCounts(t); after != before {
				t.Fatalf("a refused request wrote: %s -> %s", before, after)
			}
		})
	}
	// The actor's id on another host than its key.
	liar := newFakeFedi(t)
	liar.idHost = "localhost:1"
	before := apCounts(t)
	a := follow(99)
	a["actor"] = "http://localhost:1/users/eve"
	c := liar.send(t, inbox, "eve", a, sendOpts{})
	if c.Status != 401 || !strings.Contains(c.Body, "another host") {
		t.Fatalf("actor id on another host: %d %s", c.Status, c.Body)
	}
	if after := apCounts(t); after != before {
		t.Fatalf("refused requests wrote: %s -> %s", before, after)
	}
	// The control: the same request, honestly signed, is taken.
	wantStatus(t, remote.send(t, inbox, "eve", follow(200), sendOpts{}), 202)
}

// With the default outbound guard (no SX_OUTBOUND_ALLOW) a key on a
// loopback address is never fetched.
func TestAPKeyFetchGuard(t *testing.T) {
	_, urls := apPlatform(t, []netip.Prefix{})
	blog := urls["blog"]
	remote := newFakeFedi(t)
	eve := remote.actor("eve")
	before := apCounts(t)
	c := remote.send(t, blog+"/users/blog/inbox", "eve", map[string]any{"id": eve + "/follows/g", "type": "Follow", "actor": eve, "object": blog + "/users/blog"}, sendOpts{})
	if c.Status != 401 || !strings.Contains(c.Body, "loopback") {
		t.Fatalf("key at 127.0.0.1 with the default guard: %d %s", c.Status, c.Body)
	}
	if after := apCounts(t); after != before {
		t.Fatalf("wrote: %s -> %s", before, after)
	}
}

// A failing inbox is retried with back-off; a 4xx that cannot change gives
// the delivery up at once, into the admins' dead-letter view.
func TestAPDeliveryRetryAndDeadLetters(t *testing.T) {
	p, urls := apPlatform(t, loopback)
	blog, fed := urls["blog"], urls["federation"]
	down := newFakeFedi(t)
	down.status = 503
	gone := newFakeFedi(t)
	gone.status = 410
	for _, f := range []*fakeFedi{down, gone} {
		a := f.actor("x")
		wantStatus(t, f.send(t, blog+"/users/blog/inbox", "x", map[string]any{"id": a + "/f", "type": "Follow", "actor": a, "object": blog + "/users/blog"}, sendOpts{}), 202)
	}
	pump(t, p)
	if st := scalar[string](t, "select concat(state, ' ', attempts, ' ', next_attempt_at > now() + interval '30 seconds') from ap_deliveries where host = $1", down.host()); st != "pending 1 t" {
		t.Fatalf("a 503 inbox: %s", st)
	}
	if st := scalar[string](t, "select concat(state, ' ', last_status) from ap_deliveries where host = $1", gone.host()); st != "dead 410" {
		t.Fatalf("a 410 inbox: %s", st)
	}
	c := query(t, fed, "ap-dead-letters", "")
	if !strings.Contains(c.Body, gone.host()) || strings.Contains(c.Body, down.host()) {
		t.Fatalf("dead letters: %s", c.Body)
	}
	// Retry puts it back; after three days a failing one is given up.
	id := scalar[int64](t, "select id from ap_deliveries where host = $1", gone.host())
	wantStatus(t, fedAction(t, fed, "ap-retry-delivery", map[string]any{"id": id}), 200)
	gone.status = 202
	pump(t, p)
	if st := scalar[string](t, "select state from ap_deliveries where id = $1", id); st != "done" {
		t.Fatalf("retried: %s", st)
	}
	exec(t, "update ap_deliveries set created_at = now() - interval '4 days', next_attempt_at = now() where host = $1", down.host())
	pump(t, p)
	if st := scalar[string](t, "select state from ap_deliveries where host = $1", down.host()); st != "dead" {
		t.Fatalf("after three days: %s", st)
	}
}

// The admins' dead-letter page lists given-up deliveries and puts one back
// in the queue; members may not see it.
func TestAPDeadLetterPage(t *testing.T) {
	p, urls := apPlatform(t, loopback)
	fed := urls["federation"]
	wantStatus(t, fedAction(t, fed, "ap-ensure-site-actor", map[string]any{}), 200)
	site := scalar[int](t, "select id from ap_actor_profiles where is_site")
	inbox := "http://dead.example/" + uniq(t) + "/inbox"
	act := scalar[int64](t, `insert into ap_activities (activity_type, origin_app, visibility, payload, process_state)
		values ('Create', 'federation', 'public', '{}', 'failed') returning id`)
	id := scalar[int64](t, `insert into ap_deliveries (activity_id, inbox, host, app_domain, actor_profile_id, state, attempts, last_status, last_error)
		values ($1, $2, 'dead.example', 'blog', $3, 'dead', 1, 410, '410 Gone: <b>gone</b>') returning id`, act, inbox, site)
	get := func(admin bool) (int, string) {
		name, value, _ := p.VisitorSession("federation", map[string]any{"id": 1, "name": "A", "email": "a@x", "admin": admin})
		req, _ := http.NewRequest("GET", fed+"/admin/federation/deliveries", nil)
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Cookie", name+"="+value)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	st, body := get(true)
	if st != 200 || !strings.Contains(body, inbox) || !strings.Contains(body, "410") ||
		strings.Contains(body, "<b>gone</b>") || !strings.Contains(body, "Retry all") {
		t.Fatalf("dead letters for an admin: %d %s", st, body)
	}
	if st, _ := get(false); st != 403 {
		t.Fatalf("dead letters for a member: %d", st)
	}
	name, value, csrf := p.VisitorSession("federation", map[string]any{"id": 1, "name": "A", "email": "a@x", "admin": true})
	req, _ := http.NewRequest("POST", fed+"/admin/federation/deliveries/retry",
		strings.NewReader("csrf_token="+csrf+"&id="+itoa(id)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", name+"="+value)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 {
		t.Fatalf("retry: %d", resp.StatusCode)
	}
	if st := scalar[string](t, "select state from ap_deliveries where id = $1", id); st != "pending" {
		t.Fatalf("after retry: %s", st)
	}
	exec(t, "delete from ap_deliveries where id = $1", id)
}

// signedGet fetches url as the fake's actor name, signed (a fediverse
// server's "authorized fetch"); unsigned with name "".
func (f *fakeFedi) signedGet(t *testing.T, url, name string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if name != "" {
		if err := httpsig.Sign(req, nil, f.privPEM, f.actor(name)+"#main-key", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	st, m, _ := doAP(t, req)
	return st, m
}

const apPublic = "https://www.w3.org/ns/activitystreams#Public"

// Unlisted and followers-only notes: addressed as Mastodon does (unlisted:
// to the followers, Public in cc; followers-only: no Public anywhere),
// delivered to the followers; the followers-only Note is served only to a
// follower's signed fetch and is not in the outbox.
func TestAPNoteVisibility(t *testing.T) {
	p, urls := apPlatform(t, loopback)
	fed := urls["federation"]
	remote := newFakeFedi(t)
	bob, carol := remote.actor("bob"), remote.actor("carol")
	m := fedProfile(t, fed, "apvis")
	uid := m["user_id"]
	name := m["preferred_username"].(string)
	me := fed + "/users/" + name
	followers := me + "/followers"
	wantStatus(t, remote.send(t, me+"/inbox", "bob", map[string]any{"id": bob + "/follows/v", "type": "Follow", "actor": bob, "object": me}, sendOpts{}), 202)
	pump(t, p)

	notes := map[string]map[string]any{}
	for _, vis := range []string{"public", "unlisted", "followers"} {
		c := fedAction(t, fed, "ap-post-note", map[string]any{"user-id": uid, "content": "A " + vis + " note", "visibility": vis})
		wantStatus(t, c, 200)
		var n map[string]any
		json.Unmarshal([]byte(c.Body), &n)
		notes[vis] = n
	}
	wantStatus(t, fedAction(t, fed, "ap-post-note", map[string]any{"user-id": uid, "content": "x", "visibility": "direct"}), 400)
	pump(t, p)
	creates := map[string]map[string]any{}
	for _, r := range remote.got() {
		if r.Activity["type"] == "Create" {
			if r.Verified != nil {
				t.Fatalf("Create not verified: %v", r.Verified)
			}
			o, _ := r.Activity["object"].(map[string]any)
			creates[fmt.Sprint(o["content"])] = r.Activity
		}
	}
	addr := func(v any) string {
		var s []string
		for _, x := range v.([]any) {
			s = append(s, fmt.Sprint(x))
		}
		return strings.Join(s, " ")
	}
	for vis, want := range map[string][2]string{
		"public":    {apPublic, followers},
		"unlisted":  {followers, apPublic},
		"followers": {followers, ""},
	} {
		a := creates["<p>A "+vis+" note</p>"]
		if a == nil {
			t.Fatalf("the %s note was not delivered to the follower: %v", vis, creates)
		}
		o := a["object"].(map[string]any)
		for _, d := range []map[string]any{a, o} {
			if addr(d["to"]) != want[0] || addr(d["cc"]) != want[1] {
				t.Fatalf("%s note addressed to=%v cc=%v, want to=%q cc=%q", vis, d["to"], d["cc"], want[0], want[1])
			}
		}
	}
	// The objects: public and unlisted to anyone; followers-only only to
	// the follower's signed fetch — 404 for anonymous and for carol.
	for _, vis := range []string{"public", "unlisted"} {
		if st, doc := remote.signedGet(t, notes[vis]["id"].(string), ""); st != 200 || doc["content"] != "<p>A "+vis+" note</p>" {
			t.Fatalf("anonymous GET of the %s note: %d %v", vis, st, doc)
		}
	}
	fo := notes["followers"]["id"].(string)
	if st, _ := remote.signedGet(t, fo, ""); st != 404 {
		t.Fatalf("anonymous GET of a followers-only note: %d", st)
	}
	if st, _ := remote.signedGet(t, fo, "carol"); st != 404 {
		t.Fatalf("GET of a followers-only note by a non-follower (%s): %d", carol, st)
	}
	if st, doc := remote.signedGet(t, fo, "bob"); st != 200 || doc["content"] != "<p>A followers note</p>" {
		t.Fatalf("the follower's signed GET of a followers-only note: %d %v", st, doc)
	}
	// A badly signed fetch is refused, not treated as anonymous.
	req, _ := http.NewRequest("GET", fo, nil)
	req.Header.Set("Accept", "application/activity+json")
	httpsig.Sign(req, nil, remote.privPEM, bob+"#main-key", time.Now().Add(-2*time.Hour))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("a stale signed GET: %v %v", resp.StatusCode, err)
	}
	// A browser is sent to the note's page.
	req, _ = http.NewRequest("GET", notes["unlisted"]["id"].(string), nil)
	req.Header.Set("Accept", "text/html")
	if resp, err := noRedirect.Do(req); err != nil || resp.StatusCode != 302 || !strings.HasSuffix(resp.Header.Get("Location"), "/social/"+name+"/notes/"+path.Base(notes["unlisted"]["id"].(string))) {
		t.Fatalf("browser GET: %v %v", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The outbox shows the public and unlisted notes, not the followers-only one.
	st, page, _ := getAP(t, me+"/outbox?page=1")
	if st != 200 {
		t.Fatalf("outbox: %d", st)
	}
	items, _ := json.Marshal(page["orderedItems"])
	if !strings.Contains(string(items), "A public note") || !strings.Contains(string(items), "A unlisted note") ||
		strings.Contains(string(items), "A followers note") || page["totalItems"] != float64(2) {
		t.Fatalf("outbox: %v %s", page["totalItems"], items)
	}
}

// Moderation and paging: a block of one actor drops their activities and
// follows but not their server's others; a member's report and a remote
// Flag are filed; the outbox pages (20 a page) link next, prev and last.
func TestAPModerationAndOutboxPaging(t *testing.T) {
	_, urls := apPlatform(t, loopback)
	fed := urls["federation"]
	remote := newFakeFedi(t)
	bob, carol := remote.actor("bob"), remote.actor("carol")
	m := fedProfile(t, fed, "apmod")
	uid := m["user_id"]
	me := fed + "/users/" + m["preferred_username"].(string)
	for _, who := range []string{"bob", "carol"} {
		a := remote.actor(who)
		wantStatus(t, remote.send(t, me+"/inbox", who, map[string]any{"id": a + "/follows/m", "type": "Follow", "actor": a, "object": me}, sendOpts{}), 202)
	}
	c := fedAction(t, fed, "ap-block", map[string]any{"actor-uri": bob, "reason": "spam"})
	wantStatus(t, c, 200)
	if !strings.Contains(c.Body, `"followers_removed":1`) {
		t.Fatalf("block: %s", c.Body)
	}
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri = any($1)", []string{bob, carol}); n != 1 {
		t.Fatalf("followers left after blocking bob: %d, want carol's", n)
	}
	before := apCounts(t)
	c = remote.send(t, me+"/inbox", "bob", map[string]any{"id": bob + "/follows/m2", "type": "Follow", "actor": bob, "object": me}, sendOpts{})
	if c.Status != 202 || !strings.Contains(c.Body, "blocked") || apCounts(t) != before {
		t.Fatalf("a blocked actor's Follow: %d %s", c.Status, c.Body)
	}
	// The same server's other actor is not blocked; a Flag from her is filed.
	c = remote.send(t, fed+"/inbox", "carol", map[string]any{"id": carol + "/flags/1", "type": "Flag", "actor": carol,
		"object": []any{me}, "content": "impersonation?"}, sendOpts{})
	if c.Status != 202 || strings.Contains(c.Body, "blocked") {
		t.Fatalf("carol's Flag: %d %s", c.Status, c.Body)
	}
	if n := scalar[int](t, "select count(*) from ap_reports where actor_uri = $1 and reporter_user_id is null and comment = 'impersonation?'", carol); n != 1 {
		t.Fatalf("Flag reports: %d", n)
	}
	wantStatus(t, fedAction(t, fed, "ap-report", map[string]any{"reporter-user-id": uid, "actor-uri": bob, "comment": "spam again"}), 200)
	if n := scalar[int](t, "select count(*) from ap_reports where actor_uri = $1 and reporter_user_id is not null and comment = 'spam again'", bob); n != 1 {
		t.Fatalf("member reports: %d", n)
	}
	wantStatus(t, fedAction(t, fed, "ap-block", map[string]any{}), 400)
	wantStatus(t, fedAction(t, fed, "ap-unblock", map[string]any{"actor-uri": bob}), 200)
	wantStatus(t, remote.send(t, me+"/inbox", "bob", map[string]any{"id": bob + "/follows/m3", "type": "Follow", "actor": bob, "object": me}, sendOpts{}), 202)
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri = $1", bob); n != 1 {
		t.Fatal("bob's Follow after the unblock was not taken")
	}
	// A member's own block of carol: her follow of the member goes, her
	// Follow of the member is dropped, her Follow of the blog is taken.
	wantStatus(t, fedAction(t, fed, "ap-block", map[string]any{"actor-uri": carol, "user-id": uid}), 200)
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri = $1", carol); n != 0 {
		t.Fatalf("carol still follows the member who blocked her: %d", n)
	}
	c = remote.send(t, me+"/inbox", "carol", map[string]any{"id": carol + "/follows/m4", "type": "Follow", "actor": carol, "object": me}, sendOpts{})
	if c.Status != 202 || !strings.Contains(c.Body, "blocked") {
		t.Fatalf("carol's Follow of the member who blocked her: %d %s", c.Status, c.Body)
	}
	blogActor := urls["blog"] + "/users/blog"
	c = remote.send(t, blogActor+"/inbox", "carol", map[string]any{"id": carol + "/follows/m5", "type": "Follow", "actor": carol, "object": blogActor}, sendOpts{})
	if c.Status != 202 || strings.Contains(c.Body, "blocked") {
		t.Fatalf("carol's Follow of the blog: %d %s", c.Status, c.Body)
	}

	// 22 notes: the outbox is two pages.
	for i := 0; i < 22; i++ {
		wantStatus(t, fedAction(t, fed, "ap-post-note", map[string]any{"user-id": uid, "content": fmt.Sprintf("note %d", i)}), 200)
	}
	out := me + "/outbox"
	_, col, _ := getAP(t, out)
	if col["totalItems"] != float64(22) || col["first"] != out+"?page=1" || col["last"] != out+"?page=2" {
		t.Fatalf("outbox: %v", col)
	}
	_, p1, _ := getAP(t, out+"?page=1")
	_, p2, _ := getAP(t, out+"?page=2")
	items := func(p map[string]any) []any { l, _ := p["orderedItems"].([]any); return l }
	if len(items(p1)) != 20 || p1["next"] != out+"?page=2" || p1["prev"] != nil || p1["type"] != "OrderedCollectionPage" {
		t.Fatalf("page 1: %d items, next %v prev %v", len(items(p1)), p1["next"], p1["prev"])
	}
	if len(items(p2)) != 2 || p2["next"] != nil || p2["prev"] != out+"?page=1" {
		t.Fatalf("page 2: %d items, next %v prev %v", len(items(p2)), p2["next"], p2["prev"])
	}
	newest, _ := items(p1)[0].(map[string]any)["object"].(map[string]any)
	oldest, _ := items(p2)[1].(map[string]any)["object"].(map[string]any)
	if newest["content"] != "<p>note 21</p>" || oldest["content"] != "<p>note 0</p>" {
		t.Fatalf("order: newest %v, oldest %v", newest["content"], oldest["content"])
	}
	if st, _, _ := getAP(t, out+"?page=0"); st != 400 {
		t.Fatalf("page 0: %d", st)
	}
	// carol's Like of the member's note, through the shared inbox: dropped
	// too (the member's block follows the object to its author).
	c = remote.send(t, fed+"/inbox", "carol", map[string]any{"id": carol + "/likes/m6", "type": "Like", "actor": carol, "object": newest["id"]}, sendOpts{})
	if c.Status != 202 || !strings.Contains(c.Body, "blocked") {
		t.Fatalf("carol's Like of the member's note: %d %s", c.Status, c.Body)
	}
}

// With a Redis cache the platform's deliveries take the host's slots in
// Redis, shared with other instances: while another instance holds all 4
// slots of the follower's host (for 1.5 s), the post waits for them.
func TestAPDeliverySharesHostSlots(t *testing.T) {
	u := pgtest.RedisURL()
	rc, err := cacheprims.NewRedis(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	p, urls := platformWith(t, host.Options{OutboundAllow: loopback, Cache: rc}, "blog", "federation")
	for name, u := range urls {
		p.SetPublicURL(name, u)
	}
	blog := urls["blog"]
	remote := newFakeFedi(t)
	alice := remote.actor("alice")
	wantStatus(t, remote.send(t, blog+"/users/blog/inbox", "alice", map[string]any{"id": alice + "/follows/s", "type": "Follow",
		"actor": alice, "object": blog + "/users/blog"}, sendOpts{}), 202)
	pump(t, p) // the Accept
	ctx := context.Background()
	key := "sx:ap:host:" + remote.host()
	held := time.UnixMilli(time.Now().Add(1500 * time.Millisecond).UnixMilli()) // Redis's slots are in ms
	until := float64(held.UnixMilli())
	for i := 0; i < 4; i++ {
		rc.Client().ZAdd(ctx, key, redis.Z{Score: until, Member: fmt.Sprintf("other-instance-%d", i)})
	}
	postID := scalar[int](t, `insert into posts (slug, title, status, html, published_at, visibility)
		values ($1, 'Slots', 'published', '<p>x</p>', now() - interval '1 minute', 'public') returning id`, uniq(t))
	wantStatus(t, action(t, blog, "federate-post", map[string]any{"post-id": postID}), 200)
	pump(t, p)
	got := remote.got()
	if last := got[len(got)-1]; last.Activity["type"] != "Create" || last.Verified != nil {
		t.Fatalf("the post was not delivered: %+v", last)
	}
	// Its arrival compared with the slots' end, not timed from the
	// publish: on a loaded machine publishing alone can take most of 1.5 s.
	if early := held.Sub(got[len(got)-1].At); early > 0 {
		t.Fatalf("delivered %v before another instance's hold on every slot of the host ran out", early)
	}
	if n, _ := rc.Client().ZCard(ctx, key).Result(); n != 0 {
		t.Fatalf("%d slots left after the delivery", n)
	}
}
