package sites_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestEventsCalendars(t *testing.T) {
	u := shared(t)
	// The next public event of the page's calendars (other tests add some).
	next := scalar[string](t, `select e.name from calendar_entries e join calendars c on c.id = e.calendar_id
	                           join posts p on p.id = c.container_id and c.container_type = 'page'
	                           where p.slug = 'whats-on' and e.user_id is null and e.session_id is null
	                             and e.deleted_at is null and e.state <> 'cancelled' and coalesce(e.end_at, e.start_at) >= now()
	                           order by e.start_at, e.id limit 1`)
	for _, v := range []*visitor{newVisitor(t), member(t, u, "events"), admin(t, u, "events")} {
		v.get(u["events"]+"/whats-on/calendars/").want(200).has("<h1>Calendars of What's on</h1>",
			`href="/whats-on/calendar/hall/"`, "Village hall", "Bookings for the co-op hall", "Coming up",
			textEscaper.Replace(next))
	}
	newVisitor(t).get(u["events"] + "/nowhere/calendars/").want(404)
}

func TestEventsMonth(t *testing.T) {
	u := shared(t)
	supper := scalar[time.Time](t, "select start_at from calendar_entries where name = 'Spring supper'").UTC()
	month := supper.Format("2006-01")
	v := newVisitor(t)
	page := v.get(u["events"] + "/whats-on/calendar/hall/?month=" + month).want(200)
	page.has("<h1>Village hall</h1>", "<h2 id=\"month-title\">"+supper.Format("January 2006")+"</h2>",
		`href="/whats-on/calendar/hall/entry/`+itoa(supperID(t))+`/"`, "Spring supper",
		`sx-target="#month"`, `sx-push-url="true"`, `<abbr title="Monday">Mon</abbr>`,
		`href="/whats-on/calendar/hall/day/`+supper.Format("2006/01/02")+`/"`, "Weekly slots",
		"Saturday 10:00–12:00: Saturday bread class, £12.50", "calendar.ics")
	// Private bookings (the seed's anonymous bread class) are not shown.
	page.lacks(">Saturday bread class</a>")
	prev := supper.AddDate(0, -1, 0)
	page.has(`href="/whats-on/calendar/hall/?month=` + prev.Format("2006-01") + `"`)
	// The runtime asks for the month alone.
	r := v.get(u["events"]+"/whats-on/calendar/hall/?month="+prev.Format("2006-01"), "SX-Request", "true", "SX-Target", "month")
	r.want(200).has(`id=\"month\"`, prev.Format("January 2006")).lacks("<html", "Weekly slots")
	v.get(u["events"] + "/whats-on/calendar/hall/?month=2026-13").want(400)
	v.get(u["events"] + "/whats-on/calendar/hall/?month=x").want(400)
	v.get(u["events"] + "/whats-on/calendar/nope/").want(404)
	member(t, u, "events").get(u["events"] + "/whats-on/calendar/hall/").want(200)
	admin(t, u, "events").get(u["events"] + "/whats-on/calendar/hall/").want(200)
}

// nextSaturday is a Saturday at least a week ahead, as YYYY/MM/DD.
func nextSaturday() time.Time {
	d := time.Now().UTC().AddDate(0, 0, 8)
	for d.Weekday() != time.Saturday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func TestEventsDayAndBooking(t *testing.T) {
	u := shared(t)
	sat := nextSaturday()
	day := u["events"] + "/whats-on/calendar/hall/day/" + sat.Format("2006/01/02") + "/"
	v := newVisitor(t)
	page := v.get(day).want(200)
	page.has("<h1>"+sat.Format("Monday 2 January 2006")+"</h1>", "Saturday bread class", "10:00–12:00 UTC",
		"£12.50", "places left", `action="/whats-on/calendar/hall/day/`+sat.Format("2006/01/02")+`/book"`)
	left := placesLeft(t, page.Body)
	r := v.post(day+"book", day, url.Values{"slot-id": {slotID(t)}}, "SX-Request", "true").want(200)
	r.has("Booked Saturday bread class at 10:00", itoa(int64(left-1))+" places left", `sx-swap-oob="true"`,
		`<span class="cart-count">1</span>`)
	v.get(u["cart"]+"/whats-on/").want(200).has("Booking: Saturday bread class", "£12.50")
	// Without the runtime: back to the day with the message.
	r = v.post(day+"book", day, url.Values{"slot-id": {slotID(t)}}).want(303)
	if !strings.Contains(r.Header.Get("Location"), "message=") {
		t.Errorf("redirect %q", r.Header.Get("Location"))
	}
	v.post(day+"book", day, url.Values{"slot-id": {"999999"}}).want(400)
	// A weekday without slots; a date that does not exist.
	mon := sat.AddDate(0, 0, 2)
	v.get(u["events"] + "/whats-on/calendar/hall/day/" + mon.Format("2006/01/02") + "/").want(200).has("No slots on this day.")
	v.get(u["events"] + "/whats-on/calendar/hall/day/2026/02/30/").want(404)
	v.get(u["events"] + "/whats-on/calendar/hall/day/26/2/3/").want(404)
	member(t, u, "events").get(day).want(200)
	admin(t, u, "events").get(day).want(200)
}

func slotID(t *testing.T) string {
	return itoa(scalar[int64](t, "select id from calendar_slots where name = 'Saturday bread class'"))
}

var leftRE = regexp.MustCompile(`(\d+) places left`)

func placesLeft(t *testing.T, body string) int {
	t.Helper()
	m := leftRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no places left in the page")
	}
	n := 0
	for _, c := range m[1] {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestEventsEntry(t *testing.T) {
	u := shared(t)
	id := itoa(supperID(t))
	entry := u["events"] + "/whats-on/calendar/hall/entry/" + id + "/"
	for _, v := range []*visitor{newVisitor(t), member(t, u, "events"), admin(t, u, "events")} {
		v.get(entry).want(200).has("<h1>Spring supper</h1>", "19:00–22:00 UTC", "Village hall", "To be confirmed",
			"Adult", "£18.00", "Child", "£8.00", " left", `"@type":"Event"`, `"startDate":`,
			`<label for="qty-`, "event.ics", `/spring-supper/">Spring supper</a>`)
	}
	// A booking is not a public page.
	booking := scalar[int64](t, "select id from calendar_entries where session_id = 'demo-visitor' limit 1")
	newVisitor(t).get(u["events"] + "/whats-on/calendar/hall/entry/" + itoa(booking) + "/").want(404)
	newVisitor(t).get(u["events"] + "/whats-on/calendar/hall/entry/999999/").want(404)
}

func TestEventsReserveTickets(t *testing.T) {
	u := shared(t)
	id := itoa(supperID(t))
	entry := u["events"] + "/whats-on/calendar/hall/entry/" + id + "/"
	child := itoa(scalar[int64](t, "select id from ticket_types where name = 'Child'"))
	v := newVisitor(t)
	before := scalar[int64](t, "select count(*) from tickets where ticket_type_id = $1 and state <> 'cancelled'", child)
	r := v.post(entry+"tickets", entry, url.Values{"ticket-type-id": {child}, "quantity": {"3"}}, "SX-Request", "true").want(200)
	r.has("Added 3 Child tickets to your cart.", itoa(20-before-3)+" left", `<span class="cart-count">3</span>`)
	v.post(entry+"tickets", entry, url.Values{"ticket-type-id": {child}, "quantity": {"30"}}).want(400)
	v.post(entry+"tickets", entry, url.Values{"ticket-type-id": {"999999"}, "quantity": {"1"}}).want(400)
	r = v.post(entry+"tickets", entry, url.Values{"ticket-type-id": {child}, "quantity": {"1"}}).want(303)
	v.get(r.Header.Get("Location")).want(200).has("Added 1 Child ticket to your cart.")
}

func TestEventsTicketsPage(t *testing.T) {
	u := shared(t)
	// Anonymous: sent to sign in (the service's SSO client), coming back here.
	if a := newVisitor(t).get(u["events"] + "/tickets/").want(303); !strings.HasSuffix(a.Header.Get("Location"), "/auth/login?next=%2Ftickets%2F") {
		t.Errorf("anonymous visitor sent to %q", a.Header.Get("Location"))
	}
	ben := member(t, u, "events")
	page := ben.get(u["events"] + "/tickets/").want(200)
	page.has("<h1>Your tickets</h1>", "Spring supper", "Adult", "£18.00", "confirmed", `<svg xmlns="http://www.w3.org/2000/svg"`,
		`class="qr" role="img" aria-label="QR code of ticket `)
	code := scalar[string](t, "select t.code from tickets t join users u on u.id = t.user_id where u.email = 'ben@coop.example' limit 1")
	page.has("<code>" + code + "</code>")
	signedIn(t, u, "cleo@coop.example", false, "events").get(u["events"] + "/tickets/").want(200).has("You have no tickets.")
}

func TestEventsICS(t *testing.T) {
	u := shared(t)
	exec(t, `insert into calendar_entries (calendar_id, name, start_at, end_at, state, cost)
	         values ((select id from calendars where slug = 'hall'),
	                 'Jam, chutney; and a very long name for a workshop that goes on and on ünd on — past the fold',
	                 now() + interval '3 days', now() + interval '3 days 2 hours', 'confirmed', 0)`)
	r := newVisitor(t).get(u["events"] + "/whats-on/calendar/hall/calendar.ics").want(200)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(r.Body, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") || !strings.HasSuffix(r.Body, "END:VCALENDAR\r\n") {
		t.Errorf("not a calendar: %q", r.Body)
	}
	for _, line := range strings.Split(strings.TrimSuffix(r.Body, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("bare LF in %q", line)
		}
	}
	unfolded := strings.ReplaceAll(r.Body, "\r\n ", "")
	for _, want := range []string{"SUMMARY:Jam\\, chutney\\; and a very long name for a workshop that goes on and on ünd on — past the fold\r\n",
		"SUMMARY:Spring supper\r\n", "STATUS:TENTATIVE", "DTSTART:", "UID:entry-" + itoa(supperID(t)) + "@"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("no %q in %q", want, unfolded)
		}
	}
	one := newVisitor(t).get(u["events"] + "/whats-on/calendar/hall/entry/" + itoa(supperID(t)) + "/event.ics").want(200)
	if strings.Count(one.Body, "BEGIN:VEVENT") != 1 || !strings.Contains(one.Body, "SUMMARY:Spring supper") {
		t.Errorf("one event: %q", one.Body)
	}
}

func TestEventsEscapesUserText(t *testing.T) {
	u := shared(t)
	exec(t, `insert into calendar_entries (calendar_id, name, start_at, state, cost)
	         values ((select id from calendars where slug = 'hall'), '<script>alert("e")</script>', now() + interval '2 days', 'confirmed', 0)`)
	id := itoa(scalar[int64](t, "select max(id) from calendar_entries"))
	newVisitor(t).get(u["events"] + "/whats-on/calendar/hall/entry/" + id + "/").want(200).
		has("<h1>&lt;script&gt;alert(&quot;e&quot;)&lt;/script&gt;</h1>").lacks(`<script>alert("e")</script>`)
	newVisitor(t).get(u["events"] + "/whats-on/calendars/").want(200).lacks(`<script>alert("e")`)
}

func TestEventsFragments(t *testing.T) {
	u := shared(t)
	page := itoa(scalar[int64](t, "select id from posts where slug = 'whats-on'"))
	fragment(t, u["events"], "container-nav", url.Values{"container-type": {"page"}, "container-id": {page}}).want(200).
		has(`href="/whats-on/calendar/hall/"`, "Village hall")
	post := itoa(scalar[int64](t, "select id from posts where slug = 'spring-supper'"))
	fragment(t, u["events"], "container-cards", url.Values{"post-id": {post}}).want(200).
		has("Spring supper", `/whats-on/calendar/hall/entry/`+itoa(supperID(t))+`/`)
	// The page's next event (the seed's workshops run through the month).
	next := scalar[string](t, `select e.name from calendar_entries e join calendars c on c.id = e.calendar_id
		where c.container_id = $1 and e.start_at > now() and e.deleted_at is null and e.state <> 'cancelled'
		  and e.user_id is null and e.session_id is null order by e.start_at limit 1`, page)
	fragment(t, u["events"], "container-cards", url.Values{"container-type": {"page"}, "container-id": {page}}).want(200).
		has(textEscaper.Replace(next)) // other tests add entries, one named with markup
	ben := itoa(userID(t, "ben@coop.example"))
	fragment(t, u["events"], "account-page/tickets", url.Values{"user-id": {ben}}).want(200).has("Spring supper", `class="qr"`)
	fragment(t, u["events"], "account-page/bookings", url.Values{"user-id": {ben}}).want(200).has("Saturday bread class")
	fragment(t, u["events"], "account-nav-item", url.Values{"user-id": {ben}}).want(200).has("/tickets/", "/bookings/")
}

// textEscaper escapes text as the SX renderer does in element content.
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
