package host_test

import (
	"fmt"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// ledgerService writes two rows per action, then fails when asked to.
const ledgerService = `
(defservice ledger)

(defaction two-rows (&key (tag :str) (fail :bool false) abort-with)
  "Inserts two rows, then fails, aborts or succeeds."
  (sql/exec "insert into %[1]s (tag, n) values ($1, 1)" tag)
  (sql/exec "insert into %[1]s (tag, n) values ($1, 2)" tag)
  (when fail (error "boom"))
  (when abort-with (abort abort-with "conflict"))
  {:inserted (sql/value "select count(*) from %[1]s where tag = $1" tag)})

(defaction dup-key (&key (tag :str))
  "The second insert violates the primary key."
  (sql/exec "insert into %[1]s (tag, n) values ($1, 10)" tag)
  (sql/exec "insert into %[1]s (tag, n) values ($1, 10)" tag))
`

func TestActionTransactions(t *testing.T) {
	t.Parallel()
	table := uniqueName("ledger")
	execSQL(t, "create table "+table+" (tag text not null, n int not null, primary key (tag, n))")
	logger, log := newLogger()
	s, _, _ := startService(t, fmt.Sprintf(ledgerService, table), host.Options{DB: openPool(t, dbURL), Logger: logger})
	check := directConn(t)
	act := s.URL + "/internal/actions/"

	obj := wantJSONError(t, postJSON(t, act+"two-rows", `{"tag":"failed","fail":true}`), 500, "an action that fails after two inserts")
	loggedError(t, log, fmt.Sprint(obj["error_id"]))
	if n := countRows(t, check, table, "tag = 'failed'"); n != 0 {
		t.Errorf("a failed action left %d rows, want 0", n)
	}

	wantJSONError(t, postJSON(t, act+"two-rows", `{"tag":"aborted","abort-with":409}`), 409, "an action that aborts after two inserts", "conflict")
	if n := countRows(t, check, table, "tag = 'aborted'"); n != 0 {
		t.Errorf("an aborted action left %d rows, want 0", n)
	}

	// A unique violation the code did not check for is a conflict: 409.
	wantStatus(t, postJSON(t, act+"dup-key", `{"tag":"dup"}`), 409, "an action whose second statement fails")
	if n := countRows(t, check, table, "tag = 'dup'"); n != 0 {
		t.Errorf("an action failing in SQL left %d rows, want 0", n)
	}

	// Success commits both rows, and the action saw its own writes.
	r := postJSON(t, act+"two-rows", `{"tag":"good"}`)
	wantStatus(t, r, 200, "a successful action")
	if r.Body != `{"inserted":2}` {
		t.Errorf("successful action answered %s", r.Body)
	}
	if n := countRows(t, check, table, "tag = 'good'"); n != 2 {
		t.Errorf("a successful action left %d rows, want 2", n)
	}
	// A failure after the success changes nothing more (the connection
	// the failed transaction used is usable again).
	wantStatus(t, postJSON(t, act+"two-rows", `{"tag":"good2","fail":true}`), 500, "a failing action again")
	wantStatus(t, postJSON(t, act+"two-rows", `{"tag":"good3"}`), 200, "a successful action again")
	if n := countRows(t, check, table, ""); n != 4 {
		t.Errorf("%d rows in all, want 4 (good and good3)", n)
	}
}
