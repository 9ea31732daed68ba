package services_test

// Delivery with leases (docs/federation.md "Delivery"): the ap-deliver job
// claims due rows for a while, sends them with no transaction open and
// records each result as it ends. Against a farm of inboxes on 127.0.0.1
// that verify every signature: workers running at once never send a row
// twice, a worker that died leaves its rows to another once its lease runs
// out, nothing holds a transaction (or a row lock) while a request waits,
// and results that do not come back are not counted as attempts.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/prims/httpsig"
)

// inboxFarm is hosts inbox servers that verify each delivery with pub and
// count them by path; while holding, each request waits (telling held)
// until released or its client gives up.
type inboxFarm struct {
	servers []*httptest.Server
	pub     string
	delay   time.Duration

	mu       sync.Mutex
	byPath   map[string]int
	bad      int
	inFlight []int
	most     int
	holding  bool
	release  chan struct{}
	held     chan string
}

func newInboxFarm(t *testing.T, hosts int, pub string, delay time.Duration) *inboxFarm {
	f := &inboxFarm{pub: pub, delay: delay, byPath: map[string]int{}, inFlight: make([]int, hosts),
		release: make(chan struct{}), held: make(chan string, 64)}
	for i := range hosts {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			err := httpsig.Verify(httpsig.Request{Method: r.Method, Target: r.URL.RequestURI(), Host: r.Host, Header: r.Header, Body: body},
				f.pub, time.Now(), httpsig.DefaultSkew)
			f.mu.Lock()
			if err != nil {
				f.bad++
				f.mu.Unlock()
				http.Error(w, err.Error(), 401)
				return
			}
			f.byPath[r.Host+r.URL.Path]++
			f.inFlight[i]++
			f.most = max(f.most, f.inFlight[i])
			holding, release := f.holding, f.release
			f.mu.Unlock()
			defer func() { f.mu.Lock(); f.inFlight[i]--; f.mu.Unlock() }()
			if holding {
				f.held <- r.Host + r.URL.Path
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
			}
			time.Sleep(f.delay)
			w.WriteHeader(202)
		}))
		t.Cleanup(srv.Close)
		f.servers = append(f.servers, srv)
	}
	return f
}

// hold makes the farm hold every request from now on; the function it
// returns lets them go (and stops holding).
func (f *inboxFarm) hold() func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holding = true
	f.release = make(chan struct{})
	c := f.release
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.holding {
			f.holding = false
			close(c)
		}
	}
}

func (f *inboxFarm) hosts() []string {
	var hs []string
	for _, s := range f.servers {
		hs = append(hs, strings.TrimPrefix(s.URL, "http://"))
	}
	return hs
}

// counts returns how many deliveries each inbox got, the refused ones and
// the most requests one host had in flight.
func (f *inboxFarm) counts() (map[string]int, int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int, len(f.byPath))
	for k, v := range f.byPath {
		m[k] = v
	}
	return m, f.bad, f.most
}

// deliveryFixture is the blog with perHost accepted followers on each of
// the farm's hosts, and a post published to them: fanned out, not sent.
type deliveryFixture struct {
	p    *host.Platform
	blog string
	fed  string
	farm *inboxFarm
}

func newDeliveryFixture(t *testing.T, hosts, perHost int, delay time.Duration) *deliveryFixture {
	t.Helper()
	p, urls := apPlatform(t, loopback)
	fx := &deliveryFixture{p: p, blog: urls["blog"], fed: urls["federation"]}
	wantStatus(t, fedAction(t, fx.fed, "ap-ensure-site-actor", map[string]any{}), 200)
	site := scalar[int](t, "select id from ap_actor_profiles where is_site")
	fx.farm = newInboxFarm(t, hosts, scalar[string](t, "select public_key_pem from ap_actor_profiles where is_site"), delay)
	var bases []string
	for _, s := range fx.farm.servers {
		bases = append(bases, s.URL)
	}
	exec(t, "delete from ap_followers where actor_profile_id = $1 and app_domain = 'blog'", site)
	exec(t, `insert into ap_followers (actor_profile_id, app_domain, follower_actor_uri, follower_inbox, accepted_at)
		select $1, 'blog', f.u || '/users/u' || g, f.u || '/users/u' || g || '/inbox', now()
		  from generate_series(0, $3 - 1) g join unnest($2::text[]) with ordinality f(u, n) on f.n - 1 = g % cardinality($2::text[])`,
		site, bases, hosts*perHost)
	t.Cleanup(func() {
		exec(t, "delete from ap_followers where actor_profile_id = $1 and app_domain = 'blog'", site)
		exec(t, "delete from ap_deliveries where host = any($1)", fx.farm.hosts())
	})
	fx.publish(t)
	return fx
}

// publish publishes a new post and fans it out to the followers.
func (fx *deliveryFixture) publish(t *testing.T) {
	t.Helper()
	postID := scalar[int](t, `insert into posts (slug, title, status, html, published_at, visibility)
		values ($1, 'Leases', 'published', '<p>x</p>', now() - interval '1 minute', 'public') returning id`, uniq(t))
	wantStatus(t, action(t, fx.blog, "federate-post", map[string]any{"post-id": postID}), 200)
	ctx := context.Background()
	for range 2 {
		for _, name := range []string{"blog", "federation"} {
			if _, err := fx.p.Service(name).ProcessActivities(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// states counts the farm's deliveries by state, attempts and claim.
func (fx *deliveryFixture) states(t *testing.T) string {
	t.Helper()
	return scalar[string](t, `select coalesce(string_agg(s, ', ' order by s), '') from (
		select concat(state, ' attempts=', attempts, case when claimed_by is not null then ' claimed' end, ': ', count(*)) s
		  from ap_deliveries where host = any($1) group by state, attempts, claimed_by is not null) x`, fx.farm.hosts())
}

// runJob runs the ap-deliver job as one worker, within a deadline.
func (fx *deliveryFixture) runJob(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := fx.p.Service("federation").RunJob(ctx, "ap-deliver"); err != nil {
		t.Fatal(err)
	}
}

// openTransactionsOnDeliveries counts the sessions of the test database
// sitting in a transaction whose last statement touched ap_deliveries:
// what a delivery holding its transaction during HTTP looks like.
func openTransactionsOnDeliveries(t *testing.T) int {
	t.Helper()
	return scalar[int](t, `select count(*)::int from pg_stat_activity
		where datname = current_database() and pid <> pg_backend_pid()
		  and state like 'idle in transaction%' and query ilike '%ap_deliveries%'`)
}

// Three workers at once (three runs of the ap-deliver job, as three
// instances would run it) deliver 1,200 inboxes on 12 hosts: each inbox
// gets the post exactly once, verified; the workers held claims at the
// same time; and no host saw more than 4 requests at once (the per-host
// limit holds across the runs of one process).
func TestAPDeliveryConcurrentWorkers(t *testing.T) {
	const hosts, perHost = 12, 100
	fx := newDeliveryFixture(t, hosts, perHost, 10*time.Millisecond)
	if st := fx.states(t); st != "pending attempts=0: 1200" {
		t.Fatalf("after the fan-out: %s", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pending := func() int {
		return scalar[int](t, "select count(*)::int from ap_deliveries where host = any($1) and state = 'pending'", fx.farm.hosts())
	}
	var wg sync.WaitGroup
	var runs atomic.Int64
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && pending() > 0 {
				if _, err := fx.p.Service("federation").RunJob(ctx, "ap-deliver"); err != nil {
					errs <- err
					return
				}
				runs.Add(1)
				time.Sleep(5 * time.Millisecond) // the others may hold what is left
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	mostClaimers := 0
watch:
	for {
		select {
		case <-done:
			break watch
		case <-ctx.Done():
			t.Fatalf("the workers did not finish in 3 minutes: %s", fx.states(t))
		case <-time.After(20 * time.Millisecond):
		}
		mostClaimers = max(mostClaimers, scalar[int](t,
			"select count(distinct claimed_by)::int from ap_deliveries where host = any($1)", fx.farm.hosts()))
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	byPath, bad, most := fx.farm.counts()
	if bad != 0 || len(byPath) != hosts*perHost {
		t.Fatalf("%d inboxes got the post, %d refused; want %d, none refused", len(byPath), bad, hosts*perHost)
	}
	for path, n := range byPath {
		if n != 1 {
			t.Fatalf("%s got the post %d times", path, n)
		}
	}
	if st := fx.states(t); st != "done attempts=1: 1200" {
		t.Fatalf("after delivery: %s", st)
	}
	if mostClaimers < 2 {
		t.Errorf("at most %d worker held claims at once: the workers did not run side by side", mostClaimers)
	}
	if most > 4 {
		t.Errorf("a host had %d requests in flight, limit 4", most)
	}
	t.Logf("%d runs of the job; at most %d workers holding claims at once; most in flight on one host %d", runs.Load(), mostClaimers, most)
}

// A worker that died keeps its claim until the lease runs out; then
// another worker delivers the row. Two ways of dying: a claim whose worker
// never comes back, and a run cut off (its context cancelled) while its
// request was in flight — during which no transaction is open and the row
// is not locked.
func TestAPDeliveryRetriedAfterItsWorkerDied(t *testing.T) {
	fx := newDeliveryFixture(t, 1, 1, 0)
	inbox := fx.farm.hosts()[0] + "/users/u0/inbox"
	id := scalar[int64](t, "select id from ap_deliveries where host = any($1)", fx.farm.hosts())

	// A worker claims the row and is never heard of again.
	c := fedAction(t, fx.fed, "ap-claim!", map[string]any{"worker": "gone", "limit": 500, "lease": 60})
	wantStatus(t, c, 200)
	if !strings.Contains(c.Body, inbox) || strings.Contains(c.Body, "private") {
		t.Fatalf("the claim: %s", c.Body)
	}
	// Rows of other tests it took go back at once.
	exec(t, "update ap_deliveries set claimed_by = null, lease_until = null where claimed_by = 'gone' and id <> $1", id)
	fx.runJob(t)
	if got, _, _ := fx.farm.counts(); got[inbox] != 0 {
		t.Fatalf("delivered %d times while another worker's lease held it", got[inbox])
	}
	if st := fx.states(t); st != "pending attempts=0 claimed: 1" {
		t.Fatalf("while the lease holds: %s", st)
	}
	// The lease runs out: the next worker delivers it, once.
	afterLease := func(requests int) {
		t.Helper()
		exec(t, "update ap_deliveries set lease_until = now() - interval '1 second' where id = $1", id)
		fx.runJob(t)
		if got, bad, _ := fx.farm.counts(); got[inbox] != requests || bad != 0 {
			t.Fatalf("after the lease ran out: %d requests, %d refused; want %d", got[inbox], bad, requests)
		}
		if st := fx.states(t); st != "done attempts=1: 1" {
			t.Fatalf("after the lease ran out: %s", st)
		}
	}
	afterLease(1)
	// The dead worker's late word changes nothing: it no longer holds it.
	c = fedAction(t, fx.fed, "ap-record!", map[string]any{"worker": "gone",
		"results": []any{map[string]any{"id": id, "status": 500, "error": "late", "sent": true}}})
	wantStatus(t, c, 200)
	if st := fx.states(t); st != "done attempts=1: 1" || !strings.Contains(c.Body, `"failed":0`) {
		t.Fatalf("a late record by a worker without the lease: %s; %s", st, c.Body)
	}

	// A run cut off while the farm holds its request.
	exec(t, "delete from ap_deliveries where id = $1", id)
	release := fx.farm.hold()
	defer release()
	fx.publish(t)
	id = scalar[int64](t, "select id from ap_deliveries where host = any($1)", fx.farm.hosts())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ended := make(chan error, 1)
	go func() {
		_, err := fx.p.Service("federation").RunJob(ctx, "ap-deliver")
		ended <- err
	}()
	select {
	case <-fx.farm.held:
	case err := <-ended:
		t.Fatalf("the run ended before its request reached the farm: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no request reached the farm in 30 s")
	}
	// While the request waits: no transaction on the deliveries is open,
	// and the row can be locked at once.
	if n := openTransactionsOnDeliveries(t); n != 0 {
		t.Errorf("%d transactions on ap_deliveries open while the request waits", n)
	}
	lockCtx, lockCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lockCancel()
	err := pgx.BeginFunc(lockCtx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(lockCtx, "set local lock_timeout = '2s'"); err != nil {
			return err
		}
		_, err := tx.Exec(lockCtx, "select 1 from ap_deliveries where id = $1 for update", id)
		return err
	})
	if err != nil {
		t.Errorf("the row is locked while its request waits: %v", err)
	}
	cancel() // the worker dies mid-request
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled run did not end in 30 s")
	}
	release()
	if st := fx.states(t); st != "pending attempts=0 claimed: 1" {
		t.Fatalf("after the worker died: %s", st)
	}
	fx.runJob(t)
	if got, _, _ := fx.farm.counts(); got[inbox] != 2 {
		t.Fatalf("while the lease holds: %d requests, want 2 (the one before and the interrupted one)", got[inbox])
	}
	afterLease(3) // the one before, the interrupted one, the retry
}

// ap-record! keeps the back-off and dead-letter rules: a 503 is retried
// later, a 410 is dead at once, a failure three days after queueing is dead,
// and a job not sent (its host's slots stayed taken) is released as it was,
// not counted as an attempt. Each clears the claim.
func TestAPDeliveryRecordedResults(t *testing.T) {
	fx := newDeliveryFixture(t, 4, 1, 0)
	c := fedAction(t, fx.fed, "ap-claim!", map[string]any{"worker": "w", "limit": 500})
	wantStatus(t, c, 200)
	var ids []int64
	rows, err := db.Query(context.Background(), "select id from ap_deliveries where host = any($1) order by host", fx.farm.hosts())
	if err != nil {
		t.Fatal(err)
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) != 4 {
		t.Fatalf("deliveries: %v %v", ids, err)
	}
	exec(t, "update ap_deliveries set claimed_by = null, lease_until = null where claimed_by = 'w' and not (id = any($1))", ids)
	if st := fx.states(t); st != "pending attempts=0 claimed: 4" {
		t.Fatalf("claimed: %s", st)
	}
	exec(t, "update ap_deliveries set created_at = now() - interval '4 days' where id = $1", ids[2])
	due := scalar[time.Time](t, "select next_attempt_at from ap_deliveries where id = $1", ids[3])
	c = fedAction(t, fx.fed, "ap-record!", map[string]any{"worker": "w", "results": []any{
		map[string]any{"id": ids[0], "status": 503, "error": "503 Service Unavailable", "sent": true},
		map[string]any{"id": ids[1], "status": 410, "error": "410 Gone", "sent": true},
		map[string]any{"id": ids[2], "status": 0, "error": "connection refused", "sent": true},
		map[string]any{"id": ids[3], "status": 0, "error": "not started in time", "sent": false},
	}})
	wantStatus(t, c, 200)
	if got := fmt.Sprint(wantObj(t, c)); got != "map[dead:2 failed:1 released:1 sent:0]" {
		t.Errorf("ap-record!: %s", c.Body)
	}
	for i, want := range []string{
		"pending 1 503 t f",   // retried in a minute
		"dead 1 410 t f",      // a 4xx a retry cannot change
		"dead 1 <nil> t f",    // three days after it was queued
		"pending 0 <nil> f f", // released as it was
	} {
		got := scalar[string](t, `select concat_ws(' ', state, attempts, coalesce(last_status::text, '<nil>'),
			next_attempt_at > now() + interval '50 seconds', claimed_by is not null) from ap_deliveries where id = $1`, ids[i])
		if got != want {
			t.Errorf("delivery %d: %s, want %s", i, got, want)
		}
	}
	if d := scalar[time.Time](t, "select next_attempt_at from ap_deliveries where id = $1", ids[3]); !d.Equal(due) {
		t.Errorf("the released delivery's due time moved: %v → %v", due, d)
	}
	// The dead ones are in the admins' view.
	dl := query(t, fx.fed, "ap-dead-letters", "")
	for _, id := range ids[1:3] {
		if h := scalar[string](t, "select host from ap_deliveries where id = $1", id); !strings.Contains(dl.Body, h) {
			t.Errorf("dead letters without %s: %s", h, dl.Body)
		}
	}
}
