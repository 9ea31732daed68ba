package sitetest_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// blog's admin of the site (issue 16, services/blog/admin_site.sx):
// snippets, site settings, page configs and the menu editor, over HTTP.

// siteRoutes are every route of admin_site.sx, with the role it needs.
func siteRoutes(t *testing.T) (editor, admin []shopRoute) {
	t.Helper()
	snip := scalar[int](t, `insert into snippets (user_id, name, visibility, html) values (null, $1, 'public', '<p>x</p>') returning id`,
		fmt.Sprintf("Outsiders %d", time.Now().UnixNano()))
	shop := scalar[int](t, `select id from posts where slug = 'shop'`)
	node := scalar[int](t, `select id from menu_nodes where deleted_at is null and container_type is null and link_type is null order by id limit 1`)
	s, p, n := fmt.Sprint(snip), fmt.Sprint(shop), fmt.Sprint(node)
	editor = []shopRoute{
		{"GET", "/admin/snippets/"}, {"GET", "/admin/snippets/new/"}, {"POST", "/admin/snippets/new"},
		{"GET", "/admin/snippets/" + s + "/"}, {"POST", "/admin/snippets/" + s}, {"POST", "/admin/snippets/" + s + "/delete"},
		{"GET", "/admin/menus/"}, {"POST", "/admin/menus/new"}, {"GET", "/admin/menus/" + n + "/"},
		{"POST", "/admin/menus/" + n}, {"POST", "/admin/menus/" + n + "/move"}, {"POST", "/admin/menus/" + n + "/delete"},
		{"POST", "/admin/menus/" + n + "/attach"}, {"POST", "/admin/menus/" + n + "/detach"},
	}
	admin = []shopRoute{
		{"GET", "/admin/settings/"}, {"POST", "/admin/settings"},
		{"GET", "/admin/settings/pages/" + p + "/"}, {"POST", "/admin/settings/pages/" + p},
	}
	return editor, admin
}

func TestSiteAdminRefusesOutsiders(t *testing.T) {
	t.Parallel()
	editorRoutes, adminRoutes := siteRoutes(t)
	shopRefuses(t, "blog", append(append([]shopRoute{}, editorRoutes...), adminRoutes...))
	// An editor may not change the settings or a page's payment account.
	ed := shopStaff(t, "sited", false, "editor")
	for _, r := range adminRoutes {
		var p page
		if r.method == "GET" {
			p = ed.get(t, "blog", r.path)
		} else {
			p = ed.post(t, "blog", r.path, url.Values{"version": {"1"}})
		}
		if p.Status != 403 {
			t.Errorf("editor %s %s: %d, want 403", r.method, r.path, p.Status)
		}
	}
	// Without the CSRF token, every form is refused (as an administrator).
	ada := shopStaff(t, "sitecsrf", true)
	for _, r := range append(editorRoutes, adminRoutes...) {
		if r.method != "POST" {
			continue
		}
		if p := ada.do(t, "POST", "blog", r.path, url.Values{"version": {"1"}, "name": {"x"}, "label": {"x"}}); p.Status != 403 {
			t.Errorf("no CSRF token: POST %s: %d, want 403", r.path, p.Status)
		}
	}
	// The admin home links to every section, and each answers.
	home := as("ada").get(t, "blog", "/admin/").want(t, "home", 200)
	for _, path := range []string{"/admin/snippets/", "/admin/menus/", "/admin/settings/"} {
		if !strings.Contains(home.Body, path) {
			t.Errorf("the admin home has no link to %s", path)
		}
		as("ada").get(t, "blog", path).want(t, path, 200)
	}
	ed.get(t, "blog", "/admin/").want(t, "editor's home", 200, "/admin/snippets/", "/admin/menus/").lacks(t, "editor's home", "/admin/settings/")
}

func TestSiteAdminSnippets(t *testing.T) {
	t.Parallel()
	ed := shopStaff(t, "snipper", false, "editor")
	name := fmt.Sprintf("Opening hours %d", time.Now().UnixNano())
	count := func() int { return scalar[int](t, `select count(*) from snippets where name like 'Opening hours%'`) }
	before := count()
	ed.post(t, "blog", "/admin/snippets/new", url.Values{"name": {" "}, "visibility": {"public"}}).want(t, "blank name", 400, "name: must not be empty")
	ed.post(t, "blog", "/admin/snippets/new", url.Values{"name": {"x"}, "visibility": {"everyone"}}).want(t, "bad visibility", 400, "visibility: is not one of the choices")
	ed.post(t, "blog", "/admin/snippets/new", url.Values{"name": {strings.Repeat("n", 201)}}).want(t, "long name", 400, "name: must be at most 200 characters")
	if count() != before {
		t.Fatal("a refused form wrote a snippet")
	}
	id := shopCreated(t, ed.post(t, "blog", "/admin/snippets/new", url.Values{"name": {name}, "visibility": {"public"}, "html": {"<p>Saturdays 9–1</p>"}}), "create")
	ed.post(t, "blog", "/admin/snippets/new", url.Values{"name": {strings.ToUpper(name)}, "visibility": {"public"}}).
		want(t, "same name", 400, "name: another snippet is called")
	if shopAudits(t, "snippet", id, "snippet.create") != 1 {
		t.Fatal("create not audited")
	}
	s := fmt.Sprint(id)
	ed.get(t, "blog", "/admin/snippets/").want(t, "list", 200, name)
	v := shopVersion(t, ed.get(t, "blog", "/admin/snippets/"+s+"/").want(t, "edit page", 200, `value="`+name+`"`, "Saturdays 9–1"))
	ed.post(t, "blog", "/admin/snippets/"+s, url.Values{"version": {v}, "name": {name + " (winter)"}, "visibility": {"private"}, "html": {"<p>Closed</p>"}}).want(t, "save", 303)
	ed.post(t, "blog", "/admin/snippets/"+s, url.Values{"version": {v}, "name": {"Lost"}, "visibility": {"public"}}).want(t, "stale", 409, "changed by someone else")
	ed.post(t, "blog", "/admin/snippets/"+s, url.Values{"version": {v}, "name": {""}}).want(t, "blank on save", 400, "name: must not be empty")
	if got := scalar[string](t, `select name || '|' || visibility || '|' || html from snippets where id = $1`, id); got != name+" (winter)|private|<p>Closed</p>" {
		t.Fatalf("snippet: %s", got)
	}
	if shopAudits(t, "snippet", id, "snippet.update") != 1 {
		t.Fatal("update not audited")
	}
	// Private now: another editor cannot open it; an administrator can.
	shopStaff(t, "other-ed", false, "editor").get(t, "blog", "/admin/snippets/"+s+"/").want(t, "someone else's private snippet", 404)
	as("ada").get(t, "blog", "/admin/snippets/"+s+"/").want(t, "admin sees it", 200)
	v2 := shopVersion(t, ed.get(t, "blog", "/admin/snippets/"+s+"/").want(t, "edit page", 200))
	ed.post(t, "blog", "/admin/snippets/"+s+"/delete", url.Values{"version": {v}}).want(t, "stale delete", 409)
	ed.post(t, "blog", "/admin/snippets/"+s+"/delete", url.Values{"version": {v2}}).want(t, "delete", 303)
	if !scalar[bool](t, `select deleted_at is not null from snippets where id = $1`, id) || shopAudits(t, "snippet", id, "snippet.delete") != 1 {
		t.Fatal("delete not done or not audited")
	}
	ed.get(t, "blog", "/admin/snippets/"+s+"/").want(t, "deleted", 404)
}

// The settings change what every service's pages show; the test is not
// parallel (Go runs it before the parallel ones) and puts them back.
func TestSiteAdminSettings(t *testing.T) {
	ada := shopStaff(t, "settler", true)
	form := func(version, title, tagline, address string) url.Values {
		return url.Values{"version": {version}, "title": {title}, "tagline": {tagline}, "address": {address}}
	}
	page := ada.get(t, "blog", "/admin/settings/").want(t, "settings", 200, "Site title", "Pages", "Shop")
	v := shopVersion(t, page)
	t.Cleanup(func() {
		v := shopVersion(t, ada.get(t, "blog", "/admin/settings/"))
		ada.post(t, "blog", "/admin/settings", form(v, "", "", "")).want(t, "restore", 303)
		anon.get(t, "market", "/suma-market/").want(t, "restored", 200, "Rose Ash Co-op", "Mill Lane")
	})
	ada.post(t, "blog", "/admin/settings", form(v, strings.Repeat("t", 81), "", "")).want(t, "long title", 400, "title: must be at most 80 characters")
	if n := scalar[int](t, `select count(*) from kv where key like 'site.%' and value <> 'null'::jsonb`); n != 0 {
		t.Fatalf("a refused form wrote %d settings", n)
	}
	ada.post(t, "blog", "/admin/settings", form(v, "Ashford <Food> Co-op", "Good food, shared.", "The old mill, Ashford")).want(t, "save", 303)
	ada.post(t, "blog", "/admin/settings", form(v, "Lost", "", "")).want(t, "stale", 409, "changed by someone else")
	if scalar[int](t, `select count(*) from audit_log where object_type = 'settings' and object_id = 'site' and action = 'settings.update' and after->>'title' = 'Ashford <Food> Co-op'`) != 1 {
		t.Fatal("settings not audited")
	}
	// Every service's shell shows them at once (the cached copy is dropped).
	for _, svc := range []string{"blog", "market"} {
		anon.get(t, svc, map[string]string{"blog": "/", "market": "/suma-market/"}[svc]).want(t, svc+" shell", 200, "Ashford &lt;Food&gt; Co-op</span>", "The old mill, Ashford", "Good food, shared.").
			lacks(t, svc+" shell", "Mill Lane", "<Food>")
	}
	anon.get(t, "blog", "/").want(t, "title", 200, "<title>News · Ashford &lt;Food&gt; Co-op</title>")
}

func TestSiteAdminPageConfig(t *testing.T) {
	t.Parallel()
	ada := shopStaff(t, "payer", true)
	// A page of its own, without a config.
	slug := fmt.Sprintf("stall-%d", time.Now().UnixNano())
	pid := scalar[int](t, `insert into posts (slug, title, status, is_page, published_at) values ($1, 'Stall', 'published', true, now()) returning id`, slug)
	p := fmt.Sprint(pid)
	path := "/admin/settings/pages/" + p
	configs := func() int {
		return scalar[int](t, `select count(*) from page_configs where container_type = 'page' and container_id = $1`, pid)
	}
	first := ada.get(t, "blog", path+"/").want(t, "page config", 200, "No key is set", "SumUp merchant code")
	if configs() != 0 {
		t.Fatal("opening the form made a config")
	}
	if !strings.Contains(first.Body, `name="version" value=""`) {
		t.Fatal("a page without a config is not edited at version \"\"")
	}
	ada.post(t, "blog", path, url.Values{"version": {""}, "sumup-merchant-code": {"MC 12"}}).want(t, "bad code", 400, "sumup-merchant-code: must be letters and digits")
	ada.post(t, "blog", path, url.Values{"version": {""}, "sumup-checkout-prefix": {"a/b"}}).want(t, "bad prefix", 400, "sumup-checkout-prefix: must be letters")
	ada.post(t, "blog", path, url.Values{"version": {""}, "sumup-api-key": {"sk key"}}).want(t, "bad key", 400, "sumup-api-key: must be at most 200 characters, without spaces")
	if configs() != 0 {
		t.Fatal("a refused form wrote a config")
	}
	secret := fmt.Sprintf("sup_sk_%d", time.Now().UnixNano())
	ada.post(t, "blog", path, url.Values{"version": {""}, "market": {"true", "false"}, "calendar": {"false"},
		"sumup-merchant-code": {"MCSTALL1"}, "sumup-checkout-prefix": {"stall"}, "sumup-api-key": {secret}}).want(t, "create", 303)
	ada.post(t, "blog", path, url.Values{"version": {""}, "market": {"false"}}).want(t, "made meanwhile", 409)
	got := scalar[string](t, `select features::text || '|' || sumup_merchant_code || '|' || sumup_checkout_prefix || '|' || sumup_api_key
		from page_configs where container_type = 'page' and container_id = $1`, pid)
	if got != `{"market": true, "calendar": false}|MCSTALL1|stall|`+secret {
		t.Fatalf("config: %s", got)
	}
	// What checkout reads is what was written.
	cid := scalar[int](t, `select id from page_configs where container_type = 'page' and container_id = $1`, pid)
	if key := scalar[string](t, `select api_key from (select sumup_api_key as api_key from page_configs where id = $1) c`, cid); key != secret {
		t.Fatalf("checkout would read key %q", key)
	}
	// The form and the audit log never show the key.
	edit := ada.get(t, "blog", path+"/").want(t, "edit", 200, "A key is set", `value="MCSTALL1"`, "Remove the stored key").lacks(t, "edit", secret)
	if n := scalar[int](t, `select count(*) from audit_log where object_type = 'page-config' and object_id = $1 and (before::text like '%sup_sk%' or after::text like '%sup_sk%')`, p); n != 0 {
		t.Fatal("the key is in the audit log")
	}
	if shopAudits(t, "page-config", pid, "page-config.create") != 1 {
		t.Fatal("create not audited")
	}
	v := shopVersion(t, edit)
	// Blank keeps the key.
	ada.post(t, "blog", path, url.Values{"version": {v}, "market": {"true", "false"}, "calendar": {"true", "false"},
		"sumup-merchant-code": {"MCSTALL1"}, "sumup-checkout-prefix": {"stall2"}, "sumup-api-key": {""}}).want(t, "save keeping the key", 303)
	ada.post(t, "blog", path, url.Values{"version": {v}, "market": {"false"}}).want(t, "stale", 409, "changed by someone else")
	if got := scalar[string](t, `select sumup_checkout_prefix || '|' || (features->>'calendar') || '|' || sumup_api_key from page_configs where id = $1`, cid); got != "stall2|true|"+secret {
		t.Fatalf("after save: %s", got)
	}
	v = shopVersion(t, ada.get(t, "blog", path+"/"))
	ada.post(t, "blog", path, url.Values{"version": {v}, "sumup-api-key": {"new"}, "clear-api-key": {"true", "false"}}).
		want(t, "key and clear", 400, "sumup-api-key: give a new key or remove the stored one, not both")
	ada.post(t, "blog", path, url.Values{"version": {v}, "market": {"true", "false"}, "clear-api-key": {"true", "false"}}).want(t, "clear", 303)
	if scalar[bool](t, `select sumup_api_key is not null from page_configs where id = $1`, cid) {
		t.Fatal("the key was not removed")
	}
	ada.get(t, "blog", path+"/").want(t, "after clear", 200, "No key is set")
	ada.get(t, "blog", "/admin/settings/pages/999999/").want(t, "unknown page", 404)
}

// menuItem adds an item through the form and returns its id.
func menuItem(t *testing.T, v *visitor, form url.Values) int {
	t.Helper()
	v.post(t, "blog", "/admin/menus/new", form).want(t, "add "+form.Get("label"), 303)
	return scalar[int](t, `select id from menu_nodes where label = $1 and deleted_at is null`, form.Get("label"))
}

// navOrder fails t unless the public header lists the labels in order.
func navOrder(t *testing.T, what string, labels ...string) {
	t.Helper()
	body := anon.get(t, "blog", "/").want(t, what, 200).Body
	at := -1
	for _, l := range labels {
		i := strings.Index(body, ">"+l+"<")
		if i < 0 || i < at {
			t.Fatalf("%s: %q missing or out of order in the public menu", what, l)
		}
		at = i
	}
}

func TestSiteAdminMenus(t *testing.T) {
	t.Parallel()
	ed := shopStaff(t, "menuer", false, "editor")
	n := time.Now().UnixNano()
	top, a, b := fmt.Sprintf("Test group %d", n), fmt.Sprintf("Alpha %d", n), fmt.Sprintf("Beta %d", n)
	count := func() int { return scalar[int](t, `select count(*) from menu_nodes where label in ('x', ' ', '')`) }
	before := count()
	ed.post(t, "blog", "/admin/menus/new", url.Values{"label": {" "}}).want(t, "blank label", 400, "label: must not be empty")
	ed.post(t, "blog", "/admin/menus/new", url.Values{"label": {"x"}, "href": {"javascript:alert(1)"}}).want(t, "bad href", 400, "href: must be an http(s) address")
	ed.post(t, "blog", "/admin/menus/new", url.Values{"label": {"x"}, "parent-id": {"999999"}}).want(t, "unknown parent", 400, "parent-id: is not one of the choices")
	ed.post(t, "blog", "/admin/menus/new", url.Values{"label": {"x"}, "slug": {"Not A Slug"}}).want(t, "bad slug", 400, "slug: must be lower-case")
	if count() != before {
		t.Fatal("a refused form wrote a menu node")
	}
	g := menuItem(t, ed, url.Values{"label": {top}})
	ia := menuItem(t, ed, url.Values{"label": {a}, "parent-id": {fmt.Sprint(g)}, "href": {"/alpha/"}})
	ib := menuItem(t, ed, url.Values{"label": {b}, "parent-id": {fmt.Sprint(g)}, "href": {"https://example.org/beta"}})
	if shopAudits(t, "menu-node", ia, "menu.create") != 1 {
		t.Fatal("create not audited")
	}
	// The public header shows the new items at once (the cached menu is dropped).
	navOrder(t, "after adding", top, a, b)
	ed.get(t, "blog", "/admin/menus/").want(t, "editor", 200, `id="menu-node-`+fmt.Sprint(ib)+`"`, "Move "+b+" up", "Move "+a+" down")

	// Reorder without the runtime: a redirect back to the item.
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d/move", ib), url.Values{"position": {"0"}}).want(t, "move up", 303)
	navOrder(t, "after moving up", top, b, a)
	// Pressed twice (or by two editors): the same place.
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d/move", ib), url.Values{"position": {"0"}}).want(t, "move up again", 303)
	navOrder(t, "after moving up twice", top, b, a)
	if shopAudits(t, "menu-node", ib, "menu.move") != 1 {
		t.Fatal("move not audited once")
	}
	// With the runtime: the tree comes back to be swapped in place.
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d/move", ib), url.Values{"position": {"1"}}, "SX-Request", "true").
		want(t, "move down in place", 200, `id="menu-editor"`).lacks(t, "in place", "<html")
	navOrder(t, "after moving down", top, a, b)
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d/move", ib), url.Values{"position": {"-1"}}).want(t, "bad position", 400, "position")

	// Rename and re-parent (to the top), stale saves refused.
	v := shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/menus/%d/", ia)).want(t, "edit", 200, `value="`+a+`"`))
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d", ia), url.Values{"version": {v}, "label": {a}, "parent-id": {fmt.Sprint(ia)}}).
		want(t, "under itself", 400, "parent-id: is not one of the choices")
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d", ia), url.Values{"version": {v}, "label": {a + " renamed"}, "parent-id": {""}, "href": {"/alpha/"}}).want(t, "save", 303)
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d", ia), url.Values{"version": {v}, "label": {"Lost"}}).want(t, "stale", 409, "changed by someone else")
	if got := scalar[string](t, `select label || '|' || coalesce(parent_id::text, 'top') || '|' || depth from menu_nodes where id = $1`, ia); got != a+" renamed|top|0" {
		t.Fatalf("after save: %s", got)
	}
	if shopAudits(t, "menu-node", ia, "menu.update") != 1 {
		t.Fatal("update not audited")
	}
	navOrder(t, "renamed", a+" renamed")

	// A node the navigation keeps (a market or calendar under a page) is not edited here.
	if link := scalar[int](t, `select coalesce(min(id), 0) from menu_nodes where link_type is not null and container_type is null and deleted_at is null`); link != 0 {
		ed.get(t, "blog", fmt.Sprintf("/admin/menus/%d/", link)).want(t, "link node page", 404)
		lv := scalar[string](t, `select (floor(extract(epoch from updated_at) * 1000000))::bigint::text from menu_nodes where id = $1`, link)
		ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d", link), url.Values{"version": {lv}, "label": {"x"}}).want(t, "link node save", 409)
		ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d/delete", link), url.Values{"version": {lv}}).want(t, "link node delete", 409)
	}

	// Delete: the group and the item under it.
	gv := shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/menus/%d/", g)).want(t, "group", 200))
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d/delete", g), url.Values{"version": {"1"}}).want(t, "stale delete", 409)
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d/delete", g), url.Values{"version": {gv}}).want(t, "delete", 303)
	if scalar[int](t, `select count(*) from menu_nodes where id in ($1, $2) and deleted_at is null`, g, ib) != 0 || shopAudits(t, "menu-node", g, "menu.delete") != 1 {
		t.Fatal("group not deleted with its item, or not audited")
	}
	anon.get(t, "blog", "/").want(t, "after delete", 200).lacks(t, "after delete", ">"+b+"<", ">"+top+"<")
	ed.post(t, "blog", fmt.Sprintf("/admin/menus/%d/delete", ia), url.Values{"version": {shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/menus/%d/", ia)))}}).want(t, "delete the other", 303)
}

func TestSiteAdminMenuAttach(t *testing.T) {
	t.Parallel()
	ed := shopStaff(t, "attacher", false, "editor")
	n := time.Now().UnixNano()
	page := scalar[int](t, `insert into posts (slug, title, status, is_page, published_at) values ($1, $2, 'published', true, now()) returning id`,
		fmt.Sprintf("stand-%d", n), fmt.Sprintf("Stand %d", n))
	market := scalar[int](t, `insert into market_places (slug, name) values ($1, 'Stand market') returning id`, fmt.Sprintf("stand-market-%d", n))
	other := scalar[int](t, `select id from posts where slug = 'shop'`)
	cal := scalar[int](t, `insert into calendars (container_type, container_id, name, slug) values ('page', $1, 'Stand hours', $2) returning id`,
		other, fmt.Sprintf("stand-hours-%d", n))
	exec(t, `insert into container_relations (parent_type, parent_id, child_type, child_id) values ('page', $1, 'calendar', $2)`, other, cal)
	label := fmt.Sprintf("Stand item %d", n)
	node := menuItem(t, ed, url.Values{"label": {label}, "post-id": {fmt.Sprint(page)}})
	path := fmt.Sprintf("/admin/menus/%d", node)
	ed.get(t, "blog", path+"/").want(t, "no features", 200, "No market or calendar is on this page", "Turn on the page's market or calendar feature")
	attached := func(kind string, id int) bool {
		return scalar[bool](t, `select exists (select 1 from container_relations where parent_type = 'page' and parent_id = $1 and child_type = $2 and child_id = $3 and deleted_at is null)`, page, kind, id)
	}
	ed.post(t, "blog", path+"/attach", url.Values{"child": {fmt.Sprintf("market:%d", market)}}).want(t, "feature off", 400, "child: the page")
	ed.post(t, "blog", path+"/attach", url.Values{"child": {"shop:1"}}).want(t, "bad child", 400, "child: choose a market or a calendar")
	if attached("market", market) {
		t.Fatal("a refused attach wrote")
	}
	exec(t, `insert into page_configs (container_type, container_id, features) values ('page', $1, '{"market": true, "calendar": true}')`, page)
	ed.get(t, "blog", path+"/").want(t, "choices", 200, "Market: Stand market", "Calendar: Stand hours")
	ed.post(t, "blog", path+"/attach", url.Values{"child": {fmt.Sprintf("market:%d", market)}}).want(t, "attach market", 303)
	ed.post(t, "blog", path+"/attach", url.Values{"child": {fmt.Sprintf("calendar:%d", cal)}}).want(t, "attach calendar", 303)
	if !attached("market", market) || !attached("calendar", cal) || scalar[int](t, `select container_id from calendars where id = $1`, cal) != page {
		t.Fatal("market or calendar not on the page")
	}
	if scalar[bool](t, `select exists (select 1 from container_relations where parent_id = $1 and child_type = 'calendar' and child_id = $2 and deleted_at is null)`, other, cal) {
		t.Fatal("the calendar is still on its old page")
	}
	if shopAudits(t, "page", page, "page.attach") != 2 {
		t.Fatal("attach not audited")
	}
	ed.get(t, "blog", path+"/").want(t, "listed", 200, "Market: Stand market", "Take Stand market off the page")
	ed.post(t, "blog", path+"/detach", url.Values{"child": {fmt.Sprintf("calendar:%d", cal)}}).want(t, "calendar detach", 400, "child: a calendar always belongs to a page")
	ed.post(t, "blog", path+"/detach", url.Values{"child": {fmt.Sprintf("market:%d", market)}}).want(t, "detach", 303)
	if attached("market", market) || !attached("calendar", cal) {
		t.Fatal("detach took off the wrong thing")
	}
	ed.post(t, "blog", path+"/delete", url.Values{"version": {shopVersion(t, ed.get(t, "blog", path+"/"))}}).want(t, "clean up", 303)
}
