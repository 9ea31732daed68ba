package sqlprims_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/internal/pgtest"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

var dbURL string

func TestMain(m *testing.M) {
	u, drop, err := pgtest.Create("sx_sqlprims")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dbURL = u
	code := m.Run()
	drop()
	os.Exit(code)
}

func open(t *testing.T, opts sqlprims.Options) *pgxpool.Pool {
	t.Helper()
	pool, err := sqlprims.Open(context.Background(), dbURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func thread(t *testing.T, c sqlprims.Conn) *runtime.Thread {
	t.Helper()
	env := stdlib.NewEnv()
	env.DefinePrimitives(sqlprims.Primitives()...)
	th := env.NewThread(context.Background())
	sqlprims.Bind(th, c)
	return th
}

func eval(t *testing.T, th *runtime.Thread, src string) string {
	t.Helper()
	v, err := th.EvalString("sql_test.sx", src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return runtime.Print(v)
}

func TestTypeMapping(t *testing.T) {
	th := thread(t, open(t, sqlprims.Options{}))
	got := eval(t, th, `(sql/one "select 1::int2 as a, 2::int4 as b, 3::int8 as c, 1.5::float8 as d,
		12.50::numeric as e, 100::numeric as f, 'x'::text as g, true as h, null::text as i,
		'2026-03-04 10:00:00+00'::timestamptz as j, '{\"k\": [1, 2.5, \"s\"], \"a\": null}'::jsonb as k,
		array[1,2,3]::int[] as l, '00000000-0000-0000-0000-00000000002a'::uuid as m")`)
	want := `{:a 1 :b 2 :c 3 :d 1.5 :e 12.50m :f 100 :g "x" :h true :i nil :j #datetime "2026-03-04T10:00:00Z" :k {:a nil :k (1 2.5m "s")} :l (1 2 3) :m "00000000-0000-0000-0000-00000000002a"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestParametersRoundTrip(t *testing.T) {
	th := thread(t, open(t, sqlprims.Options{}))
	cases := map[string]string{
		`(sql/value "select $1::int8 + 1" 41)`:                                         "42",
		`(sql/value "select $1::text" "it's <b>")`:                                     `"it's <b>"`,
		`(sql/value "select $1::text is null" nil)`:                                    "true",
		`(sql/value "select array_length($1::int8[], 1)" (list 1 2 3))`:                "3",
		`(sql/value "select $1::text[]" (list "a" "b"))`:                               `("a" "b")`,
		`(sql/value "select ($1::jsonb)->>'name'" {:name "Ann"})`:                      `"Ann"`,
		`(sql/value "select $1::timestamptz" (parse-datetime "2026-03-04T10:00:00Z"))`: `#datetime "2026-03-04T10:00:00Z"`,
		`(sql/value "select $1::text" :kw)`:                                            `"kw"`,
	}
	for src, want := range cases {
		if got := eval(t, th, src); got != want {
			t.Errorf("%s = %s, want %s", src, got, want)
		}
	}
}

func TestRowsOneValueExec(t *testing.T) {
	pool := open(t, sqlprims.Options{})
	th := thread(t, pool)
	eval(t, th, `(sql/exec "create table items (id serial primary key, name text not null)")`)
	if got := eval(t, th, `(sql/exec "insert into items (name) values ($1), ($2)" "a" "b")`); got != "2" {
		t.Errorf("exec returned %s, want 2", got)
	}
	if got := eval(t, th, `(sql/rows "select id, name from items order by id")`); got != `({:id 1 :name "a"} {:id 2 :name "b"})` {
		t.Errorf("rows = %s", got)
	}
	if got := eval(t, th, `(sql/rows "select * from items where false")`); got != "()" {
		t.Errorf("empty rows = %s", got)
	}
	if got := eval(t, th, `(sql/one "select * from items where id = $1" 99)`); got != "nil" {
		t.Errorf("missing one = %s", got)
	}
	if got := eval(t, th, `(sql/value "select name from items where id = $1" 2)`); got != `"b"` {
		t.Errorf("value = %s", got)
	}
}

func TestErrorsAreClear(t *testing.T) {
	th := thread(t, open(t, sqlprims.Options{}))
	_, err := th.EvalString("e.sx", `(sql/rows "select * from no_such_table")`)
	if err == nil || !strings.Contains(err.Error(), `sql/rows: relation "no_such_table" does not exist (SQLSTATE 42P01)`) {
		t.Errorf("error %v", err)
	}
	_, err = th.EvalString("e.sx", `(sql/rows 42)`)
	if err == nil || !strings.Contains(err.Error(), "sql/rows expects a string query, got number") {
		t.Errorf("error %v", err)
	}
	_, err = th.EvalString("e.sx", `(sql/value "select $1::text" (fn () 1))`)
	if err == nil || !strings.Contains(err.Error(), "parameter $1: cannot pass a lambda to SQL") {
		t.Errorf("error %v", err)
	}
	unbound := stdlib.NewEnv()
	unbound.DefinePrimitives(sqlprims.Primitives()...)
	_, err = unbound.NewThread(nil).EvalString("e.sx", `(sql/value "select 1")`)
	if err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("unbound error %v", err)
	}
}

func TestReadOnlyRefusesWritesAtTheServer(t *testing.T) {
	rw := thread(t, open(t, sqlprims.Options{}))
	eval(t, rw, `(sql/exec "create table ro_target (n int)")`)
	ro := thread(t, open(t, sqlprims.Options{ReadOnly: true}))
	_, err := ro.EvalString("ro.sx", `(sql/exec "insert into ro_target values (1)")`)
	if err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Fatalf("write under read-only: %v", err)
	}
	if got := eval(t, rw, `(sql/value "select count(*) from ro_target")`); got != "0" {
		t.Errorf("rows after refused write = %s, want 0", got)
	}
	if got := eval(t, ro, `(sql/value "select count(*) from ro_target")`); got != "0" {
		t.Errorf("read under read-only = %s", got)
	}
}

func TestStatementTimeoutAndCancellation(t *testing.T) {
	th := thread(t, open(t, sqlprims.Options{StatementTimeout: 150 * time.Millisecond}))
	start := time.Now()
	_, err := th.EvalString("slow.sx", `(sql/value "select pg_sleep(5)")`)
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("slow statement: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	th2 := thread(t, open(t, sqlprims.Options{}))
	th2.Ctx = ctx
	start = time.Now()
	_, err = th2.EvalString("slow.sx", `(sql/value "select pg_sleep(5)")`)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("context deadline did not cancel the statement: %v after %v", err, time.Since(start))
	}
}
