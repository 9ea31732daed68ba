package host

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// readyTimeout bounds each database check of /readyz.
const readyTimeout = time.Second

// serveReady answers /readyz: ready when the database answers a ping.
//
// A ping through the pool needs a free connection. When every one is lent
// out (slow transactions, a burst), the ping waits and fails although the
// database is fine; the database is then asked over a connection of the
// check's own, and a busy pool answers 200 with a body that says so: a
// saturated instance is load, not a fault, and taking instances out of
// rotation for load only moves it onto the others. 503 means the database
// itself does not answer.
func (s *Service) serveReady(r *requestCtx) {
	if s.plat.draining.Load() {
		writeError(r.ctx, 503, "shutting down", "")
		return
	}
	db := s.plat.opts.DB
	if db == nil {
		readyAnswer(r, "ready\n")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	err := db.Ping(ctx)
	cancel()
	if err == nil {
		readyAnswer(r, "ready\n")
		return
	}
	if st := db.Stat(); st.AcquiredConns() >= st.MaxConns() {
		if err = pingDirect(db); err == nil {
			readyAnswer(r, fmt.Sprintf("ready: the database answers; its connection pool is busy (%d of %d connections in use)\n",
				db.Stat().AcquiredConns(), st.MaxConns()))
			return
		}
	}
	writeError(r.ctx, 503, "database not reachable", "")
}

func readyAnswer(r *requestCtx, body string) {
	r.ctx.SetContentType("text/plain; charset=utf-8")
	r.ctx.SetBodyString(body)
}

// pingDirect asks the database over a new connection outside the pool.
func pingDirect(db *pgxpool.Pool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*readyTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, db.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}
