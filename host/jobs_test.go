package host_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

const jobService = `
(defservice chores)

(defjob tick :every 1 ()
  "Counts a tick; fails after writing when the table says so."
  (sql/exec "insert into %[1]s (what) values ('tick')")
  (when (sql/value "select exists (select 1 from %[1]s where what = 'fail')")
    (error "tick failed")))

(defjob nap :every 3600 ()
  "Holds its lock for a while."
  (sql/value "select pg_sleep(0.5)::text"))
`

func startChores(t *testing.T, opts host.Options) (*host.Platform, string) {
	t.Helper()
	table := uniqueName("chores")
	execSQL(t, "create table "+table+" (id serial primary key, what text not null)")
	opts.DB = openPool(t, dbURL)
	_, p, _ := startService(t, fmt.Sprintf(jobService, table), opts)
	return p, table
}

func TestJobRunsInOneTransaction(t *testing.T) {
	t.Parallel()
	p, table := startChores(t, host.Options{})
	svc := p.Service("chores")
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
	if _, err := svc.RunJob(context.Background(), "no-such-job"); err == nil {
		t.Error("an unknown job ran")
	}
}

func TestJobRunsOnceAtATime(t *testing.T) {
	t.Parallel()
	p, _ := startChores(t, host.Options{})
	svc := p.Service("chores")
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
	p, table := startChores(t, host.Options{Activities: host.ActivityOptions{Poll: 100 * time.Millisecond}})
	stop := p.StartActivityProcessors(context.Background())
	defer stop()
	check := directConn(t)
	// The first run comes one period (1 s) after the start, then every second.
	time.Sleep(500 * time.Millisecond)
	if n := countRows(t, check, table, "what = 'tick'"); n != 0 {
		t.Fatalf("%d ticks before the first period ended", n)
	}
	eventually(t, 5*time.Second, "two scheduled ticks", func() bool {
		return countRows(t, check, table, "what = 'tick'") >= 2
	})
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
