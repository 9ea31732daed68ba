// Package migrations holds the SQL migrations of the one PostgreSQL database
// (embedded as FS) and the runner that applies them: Up, Down, Status, and
// Command for `sxhost migrate up|down [N]|status`.
//
// Migrations are files named NNNN_description.up.sql, each with an optional
// NNNN_description.down.sql; the version is the integer prefix, gaps are
// allowed, and pending files are applied in version order, including one
// numbered below the newest applied (a merged branch). Each file runs in
// its own transaction together with its row in schema_migrations (version,
// name, sha256 of the up file, applied_at), so a failing file leaves nothing
// behind and earlier files of the same run stay applied. Files must not
// contain BEGIN/COMMIT. A file whose first line is "-- sx:no-transaction"
// runs outside a transaction (for CREATE INDEX CONCURRENTLY, which refuses
// one): it must hold a single statement, since PostgreSQL runs several
// statements sent at once in an implicit transaction, and its row is written
// after it succeeds; a failure leaves what the statement left (an INVALID
// index, to drop) and no row. Create writes a new pair of files. A whole run holds a
// session-level advisory lock on one connection, so instances starting at
// once apply each file exactly once. Up refuses to run when an applied up
// file has changed since; migrations never import Go types of the live code.
//
// The runner is written here rather than taken from golang-migrate because
// it is a couple of hundred lines over pgx, which the product already uses,
// and adds no dependency. golang-migrate also locks, but runs a file outside an
// explicit transaction and marks the database "dirty" when one fails (to be
// repaired by hand with `force`) and keeps no checksums, whereas here a failed
// file simply rolls back and an edited one is caught.
package migrations

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// FS is the product's migrations.
//
//go:embed *.sql
var FS embed.FS

// Migration is one version loaded from a source.
type Migration struct {
	Version  int64
	Name     string // the description part of the file name
	UpFile   string
	DownFile string // "" when there is no down file
	UpSQL    string
	DownSQL  string
	Checksum string // hex sha256 of the up file
	// NoTransactionUp, NoTransactionDown: the file's first line is
	// NoTransaction, so it runs outside a transaction.
	NoTransactionUp, NoTransactionDown bool
}

// NoTransaction, as a file's first line, runs the file outside a
// transaction.
const NoTransaction = "-- sx:no-transaction"

// noTransaction reports whether sql starts with the NoTransaction line.
func noTransaction(sql string) bool {
	first, _, _ := strings.Cut(sql, "\n")
	return strings.TrimSpace(first) == NoTransaction
}

// State is one version as the database sees it, as Status lists it. (The
// type cannot share the function's name.)
type State struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time // zero when pending
	// Changed: the up file differs from the one that was applied.
	Changed bool
	// Missing: applied, but the source has no file for it (for example the
	// database was migrated by a newer build).
	Missing bool
}

// Table records applied migrations.
const Table = "schema_migrations"

// lockKey is the advisory lock every run holds: the first 8 bytes of
// sha256("sxhost.migrations"), fixed across builds and unlikely to collide
// with locks the services take.
var lockKey = func() int64 {
	h := sha256.Sum256([]byte("sxhost.migrations"))
	return int64(binary.BigEndian.Uint64(h[:8]))
}()

var (
	fileName      = regexp.MustCompile(`^([0-9]+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.(up|down)\.sql$`)
	migrationName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
)

// Load reads the migrations at the top of source, sorted by version. Files
// not ending in .sql are ignored; a .sql file with a malformed name, a
// duplicate version, or a down file without its up file is an error naming
// the file.
func Load(source fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(source, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	byVersion := map[int64]*Migration{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		m := fileName.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("migrations: %s: name is not NNNN_description.up.sql or NNNN_description.down.sql", name)
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("migrations: %s: version must be a positive 64-bit integer", name)
		}
		body, err := fs.ReadFile(source, name)
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		mg := byVersion[v]
		if mg == nil {
			mg = &Migration{Version: v, Name: m[2]}
			byVersion[v] = mg
		}
		other := mg.UpFile
		if other == "" {
			other = mg.DownFile
		}
		// One version is one description: 0001_a.up.sql and 0001_b.down.sql,
		// or two up files for 1, are the same mistake.
		if m[2] != mg.Name || (m[3] == "up" && mg.UpFile != "") || (m[3] == "down" && mg.DownFile != "") {
			return nil, fmt.Errorf("migrations: %s: duplicate version %d (also %s)", name, v, other)
		}
		if m[3] == "up" {
			sum := sha256.Sum256(body)
			mg.UpFile, mg.UpSQL, mg.Checksum = name, string(body), hex.EncodeToString(sum[:])
			mg.NoTransactionUp = noTransaction(mg.UpSQL)
		} else {
			mg.DownFile, mg.DownSQL = name, string(body)
			mg.NoTransactionDown = noTransaction(mg.DownSQL)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, mg := range byVersion {
		if mg.UpFile == "" {
			return nil, fmt.Errorf("migrations: %s: down file without an up file", mg.DownFile)
		}
		out = append(out, *mg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// FileError is a migration file that failed to run. Line and Col locate
// PostgreSQL's error position in the file when it reports one (else 0).
type FileError struct {
	File      string
	Line, Col int
	Err       error
}

func (e *FileError) Error() string {
	msg := e.Err.Error()
	var pe *pgconn.PgError
	if errors.As(e.Err, &pe) {
		if pe.Detail != "" {
			msg += "; " + pe.Detail
		}
		if pe.Hint != "" {
			msg += "; hint: " + pe.Hint
		}
	}
	if e.Line > 0 {
		return fmt.Sprintf("migrations: %s:%d:%d: %s", e.File, e.Line, e.Col, msg)
	}
	return fmt.Sprintf("migrations: %s: %s", e.File, msg)
}

func (e *FileError) Unwrap() error { return e.Err }

// fileError places err in file, turning PostgreSQL's 1-based character
// position within the statement text into a line and column.
func fileError(file, sql string, err error) error {
	fe := &FileError{File: file, Err: err}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Position > 0 {
		fe.Line, fe.Col = 1, 1
		n := int(pe.Position) - 1
		for _, r := range sql {
			if n == 0 {
				break
			}
			n--
			if r == '\n' {
				fe.Line, fe.Col = fe.Line+1, 1
			} else {
				fe.Col++
			}
		}
	}
	return fe
}

type appliedRow struct {
	name      string
	checksum  string
	appliedAt time.Time
}

// Up applies every pending migration of source in version order and returns
// those it applied. It stops at the first failure, which rolls back whole;
// migrations applied before it in this run stay applied.
func Up(ctx context.Context, pool *pgxpool.Pool, source fs.FS) (applied []Migration, err error) {
	ms, err := Load(source)
	if err != nil {
		return nil, err
	}
	err = withLock(ctx, pool, func(conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, `create table if not exists `+Table+` (
			version    bigint primary key,
			name       text not null,
			checksum   text not null,
			applied_at timestamptz not null default now())`); err != nil {
			return fmt.Errorf("migrations: create %s: %w", Table, err)
		}
		// Read under the lock: an instance that waited finds the work done.
		done, err := readApplied(ctx, conn)
		if err != nil {
			return err
		}
		var changed []string
		for _, m := range ms {
			if r, ok := done[m.Version]; ok && r.checksum != m.Checksum {
				changed = append(changed, m.UpFile)
			}
		}
		if len(changed) > 0 {
			return fmt.Errorf("migrations: %s changed after being applied; restore the applied text and put the change in a new migration", strings.Join(changed, ", "))
		}
		for _, m := range ms {
			if _, ok := done[m.Version]; ok {
				continue
			}
			if err := runFile(ctx, conn, m.UpFile, m.UpSQL, m.NoTransactionUp,
				`insert into `+Table+` (version, name, checksum) values ($1, $2, $3)`,
				m.Version, m.Name, m.Checksum); err != nil {
				return err
			}
			applied = append(applied, m)
		}
		return nil
	})
	return applied, err
}

// Down rolls back the last steps applied migrations, newest first, and
// returns those it rolled back (fewer when fewer are applied). Every one of
// them must have a down file in source, checked before anything runs.
func Down(ctx context.Context, pool *pgxpool.Pool, source fs.FS, steps int) (rolledBack []Migration, err error) {
	if steps < 1 {
		return nil, fmt.Errorf("migrations: down needs at least one step, got %d", steps)
	}
	ms, err := Load(source)
	if err != nil {
		return nil, err
	}
	byVersion := map[int64]Migration{}
	for _, m := range ms {
		byVersion[m.Version] = m
	}
	err = withLock(ctx, pool, func(conn *pgx.Conn) error {
		done, err := readApplied(ctx, conn)
		if err != nil {
			return err
		}
		versions := make([]int64, 0, len(done))
		for v := range done {
			versions = append(versions, v)
		}
		sort.Slice(versions, func(i, j int) bool { return versions[i] > versions[j] })
		if len(versions) > steps {
			versions = versions[:steps]
		}
		var todo []Migration
		for _, v := range versions {
			m, ok := byVersion[v]
			switch {
			case !ok:
				return fmt.Errorf("migrations: version %d (%s) is applied but has no file in the source", v, done[v].name)
			case m.DownFile == "":
				return fmt.Errorf("migrations: %s has no down file", m.UpFile)
			}
			todo = append(todo, m)
		}
		for _, m := range todo {
			if err := runFile(ctx, conn, m.DownFile, m.DownSQL, m.NoTransactionDown,
				`delete from `+Table+` where version = $1`, m.Version); err != nil {
				return err
			}
			rolledBack = append(rolledBack, m)
		}
		return nil
	})
	return rolledBack, err
}

// Status lists every version in source or in the database, in version
// order. It writes nothing and takes no lock.
func Status(ctx context.Context, pool *pgxpool.Pool, source fs.FS) ([]State, error) {
	ms, err := Load(source)
	if err != nil {
		return nil, err
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: connect: %w", err)
	}
	defer c.Release()
	done, err := readApplied(ctx, c.Conn())
	if err != nil {
		return nil, err
	}
	out := make([]State, 0, len(ms)+len(done))
	for _, m := range ms {
		s := State{Version: m.Version, Name: m.Name}
		if r, ok := done[m.Version]; ok {
			s.Applied, s.AppliedAt, s.Changed = true, r.appliedAt, r.checksum != m.Checksum
			delete(done, m.Version)
		}
		out = append(out, s)
	}
	for v, r := range done {
		out = append(out, State{Version: v, Name: r.name, Applied: true, AppliedAt: r.appliedAt, Missing: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// readApplied returns the rows of the migrations table, none when it does
// not exist yet (Status and Down must not create it).
func readApplied(ctx context.Context, conn *pgx.Conn) (map[int64]appliedRow, error) {
	var exists bool
	if err := conn.QueryRow(ctx, `select to_regclass($1) is not null`, Table).Scan(&exists); err != nil {
		return nil, fmt.Errorf("migrations: read %s: %w", Table, err)
	}
	done := map[int64]appliedRow{}
	if !exists {
		return done, nil
	}
	rows, err := conn.Query(ctx, `select version, name, checksum, applied_at from `+Table)
	if err != nil {
		return nil, fmt.Errorf("migrations: read %s: %w", Table, err)
	}
	var v int64
	var r appliedRow
	_, err = pgx.ForEachRow(rows, []any{&v, &r.name, &r.checksum, &r.appliedAt}, func() error {
		done[v] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrations: read %s: %w", Table, err)
	}
	return done, nil
}

// runFile runs one file and its bookkeeping statement in one transaction,
// or, for a no-transaction file, one after the other.
func runFile(ctx context.Context, conn *pgx.Conn, file, sql string, noTx bool, record string, args ...any) error {
	if noTx {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fileError(file, sql, err)
		}
		if _, err := conn.Exec(ctx, record, args...); err != nil {
			return &FileError{File: file, Err: fmt.Errorf("record in %s: %w", Table, err)}
		}
		return nil
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// No arguments: pgx sends the text as one simple query, so a file may
		// hold many statements.
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fileError(file, sql, err)
		}
		// A COMMIT in the file would leave the bookkeeping outside the
		// transaction; say so rather than record a half-truth.
		if tx.Conn().PgConn().TxStatus() != 'T' {
			return &FileError{File: file, Err: errors.New("the file ended the transaction (remove BEGIN/COMMIT/ROLLBACK from it)")}
		}
		if _, err := tx.Exec(ctx, record, args...); err != nil {
			return &FileError{File: file, Err: fmt.Errorf("record in %s: %w", Table, err)}
		}
		return nil
	})
}

// Create writes dir/NNNN_name.up.sql and dir/NNNN_name.down.sql, NNNN one
// above the highest version in dir (four digits at least, like the others),
// and returns their paths. It refuses a name the runner would not load.
func Create(dir, name string) ([]string, error) {
	if !migrationName.MatchString(name) {
		return nil, fmt.Errorf("migration name %q: use letters, digits, _ and - (e.g. add_orders_index)", name)
	}
	ms, err := Load(os.DirFS(dir))
	if err != nil {
		return nil, err
	}
	next := int64(1)
	if len(ms) > 0 {
		next = ms[len(ms)-1].Version + 1
	}
	base := filepath.Join(dir, fmt.Sprintf("%04d_%s", next, name))
	files := []string{base + ".up.sql", base + ".down.sql"}
	bodies := []string{
		fmt.Sprintf("-- %s: what this migration changes, and why.\n-- (First line %q to run outside a transaction.)\n", name, NoTransaction),
		fmt.Sprintf("-- Undoes %s.up.sql.\n", filepath.Base(base)),
	}
	for i, f := range files {
		// O_EXCL: never overwrite a file a colleague just created.
		fh, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		_, err = fh.WriteString(bodies[i])
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
	}
	return files, nil
}

// withLock runs f on one connection holding the session advisory lock, and
// releases the lock afterwards, also on error or cancellation.
func withLock(ctx context.Context, pool *pgxpool.Pool, f func(*pgx.Conn) error) error {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrations: connect: %w", err)
	}
	// A connection whose lock state is unknown is closed, not pooled: closing
	// the session frees any lock it holds.
	release := func(unlock bool) {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if !unlock {
			c.Conn().Close(uctx)
		} else if _, err := c.Exec(uctx, `select pg_advisory_unlock($1)`, lockKey); err != nil {
			c.Conn().Close(uctx)
		}
		c.Release()
	}
	if _, err := c.Exec(ctx, `select pg_advisory_lock($1)`, lockKey); err != nil {
		release(false)
		return fmt.Errorf("migrations: advisory lock: %w", err)
	}
	defer release(true)
	return f(c.Conn())
}
