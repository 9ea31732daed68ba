package sitetest_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"
)

// Issue 16's HTTP floor for the admin actions the lifecycle tests leave
// out: each edit form refuses a bad field with a 400 naming it and writes
// nothing (the row and its version as they were, no audit row), and each
// delete or withdraw refuses a stale version with a 409 and then succeeds
// at the current one.

// unchanged fails t unless sql (one text value) reads want.
func unchanged(t *testing.T, what, sql, want string, args ...any) {
	t.Helper()
	if got := scalar[string](t, sql, args...); got != want {
		t.Fatalf("%s: %q, want %q (a refused form wrote)", what, got, want)
	}
}

func TestEventsAdminEditsRefuseBadFields(t *testing.T) {
	t.Parallel()
	org := shopStaff(t, "floor-org", false, "organiser")
	page := scalar[int](t, `select id from posts where slug = 'whats-on'`)
	slug := fmt.Sprintf("floor-%d", time.Now().UnixNano())
	cal := shopCreated(t, org.post(t, "events", "/admin/calendars/new", url.Values{"name": {"Floor club"}, "slug": {slug},
		"page-id": {fmt.Sprint(page)}}), "calendar")
	c := fmt.Sprint(cal)
	start := time.Now().UTC().Add(30*24*time.Hour).Format("2006-01-02") + "T19:00"
	entry := shopCreated(t, org.post(t, "events", "/admin/calendars/"+c+"/entries/new", url.Values{"name": {"Floor supper"},
		"start-at": {start}, "state": {"confirmed"}}), "entry")
	e := fmt.Sprint(entry)
	org.post(t, "events", "/admin/entries/"+e+"/ticket-types/new", url.Values{"name": {"Seat"}, "price": {"5"}, "count": {"10"}}).want(t, "ticket type", 303)
	tt := scalar[int](t, `select id from ticket_types where entry_id = $1 and name = 'Seat'`, entry)
	audits := func() int {
		return scalar[int](t, `select count(*) from audit_log where (object_type = 'calendar' and object_id = $1)
			or (object_type = 'entry' and object_id = $2) or (object_type = 'ticket-type' and object_id = $3)`, c, e, fmt.Sprint(tt))
	}
	before := audits()

	// Calendar: a blank name on save.
	cv := shopVersion(t, org.get(t, "events", "/admin/calendars/"+c+"/"))
	org.post(t, "events", "/admin/calendars/"+c, url.Values{"version": {cv}, "name": {" "}, "slug": {slug}, "page-id": {fmt.Sprint(page)}}).
		want(t, "calendar blank name", 400, "name: must not be empty", `aria-invalid="true"`)
	unchanged(t, "calendar", `select name || '|' || (floor(extract(epoch from updated_at) * 1000000))::bigint::text from calendars where id = $1`,
		"Floor club|"+cv, cal)

	// Event: a start that is not a date.
	ev := shopVersion(t, org.get(t, "events", "/admin/entries/"+e+"/"))
	org.post(t, "events", "/admin/entries/"+e, url.Values{"version": {ev}, "name": {"Renamed"}, "start-at": {"soon"}, "state": {"confirmed"}}).
		want(t, "entry bad start", 400, "start-at: must be a date and time")
	unchanged(t, "entry", `select name from calendar_entries where id = $1`, "Floor supper", entry)

	// Ticket type: a negative price, and a count below the tickets taken is checked by the lifecycle test.
	tv := shopVersion(t, org.get(t, "events", fmt.Sprintf("/admin/ticket-types/%d/", tt)))
	org.post(t, "events", fmt.Sprintf("/admin/ticket-types/%d", tt), url.Values{"version": {tv}, "name": {"Seat"}, "price": {"-1"}, "count": {"10"}}).
		want(t, "ticket type negative price", 400, "price: must be an amount")
	unchanged(t, "ticket type", `select name || '|' || price::text || '|' || count::text from ticket_types where id = $1`, "Seat|5.00|10", tt)

	// Linking a post that does not exist: 400 naming slug, no link.
	org.post(t, "events", "/admin/entries/"+e+"/posts", url.Values{"slug": {"no-such-post-at-all"}}).
		want(t, "link unknown post", 400, "slug: there is no post no-such-post-at-all")
	if n := scalar[int](t, `select count(*) from calendar_entry_posts where entry_id = $1`, entry); n != 0 {
		t.Fatalf("a refused link wrote %d rows", n)
	}
	if n := audits(); n != before {
		t.Fatalf("refused forms wrote %d audit rows", n-before)
	}

	// Withdrawing the ticket type: 409 at a stale version, then done.
	org.post(t, "events", fmt.Sprintf("/admin/ticket-types/%d", tt), url.Values{"version": {tv}, "name": {"Seat"}, "price": {"6"}, "count": {"10"}}).want(t, "save", 303)
	org.post(t, "events", fmt.Sprintf("/admin/ticket-types/%d/delete", tt), url.Values{"version": {tv}}).want(t, "stale withdraw", 409, "changed by someone else")
	if scalar[bool](t, `select deleted_at is not null from ticket_types where id = $1`, tt) {
		t.Fatal("a stale withdraw wrote")
	}
	tv2 := shopVersion(t, org.get(t, "events", fmt.Sprintf("/admin/ticket-types/%d/", tt)))
	org.post(t, "events", fmt.Sprintf("/admin/ticket-types/%d/delete", tt), url.Values{"version": {tv2}}).want(t, "withdraw", 303)
	if !scalar[bool](t, `select deleted_at is not null from ticket_types where id = $1`, tt) || shopAudits(t, "ticket-type", tt, "ticket-type.delete") != 1 {
		t.Fatal("the ticket type was not withdrawn, or not audited")
	}
	anon.get(t, "events", fmt.Sprintf("/whats-on/calendar/%s/entry/%d/", slug, entry)).want(t, "event page", 200).lacks(t, "event page", "Seat")
}

func TestMarketAdminEditsRefuseBadFields(t *testing.T) {
	t.Parallel()
	ada := shopStaff(t, "floor-shop", true)
	slug := fmt.Sprintf("floor-market-%d", time.Now().UnixNano())
	id := shopCreated(t, ada.post(t, "market", "/admin/markets/new", url.Values{"name": {"Floor market"}, "slug": {slug}}), "market")
	m := fmt.Sprint(id)
	// Market: a blank name on save.
	mv := shopVersion(t, ada.get(t, "market", "/admin/markets/"+m+"/"))
	ada.post(t, "market", "/admin/markets/"+m, url.Values{"version": {mv}, "name": {""}, "slug": {slug}}).want(t, "market blank name", 400, "name: must not be empty")
	unchanged(t, "market", `select name from market_places where id = $1`, "Floor market", id)

	// Category: a blank label on save; deleting it at a stale version.
	ada.post(t, "market", "/admin/markets/"+m+"/categories/new", url.Values{"label": {"Dry goods"}}).want(t, "category", 303)
	top := scalar[int](t, `select id from nav_tops where market_id = $1 and slug = 'dry-goods'`, id)
	cpath := fmt.Sprintf("/admin/categories/top/%d", top)
	tv := shopVersion(t, ada.get(t, "market", cpath+"/"))
	ada.post(t, "market", cpath, url.Values{"version": {tv}, "label": {" "}, "slug": {"dry-goods"}}).want(t, "category blank label", 400, "label: must not be empty")
	unchanged(t, "category", `select label from nav_tops where id = $1`, "Dry goods", top)

	// Product: a price with three decimals on save.
	pid := shopCreated(t, ada.post(t, "market", "/admin/markets/"+m+"/products/new", url.Values{"title": {"Lentils"}, "price": {"2.40"}}), "product")
	pv := shopVersion(t, ada.get(t, "market", fmt.Sprintf("/admin/products/%d/", pid)))
	ada.post(t, "market", fmt.Sprintf("/admin/products/%d", pid), url.Values{"version": {pv}, "title": {"Lentils"}, "price": {"2.405"}}).
		want(t, "product bad price", 400, "price: must be an amount")
	unchanged(t, "product", `select title || '|' || price::text from products where id = $1`, "Lentils|2.40", pid)
	if n := scalar[int](t, `select count(*) from audit_log where action like '%.update'
		and ((object_type = 'market' and object_id = $1) or (object_type = 'category-top' and object_id = $2) or (object_type = 'product' and object_id = $3))`,
		m, fmt.Sprint(top), fmt.Sprint(pid)); n != 0 {
		t.Fatalf("refused forms wrote %d audit rows", n)
	}

	// Deleting the category: 409 at a stale version, then done.
	ada.post(t, "market", cpath, url.Values{"version": {tv}, "label": {"Dry food"}, "slug": {"dry-goods"}}).want(t, "category save", 303)
	ada.post(t, "market", cpath+"/delete", url.Values{"version": {tv}}).want(t, "stale category delete", 409, "changed by someone else")
	if scalar[int](t, `select count(*) from nav_tops where id = $1`, top) != 1 {
		t.Fatal("a stale delete wrote")
	}
	tv2 := shopVersion(t, ada.get(t, "market", cpath+"/"))
	ada.post(t, "market", cpath+"/delete", url.Values{"version": {tv2}}).want(t, "category delete", 303)
	if scalar[int](t, `select count(*) from nav_tops where id = $1`, top) != 0 {
		t.Fatal("the category was not deleted")
	}
}

// Restoring a deleted post at a stale version is a 409 that leaves it
// deleted (the lifecycle test restores at the current one).
func TestBlogAdminStaleRestore(t *testing.T) {
	t.Parallel()
	ed := blogEditor(t, "floor-ed")
	id := shopCreated(t, ed.post(t, "blog", "/admin/posts/new", url.Values{"title": {fmt.Sprintf("Floor post %d", time.Now().UnixNano())},
		"format": {"markdown"}, "body": {"Hello"}}), "post")
	p := fmt.Sprintf("/admin/posts/%d", id)
	v := shopVersion(t, ed.get(t, "blog", p+"/"))
	ed.post(t, "blog", p+"/delete", url.Values{"version": {v}}).want(t, "delete", 303)
	ed.post(t, "blog", p+"/restore", url.Values{"version": {v}}).want(t, "stale restore", 409, "changed by someone else")
	if !scalar[bool](t, `select deleted_at is not null from posts where id = $1`, id) {
		t.Fatal("a stale restore wrote")
	}
	ed.post(t, "blog", p+"/restore", url.Values{"version": {shopVersion(t, ed.get(t, "blog", p+"/"))}}).want(t, "restore", 303)
	if scalar[bool](t, `select deleted_at is not null from posts where id = $1`, id) {
		t.Fatal("not restored")
	}
}
