package sqlprims_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/internal/pgreplica"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

// TestReplicaRouting runs against a real streaming replica: reads on the
// replica, writes and a writer's later reads on the primary, a read that
// writes moved to the primary, and reads sent to the primary while the
// replica lags past MaxLag or is down.
func TestReplicaRouting(t *testing.T) {
	pair := pgreplica.Start(t)
	ctx := context.Background()
	primary, err := pxOpen(ctx, pair.PrimaryURL)
	if err != nil {
		t.Fatal(err)
	}
	replica, err := pxOpen(ctx, pair.ReplicaURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Exec(ctx, "create table notes (id serial primary key, body text)"); err != nil {
		t.Fatal(err)
	}
	const maxLag = 400 * time.Millisecond
	r := sqlprims.NewRouter(primary, replica, maxLag, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer r.Close()
	waitFor(t, "the replica to be usable", r.ReplicaUsable)

	// Where a read ran: a standby is in recovery.
	onReplica := `(sql/value "select pg_is_in_recovery()")`

	th := thread(t, r)
	if got := eval(t, th, onReplica); got != "true" {
		t.Fatalf("a fresh read ran on the primary (in recovery: %s)", got)
	}
	if got := eval(t, th, `(sql/exec "insert into notes (body) values ('a')")`); got != "1" {
		t.Fatalf("insert: %s", got)
	}
	if got := eval(t, th, onReplica); got != "false" {
		t.Fatal("after a write, the thread still reads from the replica")
	}
	if got := eval(t, th, `(sql/value "select count(*) from notes")`); got != "1" {
		t.Fatalf("the writer does not read its write: %s", got)
	}

	// A query that writes, outside a transaction: the replica refuses it
	// (25006) and it runs on the primary.
	th2 := thread(t, r)
	if got := eval(t, th2, `(sql/value "insert into notes (body) values ('b') returning body")`); got != `"b"` {
		t.Fatalf("insert … returning through sql/value: %s", got)
	}
	if got := eval(t, th2, onReplica); got != "false" {
		t.Fatal("a thread whose query wrote still reads from the replica")
	}

	// The replica catches up and serves the rows.
	waitFor(t, "the rows on the replica", func() bool {
		var n int
		replica.QueryRow(ctx, "select count(*) from notes").Scan(&n)
		return n == 2
	})

	// Lag: replay paused, the primary writes on; past maxLag reads go to
	// the primary, and back to the replica once it has caught up.
	if _, err := replica.Exec(ctx, "select pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	stopWrites := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopWrites:
				return
			case <-time.After(50 * time.Millisecond):
				primary.Exec(ctx, "insert into notes (body) values ('lag')")
			}
		}
	}()
	waitFor(t, "the lag to exceed SX_MAX_REPLICA_LAG", func() bool { return !r.ReplicaUsable() })
	if lag := r.Lag(); lag <= maxLag {
		t.Errorf("replica unusable with a lag of %v (max %v)", lag, maxLag)
	}
	if got := eval(t, thread(t, r), onReplica); got != "false" {
		t.Fatal("a lagging replica still serves reads")
	}
	close(stopWrites)
	if _, err := replica.Exec(ctx, "select pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replica to catch up", r.ReplicaUsable)
	if got := eval(t, thread(t, r), onReplica); got != "true" {
		t.Fatal("a caught-up replica does not serve reads")
	}

	// An idle primary: the replica is not behind however old its last
	// transaction.
	time.Sleep(3 * maxLag)
	if !r.ReplicaUsable() {
		t.Errorf("an idle pair counts as lagging (lag %v)", r.Lag())
	}

	// The replica down: reads run on the primary at once (retried), and
	// the router stops using it.
	pair.StopReplica(t)
	if got := eval(t, thread(t, r), `(sql/value "select count(*) > 2 from notes")`); got != "true" {
		t.Fatalf("a read with the replica down: %s", got)
	}
	waitFor(t, "the router to give up the replica", func() bool { return !r.ReplicaUsable() })
	if r.Lag() != -1 {
		t.Errorf("lag of a replica that is down: %v, want -1", r.Lag())
	}
	pair.StartReplica(t)
	waitFor(t, "the restarted replica to be used again", r.ReplicaUsable)
}

func pxOpen(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return sqlprims.Open(ctx, url, sqlprims.Options{MaxConns: 4})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestParseMaxLag(t *testing.T) {
	for in, want := range map[string]time.Duration{"": sqlprims.DefaultMaxReplicaLag, "2": 2 * time.Second, "0.5": 500 * time.Millisecond, "750ms": 750 * time.Millisecond} {
		if got, err := sqlprims.ParseMaxLag(in); err != nil || got != want {
			t.Errorf("ParseMaxLag(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"0", "-1s", "soon"} {
		if _, err := sqlprims.ParseMaxLag(bad); err == nil {
			t.Errorf("ParseMaxLag(%q) accepted", bad)
		}
	}
}
