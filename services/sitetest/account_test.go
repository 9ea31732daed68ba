package sitetest_test

import (
	"regexp"
	"strings"
	"testing"
)

// siteAccount is the header's account area (auth-menu, or the layout's
// fallback while account serves none).
var siteAccount = regexp.MustCompile(`(?s)<div id="site-account" class="site-account">(.*?)</div></div></div></header>`)

func TestAccountPagesNeedASignedInMember(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/", "/newsletters/", "/orders/", "/tickets/", "/bookings/"} {
		r := anon.get(t, "account", path)
		switch r.Status {
		case 401: // no login URL: the branded page with a way to sign in
			r.want(t, "anonymous "+path, 401, "Please sign in", "/auth/login?next=")
		case 303: // the service's own sign-in
			if !strings.Contains(r.Header.Get("Location"), "/auth/login") {
				t.Fatalf("anonymous %s redirects to %s", path, r.Header.Get("Location"))
			}
		default:
			t.Fatalf("anonymous %s: %d", path, r.Status)
		}
	}
}

func TestAccountDashboard(t *testing.T) {
	t.Parallel()
	ben := as("ben")
	d := ben.get(t, "account", "/").want(t, "ben's dashboard", 200,
		"<title>Dashboard · Rose Ash Co-op</title>", "<h1>Dashboard</h1>",
		"Signed in as Ben Grower (ben@coop.example).", "You get Weekly harvest.", "2 orders.", "2 tickets for events.",
		`<nav class="account-nav panel" aria-label="Your account">`, `aria-current="page">Dashboard</a>`,
		// the other services' account-nav-item fragments
		`href="`+urls["cart"]+`/orders/">Orders</a>`, `href="`+urls["account"]+`/tickets/">Tickets</a>`,
		`href="`+urls["account"]+`/bookings/">Bookings</a>`, `<meta name="robots" content="noindex">`)
	// The header shows who is signed in.
	if m := siteAccount.FindStringSubmatch(d.Body); m == nil || !strings.Contains(m[1], "Ben Grower") && !strings.Contains(m[1], "ben@coop.example") {
		t.Fatalf("header's account area does not name ben: %v", m)
	}
	as("cleo").get(t, "account", "/").want(t, "cleo's dashboard", 200, "Signed in as Cleo Reader",
		"You get Weekly harvest, Events.", "1 order, 1 waiting for payment.")
	as("ada").get(t, "account", "/").want(t, "ada's dashboard", 200, "Signed in as Ada Baker", "You get no newsletters.", "0 orders.")
}

func TestAccountNewsletterToggle(t *testing.T) {
	t.Parallel()
	ada := newMember(t, "toggler")
	page := ada.get(t, "account", "/newsletters/").want(t, "newsletters", 200, "<h1>Newsletters</h1>",
		`<h2 class="newsletter-name">Weekly harvest</h2>`, "What is in season and on the shelves",
		`aria-label="Subscribe to Weekly harvest"`, `aria-current="page">Newsletters</a>`)
	id := regexp.MustCompile(`action="/newsletters/(\d+)/toggle"`).FindStringSubmatch(page.Body)
	if id == nil {
		t.Fatalf("no toggle form in %s", clip(page.Body))
	}
	subscribed := func() bool {
		return scalar[bool](t, `select coalesce((select subscribed from user_newsletters un join users u on u.id = un.user_id
			where u.slug = 'toggler' and un.newsletter_id = $1), false)`, mustAtoi(t, id[1]))
	}
	pushes := func() int {
		return scalar[int](t, `select count(*) from ap_activities where activity_type = 'member.updated'
			and (payload->>'user-id')::int = (select id from users where slug = 'toggler')`)
	}
	before := pushes()
	// Without JavaScript: a form post, then back to the list.
	r := ada.post(t, "account", "/newsletters/"+id[1]+"/toggle", nil)
	if r.Status != 303 || !strings.HasSuffix(r.Header.Get("Location"), "/newsletters/") || !subscribed() {
		t.Fatalf("toggle without JS: %d %v subscribed=%v", r.Status, r.Header.Get("Location"), subscribed())
	}
	ada.get(t, "account", "/newsletters/").want(t, "after subscribing", 200, `aria-label="Unsubscribe from Weekly harvest"`)
	// With the runtime: the new switch.
	ada.post(t, "account", "/newsletters/"+id[1]+"/toggle", nil, "SX-Request", "true").
		want(t, "toggle with JS", 200, `aria-pressed="false"`, `id="newsletter-`+id[1]+`"`).lacks(t, "toggle with JS", "<html")
	if subscribed() {
		t.Fatal("unsubscribe not stored")
	}
	// Each change is pushed to Ghost by the activity bus (member.updated).
	if got := pushes(); got != before+2 {
		t.Fatalf("member.updated activities: %d, want %d", got, before+2)
	}
	if r := ada.post(t, "account", "/newsletters/999999/toggle", nil); r.Status != 404 {
		t.Fatalf("unknown newsletter: %d", r.Status)
	}
	if r := ada.do(t, "POST", "account", "/newsletters/"+id[1]+"/toggle", nil); r.Status != 403 {
		t.Fatalf("toggle without CSRF token: %d", r.Status)
	}
}

func TestAccountComposedPages(t *testing.T) {
	t.Parallel()
	ben := as("ben")
	ben.get(t, "account", "/orders/").want(t, "orders", 200, "<h1>Orders</h1>", "£11.45", "£48.50")
	ben.get(t, "account", "/tickets/").want(t, "tickets", 200, "<h1>Tickets</h1>", "Spring supper", `class="qr"`)
	ben.get(t, "account", "/bookings/").want(t, "bookings", 200, "<h1>Bookings</h1>", "Saturday bread class")
	// Cleo has no tickets.
	as("cleo").get(t, "account", "/tickets/").want(t, "cleo's tickets", 200, "<h1>Tickets</h1>").lacks(t, "cleo's tickets", "Spring supper")
}

func TestAccountEscapesNewsletterText(t *testing.T) {
	t.Parallel()
	exec(t, `insert into ghost_newsletters (name, slug, description, sort_order) values ('<b>Loud</b> & news', 'x-loud', '"<script>x</script>"', 99)`)
	as("cleo").get(t, "account", "/newsletters/").want(t, "escaped newsletter", 200,
		"&lt;b&gt;Loud&lt;/b&gt; &amp; news", "&quot;&lt;script&gt;x&lt;/script&gt;&quot;").lacks(t, "escaped newsletter", "<b>Loud</b>", "<script>x")
}
