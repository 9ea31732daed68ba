package services_test

// Races the hardening review (issue 9, finding 7) answered with 500s or
// wrong writes. Each makes two requests meet deterministically: a test
// transaction holds an exclusive lock on the table both need, both requests
// queue behind it, and the lock is let go once PostgreSQL shows both
// waiting.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// raceActions holds table locked until len(bodies) requests of action wait
// for it, then releases them together and returns their answers.
func raceActions(t *testing.T, base, action, table string, bodies ...map[string]any) []call {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "lock table "+table+" in exclusive mode"); err != nil {
		t.Fatal(err)
	}
	answers := make(chan call, len(bodies))
	for _, body := range bodies {
		b, _ := json.Marshal(body)
		go func() {
			resp, err := http.Post(base+"/internal/actions/"+action, "application/json", bytes.NewReader(b))
			if err != nil {
				answers <- call{Status: -1, Body: err.Error()}
				return
			}
			defer resp.Body.Close()
			rb, _ := io.ReadAll(resp.Body)
			answers <- newCall(resp.StatusCode, rb)
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := db.QueryRow(ctx, `select count(*) from pg_stat_activity
			 where datname = current_database() and wait_event_type = 'Lock' and position($1 in query) > 0`,
			table).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= len(bodies) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests reached the lock on %s", waiting, len(bodies), table)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var out []call
	for range bodies {
		out = append(out, <-answers)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Status < out[j].Status })
	return out
}

// Two orders recording the same checkout at once: the unique index on the
// checkout id decides, and the loser is a 409 with a message that names no
// table or constraint, not a 500.
func TestRaceRecordCheckoutSameCheckout(t *testing.T) {
	urls := platform(t, "cart")
	session := uniq(t)
	var ids []int64
	for range 2 {
		ids = append(ids, scalar[int64](t, "insert into orders (session_id) values ($1) returning id", session))
	}
	checkout := "chk-" + uniq(t)
	got := raceActions(t, urls["cart"], "record-checkout", "orders",
		map[string]any{"order-id": ids[0], "checkout-id": checkout},
		map[string]any{"order-id": ids[1], "checkout-id": checkout})
	if got[0].Status != 200 || got[1].Status != 409 {
		t.Fatalf("two orders recording one checkout: %d %s / %d %s, want a 200 and a 409",
			got[0].Status, got[0].Body, got[1].Status, got[1].Body)
	}
	for _, leak := range []string{"orders_sumup_checkout_key", "SQLSTATE", "duplicate key"} {
		if strings.Contains(got[1].Body, leak) {
			t.Errorf("the 409 leaks %q: %s", leak, got[1].Body)
		}
	}
	if n := scalar[int64](t, "select count(*) from orders where sumup_checkout_id = $1", checkout); n != 1 {
		t.Errorf("%d orders hold the checkout, want 1", n)
	}
}

// A new slug saved by two markets at once: the first keeps it, the second
// is a 409 and the product stays in the first's market.
func TestRaceSaveProductNewSlugTwoMarkets(t *testing.T) {
	m, _ := marketPlatform(t)
	a, _ := marketNew(t, m)
	b, _ := marketNew(t, m)
	slug := uniq(t)
	got := raceActions(t, m, "upsert-product", "products",
		map[string]any{"market-id": a, "slug": slug, "title": "From A"},
		map[string]any{"market-id": b, "slug": slug, "title": "From B"})
	if got[0].Status != 200 || got[1].Status != 409 || !strings.Contains(got[1].Body, "belongs to market") {
		t.Fatalf("two markets saving one new slug: %d %s / %d %s, want a 200 and a 409",
			got[0].Status, got[0].Body, got[1].Status, got[1].Body)
	}
	winner := wantObj(t, got[0])
	owner := scalar[int64](t, "select market_id from products where slug = $1", slug)
	title := scalar[string](t, "select title from products where slug = $1", slug)
	if owner != num(t, winner["market_id"]) || title != winner["title"] {
		t.Errorf("the product moved: market %d %q, but the 200 was %v", owner, title, winner)
	}
}

// Issue 9, finding 5: push-member holds no transaction (and so no pool
// connection or row lock) while Ghost answers; it writes after the calls.
func TestGhostPushMemberHoldsNoTransactionDuringCalls(t *testing.T) {
	g := newFakeGhost(t)
	_, urls, _ := platformEnv(t, ghostVars(g), "blog")
	uid, _ := acctUser(t, "Pat")
	nid := ghostNewsletter(t, "Weekly", "nl-tx-"+uniq(t), 1)
	exec(t, "insert into user_newsletters (user_id, newsletter_id, subscribed) values ($1, $2, true)", uid, nid)

	var mu sync.Mutex
	open := map[string]int{} // request → transactions open in the database while Ghost answered it
	g.setFail(func(r *http.Request) int {
		var n int
		if err := db.QueryRow(context.Background(), `select count(*) from pg_stat_activity
			where datname = current_database() and state like 'idle in transaction%'`).Scan(&n); err != nil {
			n = -1
		}
		mu.Lock()
		open[r.Method+" "+r.URL.Path] += n
		mu.Unlock()
		return 0
	})
	for i := range 2 { // creates the member, then updates it
		c := action(t, urls["blog"], "push-member", map[string]any{"user-id": uid})
		if m := wantObj(t, c); m["pushed"] != true {
			t.Fatalf("push %d: %s", i, c.Body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(open) < 3 {
		t.Fatalf("Ghost saw %v, want a GET, a POST and a PUT", open)
	}
	for req, n := range open {
		if n != 0 {
			t.Errorf("%d transaction(s) open while Ghost answered %s", n, req)
		}
	}
	if got := scalar[string](t, "select coalesce(ghost_id, '') from users where id = $1", uid); got == "" {
		t.Errorf("the user was not paired after the calls")
	}
}
