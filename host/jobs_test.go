package host_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rose-ash/sxhost/host"
)

// jobService is a service with two jobs; %[2]s names it (job locks and
// job_runs rows are per service name, so parallel tests use their own).
const jobService = `
(defservice %[2]s)

(defjob tick :every 1 ()
  "Counts a tick; fails after writing when the table says so."
  (sql/exec "insert into %[1]s (what) values ('tick')")
  (when (sql/value "select exists (select 1 from %[1]s where what = 'fail')")
    (error "tick failed")))

(defjob nap :every 3600 ()
  "Holds its lock for a while."
  (sql/value "select pg_sleep(0.5)::text"))
`

func startChores(t *testing.T, opts host.Options) (*host.Platform, *host.Service, string) {
	t.Helper()
	table := uniqueName("chores")
	execSQL(t, "create table "+table+" (id serial primary key, what text not null)")
	opts.DB = openPool(t, dbURL)
	_, p, _ := startService(t, fmt.Sprintf(jobService, table, strings.ReplaceAll(table, "_", "-")), opts)
	return p, p.Services()[0], table
}

func TestJobRunsInOneTransaction(t *testing.T) {
	t.Parallel()
	_, svc, table := startChores(t, host.Options{})
	check := directConn(t)
	if ran, err := svc.RunJob(context.Background(), "tick"); !ran || err != nil {
		t.Fatalf("tick: ran %v, %v", ran, err)
	}
	if n := countRows(t, check, table, "what = 'tick'"); n != 1 {
		t.Fatalf("%d ticks, want 1", n)
	}
	execSQL(t, "insert into "+table+" (what) values ('fail')")
	if _, err := svc.RunJob(context.Background(), "tick"); err == nil || !strings.Contains(err.Error(), "tick failed") {
		t.Fatalf("a failing job: %v", err)
	}
	if n := countRows(t, check, table, "what = 'tick'"); n != 1 {
		t.Errorf("a failed run left its write: %d ticks, want 1", n)
	}
	wantLastError(t, check, svc, "tick", "tick failed")
	if _, err := svc.RunJob(context.Background(), "no-such-job"); err == nil {
		t.Error("an unknown job ran")
	}
}

func TestJobRunsOnceAtATime(t *testing.T) {
	t.Parallel()
	_, svc, _ := startChores(t, host.Options{})
	var wg sync.WaitGroup
	results := make([]bool, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = svc.RunJob(context.Background(), "nap")
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || results[0] == results[1] {
		t.Fatalf("two runs at once: ran %v, errors %v; want exactly one to run", results, errs)
	}
}

func TestJobsRunOnTheirSchedule(t *testing.T) {
	t.Parallel()
	p, svc, table := startChores(t, host.Options{Activities: host.ActivityOptions{Poll: 100 * time.Millisecond}})
	check := directConn(t)
	// A job that ran (elsewhere) half a second ago is not due yet; the loop
	// runs it when its second is up, then every second — once per period
	// even with two instances looking.
	execSQL(t, fmt.Sprintf(`insert into job_runs (service, job, started_at) values ('%s', 'tick', now() - interval '500 milliseconds')`, svc.Name))
	stop1 := p.StartActivityProcessors(context.Background())
	defer stop1()
	other := newPlatform(t, svc.Files, host.Options{DB: openPool(t, dbURL), Activities: host.ActivityOptions{Poll: 100 * time.Millisecond}})
	stop2 := other.StartActivityProcessors(context.Background())
	defer stop2()
	start := time.Now()
	time.Sleep(200 * time.Millisecond)
	if n := countRows(t, check, table, "what = 'tick'"); n != 0 {
		t.Fatalf("%d ticks before the job was due", n)
	}
	eventually(t, 10*time.Second, "three scheduled ticks", func() bool {
		return countRows(t, check, table, "what = 'tick'") >= 3
	})
	// Due at 0.5 s, then every second: two instances must not double that.
	if n, most := countRows(t, check, table, "what = 'tick'"), int(time.Since(start).Seconds())+1; n > most {
		t.Fatalf("%d ticks in %s of a 1 s job with two instances, want at most %d", n, time.Since(start), most)
	}
	// The overdue long job ran at once, in one instance only.
	var ran int
	check.QueryRow(context.Background(), "select count(*) from job_runs where service = $1 and job = 'nap' and finished_at is not null", svc.Name).Scan(&ran)
	if ran != 1 {
		t.Errorf("the nap job's run was not recorded once: %d", ran)
	}
}

func TestJobNeedsAPeriod(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeFile(t, dir, "bad.sx", "(defservice bad)\n(defjob forever ()\n  \"No period.\"\n  nil)\n")
	_, err := host.New([]string{file}, host.Options{})
	if err == nil || !strings.Contains(err.Error(), filepath.Base(file)+":2:1") || !strings.Contains(err.Error(), ":every") {
		t.Fatalf("a job without :every: %v", err)
	}
}

// freeJobService has a :transaction false job before a plain one; %[2]s
// names it.
const freeJobService = `
(defservice %[2]s)

(defjob slow :every 3600 :transaction false ()
  "Writes, waits, writes and fails when the table says so."
  (sql/exec "insert into %[1]s (what) values ('slow')")
  (sql/value "select pg_sleep(1.5)::text")
  (when (sql/value "select exists (select 1 from %[1]s where what = 'fail')")
    (error "slow failed")))

(defjob tick :every 1 ()
  "Counts a tick."
  (sql/exec "insert into %[1]s (what) values ('tick')"))
`

// A :transaction false job has no enclosing transaction (a failure keeps
// the writes that committed before it), runs alongside itself (two
// RunJobs at once both run), and the job loop runs it in the background:
// the service's other jobs keep their schedule while it runs.
func TestJobWithoutTransaction(t *testing.T) {
	t.Parallel()
	table := uniqueName("freejob")
	execSQL(t, "create table "+table+" (id serial primary key, what text not null)")
	_, p, _ := startService(t, fmt.Sprintf(freeJobService, table, strings.ReplaceAll(table, "_", "-")),
		host.Options{DB: openPool(t, dbURL), Activities: host.ActivityOptions{Poll: 50 * time.Millisecond}})
	svc := p.Services()[0]
	check := directConn(t)

	var wg sync.WaitGroup
	var finished atomic.Int32
	ran := make([]bool, 2)
	errs := make([]error, 2)
	for i := range ran {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer finished.Add(1)
			ran[i], errs[i] = svc.RunJob(context.Background(), "slow")
		}()
	}
	// Both runs wrote their first row (each statement commits on its own)
	// before either ended (each waits 1.5 s after it): they overlap.
	eventually(t, 5*time.Second, "two overlapping runs", func() bool {
		return countRows(t, check, table, "what = 'slow'") == 2
	})
	overlapped := finished.Load() == 0
	wg.Wait()
	if !ran[0] || !ran[1] || errs[0] != nil || errs[1] != nil {
		t.Fatalf("two runs at once: ran %v, errors %v; want both to run", ran, errs)
	}
	if !overlapped {
		t.Error("one run ended before the other began: they did not run at once")
	}
	execSQL(t, "insert into "+table+" (what) values ('fail')")
	if _, err := svc.RunJob(context.Background(), "slow"); err == nil || !strings.Contains(err.Error(), "slow failed") {
		t.Fatalf("a failing run: %v", err)
	}
	if n := countRows(t, check, table, "what = 'slow'"); n != 3 {
		t.Errorf("the failed run's committed write: %d rows, want 3 (no enclosing transaction to roll back)", n)
	}
	wantLastError(t, check, svc, "slow", "slow failed")
	execSQL(t, "delete from "+table+" where what = 'fail'")

	// The loop: slow is due (its last run is hours old) and runs in the
	// background; tick runs meanwhile, before slow ends.
	execSQL(t, fmt.Sprintf(`update job_runs set started_at = now() - interval '2 hours' where service = '%s'`, svc.Name))
	stop := p.StartActivityProcessors(context.Background())
	defer stop()
	eventually(t, 5*time.Second, "the loop's run of slow", func() bool {
		return countRows(t, check, table, "what = 'slow'") == 4
	})
	eventually(t, 5*time.Second, "a tick while slow runs", func() bool {
		return countRows(t, check, table, "what = 'tick'") >= 1
	})
	var slowDone bool
	check.QueryRow(context.Background(), "select finished_at is not null from job_runs where service = $1 and job = 'slow'", svc.Name).Scan(&slowDone)
	if slowDone {
		t.Error("the tick waited for slow to finish: the loop did not run slow in the background")
	}
}

// wantLastError checks that job_runs holds the job's failure.
func wantLastError(t *testing.T, check *pgx.Conn, svc *host.Service, job, want string) {
	t.Helper()
	var lastError string
	check.QueryRow(context.Background(), "select coalesce(last_error, '') from job_runs where service = $1 and job = $2", svc.Name, job).Scan(&lastError)
	if !strings.Contains(lastError, want) {
		t.Errorf("the failure is not recorded in job_runs: %q", lastError)
	}
}
