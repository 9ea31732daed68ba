package host

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// Periodic jobs: (defjob name :every seconds () "doc" body…) is work a
// service does on a schedule — releasing claims nobody will pay for,
// re-checking pending payments. The service's processor (started with the
// activity processors) runs each job every :every seconds, the first time
// one period after it starts. A run is one transaction that first takes a
// transaction-scoped advisory lock on the job with pg_try_advisory_xact_lock:
// several instances of a service never run one job at once (a job still
// running elsewhere is skipped, not queued), and the job's writes commit
// whole or not at all. A failure is logged; the next period tries again.

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
		if len(d.Params) > 0 {
			return fmt.Errorf("%s: defjob %s takes no parameters", d.Pos, d.Name)
		}
	}
	return nil
}

// RunJob runs one of the service's jobs now and reports whether it ran:
// false when another instance holds the job's lock.
func (s *Service) RunJob(ctx context.Context, name string) (bool, error) {
	if s.plat.opts.DB == nil {
		return false, errors.New("jobs need a database")
	}
	st := s.state.Load()
	def := st.env.Definition("job", name)
	if def == nil || def.Fn == nil {
		return false, fmt.Errorf("job %s/%s: %w", s.Name, name, errNotFound)
	}
	ran := false
	err := pgx.BeginFunc(ctx, s.plat.opts.DB, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "select pg_try_advisory_xact_lock($1)", jobLockKey(s.Name, name)).Scan(&ran); err != nil || !ran {
			return err
		}
		th := st.thread(ctx, s.plat)
		defer st.release(th)
		sqlprims.Bind(th, tx)
		_, err := th.Apply(def.Fn)
		return err
	})
	return ran, err
}

// jobLockKey is the advisory lock key of a job, the same in every instance.
func jobLockKey(service, job string) int64 {
	h := fnv.New64a()
	h.Write([]byte("sxhost job " + service + "/" + job))
	return int64(h.Sum64())
}

// jobTimeout bounds one run of a job.
const jobTimeout = 5 * time.Minute

// runDueJobs runs the service's jobs whose time has come; next holds each
// job's next run and is updated (jobs added by a reload start one period
// from now, removed ones are forgotten).
func (s *Service) runDueJobs(ctx context.Context, next map[string]time.Time) {
	now := time.Now()
	seen := map[string]bool{}
	for _, d := range s.Env().Definitions("job") {
		period, err := jobPeriod(d)
		if err != nil {
			continue // refused at load; a definition cannot get here without it
		}
		seen[d.Name] = true
		due, ok := next[d.Name]
		if !ok {
			next[d.Name] = now.Add(period)
			continue
		}
		if now.Before(due) {
			continue
		}
		next[d.Name] = now.Add(period)
		jctx, cancel := context.WithTimeout(ctx, jobTimeout)
		ran, err := s.RunJob(jctx, d.Name)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			s.plat.log.Warn("job failed", "service", s.Name, "job", d.Name, "err", err)
		case !ran:
			s.plat.log.Debug("job skipped: running elsewhere", "service", s.Name, "job", d.Name)
		}
	}
	for name := range next {
		if !seen[name] {
			delete(next, name)
		}
	}
}
