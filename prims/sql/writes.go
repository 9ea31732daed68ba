package sqlprims

import (
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
)

// writes counts the changes to the database this process has made or
// committed: statements that are not SELECTs, and the commits hosts report
// with NoteWrite. A cache of query results tags each result with the count
// it was read at and serves it only while the count is unchanged, so a
// write made through this process is never hidden by an older result.
var writes atomic.Uint64

// Writes returns the count of writes noted so far (see NoteWrite).
func Writes() uint64 { return writes.Load() }

// NoteWrite records that data may have changed: hosts call it after a
// transaction commits, because its writes become visible to other
// connections only then (the statements' own notes came before).
func NoteWrite() { writes.Add(1) }

// noteTag notes a statement that is not a SELECT (INSERT, UPDATE, DELETE,
// MERGE, DDL …): outside a transaction it is committed when it returns.
func noteTag(tag pgconn.CommandTag) {
	if !tag.Select() {
		writes.Add(1)
	}
}
