package repl_test

// The REPL against a real PostgreSQL database (created for this test
// package in TestMain).

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// adminExec runs statements on the test database over a connection of its
// own, outside any REPL.
func adminExec(t *testing.T, stmts ...string) {
	t.Helper()
	execOn(t, dbURL, stmts...)
}

func countRows(t *testing.T, table string) int {
	t.Helper()
	n, err := strconv.Atoi(valueOn(t, dbURL, "select count(*)::text from "+pgx.Identifier{table}.Sanitize()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDBQueryRuns(t *testing.T) {
	in := `(defquery cart-summary (&key (user-id :int)) "One cart." (sql/one "select $1::int as id, 'cart' as kind" user-id))
(cart-summary :user-id 1)
(sql/rows "select $1::int as n" 5)
(sql/value "select current_setting('default_transaction_read_only')")
`
	out, errOut, code := runPipe(t, in, "--db", dbURL)
	want := "{:id 1 :kind \"cart\"}\n({:n 5})\n\"off\"\n"
	if out != want || errOut != "" || code != 0 {
		t.Errorf("stdout %q (want %q)\nstderr %q status %d", out, want, errOut, code)
	}
}

func TestDBURLFromEnvironment(t *testing.T) {
	out, errOut, code := pipeEnv(t, t.TempDir(), []string{"SX_REPL_DATABASE_URL=" + dbURL}, "(sql/value \"select 6 * 7\")\n")()
	if out != "42\n" || code != 0 {
		t.Errorf("stdout %q stderr %q status %d", out, errOut, code)
	}
}

func TestDBReadOnlyRefusesWrites(t *testing.T) {
	t.Cleanup(func() { adminExec(t, "drop table if exists ro_items") })
	adminExec(t,
		"drop table if exists ro_items",
		"create table ro_items (id int primary key, name text)",
		"insert into ro_items values (1, 'kept')",
	)
	in := `(sql/value "select count(*) from ro_items")
(sql/exec "insert into ro_items values (2, 'added')")
(defaction add-item (&key (id :int)) "Adds an item." (sql/exec "insert into ro_items values ($1, 'by action')" id))
(add-item :id 3)
:sql delete from ro_items
:sql update ro_items set name = 'changed'
(sql/value "select name from ro_items where id = 1")
`
	out, errOut, code := runPipe(t, in, "--db", dbURL, "--read-only")
	if out != "1\n\"kept\"\n" {
		t.Errorf("stdout %q", out)
	}
	if code != 1 {
		t.Errorf("status %d, want 1", code)
	}
	for _, want := range []string{
		"<stdin>:2:1: sql/exec: cannot execute INSERT in a read-only transaction (SQLSTATE 25006)",
		"<stdin>:4:1: action repl/add-item: refused: the session is read-only (--read-only), actions do not run",
		":sql: cannot execute DELETE in a read-only transaction",
		":sql: cannot execute UPDATE in a read-only transaction",
		"this session is read-only (--read-only)",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := countRows(t, "ro_items"); n != 1 {
		t.Errorf("ro_items has %d rows after refused writes, want 1", n)
	}
	// The same writes without --read-only go through: the refusal came
	// from the flag.
	_, errOut, code = runPipe(t, `(sql/exec "insert into ro_items values (2, 'added')")`+"\n", "--db", dbURL)
	if code != 0 || countRows(t, "ro_items") != 2 {
		t.Errorf("read-write insert: %q %d", errOut, code)
	}
}

func TestDBStatementTimeout(t *testing.T) {
	start := time.Now()
	out, errOut, code := runPipe(t, "(sql/value \"select pg_sleep(5)\")\n(sql/value \"select 1\")\n", "--db", dbURL, "--statement-timeout", "200ms")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v: the timeout did not cancel the statement", d)
	}
	if !strings.Contains(errOut, "canceling statement due to statement timeout") || code != 1 {
		t.Errorf("stderr %q status %d", errOut, code)
	}
	if out != "1\n" {
		t.Errorf("the session should go on after the timeout: stdout %q", out)
	}
}

func TestDBSQLCommandPrintsTable(t *testing.T) {
	t.Cleanup(func() { adminExec(t, "drop table if exists tbl_people") })
	adminExec(t,
		"drop table if exists tbl_people",
		"create table tbl_people (id int, name text, score numeric)",
		"insert into tbl_people values (1, 'Ada', 12.5), (22, 'Grace Hopper', null)",
	)
	in := ":sql select id, name, score from tbl_people order by id\n:sql select id from tbl_people where false\n:sql insert into tbl_people values (3, 'x', 1)\n"
	out, errOut, code := runPipe(t, in, "--db", dbURL)
	want := ` id |     name     | score
----+--------------+-------
  1 | Ada          |  12.5
 22 | Grace Hopper |
`
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "; 2 rows") {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(out, " id\n----\n; 0 rows") {
		t.Errorf("empty result:\n%s", out)
	}
	if !strings.Contains(out, "; INSERT 0 1") {
		t.Errorf("insert:\n%s", out)
	}
	if errOut != "" || code != 0 {
		t.Errorf("stderr %q status %d", errOut, code)
	}
	_, errOut, code = runPipe(t, ":sql select 1\n")
	if code != 1 || !strings.Contains(errOut, "no database") {
		t.Errorf("without a database: %q %d", errOut, code)
	}
}

func TestDBCtrlCCancelsQuery(t *testing.T) {
	s := startSession(t, t.TempDir(), nil, "--db", dbURL)
	s.prompt()
	start := time.Now()
	s.line(`(do (println "querying") (sql/value "select pg_sleep(30)"))`)
	s.expect("querying")
	s.send("\x03")
	out := s.expect("\n" + s.promptText)
	if !strings.Contains(out, "cancel") {
		t.Errorf("after Ctrl-C: %q", out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Ctrl-C took %v to stop the query", d)
	}
	if out := s.eval(`(sql/value "select 2")`); !strings.Contains(out, "\n2\n") {
		t.Errorf("after the cancelled query: %q", out)
	}
}

func TestDBBadURL(t *testing.T) {
	_, errOut, code := runPipe(t, "1\n", "--db", "postgres://nobody:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if code != 1 || !strings.Contains(errOut, "sx repl: database") || strings.Contains(errOut, "secret") {
		t.Errorf("stderr %q status %d", errOut, code)
	}
}
