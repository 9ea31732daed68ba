//go:build linux

package sitetest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// shopFill sets form fields (by name) of the form holding the submit
// button and submits it, as a person typing and pressing Save.
func shopFill(fields map[string]string) string {
	var b strings.Builder
	for k, v := range fields {
		fmt.Fprintf(&b, "document.querySelector('form.admin-form [name=%q]').value = %q;\n", k, v)
	}
	b.WriteString("document.querySelector('form.admin-form button[type=submit].button-primary').click();")
	return b.String()
}

// An organiser creates a calendar, a weekly slot, an event and its ticket
// type in the admin, in Chromium; a visitor then finds the event on the
// site and puts a ticket in the cart.
func TestBrowserOrganiserToCart(t *testing.T) {
	org := shopStaff(t, "browserorg", false, "organiser")
	tab := org.tab(t, 1280)
	run := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Evaluate[any](`(function () { `+js+`; return null; })()`)); err != nil &&
			!strings.Contains(err.Error(), "context") && !strings.Contains(err.Error(), "navigat") {
			t.Fatal(err)
		}
	}
	page := scalar[int](t, `select id from posts where slug = 'whats-on'`)
	slug := fmt.Sprintf("garden-%d", time.Now().UnixNano())
	navigate(t, tab, urls["events"]+"/admin/calendars/new/")
	until(t, tab, "the calendar form", `document.querySelector('#field-name') !== null`)
	run(shopFill(map[string]string{"name": "Garden club", "slug": slug, "page-id": fmt.Sprint(page)}))
	until(t, tab, "the new calendar", `document.querySelector('h1').textContent === 'Calendar: Garden club' && document.body.textContent.includes('Calendar created.')`)
	cal := scalar[int](t, `select id from calendars where slug = $1`, slug)

	run(`document.querySelector('a[href$="/slots/new/"]').click()`)
	until(t, tab, "the slot form", `document.querySelector('#field-start-time') !== null`)
	run(shopFill(map[string]string{"weekday": "6", "start-time": "09:00", "end-time": "11:00", "name": "Digging morning", "cost": "3", "capacity": "10"}))
	until(t, tab, "the slot", `document.body.textContent.includes('Slot added.') && document.body.textContent.includes('Saturday')`)

	start := time.Now().UTC().Add(20*24*time.Hour).Format("2006-01-02") + "T14:00"
	run(`document.querySelector('a[href$="/entries/new/"]').click()`)
	until(t, tab, "the event form", `document.querySelector('#field-start-at') !== null`)
	run(shopFill(map[string]string{"name": "Seed sowing day", "start-at": start, "end-at": strings.Replace(start, "14:00", "16:00", 1)}))
	until(t, tab, "the new event", `document.querySelector('h1').textContent === 'Event: Seed sowing day'`)
	entry := scalar[int](t, `select id from calendar_entries where calendar_id = $1 and name = 'Seed sowing day'`, cal)

	run(`document.querySelector('a[href$="/ticket-types/new/"]').click()`)
	until(t, tab, "the ticket type form", `document.querySelector('#field-price') !== null`)
	run(shopFill(map[string]string{"name": "Gardener", "price": "4.50", "count": "25"}))
	until(t, tab, "the ticket type", `document.body.textContent.includes('Ticket type added.') && document.body.textContent.includes('Gardener')`)

	// A visitor finds it and adds a ticket to the cart.
	visitor := shopAnon()
	vtab := visitor.tab(t, 375)
	navigate(t, vtab, fmt.Sprintf("%s/whats-on/calendar/%s/entry/%d/", urls["events"], slug, entry))
	until(t, vtab, "the event page", `document.documentElement.dataset.sxReady === 'true' && document.querySelector('h1').textContent === 'Seed sowing day'`)
	if _, err := chromedp.Run(vtab, chromedp.Evaluate[any](`document.querySelector('#tickets form button').click()`)); err != nil {
		t.Fatal(err)
	}
	until(t, vtab, "added", `document.querySelector('#tickets .form-status').textContent.startsWith('Added 1 Gardener ticket')`)
	if n := scalar[int](t, `select count(*) from tickets t join ticket_types tt on tt.id = t.ticket_type_id
		where tt.entry_id = $1 and tt.name = 'Gardener' and t.state = 'reserved' and t.price = 4.50`, entry); n != 1 {
		t.Fatalf("%d tickets in a cart", n)
	}
	navigate(t, vtab, urls["cart"]+"/whats-on/")
	until(t, vtab, "the cart", `document.body.textContent.includes('Seed sowing day — Gardener')`)
}
