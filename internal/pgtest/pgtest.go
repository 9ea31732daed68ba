// Package pgtest gives test packages a PostgreSQL database of their own:
// created on the server named by SX_TEST_DATABASE_URL (default: the local
// server with trust auth) and dropped when the tests finish.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

// AdminURL is the server tests create their databases on.
func AdminURL() string {
	if u := os.Getenv("SX_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisURL is the Redis server tests use: SX_TEST_REDIS_URL, else the local
// server's database 0.
func RedisURL() string {
	if u := os.Getenv("SX_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Create makes a fresh database named after prefix and the process id and
// returns its URL and a function that drops it.
func Create(prefix string) (dbURL string, drop func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := AdminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: connect %s: %w", admin, err)
	}
	defer conn.Close(ctx)
	name := strings.ToLower(fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1e6))
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "create database "+ident); err != nil {
		return "", nil, fmt.Errorf("pgtest: create database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "drop database if exists "+ident+" with (force)")
	}
	return u.String(), drop, nil
}

// FixtureWrote is the test hook of the query-result cache (docs/host.md,
// "Query results"; sqlprims.Writes): a test that writes through its own
// pool does so behind the platform's back, as another instance would, and
// a defquery with :cache would serve its older result for up to its TTL. A
// fixture is meant to be seen at once, so a test helper calls this after
// each statement it runs: any statement but a SELECT counts as a write of
// this process and drops the cached results.
func FixtureWrote(sql string) {
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(sql)), "select") {
		sqlprims.NoteWrite()
	}
}

// Execer is what RegisterSSOClients writes through: a pool, a connection or
// a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// RegisterSSOClients registers each of services, at its origin in urls, as
// the seed does, at a test run's addresses: a first-party public client (PKCE)
// with redirect <origin>/auth/callback, post-logout <origin>/auth/logged-out
// and <origin>/, and, but for federation (the provider), <origin>/auth/sso-clear
// as its front-channel logout URI with iss and sid required. A row already
// there is brought back to that (enabled, the run's ports).
func RegisterSSOClients(ctx context.Context, db Execer, services []string, urls map[string]string) error {
	for _, s := range services {
		origin := urls[s]
		if origin == "" {
			return fmt.Errorf("pgtest: register client %s: no URL", s)
		}
		var fc *string
		if s != "federation" {
			u := origin + "/auth/sso-clear"
			fc = &u
		}
		const sql = `insert into oauth_clients (client_id, name, client_type, redirect_uris, post_logout_redirect_uris, first_party,
		                                    frontchannel_logout_uri, frontchannel_logout_session_required)
		         values ($1::text, $1::text, 'public', $2, $3, true, $4::text, $4::text is not null)
		         on conflict (client_id) do update set client_type = 'public', redirect_uris = excluded.redirect_uris,
		           post_logout_redirect_uris = excluded.post_logout_redirect_uris, first_party = true, disabled_at = null,
		           frontchannel_logout_uri = excluded.frontchannel_logout_uri,
		           frontchannel_logout_session_required = excluded.frontchannel_logout_session_required`
		if _, err := db.Exec(ctx, sql, s, []string{origin + "/auth/callback"},
			[]string{origin + "/auth/logged-out", origin + "/"}, fc); err != nil {
			return fmt.Errorf("pgtest: register client %s: %w", s, err)
		}
		FixtureWrote(sql)
	}
	return nil
}
