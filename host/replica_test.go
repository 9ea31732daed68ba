package host_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/pgreplica"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

const replicaService = `(defservice rr)
(defquery where () "Whether the read ran on a standby." (sql/value "select pg_is_in_recovery()"))
(defaction note (&key (body :str)) (sql/exec "insert into notes (body) values ($1)" body))
(defroute read :path "/read" () (str (query "rr" "where")))
(defroute write-then-read :path "/write" :method :post :csrf false ()
  (action "rr" "note" :body "x")
  (str (query "rr" "where") " " (sql/value "select count(*) from notes")))`

// TestReplicaReadYourWrites: with DATABASE_READ_URL's router, a page's
// reads go to a real streaming replica, an action and the reads of the
// request that ran it go to the primary, and so do the browser's next
// requests (the cookie) and internal calls marked by a writing caller.
func TestReplicaReadYourWrites(t *testing.T) {
	pair := pgreplica.Start(t)
	ctx := context.Background()
	primary, err := host.OpenDatabase(ctx, pair.PrimaryURL, sqlprims.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	replica, err := host.OpenDatabase(ctx, pair.ReplicaURL, sqlprims.Options{MaxConns: 4, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	if _, err := primary.Exec(ctx, "create table notes (id serial primary key, body text)"); err != nil {
		t.Fatal(err)
	}
	// A generous lag: the replica stays in use while the test writes.
	router := sqlprims.NewRouter(primary, replica, 10*time.Second, nil)
	defer router.Close()
	deadline := time.Now().Add(20 * time.Second)
	for !router.ReplicaUsable() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s, _, _ := startService(t, replicaService, host.Options{DB: primary, Router: router})

	if r := get(t, s.URL+"/read"); r.Body != "true" {
		t.Fatalf("a page's read did not run on the replica: %s", r)
	}
	w := postJSON(t, s.URL+"/write", `{}`)
	wantStatus(t, w, 200, "write then read")
	if w.Body != "false 1" {
		t.Fatalf("the request that wrote read from the replica or missed its write: %q", w.Body)
	}
	cookie := w.Header.Get("Set-Cookie")
	if !strings.HasPrefix(cookie, "sx_rw=1") || !strings.Contains(strings.ToLower(cookie), "max-age=11") {
		t.Fatalf("no read-your-writes cookie after a write: %q", cookie)
	}
	if r := get(t, s.URL+"/read", "Cookie", "sx_rw=1"); r.Body != "false" {
		t.Errorf("the browser's next request read from the replica: %s", r)
	}
	if r := get(t, s.URL+"/read"); r.Body != "true" || r.Header.Get("Set-Cookie") != "" {
		t.Errorf("a request that did not write: %s (cookie %q)", r, r.Header.Get("Set-Cookie"))
	}
	if r := get(t, s.URL+"/internal/data/where"); r.Body != "true" {
		t.Errorf("an internal query read from the primary: %s", r)
	}
	if r := get(t, s.URL+"/internal/data/where", "X-Sx-Read-Primary", "1"); r.Body != "false" {
		t.Errorf("an internal query from a caller that wrote read from the replica: %s", r)
	}
}
