package services_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// acctnewUser inserts a user with a unique e-mail and returns its id and e-mail.
func acctUser(t *testing.T, name string) (int, string) {
	t.Helper()
	email := uniq(t) + "@example.com"
	id := scalar[int](t, "insert into users (email, name) values ($1, $2) returning id", email, name)
	return id, email
}

// acctnewNewsletter inserts a newsletter with a unique slug and returns its id.
func acctNewsletter(t *testing.T, name string, sortOrder int) int {
	t.Helper()
	return scalar[int](t, "insert into ghost_newsletters (name, slug, sort_order) values ($1, $2, $3) returning id",
		name, uniq(t), sortOrder)
}

func acctStr(v any) string { return fmt.Sprint(v) }

func TestAccountUserByEmail(t *testing.T) {
	base := platform(t, "account")["account"]
	id, email := acctUser(t, "Alice")

	c := query(t, base, "user-by-email", "email="+strings.ToUpper(email))
	wantStatus(t, c, 200)
	u := wantObj(t, c)
	if acctStr(u["id"]) != acctStr(id) || u["email"] != email || u["name"] != "Alice" {
		t.Fatalf("user-by-email: %s", c.Body)
	}
	for _, k := range []string{"slug", "is_admin", "created_at"} {
		if _, ok := u[k]; !ok {
			t.Errorf("user-by-email: no %q in %s", k, c.Body)
		}
	}

	wantNull(t, query(t, base, "user-by-email", "email=nobody-"+uniq(t)+"@example.com"))
	wantBadParam(t, query(t, base, "user-by-email", ""), "email")
}

func TestAccountUserByID(t *testing.T) {
	base := platform(t, "account")["account"]
	id, email := acctUser(t, "Bob")

	c := query(t, base, "user-by-id", fmt.Sprintf("id=%d", id))
	wantStatus(t, c, 200)
	u := wantObj(t, c)
	if acctStr(u["id"]) != acctStr(id) || u["email"] != email || u["name"] != "Bob" {
		t.Fatalf("user-by-id: %s", c.Body)
	}

	wantNull(t, query(t, base, "user-by-id", "id=2000000000"))
	wantBadParam(t, query(t, base, "user-by-id", ""), "id")
	wantBadParam(t, query(t, base, "user-by-id", "id=abc"), "id")
}

func TestAccountUsersByIDs(t *testing.T) {
	base := platform(t, "account")["account"]
	a, _ := acctUser(t, "A")
	b, _ := acctUser(t, "B")

	// Order follows the ids given; unknown ids are left out.
	c := query(t, base, "users-by-ids", fmt.Sprintf("ids=%d,2000000000,%d", b, a))
	wantStatus(t, c, 200)
	rows := wantArr(t, c)
	if len(rows) != 2 {
		t.Fatalf("users-by-ids: %s", c.Body)
	}
	if acctStr(rows[0].(map[string]any)["id"]) != acctStr(b) || acctStr(rows[1].(map[string]any)["id"]) != acctStr(a) {
		t.Fatalf("users-by-ids order: %s", c.Body)
	}

	// A JSON array works too.
	c = query(t, base, "users-by-ids", fmt.Sprintf("ids=[%d]", a))
	wantStatus(t, c, 200)
	if rows := wantArr(t, c); len(rows) != 1 || acctStr(rows[0].(map[string]any)["name"]) != "A" {
		t.Fatalf("users-by-ids JSON: %s", c.Body)
	}

	c = query(t, base, "users-by-ids", "ids=2000000000")
	wantStatus(t, c, 200)
	if rows := wantArr(t, c); len(rows) != 0 {
		t.Fatalf("users-by-ids unknown: %s", c.Body)
	}

	wantBadParam(t, query(t, base, "users-by-ids", ""), "ids")
	wantBadParam(t, query(t, base, "users-by-ids", "ids=1,x"), "ids")
}

func TestAccountNewsletters(t *testing.T) {
	base := platform(t, "account")["account"]
	late := acctNewsletter(t, "Late", 1000001)
	early := acctNewsletter(t, "Early", 1000000)

	c := query(t, base, "newsletters", "")
	wantStatus(t, c, 200)
	pos := map[string]int{}
	for i, r := range wantArr(t, c) {
		m := r.(map[string]any)
		pos[acctStr(m["id"])] = i
		for _, k := range []string{"name", "slug", "status", "visibility", "subscribe_on_signup", "sort_order"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("newsletters: no %q in %v", k, m)
			}
		}
	}
	pe, okE := pos[acctStr(early)]
	pl, okL := pos[acctStr(late)]
	if !okE || !okL || pe > pl {
		t.Fatalf("newsletters: want Early before Late: %s", c.Body)
	}
}

func TestAccountUserSubscriptions(t *testing.T) {
	base := platform(t, "account")["account"]
	uid, _ := acctUser(t, "Sub")
	n1 := acctNewsletter(t, "Weekly", 1)
	n2 := acctNewsletter(t, "Daily", 0)

	// A known user with no rows: an empty list.
	c := query(t, base, "user-subscriptions", fmt.Sprintf("user-id=%d", uid))
	wantStatus(t, c, 200)
	if rows := wantArr(t, c); len(rows) != 0 {
		t.Fatalf("user-subscriptions empty: %s", c.Body)
	}

	exec(t, "insert into user_newsletters (user_id, newsletter_id, subscribed) values ($1, $2, true), ($1, $3, false)", uid, n1, n2)
	c = query(t, base, "user-subscriptions", fmt.Sprintf("user-id=%d", uid))
	wantStatus(t, c, 200)
	rows := wantArr(t, c)
	if len(rows) != 2 {
		t.Fatalf("user-subscriptions: %s", c.Body)
	}
	first, second := rows[0].(map[string]any), rows[1].(map[string]any)
	if acctStr(first["newsletter_id"]) != acctStr(n2) || first["name"] != "Daily" || first["subscribed"] != false {
		t.Fatalf("user-subscriptions first: %s", c.Body)
	}
	if acctStr(second["newsletter_id"]) != acctStr(n1) || second["name"] != "Weekly" || second["subscribed"] != true {
		t.Fatalf("user-subscriptions second: %s", c.Body)
	}

	wantNull(t, query(t, base, "user-subscriptions", "user-id=2000000000"))
	wantBadParam(t, query(t, base, "user-subscriptions", ""), "user-id")
	wantBadParam(t, query(t, base, "user-subscriptions", "user-id=x"), "user-id")
}

func acctSubscribed(t *testing.T, uid, nid int) bool {
	t.Helper()
	return scalar[bool](t, "select subscribed from user_newsletters where user_id = $1 and newsletter_id = $2", uid, nid)
}

// acctActivities counts the member.updated activities emitted for a user.
func acctActivities(t *testing.T, uid int) int {
	t.Helper()
	return scalar[int](t, `select count(*) from ap_activities
		where origin_app = 'account' and activity_type = 'member.updated' and visibility = 'internal'
		  and (payload->>'user-id')::int = $1`, uid)
}

func TestAccountToggleSubscription(t *testing.T) {
	base := platform(t, "account")["account"]
	uid, _ := acctUser(t, "Toggler")
	nid := acctNewsletter(t, "Toggle News", 0)
	body := map[string]any{"user-id": uid, "newsletter-id": nid}

	// No row counts as unsubscribed: the first toggle subscribes.
	c := action(t, base, "toggle-subscription", body)
	wantStatus(t, c, 200)
	if wantObj(t, c)["subscribed"] != true || !acctSubscribed(t, uid, nid) {
		t.Fatalf("first toggle: %s", c.Body)
	}
	c = action(t, base, "toggle-subscription", body)
	wantStatus(t, c, 200)
	if wantObj(t, c)["subscribed"] != false || acctSubscribed(t, uid, nid) {
		t.Fatalf("second toggle: %s", c.Body)
	}

	// From a subscribed start, a toggle pair returns to the start.
	exec(t, "update user_newsletters set subscribed = true where user_id = $1 and newsletter_id = $2", uid, nid)
	for i, want := range []bool{false, true} {
		c = action(t, base, "toggle-subscription", body)
		wantStatus(t, c, 200)
		if wantObj(t, c)["subscribed"] != want {
			t.Fatalf("toggle pair %d: %s", i, c.Body)
		}
	}
	if !acctSubscribed(t, uid, nid) {
		t.Fatal("toggle pair did not return to subscribed")
	}
	if n := scalar[int](t, "select count(*) from user_newsletters where user_id = $1", uid); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
	// Every toggle emitted member.updated (for Ghost), pending for the bus.
	if n := acctActivities(t, uid); n != 4 {
		t.Fatalf("%d member.updated activities after 4 toggles", n)
	}
	if n := scalar[int](t, `select count(*) from ap_activities where activity_type = 'member.updated'
		and (payload->>'user-id')::int = $1 and process_state = 'pending' and payload = jsonb_build_object('user-id', $1::int)`, uid); n != 4 {
		t.Fatalf("%d pending member.updated activities with payload {user-id}, want 4", n)
	}

	wantNull(t, action(t, base, "toggle-subscription", map[string]any{"user-id": 2000000000, "newsletter-id": nid}))
	wantNull(t, action(t, base, "toggle-subscription", map[string]any{"user-id": uid, "newsletter-id": 2000000000}))
	if n := acctActivities(t, uid); n != 4 {
		t.Fatalf("a toggle of an unknown newsletter emitted: %d activities", n)
	}
	if n := acctActivities(t, 2000000000); n != 0 {
		t.Fatalf("a toggle for an unknown user emitted %d activities", n)
	}
	wantBadParam(t, action(t, base, "toggle-subscription", map[string]any{"user-id": uid}), "newsletter-id")
	wantBadParam(t, action(t, base, "toggle-subscription", map[string]any{"user-id": "x", "newsletter-id": nid}), "user-id")
}

func TestAccountSetSubscription(t *testing.T) {
	base := platform(t, "account")["account"]
	uid, _ := acctUser(t, "Setter")
	nid := acctNewsletter(t, "Set News", 0)
	set := func(v any) call {
		return action(t, base, "set-subscription", map[string]any{"user-id": uid, "newsletter-id": nid, "subscribed": v})
	}

	c := set(true)
	wantStatus(t, c, 200)
	if wantObj(t, c)["subscribed"] != true || !acctSubscribed(t, uid, nid) {
		t.Fatalf("set true: %s", c.Body)
	}
	stamp := scalar[time.Time](t, "select updated_at from user_newsletters where user_id = $1 and newsletter_id = $2", uid, nid)

	// Idempotent: repeating it changes nothing, not even updated_at.
	c = set(true)
	wantStatus(t, c, 200)
	if wantObj(t, c)["subscribed"] != true || !acctSubscribed(t, uid, nid) {
		t.Fatalf("set true again: %s", c.Body)
	}
	if again := scalar[time.Time](t, "select updated_at from user_newsletters where user_id = $1 and newsletter_id = $2", uid, nid); !again.Equal(stamp) {
		t.Fatalf("repeat changed updated_at: %v -> %v", stamp, again)
	}

	// Form-style booleans coerce; false twice stays false.
	for i := 0; i < 2; i++ {
		c = set("false")
		wantStatus(t, c, 200)
		if wantObj(t, c)["subscribed"] != false || acctSubscribed(t, uid, nid) {
			t.Fatalf("set false %d: %s", i, c.Body)
		}
	}
	if n := scalar[int](t, "select count(*) from user_newsletters where user_id = $1", uid); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
	// member.updated only when the subscription changed: true, then false.
	if n := acctActivities(t, uid); n != 2 {
		t.Fatalf("%d member.updated activities, want 2 (one per change)", n)
	}
	// Setting false with no row changes nothing either.
	nid2 := acctNewsletter(t, "Never", 1)
	c = action(t, base, "set-subscription", map[string]any{"user-id": uid, "newsletter-id": nid2, "subscribed": false})
	wantStatus(t, c, 200)
	if m := wantObj(t, c); m["subscribed"] != false || len(m) != 1 {
		t.Fatalf("set false from nothing: %s", c.Body)
	}
	if n := acctActivities(t, uid); n != 2 {
		t.Fatalf("%d member.updated activities after a no-op, want 2", n)
	}

	wantNull(t, action(t, base, "set-subscription", map[string]any{"user-id": 2000000000, "newsletter-id": nid, "subscribed": true}))
	wantNull(t, action(t, base, "set-subscription", map[string]any{"user-id": uid, "newsletter-id": 2000000000, "subscribed": true}))
	if n := acctActivities(t, uid); n != 2 {
		t.Fatalf("a set of an unknown newsletter emitted: %d activities", n)
	}
	wantBadParam(t, action(t, base, "set-subscription", map[string]any{"user-id": uid, "newsletter-id": nid}), "subscribed")
	wantBadParam(t, set("maybe"), "subscribed")
}

func TestAccountSchema(t *testing.T) {
	base := platform(t, "account")["account"]
	defs := checkSchema(t, base, "account",
		[]string{"user-by-email", "user-by-id", "users-by-ids", "newsletters", "user-subscriptions"},
		[]string{"toggle-subscription", "set-subscription"})
	queries := map[string]string{}
	for n, d := range defs {
		queries[n] = acctStr(d["doc"])
	}
	s := wantObj(t, request(t, "GET", base+"/internal/schema", nil))

	// The activity handler is listed too.
	acts, _ := s["activities"].([]any)
	if len(acts) != 1 || acts[0].(map[string]any)["name"] != "member.updated" ||
		!strings.Contains(acctStr(acts[0].(map[string]any)["doc"]), "push-member") {
		t.Errorf("schema activities: %v", s["activities"])
	}
	if !strings.Contains(queries["user-by-email"], "case-insensitive") {
		t.Errorf("user-by-email doc: %q", queries["user-by-email"])
	}

	// Parameter types and required-ness as declared.
	for _, e := range s["actions"].([]any) {
		m := e.(map[string]any)
		if m["name"] != "set-subscription" {
			continue
		}
		params := map[string]map[string]any{}
		for _, p := range m["params"].([]any) {
			pm := p.(map[string]any)
			params[acctStr(pm["name"])] = pm
		}
		for name, typ := range map[string]string{"user-id": "int", "newsletter-id": "int", "subscribed": "bool"} {
			p, ok := params[name]
			if !ok || !strings.Contains(acctStr(p["type"]), typ) || p["required"] != true {
				t.Errorf("set-subscription param %s: %v", name, p)
			}
		}
	}
}
