// migrations_test.go: the runner against real PostgreSQL, one throwaway
// database per test.

package migrations

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

func newDB(t *testing.T) string {
	t.Helper()
	url, drop, err := pgtest.Create("sx_migrate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return url
}

func newPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func files(kv ...string) fstest.MapFS {
	fs := fstest.MapFS{}
	for i := 0; i < len(kv); i += 2 {
		fs[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return fs
}

func versions(ms []Migration) []int64 {
	var vs []int64
	for _, m := range ms {
		vs = append(vs, m.Version)
	}
	return vs
}

func appliedVersions(t *testing.T, pool *pgxpool.Pool) []int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), `select version from schema_migrations order by version`)
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func tableExists(t *testing.T, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var ok bool
	if err := pool.QueryRow(context.Background(), `select to_regclass($1) is not null`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// three is a set with a gap, a missing down file and a non-SQL file.
func three() fstest.MapFS {
	return files(
		"0001_log.up.sql", "create table log (n serial primary key, v int);",
		"0001_log.down.sql", "drop table log;",
		"0002_two.up.sql", "insert into log (v) values (2);\ncreate table two (id int);",
		"0002_two.down.sql", "drop table two; delete from log where v = 2;",
		"0010_ten.up.sql", "insert into log (v) values (10);",
		"0010_ten.down.sql", "delete from log where v = 10;",
		"README.md", "not a migration",
	)
}

func TestLoad(t *testing.T) {
	src := three()
	delete(src, "0010_ten.down.sql")
	ms, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := versions(ms); !equal(got, []int64{1, 2, 10}) {
		t.Fatalf("versions %v", got)
	}
	if ms[1].Name != "two" || ms[1].UpFile != "0002_two.up.sql" || ms[1].DownFile != "0002_two.down.sql" {
		t.Errorf("0002: %+v", ms[1])
	}
	if ms[2].DownFile != "" {
		t.Errorf("0010 has no down file, got %q", ms[2].DownFile)
	}
	if len(ms[0].Checksum) != 64 || ms[0].Checksum == ms[1].Checksum {
		t.Errorf("checksums %q %q", ms[0].Checksum, ms[1].Checksum)
	}
	if _, err := Load(FS); err != nil {
		t.Errorf("product set: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  fstest.MapFS
		want []string // substrings of the error
	}{
		{"no direction", files("0001_a.sql", ""), []string{"0001_a.sql", "name"}},
		{"no description", files("0001.up.sql", ""), []string{"0001.up.sql"}},
		{"no version", files("abc_a.up.sql", ""), []string{"abc_a.up.sql"}},
		{"upper case direction", files("0001_a.UP.sql", ""), []string{"0001_a.UP.sql"}},
		{"space", files("0001_a b.up.sql", ""), []string{"0001_a b.up.sql"}},
		{"version zero", files("0000_a.up.sql", ""), []string{"0000_a.up.sql", "positive"}},
		{"duplicate up", files("0001_a.up.sql", "", "1_b.up.sql", ""), []string{"duplicate version 1", "0001_a.up.sql", "1_b.up.sql"}},
		{"down of another name", files("0002_a.up.sql", "", "0002_b.down.sql", ""), []string{"duplicate version 2", "0002_a.up.sql", "0002_b.down.sql"}},
		{"down without up", files("0001_a.up.sql", "", "0003_c.down.sql", ""), []string{"0003_c.down.sql", "without an up file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.src)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestUpAppliesInOrderThenIsANoOp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, newDB(t))
	src := three()

	applied, err := Up(ctx, pool, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := versions(applied); !equal(got, []int64{1, 2, 10}) {
		t.Fatalf("applied %v", got)
	}
	if got := appliedVersions(t, pool); !equal(got, []int64{1, 2, 10}) {
		t.Fatalf("recorded %v", got)
	}
	var name, sum string
	var at time.Time
	if err := pool.QueryRow(ctx, `select name, checksum, applied_at from schema_migrations where version = 2`).Scan(&name, &sum, &at); err != nil {
		t.Fatal(err)
	}
	if name != "two" || sum != applied[1].Checksum || time.Since(at) > time.Minute {
		t.Errorf("row for 2: %q %q %v", name, sum, at)
	}
	// serial order in log is the order the files ran.
	var order string
	if err := pool.QueryRow(ctx, `select string_agg(v::text, ',' order by n) from log`).Scan(&order); err != nil {
		t.Fatal(err)
	}
	if order != "2,10" {
		t.Errorf("log %q", order)
	}

	again, err := Up(ctx, pool, src)
	if err != nil || len(again) != 0 {
		t.Fatalf("second up: %v %v", versions(again), err)
	}
	if err := pool.QueryRow(ctx, `select string_agg(v::text, ',' order by n) from log`).Scan(&order); err != nil || order != "2,10" {
		t.Errorf("log after second up %q %v", order, err)
	}
}

func TestStatusAndChangedFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, newDB(t))
	src := three()

	// Before anything: all pending, and Status creates nothing.
	st, err := Status(ctx, pool, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3 || st[0].Applied || st[2].Applied {
		t.Fatalf("fresh status %+v", st)
	}
	if tableExists(t, pool, "schema_migrations") {
		t.Error("Status created schema_migrations")
	}

	ten := src["0010_ten.up.sql"]
	delete(src, "0010_ten.up.sql")
	delete(src, "0010_ten.down.sql")
	if _, err := Up(ctx, pool, src); err != nil {
		t.Fatal(err)
	}
	src["0010_ten.up.sql"] = ten
	st, err = Status(ctx, pool, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3 || !st[0].Applied || !st[1].Applied || st[2].Applied || st[0].Changed || st[2].Name != "ten" {
		t.Fatalf("status %+v", st)
	}
	if st[0].AppliedAt.IsZero() || !st[2].AppliedAt.IsZero() {
		t.Errorf("applied-at %v / %v", st[0].AppliedAt, st[2].AppliedAt)
	}

	// Edit an applied file: Status flags it, Up refuses and applies nothing.
	src["0002_two.up.sql"] = &fstest.MapFile{Data: []byte("insert into log (v) values (22);\ncreate table two (id int);")}
	st, err = Status(ctx, pool, src)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Changed || !st[1].Changed || st[2].Changed {
		t.Errorf("changed flags %+v", st)
	}
	applied, err := Up(ctx, pool, src)
	if err == nil || !strings.Contains(err.Error(), "0002_two.up.sql") || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("up with a changed file: %v", err)
	}
	if len(applied) != 0 || len(appliedVersions(t, pool)) != 2 {
		t.Errorf("applied %v despite a changed file", versions(applied))
	}

	// An applied version with no file (a newer build migrated) is listed.
	st, err = Status(ctx, pool, files("0010_ten.up.sql", "select 1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3 || !st[0].Missing || st[0].Name != "log" || !st[1].Missing || st[2].Missing || st[2].Applied {
		t.Errorf("missing files %+v", st)
	}
}

func TestDownRollsBackInReverse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, newDB(t))
	src := three()
	if _, err := Up(ctx, pool, src); err != nil {
		t.Fatal(err)
	}

	undone, err := Down(ctx, pool, src, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := versions(undone); !equal(got, []int64{10, 2}) {
		t.Fatalf("rolled back %v", got)
	}
	if got := appliedVersions(t, pool); !equal(got, []int64{1}) {
		t.Fatalf("left %v", got)
	}
	if tableExists(t, pool, "two") || !tableExists(t, pool, "log") {
		t.Error("down 2 did not drop exactly table two")
	}

	if _, err := Down(ctx, pool, src, 0); err == nil {
		t.Error("down 0 accepted")
	}
	// More steps than applied rolls back what there is.
	undone, err = Down(ctx, pool, src, 5)
	if err != nil || !equal(versions(undone), []int64{1}) {
		t.Fatalf("down 5: %v %v", versions(undone), err)
	}
	if tableExists(t, pool, "log") || len(appliedVersions(t, pool)) != 0 {
		t.Error("down 5 left something")
	}
	undone, err = Down(ctx, pool, src, 1)
	if err != nil || len(undone) != 0 {
		t.Errorf("down on nothing: %v %v", versions(undone), err)
	}

	// A missing down file stops Down before it runs anything.
	delete(src, "0002_two.down.sql")
	if _, err := Up(ctx, pool, src); err != nil {
		t.Fatal(err)
	}
	undone, err = Down(ctx, pool, src, 2)
	if err == nil || !strings.Contains(err.Error(), "0002_two.up.sql has no down file") || len(undone) != 0 {
		t.Fatalf("down without a down file: %v %v", versions(undone), err)
	}
	if got := appliedVersions(t, pool); !equal(got, []int64{1, 2, 10}) {
		t.Errorf("left %v", got)
	}
}

func TestFailingMigrationRollsBackOnlyItself(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, sql string
		line, col int
		message   string
	}{
		{"syntax", "create table b (id int);\n\ninsert into b values (1);\n  selec 1;\n", 4, 3, `syntax error at or near "selec"`},
		{"runtime", "create table b (id int);\ninsert into nosuch values (1);\n", 2, 13, `relation "nosuch" does not exist`},
		// PostgreSQL counts characters, not bytes.
		{"unicode", "-- naïve café ☕\ncreate table b (id int);\n  selec 1;\n", 3, 3, "syntax error"},
		{"no position", "create table b (id int);\nselect 1/0;\n", 0, 0, "division by zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := newPool(t, newDB(t))
			src := files(
				"0001_a.up.sql", "create table a (id int);",
				"0002_bad.up.sql", tc.sql,
				"0003_c.up.sql", "create table c (id int);",
			)
			applied, err := Up(ctx, pool, src)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("want a FileError, got %v", err)
			}
			if fe.File != "0002_bad.up.sql" || fe.Line != tc.line || fe.Col != tc.col {
				t.Errorf("error at %s:%d:%d, want 0002_bad.up.sql:%d:%d", fe.File, fe.Line, fe.Col, tc.line, tc.col)
			}
			if !strings.Contains(err.Error(), tc.message) || !strings.Contains(err.Error(), "0002_bad.up.sql") {
				t.Errorf("error %q", err)
			}
			t.Log(err)
			if !equal(versions(applied), []int64{1}) || !equal(appliedVersions(t, pool), []int64{1}) {
				t.Errorf("applied %v, recorded %v", versions(applied), appliedVersions(t, pool))
			}
			if !tableExists(t, pool, "a") || tableExists(t, pool, "b") || tableExists(t, pool, "c") {
				t.Error("want a only")
			}
			// The lock was released despite the error.
			var got bool
			if err := pool.QueryRow(ctx, `select pg_try_advisory_lock($1)`, lockKey).Scan(&got); err != nil || !got {
				t.Errorf("lock still held: %v %v", got, err)
			}
		})
	}
}

func TestFileThatCommitsIsAnError(t *testing.T) {
	t.Parallel()
	pool := newPool(t, newDB(t))
	_, err := Up(context.Background(), pool, files("0001_a.up.sql", "create table a (id int); commit;"))
	if err == nil || !strings.Contains(err.Error(), "0001_a.up.sql") || !strings.Contains(err.Error(), "ended the transaction") {
		t.Fatalf("got %v", err)
	}
	if len(appliedVersions(t, pool)) != 0 {
		t.Error("recorded a file that committed itself")
	}
}

func TestConcurrentUpAppliesEachOnce(t *testing.T) {
	t.Parallel()
	url := newDB(t)
	src := files(
		"0001_counter.up.sql", "create table counter (n int);",
		// The sleep keeps the lock held while the others arrive.
		"0002_count.up.sql", "select pg_sleep(0.2); insert into counter values (1);",
		"0003_more.up.sql", "create table more (id int);",
	)
	const n = 8
	pools := make([]*pgxpool.Pool, n)
	for i := range pools {
		pools[i] = newPool(t, url)
	}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		applied = map[int64]int{}
		errs    []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ms, err := Up(context.Background(), pools[i], src)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			for _, m := range ms {
				applied[m.Version]++
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for v := int64(1); v <= 3; v++ {
		if applied[v] != 1 {
			t.Errorf("version %d applied %d times", v, applied[v])
		}
	}
	var count int
	if err := pools[0].QueryRow(context.Background(), `select count(*) from counter`).Scan(&count); err != nil || count != 1 {
		t.Errorf("counter has %d rows (%v)", count, err)
	}
}

func TestProductMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, newDB(t))
	all, err := Load(FS)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := Up(ctx, pool, FS)
	if err != nil || len(applied) != len(all) {
		t.Fatalf("up: %d of %d applied: %v", len(applied), len(all), err)
	}
	if _, err := pool.Exec(ctx, `insert into sx_meta (key, value) values ('k', 'v')`); err != nil {
		t.Fatal(err)
	}
	undone, err := Down(ctx, pool, FS, len(all))
	if err != nil || len(undone) != len(all) {
		t.Fatalf("down: %d of %d rolled back: %v", len(undone), len(all), err)
	}
	if tableExists(t, pool, "sx_meta") {
		t.Error("sx_meta survived down")
	}
	// Schema is back to empty apart from the bookkeeping table.
	var left int
	if err := pool.QueryRow(ctx, `select count(*) from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d tables left (%v)", left, err)
	}
	if _, err := Up(ctx, pool, FS); err != nil {
		t.Errorf("up after down: %v", err)
	}
}

func TestCommand(t *testing.T) {
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Command(ctx, args, &out, &errb)
		return code, out.String(), errb.String()
	}

	for _, args := range [][]string{nil, {"sideways"}, {"up", "now"}, {"down", "0"}, {"down", "x"}, {"down", "1", "2"}, {"status", "-v"}} {
		if code, _, errs := run(args...); code != 2 || !strings.Contains(errs, "usage: sxhost migrate") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
	if code, out, _ := run("help"); code != 0 || !strings.Contains(out, "usage:") {
		t.Errorf("help: exit %d, %q", code, out)
	}

	t.Setenv("DATABASE_URL", "")
	if code, _, errs := run("up"); code != 1 || !strings.Contains(errs, "DATABASE_URL is not set") {
		t.Errorf("unset: exit %d, stderr %q", code, errs)
	}

	t.Setenv("DATABASE_URL", newDB(t))
	// Every migration the package embeds, so a new one needs no edit here.
	ups, err := fs.Glob(FS, "*.up.sql")
	if err != nil || len(ups) < 2 {
		t.Fatalf("embedded migrations: %v %v", ups, err)
	}
	sort.Strings(ups)
	var applied, rolledBack []string
	for _, u := range ups {
		applied = append(applied, "applied "+u)
	}
	for i := len(ups) - 2; i >= 0; i-- {
		rolledBack = append(rolledBack, "rolled back "+strings.TrimSuffix(ups[i], ".up.sql")+".down.sql")
	}
	last := "rolled back " + strings.TrimSuffix(ups[len(ups)-1], ".up.sql") + ".down.sql"
	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"status"}, []string{"VERSION", "NAME", "STATE", "1  ", "init", "pending"}},
		{[]string{"up"}, applied},
		{[]string{"up"}, []string{"nothing to apply"}},
		{[]string{"status"}, []string{"init", "applied", "UTC"}},
		{[]string{"down"}, []string{last}},
		{[]string{"down", strconv.Itoa(len(ups) - 1)}, rolledBack},
		{[]string{"down"}, []string{"nothing to roll back"}},
	}
	for _, s := range steps {
		code, out, errs := run(s.args...)
		if code != 0 {
			t.Fatalf("%q: exit %d, stderr %q", s.args, code, errs)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: output %q lacks %q", s.args, out, w)
			}
		}
	}

	// A failure is exit 1 with the reason on stderr.
	var out, errb bytes.Buffer
	if code := command(ctx, []string{"up"}, files("0005_bad.up.sql", "selec 1"), &out, &errb); code != 1 || !strings.Contains(errb.String(), "0005_bad.up.sql:1:1") {
		t.Errorf("bad file: exit %d, stderr %q", code, errb.String())
	}
}

func TestUpWaitsForTheLockAndHonoursItsContext(t *testing.T) {
	t.Parallel()
	url := newDB(t)
	pool := newPool(t, url)
	ctx := context.Background()
	holder, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, `select pg_advisory_lock($1)`, lockKey); err != nil {
		t.Fatal(err)
	}
	src := files("0001_a.up.sql", "create table a (id int);")

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := Up(short, newPool(t, url), src); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("up while locked elsewhere: %v", err)
	}
	if _, err := holder.Exec(ctx, `select pg_advisory_unlock($1)`, lockKey); err != nil {
		t.Fatal(err)
	}
	applied, err := Up(ctx, newPool(t, url), src)
	if err != nil || len(applied) != 1 {
		t.Fatalf("up after unlock: %v %v", versions(applied), err)
	}
}

// TestNoTransactionFile: CREATE INDEX CONCURRENTLY refuses a transaction;
// marked, the file runs outside one, both ways, and is recorded.
func TestNoTransactionFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, newDB(t))
	src := files(
		"0001_t.up.sql", "create table t (id int);",
		"0002_t_idx.up.sql", NoTransaction+"\ncreate index concurrently t_id on t (id);",
		"0002_t_idx.down.sql", NoTransaction+"\ndrop index concurrently t_id;",
	)
	if _, err := Up(ctx, pool, src); err != nil {
		t.Fatalf("up: %v", err)
	}
	if !tableExists(t, pool, "t_id") || !equal(appliedVersions(t, pool), []int64{1, 2}) {
		t.Fatalf("index %v, recorded %v", tableExists(t, pool, "t_id"), appliedVersions(t, pool))
	}
	if _, err := Down(ctx, pool, src, 1); err != nil {
		t.Fatalf("down: %v", err)
	}
	if tableExists(t, pool, "t_id") || !equal(appliedVersions(t, pool), []int64{1}) {
		t.Fatalf("after down: index %v, recorded %v", tableExists(t, pool, "t_id"), appliedVersions(t, pool))
	}

	// Unmarked, the same statement fails in its transaction.
	_, err := Up(ctx, pool, files("0001_t.up.sql", "create table t (id int);",
		"0002_t_idx.up.sql", "create index concurrently t_id on t (id);"))
	if err == nil || !strings.Contains(err.Error(), "0002_t_idx.up.sql") || !strings.Contains(err.Error(), "transaction block") {
		t.Fatalf("unmarked concurrent index: %v", err)
	}
}

// TestCreate: `migrate create NAME` writes the next version's pair, which
// loads, and refuses bad names and existing files.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Command(context.Background(), []string{"create", "--dir", dir, "add_t"}, &out, &errb); code != 0 {
		t.Fatalf("create: exit %d, %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "0001_add_t.up.sql") || !strings.Contains(out.String(), "0001_add_t.down.sql") {
		t.Errorf("output %q", out.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "0041_later.up.sql"), []byte("select 1;"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := Create(dir, "next-one")
	if err != nil || len(files) != 2 || filepath.Base(files[0]) != "0042_next-one.up.sql" {
		t.Fatalf("second create: %v, %v", files, err)
	}
	ms, err := Load(os.DirFS(dir))
	if err != nil || !equal(versions(ms), []int64{1, 41, 42}) || ms[2].DownFile == "" {
		t.Fatalf("load after create: %v, %v", ms, err)
	}
	for _, bad := range []string{"", "has space", "../up", "-x"} {
		if _, err := Create(dir, bad); err == nil {
			t.Errorf("create %q: no error", bad)
		}
	}
}
