package host_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// busService emits activities from an action and handles them. The
// service is called "cart" because origin_app only admits the platform's
// six services. Tests using it run one at a time: they share the origin.
const busService = `
(defservice cart)

(defaction place (&key (tag :str) (fail :bool false) (type :str "thing.placed"))
  "Writes a row and emits an activity about it, then fails when asked to."
  (sql/exec "insert into %[1]s (tag, what) values ($1, 'placed')" tag)
  (emit-activity type {:tag tag :n 1})
  (when fail (error "place failed"))
  {:ok true})

(defactivity thing.placed (&key (tag :str) (n :int))
  "Records that the handler ran; tags starting with bad fail after writing."
  (sql/exec "insert into %[1]s (tag, what) values ($1, 'handled')" tag)
  (when (starts-with? tag "bad") (error "handler boom")))
`

func startBus(t *testing.T, opts host.Options) (*served, *host.Platform, string) {
	t.Helper()
	table := uniqueName("bus")
	execSQL(t, "create table "+table+" (id serial primary key, tag text not null, what text not null)")
	execSQL(t, "delete from ap_activities where origin_app = 'cart'")
	opts.DB = openPool(t, dbURL)
	s, p, _ := startService(t, fmt.Sprintf(busService, table), opts)
	return s, p, table
}

// activityRow reads the bookkeeping of the activity emitted for tag.
func activityRow(t *testing.T, tag string) (state string, attempts int, lastError string, due bool) {
	t.Helper()
	c := directConn(t)
	err := c.QueryRow(context.Background(), `select process_state, attempts, coalesce(last_error, ''), next_attempt_at <= now()
		from ap_activities where origin_app = 'cart' and payload->>'tag' = $1`, tag).Scan(&state, &attempts, &lastError, &due)
	if err != nil {
		t.Fatalf("activity for %s: %v", tag, err)
	}
	return
}

func TestActivityEmittedWithTheActionsTransaction(t *testing.T) {
	s, _, table := startBus(t, host.Options{})
	check := directConn(t)
	wantStatus(t, postJSON(t, s.URL+"/internal/actions/place", `{"tag":"kept"}`), 200, "an action that emits")
	wantStatus(t, postJSON(t, s.URL+"/internal/actions/place", `{"tag":"lost","fail":true}`), 500, "an action that emits and fails")
	if n := countRows(t, check, "ap_activities", "origin_app = 'cart' and payload->>'tag' = 'kept' and process_state = 'pending' and activity_type = 'thing.placed' and visibility = 'internal' and (payload->>'n')::int = 1"); n != 1 {
		t.Errorf("%d pending activities for the committed action, want 1", n)
	}
	if n := countRows(t, check, "ap_activities", "payload->>'tag' = 'lost'"); n != 0 {
		t.Errorf("a failed action left %d activities, want 0", n)
	}
	if n := countRows(t, check, table, "tag = 'lost'"); n != 0 {
		t.Errorf("a failed action left %d rows", n)
	}
}

func TestActivityProcessedRetriedAndFailed(t *testing.T) {
	logger, log := newLogger()
	s, p, table := startBus(t, host.Options{Logger: logger, Activities: host.ActivityOptions{Backoff: time.Millisecond, MaxAttempts: 3}})
	check := directConn(t)
	for _, tag := range []string{"good", "bad", "other"} {
		body := fmt.Sprintf(`{"tag":%q}`, tag)
		if tag == "other" {
			body = `{"tag":"other","type":"thing.unhandled"}`
		}
		wantStatus(t, postJSON(t, s.URL+"/internal/actions/place", body), 200, "emitting "+tag)
	}
	svc := p.Service("cart")
	n, err := svc.ProcessActivities(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("first pass took %d rows (%v), want 3", n, err)
	}
	if state, attempts, _, _ := activityRow(t, "good"); state != "done" || attempts != 1 {
		t.Errorf("good: %s after %d attempts, want done after 1", state, attempts)
	}
	if n := countRows(t, check, table, "tag = 'good' and what = 'handled'"); n != 1 {
		t.Errorf("the handler ran %d times for good, want 1", n)
	}
	if state, _, _, _ := activityRow(t, "other"); state != "done" {
		t.Errorf("an activity with no handler is %s, want done", state)
	}
	state, attempts, lastErr, _ := activityRow(t, "bad")
	if state != "pending" || attempts != 1 || !strings.Contains(lastErr, "handler boom") {
		t.Errorf("bad after one run: %s, %d attempts, %q; want pending, 1, handler boom", state, attempts, lastErr)
	}
	// Two more due runs use up the attempts.
	for i := 0; i < 2; i++ {
		time.Sleep(20 * time.Millisecond) // past the millisecond back-off
		if _, err := svc.ProcessActivities(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if state, attempts, _, _ := activityRow(t, "bad"); state != "failed" || attempts != 3 {
		t.Errorf("bad after three runs: %s after %d attempts, want failed after 3", state, attempts)
	}
	// The failing handler's own write was rolled back every time.
	if n := countRows(t, check, table, "tag = 'bad' and what = 'handled'"); n != 0 {
		t.Errorf("a failing handler left %d rows, want 0", n)
	}
	if n, _ := svc.ProcessActivities(context.Background()); n != 0 {
		t.Errorf("a failed row was taken again (%d rows)", n)
	}
	if !strings.Contains(log.String(), `"msg":"activity failed"`) {
		t.Errorf("failures were not logged: %s", log.String())
	}
}

func TestActivityRetryWaitsForBackoff(t *testing.T) {
	s, p, _ := startBus(t, host.Options{Activities: host.ActivityOptions{Backoff: time.Hour}})
	wantStatus(t, postJSON(t, s.URL+"/internal/actions/place", `{"tag":"bad-later"}`), 200, "emitting")
	svc := p.Service("cart")
	if n, err := svc.ProcessActivities(context.Background()); n != 1 || err != nil {
		t.Fatalf("took %d (%v), want 1", n, err)
	}
	state, attempts, _, due := activityRow(t, "bad-later")
	if state != "pending" || attempts != 1 || due {
		t.Fatalf("after a failure: %s, %d attempts, due now %v; want pending, 1, not due", state, attempts, due)
	}
	if n, _ := svc.ProcessActivities(context.Background()); n != 0 {
		t.Errorf("a row was retried before its back-off (%d taken)", n)
	}
}

func TestActivityConcurrentProcessorsRunEachOnce(t *testing.T) {
	s, p, table := startBus(t, host.Options{})
	const rows = 40
	for i := 0; i < rows; i++ {
		wantStatus(t, postJSON(t, s.URL+"/internal/actions/place", fmt.Sprintf(`{"tag":"c%d"}`, i)), 200, "emitting")
	}
	svc := p.Service("cart")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := svc.ProcessActivities(context.Background())
				if err != nil {
					errs <- err
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check := directConn(t)
	if n := countRows(t, check, table, "what = 'handled'"); n != rows {
		t.Errorf("handlers ran %d times for %d activities", n, rows)
	}
	var dup int
	check.QueryRow(context.Background(), fmt.Sprintf("select count(*) from (select tag from %s where what = 'handled' group by tag having count(*) > 1) d", table)).Scan(&dup)
	if dup != 0 {
		t.Errorf("%d activities were handled more than once", dup)
	}
}

func TestActivityProcessorsWakeOnCommit(t *testing.T) {
	// A long poll: only the NOTIFY sent at commit can wake the processor
	// in time.
	s, p, table := startBus(t, host.Options{Activities: host.ActivityOptions{Poll: time.Minute}})
	stop := p.StartActivityProcessors(context.Background())
	defer stop()
	time.Sleep(200 * time.Millisecond) // let the first pass and LISTEN start (a row committed before LISTEN is caught by the pass after it)
	wantStatus(t, postJSON(t, s.URL+"/internal/actions/place", `{"tag":"woken"}`), 200, "emitting")
	check := directConn(t)
	eventually(t, 5*time.Second, "the activity to be handled", func() bool {
		return countRows(t, check, table, "tag = 'woken' and what = 'handled'") == 1
	})
	if state, _, _, _ := activityRow(t, "woken"); state != "done" {
		t.Errorf("state %s, want done", state)
	}
}

func TestActivityPurgeKeepsRecentAndFederatedRows(t *testing.T) {
	_, p, _ := startBus(t, host.Options{Activities: host.ActivityOptions{Retention: 48 * time.Hour, FailedRetention: 30 * 24 * time.Hour}})
	execSQL(t, `insert into ap_activities (activity_type, origin_app, visibility, process_state, processed_at, payload) values
		('old.internal', 'cart', 'internal', 'done', now() - interval '3 days', '{"tag":"old"}'),
		('new.internal', 'cart', 'internal', 'done', now() - interval '1 day', '{"tag":"new"}'),
		('old.public', 'cart', 'public', 'done', now() - interval '3 days', '{"tag":"public"}'),
		('old.failed', 'cart', 'internal', 'failed', null, '{"tag":"failed"}'),
		('older.failed', 'cart', 'internal', 'failed', null, '{"tag":"older-failed"}'),
		('stale.pending', 'cart', 'internal', 'pending', null, '{"tag":"pending"}'),
		('old.blog', 'blog', 'internal', 'done', now() - interval '3 days', '{"tag":"blog"}')`)
	execSQL(t, `update ap_activities set updated_at = now() - interval '40 days' where payload->>'tag' = 'older-failed'`,
		`update ap_activities set next_attempt_at = now() + interval '1 year', created_at = now() - interval '90 days' where payload->>'tag' = 'pending'`)
	n, err := p.Service("cart").PurgeActivities(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("purged %d (%v), want 2 (the old done and the long-failed)", n, err)
	}
	check := directConn(t)
	for _, tag := range []string{"old", "older-failed"} {
		if n := countRows(t, check, "ap_activities", "payload->>'tag' = $1", tag); n != 0 {
			t.Errorf("the %s activity was kept", tag)
		}
	}
	for _, tag := range []string{"new", "public", "failed", "blog", "pending"} {
		if n := countRows(t, check, "ap_activities", "payload->>'tag' = $1", tag); n != 1 {
			t.Errorf("the %s activity was purged", tag)
		}
	}
	execSQL(t, "delete from ap_activities where origin_app = 'blog'")
}
