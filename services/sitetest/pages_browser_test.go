//go:build linux

package sitetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/internal/browsertest"
)

// sitePage is one page of the six services as someone sees it.
type sitePage struct {
	name    string // file name of its screenshot
	service string
	path    string
	who     string // "" anonymous, else a seed user's slug
}

// sitePages lists every kind of page of the six services on the seed data:
// what the axe-core test checks and make screenshots draws.
func sitePages(t *testing.T) []sitePage {
	t.Helper()
	paid := scalar[int](t, `select min(o.id) from orders o join users u on u.id = o.user_id where u.slug = 'ben'`)
	supper := scalar[int](t, `select id from calendar_entries where name = 'Spring supper'`)
	day := scalar[string](t, `select to_char(start_at, 'YYYY/MM/DD') from calendar_entries where name = 'Spring supper'`)
	pages := []sitePage{
		{"blog-home", "blog", "/", ""},
		{"blog-home-member", "blog", "/", "cleo"},
		{"blog-tag-filter", "blog", "/?tag=garden", ""},
		{"blog-post", "blog", "/bread-week/", "ben"},
		{"blog-post-members", "blog", "/members-budget/", ""},
		{"blog-page", "blog", "/about/", ""},
		{"blog-page-shop", "blog", "/shop/", ""},
		{"blog-tag", "blog", "/tag/food/", ""},
		{"blog-author", "blog", "/author/ben/", ""},
		{"blog-404", "blog", "/no-such-page/", ""},
		{"account-dashboard", "account", "/", "ben"},
		{"account-newsletters", "account", "/newsletters/", "ben"},
		{"account-orders", "account", "/orders/", "ben"},
		{"account-tickets", "account", "/tickets/", "ben"},
		{"account-bookings", "account", "/bookings/", "ben"},
		{"account-401", "account", "/", ""},
		{"market-root", "market", "/", ""},
		{"market-home", "market", "/suma-market/", ""},
		{"market-category", "market", "/suma-market/pantry/grains/", ""},
		{"market-search", "market", "/suma-market/?q=oil&sort=price-desc", ""},
		{"market-product", "market", "/suma-market/product/organic-oats-1kg/", "cleo"},
		{"cart-overview", "cart", "/", "cleo"},
		{"cart-page", "cart", "/shop/", "cleo"},
		{"cart-orders", "cart", "/orders/", "ben"},
		{"cart-order", "cart", fmt.Sprintf("/orders/%d/", paid), "ben"},
		{"events-root", "events", "/", ""},
		{"events-calendars", "events", "/whats-on/calendars/", ""},
		{"events-month", "events", "/whats-on/calendar/workshops/", ""},
		{"events-day", "events", "/whats-on/calendar/hall/day/" + day + "/", ""},
		{"events-entry", "events", fmt.Sprintf("/whats-on/calendar/hall/entry/%d/", supper), "ben"},
		{"events-tickets", "events", "/tickets/", "ben"},
		{"federation-login", "federation", "/auth/login", ""},
		{"social-timeline", "federation", "/social/", ""},
		{"social-timeline-member", "federation", "/social/", "ben"},
		{"social-timeline-coop", "federation", "/social/?tab=local", "ada"},
		{"social-compose", "federation", "/social/compose", "ben"},
		{"social-search", "federation", "/social/search?q=a", "ben"},
		{"social-notifications", "federation", "/social/notifications", "ada"},
		{"social-profile", "federation", "/social/ada/", ""},
		{"social-profile-member", "federation", "/social/ben/", "ada"},
		{"social-followers", "federation", "/social/ada/followers", "ben"},
		{"social-following", "federation", "/social/ada/following", ""},
		{"social-note", "federation", "/social/ada/notes/1", "ben"},
		{"social-choose-username", "federation", "/identity/choose-username", "cleo"},
		{"social-edit-profile", "federation", "/identity/profile", "ben"},
	}
	pages = append(pages, shopAdminPages(t)...)
	pages = append(pages, siteAdminPages(t)...)
	pages = append(pages, mediaAdminPages(t)...)
	// Only the pages their services serve (a page not landed yet is left
	// out, and says so).
	var out []sitePage
	for _, p := range pages {
		v := anon
		if p.who != "" {
			v = as(p.who)
		}
		if st := v.get(t, p.service, p.path).Status; st >= 500 || st == 405 || (st == 404 && !strings.HasSuffix(p.name, "404")) {
			t.Logf("left out %s (%s%s answers %d)", p.name, p.service, p.path, st)
			continue
		}
		out = append(out, p)
	}
	return out
}

// axePath is axe-core's browser build: SX_AXE_JS, or where scripts/test
// installs it (npm axe-core under .cache/axe). A test tool only: nothing
// of it is part of the product.
func axePath() string {
	if p := os.Getenv("SX_AXE_JS"); p != "" {
		return p
	}
	return filepath.Join("..", "..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// Every page of every service, at desktop and phone widths, has no serious
// or critical accessibility violation by axe-core's rules (WCAG 2 A/AA and
// best practices).
func TestAccessibilityOfEveryPage(t *testing.T) {
	src, err := os.ReadFile(axePath())
	if err != nil {
		msg := "axe-core is not installed (scripts/test installs it with npm; or set SX_AXE_JS): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	pages := sitePages(t)
	if len(pages) < 20 {
		t.Fatalf("only %d pages answer", len(pages))
	}
	for _, width := range []int64{1280, 375} {
		tabs := map[string]context.Context{}
		for _, p := range pages {
			v := anon
			if p.who != "" {
				v = as(p.who)
			}
			tc, ok := tabs[p.who]
			if !ok {
				tc = v.tab(t, width)
				tabs[p.who] = tc
			}
			navigate(t, tc, urls[p.service]+p.path)
			until(t, tc, p.name+" ready", `document.readyState === 'complete'`)
			axeCheck(t, tc, src, p.name, width, p.service+p.path)
		}
		// federation's front-channel logout page exists only just after a
		// sign-out, for a browser whose login session signed in to a
		// client with a front-channel logout URI.
		tab := frontChannelLogoutTab(t, width)
		axeCheck(t, tab, src, "federation-frontchannel-logout", width, "federation/oauth/logout/frontchannel")
	}
}

// axeCheck runs axe-core (src) on the page loaded in tab and fails t for
// each serious or critical violation.
func axeCheck(t *testing.T, tab context.Context, src []byte, name string, width int64, where string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
		t.Fatalf("%s: injecting axe: %v", name, err)
	}
	out, err := chromedp.Run(tab, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", name, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatal(err)
	}
	var minor []string
	for _, v := range vs {
		minor = append(minor, v.Impact+" "+v.ID)
	}
	t.Logf("%s at %d px: %d violations %v", name, width, len(vs), minor)
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprint(n.Target)+" "+clipN(n.HTML, 160))
		}
		t.Errorf("%s at %d px (%s): %s %s: %s\n  %s", name, width, where, v.Impact, v.ID, v.Help,
			strings.Join(nodes, "\n  "))
	}
}

// frontChannelLogoutTab returns a tab showing federation's front-channel
// logout page as a person sees it after signing out: cleo signs in by a
// magic link, her login session gets a grant of a first-party client whose
// front-channel logout URI is blog's /auth/sso-clear, and she signs out
// through the end-session endpoint. The page's script, which goes on to
// the next page once the iframes have loaded, is blocked, so the page stays
// for axe as it is without JavaScript.
func frontChannelLogoutTab(t *testing.T, width int64) context.Context {
	t.Helper()
	exec(t, `insert into oauth_clients (client_id, name, client_type, redirect_uris, first_party,
	                                    frontchannel_logout_uri, frontchannel_logout_session_required)
	         values ('axe-rp', 'Axe relying party', 'public', $1, true, $2, true)
	         on conflict (client_id) do update set frontchannel_logout_uri = excluded.frontchannel_logout_uri,
	           redirect_uris = excluded.redirect_uris, disabled_at = null`,
		[]string{urls["blog"] + "/axe-rp/callback"}, urls["blog"]+"/auth/sso-clear")
	var out strings.Builder
	token, err := plat.RunSource(context.Background(), "axe-link",
		`(get (action "federation" "create-magic-link" :email "`+users["cleo"]["email"].(string)+`" :next-url "/") :token)`, &out)
	if err != nil {
		t.Fatalf("magic link: %v\n%s", err, out.String())
	}
	tab := anon.tab(t, width)
	if err := browsertest.Fail(tab, "*/static/logout.*"); err != nil {
		t.Fatal(err)
	}
	navigate(t, tab, urls["federation"]+"/auth/magic/"+token.(string))
	sid := scalar[string](t, `select s.sid from oauth_sessions s join users u on u.id = s.user_id
	                           where u.slug = 'cleo' and s.ended_at is null order by s.created_at desc limit 1`)
	if _, err := plat.RunSource(context.Background(), "axe-grant",
		`(action "federation" "create-grant" :user-id `+fmt.Sprint(users["cleo"]["id"])+` :client-id "axe-rp" :issuer-session "`+sid+`")`, &out); err != nil {
		t.Fatalf("grant: %v\n%s", err, out.String())
	}
	navigate(t, tab, urls["federation"]+"/oauth/logout?client_id=axe-rp")
	until(t, tab, "front-channel logout page", `document.readyState === 'complete' && location.pathname === '/oauth/logout/frontchannel' && document.querySelector('iframe[src*="/auth/sso-clear"]')`)
	return tab
}

func clipN(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// make screenshots: every page at 1280 and 375 px into docs/screenshots/
// (SX_SCREENSHOTS names the directory; the test is skipped without it;
// SX_SCREENSHOTS_ONLY=social- draws only the pages so named).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SX_SCREENSHOTS")
	if dir == "" {
		t.Skip("SX_SCREENSHOTS is not set (make screenshots sets it)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// SX_SCREENSHOTS_ONLY=prefix draws only the pages whose names start with it.
	only := os.Getenv("SX_SCREENSHOTS_ONLY")
	for _, p := range sitePages(t) {
		if !strings.HasPrefix(p.name, only) {
			continue
		}
		for _, width := range []int64{1280, 375} {
			v := anon
			if p.who != "" {
				v = as(p.who)
			}
			tab := v.tab(t, width)
			navigate(t, tab, urls[p.service]+p.path)
			until(t, tab, p.name+" ready", `document.readyState === 'complete' && (document.documentElement.dataset.sxReady === 'true' || !document.querySelector('script[src*="/static/sx."]'))`)
			h, err := chromedp.Run(tab, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
			if err != nil {
				t.Fatal(err)
			}
			h = min(max(h, 600), 2400)
			if err := chromedp.Do(tab, chromedp.EmulateViewport(width, h)); err != nil {
				t.Fatal(err)
			}
			img, err := chromedp.Run(tab, chromedp.FullScreenshot(100)) // PNG
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(dir, fmt.Sprintf("%s-%d.png", p.name, width))
			if err := os.WriteFile(name, img, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
