package sitetest_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Snippets on the public site (docs/admin.md, Snippets): (~snippet "name")
// in a post's SX body and the public snippet called footer in every
// service's footer show what the admin saved, at once (the cached copies
// are dropped), sanitised; private and deleted snippets show nothing.
// Not parallel: the footer is on every page other tests read.
func TestSnippetsOnThePublicSite(t *testing.T) {
	ed := shopStaff(t, "snippub", false, "editor")
	n := time.Now().UnixNano()
	name := fmt.Sprintf("Hours %d", n)
	slug := fmt.Sprintf("snippet-post-%d", n)
	exec(t, `insert into posts (slug, title, status, is_page, published_at, sx_content, html)
		values ($1, 'Snippet post', 'published', false, now(), $2, '')`,
		slug, fmt.Sprintf(`(<> (p "Before.") (~snippet %q) (~snippet "No such snippet %d") (p "After."))`, strings.ToUpper(name), n))
	t.Cleanup(func() { exec(t, `delete from posts where slug = $1`, slug) })
	post := func(what string) page {
		return anon.get(t, "blog", "/"+slug+"/").want(t, what, 200, "<p>Before.</p>", "<p>After.</p>")
	}

	// Before it exists: nothing in its place.
	post("no snippet yet").lacks(t, "no snippet yet", `class="hours"`)
	id := shopCreated(t, ed.post(t, "blog", "/admin/snippets/new", url.Values{"name": {name}, "visibility": {"public"},
		"html": {`<p class="hours">Tuesdays 10–2</p><script>alert(1)</script>`}}), "create")
	post("created").want(t, "created", 200, `<p class="hours">Tuesdays 10–2</p>`).lacks(t, "created", "alert(1)")

	// Edited: the page follows at once.
	s := fmt.Sprint(id)
	v := shopVersion(t, ed.get(t, "blog", "/admin/snippets/"+s+"/"))
	ed.post(t, "blog", "/admin/snippets/"+s, url.Values{"version": {v}, "name": {name}, "visibility": {"public"},
		"html": {`<p class="hours">Fridays 4–7</p>`}}).want(t, "edit", 303)
	post("edited").want(t, "edited", 200, "Fridays 4–7").lacks(t, "edited", "Tuesdays")

	// Private: a draft nobody else sees.
	v = shopVersion(t, ed.get(t, "blog", "/admin/snippets/"+s+"/"))
	ed.post(t, "blog", "/admin/snippets/"+s, url.Values{"version": {v}, "name": {name}, "visibility": {"private"},
		"html": {`<p class="hours">Fridays 4–7</p>`}}).want(t, "make private", 303)
	post("private").lacks(t, "private", "Fridays")

	// The footer snippet: on every service's pages, edited, then deleted.
	footer := shopCreated(t, ed.post(t, "blog", "/admin/snippets/new", url.Values{"name": {"Footer"}, "visibility": {"public"},
		"html": {`<p>Bring your own bags <a href="https://example.org/bags" onclick="x()">why</a></p>`}}), "footer")
	f := fmt.Sprint(footer)
	t.Cleanup(func() { exec(t, `update snippets set deleted_at = now() where id = $1`, footer) })
	paths := map[string]string{"blog": "/", "market": "/suma-market/", "events": "/whats-on/calendars/", "federation": "/auth/login"}
	for svc, path := range paths {
		anon.get(t, svc, path).want(t, svc+" footer", 200, `<div class="footer-snippet"><p>Bring your own bags <a href="https://example.org/bags"`).
			lacks(t, svc+" footer", "onclick")
	}
	v = shopVersion(t, ed.get(t, "blog", "/admin/snippets/"+f+"/"))
	ed.post(t, "blog", "/admin/snippets/"+f, url.Values{"version": {v}, "name": {"footer"}, "visibility": {"public"},
		"html": {`<p>Closed on 26 December</p>`}}).want(t, "edit footer", 303)
	anon.get(t, "market", "/suma-market/").want(t, "edited footer", 200, "Closed on 26 December").lacks(t, "edited footer", "Bring your own bags")
	v = shopVersion(t, ed.get(t, "blog", "/admin/snippets/"+f+"/"))
	ed.post(t, "blog", "/admin/snippets/"+f+"/delete", url.Values{"version": {v}}).want(t, "delete footer", 303)
	for svc, path := range paths {
		anon.get(t, svc, path).want(t, svc+" after delete", 200).lacks(t, svc+" after delete", "footer-snippet", "Closed on 26 December")
	}
}
