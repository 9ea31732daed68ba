//go:build linux

package payments_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/internal/browsertest"
)

// fillAndSave sets the named fields of the admin form and presses its
// primary button, as an organiser typing and pressing Save.
func (b *tab) fillAndSave(fields map[string]string) {
	b.t.Helper()
	var js strings.Builder
	for name, value := range fields {
		fmt.Fprintf(&js, "document.querySelector('form.admin-form [name=%q]').value = %q;\n", name, value)
	}
	js.WriteString("document.querySelector('form.admin-form button[type=submit].button-primary').click()")
	b.do(js.String())
}

// Issue 16's acceptance, end to end in Chromium: an organiser creates a
// calendar, a weekly slot, an event and a ticket type through the events
// admin; a guest finds the event, adds a ticket to the cart, checks out,
// pays on SumUp's (the stand-in's) hosted page and sees her ticket with its
// code; the organiser finds that ticket on the event's attendee list.
func TestBrowserOrganiserSellsTicket(t *testing.T) {
	browsertest.Require(t)
	w := start(t)

	// The organiser: a user with the organiser role, signed in to events.
	stamp := time.Now().UnixNano()
	email := fmt.Sprintf("organiser-%d@test.example", stamp)
	uid := scalar[int](t, `insert into users (email, name, slug, roles) values ($1, 'Orla Organiser', $2, array['organiser']) returning id`,
		email, fmt.Sprintf("orla-%d", stamp))
	org := &tab{t: t, ctx: browsertest.New(t)}
	n, v, _ := w.plat.VisitorSession("events", map[string]any{"id": uid, "email": email, "name": "Orla Organiser", "admin": false,
		"roles": []any{"organiser"}})
	if _, err := chromedp.Call(org.ctx, network.SetCookie, network.SetCookieParams{Name: n, Value: v, URL: w.urls["events"] + "/", Path: "/"}); err != nil {
		t.Fatal(err)
	}
	page := scalar[int](t, `select id from posts where slug = 'whats-on'`)
	slug := fmt.Sprintf("orchard-%d", stamp)
	org.open(w.urls["events"] + "/admin/calendars/new/")
	org.until("the calendar form", `document.querySelector('#field-name')`)
	org.fillAndSave(map[string]string{"name": "Orchard club", "slug": slug, "page-id": fmt.Sprint(page)})
	org.until("the calendar", `document.querySelector('h1').textContent === 'Calendar: Orchard club' && document.body.textContent.includes('Calendar created.')`)
	cal := scalar[int](t, `select id from calendars where slug = $1`, slug)

	org.do(`document.querySelector('a[href$="/slots/new/"]').click()`)
	org.until("the slot form", `document.querySelector('#field-start-time')`)
	org.fillAndSave(map[string]string{"weekday": "6", "start-time": "10:00", "end-time": "12:00", "name": "Pruning morning", "cost": "2", "capacity": "8"})
	org.until("the slot", `document.body.textContent.includes('Slot added.') && document.body.textContent.includes('Pruning morning')`)
	if n := scalar[int](t, `select count(*) from calendar_slots where calendar_id = $1 and name = 'Pruning morning' and deleted_at is null`, cal); n != 1 {
		t.Fatalf("%d slots", n)
	}

	start := time.Now().UTC().Add(15*24*time.Hour).Format("2006-01-02") + "T18:00"
	org.do(`document.querySelector('a[href$="/entries/new/"]').click()`)
	org.until("the event form", `document.querySelector('#field-start-at')`)
	org.fillAndSave(map[string]string{"name": "Apple pressing", "start-at": start, "end-at": strings.Replace(start, "18:00", "20:00", 1)})
	org.until("the event", `document.querySelector('h1').textContent === 'Event: Apple pressing'`)
	entry := scalar[int](t, `select id from calendar_entries where calendar_id = $1 and name = 'Apple pressing'`, cal)

	org.do(`document.querySelector('a[href$="/ticket-types/new/"]').click()`)
	org.until("the ticket type form", `document.querySelector('#field-price')`)
	org.fillAndSave(map[string]string{"name": "Presser", "price": "6.00", "count": "12"})
	org.until("the ticket type", `document.body.textContent.includes('Ticket type added.') && document.body.textContent.includes('Presser')`)

	// A guest on a phone: the event page, a ticket into the cart, checkout.
	guest := &tab{t: t, ctx: browsertest.New(t)}
	if err := chromedp.Do(guest.ctx, chromedp.EmulateViewport(375, 800)); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("guest-%d@example.org", stamp)
	guest.open(w.urls["events"] + fmt.Sprintf("/whats-on/calendar/%s/entry/%d/", slug, entry))
	guest.until("the event page", `document.documentElement.dataset.sxReady === 'true' && document.querySelector('h1').textContent === 'Apple pressing'`)
	guest.do(`document.querySelector('#tickets form button').click()`)
	guest.until("added", `document.querySelector('#tickets .form-status').textContent.startsWith('Added 1 Presser ticket')`)
	guest.open(w.urls["cart"] + "/whats-on/")
	guest.until("the cart", `document.body.textContent.includes('Apple pressing — Presser') && document.querySelector('#checkout-email')`)
	guest.do(`document.querySelector('#checkout-email').value = '` + addr + `', document.querySelector('form.checkout button').click()`)
	guest.until("SumUp's hosted page", `location.href.startsWith(`+jsString(w.pay.URL()+"/pay/")+`) && document.querySelector('button.pay')`)
	order := scalar[int](t, `select id from orders where email = $1`, addr)
	if total := scalar[float64](t, `select total_amount from orders where id = $1`, order); total != 6 {
		t.Fatalf("order total %v, want 6.00", total)
	}
	guest.do(`document.querySelector('button.pay').click()`)
	guest.until("paid, with the ticket", `document.querySelector('#payment-status h1').textContent.includes('paid')
		&& document.querySelectorAll('#payment-status .ticket-card').length === 1
		&& document.querySelector('#payment-status .ticket-title').textContent === 'Apple pressing'`)

	// The code on the page is the ticket's, confirmed once order.paid has run.
	eventually(t, "the ticket confirmed", func() bool {
		return scalar[int](t, `select count(*) from tickets where entry_id = $1 and order_id = $2 and state = 'confirmed'`, entry, order) == 1
	})
	code := scalar[string](t, `select t.code from tickets t join ticket_types tt on tt.id = t.ticket_type_id
		where tt.entry_id = $1 and tt.name = 'Presser' and t.state = 'confirmed' and t.order_id = $2`, entry, order)
	shown, err := chromedp.Run(guest.ctx, chromedp.Evaluate[string](`document.querySelector('#payment-status .ticket-code code').textContent`))
	if err != nil || shown != code {
		t.Fatalf("the page shows code %q (%v), the ticket is %q", shown, err, code)
	}
	if scalar[int](t, `select count(*) from tickets t join ticket_types tt on tt.id = t.ticket_type_id where tt.entry_id = $1`, entry) != 1 {
		t.Fatal("more than one ticket for the event")
	}

	// The organiser sees it on the attendee list.
	org.open(w.urls["events"] + fmt.Sprintf("/admin/entries/%d/attendees/", entry))
	org.until("the attendee list has the ticket", `document.body.textContent.includes(`+jsString(code)+`) && document.body.textContent.includes('Presser')`)
}
