package sitetest_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The blog's posts and pages admin (issue 16, services/blog/admin_posts.sx)
// over HTTP: who may use it, the editor's success, its 400s naming the
// field with nothing written, 409 on a stale version, the slug redirect,
// publishing, scheduling (the publish-scheduled job), delete and restore.

func TestBlogAdminRefusesOutsiders(t *testing.T) {
	t.Parallel()
	id := fmt.Sprint(scalar[int](t, `select id from posts where slug = 'shop'`))
	shopRefuses(t, "blog", []shopRoute{
		{"GET", "/admin/"}, {"GET", "/admin/posts/"}, {"GET", "/admin/pages/"},
		{"GET", "/admin/posts/new/"}, {"POST", "/admin/posts/new"},
		{"GET", "/admin/pages/new/"}, {"POST", "/admin/pages/new"},
		{"GET", "/admin/posts/" + id + "/"}, {"POST", "/admin/posts/" + id},
		{"POST", "/admin/posts/" + id + "/status"}, {"POST", "/admin/posts/" + id + "/delete"},
		{"POST", "/admin/posts/" + id + "/restore"}, {"POST", "/admin/posts/preview"},
	})
	// An organiser is not an editor; without the CSRF token a POST is refused.
	if st := shopStaff(t, "orgb", false, "organiser").get(t, "blog", "/admin/posts/").Status; st != 403 {
		t.Fatalf("organiser: %d, want 403", st)
	}
	ed := shopStaff(t, "csrfed", false, "editor")
	ed.csrf["blog"] = ""
	if st := ed.post(t, "blog", "/admin/posts/new", url.Values{"title": {"No token"}}).Status; st != 403 {
		t.Fatalf("no CSRF token: %d, want 403", st)
	}
	// The admin home's links work for an editor.
	ed = shopStaff(t, "homeed", false, "editor")
	home := ed.get(t, "blog", "/admin/").want(t, "admin home", 200, `href="`+urls["blog"]+`/admin/posts/"`)
	for _, path := range []string{"/admin/posts/", "/admin/pages/", "/admin/posts/new/", "/admin/pages/new/"} {
		ed.get(t, "blog", path).want(t, path, 200)
	}
	ed.get(t, "blog", "/admin/pages/").want(t, "pages", 200, "The shop")
	_ = home
}

func TestBlogAdminPostLifecycle(t *testing.T) {
	t.Parallel()
	ed := blogEditor(t, "writer")
	stamp := time.Now().UnixNano()
	slug := fmt.Sprintf("first-light-%d", stamp)
	count := func() int {
		return scalar[int](t, `select count(*) from posts where user_id = (select id from users where slug = $1)`, ed.who)
	}
	before := count()
	newPost := func(form url.Values) page { return ed.post(t, "blog", "/admin/posts/new", form) }
	newPost(url.Values{"title": {" "}}).want(t, "blank title", 400, "title: must not be empty", `aria-invalid="true"`)
	newPost(url.Values{"title": {"Shop again"}, "slug": {"shop"}}).want(t, "slug taken", 400, "slug: another post or page is at /shop/")
	newPost(url.Values{"title": {"Admin"}}).want(t, "reserved", 400, "slug: /admin/ is one of the blog")
	newPost(url.Values{"title": {"Bad slug"}, "slug": {"Bad Slug"}}).want(t, "bad slug", 400, "slug: must be lower-case")
	newPost(url.Values{"title": {"Bad sx"}, "format": {"sx"}, "body": {`(p "unclosed`}}).want(t, "bad sx", 400, "body: is not valid SX")
	newPost(url.Values{"title": {"Bad image"}, "feature-image": {"javascript:alert(1)"}}).want(t, "bad image", 400, "feature-image: must be")
	newPost(url.Values{"title": {"Bad author"}, "authors": {"nobody-at-all"}}).want(t, "bad author", 400, "authors: there is no author nobody-at-all")
	newPost(url.Values{"title": {"Bad format"}, "format": {"word"}}).want(t, "bad format", 400, "format: is not one of the choices")
	newTag := fmt.Sprintf("Dawn chorus %d", stamp)
	if n := count(); n != before {
		t.Fatalf("refused forms wrote %d posts", n-before)
	}
	if n := scalar[int](t, `select count(*) from tags where name = $1`, newTag); n != 0 {
		t.Fatal("a refused form wrote a tag")
	}

	// A draft in Markdown, with a new tag and an existing one, two authors.
	id := shopCreated(t, newPost(url.Values{"title": {"First light"}, "slug": {slug}, "excerpt": {"Up early."},
		"feature-image": {"/static/img/seed/post-shop.svg"}, "tags": {"Garden, " + newTag}, "authors": {"ben, Ada Baker"},
		"visibility": {"public"}, "format": {"markdown"}, "body": {"Hello **world**\n\n<script>alert(1)</script>"}}), "create")
	if got := scalar[string](t, `select status || ' ' || markdown || '|' || html from posts where id = $1`, id); !strings.HasPrefix(got, "draft Hello **world**") ||
		!strings.Contains(got, "<strong>world</strong>") || strings.Contains(got[strings.Index(got, "|"):], "<script>") {
		t.Fatalf("stored: %q", got)
	}
	if got := scalar[string](t, `select string_agg(t.slug, ',' order by x.sort_order) from posts_tags x join tags t on t.id = x.tag_id where x.post_id = $1`, id); got != fmt.Sprintf("garden,dawn-chorus-%d", stamp) {
		t.Fatalf("tags %q", got)
	}
	if got := scalar[string](t, `select string_agg(a.slug, ',' order by x.sort_order) from posts_authors x join authors a on a.id = x.author_id where x.post_id = $1`, id); got != "ben,ada" {
		t.Fatalf("authors %q", got)
	}
	if shopAudits(t, "post", id, "post.create") != 1 {
		t.Fatal("create not audited")
	}
	anon.get(t, "blog", "/"+slug+"/").want(t, "draft is not public", 404)
	ed.get(t, "blog", "/admin/posts/?status=draft&q=first+light").want(t, "list drafts", 200, "First light", "Draft")
	ed.get(t, "blog", "/admin/posts/?status=published&q=first+light").want(t, "not published", 200).lacks(t, "not published", "/"+slug+"/")

	// Edit: the form shows the Markdown source; a stale save is a 409 that
	// keeps the editor's text and shows the saved one.
	v1 := shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/posts/%d/", id)).want(t, "editor", 200,
		`value="First light"`, "Hello **world**", "<strong>world</strong>", "Garden, Dawn chorus", `value="ben, ada"`))
	edit := func(version string, form url.Values) page {
		form.Set("version", version)
		return ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d", id), form)
	}
	slug2 := slug + "-renamed"
	edit(v1, url.Values{"title": {"First light, again"}, "slug": {slug2}, "format": {"sx"},
		"body": {`(p "Early " (em "birds"))`}}).want(t, "save", 303)
	edit(v1, url.Values{"title": {"My lost title"}, "slug": {slug}, "format": {"markdown"}, "body": {"my precious words"}}).
		want(t, "stale", 409, "Nothing was saved", "my precious words", "My lost title", "their version", "First light, again")
	edit(v1, url.Values{"title": {""}}).want(t, "blank on stale", 400, "title: must not be empty")
	if got := scalar[string](t, `select title || '|' || sx_content || '|' || html || '|' || coalesce(markdown, 'null') from posts where id = $1`, id); got != `First light, again|(p "Early " (em "birds"))|<p>Early <em>birds</em></p>|null` {
		t.Fatalf("after save: %q", got)
	}
	if shopAudits(t, "post", id, "post.update") != 1 {
		t.Fatal("update not audited once")
	}
	// The old slug redirects (once published, and it answers as itself).
	if got := scalar[int](t, `select post_id from post_slug_redirects where slug = $1`, slug); got != id {
		t.Fatalf("redirect row: %d", got)
	}

	// Publish now: on the site, in the feed, the old address a 301, and
	// the post.published activity emitted.
	v2 := shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/posts/%d/", id)).want(t, "editor", 200, "Publish now"))
	ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d/status", id), url.Values{"version": {v1}, "status": {"published"}}).want(t, "stale publish", 409, "changed by someone else")
	ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d/status", id), url.Values{"version": {v2}, "status": {"sold"}}).want(t, "bad status", 400, "status: must be")
	ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d/status", id), url.Values{"version": {v2}, "status": {"published"}}).want(t, "publish", 303)
	anon.get(t, "blog", "/"+slug2+"/").want(t, "published", 200, "<em>birds</em>")
	moved := anon.get(t, "blog", "/"+slug+"/")
	if moved.Status != 301 || !strings.HasSuffix(moved.Header.Get("Location"), "/"+slug2+"/") {
		t.Fatalf("old slug: %d %q", moved.Status, moved.Header.Get("Location"))
	}
	anon.get(t, "blog", "/feed.xml").want(t, "feed", 200, "First light, again")
	if n := scalar[int](t, `select count(*) from ap_activities where activity_type = 'post.published' and payload->>'post-id' = $1`, fmt.Sprint(id)); n != 1 {
		t.Fatalf("%d post.published activities", n)
	}
	if shopAudits(t, "post", id, "post.publish") != 1 {
		t.Fatal("publish not audited")
	}

	// Unpublish, then delete (soft) and restore.
	v3 := shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/posts/%d/", id)).want(t, "editor", 200, "Unpublish"))
	ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d/status", id), url.Values{"version": {v3}, "status": {"draft"}}).want(t, "unpublish", 303)
	anon.get(t, "blog", "/"+slug2+"/").want(t, "unpublished", 404)
	v4 := shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/posts/%d/", id)).want(t, "editor", 200))
	ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d/delete", id), url.Values{"version": {v3}}).want(t, "stale delete", 409)
	ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d/delete", id), url.Values{"version": {v4}}).want(t, "delete", 303)
	ed.get(t, "blog", "/admin/posts/?status=deleted&q=first+light").want(t, "deleted list", 200, "First light, again")
	ed.get(t, "blog", "/admin/posts/?q=first+light").want(t, "all list", 200).lacks(t, "all list", "First light, again")
	v5 := shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/posts/%d/", id)).want(t, "deleted editor", 200, "Restore"))
	ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d/restore", id), url.Values{"version": {v5}}).want(t, "restore", 303)
	if scalar[bool](t, `select deleted_at is not null from posts where id = $1`, id) {
		t.Fatal("not restored")
	}
	for _, a := range []string{"post.unpublish", "post.delete", "post.restore"} {
		if shopAudits(t, "post", id, a) != 1 {
			t.Fatalf("%s not audited", a)
		}
	}
}

func TestBlogAdminSchedule(t *testing.T) {
	t.Parallel()
	ed := blogEditor(t, "scheduler")
	slug := fmt.Sprintf("later-%d", time.Now().UnixNano())
	id := shopCreated(t, ed.post(t, "blog", "/admin/posts/new", url.Values{"title": {"Later on"}, "slug": {slug}, "body": {"Soon."}}), "create")
	v := shopVersion(t, ed.get(t, "blog", fmt.Sprintf("/admin/posts/%d/", id)).want(t, "editor", 200, "Schedule"))
	status := func(form url.Values) page { return ed.post(t, "blog", fmt.Sprintf("/admin/posts/%d/status", id), form) }
	status(url.Values{"version": {v}, "status": {"scheduled"}, "publish-at": {"tomorrow"}}).want(t, "bad time", 400, "publish-at: must be a date and time")
	status(url.Values{"version": {v}, "status": {"scheduled"}, "publish-at": {"2001-01-01T10:00"}}).want(t, "past", 400, "publish-at: must be in the future")
	at := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	status(url.Values{"version": {v}, "status": {"scheduled"}, "publish-at": {at}}).want(t, "schedule", 303)
	ed.get(t, "blog", fmt.Sprintf("/admin/posts/%d/", id)).want(t, "scheduled", 200, "Scheduled: it is published on", "Cancel the schedule")
	anon.get(t, "blog", "/"+slug+"/").want(t, "not yet", 404)
	blog := service(t, "blog")
	if _, err := blog.RunJob(context.Background(), "publish-scheduled"); err != nil {
		t.Fatal(err)
	}
	if st := scalar[string](t, `select status from posts where id = $1`, id); st != "scheduled" {
		t.Fatalf("published early: %s", st)
	}
	// Its time comes: the job publishes it, audits it and federates it.
	exec(t, `update posts set published_at = now() - interval '1 second' where id = $1`, id)
	if _, err := blog.RunJob(context.Background(), "publish-scheduled"); err != nil {
		t.Fatal(err)
	}
	if st := scalar[string](t, `select status from posts where id = $1`, id); st != "published" {
		t.Fatalf("not published by the job: %s", st)
	}
	anon.get(t, "blog", "/"+slug+"/").want(t, "published by the job", 200, "Later on")
	if shopAudits(t, "post", id, "post.publish") != 1 ||
		scalar[int](t, `select count(*) from ap_activities where activity_type = 'post.published' and payload->>'post-id' = $1`, fmt.Sprint(id)) != 1 {
		t.Fatal("the job's publish not audited or not federated")
	}
}

func TestBlogAdminPagesAndPreview(t *testing.T) {
	t.Parallel()
	ed := blogEditor(t, "pager")
	slug := fmt.Sprintf("about-us-%d", time.Now().UnixNano())
	id := shopCreated(t, ed.post(t, "blog", "/admin/pages/new", url.Values{"title": {"About us"}, "slug": {slug},
		"body": {"We *grow* things."}, "intent": {"publish"}}), "page")
	if got := scalar[string](t, `select is_page || ' ' || status from posts where id = $1`, id); got != "true published" {
		t.Fatalf("page: %s", got)
	}
	anon.get(t, "blog", "/"+slug+"/").want(t, "page", 200, "<em>grow</em>")
	ed.get(t, "blog", "/admin/pages/?q=about+us").want(t, "pages list", 200, "About us")
	ed.get(t, "blog", "/admin/posts/?q=about+us").lacks(t, "posts list", "About us")
	// Pages are not sent to the fediverse.
	if n := scalar[int](t, `select count(*) from ap_activities where activity_type = 'post.published' and payload->>'post-id' = $1`, fmt.Sprint(id)); n != 0 {
		t.Fatalf("page federated: %d", n)
	}
	ed.post(t, "blog", "/admin/posts/preview", url.Values{"format": {"markdown"}, "body": {"# Hi\n\n<script>x</script>"}}).
		want(t, "preview", 200, "<h1", "Hi").lacks(t, "preview", "<script")
	ed.post(t, "blog", "/admin/posts/preview", url.Values{"format": {"sx"}, "body": {`(p "x" (script "alert(1)"))`}}).
		want(t, "sx preview", 200, "<p>x").lacks(t, "sx preview", "<script")
	ed.post(t, "blog", "/admin/posts/preview", url.Values{"format": {"sx"}, "body": {`(p "x`}}).want(t, "bad sx preview", 200, "is not valid SX")
}

// service is one of the platform's services, by name.
func service(t testing.TB, name string) interface {
	RunJob(context.Context, string) (bool, error)
} {
	t.Helper()
	for _, s := range plat.Services() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %s", name)
	return nil
}

// blogEditor is an editor of its own whose posts are removed when the test
// ends: the demo's listings and feed, which other tests read, stay as seeded.
func blogEditor(t *testing.T, slug string) *visitor {
	t.Helper()
	ed := shopStaff(t, slug, false, "editor")
	t.Cleanup(func() {
		exec(t, `delete from posts where user_id = (select id from users where slug = $1)`, ed.who)
	})
	return ed
}
