package services_test

// Interop against an independent ActivityPub implementation: Fedify
// (@fedify/fedify from npm), run by node from testdata/fedify-peer.mjs on
// 127.0.0.1. scripts/test installs it under .cache/fedify (a test tool,
// like axe-core); without node or the package the test skips. How to repeat
// it by hand: docs/federation.md.

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/internal/syncbuf"
)

// fedifyPeer starts the Fedify peer and returns its base URL.
func fedifyPeer(t *testing.T) string {
	t.Helper()
	node := fedifyNode()
	if node == "" {
		t.Skip("interop: no Node.js 22 or later (SX_NODE, ../.cache/node22, or node on PATH; docs/federation.md)")
	}
	dir, _ := filepath.Abs("../.cache/fedify")
	if d := os.Getenv("SX_FEDIFY_DIR"); d != "" {
		dir = d
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules/@fedify/fedify/package.json")); err != nil {
		t.Skipf("interop: @fedify/fedify is not installed in %s (scripts/test installs it; docs/federation.md)", dir)
	}
	src, err := os.ReadFile("testdata/fedify-peer.mjs")
	if err != nil {
		t.Fatal(err)
	}
	// The script must sit beside node_modules for its imports to resolve.
	script := filepath.Join(dir, "fedify-peer.mjs")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		t.Fatal(err)
	}
	// The port is found free, then given to node: another listener (a
	// parallel test's service) may take it first, so a start counts only
	// when the peer itself answers, and a peer that could not listen is
	// started again on another port.
	for attempt := 1; ; attempt++ {
		if base, ok := startFedifyPeer(t, node, dir, script); ok {
			return base
		}
		if attempt == 3 {
			t.Fatal("the fedify peer did not start on three ports")
		}
	}
}

// startFedifyPeer runs the peer on a free port; ok is false when it exited
// before answering (its port was taken).
func startFedifyPeer(t *testing.T, node, dir, script string) (base string, ok bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := osexec.Command(node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT="+itoa(int64(port)), "FEDIFY_LOG=info")
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("fedify peer output:\n%s", out.String())
		}
	})
	base = "http://127.0.0.1:" + itoa(int64(port))
	deadline := time.Now().Add(120 * time.Second) // node loads Fedify slowly on a busy machine
	for {
		select {
		case <-exited:
			t.Logf("the fedify peer exited on port %d: %s", port, out.String())
			return "", false
		default:
		}
		// Only the peer has /_ctl/log, and it says so when it listens.
		if resp, err := http.Get(base + "/_ctl/log"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(out.String(), "fedify peer on") {
				return base, true
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fedify peer did not start: %s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fedifyNode finds a Node.js of version 22 or later, which Fedify needs
// (ArrayBuffer.prototype.transfer): SX_NODE, the one scripts/test installs
// from npm under .cache/node22 (node-<os>-<arch>@22, the package with the
// binary), or node on PATH; "" when none.
func fedifyNode() string {
	dir, _ := filepath.Abs("../.cache/node22/node_modules")
	local, _ := filepath.Glob(filepath.Join(dir, "node-*", "bin", "node"))
	path, _ := osexec.LookPath("node")
	for _, n := range append(append([]string{os.Getenv("SX_NODE")}, local...), path) {
		if n == "" {
			continue
		}
		out, err := osexec.Command(n, "-p", "process.versions.node.split('.')[0] >= 22").Output()
		if err == nil && strings.TrimSpace(string(out)) == "true" {
			return n
		}
	}
	return ""
}

// peerLog is what the peer's inbox received (only verified activities
// reach Fedify's listeners).
type peerEntry struct {
	Type, ID, Actor, Object, ObjectType, ObjectID, Name, Content string
}

func peerLog(t *testing.T, peer string) []peerEntry {
	t.Helper()
	resp, err := http.Get(peer + "/_ctl/log")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l []peerEntry
	json.NewDecoder(resp.Body).Decode(&l)
	return l
}

func peerCtl(t *testing.T, peer, path string, args url.Values) string {
	t.Helper()
	resp, err := http.Post(peer+path+"?"+args.Encode(), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("peer %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

func findPeer(l []peerEntry, typ string) *peerEntry {
	for i := range l {
		if l[i].Type == typ {
			return &l[i]
		}
	}
	return nil
}

func TestAPInteropFedify(t *testing.T) {
	peer := fedifyPeer(t)
	peerActor := peer + "/users/peer"
	p, urls := apPlatform(t, loopback)
	blog, fed := urls["blog"], urls["federation"]

	// 1. Fedify follows the blog actor: our inbox verifies Fedify's
	// signature, records the follower and sends an Accept that Fedify
	// verifies.
	peerCtl(t, peer, "/_ctl/follow", url.Values{"actor": {blog + "/users/blog"}})
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri = $1 and app_domain = 'blog' and accepted_at is not null", peerActor); n != 1 {
		t.Fatalf("Fedify's Follow was not taken: %d followers", n)
	}
	pump(t, p)
	if a := findPeer(peerLog(t, peer), "Accept"); a == nil || a.Actor != blog+"/users/blog" {
		t.Fatalf("Fedify got no verified Accept: %+v", peerLog(t, peer))
	}

	// 2. A published post reaches Fedify as a Create{Article}.
	slug := uniq(t)
	postID := scalar[int](t, `insert into posts (slug, title, status, html, published_at, visibility)
		values ($1, 'Interop harvest', 'published', '<p>Pears too.</p>', now() - interval '1 minute', 'public') returning id`, slug)
	wantStatus(t, action(t, blog, "federate-post", map[string]any{"post-id": postID}), 200)
	pump(t, p)
	c := findPeer(peerLog(t, peer), "Create")
	if c == nil || c.ObjectType != "Article" || c.Name != "Interop harvest" || !strings.Contains(c.Content, "Pears") {
		t.Fatalf("Fedify got no Article: %+v", peerLog(t, peer))
	}

	// 3. A member follows Fedify's actor by handle (WebFinger on Fedify);
	// Fedify accepts; its note reaches our timeline.
	m := fedProfile(t, fed, "interop")
	uid := m["user_id"]
	host := strings.TrimPrefix(peer, "http://")
	wantStatus(t, fedAction(t, fed, "ap-follow-remote", map[string]any{"user-id": uid, "handle": "peer@" + host}), 200)
	pump(t, p)
	if st := scalar[string](t, `select f.state from ap_following f join ap_remote_actors r on r.id = f.remote_actor_id
		join ap_actor_profiles p on p.id = f.actor_profile_id where r.actor_uri = $1 and p.user_id = $2`, peerActor, uid); st != "accepted" {
		t.Fatalf("our Follow of Fedify: %s; peer log %+v", st, peerLog(t, peer))
	}
	var sent struct{ Note string }
	json.Unmarshal([]byte(peerCtl(t, peer, "/_ctl/note", url.Values{"text": {"<p>Hello from Fedify</p>"}})), &sent)
	if got := scalar[string](t, "select coalesce((select content_html from ap_remote_posts where object_id = $1), '')", sent.Note); !strings.Contains(got, "Hello from Fedify") {
		t.Fatalf("Fedify's note did not arrive: %q", got)
	}

	// 4. Undo both ways.
	peerCtl(t, peer, "/_ctl/unfollow", url.Values{"actor": {blog + "/users/blog"}})
	if n := scalar[int](t, "select count(*) from ap_followers where follower_actor_uri = $1", peerActor); n != 0 {
		t.Fatalf("Fedify's Undo{Follow} left %d follower rows", n)
	}
	rid := scalar[int](t, "select id from ap_remote_actors where actor_uri = $1", peerActor)
	wantStatus(t, fedAction(t, fed, "ap-unfollow-remote", map[string]any{"user-id": uid, "remote-actor-id": rid}), 200)
	pump(t, p)
	if u := findPeer(peerLog(t, peer), "Undo"); u == nil || u.ObjectType != "Follow" {
		t.Fatalf("Fedify got no Undo{Follow}: %+v", peerLog(t, peer))
	}
}
