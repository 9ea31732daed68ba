package sitetest_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The roots of market and events (docs/sites.md, "The services' roots"):
// each lists what the service has instead of answering the branded 404.
// Not parallel: the counts and lists are read while no other test writes.

// Market's / lists every live market with its product count and the page
// it belongs to; text from the database is escaped; everyone may see it.
func TestMarketRootListsMarkets(t *testing.T) {
	products := scalar[int](t, `select count(*) from products p join market_places m on m.id = p.market_id
	                             where m.slug = 'suma-market' and p.deleted_at is null`)
	p := anon.get(t, "market", "/").want(t, "market root", 200,
		"<title>Markets · ", "<h1>Markets</h1>",
		`<a class="tile-title" href="/suma-market/">Suma market</a>`,
		fmt.Sprintf("%d products", products),
		// the market's page, on blog
		`<a href="`+urls["blog"]+`/shop/">The shop</a>`,
		`<link rel="canonical" href="`+urls["market"]+`/">`,
		// other tests make markets of their own: Suma market is one of them
		`<meta name="description" content="The co-op&#39;s market`)
	if !regexp.MustCompile(`<meta name="description" content="The co-op&#39;s markets?: [^"]*Suma market[^"]*\.">`).MatchString(p.Body) {
		t.Errorf("market root: the description does not name Suma market")
	}
	p.lacks(t, "market root", "not found")

	// A second market, not on any page, with text that needs escaping; a
	// deleted one is not listed.
	slug := fmt.Sprintf("x-root-market-%d", time.Now().UnixNano())
	exec(t, `insert into market_places (slug, name, description) values ($1, '<b>Loud</b> & market', '"<script>x</script>"')`, slug)
	exec(t, `insert into market_places (slug, name, deleted_at) values ($1, 'Closed market', now())`, slug+"-gone")
	t.Cleanup(func() {
		exec(t, `update market_places set deleted_at = now() where slug = $1 and deleted_at is null`, slug)
	})
	for _, v := range []*visitor{anon, as("ben"), as("ada")} {
		p := v.get(t, "market", "/").want(t, "market root as "+v.who, 200,
			`href="/`+slug+`/">&lt;b&gt;Loud&lt;/b&gt; &amp; market</a>`,
			"<p>&quot;&lt;script&gt;x&lt;/script&gt;&quot;</p>", "0 products",
			"Suma market", "markets: ")
		p.lacks(t, "market root as "+v.who, "<b>Loud</b>", "<script>x", "Closed market")
		// Suma market sorts after "<b>Loud…" by name, and is still listed once.
		if n := strings.Count(p.Body, `href="/suma-market/"`); n != 1 {
			t.Errorf("suma-market listed %d times", n)
		}
	}
}

// Events' / lists each page with calendars: its calendars and its next
// events, linked to their pages; a calendar of a post (not a page) and a
// deleted calendar are left out; text is escaped.
func TestEventsRootListsCalendars(t *testing.T) {
	next := scalar[string](t, `select e.name from calendar_entries e join calendars c on c.id = e.calendar_id
	                            join posts p on p.id = c.container_id
	                           where p.slug = 'whats-on' and c.deleted_at is null and e.deleted_at is null
	                             and e.state <> 'cancelled' and e.user_id is null and e.session_id is null
	                             and coalesce(e.end_at, e.start_at) >= now()
	                           order by e.start_at, e.id limit 1`)
	nextID := scalar[int](t, `select e.id from calendar_entries e join calendars c on c.id = e.calendar_id
	                           where e.name = $1 and c.deleted_at is null order by e.start_at limit 1`, next)
	nextCal := scalar[string](t, `select c.slug from calendar_entries e join calendars c on c.id = e.calendar_id where e.id = $1`, nextID)
	anon.get(t, "events", "/").want(t, "events root", 200,
		"<h1>What's on</h1>",
		`<a href="/whats-on/calendars/">What's on</a>`,
		`<a class="tile-title" href="/whats-on/calendar/hall/">`,
		`<a class="tile-title" href="/whats-on/calendar/workshops/">Workshops</a>`,
		"<p>Hands-on sessions at the hall</p>",
		"Coming up",
		fmt.Sprintf(`<a href="/whats-on/calendar/%s/entry/%d/">%s</a>`, nextCal, nextID, next),
		`<link rel="canonical" href="`+urls["events"]+`/">`)

	// A page of its own with a calendar whose name needs escaping; a
	// deleted calendar on it is not listed.
	slug := fmt.Sprintf("x-root-page-%d", time.Now().UnixNano())
	page := scalar[int](t, `insert into posts (slug, title, status, is_page, published_at) values ($1, 'Hall <i>B</i>', 'published', true, now()) returning id`, slug)
	exec(t, `insert into calendars (container_type, container_id, name, slug, description)
	         values ('page', $1, '<b>Loud</b> & nights', 'loud', '"<script>x</script>"')`, page)
	exec(t, `insert into calendars (container_type, container_id, name, slug, deleted_at) values ('page', $1, 'Gone nights', 'gone', now())`, page)
	t.Cleanup(func() {
		exec(t, `update calendars set deleted_at = now() where container_id = $1 and deleted_at is null`, page)
		exec(t, `update posts set deleted_at = now() where id = $1`, page)
	})
	for _, v := range []*visitor{anon, as("ben"), as("ada")} {
		p := v.get(t, "events", "/").want(t, "events root as "+v.who, 200,
			`<a href="/`+slug+`/calendars/">Hall &lt;i&gt;B&lt;/i&gt;</a>`,
			`<a class="tile-title" href="/`+slug+`/calendar/loud/">&lt;b&gt;Loud&lt;/b&gt; &amp; nights</a>`,
			"<p>&quot;&lt;script&gt;x&lt;/script&gt;&quot;</p>",
			"Nothing planned yet.", "/whats-on/calendar/workshops/")
		p.lacks(t, "events root as "+v.who, "<b>Loud</b>", "<i>B</i>", "<script>x", "Gone nights")
		// Each page is a section headed by its title, in one h1 page.
		if n := len(regexp.MustCompile(`<h1[ >]`).FindAllString(p.Body, -1)); n != 1 {
			t.Errorf("%d h1 elements", n)
		}
	}
}
