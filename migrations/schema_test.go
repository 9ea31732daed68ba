// schema_test.go: the platform schema (0002_platform) on a throwaway
// database: every table exists, state checks and unique indexes hold, no
// foreign key crosses a domain, and it rolls back and re-applies cleanly.

package migrations

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// oidcTables are the identity domain's tables of 0011_oidc and 0017.
var oidcTables = []string{"oauth_sessions", "oauth_tokens", "oidc_keys", "rate_limits",
	"oauth_consents"} // 0017_frontchannel_consent

// socialTables are the federation domain's tables of 0016_local_follows.
var socialTables = []string{"ap_local_follows"}

// platformTables is every table 0002_platform creates, by domain
// (platform.md §1).
var platformTables = map[string][]string{
	"identity": {"users", "magic_links", "kv", "oauth_grants", "oauth_codes", "oauth_device_codes",
		"ghost_newsletters", "user_newsletters", "ghost_labels", "user_labels", "ghost_tiers", "ghost_subscriptions"},
	"blog": {"posts", "authors", "tags", "posts_authors", "posts_tags", "post_users", "tag_groups",
		"tag_group_tags", "snippets", "menu_nodes", "page_configs"},
	"relations": {"container_relations"},
	"likes":     {"likes"},
	"market":    {"market_places", "nav_tops", "nav_subs", "products", "listings"},
	"cart":      {"cart_items"},
	"orders":    {"orders", "order_items"},
	"events":    {"calendars", "calendar_slots", "calendar_entries", "ticket_types", "tickets", "calendar_entry_posts"},
	"federation": {"ap_actor_profiles", "ap_activities", "ap_followers", "ap_following", "ap_remote_actors",
		"ap_remote_posts", "ap_local_posts", "ap_interactions", "ap_notifications", "ap_anchors", "ipfs_pins",
		"ap_inbox_seen", "ap_deliveries", "ap_blocks", "ap_reports"}, // 0015_activitypub
}

// Rows the constraint cases build on, inserted in one transaction with the
// case and rolled back.
var (
	calendarEntry = []string{
		`insert into calendars (id, container_type, container_id, name, slug) values (1, 'page', 1, 'Cal', 'cal')`,
		`insert into calendar_entries (id, calendar_id, name, start_at) values (1, 1, 'Gig', now())`,
	}
	actor = []string{
		`insert into ap_actor_profiles (id, user_id, preferred_username, public_key_pem, private_key_pem) values (1, 1, 'alice', 'pub', 'priv')`,
	}
	// delivery is one pending delivery of actor's activity (0015; 0020 leases it).
	delivery = append(append([]string{}, actor...),
		`insert into ap_activities (id, activity_type, origin_app) values (1, 'Create', 'federation')`,
		`insert into ap_deliveries (activity_id, inbox, host, app_domain, actor_profile_id) values (1, 'https://x/inbox', 'x', 'blog', 1)`)
)

// sqlCase runs setup then stmt in one transaction, rolled back. With code
// "" stmt must succeed; else it must fail with that SQLSTATE on constraint
// (when not "").
type sqlCase struct {
	name       string
	setup      []string
	stmt       string
	code       string
	constraint string
}

func (c sqlCase) run(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, s := range c.setup {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatalf("%s: setup %q: %v", c.name, s, err)
		}
	}
	_, err = tx.Exec(ctx, c.stmt)
	if c.code == "" {
		if err != nil {
			t.Errorf("%s: %q: %v", c.name, c.stmt, err)
		}
		return
	}
	var pe *pgconn.PgError
	switch {
	case !errors.As(err, &pe):
		t.Errorf("%s: %q: want SQLSTATE %s, got %v", c.name, c.stmt, c.code, err)
	case pe.Code != c.code || (c.constraint != "" && pe.ConstraintName != c.constraint):
		t.Errorf("%s: %q: got %s on %q (%s), want %s on %q", c.name, c.stmt, pe.Code, pe.ConstraintName, pe.Message, c.code, c.constraint)
	}
}

func platformTableNames() []string {
	var all []string
	for _, ts := range platformTables {
		all = append(all, ts...)
	}
	sort.Strings(all)
	return all
}

func publicTables(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `select tablename from pg_tables where schemaname = 'public' order by 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestPlatformSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, newDB(t))
	all, err := Load(FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Up(ctx, pool, FS); err != nil {
		t.Fatal(err)
	}

	t.Run("tables", func(t *testing.T) {
		want := platformTableNames()
		if len(want) != 54 { // 50 to 0011, 4 of 0015_activitypub
			t.Fatalf("the list has %d tables, want 54", len(want))
		}
		for _, name := range want {
			if !tableExists(t, pool, name) {
				t.Errorf("table %s missing", name)
			}
		}
		// Nothing unlisted: the public schema is exactly the list plus
		// the runtime's own tables.
		expected := map[string]bool{"schema_migrations": true, "sx_meta": true, "job_runs": true,
			"oauth_clients": true,                              // tables of later migrations (0009, 0010)
			"audit_log":     true, "post_slug_redirects": true, // 0013_admin
			"media": true} // 0019_media
		for _, name := range oidcTables {
			expected[name] = true
		}
		for _, name := range socialTables {
			expected[name] = true
		}
		for _, name := range want {
			expected[name] = true
		}
		for _, name := range publicTables(t, pool) {
			if !expected[name] {
				t.Errorf("unexpected table %s (add it to platformTables)", name)
			}
		}
	})

	t.Run("no foreign key crosses a domain", func(t *testing.T) {
		domainOf := map[string]string{}
		for d, ts := range platformTables {
			for _, name := range ts {
				domainOf[name] = d
			}
		}
		for _, name := range oidcTables {
			domainOf[name] = "identity"
		}
		for _, name := range socialTables {
			domainOf[name] = "federation"
		}
		domainOf["post_slug_redirects"] = "blog" // 0013_admin
		domainOf["oauth_clients"] = "identity"   // 0010; 0017_frontchannel_consent refers to it
		rows, err := pool.Query(ctx, `select conname, conrelid::regclass::text, confrelid::regclass::text
			from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace`)
		if err != nil {
			t.Fatal(err)
		}
		var name, from, to string
		n := 0
		if _, err := pgx.ForEachRow(rows, []any{&name, &from, &to}, func() error {
			n++
			if domainOf[from] == "" || domainOf[from] != domainOf[to] {
				t.Errorf("%s: %s (%s) -> %s (%s) crosses domains", name, from, domainOf[from], to, domainOf[to])
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Error("no foreign keys at all; within-domain keys are expected")
		}
	})

	t.Run("state checks", func(t *testing.T) {
		for _, c := range []sqlCase{
			{name: "order paid", stmt: `insert into orders (user_id, status, paid_at) values (1, 'paid', now())`},
			{name: "order bogus", stmt: `insert into orders (user_id, status) values (1, 'bogus')`, code: "23514", constraint: "orders_status_check"},
			{name: "order paid without paid_at", stmt: `insert into orders (user_id, status) values (1, 'paid')`, code: "23514"},
			{name: "order without owner", stmt: `insert into orders (email) values ('a@example.com')`, code: "23514"},
			{name: "ticket reserved", setup: calendarEntry, stmt: `insert into tickets (entry_id, code, user_id) values (1, 'T1', 1)`},
			{name: "ticket bogus", setup: calendarEntry, stmt: `insert into tickets (entry_id, code, user_id, state) values (1, 'T1', 1, 'bogus')`, code: "23514", constraint: "tickets_state_check"},
			{name: "ticket of no entry", stmt: `insert into tickets (entry_id, code, user_id) values (99, 'T1', 1)`, code: "23503", constraint: "tickets_entry_id_fkey"},
			{name: "entry bogus", setup: calendarEntry[:1], stmt: `insert into calendar_entries (calendar_id, name, start_at, state) values (1, 'x', now(), 'bogus')`, code: "23514", constraint: "calendar_entries_state_check"},
			{name: "activity pending", stmt: `insert into ap_activities (activity_type, origin_app) values ('order.paid', 'cart')`},
			{name: "activity bogus state", stmt: `insert into ap_activities (activity_type, origin_app, process_state) values ('order.paid', 'cart', 'bogus')`, code: "23514", constraint: "ap_activities_process_state_check"},
			{name: "activity bogus origin", stmt: `insert into ap_activities (activity_type, origin_app) values ('order.paid', 'orders')`, code: "23514", constraint: "ap_activities_origin_app_check"},
			{name: "activity bogus visibility", stmt: `insert into ap_activities (activity_type, origin_app, visibility) values ('x', 'cart', 'secret')`, code: "23514", constraint: "ap_activities_visibility_check"},
			{name: "post bogus", stmt: `insert into posts (slug, status) values ('a', 'bogus')`, code: "23514", constraint: "posts_status_check"},
			{name: "device code bogus", stmt: `insert into oauth_device_codes (device_code, user_code, client_id, status, expires_at) values ('d', 'U', 'artdag', 'bogus', now())`, code: "23514", constraint: "oauth_device_codes_status_check"},
			{name: "following bogus", setup: append(append([]string{}, actor...), `insert into ap_remote_actors (id, actor_uri, inbox, domain) values (1, 'https://x/u/b', 'https://x/inbox', 'x')`), stmt: `insert into ap_following (actor_profile_id, remote_actor_id, state) values (1, 1, 'bogus')`, code: "23514", constraint: "ap_following_state_check"},
			{name: "delivery claimed", setup: delivery, stmt: `update ap_deliveries set claimed_by = 'w1', lease_until = now() + interval '2 minutes'`},
			{name: "delivery claimed without a lease", setup: delivery, stmt: `update ap_deliveries set claimed_by = 'w1'`, code: "23514", constraint: "ap_deliveries_lease_check"},
			{name: "delivery lease without a worker", setup: delivery, stmt: `update ap_deliveries set lease_until = now()`, code: "23514", constraint: "ap_deliveries_lease_check"},
			{name: "cart quantity 0", stmt: `insert into cart_items (session_id, product_id, quantity, product_title, product_slug, unit_price) values ('s', 1, 0, 'P', 'p', 1.00)`, code: "23514", constraint: "cart_items_quantity_check"},
		} {
			c.run(t, pool)
		}
	})

	t.Run("unique indexes", func(t *testing.T) {
		post := `insert into posts (slug, title) values ('hello', 'Hello')`
		cartLine := `insert into cart_items (user_id, product_id, product_title, product_slug, unit_price) values (1, 7, 'P', 'p', 1.00)`
		for _, c := range []sqlCase{
			{name: "users email", setup: []string{`insert into users (email) values ('ann@example.com')`},
				stmt: `insert into users (email) values ('Ann@Example.com')`, code: "23505", constraint: "users_email_key"},
			{name: "posts slug", setup: []string{post}, stmt: post, code: "23505", constraint: "posts_slug_key"},
			{name: "posts slug freed by soft delete", setup: []string{post, `update posts set deleted_at = now()`}, stmt: post},
			{name: "market slug", setup: []string{`insert into market_places (slug, name) values ('suma', 'Suma')`},
				stmt: `insert into market_places (slug, name) values ('suma', 'Other')`, code: "23505", constraint: "market_places_slug_key"},
			{name: "like twice", setup: []string{`insert into likes (user_id, target_type, target_id) values (1, 'product', 7)`},
				stmt: `insert into likes (user_id, target_type, target_id) values (1, 'product', 7)`, code: "23505", constraint: "likes_user_target_id_key"},
			{name: "follower twice per app", setup: append(append([]string{}, actor...),
				`insert into ap_followers (actor_profile_id, follower_actor_uri, follower_inbox) values (1, 'https://x/u/b', 'https://x/inbox')`),
				stmt: `insert into ap_followers (actor_profile_id, follower_actor_uri, follower_inbox) values (1, 'https://x/u/b', 'https://x/inbox')`,
				code: "23505", constraint: "ap_followers_actor_profile_id_app_domain_follower_actor_uri_key"},
			{name: "follower on another app", setup: append(append([]string{}, actor...),
				`insert into ap_followers (actor_profile_id, follower_actor_uri, follower_inbox) values (1, 'https://x/u/b', 'https://x/inbox')`),
				stmt: `insert into ap_followers (actor_profile_id, app_domain, follower_actor_uri, follower_inbox) values (1, 'blog', 'https://x/u/b', 'https://x/inbox')`},
			{name: "ticket code", setup: append(append([]string{}, calendarEntry...), `insert into tickets (entry_id, code, session_id) values (1, 'T1', 's')`),
				stmt: `insert into tickets (entry_id, code, session_id) values (1, 'T1', 's')`, code: "23505", constraint: "tickets_code_key"},
			{name: "one live cart line per product", setup: []string{cartLine},
				stmt: cartLine, code: "23505", constraint: "cart_items_user_product_key"},
			{name: "a claimed cart line is out of the cart", setup: []string{cartLine, `update cart_items set order_id = 9`},
				stmt: cartLine},
			{name: "page config per container", setup: []string{`insert into page_configs (container_type, container_id) values ('page', 1)`},
				stmt: `insert into page_configs (container_type, container_id) values ('page', 1)`, code: "23505"},
		} {
			c.run(t, pool)
		}
	})

	t.Run("down and up again", func(t *testing.T) {
		// Rolling back to 0001 (the later index changes, then the
		// platform) removes exactly the platform tables.
		undone, err := Down(ctx, pool, FS, len(all)-1)
		if err != nil || len(undone) != len(all)-1 || undone[len(undone)-1].Name != "platform" {
			t.Fatalf("down to 0001: %v %v", versions(undone), err)
		}
		if got := publicTables(t, pool); len(got) != 2 || got[0] != "schema_migrations" || got[1] != "sx_meta" {
			t.Errorf("after rolling back to 0001: %v", got)
		}
		if _, err := Down(ctx, pool, FS, len(all)); err != nil {
			t.Fatal(err)
		}
		if got := publicTables(t, pool); len(got) != 1 || got[0] != "schema_migrations" {
			t.Errorf("after down all: %v", got)
		}
		// Nor any other relation (sequence, index, view) left behind.
		var left int
		if err := pool.QueryRow(ctx, `select count(*) from pg_class
			where relnamespace = 'public'::regnamespace and relname not like 'schema_migrations%'`).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d relations left (%v)", left, err)
		}
		applied, err := Up(ctx, pool, FS)
		if err != nil || len(applied) != len(all) {
			t.Fatalf("up again: %v %v", versions(applied), err)
		}
		for _, name := range platformTableNames() {
			if !tableExists(t, pool, name) {
				t.Errorf("table %s missing after up again", name)
			}
		}
	})
}
