package host

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// Periodic jobs: (defjob name :every seconds () "doc" body…) is work a
// service does on a schedule — releasing claims nobody will pay for,
// re-checking pending payments. Each service's job loop (started with the
// activity processors, in its own goroutine) runs a job when it is due. A
// run is one transaction that first takes a transaction-scoped advisory
// lock on the job with pg_try_advisory_xact_lock, so several instances
// never run one job at once (a job running elsewhere is skipped, not
// queued), then reads job_runs, shared by every instance: a job runs once
// per period however many instances there are, and an instance that starts
// after a job fell due runs it at once. The job's writes commit with its
// job_runs row, whole or not at all; a failure is recorded (last_error) and
// logged, and the next period tries again.
//
// A job declared :transaction false (work that waits on the network, such
// as ActivityPub delivery) runs differently: its body has no enclosing
// transaction and holds no lock while it runs — its statements run on the
// pool and each action it calls commits on its own — so it holds no
// connection or row lock while it waits. Its runs are not exclusive: the
// period is claimed in job_runs with one statement, and a run that outlasts
// its period overlaps the next one started by another instance (or by
// RunJob). Such a job must make concurrent runs safe itself (delivery
// leases its rows). In one process the job loop starts it in the
// background, one run at a time, so the service's other jobs do not wait
// for it.

// jobPeriod returns a job's :every option, in seconds, as a duration.
func jobPeriod(d *runtime.Definition) (time.Duration, error) {
	v, _ := d.Option("every")
	n, ok := v.(int64)
	if !ok || n < 1 {
		return 0, fmt.Errorf("%s: defjob %s needs :every with a whole number of seconds (at least 1)", d.Pos, d.Name)
	}
	return time.Duration(n) * time.Second, nil
}

// checkJobs validates the jobs of a freshly loaded environment.
func checkJobs(env *runtime.Env) error {
	for _, d := range env.Definitions("job") {
		if _, err := jobPeriod(d); err != nil {
			return err
		}
		if v, ok := d.Option("transaction"); ok && v != false && v != true {
			return fmt.Errorf("%s: defjob %s: :transaction must be true or false", d.Pos, d.Name)
		}
		if len(d.Params) > 0 {
			return fmt.Errorf("%s: defjob %s takes no parameters", d.Pos, d.Name)
		}
	}
	return nil
}

// RunJob runs one of the service's jobs now, due or not, and reports
// whether it ran: false when another instance holds the job's lock.
func (s *Service) RunJob(ctx context.Context, name string) (bool, error) {
	return s.runJob(ctx, name, 0)
}

// runJob runs a job if no other instance is running it and, when period is
// not 0, if its last start (in job_runs) is at least period ago.
func (s *Service) runJob(ctx context.Context, name string, period time.Duration) (bool, error) {
	if s.plat.opts.DB == nil {
		return false, errors.New("jobs need a database")
	}
	st := s.state.Load()
	def := st.env.Definition("job", name)
	if def == nil || def.Fn == nil {
		return false, fmt.Errorf("job %s/%s: %w", s.Name, name, errNotFound)
	}
	if ownsTransactions(def) {
		return s.runFreeJob(ctx, st, def, period)
	}
	ran := false
	var jobErr error
	err := s.plat.InTransaction(ctx, s.plat.opts.DB, func(ctx context.Context, tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, "select pg_try_advisory_xact_lock($1)", jobLockKey(s.Name, name)).Scan(&locked); err != nil || !locked {
			return err
		}
		if period > 0 {
			var due bool
			err := tx.QueryRow(ctx, `select coalesce((select started_at <= now() - $3::interval from job_runs
				where service = $1 and job = $2), true)`, s.Name, name, fmt.Sprintf("%d milliseconds", period.Milliseconds())).Scan(&due)
			if err != nil || !due {
				return err
			}
		}
		ran = true
		if _, err := tx.Exec(ctx, `insert into job_runs (service, job, started_at) values ($1, $2, now())
			on conflict (service, job) do update set started_at = now(), finished_at = null`, s.Name, name); err != nil {
			return err
		}
		th := st.thread(ctx, s.plat)
		defer st.release(th)
		// The job's own writes sit in a savepoint: a failure undoes them and
		// still records the run and its error.
		jobErr = s.plat.InTransaction(ctx, tx, func(ctx context.Context, sp pgx.Tx) error {
			th.Ctx = ctx
			sqlprims.Bind(th, sp)
			_, err := th.Apply(def.Fn)
			return err
		})
		var lastError any
		if jobErr != nil {
			lastError = jobErr.Error()
		}
		_, err := tx.Exec(ctx, `update job_runs set finished_at = now(), last_error = $3 where service = $1 and job = $2`,
			s.Name, name, lastError)
		return err
	})
	if ran {
		sqlprims.NoteWrite() // the job's writes are visible: cached query results are stale
	}
	if err == nil {
		err = jobErr
	}
	return ran, err
}

// runFreeJob runs a :transaction false job: it claims the period in
// job_runs (with period 0, always), runs the body with its thread on the
// pool, then records the run's end and error.
func (s *Service) runFreeJob(ctx context.Context, st *state, def *runtime.Definition, period time.Duration) (bool, error) {
	db := s.plat.opts.DB
	var due bool
	err := db.QueryRow(ctx, `insert into job_runs (service, job, started_at) values ($1, $2, now())
		on conflict (service, job) do update set started_at = now(), finished_at = null
		where $3::bigint = 0 or job_runs.started_at <= now() - make_interval(secs => $3::float8 / 1000)
		returning true`, s.Name, def.Name, period.Milliseconds()).Scan(&due)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // another run took this period
	}
	if err != nil {
		return false, err
	}
	th := st.thread(ctx, s.plat)
	sqlprims.Bind(th, db) // writes: the primary, never a replica
	_, jobErr := th.Apply(def.Fn)
	st.release(th)
	sqlprims.NoteWrite()
	var lastError any
	if jobErr != nil {
		lastError = jobErr.Error()
	}
	// Recorded on a context of its own: a run cut short by its deadline
	// still leaves its error.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := db.Exec(rctx, `update job_runs set finished_at = now(), last_error = $3 where service = $1 and job = $2`,
		s.Name, def.Name, lastError); err != nil && jobErr == nil {
		jobErr = err
	}
	return true, jobErr
}

// jobLockKey is the advisory lock key of a job, the same in every instance.
func jobLockKey(service, job string) int64 {
	h := fnv.New64a()
	h.Write([]byte("sxhost job " + service + "/" + job))
	return int64(h.Sum64())
}

// jobTimeout bounds one run of a job.
const jobTimeout = 5 * time.Minute

// runDueJobs tries every job of the service whose in-process schedule says
// it may be due (the first time at once); job_runs decides. next holds each
// job's next try: a period after this one.
// A :transaction false job runs in the background (bg), one run at a time
// per process: its name is in bg.running while it runs.
func (s *Service) runDueJobs(ctx context.Context, next map[string]time.Time, bg *backgroundJobs) {
	now := time.Now()
	seen := map[string]bool{}
	for _, d := range s.Env().Definitions("job") {
		period, err := jobPeriod(d)
		if err != nil {
			continue // refused at load; a definition cannot get here without it
		}
		seen[d.Name] = true
		if due, ok := next[d.Name]; ok && now.Before(due) {
			continue
		}
		if ownsTransactions(d) {
			if !bg.start(d.Name) {
				continue // still running here: tried again next poll
			}
			next[d.Name] = now.Add(period)
			go func(name string) {
				defer bg.done(name)
				s.runScheduledJob(ctx, name, period)
			}(d.Name)
			continue
		}
		next[d.Name] = now.Add(period)
		s.runScheduledJob(ctx, d.Name, period)
	}
	for name := range next {
		if !seen[name] {
			delete(next, name)
		}
	}
}

// runScheduledJob runs a job from the loop, within jobTimeout, logging a
// failure.
func (s *Service) runScheduledJob(ctx context.Context, name string, period time.Duration) {
	jctx, cancel := context.WithTimeout(ctx, jobTimeout)
	ran, err := s.runJob(jctx, name, period)
	cancel()
	switch {
	case err != nil && ctx.Err() == nil:
		s.plat.log.Warn("job failed", "service", s.Name, "job", name, "err", err)
	case !ran:
		s.plat.log.Debug("job not due or running elsewhere", "service", s.Name, "job", name)
	}
}

// backgroundJobs tracks the :transaction false jobs a job loop runs in
// the background.
type backgroundJobs struct {
	mu      sync.Mutex
	running map[string]bool
	wg      sync.WaitGroup
}

// start marks name running and reports whether it was not already.
func (b *backgroundJobs) start(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running[name] {
		return false
	}
	if b.running == nil {
		b.running = map[string]bool{}
	}
	b.running[name] = true
	b.wg.Add(1)
	return true
}

func (b *backgroundJobs) done(name string) {
	b.mu.Lock()
	delete(b.running, name)
	b.mu.Unlock()
	b.wg.Done()
}

// runJobs is a service's job loop: it looks for due jobs every poll until
// ctx ends (a service that has none now may get some from a reload), then
// waits for its background runs.
func (s *Service) runJobs(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	next := map[string]time.Time{}
	var bg backgroundJobs
	defer bg.wg.Wait()
	for {
		s.runDueJobs(ctx, next, &bg)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
