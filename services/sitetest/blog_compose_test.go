package sitetest_test

import (
	"fmt"
	"testing"
)

// Blog's pages are composed from the other services' fragments (issue 14):
// the news listing's first page carries events' container-cards of each
// page with a calendar; a page's aside its markets (market's container-nav)
// and calendars (events' container-nav); a post the cards of its events.
func TestBlogComposesOtherServicesFragments(t *testing.T) {
	t.Parallel()
	supper := scalar[int](t, `select id from calendar_entries where name = 'Spring supper'`)
	supperURL := fmt.Sprintf(`href="%s/whats-on/calendar/hall/entry/%d/">Spring supper</a>`, urls["events"], supper)

	anon.get(t, "blog", "/").want(t, "home", 200,
		`<h2 id="whats-on-title">What's on</h2>`, `<section class="container-cards" aria-label="Events">`,
		`<li class="event-card"><a href="`+urls["events"]+`/whats-on/calendar/`)
	// Only the first page of the unfiltered listing has them.
	anon.get(t, "blog", "/?page=2").want(t, "page 2", 200).lacks(t, "page 2", "whats-on-title")
	anon.get(t, "blog", "/?tag=food").want(t, "filtered", 200).lacks(t, "filtered", "whats-on-title")

	anon.get(t, "blog", "/shop/").want(t, "the shop page", 200,
		`<aside class="page-aside" aria-label="Related">`, `<nav class="container-nav container-nav-market" aria-label="Shop">`,
		`href="`+urls["market"]+`/suma-market/">Suma market</a>`)
	anon.get(t, "blog", "/whats-on/").want(t, "the what's on page", 200,
		`<nav class="container-nav container-nav-events" aria-label="Calendars">`,
		`href="`+urls["events"]+`/whats-on/calendar/workshops/">Workshops</a>`,
		`href="`+urls["events"]+`/whats-on/calendar/hall/">`)
	// A post linked to an event shows its card; one without shows none,
	// and to a visitor (no like button) no empty footer either.
	anon.get(t, "blog", "/spring-supper/").want(t, "a post with an event", 200,
		`<footer class="post-footer">`, `<section class="container-cards" aria-label="Events">`, supperURL)
	anon.get(t, "blog", "/bread-week/").want(t, "a post without events", 200).
		lacks(t, "a post without events", "container-cards", "container-nav-market", "post-footer")
}
