package sitetest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The events admin (issue 16, services/events/admin.sx) over HTTP: every
// route refuses outsiders, every form writes (with its audit row), refuses
// bad fields with a 400 naming them and writing nothing, and a stale
// version with a 409.

// shopStaff signs in a new user of its own with roles (and is_admin when
// admin) on every service.
func shopStaff(t testing.TB, slug string, admin bool, roles ...string) *visitor {
	t.Helper()
	slug = fmt.Sprintf("%s-%d", slug, time.Now().UnixNano())
	var id int
	if err := db.QueryRow(context.Background(), `insert into users (email, name, slug, is_admin, roles)
		values ($1, $2, $3, $4, coalesce($5, array[]::text[])) returning id`, slug+"@test.example", "Staff "+slug, slug, admin, roles).Scan(&id); err != nil {
		t.Fatal(err)
	}
	rl := make([]any, len(roles))
	for i, r := range roles {
		rl[i] = r
	}
	u := map[string]any{"id": id, "name": "Staff " + slug, "email": slug + "@test.example", "admin": admin, "roles": rl}
	v := &visitor{who: slug, cookies: map[string]string{}, csrf: map[string]string{}}
	for _, s := range serviceNames {
		name, value, csrf := plat.VisitorSession(s, u)
		v.cookies[s] = name + "=" + value
		v.csrf[s] = csrf
	}
	return v
}

// shopAnon is an anonymous visitor with a session (and so a CSRF token):
// its POSTs meet the sign-in check, not the CSRF one.
func shopAnon() *visitor {
	v := &visitor{cookies: map[string]string{}, csrf: map[string]string{}}
	for _, s := range serviceNames {
		name, value, csrf := plat.VisitorSession(s, nil)
		v.cookies[s] = name + "=" + value
		v.csrf[s] = csrf
	}
	return v
}

type shopRoute struct{ method, path string }

// shopRefuses checks that anonymous visitors are sent to sign in and
// members without the role get a 403, for every route.
func shopRefuses(t *testing.T, service string, routes []shopRoute) {
	t.Helper()
	anonymous, member := shopAnon(), as("ben")
	for _, r := range routes {
		var a, m page
		if r.method == "GET" {
			a, m = anonymous.get(t, service, r.path), member.get(t, service, r.path)
		} else {
			a, m = anonymous.post(t, service, r.path, url.Values{"version": {"1"}}), member.post(t, service, r.path, url.Values{"version": {"1"}})
		}
		if a.Status != 303 || !strings.Contains(a.Header.Get("Location"), "/auth/login?next=") {
			t.Errorf("anonymous %s %s%s: %d %q, want 303 to sign in", r.method, service, r.path, a.Status, a.Header.Get("Location"))
		}
		if m.Status != 403 {
			t.Errorf("member %s %s%s: %d, want 403", r.method, service, r.path, m.Status)
		}
	}
}

var shopIDInPath = regexp.MustCompile(`/(\d+)/$`)

// shopCreated is the id in the Location of a create's redirect.
func shopCreated(t testing.TB, p page, what string) int {
	t.Helper()
	if p.Status != 303 {
		t.Fatalf("%s: status %d, want 303\n%s", what, p.Status, clip(p.Body))
	}
	m := shopIDInPath.FindStringSubmatch(p.Header.Get("Location"))
	if m == nil {
		t.Fatalf("%s: redirect to %q", what, p.Header.Get("Location"))
	}
	return mustAtoi(t, m[1])
}

var shopVersionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

// shopVersion is the version the first form of a page edits.
func shopVersion(t testing.TB, p page) string {
	t.Helper()
	m := shopVersionRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no version in the page\n%s", clip(p.Body))
	}
	return m[1]
}

func shopAudits(t testing.TB, objectType string, id int, action string) int {
	return scalar[int](t, `select count(*) from audit_log where object_type = $1 and object_id = $2 and action = $3`,
		objectType, fmt.Sprint(id), action)
}

func TestEventsAdminRefusesOutsiders(t *testing.T) {
	t.Parallel()
	hall := scalar[int](t, `select id from calendars where slug = 'hall'`)
	slot := scalar[int](t, `select min(id) from calendar_slots where calendar_id = $1`, hall)
	supper := scalar[int](t, `select id from calendar_entries where name = 'Spring supper'`)
	adult := scalar[int](t, `select id from ticket_types where entry_id = $1 and name = 'Adult'`, supper)
	c, s, e, tt := fmt.Sprint(hall), fmt.Sprint(slot), fmt.Sprint(supper), fmt.Sprint(adult)
	shopRefuses(t, "events", []shopRoute{
		{"GET", "/admin/"}, {"GET", "/admin/calendars/new/"}, {"POST", "/admin/calendars/new"},
		{"GET", "/admin/calendars/" + c + "/"}, {"POST", "/admin/calendars/" + c}, {"POST", "/admin/calendars/" + c + "/delete"},
		{"GET", "/admin/calendars/" + c + "/slots/new/"}, {"POST", "/admin/calendars/" + c + "/slots/new"},
		{"GET", "/admin/slots/" + s + "/"}, {"POST", "/admin/slots/" + s}, {"POST", "/admin/slots/" + s + "/delete"},
		{"GET", "/admin/calendars/" + c + "/entries/new/"}, {"POST", "/admin/calendars/" + c + "/entries/new"},
		{"GET", "/admin/entries/" + e + "/"}, {"POST", "/admin/entries/" + e}, {"POST", "/admin/entries/" + e + "/cancel"},
		{"POST", "/admin/entries/" + e + "/posts"}, {"POST", "/admin/entries/" + e + "/posts/1/unlink"},
		{"GET", "/admin/entries/" + e + "/ticket-types/new/"}, {"POST", "/admin/entries/" + e + "/ticket-types/new"},
		{"GET", "/admin/ticket-types/" + tt + "/"}, {"POST", "/admin/ticket-types/" + tt}, {"POST", "/admin/ticket-types/" + tt + "/delete"},
		{"GET", "/admin/entries/" + e + "/attendees/"}, {"GET", "/admin/entries/" + e + "/attendees.csv"},
		{"GET", "/admin/check-in/"}, {"POST", "/admin/check-in"},
	})
	// An organiser (not an administrator) may; so may an administrator.
	shopStaff(t, "org", false, "organiser").get(t, "events", "/admin/").want(t, "organiser", 200, "<h1>Events</h1>", "Village hall")
	as("ada").get(t, "events", "/admin/").want(t, "admin", 200, "Village hall")
	// An editor is not an organiser.
	if st := shopStaff(t, "ed", false, "editor").get(t, "events", "/admin/").Status; st != 403 {
		t.Fatalf("editor: %d, want 403", st)
	}
	// A POST without the session's CSRF token changes nothing.
	org := shopStaff(t, "orgcsrf", false, "organiser")
	if p := org.post(t, "events", "/admin/calendars/new", url.Values{"csrf_token": {"wrong"}, "name": {"X"}}); p.Status != 403 {
		t.Fatalf("wrong CSRF token: %d", p.Status)
	}
}

func TestEventsAdminCalendarLifecycle(t *testing.T) {
	t.Parallel()
	org := shopStaff(t, "cal", false, "organiser")
	page := scalar[int](t, `select id from posts where slug = 'whats-on'`)
	before := scalar[int](t, `select count(*) from calendars where name in ('', 'Pop-up', 'Hall again')`)

	// 400 naming the field, nothing written.
	bad := org.post(t, "events", "/admin/calendars/new", url.Values{"name": {""}, "page-id": {fmt.Sprint(page)}})
	bad.want(t, "blank name", 400, "Nothing was saved", "name: must not be empty", `aria-invalid="true"`)
	org.post(t, "events", "/admin/calendars/new", url.Values{"name": {"Pop-up"}, "slug": {"Not A Slug"}, "page-id": {fmt.Sprint(page)}}).
		want(t, "bad slug", 400, "slug: must be lower-case letters")
	org.post(t, "events", "/admin/calendars/new", url.Values{"name": {"Pop-up"}, "page-id": {"999999"}}).
		want(t, "unknown page", 400, "page-id: is not one of the choices")
	org.post(t, "events", "/admin/calendars/new", url.Values{"name": {"Hall again"}, "slug": {"hall"}, "page-id": {fmt.Sprint(page)}}).
		want(t, "slug taken", 400, "slug: hall is already a calendar of that page")
	if n := scalar[int](t, `select count(*) from calendars where name in ('', 'Pop-up', 'Hall again')`); n != before {
		t.Fatalf("refused forms wrote %d calendars", n-before)
	}

	slug := fmt.Sprintf("pop-up-%d", time.Now().UnixNano())
	id := shopCreated(t, org.shopKeep("events", org.post(t, "events", "/admin/calendars/new", url.Values{"name": {"Pop-up kitchen"}, "slug": {slug},
		"description": {"Evenings <b>out</b>"}, "page-id": {fmt.Sprint(page)}})), "create calendar")
	if got := scalar[string](t, `select name || '|' || container_type || '|' || container_id from calendars where id = $1`, id); got != fmt.Sprintf("Pop-up kitchen|page|%d", page) {
		t.Fatalf("calendar row: %s", got)
	}
	if n := scalar[int](t, `select count(*) from container_relations where parent_type = 'page' and parent_id = $1
		and child_type = 'calendar' and child_id = $2 and deleted_at is null`, page, id); n != 1 {
		t.Fatalf("calendar not attached to its page: %d", n)
	}
	if shopAudits(t, "calendar", id, "calendar.create") != 1 {
		t.Fatal("no audit row for the create")
	}
	edit := org.get(t, "events", fmt.Sprintf("/admin/calendars/%d/", id)).want(t, "edit page", 200,
		"Calendar created.", `value="Pop-up kitchen"`, "Evenings &lt;b&gt;out&lt;/b&gt;", "Weekly slots", "calendar.create")
	v1 := shopVersion(t, edit)
	// Another organiser saves first; the first one's save is then stale.
	org.post(t, "events", fmt.Sprintf("/admin/calendars/%d", id), url.Values{"version": {v1}, "name": {"Pop-up kitchen (autumn)"},
		"slug": {slug}, "page-id": {fmt.Sprint(page)}}).want(t, "save", 303)
	stale := org.post(t, "events", fmt.Sprintf("/admin/calendars/%d", id), url.Values{"version": {v1}, "name": {"Lost edit"},
		"slug": {slug}, "page-id": {fmt.Sprint(page)}})
	stale.want(t, "stale save", 409, "changed by someone else", `value="Lost edit"`)
	if got := scalar[string](t, `select name from calendars where id = $1`, id); got != "Pop-up kitchen (autumn)" {
		t.Fatalf("stale save wrote: %s", got)
	}
	if shopAudits(t, "calendar", id, "calendar.update") != 1 {
		t.Fatal("want one update audited")
	}

	// A weekly slot.
	c := fmt.Sprint(id)
	org.post(t, "events", "/admin/calendars/"+c+"/slots/new", url.Values{"weekday": {"3"}, "start-time": {"18:00"}, "end-time": {"17:00"}}).
		want(t, "slot ends before it starts", 400, "end-time: must be after the start")
	org.post(t, "events", "/admin/calendars/"+c+"/slots/new", url.Values{"weekday": {"9"}, "start-time": {"18:00"}, "end-time": {"20:00"}}).
		want(t, "bad weekday", 400, "weekday: is not one of the choices")
	org.post(t, "events", "/admin/calendars/"+c+"/slots/new", url.Values{"weekday": {"3"}, "start-time": {"18:00"}, "end-time": {"20:00"},
		"capacity": {"0"}}).want(t, "no places", 400, "capacity: must be a whole number from 1")
	if n := scalar[int](t, `select count(*) from calendar_slots where calendar_id = $1`, id); n != 0 {
		t.Fatalf("refused slots wrote %d", n)
	}
	org.post(t, "events", "/admin/calendars/"+c+"/slots/new", url.Values{"weekday": {"3"}, "start-time": {"18:00"}, "end-time": {"20:00"},
		"name": {"Supper club"}, "cost": {"6.50"}, "capacity": {"12"}}).want(t, "add slot", 303)
	slot := scalar[int](t, `select id from calendar_slots where calendar_id = $1`, id)
	if got := scalar[string](t, `select weekday || ' ' || start_time || ' ' || end_time || ' ' || cost || ' ' || capacity from calendar_slots where id = $1`, slot); got != "3 18:00:00 20:00:00 6.50 12" {
		t.Fatalf("slot row: %s", got)
	}
	sv := shopVersion(t, org.get(t, "events", fmt.Sprintf("/admin/slots/%d/", slot)).want(t, "slot page", 200, `value="18:00"`, "Supper club"))
	org.post(t, "events", fmt.Sprintf("/admin/slots/%d", slot), url.Values{"version": {sv}, "weekday": {"4"}, "start-time": {"18:00"},
		"end-time": {"21:00"}, "cost": {"6.505"}}).want(t, "three decimals", 400, "cost: must be an amount")
	org.post(t, "events", fmt.Sprintf("/admin/slots/%d", slot), url.Values{"version": {sv}, "weekday": {"4"}, "start-time": {"18:00"},
		"end-time": {"21:00"}, "capacity": {"10"}}).want(t, "save slot", 303)
	org.post(t, "events", fmt.Sprintf("/admin/slots/%d", slot), url.Values{"version": {sv}, "weekday": {"5"}, "start-time": {"18:00"},
		"end-time": {"21:00"}}).want(t, "stale slot", 409, "changed by someone else")
	if got := scalar[int](t, `select weekday from calendar_slots where id = $1`, slot); got != 4 {
		t.Fatalf("weekday %d", got)
	}
	sv2 := shopVersion(t, org.get(t, "events", fmt.Sprintf("/admin/slots/%d/", slot)).want(t, "slot page", 200))
	org.post(t, "events", fmt.Sprintf("/admin/slots/%d/delete", slot), url.Values{"version": {sv}}).want(t, "stale slot delete", 409)
	org.post(t, "events", fmt.Sprintf("/admin/slots/%d/delete", slot), url.Values{"version": {sv2}}).want(t, "slot delete", 303)
	if !scalar[bool](t, `select deleted_at is not null from calendar_slots where id = $1`, slot) ||
		shopAudits(t, "slot", slot, "slot.delete") != 1 || shopAudits(t, "slot", slot, "slot.update") != 1 {
		t.Fatal("slot not deleted or not audited")
	}

	// An event with a ticket type, shown on the site.
	start := time.Now().UTC().Add(30*24*time.Hour).Format("2006-01-02") + "T19:30"
	org.post(t, "events", "/admin/calendars/"+c+"/entries/new", url.Values{"name": {"Curry night"}, "start-at": {"tomorrow"}, "state": {"confirmed"}}).
		want(t, "bad start", 400, "start-at: must be a date and time")
	org.post(t, "events", "/admin/calendars/"+c+"/entries/new", url.Values{"name": {"Curry night"}, "start-at": {start},
		"end-at": {strings.Replace(start, "19:30", "18:00", 1)}, "state": {"confirmed"}}).want(t, "ends before", 400, "end-at: must not be before the start")
	entry := shopCreated(t, org.post(t, "events", "/admin/calendars/"+c+"/entries/new", url.Values{"name": {"Curry night"},
		"start-at": {start}, "end-at": {strings.Replace(start, "19:30", "22:00", 1)}, "state": {"confirmed"}}), "create entry")
	e := fmt.Sprint(entry)
	org.post(t, "events", "/admin/entries/"+e+"/ticket-types/new", url.Values{"name": {"Diner"}, "price": {"-3"}, "count": {"20"}}).
		want(t, "negative price", 400, "price: must be an amount")
	org.post(t, "events", "/admin/entries/"+e+"/ticket-types/new", url.Values{"name": {"Diner"}, "price": {"12"}, "count": {"20"},
		"sale-starts-at": {start}, "sale-ends-at": {strings.Replace(start, "19:30", "10:00", 1)}}).
		want(t, "sale ends before it starts", 400, "sale-ends-at: must be after the sale starts")
	org.post(t, "events", "/admin/entries/"+e+"/ticket-types/new", url.Values{"name": {"Diner"}, "price": {"12"}, "count": {"20"}}).
		want(t, "add ticket type", 303)
	org.post(t, "events", "/admin/entries/"+e+"/ticket-types/new", url.Values{"name": {"Diner"}, "price": {"9"}, "count": {"5"}}).
		want(t, "same name", 400, "name: the event already has a ticket type Diner")
	tt := scalar[int](t, `select id from ticket_types where entry_id = $1 and deleted_at is null`, entry)
	if scalar[int](t, `select count(*) from ticket_types where entry_id = $1`, entry) != 1 || shopAudits(t, "ticket-type", tt, "ticket-type.create") != 1 {
		t.Fatal("ticket types written by refused forms, or the create not audited")
	}
	pageSlug := "whats-on"
	anon.get(t, "events", fmt.Sprintf("/%s/calendar/%s/entry/%d/", pageSlug, slug, entry)).
		want(t, "public event", 200, "Curry night", "Diner", "£12.00", "20 left", "Add to cart")
	// A post about it.
	org.post(t, "events", "/admin/entries/"+e+"/posts", url.Values{"slug": {"no-such-post"}}).want(t, "unknown post", 400, "slug: there is no post no-such-post")
	org.shopKeep("events", org.post(t, "events", "/admin/entries/"+e+"/posts", url.Values{"slug": {"spring-supper"}})).want(t, "link post", 303)
	org.get(t, "events", "/admin/entries/"+e+"/").want(t, "linked", 200, "Post linked.", "Spring supper", "Unlink")
	post := scalar[int](t, `select id from posts where slug = 'spring-supper'`)
	org.post(t, "events", fmt.Sprintf("/admin/entries/%s/posts/%d/unlink", e, post), nil).want(t, "unlink", 303)
	if n := scalar[int](t, `select count(*) from calendar_entry_posts where entry_id = $1`, entry); n != 0 {
		t.Fatalf("post still linked: %d", n)
	}
	// Stale edits of the entry and the ticket type are refused.
	ev := shopVersion(t, org.get(t, "events", "/admin/entries/"+e+"/").want(t, "entry page", 200))
	org.post(t, "events", "/admin/entries/"+e, url.Values{"version": {ev}, "name": {"Curry night!"}, "start-at": {start}, "state": {"confirmed"}}).want(t, "save entry", 303)
	org.post(t, "events", "/admin/entries/"+e, url.Values{"version": {ev}, "name": {"Lost"}, "start-at": {start}, "state": {"confirmed"}}).want(t, "stale entry", 409)
	tv := shopVersion(t, org.get(t, "events", fmt.Sprintf("/admin/ticket-types/%d/", tt)).want(t, "ticket type page", 200, `value="Diner"`, `value="12.00"`))
	org.post(t, "events", fmt.Sprintf("/admin/ticket-types/%d", tt), url.Values{"version": {tv}, "name": {"Diner"}, "price": {"14"}, "count": {"30"}}).want(t, "save type", 303)
	org.post(t, "events", fmt.Sprintf("/admin/ticket-types/%d", tt), url.Values{"version": {tv}, "name": {"Diner"}, "price": {"1"}, "count": {"30"}}).want(t, "stale type", 409)
	if got := scalar[string](t, `select price::text || ' ' || count from ticket_types where id = $1`, tt); got != "14.00 30" {
		t.Fatalf("ticket type: %s", got)
	}
	// Cancelling the event takes it off the site.
	ev2 := shopVersion(t, org.get(t, "events", "/admin/entries/"+e+"/").want(t, "entry page", 200))
	org.post(t, "events", "/admin/entries/"+e+"/cancel", url.Values{"version": {ev}}).want(t, "stale cancel", 409)
	org.post(t, "events", "/admin/entries/"+e+"/cancel", url.Values{"version": {ev2}}).want(t, "cancel", 303)
	anon.get(t, "events", fmt.Sprintf("/%s/calendar/%s/entry/%d/", pageSlug, slug, entry)).want(t, "cancelled event", 404)
	// Deleting the calendar (stale first).
	cv := shopVersion(t, org.get(t, "events", "/admin/calendars/"+c+"/").want(t, "calendar page", 200))
	org.post(t, "events", "/admin/calendars/"+c+"/delete", url.Values{"version": {v1}}).want(t, "stale delete", 409)
	org.post(t, "events", "/admin/calendars/"+c+"/delete", url.Values{"version": {cv}}).want(t, "delete", 303)
	anon.get(t, "events", fmt.Sprintf("/%s/calendar/%s/", pageSlug, slug)).want(t, "deleted calendar", 404)
	if shopAudits(t, "calendar", id, "calendar.delete") != 1 {
		t.Fatal("delete not audited")
	}
}

// shopAttendee adds a member of its own for a test's tickets: the seed's
// members' ticket counts are asserted by tests running in parallel.
func shopAttendee(t *testing.T) (id int, name, email string) {
	t.Helper()
	slug := fmt.Sprintf("guest-%d", time.Now().UnixNano())
	name, email = "Guest "+slug, slug+"@test.example"
	if err := db.QueryRow(context.Background(), `insert into users (email, name, slug) values ($1, $2, $3) returning id`,
		email, name, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id, name, email
}

// shopTicket writes a ticket of the seed's spring supper for holder.
func shopTicket(t *testing.T, holder int, state string) string {
	t.Helper()
	code := fmt.Sprintf("t%x", time.Now().UnixNano())
	exec(t, `insert into tickets (entry_id, ticket_type_id, code, state, price, user_id)
		select tt.entry_id, tt.id, $1, $2, tt.price, $3
		  from ticket_types tt join calendar_entries e on e.id = tt.entry_id
		 where e.name = 'Spring supper' and tt.name = 'Adult'`, code, state, holder)
	return code
}

func TestEventsAdminCheckInOnce(t *testing.T) {
	t.Parallel()
	org := shopStaff(t, "door", false, "organiser")
	holder, _, _ := shopAttendee(t)
	supper := scalar[int](t, `select id from calendar_entries where name = 'Spring supper'`)
	code := shopTicket(t, holder, "confirmed")
	org.get(t, "events", fmt.Sprintf("/admin/check-in/?entry=%d", supper)).want(t, "door page", 200,
		"Door check-in", "Spring supper", `name="code"`, "checkin.", `id="check-in-camera"`)
	// Typed with capitals and a dash: the same code.
	typed := strings.ToUpper(code[:4]) + "-" + code[4:]
	org.post(t, "events", "/admin/check-in", url.Values{"code": {typed}, "entry": {fmt.Sprint(supper)}}).
		want(t, "first check-in", 200, "Checked in: Adult", "Spring supper")
	if st := scalar[string](t, `select state from tickets where code = $1`, code); st != "used" {
		t.Fatalf("state %s", st)
	}
	again := org.post(t, "events", "/admin/check-in", url.Values{"code": {code}, "entry": {fmt.Sprint(supper)}})
	again.want(t, "second check-in", 409, "Already checked in at ")
	at := scalar[time.Time](t, `select checked_in_at from tickets where code = $1`, code)
	if !strings.Contains(again.Body, at.UTC().Format("15:04:05")) {
		t.Fatalf("the answer does not say when (%s)\n%s", at.UTC().Format("15:04:05"), clip(again.Body))
	}
	if n := shopAudits(t, "ticket", scalar[int](t, `select id from tickets where code = $1`, code), "ticket.check-in"); n != 1 {
		t.Fatalf("%d check-ins audited", n)
	}
	org.post(t, "events", "/admin/check-in", url.Values{"code": {"nosuchcode"}}).want(t, "unknown", 404, "No ticket with the code nosuchcode")
	unpaid := shopTicket(t, holder, "reserved")
	org.post(t, "events", "/admin/check-in", url.Values{"code": {unpaid}}).want(t, "not paid", 409, "Ticket is reserved, not confirmed")
	// A ticket of another event at this event's door: refused, not used.
	other := scalar[int](t, `select id from calendar_entries where name = 'Knife skills'`)
	wrong := shopTicket(t, holder, "confirmed")
	org.post(t, "events", "/admin/check-in", url.Values{"code": {wrong}, "entry": {fmt.Sprint(other)}}).
		want(t, "other event", 409, "This ticket is for Spring supper")
	if st := scalar[string](t, `select state from tickets where code = $1`, wrong); st != "confirmed" {
		t.Fatalf("refused ticket is %s", st)
	}
}

func TestEventsAdminAttendeesCSV(t *testing.T) {
	t.Parallel()
	org := shopStaff(t, "list", false, "organiser")
	holder, name, email := shopAttendee(t)
	supper := scalar[int](t, `select id from calendar_entries where name = 'Spring supper'`)
	code := shopTicket(t, holder, "confirmed")
	used := shopTicket(t, holder, "confirmed")
	org.post(t, "events", "/admin/check-in", url.Values{"code": {used}}).want(t, "check in", 200)
	hidden := shopTicket(t, holder, "reserved") // in a cart, not sold
	org.get(t, "events", fmt.Sprintf("/admin/entries/%d/attendees/", supper)).want(t, "attendees", 200,
		"Attendees: Spring supper", name, email, code, used, "Download CSV").lacks(t, "attendees", hidden)
	csv := org.get(t, "events", fmt.Sprintf("/admin/entries/%d/attendees.csv", supper)).want(t, "csv", 200,
		"Name,E-mail,Ticket type,Code,Price,State,Checked in at,Order\r\n",
		name+","+email+",Adult,"+code+",18.00,confirmed,,", name+","+email+",Adult,"+used+",18.00,used,20")
	csv.lacks(t, "csv", hidden)
	if ct := csv.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	if cd := csv.Header.Get("Content-Disposition"); !strings.Contains(cd, fmt.Sprintf(`attachment; filename="attendees-%d.csv"`, supper)) {
		t.Fatalf("content disposition %q", cd)
	}
}

func TestEventsAdminSaleWindow(t *testing.T) {
	t.Parallel()
	org := shopStaff(t, "sale", true)
	hall := scalar[int](t, `select id from calendars where slug = 'hall'`)
	start := time.Now().UTC().Add(40*24*time.Hour).Format("2006-01-02") + "T18:00"
	entry := shopCreated(t, org.post(t, "events", fmt.Sprintf("/admin/calendars/%d/entries/new", hall), url.Values{
		"name": {"Harvest dance"}, "start-at": {start}, "state": {"confirmed"}}), "entry")
	opens := time.Now().UTC().Add(10*24*time.Hour).Format("2006-01-02") + "T09:00"
	org.post(t, "events", fmt.Sprintf("/admin/entries/%d/ticket-types/new", entry), url.Values{"name": {"Early"}, "price": {"5"},
		"count": {"10"}, "sale-starts-at": {opens}}).want(t, "later sale", 303)
	tt := scalar[int](t, `select id from ticket_types where entry_id = $1`, entry)
	p := anon.get(t, "events", fmt.Sprintf("/whats-on/calendar/hall/entry/%d/", entry)).want(t, "not yet on sale", 200, "Early tickets are on sale from 09:00")
	p.lacks(t, "not yet on sale", "Add Early tickets to cart")
	r := shopAnon().post(t, "events", fmt.Sprintf("/whats-on/calendar/hall/entry/%d/tickets", entry), url.Values{"ticket-type-id": {fmt.Sprint(tt)}, "quantity": {"1"}})
	if r.Status != 409 || scalar[int](t, `select count(*) from tickets where ticket_type_id = $1`, tt) != 0 {
		t.Fatalf("bought before the sale: %d", r.Status)
	}
	exec(t, `update ticket_types set sale_starts_at = now() - interval '2 days', sale_ends_at = now() - interval '1 day' where id = $1`, tt)
	anon.get(t, "events", fmt.Sprintf("/whats-on/calendar/hall/entry/%d/", entry)).want(t, "sale over", 200, "The sale of Early tickets ended")
}

// shopKeep keeps the session cookie an answer set (a flash message lives
// in the session until the next page), as a browser does.
func (v *visitor) shopKeep(service string, p page) page {
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if strings.HasPrefix(c.Name, "sx_session_") {
			v.cookies[service] = c.Name + "=" + c.Value
		}
	}
	return p
}

// shopAdminPages are the market and events admin pages for the
// accessibility test and make screenshots, as an administrator sees them.
func shopAdminPages(t *testing.T) []sitePage {
	t.Helper()
	market := scalar[int](t, `select id from market_places where slug = 'suma-market'`)
	oats := scalar[int](t, `select id from products where slug = 'organic-oats-1kg'`)
	hall := scalar[int](t, `select id from calendars where slug = 'hall'`)
	supper := scalar[int](t, `select id from calendar_entries where name = 'Spring supper'`)
	adult := scalar[int](t, `select id from ticket_types where entry_id = $1 and name = 'Adult'`, supper)
	return []sitePage{
		{"admin-market", "market", "/admin/", "ada"},
		{"admin-market-edit", "market", fmt.Sprintf("/admin/markets/%d/", market), "ada"},
		{"admin-market-product", "market", fmt.Sprintf("/admin/products/%d/", oats), "ada"},
		{"admin-market-import", "market", fmt.Sprintf("/admin/markets/%d/import/", market), "ada"},
		{"admin-events", "events", "/admin/", "ada"},
		{"admin-events-calendar", "events", fmt.Sprintf("/admin/calendars/%d/", hall), "ada"},
		{"admin-events-entry", "events", fmt.Sprintf("/admin/entries/%d/", supper), "ada"},
		{"admin-events-ticket-type", "events", fmt.Sprintf("/admin/ticket-types/%d/", adult), "ada"},
		{"admin-events-attendees", "events", fmt.Sprintf("/admin/entries/%d/attendees/", supper), "ada"},
		{"admin-events-check-in", "events", fmt.Sprintf("/admin/check-in/?entry=%d", supper), "ada"},
		{"admin-blog-posts", "blog", "/admin/posts/", "ada"},
		{"admin-blog-post", "blog", fmt.Sprintf("/admin/posts/%d/", scalar[int](t, `select id from posts where slug = 'bread-week'`)), "ada"},
		{"admin-blog-post-new", "blog", "/admin/posts/new/", "ada"},
	}
}
