package host

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// Abort is the payload of (abort status message) and (redirect url): an
// evaluation stops and the host answers with this status.
type Abort struct {
	Status   int
	Message  string
	Location string
}

// HTTPStatus is the abort's status: what try-call reports as :status.
func (a *Abort) HTTPStatus() int { return a.Status }

// abortOf returns the Abort carried by an evaluation error, if any. A
// conflict the database reported and the code did not handle (see
// conflictAbort) counts as an abort with 409.
func abortOf(err error) *Abort {
	var e *runtime.Error
	if errors.As(err, &e) {
		if a, ok := e.Value.(*Abort); ok {
			return a
		}
	}
	return conflictAbort(err)
}

// conflictAbort turns a database conflict between concurrent requests into
// a 409 with a message that names no table, column or constraint: a unique
// or exclusion violation the action did not check for (two requests
// inserting the same key at once), a serialization failure, a deadlock.
// The request may be retried. Other errors give nil.
func conflictAbort(err error) *Abort {
	switch sqlState(err) {
	case "23505", "23P01":
		return &Abort{Status: 409, Message: "conflict: a concurrent request saved the same thing first; reload and try again"}
	case "40001", "40P01":
		return &Abort{Status: 409, Message: "conflict with a concurrent request; try again"}
	}
	return nil
}

// sqlState returns the SQLSTATE of the database error behind err: raised
// by an sql/* primitive, or returned by pgx (a commit, a savepoint).
func sqlState(err error) string {
	if c := sqlprims.SQLStateOf(err); c != "" {
		return c
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

// databaseDown reports whether err means the database is unavailable, not
// that the statement was wrong: it could not be reached or connected to
// (refused, reset, closed), or it answered with a class that says so —
// 08 connection exceptions, 57P01 (terminated by an administrator: a
// restart or a failover), 57P02 (crash), 57P03 (starting up or shutting
// down), 53300 (too many connections). Such requests answer 503.
func databaseDown(err error) bool {
	switch code := sqlState(err); {
	case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03", code == "53300":
		return true
	case code != "":
		return false
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ne) || errors.As(err, &ce) {
		return true
	}
	msg := err.Error()
	for _, m := range []string{"failed to connect", "connection refused", "connection reset", "conn closed",
		"unexpected EOF", "broken pipe", "SQLSTATE 57P0", "SQLSTATE 08"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// outageEvery is how often, at most, the log reports requests failing for
// want of the database: an outage under load would otherwise write one
// error line per request.
const outageEvery = 5 * time.Second

// outageLog rate-limits the log lines of database outages.
type outageLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// logFailure logs a failed request's error: every one, except requests
// failing because the database is unavailable (503), which reportOutage
// rate-limits.
func (p *Platform) logFailure(status int, attrs []any) {
	if status != 503 {
		p.log.Error("evaluation failed", attrs...)
		return
	}
	p.reportOutage("database unavailable: requests answer 503", attrs...)
}

// reportOutage logs msg at most once per outageEvery (for every source of
// outage reports together), with how many reports were left out since the
// last line.
func (p *Platform) reportOutage(msg string, attrs ...any) {
	o := &p.outage
	o.mu.Lock()
	if time.Since(o.last) < outageEvery {
		o.suppressed++
		o.mu.Unlock()
		return
	}
	n := o.suppressed
	o.last, o.suppressed = time.Now(), 0
	o.mu.Unlock()
	p.log.Error(msg, append(attrs, "not_logged_since_last", n)...)
}

// paramErrorOf returns a bad-parameter error raised inside evaluation (an
// in-process call with bad arguments).
func paramErrorOf(err error) *paramError {
	var pe *paramError
	if errors.As(err, &pe) {
		return pe
	}
	// A callee's bad parameter, carried through the caller's evaluation.
	var e *runtime.Error
	if errors.As(err, &e) {
		if pe, ok := e.Value.(*paramError); ok {
			return pe
		}
	}
	return nil
}

// newErrorID returns a short random id that links a 500 response to its log
// line.
func newErrorID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
