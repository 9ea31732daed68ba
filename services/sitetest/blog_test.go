package sitetest_test

import (
	"encoding/xml"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var cardTitles = regexp.MustCompile(`(?:<h2><a href="|\(h2 \(a :href ")[^"]*/([a-z0-9-]+)/"`)

// slugsOf lists the posts a listing shows, in order.
func slugsOf(body string) []string {
	var out []string
	for _, m := range cardTitles.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestBlogHome(t *testing.T) {
	t.Parallel()
	home := anon.get(t, "blog", "/").want(t, "home", 200,
		"<title>News · Rose Ash Co-op</title>", "<h1>News from the co-op</h1>",
		`<meta name="description" content="A member-owned food co-op`,
		`<link rel="canonical" href="`+urls["blog"]+`/">`, `<meta property="og:title" content="News">`,
		`<meta property="og:image" content="`+urls["blog"]+`/static/img/og-default.`,
		`<img src="/static/img/seed/post-spring-supper.svg"`, "Older posts", `href="/?page=2"`,
		`aria-label="Topics"`, `href="`+urls["blog"]+`/?tag=garden"`,
		// the header: the site menu from nav-tree, the footer
		`<nav id="site-nav" class="site-nav" aria-label="Site">`, ">Shop</a>", ">What's on</a>", `class="site-footer"`)
	slugs := slugsOf(home.Body)
	if len(slugs) != 12 || slugs[0] != "spring-supper" || slugs[1] != "bread-week" {
		t.Fatalf("first page lists %v", slugs)
	}
	home.lacks(t, "anonymous home", "members-budget") // members-only posts are not listed
	// Signed-in readers see members-only posts too.
	all := map[string]bool{}
	for p := 1; p <= 3; p++ {
		for _, s := range slugsOf(as("cleo").get(t, "blog", "/?page="+itoa(p)).want(t, "member listing", 200).Body) {
			all[s] = true
		}
	}
	if !all["members-budget"] || all["shop"] || all["about"] {
		t.Fatalf("member's listing: %v", all)
	}
	// The last page has no "Older posts".
	total := scalar[int](t, "select count(*) from posts where not is_page and visibility = 'public' and status = 'published' and deleted_at is null")
	last := (total + 11) / 12
	anon.get(t, "blog", "/?page="+itoa(last)).want(t, "last page", 200).lacks(t, "last page", "Older posts")
}

func TestBlogInfiniteScrollAnswersItems(t *testing.T) {
	t.Parallel()
	// The sentinel's request: the runtime, not boosted, targeting
	// #more-posts: list items only, and the next sentinel.
	more := anon.get(t, "blog", "/?page=1", "SX-Request", "true", "SX-Target", "more-posts").
		want(t, "page 1 partial", 200, `(li (article :class "card post-card"`, `:id "more-posts"`, `:href "/?page=2"`).
		lacks(t, "page 1 partial", "(html", "(header", "(h1")
	if got := slugsOf(more.Body); len(got) != 12 {
		t.Fatalf("page 1 lists %v", got)
	}
	first := slugsOf(anon.get(t, "blog", "/?page=2").Body)
	for _, s := range slugsOf(more.Body) {
		for _, f := range first {
			if s == f {
				t.Fatalf("%s on pages 1 and 2", s)
			}
		}
	}
}

func TestBlogTagFilterAndPages(t *testing.T) {
	t.Parallel()
	garden := anon.get(t, "blog", "/?tag=garden").want(t, "?tag=garden", 200,
		"<h1>News about Garden</h1>", `aria-current="true">Garden</a>`, `content="The allotment and the seed library"`)
	got := strings.Join(slugsOf(garden.Body), ",")
	if got != "seed-swap,veg-boxes,harvest-notes" {
		t.Fatalf("garden posts: %s", got)
	}
	anon.get(t, "blog", "/?tag=no-such-tag").want(t, "unknown tag filter", 404, "We could not find that page")

	tag := anon.get(t, "blog", "/tag/garden/").want(t, "tag page", 200, "<title>Garden · Rose Ash Co-op</title>",
		"<h1>Garden</h1>", "3 posts", `<p class="lede">The allotment and the seed library</p>`)
	if got := strings.Join(slugsOf(tag.Body), ","); got != "seed-swap,veg-boxes,harvest-notes" {
		t.Fatalf("tag page lists %s", got)
	}
	anon.get(t, "blog", "/tag/nope/").want(t, "unknown tag", 404)
	// An internal tag has no page.
	anon.get(t, "blog", "/tag/%23staff/").want(t, "internal tag", 404)

	author := anon.get(t, "blog", "/author/ben/").want(t, "author page", 200, "<h1>Ben Grower</h1>",
		"Runs the veg boxes and the seed swap.", `"@type":"Person"`)
	if got := strings.Join(slugsOf(author.Body), ","); got != "seed-swap,veg-boxes,harvest-notes" {
		t.Fatalf("ben's posts: %s", got)
	}
	anon.get(t, "blog", "/author/nobody/").want(t, "unknown author", 404)
}

func TestBlogPost(t *testing.T) {
	t.Parallel()
	post := anon.get(t, "blog", "/bread-week/").want(t, "post", 200,
		"<title>Bread week · Rose Ash Co-op</title>", "<h1>Bread week</h1>",
		`<meta name="description" content="Seven loaves, seven days: notes from the ovens.">`,
		`<link rel="canonical" href="`+urls["blog"]+`/bread-week/">`, `<meta property="og:type" content="article">`,
		`<meta property="og:image" content="`+urls["blog"]+`/static/img/seed/post-bread-week.svg">`,
		`"@type":"BlogPosting"`, `"headline":"Bread week"`,
		`href="`+urls["blog"]+`/author/ada/">Ada Baker</a>`, `href="`+urls["blog"]+`/tag/food/">Food</a>`,
		"<p>Monday was a plain white tin", "<blockquote>Bake the bread")
	post.lacks(t, "anonymous post", "like-button")

	// A page has no byline; its aside holds its market's and calendars' links
	// when their providers answer.
	anon.get(t, "blog", "/about/").want(t, "page", 200, "<h1>About the co-op</h1>", "<h2>How it works</h2>",
		`<meta property="og:type" content="website">`, `"@type":"WebPage"`).lacks(t, "page", `class="byline"`)

	anon.get(t, "blog", "/no-such-post/").want(t, "unknown post", 404, "We could not find that page", `content="noindex"`)
}

func TestBlogMembersPostsAndDrafts(t *testing.T) {
	t.Parallel()
	anon.get(t, "blog", "/members-budget/").want(t, "members post, anonymous", 200,
		"This post is for members of the co-op.", "Sign in to read it").lacks(t, "members post", "line by line")
	as("cleo").get(t, "blog", "/members-budget/").want(t, "members post, member", 200, "The numbers behind the surplus, line by line.")

	exec(t, `insert into posts (slug, title, status, html) values ('draft-plans', 'Draft plans', 'draft', '<p>Not yet.</p>')`)
	anon.get(t, "blog", "/draft-plans/").want(t, "draft, anonymous", 404)
	as("cleo").get(t, "blog", "/draft-plans/").want(t, "draft, member", 404)
	as("ada").get(t, "blog", "/draft-plans/").want(t, "draft, admin", 200, "<p>Not yet.</p>", "Not published (draft)", `content="noindex"`)
}

func TestBlogLike(t *testing.T) {
	t.Parallel()
	ben := as("ben")
	// spring-supper is liked by ben in the seed.
	ben.get(t, "blog", "/spring-supper/").want(t, "liked post", 200, `aria-pressed="true"`, "♥ Liked")
	cleo := as("cleo")
	cleo.get(t, "blog", "/annual-meeting/").want(t, "not liked", 200, `aria-pressed="false"`)
	// Without JavaScript: a form post, then back to the post.
	r := cleo.post(t, "blog", "/annual-meeting/like", nil)
	if r.Status != 303 || !strings.HasSuffix(r.Header.Get("Location"), "/annual-meeting/") {
		t.Fatalf("like without JS: %d %v", r.Status, r.Header)
	}
	liked := func() bool {
		return scalar[bool](t, "select exists (select 1 from likes l join users u on u.id = l.user_id where u.slug = 'cleo' and target_slug = 'annual-meeting')")
	}
	if !liked() {
		t.Fatal("like not stored")
	}
	// With the runtime: the new button.
	cleo.post(t, "blog", "/annual-meeting/like", nil, "SX-Request", "true").
		want(t, "unlike with JS", 200, `aria-pressed="false"`).lacks(t, "unlike", "<html")
	if liked() {
		t.Fatal("unlike not stored")
	}
	// No token, no like; no user, no like.
	r = cleo.do(t, "POST", "blog", "/annual-meeting/like", url.Values{})
	if r.Status != 403 {
		t.Fatalf("like without CSRF token: %d", r.Status)
	}
	if r := anon.post(t, "blog", "/annual-meeting/like", nil); r.Status != 403 && r.Status != 401 {
		t.Fatalf("anonymous like: %d", r.Status)
	}
}

// Text from posts, tags and authors is escaped; HTML bodies are sanitised;
// SX bodies are markup only.
func TestBlogEscapesUserText(t *testing.T) {
	t.Parallel()
	exec(t, `insert into tags (slug, name, description) values ('x-evil', '<b>Evil</b> & co', '"quoted" <i>tag</i>')`)
	exec(t, `insert into authors (slug, name, bio) values ('mallory', '<script>alert(1)</script>Mallory', 'Bio <img src=x onerror=alert(1)>')`)
	exec(t, `insert into posts (slug, title, status, html, custom_excerpt, published_at, primary_author_id, primary_tag_id)
	         values ('evil-post', '<script>alert("t")</script> & "Title"', 'published',
	                 '<p onclick="x()">Body <a href="javascript:alert(1)">link</a><script>alert(2)</script><img src="/i.png" onerror="alert(3)" alt="i"></p>',
	                 'Excerpt <b>bold</b>', now() - interval '400 days',
	                 (select id from authors where slug = 'mallory'), (select id from tags where slug = 'x-evil'))`)
	exec(t, `insert into posts_authors (post_id, author_id) select p.id, a.id from posts p, authors a where p.slug = 'evil-post' and a.slug = 'mallory'`)
	exec(t, `insert into posts_tags (post_id, tag_id) select p.id, t.id from posts p, tags t where p.slug = 'evil-post' and t.slug = 'x-evil'`)
	exec(t, `insert into posts (slug, title, status, sx_content, published_at)
	         values ('sx-post', 'SX body', 'published', '(p :class "x" "Hello " (strong "world") (script "alert(4)") (a :href "javascript:alert(5)" :onclick "y()" "l") (~card :title "t" (em "inside")) (sql/exec "delete from posts"))', now() - interval '401 days')`)

	evil := anon.get(t, "blog", "/evil-post/").want(t, "evil post", 200,
		`&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &quot;Title&quot;`, `&lt;script&gt;alert(1)&lt;/script&gt;Mallory`,
		`&lt;b&gt;Evil&lt;/b&gt; &amp; co`, "Excerpt &lt;b&gt;bold&lt;/b&gt;", `<img src="/i.png" alt="i">`)
	evil.lacks(t, "evil post", "<script>alert", "onclick", "onerror", "javascript:alert")
	anon.get(t, "blog", "/tag/x-evil/").want(t, "evil tag", 200, "&lt;b&gt;Evil&lt;/b&gt; &amp; co", "&quot;quoted&quot; &lt;i&gt;tag&lt;/i&gt;").
		lacks(t, "evil tag", "<b>Evil</b>")
	anon.get(t, "blog", "/author/mallory/").want(t, "evil author", 200, "Bio &lt;img src=x onerror=alert(1)&gt;",
		`"name":"\u003cscript>alert(1)\u003c/script>Mallory"`).lacks(t, "evil author", "<script>alert(1)")
	sx := anon.get(t, "blog", "/sx-post/").want(t, "sx body", 200, `<p class="x">Hello <strong>world</strong>`, "<em>inside</em>")
	sx.lacks(t, "sx body", "alert(4)</script>", "javascript:", "onclick")
	if n := scalar[int](t, "select count(*) from posts"); n < 20 {
		t.Fatalf("the SX body ran its sql/exec: %d posts left", n)
	}
	feed := anon.get(t, "blog", "/feed.xml")
	if err := xml.Unmarshal([]byte(feed.Body), new(struct{})); err != nil {
		t.Fatalf("feed is not XML with an evil post in the store: %v", err)
	}
}

func TestBlogFeedSitemapRobots(t *testing.T) {
	t.Parallel()
	feed := anon.get(t, "blog", "/feed.xml").want(t, "feed", 200, `<feed xmlns="http://www.w3.org/2005/Atom">`,
		"<title>Spring supper</title>", `href="`+urls["blog"]+`/bread-week/"`, "<name>Ben Grower</name>")
	if ct := feed.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Fatalf("feed content type %s", ct)
	}
	var atom struct {
		Entries []struct {
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(feed.Body), &atom); err != nil || len(atom.Entries) != 20 || atom.Entries[0].Title != "Spring supper" {
		t.Fatalf("feed: %v %+v", err, atom.Entries)
	}
	sm := anon.get(t, "blog", "/sitemap.xml").want(t, "sitemap", 200, "<loc>"+urls["blog"]+"/bread-week/</loc>",
		"<loc>"+urls["blog"]+"/about/</loc>", "<loc>"+urls["blog"]+"/tag/garden/</loc>").
		lacks(t, "sitemap", "members-budget")
	var set struct {
		URLs []struct {
			Loc string `xml:"loc"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(sm.Body), &set); err != nil || len(set.URLs) < 25 {
		t.Fatalf("sitemap: %v, %d urls", err, len(set.URLs))
	}
	anon.get(t, "blog", "/robots.txt").want(t, "robots", 200, "Sitemap: "+urls["blog"]+"/sitemap.xml", "Disallow: /internal/")
}

func TestBlogFragments(t *testing.T) {
	t.Parallel()
	nav := anon.get(t, "blog", "/internal/fragments/nav-tree").want(t, "nav-tree", 200,
		`<ul class="nav-tree">`, `href="`+urls["blog"]+`/shop/">Shop</a>`, `href="/annual-meeting/">Annual meeting</a>`,
		// link nodes: the market under the shop, the calendars under what's on
		`href="`+urls["market"]+`/suma-market/"`, `href="`+urls["events"]+`/whats-on/calendar/hall/">Village hall</a>`,
		`href="`+urls["events"]+`/whats-on/calendar/workshops/">Workshops</a>`)
	if cc := nav.Header.Get("Cache-Control"); cc != "max-age=60" {
		t.Fatalf("nav-tree cache: %q", cc)
	}
	item := anon.get(t, "blog", "/internal/fragments/nav-item?slug=shop").want(t, "nav-item", 200,
		`<a class="nav-item" href="`+urls["blog"]+`/shop/">The shop</a>`)
	if cc := item.Header.Get("Cache-Control"); cc != "max-age=300" {
		t.Fatalf("nav-item cache: %q", cc)
	}
	anon.get(t, "blog", "/internal/fragments/nav-item?slug=nope").want(t, "nav-item unknown", 200).lacks(t, "nav-item unknown", "<a")
	anon.get(t, "blog", "/internal/fragments/link-card?slug=bread-week").want(t, "link-card", 200,
		`<article class="card link-card">`, `<h3><a href="`+urls["blog"]+`/bread-week/">Bread week</a></h3>`,
		"Seven loaves, seven days")
}

func itoa(n int) string { return strconv.Itoa(n) }
