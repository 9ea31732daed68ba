package host_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"
)

// hooksService's hooks record, in the cache under their tag, how many rows
// of the tag they see: a hook run before the commit (on another connection
// of the pool) would see none of the transaction's rows.
const hooksService = `
(defservice hooks)

(define (note! tag)
  (after-commit (fn () (cache/set tag (sql/value "select count(*) from %[1]s where tag = $1" tag)))))

(defaction write (&key (tag :str) (fail :bool false))
  "Writes a row, asks for a hook, then fails when asked to."
  (sql/exec "insert into %[1]s (tag) values ($1)" tag)
  (note! tag)
  (when fail (error "boom"))
  {:in-tx (in-transaction?)})

(defaction outer (&key (tag :str))
  "Calls write (a savepoint of this transaction), then writes a second row."
  (action "hooks" "write" :tag tag)
  (sql/exec "insert into %[1]s (tag) values ($1)" tag)
  nil)

(defaction free :transaction false (&key (tag :str))
  "A hook of sql/transaction: run when its thunk has committed."
  (sql/transaction (fn () (sql/exec "insert into %[1]s (tag) values ($1)" tag) (note! tag)))
  (cache/get tag))

(defaction bad-hook (&key)
  "after-commit of something that is not a function."
  (after-commit 42))

(defquery seen (&key (tag :str))
  "What the tag's hook recorded."
  (cache/get tag))

(defquery outside (&key (tag :str))
  "A hook outside any transaction runs at once."
  (note! tag)
  {:seen (cache/get tag) :in-tx (in-transaction?)})

(defjob failing :every 3600 ()
  "Writes, asks for a hook, fails: its savepoint rolls back, its bookkeeping commits."
  (sql/exec "insert into %[1]s (tag) values ('job')")
  (note! "job")
  (error "job failed"))
`

// TestAfterCommit: (after-commit thunk) runs thunk once the outermost
// transaction has committed (it sees every row the transaction wrote,
// including those written after the hook was asked for), never when the
// transaction or the savepoint that asked rolls back, and at once outside a
// transaction.
func TestAfterCommit(t *testing.T) {
	t.Parallel()
	table := uniqueName("hooks")
	execSQL(t, "create table "+table+" (id serial primary key, tag text not null)")
	s, p, _ := startService(t, fmt.Sprintf(hooksService, table),
		host.Options{DB: openPool(t, dbURL), Cache: cacheprims.NewMemory(cacheprims.MemoryOptions{})})
	act, data := s.URL+"/internal/actions/", s.URL+"/internal/data/"
	seen := func(tag string) string {
		t.Helper()
		r := get(t, data+"seen?tag="+tag)
		wantStatus(t, r, 200, "seen "+tag)
		return r.Body
	}

	r := postJSON(t, act+"write", `{"tag":"a"}`)
	wantStatus(t, r, 200, "write")
	if r.Body != `{"in-tx":true}` {
		t.Errorf("write answered %s, want in-transaction? true", r.Body)
	}
	if got := seen("a"); got != "1" {
		t.Errorf("a committed action's hook saw %s rows, want 1 (run after the commit)", got)
	}

	wantStatus(t, postJSON(t, act+"write", `{"tag":"b","fail":true}`), 500, "a failing write")
	if got := seen("b"); got != "null" {
		t.Errorf("a rolled-back action's hook ran: %s", got)
	}

	wantStatus(t, postJSON(t, act+"outer", `{"tag":"c"}`), 200, "outer")
	if got := seen("c"); got != "2" {
		t.Errorf("a called action's hook saw %s rows, want 2 (run once the caller committed, not when its savepoint was released)", got)
	}

	r = postJSON(t, act+"free", `{"tag":"d"}`)
	wantStatus(t, r, 200, "free")
	if r.Body != "1" {
		t.Errorf("sql/transaction's hook: %s, want 1 (run when the thunk committed)", r.Body)
	}

	r = get(t, data+"outside?tag=e")
	wantStatus(t, r, 200, "outside")
	if r.Body != `{"seen":0,"in-tx":false}` {
		t.Errorf("a hook outside a transaction: %s, want it run at once", r.Body)
	}

	wantJSONError(t, postJSON(t, act+"bad-hook", `{}`), 500, "after-commit of a number")

	svc := p.Services()[0]
	if _, err := svc.RunJob(context.Background(), "failing"); err == nil || !strings.Contains(err.Error(), "job failed") {
		t.Fatalf("the failing job: %v", err)
	}
	if got := seen("job"); got != "null" {
		t.Errorf("the hook of a job whose savepoint rolled back ran (its bookkeeping committed): %s", got)
	}
}
