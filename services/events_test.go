package services_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// Fixtures: every test makes its own calendars (unique slugs), containers,
// users, orders and posts (unique ids) and sessions (unique ids), so the
// database may hold anything else.

func evURL(t *testing.T) string {
	t.Helper()
	return platform(t, "events")["events"]
}

// evInt is an id unique to this run, for users, orders, posts and containers
// (all plain integers in the events tables).
func evInt() int64 { return 1_700_000_000 + seq.Add(1) }

func evSession(t *testing.T) string { return "sess-" + uniq(t) }

func evCalendar(t *testing.T, containerType string, containerID int64, name string) (int64, string) {
	t.Helper()
	slug := uniq(t)
	id := scalar[int64](t, `insert into calendars (container_type, container_id, name, slug)
		values ($1, $2, $3, $4) returning id`, containerType, containerID, name, slug)
	return id, slug
}

// evSlot inserts a Monday slot; capacity may be nil.
func evSlot(t *testing.T, cal int64, name, start, end string, cost float64, capacity any) int64 {
	t.Helper()
	return scalar[int64](t, `insert into calendar_slots (calendar_id, weekday, start_time, end_time, name, cost, capacity)
		values ($1, 1, $2::time, $3::time, $4, $5, $6) returning id`, cal, start, end, name, cost, capacity)
}

// evEntry inserts an entry owned by nobody (a host's event).
func evEntry(t *testing.T, cal int64, name string, start time.Time, state string) int64 {
	t.Helper()
	return scalar[int64](t, `insert into calendar_entries (calendar_id, name, start_at, state)
		values ($1, $2, $3, $4) returning id`, cal, name, start, state)
}

func evTicketType(t *testing.T, entry int64, name string, price float64, count, sortOrder int) int64 {
	t.Helper()
	return scalar[int64](t, `insert into ticket_types (entry_id, name, price, count, sort_order)
		values ($1, $2, $3, $4, $5) returning id`, entry, name, price, count, sortOrder)
}

// evEvent makes a calendar in a fresh page, an entry in it and a ticket
// type of the entry; it returns the entry, the type and the container id.
func evEvent(t *testing.T, price float64, count int) (entry, ticketType, container int64) {
	t.Helper()
	container = evInt()
	cal, _ := evCalendar(t, "page", container, "Concerts")
	entry = evEntry(t, cal, "Concert", time.Date(2031, 6, 1, 19, 0, 0, 0, time.UTC), "confirmed")
	return entry, evTicketType(t, entry, "Standard", price, count, 0), container
}

func evRow(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("want an object, got %#v", v)
	}
	return m
}

// evIDs reads the ids of rows.
func evIDs(t *testing.T, rows []any) []int64 {
	t.Helper()
	out := []int64{}
	for _, r := range rows {
		out = append(out, num(t, evRow(t, r)["id"]))
	}
	return out
}

func evWantIDs(t *testing.T, what string, rows []any, want ...int64) {
	t.Helper()
	got := evIDs(t, rows)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: ids %v, want %v", what, got, want)
	}
}

func evTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("want an RFC 3339 datetime, got %#v", v)
	}
	return tm
}

func evRFC(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }

// evEntryState and evTicketState read a state straight from the database.
func evEntryState(t *testing.T, id int64) string {
	t.Helper()
	return scalar[string](t, "select state from calendar_entries where id = $1", id)
}

func evTicketState(t *testing.T, id int64) string {
	t.Helper()
	return scalar[string](t, "select state from tickets where id = $1", id)
}

// evBook books an entry through the endpoint and returns its id.
func evBook(t *testing.T, b string, owner map[string]any, cal int64, start time.Time, extra map[string]any) int64 {
	t.Helper()
	body := map[string]any{"calendar-id": cal, "start-at": evRFC(start)}
	for k, v := range owner {
		body[k] = v
	}
	for k, v := range extra {
		body[k] = v
	}
	return num(t, wantObj(t, action(t, b, "book-entry", body))["id"])
}

// evReserve reserves tickets through the endpoint and returns their ids.
func evReserve(t *testing.T, b string, owner map[string]any, ticketType int64, quantity int) []int64 {
	t.Helper()
	body := map[string]any{"ticket-type-id": ticketType, "quantity": quantity}
	for k, v := range owner {
		body[k] = v
	}
	return evIDs(t, wantArr(t, action(t, b, "reserve-tickets", body)))
}

// evOK checks for a 200 with a JSON object (wantObj alone also takes an
// error's {"error": …}).
func evOK(t *testing.T, c call) map[string]any {
	t.Helper()
	wantStatus(t, c, 200)
	return wantObj(t, c)
}

func evWith(owner map[string]any, kv ...any) map[string]any {
	m := map[string]any{}
	for k, v := range owner {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// evNoOwner checks the 400 for a cart call without an owner.
func evNoOwner(t *testing.T, c call) {
	t.Helper()
	wantBadParam(t, c, "user-id")
	if !strings.Contains(c.Body, "session-id") {
		t.Fatalf("400 does not name session-id: %s", c.Body)
	}
}

func TestEventsCalendars(t *testing.T) {
	b := evURL(t)
	cid := evInt()
	zumba, _ := evCalendar(t, "page", cid, "Zumba")
	yoga, yogaSlug := evCalendar(t, "page", cid, "Yoga")
	gone, goneSlug := evCalendar(t, "page", cid, "Gone")
	exec(t, "update calendars set deleted_at = now() where id = $1", gone)
	evCalendar(t, "market", cid, "Another type")
	exec(t, "update calendars set description = 'Stretch' where id = $1", yoga)

	q := "container-type=page&container-id=" + itoa(cid)
	rows := wantArr(t, query(t, b, "calendars-for-container", q))
	evWantIDs(t, "calendars-for-container", rows, yoga, zumba)
	y := evRow(t, rows[0])
	if y["container_type"] != "page" || num(t, y["container_id"]) != cid || y["name"] != "Yoga" ||
		y["slug"] != yogaSlug || y["description"] != "Stretch" {
		t.Fatalf("calendar: %v", y)
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if _, ok := y[k]; !ok {
			t.Errorf("calendar lacks %s", k)
		}
	}
	if rows := wantArr(t, query(t, b, "calendars-for-container", "container-type=page&container-id="+itoa(evInt()))); len(rows) != 0 {
		t.Fatalf("calendars of an empty container: %v", rows)
	}

	c := wantObj(t, query(t, b, "calendar-by-slug", q+"&slug="+yogaSlug))
	if num(t, c["id"]) != yoga || c["name"] != "Yoga" {
		t.Fatalf("calendar-by-slug: %v", c)
	}
	wantNull(t, query(t, b, "calendar-by-slug", q+"&slug="+goneSlug))
	wantNull(t, query(t, b, "calendar-by-slug", q+"&slug=no-such-"+uniq(t)))
	wantNull(t, query(t, b, "calendar-by-slug", "container-type=page&container-id="+itoa(evInt())+"&slug="+yogaSlug))

	wantBadParam(t, query(t, b, "calendars-for-container", "container-type=page"), "container-id")
	wantBadParam(t, query(t, b, "calendars-for-container", "container-type=page&container-id=x"), "container-id")
	wantBadParam(t, query(t, b, "calendars-for-container", "container-id=1"), "container-type")
	wantBadParam(t, query(t, b, "calendar-by-slug", q), "slug")
}

func TestEventsBookEntry(t *testing.T) {
	b := evURL(t)
	cid := evInt()
	cal, _ := evCalendar(t, "page", cid, "Studio")
	other, _ := evCalendar(t, "page", evInt(), "Other studio")
	slot := evSlot(t, cal, "Morning class", "09:00", "10:30", 12.5, 2)
	otherSlot := evSlot(t, other, "Elsewhere", "09:00", "10:00", 1, nil)
	sess := evSession(t)
	owner := map[string]any{"session-id": sess}
	start := time.Date(2031, 3, 3, 9, 0, 0, 0, time.UTC)

	e := wantObj(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal, "slot-id", slot, "start-at", evRFC(start))))
	id := num(t, e["id"])
	if e["state"] != "pending" || e["name"] != "Morning class" || numf(t, e["cost"]) != 12.5 ||
		num(t, e["slot_id"]) != slot || num(t, e["calendar_id"]) != cal ||
		e["container_type"] != "page" || num(t, e["container_id"]) != cid ||
		e["user_id"] != nil || e["order_id"] != nil {
		t.Fatalf("book-entry: %v", e)
	}
	if !evTime(t, e["start_at"]).Equal(start) || !evTime(t, e["end_at"]).Equal(start.Add(90*time.Minute)) {
		t.Fatalf("book-entry times: %v %v", e["start_at"], e["end_at"])
	}
	if _, leaked := e["session_id"]; leaked {
		t.Errorf("entries must not expose the session id: %v", e)
	}
	if s := scalar[string](t, "select session_id from calendar_entries where id = $1 and user_id is null", id); s != sess {
		t.Fatalf("stored session %q", s)
	}

	// Without a slot, in a calendar that has none: the calendar's name, no
	// cost, no end. user-id wins over session-id.
	free, _ := evCalendar(t, "page", cid, "Open studio")
	user := evInt()
	e = wantObj(t, action(t, b, "book-entry", map[string]any{"user-id": user, "session-id": sess, "calendar-id": free,
		"start-at": "2031-03-04T10:00:00+01:00"}))
	if e["name"] != "Open studio" || numf(t, e["cost"]) != 0 || e["slot_id"] != nil || e["end_at"] != nil ||
		num(t, e["user_id"]) != user || !evTime(t, e["start_at"]).Equal(time.Date(2031, 3, 4, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("book-entry without slot: %v", e)
	}
	if n := scalar[int64](t, "select count(*) from calendar_entries where id = $1 and user_id = $2 and session_id is null",
		num(t, e["id"]), user); n != 1 {
		t.Fatalf("a user's entry must carry no session id")
	}
	// Explicit name and end.
	e = wantObj(t, action(t, b, "book-entry", evWith(owner, "calendar-id", free, "start-at", evRFC(start.Add(time.Hour)),
		"end-at", evRFC(start.Add(3*time.Hour)), "name", "Private session")))
	if e["name"] != "Private session" || !evTime(t, e["end_at"]).Equal(start.Add(3*time.Hour)) {
		t.Fatalf("book-entry with name and end: %v", e)
	}

	// The slot holds two at a time; the third booking is refused and adds nothing.
	second := evBook(t, b, map[string]any{"user-id": user}, cal, start, map[string]any{"slot-id": slot})
	countAt := func() int64 {
		return scalar[int64](t, "select count(*) from calendar_entries where slot_id = $1 and start_at = $2", slot, start)
	}
	wantError(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal, "slot-id", slot, "start-at", evRFC(start))),
		409, "fully booked")
	if n := countAt(); n != 2 {
		t.Fatalf("%d entries in the full slot, want 2", n)
	}
	// Another time of the same slot is free; a cancelled booking frees its place.
	evBook(t, b, owner, cal, start.Add(7*24*time.Hour), map[string]any{"slot-id": slot})
	exec(t, "update calendar_entries set state = 'cancelled' where id = $1", second)
	evBook(t, b, owner, cal, start, map[string]any{"slot-id": slot})
	if n := scalar[int64](t, "select count(*) from calendar_entries where slot_id = $1 and start_at = $2 and state <> 'cancelled'",
		slot, start); n != 2 {
		t.Fatalf("%d live entries in the slot, want 2", n)
	}

	// Unknown calendar, a deleted one, a slot of another calendar: null, nothing written.
	before := scalar[int64](t, "select count(*) from calendar_entries where session_id = $1", sess)
	gone, _ := evCalendar(t, "page", cid, "Gone")
	exec(t, "update calendars set deleted_at = now() where id = $1", gone)
	wantNull(t, action(t, b, "book-entry", evWith(owner, "calendar-id", 987654321, "start-at", evRFC(start))))
	wantNull(t, action(t, b, "book-entry", evWith(owner, "calendar-id", gone, "start-at", evRFC(start))))
	wantNull(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal, "slot-id", otherSlot, "start-at", evRFC(start))))
	wantNull(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal, "slot-id", 987654321, "start-at", evRFC(start))))
	if after := scalar[int64](t, "select count(*) from calendar_entries where session_id = $1", sess); after != before {
		t.Fatalf("refused bookings wrote entries: %d -> %d", before, after)
	}

	evNoOwner(t, action(t, b, "book-entry", map[string]any{"calendar-id": cal, "start-at": evRFC(start)}))
	evNoOwner(t, action(t, b, "book-entry", map[string]any{"session-id": "", "calendar-id": cal, "start-at": evRFC(start)}))
	wantBadParam(t, action(t, b, "book-entry", evWith(owner, "start-at", evRFC(start))), "calendar-id")
	wantBadParam(t, action(t, b, "book-entry", evWith(owner, "calendar-id", "x", "start-at", evRFC(start))), "calendar-id")
	wantBadParam(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal)), "start-at")
	wantBadParam(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal, "start-at", "")), "start-at")
	wantBadParam(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal, "start-at", "tomorrow")), "start-at")
	wantBadParam(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal, "start-at", evRFC(start),
		"end-at", evRFC(start.Add(-time.Minute)))), "end-at")
	wantBadParam(t, action(t, b, "book-entry", evWith(owner, "calendar-id", cal, "start-at", evRFC(start), "slot-id", "s")), "slot-id")
}

// Slots are weekly and read in UTC: a booking of a slot starts exactly at
// the slot's weekday and start time, lasts to the slot's end, and counts
// against the slot's capacity on that date. Every booking starts in the
// future.
func TestEventsBookEntrySlotRules(t *testing.T) {
	b := evURL(t)
	cal, _ := evCalendar(t, "page", evInt(), "Gym")
	slot := evSlot(t, cal, "Spin", "09:00", "10:30", 8, 1) // Monday, one place
	sunday := scalar[int64](t, `insert into calendar_slots (calendar_id, weekday, start_time, end_time, name, capacity)
		values ($1, 7, '18:00', '19:00', 'Sunday yoga', 1) returning id`, cal)
	sess := evSession(t)
	so := map[string]any{"session-id": sess}
	written := func() int64 {
		return scalar[int64](t, "select count(*) from calendar_entries where session_id = $1", sess)
	}
	monday := time.Date(2031, 3, 3, 9, 0, 0, 0, time.UTC)
	book := func(slotID int64, start string, kv ...any) call {
		return action(t, b, "book-entry", evWith(evWith(so, "calendar-id", cal, "slot-id", slotID, "start-at", start), kv...))
	}

	// Off the slot's weekday or time: 400 naming start-at and saying when the slot is.
	for _, start := range []string{
		evRFC(monday.Add(24 * time.Hour)),                     // Tuesday 09:00
		evRFC(monday.Add(30 * time.Minute)),                   // Monday 09:30, inside the slot
		evRFC(monday.Add(time.Second)),                        // Monday 09:00:01
		monday.Add(time.Millisecond).Format(time.RFC3339Nano), // a fraction past 09:00
		"2031-03-03T09:00:00+01:00",                           // Monday 08:00 UTC
		"2031-03-02T09:00:00Z",                                // Sunday
	} {
		c := book(slot, start)
		wantBadParam(t, c, "start-at")
		if !strings.Contains(c.Body, "Monday") || !strings.Contains(c.Body, "09:00") || !strings.Contains(c.Body, "UTC") {
			t.Fatalf("start-at %s: the 400 does not say when the slot is: %s", start, c.Body)
		}
	}
	if n := written(); n != 0 {
		t.Fatalf("refused bookings wrote %d entries", n)
	}

	// On the slot: the same instant in any offset; the end is the slot's.
	e := wantObj(t, book(slot, "2031-03-03T10:00:00+01:00"))
	if !evTime(t, e["start_at"]).Equal(monday) || !evTime(t, e["end_at"]).Equal(monday.Add(90*time.Minute)) ||
		num(t, e["slot_id"]) != slot {
		t.Fatalf("booking of the slot: %v", e)
	}
	// The place is taken on that date; a time just off the slot no longer
	// gets round the capacity.
	wantError(t, book(slot, evRFC(monday)), 409, "fully booked")
	wantBadParam(t, book(slot, evRFC(monday.Add(time.Second))), "start-at")
	if n := scalar[int64](t, "select count(*) from calendar_entries where slot_id = $1 and state <> 'cancelled'", slot); n != 1 {
		t.Fatalf("%d entries in a slot of capacity 1", n)
	}

	// end-at with a slot must be the slot's end.
	next := monday.Add(7 * 24 * time.Hour)
	c := book(slot, evRFC(next), "end-at", evRFC(next.Add(2*time.Hour)))
	wantBadParam(t, c, "end-at")
	if !strings.Contains(c.Body, "10:30") {
		t.Fatalf("the 400 does not give the slot's end: %s", c.Body)
	}
	e = wantObj(t, book(slot, evRFC(next), "end-at", evRFC(next.Add(90*time.Minute))))
	if !evTime(t, e["end_at"]).Equal(next.Add(90 * time.Minute)) {
		t.Fatalf("booking with the slot's end: %v", e)
	}

	// ISO weekday 7 is Sunday.
	sun := time.Date(2031, 3, 9, 18, 0, 0, 0, time.UTC)
	wantBadParam(t, book(sunday, evRFC(sun.Add(-6*24*time.Hour))), "start-at") // the Monday before
	if c := book(sunday, evRFC(sun.Add(24*time.Hour))); !strings.Contains(c.Body, "Sunday at 18:00") {
		t.Fatalf("the 400 does not name Sunday 18:00: %s", c.Body)
	}
	evOK(t, book(sunday, evRFC(sun)))

	// The past: refused with and without a slot, writing nothing.
	before := written()
	wantBadParam(t, book(slot, "2020-01-06T09:00:00Z"), "start-at") // a Monday, on the slot
	wantBadParam(t, action(t, b, "book-entry", evWith(so, "calendar-id", cal, "start-at", evRFC(time.Now().Add(-time.Minute)))), "start-at")
	wantBadParam(t, action(t, b, "book-entry", evWith(so, "calendar-id", cal, "start-at", "2001-01-01T00:00:00Z")), "start-at")
	if n := written(); n != before {
		t.Fatalf("bookings in the past wrote entries: %d -> %d", before, n)
	}
	free, _ := evCalendar(t, "page", evInt(), "Open gym") // no slots: free-form bookings
	soon := evOK(t, action(t, b, "book-entry", evWith(so, "calendar-id", free, "start-at", evRFC(time.Now().Add(time.Hour)))))
	if soon["state"] != "pending" {
		t.Fatalf("booking within the hour: %v", soon)
	}

	// A blank name is refused (leave name out for the default).
	for _, name := range []string{"", " ", "\t"} {
		wantBadParam(t, action(t, b, "book-entry", evWith(so, "calendar-id", cal, "start-at", evRFC(next), "name", name)), "name")
	}
	if n := written(); n != before+1 {
		t.Fatalf("refused bookings wrote entries: %d, want %d", n, before+1)
	}
}

// A calendar with live slots is booked by slot: a booking without slot-id
// (which would take a full slot's time at no cost) is refused and writes
// nothing. A calendar whose slots are all deleted, or that never had any,
// takes free-form bookings.
func TestEventsBookEntrySlotRequired(t *testing.T) {
	b := evURL(t)
	cal, _ := evCalendar(t, "page", evInt(), "Pool")
	slot := evSlot(t, cal, "Lane", "09:00", "10:00", 6, 1) // Monday, one place
	so := map[string]any{"session-id": evSession(t)}
	monday := time.Date(2031, 3, 3, 9, 0, 0, 0, time.UTC)
	evBook(t, b, so, cal, monday, map[string]any{"slot-id": slot})
	wantError(t, action(t, b, "book-entry", evWith(so, "calendar-id", cal, "slot-id", slot, "start-at", evRFC(monday))),
		409, "fully booked")
	count := func() int64 {
		return scalar[int64](t, "select count(*) from calendar_entries where calendar_id = $1", cal)
	}

	// The full slot's time, another time, with an end or a name: 400 naming slot-id.
	for _, body := range []map[string]any{
		evWith(so, "calendar-id", cal, "start-at", evRFC(monday)),
		evWith(so, "calendar-id", cal, "start-at", evRFC(monday.Add(3*time.Hour))),
		evWith(so, "calendar-id", cal, "start-at", evRFC(monday), "end-at", evRFC(monday.Add(time.Hour)), "name", "Swim"),
		evWith(map[string]any{"user-id": evInt()}, "calendar-id", cal, "start-at", evRFC(monday)),
	} {
		c := action(t, b, "book-entry", body)
		wantBadParam(t, c, "slot-id")
		if !strings.Contains(c.Body, fmt.Sprintf("calendar %d is booked by slot", cal)) {
			t.Fatalf("the 400 does not say the calendar is booked by slot: %s", c.Body)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d entries in the calendar, want 1", n)
	}
	// Unknown and deleted calendars are still null.
	wantNull(t, action(t, b, "book-entry", evWith(so, "calendar-id", 987654321, "start-at", evRFC(monday))))

	// Its only slot deleted, the calendar is free-form.
	exec(t, "update calendar_slots set deleted_at = now() where id = $1", slot)
	e := evOK(t, action(t, b, "book-entry", evWith(so, "calendar-id", cal, "start-at", evRFC(monday.Add(3*time.Hour)))))
	if e["slot_id"] != nil || numf(t, e["cost"]) != 0 || e["name"] != "Pool" {
		t.Fatalf("free-form booking: %v", e)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d entries in the calendar, want 2", n)
	}
}

func TestEventsEntryQueries(t *testing.T) {
	b := evURL(t)
	cid := evInt()
	cal, _ := evCalendar(t, "page", cid, "Main")
	other, _ := evCalendar(t, "page", evInt(), "Elsewhere")
	t0 := time.Date(2031, 5, 1, 18, 0, 0, 0, time.UTC)
	e1 := evEntry(t, cal, "First", t0, "confirmed")
	e2 := evEntry(t, cal, "Second", t0.Add(24*time.Hour), "pending")
	e3 := evEntry(t, cal, "Third", t0.Add(48*time.Hour), "provisional")
	cancelled := evEntry(t, cal, "Cancelled", t0.Add(30*time.Hour), "cancelled")
	deleted := evEntry(t, cal, "Deleted", t0.Add(36*time.Hour), "pending")
	exec(t, "update calendar_entries set deleted_at = now() where id = $1", deleted)

	// entries-by-ids: the order given, any state, deleted and unknown skipped.
	rows := wantArr(t, query(t, b, "entries-by-ids", fmt.Sprintf("ids=%d,%d,987654321,%d,%d", e3, deleted, e1, cancelled)))
	evWantIDs(t, "entries-by-ids", rows, e3, e1, cancelled)
	r := evRow(t, rows[0])
	if r["name"] != "Third" || r["state"] != "provisional" || num(t, r["calendar_id"]) != cal ||
		r["container_type"] != "page" || num(t, r["container_id"]) != cid || !evTime(t, r["start_at"]).Equal(t0.Add(48*time.Hour)) {
		t.Fatalf("entries-by-ids row: %v", r)
	}
	rows = wantArr(t, query(t, b, "entries-by-ids", "ids="+url.QueryEscape(fmt.Sprintf("[%d]", e2))))
	evWantIDs(t, "entries-by-ids JSON", rows, e2)
	wantBadParam(t, query(t, b, "entries-by-ids", ""), "ids")
	wantBadParam(t, query(t, b, "entries-by-ids", "ids=1,x"), "ids")

	// entries-for-calendar: by start time, cancelled and deleted left out, [from, to).
	cq := "calendar-id=" + itoa(cal)
	at := func(d time.Duration) string { return url.QueryEscape(evRFC(t0.Add(d))) }
	evWantIDs(t, "entries-for-calendar", wantArr(t, query(t, b, "entries-for-calendar", cq)), e1, e2, e3)
	evWantIDs(t, "from", wantArr(t, query(t, b, "entries-for-calendar", cq+"&from="+at(time.Hour))), e2, e3)
	evWantIDs(t, "to", wantArr(t, query(t, b, "entries-for-calendar", cq+"&to="+at(48*time.Hour))), e1, e2)
	evWantIDs(t, "from-to", wantArr(t, query(t, b, "entries-for-calendar",
		cq+"&from="+at(24*time.Hour)+"&to="+at(24*time.Hour+time.Second))), e2)
	evWantIDs(t, "another calendar", wantArr(t, query(t, b, "entries-for-calendar", "calendar-id="+itoa(other))))
	evWantIDs(t, "unknown calendar", wantArr(t, query(t, b, "entries-for-calendar", "calendar-id=987654321")))
	wantBadParam(t, query(t, b, "entries-for-calendar", cq+"&from="+at(time.Hour)+"&to="+at(0)), "to")
	wantBadParam(t, query(t, b, "entries-for-calendar", cq+"&from=yesterday"), "from")
	wantBadParam(t, query(t, b, "entries-for-calendar", ""), "calendar-id")

	// entries-for-cart: the owner's pending entries, optionally of one container.
	sess := evSession(t)
	user := evInt()
	so := map[string]any{"session-id": sess}
	a := evBook(t, b, so, cal, t0.Add(72*time.Hour), nil)
	bb := evBook(t, b, so, other, t0.Add(60*time.Hour), nil)
	c := evBook(t, b, map[string]any{"user-id": user}, cal, t0.Add(80*time.Hour), nil)
	sq := "session-id=" + url.QueryEscape(sess)
	rows = wantArr(t, query(t, b, "entries-for-cart", sq))
	evWantIDs(t, "session cart", rows, bb, a)
	if evRow(t, rows[1])["container_type"] != "page" || num(t, evRow(t, rows[1])["container_id"]) != cid {
		t.Fatalf("cart entry container: %v", rows[1])
	}
	evWantIDs(t, "session cart of a container", wantArr(t, query(t, b, "entries-for-cart",
		sq+"&container-type=page&container-id="+itoa(cid))), a)
	evWantIDs(t, "session cart of another type", wantArr(t, query(t, b, "entries-for-cart",
		sq+"&container-type=market&container-id="+itoa(cid))))
	evWantIDs(t, "user cart", wantArr(t, query(t, b, "entries-for-cart", "user-id="+itoa(user))), c)
	evWantIDs(t, "user wins", wantArr(t, query(t, b, "entries-for-cart", "user-id="+itoa(user)+"&"+sq)), c)
	exec(t, "update calendar_entries set state = 'ordered' where id = $1", a)
	evWantIDs(t, "ordered entries leave the cart", wantArr(t, query(t, b, "entries-for-cart", sq)), bb)

	evNoOwner(t, query(t, b, "entries-for-cart", ""))
	evNoOwner(t, query(t, b, "entries-for-cart", "session-id="))
	wantBadParam(t, query(t, b, "entries-for-cart", sq+"&container-type=page"), "container-id")
	wantBadParam(t, query(t, b, "entries-for-cart", sq+"&container-id=1"), "container-type")
	wantBadParam(t, query(t, b, "entries-for-cart", "user-id=me"), "user-id")
}

func TestEventsCancelEntries(t *testing.T) {
	b := evURL(t)
	cal, _ := evCalendar(t, "page", evInt(), "Rooms")
	start := time.Date(2031, 7, 1, 10, 0, 0, 0, time.UTC)
	sess := evSession(t)
	so := map[string]any{"session-id": sess}
	// ord is claimed at checkout by a pending order, through the endpoint.
	ord := evBook(t, b, so, cal, start.Add(4*time.Hour), nil)
	order := evInt()
	evWantIDs(t, "claimed", wantArr(t, action(t, b, "claim-entries-for-order", evWith(so, "order-id", order))), ord)
	p1 := evBook(t, b, so, cal, start, nil)
	p2 := evBook(t, b, so, cal, start.Add(time.Hour), nil)
	conf := evBook(t, b, so, cal, start.Add(2*time.Hour), nil)
	exec(t, "update calendar_entries set state = 'confirmed', order_id = $2 where id = $1", conf, evInt())
	foreign := evBook(t, b, map[string]any{"session-id": evSession(t)}, cal, start, nil)
	prov := evBook(t, b, so, cal, start.Add(3*time.Hour), nil)
	exec(t, "update calendar_entries set state = 'provisional' where id = $1", prov)

	// A confirmed entry is refused, and nothing is cancelled.
	wantError(t, action(t, b, "cancel-entries", evWith(so, "ids", []int64{p1, conf})), 409,
		fmt.Sprintf("entry %d is confirmed", conf))
	if s := evEntryState(t, p1); s != "pending" {
		t.Fatalf("a refused cancel left entry %d %s", p1, s)
	}
	if s := evEntryState(t, conf); s != "confirmed" {
		t.Fatalf("confirmed entry now %s", s)
	}
	// An entry claimed by a pending order is held by the order: refused,
	// nothing changes. Otherwise the order could be paid with nothing left
	// to confirm.
	wantError(t, action(t, b, "cancel-entries", evWith(so, "ids", []int64{p1, prov, ord})), 409,
		fmt.Sprintf("entry %d is claimed by order %d", ord, order))
	if s := scalar[string](t, "select string_agg(state || '/' || coalesce(order_id::text, '-'), ',' order by id) from calendar_entries where id = any($1)",
		[]int64{p1, prov, ord}); s != fmt.Sprintf("ordered/%d,pending/-,provisional/-", order) {
		t.Fatalf("a refused cancel changed entries: %s", s)
	}
	if n := wantObj(t, query(t, b, "claims-for-order", "order-id="+itoa(order))); num(t, n["entries"]) != 1 {
		t.Fatalf("claims-for-order after a refused cancel: %v", n)
	}
	// Released by its order, it is back in the cart and can be cancelled.
	evOK(t, action(t, b, "release-for-order", map[string]any{"order-id": order}))
	if r := wantObj(t, action(t, b, "cancel-entries", evWith(so, "ids", []int64{ord, prov}))); num(t, r["cancelled"]) != 2 {
		t.Fatalf("cancel released and provisional entries: %v", r)
	}
	if evEntryState(t, ord) != "cancelled" || evEntryState(t, prov) != "cancelled" {
		t.Fatalf("states after cancel: %s %s", evEntryState(t, ord), evEntryState(t, prov))
	}

	// Other owners' and unknown ids are skipped.
	if r := wantObj(t, action(t, b, "cancel-entries", evWith(so, "ids", []int64{p1, p2, foreign, 987654321}))); num(t, r["cancelled"]) != 2 {
		t.Fatalf("cancel-entries: %v", r)
	}
	if evEntryState(t, p1) != "cancelled" || evEntryState(t, p2) != "cancelled" || evEntryState(t, foreign) != "pending" {
		t.Fatalf("states after cancel: %s %s %s", evEntryState(t, p1), evEntryState(t, p2), evEntryState(t, foreign))
	}
	if r := wantObj(t, action(t, b, "cancel-entries", evWith(so, "ids", []int64{p1, p2}))); num(t, r["cancelled"]) != 0 {
		t.Fatalf("cancel again: %v", r)
	}

	evNoOwner(t, action(t, b, "cancel-entries", map[string]any{"ids": []int64{p1}}))
	wantBadParam(t, action(t, b, "cancel-entries", so), "ids")
	wantBadParam(t, action(t, b, "cancel-entries", evWith(so, "ids", "1,x")), "ids")
}

func TestEventsTicketTypes(t *testing.T) {
	b := evURL(t)
	entry, std, _ := evEvent(t, 10, 5)
	vip := evTicketType(t, entry, "VIP", 25.5, 3, -1)
	gone := evTicketType(t, entry, "Gone", 1, 10, 5)
	exec(t, "update ticket_types set deleted_at = now() where id = $1", gone)

	so := map[string]any{"session-id": evSession(t)}
	ids := evReserve(t, b, so, std, 2)
	evReserve(t, b, map[string]any{"user-id": evInt()}, std, 1)
	exec(t, "update tickets set state = 'cancelled' where id = $1", ids[0]) // frees its place
	exec(t, "update tickets set state = 'confirmed' where id = $1", ids[1]) // still holds one

	rows := wantArr(t, query(t, b, "ticket-types-for-entry", "entry-id="+itoa(entry)))
	evWantIDs(t, "ticket-types-for-entry", rows, vip, std)
	v, s := evRow(t, rows[0]), evRow(t, rows[1])
	if v["name"] != "VIP" || numf(t, v["price"]) != 25.5 || num(t, v["count"]) != 3 || num(t, v["remaining"]) != 3 ||
		num(t, v["entry_id"]) != entry || num(t, v["sort_order"]) != -1 {
		t.Fatalf("vip: %v", v)
	}
	if s["name"] != "Standard" || numf(t, s["price"]) != 10 || num(t, s["count"]) != 5 || num(t, s["remaining"]) != 3 {
		t.Fatalf("standard: %v", s)
	}
	evWantIDs(t, "unknown entry", wantArr(t, query(t, b, "ticket-types-for-entry", "entry-id=987654321")))
	wantBadParam(t, query(t, b, "ticket-types-for-entry", ""), "entry-id")
	wantBadParam(t, query(t, b, "ticket-types-for-entry", "entry-id=x"), "entry-id")
}

var evCode = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestEventsReserveTickets(t *testing.T) {
	b := evURL(t)
	entry, tt, cid := evEvent(t, 12.5, 6)
	sess := evSession(t)
	so := map[string]any{"session-id": sess}
	count := func() int64 {
		return scalar[int64](t, "select count(*) from tickets where ticket_type_id = $1", tt)
	}

	rows := wantArr(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", tt, "quantity", 3)))
	if len(rows) != 3 {
		t.Fatalf("reserve-tickets: %v", rows)
	}
	codes := map[string]bool{}
	var last int64
	for _, r := range rows {
		m := evRow(t, r)
		code, _ := m["code"].(string)
		if m["state"] != "reserved" || numf(t, m["price"]) != 12.5 || num(t, m["ticket_type_id"]) != tt ||
			num(t, m["entry_id"]) != entry || m["entry_name"] != "Concert" || m["ticket_type_name"] != "Standard" ||
			m["container_type"] != "page" || num(t, m["container_id"]) != cid || m["user_id"] != nil ||
			m["order_id"] != nil || m["checked_in_at"] != nil || !evCode.MatchString(code) {
			t.Fatalf("reserved ticket: %v", m)
		}
		if _, leaked := m["session_id"]; leaked {
			t.Errorf("tickets must not expose the session id: %v", m)
		}
		if num(t, m["id"]) <= last {
			t.Fatalf("tickets not by id: %v", rows)
		}
		last = num(t, m["id"])
		codes[code] = true
	}
	if len(codes) != 3 {
		t.Fatalf("codes not unique: %v", codes)
	}
	if n := scalar[int64](t, "select count(*) from tickets where ticket_type_id = $1 and session_id = $2 and user_id is null", tt, sess); n != 3 {
		t.Fatalf("%d tickets stored for the session, want 3", n)
	}

	// Three left: four is refused and writes nothing.
	wantError(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", tt, "quantity", 4)), 409, "only 3 tickets left")
	if n := count(); n != 3 {
		t.Fatalf("%d tickets after a refused reservation, want 3", n)
	}
	user := evInt()
	ids := evReserve(t, b, map[string]any{"user-id": user, "session-id": sess}, tt, 2)
	if n := scalar[int64](t, "select count(*) from tickets where id = any($1) and user_id = $2 and session_id is null", ids, user); n != 2 {
		t.Fatalf("a user's tickets must carry no session id")
	}
	wantError(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", tt, "quantity", 2)), 409, "only 1 ticket left")
	evReserve(t, b, so, tt, 1)
	wantError(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", tt, "quantity", 1)), 409, "only 0 tickets left")
	// A cancelled ticket gives its place back.
	exec(t, "update tickets set state = 'cancelled' where id = $1", ids[0])
	evReserve(t, b, so, tt, 1)
	if n := scalar[int64](t, "select count(*) from tickets where ticket_type_id = $1 and state <> 'cancelled'", tt); n != 6 {
		t.Fatalf("%d live tickets, want the capacity 6", n)
	}

	// Unknown or deleted types: null. A cancelled entry: 409.
	wantNull(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", 987654321, "quantity", 1)))
	entry2, tt2, _ := evEvent(t, 5, 10)
	exec(t, "update ticket_types set deleted_at = now() where id = $1", tt2)
	wantNull(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", tt2, "quantity", 1)))
	_, tt3, _ := evEvent(t, 5, 10)
	exec(t, "update calendar_entries set state = 'cancelled' where id = (select entry_id from ticket_types where id = $1)", tt3)
	wantError(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", tt3, "quantity", 1)), 409, "cancelled")
	if n := scalar[int64](t, "select count(*) from tickets where entry_id = $1 or ticket_type_id = $2", entry2, tt3); n != 0 {
		t.Fatalf("refused reservations wrote %d tickets", n)
	}

	for _, q := range []any{0, -1, 21, "x", 1.5} {
		wantBadParam(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", tt, "quantity", q)), "quantity")
	}
	wantBadParam(t, action(t, b, "reserve-tickets", evWith(so, "ticket-type-id", tt)), "quantity")
	wantBadParam(t, action(t, b, "reserve-tickets", evWith(so, "quantity", 1)), "ticket-type-id")
	evNoOwner(t, action(t, b, "reserve-tickets", map[string]any{"ticket-type-id": tt, "quantity": 1}))
}

// evPost posts JSON without touching t, for goroutines.
func evPost(u string, body map[string]any) (int, string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), err
}

func TestEventsReserveTicketsConcurrent(t *testing.T) {
	const clients = 20
	for _, tc := range []struct{ capacity, quantity int }{{15, 1}, {16, 2}} {
		t.Run(fmt.Sprintf("quantity-%d", tc.quantity), func(t *testing.T) {
			b := evURL(t)
			_, tt, _ := evEvent(t, 9, tc.capacity)
			type result struct {
				session string
				status  int
				body    string
				err     error
			}
			results := make([]result, clients)
			var wg sync.WaitGroup
			startGun := make(chan struct{})
			for i := range results {
				results[i].session = evSession(t)
				wg.Add(1)
				go func(r *result) {
					defer wg.Done()
					<-startGun
					r.status, r.body, r.err = evPost(b+"/internal/actions/reserve-tickets", map[string]any{
						"session-id": r.session, "ticket-type-id": tt, "quantity": tc.quantity})
				}(&results[i])
			}
			close(startGun)
			wg.Wait()

			ok, refused := 0, 0
			for _, r := range results {
				switch {
				case r.err != nil:
					t.Fatalf("request failed: %v", r.err)
				case r.status == 200:
					ok++
					if n := scalar[int64](t, "select count(*) from tickets where session_id = $1 and ticket_type_id = $2",
						r.session, tt); n != int64(tc.quantity) {
						t.Errorf("session %s answered 200 but holds %d tickets", r.session, n)
					}
				case r.status == 409 && strings.Contains(r.body, "left"):
					refused++
					if n := scalar[int64](t, "select count(*) from tickets where session_id = $1", r.session); n != 0 {
						t.Errorf("session %s answered 409 but holds %d tickets", r.session, n)
					}
				default:
					t.Fatalf("unexpected answer %d: %s", r.status, r.body)
				}
			}
			live := scalar[int64](t, "select count(*) from tickets where ticket_type_id = $1 and state in ('reserved', 'ordered', 'confirmed', 'used')", tt)
			codes := scalar[int64](t, "select count(distinct code) from tickets where ticket_type_id = $1", tt)
			if live != int64(tc.capacity) || codes != live {
				t.Fatalf("%d live tickets (%d distinct codes), want exactly the capacity %d", live, codes, tc.capacity)
			}
			if ok*tc.quantity != tc.capacity || ok+refused != clients {
				t.Fatalf("%d answered 200 and %d 409, want %d and %d", ok, refused, tc.capacity/tc.quantity, clients-tc.capacity/tc.quantity)
			}
			if r := wantArr(t, query(t, b, "ticket-types-for-entry", "entry-id="+itoa(scalar[int64](t,
				"select entry_id from ticket_types where id = $1", tt)))); num(t, evRow(t, r[0])["remaining"]) != 0 {
				t.Fatalf("remaining after selling out: %v", r)
			}
		})
	}
}

func TestEventsCancelTickets(t *testing.T) {
	b := evURL(t)
	_, tt, _ := evEvent(t, 5, 20)
	so := map[string]any{"session-id": evSession(t)}
	ids := evReserve(t, b, so, tt, 5)
	r1, r2, conf, ord, used := ids[0], ids[1], ids[2], ids[3], ids[4]
	exec(t, "update tickets set state = 'confirmed', order_id = $2 where id = $1", conf, evInt())
	ordOrder := evInt()
	exec(t, "update tickets set state = 'ordered', order_id = $2 where id = $1", ord, ordOrder)
	exec(t, "update tickets set state = 'used', checked_in_at = now() where id = $1", used)
	foreign := evReserve(t, b, map[string]any{"session-id": evSession(t)}, tt, 1)[0]

	// Part-way failure: r1 is cancelled before conf is found; the 409 rolls r1 back.
	wantError(t, action(t, b, "cancel-tickets", evWith(so, "ids", []int64{r1, conf})), 409, "confirmed")
	wantError(t, action(t, b, "cancel-tickets", evWith(so, "ids", []int64{r1, used})), 409, "used")
	if evTicketState(t, r1) != "reserved" || evTicketState(t, conf) != "confirmed" || evTicketState(t, used) != "used" {
		t.Fatalf("a refused cancel changed tickets: %s %s %s", evTicketState(t, r1), evTicketState(t, conf), evTicketState(t, used))
	}

	// A ticket claimed by a pending order is held by the order: refused,
	// nothing changes (the reserved ones asked for with it stay reserved,
	// the claim keeps its order). Otherwise the order could be paid with
	// nothing left to confirm.
	wantError(t, action(t, b, "cancel-tickets", evWith(so, "ids", []int64{r1, r2, ord, foreign, 987654321})),
		409, fmt.Sprintf("ticket %d is claimed by order %d", ord, ordOrder))
	if n := scalar[int64](t, "select count(*) from tickets where id = any($1) and state = 'reserved' and order_id is null",
		[]int64{r1, r2, foreign}); n != 3 {
		t.Fatalf("a refused cancel changed reserved tickets (%d of 3 still reserved)", n)
	}
	if s := scalar[string](t, "select state || '/' || order_id from tickets where id = $1", ord); s != fmt.Sprintf("ordered/%d", ordOrder) {
		t.Fatalf("the claimed ticket is %s after a refused cancel", s)
	}
	if n := wantObj(t, query(t, b, "claims-for-order", "order-id="+itoa(ordOrder))); num(t, n["tickets"]) != 1 {
		t.Fatalf("claims-for-order after a refused cancel: %v", n)
	}

	r := wantObj(t, action(t, b, "cancel-tickets", evWith(so, "ids", []int64{r1, r2, foreign, 987654321})))
	if num(t, r["cancelled"]) != 2 {
		t.Fatalf("cancel-tickets: %v", r)
	}
	for _, id := range []int64{r1, r2} {
		if s := evTicketState(t, id); s != "cancelled" {
			t.Fatalf("ticket %d %s after cancel", id, s)
		}
	}
	if s := evTicketState(t, foreign); s != "reserved" {
		t.Fatalf("another owner's ticket %s", s)
	}
	if r := wantObj(t, action(t, b, "cancel-tickets", evWith(so, "ids", []int64{r1, r2}))); num(t, r["cancelled"]) != 0 {
		t.Fatalf("cancel again: %v", r)
	}
	// Once the order lets go (release-for-order), the ticket is back in the
	// cart and can be cancelled.
	evOK(t, action(t, b, "release-for-order", map[string]any{"order-id": ordOrder}))
	if r := wantObj(t, action(t, b, "cancel-tickets", evWith(so, "ids", []int64{ord}))); num(t, r["cancelled"]) != 1 {
		t.Fatalf("cancel a released ticket: %v", r)
	}
	if s := evTicketState(t, ord); s != "cancelled" {
		t.Fatalf("released ticket %s after cancel", s)
	}

	evNoOwner(t, action(t, b, "cancel-tickets", map[string]any{"ids": []int64{r1}}))
	wantBadParam(t, action(t, b, "cancel-tickets", so), "ids")
	wantBadParam(t, action(t, b, "cancel-tickets", evWith(so, "ids", "1,x")), "ids")
}

// A blank session id is no owner: every owner-taking call answers the 400
// of a missing owner (naming user-id and session-id) and writes nothing;
// with a user id, the blank session id is ignored.
func TestEventsBlankSession(t *testing.T) {
	b := evURL(t)
	cal, _ := evCalendar(t, "page", evInt(), "Blank")
	entry, tt, _ := evEvent(t, 2, 20)
	start := evRFC(time.Date(2031, 4, 1, 10, 0, 0, 0, time.UTC))
	before := func() [2]int64 {
		return [2]int64{
			scalar[int64](t, "select count(*) from calendar_entries where calendar_id = $1", cal),
			scalar[int64](t, "select count(*) from tickets where entry_id = $1", entry),
		}
	}
	was := before()
	for _, blank := range []string{" ", "\t", "  \n "} {
		so := map[string]any{"session-id": blank}
		for _, a := range []struct {
			name string
			body map[string]any
		}{
			{"book-entry", evWith(so, "calendar-id", cal, "start-at", start)},
			{"cancel-entries", evWith(so, "ids", []int64{1})},
			{"reserve-tickets", evWith(so, "ticket-type-id", tt, "quantity", 1)},
			{"cancel-tickets", evWith(so, "ids", []int64{1})},
			{"claim-entries-for-order", evWith(so, "order-id", evInt())},
			{"claim-tickets-for-order", evWith(so, "order-id", evInt())},
		} {
			t.Run(a.name, func(t *testing.T) { evNoOwner(t, action(t, b, a.name, a.body)) })
		}
		for _, q := range []string{"entries-for-cart", "tickets-for-cart"} {
			evNoOwner(t, query(t, b, q, "session-id="+url.QueryEscape(blank)))
		}
		for _, a := range []string{"adopt-entries", "adopt-tickets"} {
			wantBadParam(t, action(t, b, a, map[string]any{"user-id": evInt(), "session-id": blank}), "session-id")
		}
	}
	if now := before(); now != was {
		t.Fatalf("calls with a blank session wrote: %v -> %v", was, now)
	}
	// A user id wins over a blank session id, which is not stored.
	user := evInt()
	uo := map[string]any{"user-id": user, "session-id": " "}
	id := evBook(t, b, uo, cal, time.Date(2031, 4, 1, 10, 0, 0, 0, time.UTC), nil)
	tid := evReserve(t, b, uo, tt, 1)[0]
	if n := scalar[int64](t, "select count(*) from calendar_entries where id = $1 and user_id = $2 and session_id is null", id, user); n != 1 {
		t.Fatalf("a user's entry booked with a blank session")
	}
	if n := scalar[int64](t, "select count(*) from tickets where id = $1 and user_id = $2 and session_id is null", tid, user); n != 1 {
		t.Fatalf("a user's ticket reserved with a blank session")
	}
	evWantIDs(t, "user cart with a blank session", wantArr(t, query(t, b, "tickets-for-cart", "user-id="+itoa(user)+"&session-id=+")), tid)
}

func TestEventsAdopt(t *testing.T) {
	b := evURL(t)
	cal, _ := evCalendar(t, "page", evInt(), "Hall")
	_, tt, _ := evEvent(t, 3, 20)
	sess := evSession(t)
	so := map[string]any{"session-id": sess}
	user := evInt()
	start := time.Date(2031, 8, 1, 12, 0, 0, 0, time.UTC)
	pending := evBook(t, b, so, cal, start, nil)
	ordered := evBook(t, b, so, cal, start.Add(time.Hour), nil)
	exec(t, "update calendar_entries set state = 'ordered', order_id = $2 where id = $1", ordered, evInt())
	tickets := evReserve(t, b, so, tt, 3)
	exec(t, "update tickets set state = 'ordered', order_id = $2 where id = $1", tickets[2], evInt())
	other := evReserve(t, b, map[string]any{"session-id": evSession(t)}, tt, 1)[0]

	body := map[string]any{"user-id": user, "session-id": sess}
	for i, want := range []int64{1, 0} {
		if r := wantObj(t, action(t, b, "adopt-entries", body)); num(t, r["adopted"]) != want {
			t.Fatalf("adopt-entries call %d: %v, want %d", i, r, want)
		}
	}
	if n := scalar[int64](t, "select count(*) from calendar_entries where id = $1 and user_id = $2 and session_id is null", pending, user); n != 1 {
		t.Fatalf("pending entry not adopted")
	}
	if n := scalar[int64](t, "select count(*) from calendar_entries where id = $1 and user_id is null and session_id = $2", ordered, sess); n != 1 {
		t.Fatalf("an ordered entry must stay with its session")
	}
	evWantIDs(t, "user cart", wantArr(t, query(t, b, "entries-for-cart", "user-id="+itoa(user))), pending)
	evWantIDs(t, "session cart", wantArr(t, query(t, b, "entries-for-cart", "session-id="+url.QueryEscape(sess))))

	for i, want := range []int64{2, 0} {
		if r := wantObj(t, action(t, b, "adopt-tickets", body)); num(t, r["adopted"]) != want {
			t.Fatalf("adopt-tickets call %d: %v, want %d", i, r, want)
		}
	}
	if n := scalar[int64](t, "select count(*) from tickets where id = any($1) and user_id = $2 and session_id is null", tickets[:2], user); n != 2 {
		t.Fatalf("reserved tickets not adopted")
	}
	if n := scalar[int64](t, "select count(*) from tickets where id = $1 and user_id is null and session_id = $2", tickets[2], sess); n != 1 {
		t.Fatalf("an ordered ticket must stay with its session")
	}
	if n := scalar[int64](t, "select count(*) from tickets where id = $1 and user_id is null", other); n != 1 {
		t.Fatalf("another session's ticket was adopted")
	}
	evWantIDs(t, "user tickets", wantArr(t, query(t, b, "tickets-for-cart", "user-id="+itoa(user))), tickets[0], tickets[1])

	for _, a := range []string{"adopt-entries", "adopt-tickets"} {
		wantBadParam(t, action(t, b, a, map[string]any{"session-id": sess}), "user-id")
		wantBadParam(t, action(t, b, a, map[string]any{"user-id": user}), "session-id")
		wantBadParam(t, action(t, b, a, map[string]any{"user-id": user, "session-id": ""}), "session-id")
		wantBadParam(t, action(t, b, a, map[string]any{"user-id": "u", "session-id": sess}), "user-id")
	}
}

// evCart fills a session's cart: in the page cid two entries (slot costs 15
// and 7.25) and two tickets at 12.5; in another page one entry and one ticket.
type evCart struct {
	owner              map[string]any
	cid                int64
	a, b, elsewhere    int64
	t1, t2, tElsewhere int64
}

func evFillCart(t *testing.T, base string) evCart {
	t.Helper()
	c := evCart{owner: map[string]any{"session-id": evSession(t)}, cid: evInt()}
	cal, _ := evCalendar(t, "page", c.cid, "Workshops")
	otherCID := evInt()
	other, _ := evCalendar(t, "page", otherCID, "Elsewhere")
	s1 := evSlot(t, cal, "Pottery", "10:00", "12:00", 15, nil)
	s2 := evSlot(t, cal, "Weaving", "13:00", "14:00", 7.25, nil)
	day := time.Date(2031, 9, 1, 0, 0, 0, 0, time.UTC)
	c.a = evBook(t, base, c.owner, cal, day.Add(10*time.Hour), map[string]any{"slot-id": s1})
	c.b = evBook(t, base, c.owner, cal, day.Add(13*time.Hour), map[string]any{"slot-id": s2})
	c.elsewhere = evBook(t, base, c.owner, other, day, nil)
	show := evEntry(t, cal, "Show", day.Add(20*time.Hour), "confirmed")
	ids := evReserve(t, base, c.owner, evTicketType(t, show, "Seat", 12.5, 10, 0), 2)
	c.t1, c.t2 = ids[0], ids[1]
	show2 := evEntry(t, other, "Other show", day.Add(20*time.Hour), "confirmed")
	c.tElsewhere = evReserve(t, base, c.owner, evTicketType(t, show2, "Seat", 4, 10, 0), 1)[0]
	return c
}

func TestEventsClaimAndConfirm(t *testing.T) {
	b := evURL(t)
	c := evFillCart(t, b)
	order := evInt()
	claim := evWith(c.owner, "order-id", order, "container-type", "page", "container-id", c.cid)

	// Claim the page's entries: ordered, with the order id; the other page's stays in the cart.
	first := action(t, b, "claim-entries-for-order", claim)
	rows := wantArr(t, first)
	evWantIDs(t, "claimed entries", rows, c.a, c.b)
	total := 0.0
	for _, r := range rows {
		m := evRow(t, r)
		if m["state"] != "ordered" || num(t, m["order_id"]) != order {
			t.Fatalf("claimed entry: %v", m)
		}
		total += numf(t, m["cost"])
	}
	if total != 22.25 {
		t.Fatalf("claimed entries cost %v, want 22.25", total)
	}
	if s := evEntryState(t, c.elsewhere); s != "pending" {
		t.Fatalf("another page's entry is %s", s)
	}
	// Claiming again returns the same rows and changes nothing.
	if again := action(t, b, "claim-entries-for-order", claim); again.Status != 200 || again.Body != first.Body {
		t.Fatalf("claim again:\n%s\nwant\n%s", again.Body, first.Body)
	}
	if n := scalar[int64](t, "select count(*) from calendar_entries where order_id = $1 and state = 'ordered'", order); n != 2 {
		t.Fatalf("%d entries ordered for the order, want 2", n)
	}

	firstT := action(t, b, "claim-tickets-for-order", claim)
	rows = wantArr(t, firstT)
	evWantIDs(t, "claimed tickets", rows, c.t1, c.t2)
	for _, r := range rows {
		m := evRow(t, r)
		if m["state"] != "ordered" || num(t, m["order_id"]) != order || numf(t, m["price"]) != 12.5 {
			t.Fatalf("claimed ticket: %v", m)
		}
	}
	if again := action(t, b, "claim-tickets-for-order", claim); again.Status != 200 || again.Body != firstT.Body {
		t.Fatalf("claim tickets again:\n%s\nwant\n%s", again.Body, firstT.Body)
	}
	if s := evTicketState(t, c.tElsewhere); s != "reserved" {
		t.Fatalf("another page's ticket is %s", s)
	}
	evWantIDs(t, "tickets-for-order", wantArr(t, query(t, b, "tickets-for-order", "order-id="+itoa(order))), c.t1, c.t2)
	claims := wantObj(t, query(t, b, "claims-for-order", "order-id="+itoa(order)))
	if num(t, claims["entries"]) != 2 || num(t, claims["tickets"]) != 2 {
		t.Fatalf("claims-for-order: %v, want 2 entries and 2 tickets", claims)
	}
	if none := wantObj(t, query(t, b, "claims-for-order", "order-id="+itoa(evInt()))); num(t, none["entries"]) != 0 || num(t, none["tickets"]) != 0 {
		t.Fatalf("claims-for-order of an order with nothing: %v", none)
	}
	wantBadParam(t, query(t, b, "claims-for-order", "order-id=x"), "order-id")
	wantBadParam(t, query(t, b, "claims-for-order", ""), "order-id")
	sq := "session-id=" + url.QueryEscape(c.owner["session-id"].(string))
	evWantIDs(t, "cart entries after claim", wantArr(t, query(t, b, "entries-for-cart", sq)), c.elsewhere)
	evWantIDs(t, "cart tickets after claim", wantArr(t, query(t, b, "tickets-for-cart", sq)), c.tElsewhere)

	// Paid: confirm, twice.
	body := map[string]any{"order-id": order}
	for i, want := range []int64{2, 0} {
		r := wantObj(t, action(t, b, "confirm-entries-for-order", body))
		list, _ := r["entries"].([]any)
		if num(t, r["confirmed"]) != want {
			t.Fatalf("confirm-entries call %d: %v", i, r)
		}
		evWantIDs(t, "confirmed entries", list, c.a, c.b)
		if evRow(t, list[0])["state"] != "confirmed" {
			t.Fatalf("confirmed entry: %v", list[0])
		}
		r = wantObj(t, action(t, b, "confirm-tickets-for-order", body))
		list, _ = r["tickets"].([]any)
		if num(t, r["confirmed"]) != want {
			t.Fatalf("confirm-tickets call %d: %v", i, r)
		}
		evWantIDs(t, "confirmed tickets", list, c.t1, c.t2)
		if evRow(t, list[1])["state"] != "confirmed" {
			t.Fatalf("confirmed ticket: %v", list[1])
		}
	}

	// A paid order is not released, and claims into it are refused.
	wantError(t, action(t, b, "release-for-order", body), 409, "already confirmed")
	if evEntryState(t, c.a) != "confirmed" || evTicketState(t, c.t1) != "confirmed" {
		t.Fatalf("release of a paid order changed it: %s %s", evEntryState(t, c.a), evTicketState(t, c.t1))
	}
	wantError(t, action(t, b, "claim-entries-for-order", evWith(c.owner, "order-id", order)), 409, "already confirmed")
	wantError(t, action(t, b, "claim-tickets-for-order", evWith(c.owner, "order-id", order)), 409, "already confirmed")
	if evEntryState(t, c.elsewhere) != "pending" || evTicketState(t, c.tElsewhere) != "reserved" ||
		scalar[int64](t, "select count(*) from calendar_entries where id = $1 and order_id is null", c.elsewhere) != 1 {
		t.Fatalf("a refused claim changed the cart")
	}

	// Confirming an order that claimed nothing: 409, the cart untouched.
	never := map[string]any{"order-id": evInt()}
	wantError(t, action(t, b, "confirm-entries-for-order", never), 409, "nothing claimed for order")
	wantError(t, action(t, b, "confirm-tickets-for-order", never), 409, "nothing claimed for order")
	if evTicketState(t, c.tElsewhere) != "reserved" || evEntryState(t, c.elsewhere) != "pending" {
		t.Fatalf("confirming nothing changed the cart")
	}

	evNoOwner(t, action(t, b, "claim-entries-for-order", map[string]any{"order-id": order}))
	evNoOwner(t, action(t, b, "claim-tickets-for-order", map[string]any{"order-id": order}))
	wantBadParam(t, action(t, b, "claim-entries-for-order", c.owner), "order-id")
	wantBadParam(t, action(t, b, "claim-tickets-for-order", evWith(c.owner, "order-id", "x")), "order-id")
	wantBadParam(t, action(t, b, "claim-entries-for-order", evWith(c.owner, "order-id", 1, "container-type", "page")), "container-id")
	wantBadParam(t, action(t, b, "claim-tickets-for-order", evWith(c.owner, "order-id", 1, "container-id", 1)), "container-type")
	wantBadParam(t, action(t, b, "confirm-entries-for-order", map[string]any{}), "order-id")
	wantBadParam(t, action(t, b, "confirm-tickets-for-order", map[string]any{"order-id": "x"}), "order-id")
}

func TestEventsReleaseForOrder(t *testing.T) {
	b := evURL(t)
	c := evFillCart(t, b)
	order := evInt()
	claim := evWith(c.owner, "order-id", order) // the whole cart
	evWantIDs(t, "claimed entries", wantArr(t, action(t, b, "claim-entries-for-order", claim)), c.elsewhere, c.a, c.b)
	evWantIDs(t, "claimed tickets", wantArr(t, action(t, b, "claim-tickets-for-order", claim)), c.t1, c.t2, c.tElsewhere)

	body := map[string]any{"order-id": order}
	for i, want := range []int64{3, 0} {
		r := wantObj(t, action(t, b, "release-for-order", body))
		if num(t, r["entries"]) != want || num(t, r["tickets"]) != want {
			t.Fatalf("release call %d: %v, want %d each", i, r, want)
		}
	}
	if n := scalar[int64](t, "select count(*) from calendar_entries where id = any($1) and state = 'pending' and order_id is null",
		[]int64{c.a, c.b, c.elsewhere}); n != 3 {
		t.Fatalf("%d entries back in the cart, want 3", n)
	}
	if n := scalar[int64](t, "select count(*) from tickets where id = any($1) and state = 'reserved' and order_id is null",
		[]int64{c.t1, c.t2, c.tElsewhere}); n != 3 {
		t.Fatalf("%d tickets back in the cart, want 3", n)
	}
	sq := "session-id=" + url.QueryEscape(c.owner["session-id"].(string))
	evWantIDs(t, "cart after release", wantArr(t, query(t, b, "entries-for-cart", sq)), c.elsewhere, c.a, c.b)
	evWantIDs(t, "tickets after release", wantArr(t, query(t, b, "tickets-for-cart", sq)), c.t1, c.t2, c.tElsewhere)
	evWantIDs(t, "order after release", wantArr(t, query(t, b, "tickets-for-order", "order-id="+itoa(order))))

	// A late "paid" for the released order confirms nothing: the released
	// (reserved) tickets and pending entries are never confirmed unclaimed.
	wantError(t, action(t, b, "confirm-tickets-for-order", body), 409, "nothing claimed for order "+itoa(order))
	wantError(t, action(t, b, "confirm-entries-for-order", body), 409, "nothing claimed for order "+itoa(order))
	if evTicketState(t, c.t1) != "reserved" || evEntryState(t, c.a) != "pending" {
		t.Fatalf("confirming a released order changed the cart: %s %s", evTicketState(t, c.t1), evEntryState(t, c.a))
	}

	// The cart can be checked out again under a new order.
	order2 := evInt()
	evWantIDs(t, "claimed again", wantArr(t, action(t, b, "claim-tickets-for-order", evWith(c.owner, "order-id", order2))),
		c.t1, c.t2, c.tElsewhere)
	wantBadParam(t, action(t, b, "release-for-order", map[string]any{}), "order-id")
}

func TestEventsCheckIn(t *testing.T) {
	b := evURL(t)
	_, tt, _ := evEvent(t, 20, 10)
	uo := map[string]any{"user-id": evInt()}
	ids := evReserve(t, b, uo, tt, 3)
	order := evInt()
	exec(t, "update tickets set state = 'ordered', order_id = $2 where id = any($1)", ids[:2], order)
	wantObj(t, action(t, b, "confirm-tickets-for-order", map[string]any{"order-id": order}))
	code := func(id int64) string { return scalar[string](t, "select code from tickets where id = $1", id) }

	r := wantObj(t, action(t, b, "check-in-ticket", map[string]any{"code": code(ids[0])}))
	if num(t, r["id"]) != ids[0] || r["state"] != "used" || r["checked_in_at"] == nil || r["entry_name"] != "Concert" {
		t.Fatalf("check-in: %v", r)
	}
	at := scalar[time.Time](t, "select checked_in_at from tickets where id = $1 and state = 'used'", ids[0])

	wantError(t, action(t, b, "check-in-ticket", map[string]any{"code": code(ids[0])}), 409, "already checked in")
	if again := scalar[time.Time](t, "select checked_in_at from tickets where id = $1", ids[0]); !again.Equal(at) {
		t.Fatalf("a second check-in moved checked_in_at %v -> %v", at, again)
	}
	wantError(t, action(t, b, "check-in-ticket", map[string]any{"code": code(ids[2])}), 409, "reserved")
	if s := evTicketState(t, ids[2]); s != "reserved" {
		t.Fatalf("refused check-in left %s", s)
	}
	exec(t, "update tickets set state = 'cancelled' where id = $1", ids[2])
	wantError(t, action(t, b, "check-in-ticket", map[string]any{"code": code(ids[2])}), 409, "cancelled")

	// Confirming again after a check-in still answers the order's tickets.
	c := wantObj(t, action(t, b, "confirm-tickets-for-order", map[string]any{"order-id": order}))
	if num(t, c["confirmed"]) != 0 {
		t.Fatalf("confirm after check-in: %v", c)
	}
	evWantIDs(t, "confirm after check-in", c["tickets"].([]any), ids[0], ids[1])

	wantNull(t, action(t, b, "check-in-ticket", map[string]any{"code": "no-such-" + uniq(t)}))
	wantBadParam(t, action(t, b, "check-in-ticket", map[string]any{}), "code")
}

func TestEventsTicketQueries(t *testing.T) {
	b := evURL(t)
	cid := evInt()
	cal, _ := evCalendar(t, "page", cid, "Season")
	t0 := time.Date(2031, 10, 1, 19, 0, 0, 0, time.UTC)
	late := evEntry(t, cal, "Late show", t0.Add(48*time.Hour), "confirmed")
	early := evEntry(t, cal, "Early show", t0, "confirmed")
	lateType := evTicketType(t, late, "Balcony", 30, 10, 0)
	earlyType := evTicketType(t, early, "Stalls", 20, 10, 0)
	_, elsewhereType, _ := evEvent(t, 1, 10)
	user := evInt()
	uo := map[string]any{"user-id": user}
	tLate := evReserve(t, b, uo, lateType, 1)[0]
	tEarly := evReserve(t, b, uo, earlyType, 1)[0]
	tElse := evReserve(t, b, uo, elsewhereType, 1)[0]
	evReserve(t, b, map[string]any{"session-id": evSession(t)}, lateType, 1)

	uq := "user-id=" + itoa(user)
	rows := wantArr(t, query(t, b, "tickets-for-cart", uq))
	evWantIDs(t, "tickets-for-cart", rows, tLate, tEarly, tElse)
	m := evRow(t, rows[0])
	if m["entry_name"] != "Late show" || m["ticket_type_name"] != "Balcony" || numf(t, m["price"]) != 30 ||
		m["container_type"] != "page" || num(t, m["container_id"]) != cid || num(t, m["user_id"]) != user ||
		!evTime(t, m["entry_start_at"]).Equal(t0.Add(48*time.Hour)) {
		t.Fatalf("cart ticket: %v", m)
	}
	evWantIDs(t, "tickets-for-cart of a page", wantArr(t, query(t, b, "tickets-for-cart",
		uq+"&container-type=page&container-id="+itoa(cid))), tLate, tEarly)

	// tickets-for-user: by the entry's start; cancelled ones only when asked for.
	// The other event is in June, before both.
	evWantIDs(t, "tickets-for-user", wantArr(t, query(t, b, "tickets-for-user", uq)), tElse, tEarly, tLate)
	exec(t, "update tickets set state = 'cancelled' where id = $1", tElse)
	exec(t, "update tickets set state = 'confirmed' where id = $1", tLate)
	evWantIDs(t, "tickets-for-user after cancel", wantArr(t, query(t, b, "tickets-for-user", uq)), tEarly, tLate)
	evWantIDs(t, "cancelled", wantArr(t, query(t, b, "tickets-for-user", uq+"&state=cancelled")), tElse)
	evWantIDs(t, "confirmed", wantArr(t, query(t, b, "tickets-for-user", uq+"&state=confirmed")), tLate)
	evWantIDs(t, "nobody's", wantArr(t, query(t, b, "tickets-for-user", "user-id="+itoa(evInt()))))
	evWantIDs(t, "cart after changes", wantArr(t, query(t, b, "tickets-for-cart", uq)), tEarly)

	code := scalar[string](t, "select code from tickets where id = $1", tEarly)
	r := wantObj(t, query(t, b, "ticket-by-code", "code="+code))
	if num(t, r["id"]) != tEarly || r["code"] != code || r["entry_name"] != "Early show" || r["ticket_type_name"] != "Stalls" {
		t.Fatalf("ticket-by-code: %v", r)
	}
	wantNull(t, query(t, b, "ticket-by-code", "code=no-such-"+uniq(t)))
	evWantIDs(t, "tickets-for-order of nothing", wantArr(t, query(t, b, "tickets-for-order", "order-id="+itoa(evInt()))))

	wantBadParam(t, query(t, b, "tickets-for-user", uq+"&state=lost"), "state")
	wantBadParam(t, query(t, b, "tickets-for-user", ""), "user-id")
	wantBadParam(t, query(t, b, "ticket-by-code", ""), "code")
	wantBadParam(t, query(t, b, "tickets-for-order", "order-id=x"), "order-id")
	evNoOwner(t, query(t, b, "tickets-for-cart", ""))
	wantBadParam(t, query(t, b, "tickets-for-cart", uq+"&container-type=page"), "container-id")
}

func TestEventsEntryPosts(t *testing.T) {
	b := evURL(t)
	cal, _ := evCalendar(t, "page", evInt(), "Talks")
	t0 := time.Date(2031, 11, 1, 18, 0, 0, 0, time.UTC)
	later := evEntry(t, cal, "Later talk", t0.Add(time.Hour), "confirmed")
	sooner := evEntry(t, cal, "Sooner talk", t0, "confirmed")
	dropped := evEntry(t, cal, "Dropped talk", t0, "cancelled")
	post, post2 := evInt(), evInt()
	link := func(entry, p int64) call {
		return action(t, b, "link-entry-post", map[string]any{"entry-id": entry, "post-id": p})
	}

	l := wantObj(t, link(later, post))
	if num(t, l["entry_id"]) != later || num(t, l["post_id"]) != post || num(t, l["sort_order"]) != 0 || l["created_at"] == nil {
		t.Fatalf("link: %v", l)
	}
	if l2 := wantObj(t, link(later, post2)); num(t, l2["sort_order"]) != 1 {
		t.Fatalf("second post of an entry: %v", l2)
	}
	// Linking again returns the link unchanged and adds nothing.
	if again := link(later, post); again.Status != 200 || strings.TrimSpace(again.Body) != strings.TrimSpace(link(later, post).Body) ||
		num(t, wantObj(t, again)["sort_order"]) != 0 {
		t.Fatalf("link again: %s", again.Body)
	}
	if n := scalar[int64](t, "select count(*) from calendar_entry_posts where entry_id = $1", later); n != 2 {
		t.Fatalf("%d links, want 2", n)
	}
	withOrder := wantObj(t, action(t, b, "link-entry-post", map[string]any{"entry-id": sooner, "post-id": post, "sort-order": 7}))
	if num(t, withOrder["sort_order"]) != 7 {
		t.Fatalf("link with sort-order: %v", withOrder)
	}
	wantObj(t, link(dropped, post))
	wantNull(t, link(987654321, post))
	if n := scalar[int64](t, "select count(*) from calendar_entry_posts where entry_id = 987654321"); n != 0 {
		t.Fatalf("linked an unknown entry")
	}

	evWantIDs(t, "entries-for-post", wantArr(t, query(t, b, "entries-for-post", "post-id="+itoa(post))), sooner, later)
	ids := wantArr(t, query(t, b, "post-ids-for-entry", "entry-id="+itoa(later)))
	if len(ids) != 2 || num(t, ids[0]) != post || num(t, ids[1]) != post2 {
		t.Fatalf("post-ids-for-entry: %v", ids)
	}

	for i, want := range []bool{true, false} {
		r := wantObj(t, action(t, b, "unlink-entry-post", map[string]any{"entry-id": later, "post-id": post}))
		if r["unlinked"] != want {
			t.Fatalf("unlink call %d: %v", i, r)
		}
	}
	evWantIDs(t, "entries-for-post after unlink", wantArr(t, query(t, b, "entries-for-post", "post-id="+itoa(post))), sooner)
	evWantIDs(t, "entries-for-post of nothing", wantArr(t, query(t, b, "entries-for-post", "post-id="+itoa(evInt()))))
	if ids := wantArr(t, query(t, b, "post-ids-for-entry", "entry-id=987654321")); len(ids) != 0 {
		t.Fatalf("post ids of an unknown entry: %v", ids)
	}

	// sort-order is 0 to 1000000, so an append (max + 1) never overflows;
	// an append after the top stays at the top.
	top := evEntry(t, cal, "Top talk", t0, "confirmed")
	for _, so := range []any{-1, 1000001, 2147483647, "x"} {
		wantBadParam(t, action(t, b, "link-entry-post", map[string]any{"entry-id": top, "post-id": post, "sort-order": so}), "sort-order")
	}
	if n := scalar[int64](t, "select count(*) from calendar_entry_posts where entry_id = $1", top); n != 0 {
		t.Fatalf("refused links wrote %d", n)
	}
	if l := wantObj(t, action(t, b, "link-entry-post", map[string]any{"entry-id": top, "post-id": post, "sort-order": 1000000})); num(t, l["sort_order"]) != 1000000 {
		t.Fatalf("link at the top: %v", l)
	}
	if l := wantObj(t, link(top, post2)); num(t, l["sort_order"]) != 1000000 {
		t.Fatalf("append after the top: %v", l)
	}
	// An older link beyond the bound (written before it) does not break appends.
	exec(t, "update calendar_entry_posts set sort_order = 2147483647 where entry_id = $1 and post_id = $2", top, post)
	if l := wantObj(t, link(top, evInt())); num(t, l["sort_order"]) != 1000000 {
		t.Fatalf("append after a maximal sort_order: %v", l)
	}

	wantBadParam(t, action(t, b, "link-entry-post", map[string]any{"entry-id": later}), "post-id")
	wantBadParam(t, action(t, b, "unlink-entry-post", map[string]any{"entry-id": later, "post-id": "x"}), "post-id")
	wantBadParam(t, action(t, b, "link-entry-post", map[string]any{"entry-id": "x", "post-id": post}), "entry-id")
	wantBadParam(t, action(t, b, "unlink-entry-post", map[string]any{"post-id": post}), "entry-id")
	wantBadParam(t, query(t, b, "entries-for-post", ""), "post-id")
	wantBadParam(t, query(t, b, "post-ids-for-entry", "entry-id=x"), "entry-id")
}

func TestEventsSchema(t *testing.T) {
	b := evURL(t)
	all := checkSchema(t, b, "events",
		[]string{"calendars-for-container", "calendar-by-slug", "claims-for-order", "entries-by-ids", "entries-for-calendar",
			"entries-for-cart", "entries-for-post", "post-ids-for-entry", "ticket-types-for-entry",
			"tickets-for-cart", "tickets-for-order", "tickets-for-user", "ticket-by-code",
			"slots-for-calendar", "slots-for-day", "public-entries-for-calendar", "entries-for-user", "upcoming-entries",
			// the root page (events/pages.sx)
			"calendar-directory",
			// the admin (events/admin.sx)
			"admin-calendars", "admin-entries-for-calendar", "entry-attendees"},
		[]string{"book-entry", "cancel-entries", "adopt-entries", "claim-entries-for-order", "reconcile-claims",
			"confirm-entries-for-order", "reserve-tickets", "cancel-tickets", "adopt-tickets",
			"check-in-ticket", "claim-tickets-for-order", "confirm-tickets-for-order", "release-for-order",
			"link-entry-post", "unlink-entry-post",
			// the admin (events/admin.sx)
			"calendar-save", "calendar-delete", "slot-save", "slot-delete", "entry-save", "entry-cancel",
			"ticket-type-save", "ticket-type-delete", "entry-link-post", "entry-unlink-post", "door-check-in"})
	s := wantObj(t, request(t, "GET", b+"/internal/schema", nil))
	if s["title"] != "Events" {
		t.Fatalf("title: %v", s["title"])
	}
	params := map[string]map[string]any{}
	for _, p := range all["reserve-tickets"]["params"].([]any) {
		m := p.(map[string]any)
		params[m["name"].(string)] = m
	}
	if params["quantity"]["type"] != "int" || params["quantity"]["required"] != true ||
		params["user-id"]["required"] != false || params["session-id"]["required"] != false ||
		params["ticket-type-id"]["required"] != true {
		t.Fatalf("reserve-tickets params: %v", params)
	}
}

// A blank container-type is refused (400 naming it), not read as "every
// container": a claim with one claims nothing.
func TestEventsBlankContainerType(t *testing.T) {
	b := evURL(t)
	cid := evInt()
	cal, _ := evCalendar(t, "page", cid, "Blank container")
	_, tt, _ := evEvent(t, 2, 20)
	so := map[string]any{"session-id": evSession(t)}
	entry := evBook(t, b, so, cal, time.Date(2031, 4, 1, 10, 0, 0, 0, time.UTC), nil)
	ticket := evReserve(t, b, so, tt, 1)[0]
	sq := "session-id=" + url.QueryEscape(so["session-id"].(string))
	for _, blank := range []string{" ", "\t", "  \n "} {
		for _, q := range []string{"entries-for-cart", "tickets-for-cart"} {
			wantBadParam(t, query(t, b, q, sq+"&container-type="+url.QueryEscape(blank)+"&container-id="+itoa(cid)), "container-type")
			wantBadParam(t, query(t, b, q, sq+"&container-type="+url.QueryEscape(blank)), "container-type")
		}
		for _, a := range []string{"claim-entries-for-order", "claim-tickets-for-order"} {
			wantBadParam(t, action(t, b, a, evWith(so, "order-id", evInt(), "container-type", blank, "container-id", cid)), "container-type")
			wantBadParam(t, action(t, b, a, evWith(so, "order-id", evInt(), "container-type", blank)), "container-type")
		}
	}
	if evEntryState(t, entry) != "pending" || evTicketState(t, ticket) != "reserved" {
		t.Fatalf("refused claims changed states: %s %s", evEntryState(t, entry), evTicketState(t, ticket))
	}
}

// Claims their order no longer explains are repaired, by the action and by
// the periodic job, asking cart about each order.
func TestEventsReconcileClaims(t *testing.T) {
	p, urls := platformWith(t, host.Options{}, "events", "cart")
	b := urls["events"]
	cal, _ := evCalendar(t, "page", evInt(), "Reconciled")
	entry, tt, _ := evEvent(t, 10, 50)
	user := evInt()
	// One claimed entry and one claimed ticket per order, last changed an
	// hour ago unless fresh.
	claim := func(order int64, fresh bool) (int64, int64) {
		age := "1 hour"
		if fresh {
			age = "1 second"
		}
		e := scalar[int64](t, `insert into calendar_entries (calendar_id, name, start_at, state, user_id, order_id, updated_at)
			values ($1, 'Claimed', now() + interval '30 days', 'ordered', $2, $3, now() - $4::interval) returning id`, cal, user, order, age)
		tk := scalar[int64](t, `insert into tickets (entry_id, ticket_type_id, code, state, price, user_id, order_id, updated_at)
			values ($1, $2, md5(random()::text), 'ordered', 10, $3, $4, now() - $5::interval) returning id`, entry, tt, user, order, age)
		return e, tk
	}
	order := func(status string) int64 {
		return scalar[int64](t, `insert into orders (user_id, status, paid_at) values ($1, $2, case when $2 = 'paid' then now() end)
			returning id`, user, status)
	}
	missing := evInt()
	failed, pending, paid, cancelled := order("failed"), order("pending"), order("paid"), order("cancelled")
	// A failed order that also has a confirmed ticket is past releasing: it
	// is left alone and does not stop the run.
	mixed := order("failed")
	eMixed, _ := claim(mixed, false)
	// An order whose release fails (a trigger refuses it) is counted as
	// failed and skipped; the others are still repaired.
	broken := order("expired")
	eBroken, _ := claim(broken, false)
	fn, trig := "evfail_"+strings.ReplaceAll(uniq(t), "-", "_"), "evtrig_"+strings.ReplaceAll(uniq(t), "-", "_")
	exec(t, fmt.Sprintf(`create function %s() returns trigger language plpgsql as $$
		begin raise exception 'release refused for the test'; end $$`, fn))
	exec(t, fmt.Sprintf(`create trigger %s before update on calendar_entries for each row
		when (old.order_id = %d) execute function %s()`, trig, broken, fn))
	t.Cleanup(func() {
		exec(t, fmt.Sprintf("drop trigger if exists %s on calendar_entries", trig))
		exec(t, fmt.Sprintf("drop function if exists %s()", fn))
	})
	scalar[int64](t, `insert into tickets (entry_id, ticket_type_id, code, state, price, user_id, order_id)
		values ($1, $2, md5(random()::text), 'confirmed', 10, $3, $4) returning id`, entry, tt, user, mixed)
	eMissing, tMissing := claim(missing, false)
	eFailed, tFailed := claim(failed, false)
	ePending, tPending := claim(pending, false)
	ePaid, tPaid := claim(paid, false)
	eFresh, tFresh := claim(cancelled, true)

	r := evOK(t, action(t, b, "reconcile-claims", map[string]any{"older-than": 30}))
	if num(t, r["released"]) < 2 || num(t, r["confirmed"]) < 1 || num(t, r["failed"]) < 1 {
		t.Fatalf("reconcile-claims: %v", r)
	}
	if es := evEntryState(t, eBroken); es != "ordered" {
		t.Errorf("the order whose release failed: entry %s, want it left ordered", es)
	}
	for _, c := range []struct {
		what          string
		entry, ticket int64
		entryState    string
		ticketState   string
	}{
		{"an order cart does not know", eMissing, tMissing, "pending", "reserved"},
		{"a failed order", eFailed, tFailed, "pending", "reserved"},
		{"a pending order", ePending, tPending, "ordered", "ordered"},
		{"a paid order", ePaid, tPaid, "confirmed", "confirmed"},
		{"a claim younger than older-than", eFresh, tFresh, "ordered", "ordered"},
	} {
		if es, ts := evEntryState(t, c.entry), evTicketState(t, c.ticket); es != c.entryState || ts != c.ticketState {
			t.Errorf("%s: entry %s, ticket %s; want %s and %s", c.what, es, ts, c.entryState, c.ticketState)
		}
	}
	if es := evEntryState(t, eMixed); es != "ordered" {
		t.Errorf("a failed order with a confirmed ticket: its claimed entry is %s, want it left ordered", es)
	}
	// A repeat leaves ours as they are (the pending order's claims stay
	// claimed, the paid order's stay confirmed).
	evOK(t, action(t, b, "reconcile-claims", map[string]any{"older-than": 30}))
	if evEntryState(t, ePending) != "ordered" || evTicketState(t, tPending) != "ordered" ||
		evEntryState(t, ePaid) != "confirmed" || evEntryState(t, eMissing) != "pending" {
		t.Fatal("a repeat changed reconciled claims")
	}
	wantBadParam(t, action(t, b, "reconcile-claims", map[string]any{"older-than": 0}), "older-than")
	wantBadParam(t, action(t, b, "reconcile-claims", map[string]any{"limit": 0}), "limit")

	// The job does the same for claims older than 30 minutes.
	exec(t, "update orders set status = 'expired' where id = $1", pending)
	if ran, err := p.Service("events").RunJob(context.Background(), "reconcile-stale-claims"); !ran || err != nil {
		t.Fatalf("the job: ran %v, %v", ran, err)
	}
	if es, ts := evEntryState(t, ePending), evTicketState(t, tPending); es != "pending" || ts != "reserved" {
		t.Errorf("the job left an expired order's claims: entry %s, ticket %s", es, ts)
	}
}

// A ticket type is sold only within its sale window (migration 0014): before
// sale_starts_at and from sale_ends_at reserve-tickets is a 409 saying so,
// nothing is reserved, and ticket-types-for-entry says :on_sale false.
func TestEventsTicketSaleWindow(t *testing.T) {
	b := evURL(t)
	entry, tt, _ := evEvent(t, 10, 5)
	owner := map[string]any{"session-id": evSession(t)}
	body := map[string]any{"ticket-type-id": tt, "quantity": 1, "session-id": owner["session-id"]}
	onSale := func() any {
		types := wantArr(t, query(t, b, "ticket-types-for-entry", fmt.Sprintf("entry-id=%d", entry)))
		return types[0].(map[string]any)["on_sale"]
	}
	exec(t, "update ticket_types set sale_starts_at = now() + interval '1 day' where id = $1", tt)
	wantError(t, action(t, b, "reserve-tickets", body), 409, "Standard tickets are on sale from ")
	if onSale() != false {
		t.Fatal("on_sale before the window")
	}
	exec(t, "update ticket_types set sale_starts_at = now() - interval '2 days', sale_ends_at = now() - interval '1 day' where id = $1", tt)
	wantError(t, action(t, b, "reserve-tickets", body), 409, "the sale of Standard tickets ended at ")
	if n := scalar[int](t, "select count(*) from tickets where ticket_type_id = $1", tt); n != 0 {
		t.Fatalf("%d tickets reserved outside the window", n)
	}
	exec(t, "update ticket_types set sale_ends_at = now() + interval '1 day' where id = $1", tt)
	if ids := evReserve(t, b, owner, tt, 1); len(ids) != 1 || onSale() != true {
		t.Fatalf("within the window: %v", ids)
	}
	// The window must be a window.
	if _, err := db.Exec(context.Background(), "update ticket_types set sale_ends_at = sale_starts_at where id = $1", tt); err == nil {
		t.Fatal("an empty window was stored")
	}
}
