package sqlprims

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/runtime"
)

// Router is bound to threads that run outside a transaction when a read
// replica is configured (DATABASE_READ_URL): queries (sql/rows, sql/one,
// sql/value) go to the replica, statements (sql/exec) and transactions to
// the primary. A thread that wrote, or that MarkPrimary marked (its request
// wrote), reads from the primary from then on, so a request reads its own
// writes. A replica further behind than MaxLag, or one that does not
// answer, sends reads to the primary until it catches up.
//
// The lag is measured without trusting the replica's clock or its idea of
// the primary: every tick the primary's WAL position is sampled with the
// time, and the replica's replay position is then compared with the
// samples. The replica has replayed everything the primary had written at
// the last sample its position reaches, so its lag is at most the age of
// that sample (plus a tick). An idle primary writes no WAL, and a replica
// that replayed all of it is not behind however old its last transaction.
type Router struct {
	Primary *pgxpool.Pool
	Replica *pgxpool.Pool
	// MaxLag is the staleness allowed on the replica.
	MaxLag time.Duration

	log     *slog.Logger
	tick    time.Duration
	healthy atomic.Bool
	lag     atomic.Int64 // nanoseconds; -1 when unknown
	stop    context.CancelFunc
	done    chan struct{}

	mu      sync.Mutex
	samples []lsnSample // the primary's WAL position over the last MaxLag, oldest first
}

type lsnSample struct {
	at  time.Time
	lsn uint64
}

// DefaultMaxReplicaLag is SX_MAX_REPLICA_LAG's default.
const DefaultMaxReplicaLag = 5 * time.Second

// ParseMaxLag reads SX_MAX_REPLICA_LAG: a Go duration (500ms, 5s) or a
// number of seconds; empty means DefaultMaxReplicaLag.
func ParseMaxLag(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultMaxReplicaLag, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("SX_MAX_REPLICA_LAG: %q is not a positive duration (5s, 500ms, or seconds)", s)
}

// NewRouter measures the replica's lag once and then every tick (a quarter
// of maxLag, between 50 ms and 1 s) until Close. The pools stay the
// caller's to close.
func NewRouter(primary, replica *pgxpool.Pool, maxLag time.Duration, log *slog.Logger) *Router {
	if log == nil {
		log = slog.Default()
	}
	r := &Router{Primary: primary, Replica: replica, MaxLag: maxLag, log: log, done: make(chan struct{})}
	r.tick = min(max(maxLag/4, 50*time.Millisecond), time.Second)
	r.lag.Store(-1)
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	r.measure(ctx)
	go r.watch(ctx)
	return r
}

// Close stops the lag measurements.
func (r *Router) Close() {
	r.stop()
	<-r.done
}

// Lag is the last measured lag of the replica, or -1 when it did not
// answer.
func (r *Router) Lag() time.Duration { return time.Duration(r.lag.Load()) }

// ReplicaUsable reports whether reads may go to the replica now.
func (r *Router) ReplicaUsable() bool { return r.healthy.Load() }

func (r *Router) watch(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.measure(ctx)
		}
	}
}

// measure samples the primary's WAL position, then reads the replica's
// replay position and decides whether the replica may serve reads.
func (r *Router) measure(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(r.tick, 500*time.Millisecond))
	defer cancel()
	now := time.Now()
	var primaryLSN string
	if err := r.Primary.QueryRow(ctx, "select pg_current_wal_lsn()::text").Scan(&primaryLSN); err != nil {
		// Without the primary there is nothing to compare with; reads
		// keep their last verdict (they fail over nowhere anyway).
		return
	}
	p, err := parseLSN(primaryLSN)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.samples = append(r.samples, lsnSample{now, p})
	// Keep what can still decide: samples younger than MaxLag plus the
	// newest older one.
	cut := 0
	for cut+1 < len(r.samples) && now.Sub(r.samples[cut+1].at) > r.MaxLag+r.tick {
		cut++
	}
	r.samples = r.samples[cut:]
	samples := append([]lsnSample(nil), r.samples...)
	r.mu.Unlock()

	var replayLSN *string
	err = r.Replica.QueryRow(ctx,
		"select (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text").Scan(&replayLSN)
	if err != nil || replayLSN == nil {
		r.setVerdict(-1, fmt.Sprint("replica did not answer: ", err))
		return
	}
	rl, err := parseLSN(*replayLSN)
	if err != nil {
		r.setVerdict(-1, err.Error())
		return
	}
	// The newest sample the replica has reached: it is no staler than that.
	lag := time.Duration(-1)
	for i := len(samples) - 1; i >= 0; i-- {
		if samples[i].lsn <= rl {
			lag = time.Since(samples[i].at)
			break
		}
	}
	if lag < 0 {
		// Behind every sample kept: more than MaxLag behind.
		lag = time.Since(samples[0].at) + r.tick
		if lag <= r.MaxLag {
			lag = r.MaxLag + time.Nanosecond
		}
	}
	r.setVerdict(lag, "")
}

func (r *Router) setVerdict(lag time.Duration, why string) {
	ok := lag >= 0 && lag <= r.MaxLag
	r.lag.Store(int64(lag))
	if was := r.healthy.Swap(ok); was != ok {
		if ok {
			r.log.Info("read replica in use", "lag", lag.String())
		} else if lag < 0 {
			r.log.Warn("read replica unusable: reads go to the primary", "reason", why)
		} else {
			r.log.Warn("read replica behind SX_MAX_REPLICA_LAG: reads go to the primary", "lag", lag.String(), "max", r.MaxLag.String())
		}
	}
}

// parseLSN reads PostgreSQL's text form of a WAL position, "16/B374D848".
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("not an LSN: %q", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("not an LSN: %q", s)
	}
	return h<<32 | l, nil
}

// Query and Exec make a Router a Conn for code that holds it without a
// thread: queries go where a fresh thread's would, statements to the
// primary.
func (r *Router) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if r.healthy.Load() {
		return r.Replica.Query(ctx, sql, args...)
	}
	return r.Primary.Query(ctx, sql, args...)
}

// Exec runs a statement on the primary.
func (r *Router) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return r.Primary.Exec(ctx, sql, args...)
}

// Begin starts a transaction on the primary (sql/transaction).
func (r *Router) Begin(ctx context.Context) (pgx.Tx, error) { return r.Primary.Begin(ctx) }

const primaryKey = "sqlprims.primary"

// MarkPrimary makes th read from the primary from now on (until its
// thread-local values are cleared at the end of the request).
func MarkPrimary(th *runtime.Thread) {
	if th.Local == nil {
		th.Local = map[string]any{}
	}
	th.Local[primaryKey] = true
}

// ReadsPrimary reports whether th was marked by MarkPrimary or wrote
// through a Router.
func ReadsPrimary(th *runtime.Thread) bool {
	b, _ := th.Local[primaryKey].(bool)
	return b
}

// route picks the pool for one statement of th.
func (r *Router) route(th *runtime.Thread, write bool) Conn {
	if write {
		MarkPrimary(th)
		return r.Primary
	}
	if ReadsPrimary(th) || !r.healthy.Load() {
		return r.Primary
	}
	return r.Replica
}

// retryOnPrimary reports whether a read that failed on the replica should
// run again on the primary: the replica refused a write (a query that
// writes, `insert … returning`, through sql/one), or it does not answer.
// Reads change nothing, so running one twice is safe.
func retryOnPrimary(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "25006" || strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P03" || pg.Code == "53300"
	}
	var ne net.Error
	return errors.As(err, &ne) || pgconn.SafeToRetry(err)
}
