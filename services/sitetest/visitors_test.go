package sitetest_test

import (
	"fmt"
	"strings"
	"testing"
)

// visitPage is one page and what each kind of visitor gets: an anonymous
// visitor, a member (Ben) and an administrator (Ada); 0 means "a redirect
// to sign in".
type visitPage struct {
	service, path     string
	anon, member, adm int
}

const toSignIn = 0

// TestEveryPageForAnonymousMemberAndAdmin: every public page of the six
// services (the axe-core test's list, and the services' roots) answers each
// kind of visitor with its status — pages for members send anonymous
// visitors to sign in —, and a page shows who is signed in: a "Sign in"
// link for an anonymous visitor, the member's own e-mail address in the
// account menu otherwise (never someone else's).
func TestEveryPageForAnonymousMemberAndAdmin(t *testing.T) {
	t.Parallel()
	paid := scalar[int](t, `select min(o.id) from orders o join users u on u.id = o.user_id where u.slug = 'ben'`)
	supper := scalar[int](t, `select id from calendar_entries where name = 'Spring supper'`)
	day := scalar[string](t, `select to_char(start_at, 'YYYY/MM/DD') from calendar_entries where name = 'Spring supper'`)
	note := scalar[string](t, `select regexp_replace(object_id, '^.*/notes/', '') from ap_local_posts p join ap_actor_profiles a on a.id = p.actor_profile_id where a.preferred_username = 'ada' and p.visibility = 'public' order by p.id limit 1`)
	all := func(service, path string) visitPage { return visitPage{service, path, 200, 200, 200} }
	members := func(service, path string) visitPage { return visitPage{service, path, toSignIn, 200, 200} }
	pages := []visitPage{
		all("blog", "/"), all("blog", "/?tag=garden"), all("blog", "/bread-week/"), all("blog", "/members-budget/"),
		all("blog", "/about/"), all("blog", "/shop/"), all("blog", "/tag/food/"), all("blog", "/author/ben/"),
		{"blog", "/no-such-page/", 404, 404, 404},
		all("market", "/"), all("market", "/suma-market/"), all("market", "/suma-market/pantry/"),
		all("market", "/suma-market/pantry/grains/"), all("market", "/suma-market/?q=oil&sort=price-desc"),
		all("market", "/suma-market/product/organic-oats-1kg/"),
		{"market", "/no-such-market/", 404, 404, 404},
		all("cart", "/"), all("cart", "/shop/"), members("cart", "/orders/"),
		members("cart", fmt.Sprintf("/orders/%d/", paid)),
		all("events", "/"), all("events", "/whats-on/calendars/"), all("events", "/whats-on/calendar/workshops/"),
		all("events", "/whats-on/calendar/hall/day/"+day+"/"), all("events", fmt.Sprintf("/whats-on/calendar/hall/entry/%d/", supper)),
		members("events", "/tickets/"),
		members("account", "/"), members("account", "/newsletters/"), members("account", "/orders/"),
		members("account", "/tickets/"), members("account", "/bookings/"),
		all("federation", "/social/"), all("federation", "/social/?tab=local"), all("federation", "/social/search?q=a"),
		all("federation", "/social/ada/"), all("federation", "/social/ada/followers"), all("federation", "/social/ada/following"),
		all("federation", "/social/ada/notes/"+note),
		members("federation", "/social/compose"), members("federation", "/social/notifications"),
		members("federation", "/identity/choose-username"), members("federation", "/identity/profile"),
	}
	ben, ada := as("ben"), as("ada")
	for _, pg := range pages {
		for _, c := range []struct {
			v      *visitor
			status int
			email  string
		}{{anon, pg.anon, ""}, {ben, pg.member, "ben@coop.example"}, {ada, pg.adm, "ada@coop.example"}} {
			what := fmt.Sprintf("%s%s as %q", pg.service, pg.path, c.v.who)
			p := c.v.get(t, pg.service, pg.path)
			if c.status == toSignIn {
				if p.Status/100 != 3 || !strings.Contains(p.Header.Get("Location"), "/auth/login") {
					t.Errorf("%s: %d to %q, want a redirect to sign in", what, p.Status, p.Header.Get("Location"))
				}
				continue
			}
			if p.Status != c.status {
				t.Errorf("%s: status %d, want %d", what, p.Status, c.status)
				continue
			}
			if c.email == "" {
				p.want(t, what, c.status, `class="button button-small auth-sign-in"`)
				p.lacks(t, what, "@coop.example</span>")
			} else {
				p.want(t, what, c.status, `<span class="auth-menu-email">`+c.email+`</span>`)
				p.lacks(t, what, "auth-sign-in")
			}
		}
	}
	// An order is its owner's and the administrators': another member gets
	// the 404 of an order that does not exist.
	as("cleo").get(t, "cart", fmt.Sprintf("/orders/%d/", paid)).want(t, "ben's order as cleo", 404)
}
