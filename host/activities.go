package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// The activity bus (platform §3.6). (emit-activity …) writes a pending row
// to ap_activities with the emitting service as origin_app, in the caller's
// transaction: an action's activities exist exactly when its writes do.
// Each service's processor takes its own due rows and runs the service's
// (defactivity type …) handler for them.
//
// A row is processed in one transaction that holds its row lock (FOR UPDATE
// SKIP LOCKED, so concurrent processors never take the same row) for the
// whole run: the handler's writes and the row's "done" commit together, and
// a crashed processor simply releases the lock. The 'processing' state of
// the schema is therefore never needed. A failed handler's writes roll back
// to a savepoint; the row is retried with exponential back-off and marked
// failed after MaxAttempts.

// ActivityOptions tune the activity processors.
type ActivityOptions struct {
	// Poll is how often a processor looks for due rows when no
	// notification woke it (default 1 s).
	Poll time.Duration
	// Backoff is the delay before the first retry; each further retry
	// doubles it, up to an hour (default 2 s).
	Backoff time.Duration
	// MaxAttempts is how many failed runs mark a row failed (default 6).
	MaxAttempts int
	// Batch is how many rows one pass processes at most (default 20).
	Batch int
	// Retention is how long a service's done internal activities are kept
	// (default 7 days): their payloads carry cart keys such as session
	// ids. Federated (non-internal) activities are the AP outbox and stay.
	Retention time.Duration
	// FailedRetention is how long failed internal activities are kept for
	// someone to look at and retry (default 30 days).
	FailedRetention time.Duration
}

func (o ActivityOptions) withDefaults() ActivityOptions {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if o.Retention <= 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.FailedRetention <= 0 {
		o.FailedRetention = 30 * 24 * time.Hour
	}
	return o
}

// activityChannel is the NOTIFY channel that wakes processors; the payload
// is the origin service.
const activityChannel = "sx_activities"

// maxBackoff caps the retry delay.
const maxBackoff = time.Hour

// activityVisibilities are the values the schema's check allows.
var activityVisibilities = map[string]bool{"internal": true, "public": true, "unlisted": true, "followers": true, "direct": true}

// emitActivity is (emit-activity type payload options?).
func (s *Service) emitActivity(th *runtime.Thread, a []runtime.Value) runtime.Value {
	typ := str(th, "emit-activity", a[0])
	if typ == "" {
		th.Fail("emit-activity: the type is empty")
	}
	var payload bytes.Buffer
	if err := toJSON(&payload, a[1]); err != nil {
		th.Fail("emit-activity: payload: %v", err)
	}
	visibility, objectType := "internal", ""
	var actorProfile any
	if len(a) > 2 && a[2] != nil {
		opts, ok := a[2].(*runtime.Dict)
		if !ok {
			th.Fail("emit-activity: options must be a dict, got %s", runtime.TypeOf(a[2]))
		}
		for _, k := range opts.Keys() {
			v, _ := opts.Get(k)
			switch k {
			case "visibility":
				visibility = str(th, "emit-activity", v)
				if !activityVisibilities[visibility] {
					th.Fail("emit-activity: unknown visibility %q", visibility)
				}
			case "object-type":
				objectType = str(th, "emit-activity", v)
			case "actor-profile-id":
				actorProfile = v
			default:
				th.Fail("emit-activity: unknown option %s", k)
			}
		}
	}
	conn := sqlprims.Bound(th)
	if conn == nil {
		th.Fail("emit-activity: no database")
	}
	var id int64
	// One round trip: the row and the wake-up. NOTIFY is delivered at
	// commit, so a processor never wakes for a row it cannot see yet.
	rows, err := conn.Query(th.Ctx, `with a as (
			insert into ap_activities (activity_type, object_type, payload, origin_app, visibility, actor_profile_id)
			values ($1, nullif($2, ''), $3::jsonb, $4, $5, $6) returning id),
		n as (select pg_notify($7, $4))
		select a.id from a, n`,
		typ, objectType, payload.String(), s.Name, visibility, actorProfile, activityChannel)
	if err == nil {
		if rows.Next() {
			err = rows.Scan(&id)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		th.Fail("emit-activity %s: %v", typ, err)
	}
	return id
}

// ProcessActivities runs the handlers of up to Batch of this service's due
// activities, one transaction each, and returns how many it took.
func (s *Service) ProcessActivities(ctx context.Context) (int, error) {
	db := s.plat.opts.DB
	if db == nil {
		return 0, errors.New("process activities: no database")
	}
	opts := s.plat.opts.Activities.withDefaults()
	// A pass takes each row once, even when a fast retry is already due.
	seen := []int64{} // not nil: pgx sends nil as NULL
	for len(seen) < opts.Batch {
		id, err := s.processOne(ctx, opts, seen)
		if err != nil || id == 0 {
			return len(seen), err
		}
		seen = append(seen, id)
	}
	return len(seen), nil
}

// processOne claims the next due row, runs its handler and records the
// outcome, all in one transaction; it returns the row's id, or 0 when no
// row other than those in skip is due.
func (s *Service) processOne(ctx context.Context, opts ActivityOptions, skip []int64) (int64, error) {
	ctx, hooks := withCommitHooks(ctx)
	tx, err := s.plat.opts.DB.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var (
		id       int64
		typ      string
		payload  []byte
		attempts int
	)
	err = tx.QueryRow(ctx, `select id, activity_type, payload, attempts from ap_activities
		where origin_app = $1 and process_state = 'pending' and next_attempt_at <= now()
		  and id <> all($2::bigint[])
		order by next_attempt_at, id limit 1 for update skip locked`, s.Name, skip).Scan(&id, &typ, &payload, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	runErr := s.runActivity(ctx, tx, typ, payload)
	if runErr == nil {
		// A sent mail keeps only its address and subject: its body may
		// hold a sign-in link, which has no business in the table.
		_, err = tx.Exec(ctx, `update ap_activities set process_state = 'done', processed_at = now(),
			attempts = attempts + 1, last_error = null, updated_at = now(),
			payload = case when activity_type = $2 then payload - 'text' - 'html' else payload end
			where id = $1`, id, mailActivity)
	} else {
		attempts++
		state, delay := "pending", backoff(opts.Backoff, attempts)
		if attempts >= opts.MaxAttempts {
			state = "failed"
		}
		s.plat.log.Warn("activity failed", "service", s.Name, "id", id, "type", typ,
			"attempt", attempts, "state", state, "err", runErr)
		_, err = tx.Exec(ctx, `update ap_activities set process_state = $2, attempts = $3, last_error = $4,
			next_attempt_at = now() + $5::interval, updated_at = now() where id = $1`,
			id, state, attempts, runErr.Error(), fmt.Sprintf("%d milliseconds", delay.Milliseconds()))
	}
	if err != nil {
		return 0, err
	}
	err = tx.Commit(ctx)
	sqlprims.NoteWrite() // the handler's writes are visible: cached query results are stale
	if err == nil {
		s.plat.runCommitHooks(ctx, hooks)
	}
	return id, err
}

// runActivity runs the handler for typ inside a savepoint of tx, so a
// failure undoes the handler's writes but not the bookkeeping. A type with
// no handler here is done: there is nothing to do for it.
func (s *Service) runActivity(ctx context.Context, tx pgx.Tx, typ string, payload []byte) (err error) {
	st := s.state.Load()
	def := st.env.Definition("activity", typ)
	if def == nil || def.Fn == nil {
		if typ == mailActivity {
			return s.deliverMail(ctx, payload)
		}
		return nil
	}
	data, err := fromJSON(payload)
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	fields, _ := data.(*runtime.Dict)
	args, err := bindParams(def.Params, func(name string) (runtime.Value, bool) {
		if fields == nil {
			return nil, false
		}
		return fields.Get(name)
	})
	if err != nil {
		return err
	}
	th := st.thread(ctx, s.plat)
	defer st.release(th)
	return s.plat.InTransaction(ctx, tx, func(ctx context.Context, sp pgx.Tx) error {
		th.Ctx = ctx
		sqlprims.Bind(th, sp)
		_, err := th.Apply(def.Fn, args...)
		return err
	})
}

// PurgeActivities deletes this service's internal activities that were
// done longer ago than Retention or failed longer ago than FailedRetention,
// and returns how many went. Pending rows are never purged.
func (s *Service) PurgeActivities(ctx context.Context) (int64, error) {
	if s.plat.opts.DB == nil {
		return 0, errors.New("purge activities: no database")
	}
	opts := s.plat.opts.Activities.withDefaults()
	// In batches, so a large backlog never holds one long transaction.
	var total int64
	for {
		tag, err := s.plat.opts.DB.Exec(ctx, `delete from ap_activities where id in (
			select id from ap_activities
			 where origin_app = $1 and visibility = 'internal' and process_state = 'done'
			   and processed_at < now() - $2::interval
			union all
			select id from ap_activities
			 where origin_app = $1 and visibility = 'internal' and process_state = 'failed'
			   and updated_at < now() - $3::interval
			limit $4)`,
			s.Name, fmt.Sprintf("%d seconds", int64(opts.Retention.Seconds())),
			fmt.Sprintf("%d seconds", int64(opts.FailedRetention.Seconds())), purgeBatch)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < purgeBatch {
			return total, nil
		}
	}
}

// purgeBatch is how many activities one purge statement deletes at most.
const purgeBatch = 5000

// purgeEvery is how often a running processor purges old activities.
const purgeEvery = time.Hour

// backoff is the delay before retry number attempt (1-based).
func backoff(base time.Duration, attempt int) time.Duration {
	d := float64(base) * math.Pow(2, float64(attempt-1))
	if d > float64(maxBackoff) {
		return maxBackoff
	}
	return time.Duration(d)
}

// StartActivityProcessors processes every service's activities until stop
// is called (stop waits for them): woken by NOTIFY when a row is committed,
// and every Poll for rows whose retry falls due; the loop also purges old
// activities. Each service's periodic jobs run in a loop of their own
// (jobs.go). Errors (the
// database being away) are logged and retried on the next poll.
func (p *Platform) StartActivityProcessors(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stop = func() { cancel(); wg.Wait() }
	if p.opts.DB == nil {
		return stop
	}
	opts := p.opts.Activities.withDefaults()
	wake := make(map[string]chan struct{}, len(p.order))
	for _, s := range p.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runJobs(ctx, opts.Poll)
		}()
		if len(s.Env().Definitions("activity")) == 0 && !emits(s) {
			continue
		}
		ch := make(chan struct{}, 1)
		wake[s.Name] = ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(opts.Poll)
			defer t.Stop()
			var purged time.Time
			for {
				if _, err := s.ProcessActivities(ctx); err != nil && ctx.Err() == nil {
					if databaseDown(err) {
						p.reportOutage("database unavailable: activity processors wait", "service", s.Name, "err", err.Error())
					} else {
						p.log.Warn("activity processor", "service", s.Name, "err", err)
					}
				}
				if time.Since(purged) > purgeEvery {
					if _, err := s.PurgeActivities(ctx); err != nil && ctx.Err() == nil {
						p.log.Warn("activity purge", "service", s.Name, "err", err)
					}
					purged = time.Now()
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				case <-ch:
				}
			}
		}()
	}
	if len(wake) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.listenActivities(ctx, opts, wake)
		}()
	}
	return stop
}

// nudge wakes a processor unless it is already due to wake.
func nudge(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// emits reports whether a service could emit activities; a processor runs
// for it even without handlers so that its rows are marked done.
func emits(s *Service) bool { return len(s.Env().Definitions("action")) > 0 }

// listenActivities forwards NOTIFY wake-ups to the processors, reconnecting
// after errors.
func (p *Platform) listenActivities(ctx context.Context, opts ActivityOptions, wake map[string]chan struct{}) {
	for ctx.Err() == nil {
		err := func() error {
			conn, err := p.opts.DB.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			if _, err := conn.Exec(ctx, "listen "+activityChannel); err != nil {
				return err
			}
			defer conn.Exec(context.WithoutCancel(ctx), "unlisten "+activityChannel)
			// Rows committed before LISTEN took effect sent their NOTIFY to
			// nobody: one pass per processor now picks them up instead of
			// the next poll (at start, and after every reconnect).
			for _, ch := range wake {
				nudge(ch)
			}
			for {
				n, err := conn.Conn().WaitForNotification(ctx)
				if err != nil {
					return err
				}
				if ch := wake[n.Payload]; ch != nil {
					nudge(ch)
				}
			}
		}()
		if ctx.Err() != nil {
			return
		}
		p.log.Warn("activity listener", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(opts.Poll):
		}
	}
}
