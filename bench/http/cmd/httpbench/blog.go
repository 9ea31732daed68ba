package main

import (
	"context"
	"html/template"
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"
)

// The blog-home scenario (issue 14): the home page of a blog as the sites
// build one — a header with the three fragments every page of the platform
// shows (the navigation, the cart badge, the account menu), fetched at once
// with gather, and a listing of the twelve latest posts. sxhost serves two
// versions of the page:
//
//   - /blog: the fragments are defhandlers with the TTLs of services/*
//     (nav-tree 60 s, cart-mini 10 s, auth-menu 60 s), taken from the
//     host's fragment cache between two expiries, as every page of the
//     platform does, and the listing is a defquery with :cache 30 (the
//     query-result cache, emptied whenever the process writes), so a page
//     between two expiries runs no statement;
//   - /blog-uncached: the same handlers without a TTL and the listing's
//     statement run directly, so every request renders the three
//     fragments and runs all three queries.
//
// The peer (fasthttp + pgx + html/template) runs the three queries on
// every request, one after the other, as a hand-written handler does, and
// writes the same bytes for both paths.

const (
	navSQL   = "select label, href from nav_items order by position"
	cartSQL  = "select count(*)::int as n from cart_items where session_id = $1"
	postsSQL = "select slug, title, excerpt, author, to_char(published_at, 'YYYY-MM-DD') as published " +
		"from posts order by published_at desc, id desc limit 12"
)

// blogTables is the schema and data of the scenario; bench/http/run and
// TestBlogPageIdentical create it next to products.
const blogTables = `
create table nav_items (position integer primary key, label text not null, href text not null);
insert into nav_items select i, case when i = 3 then 'Shop & Market' else 'Section ' || i end, '/s' || i || '/'
  from generate_series(1, 8) i;
create table cart_items (session_id text not null, product_id integer not null, quantity integer not null);
create index on cart_items (session_id);
insert into cart_items select 's' || (i % 50), i, 1 from generate_series(1, 200) i;
create table posts (id integer primary key, slug text not null, title text not null, excerpt text not null,
                    author text not null, published_at timestamptz not null);
insert into posts select i, 'post-' || i,
       case when i % 4 = 0 then 'Notes "' || i || '" <draft> & more' else 'The news of week ' || i end,
       'What the co-op did in week ' || i || ': meetings, a market day & the accounts < 5 minutes to read.',
       case when i % 3 = 0 then 'Zoë' else 'Sam' end,
       timestamptz '2026-01-01' + i * interval '1 day'
  from generate_series(1, 300) i;
analyze nav_items; analyze cart_items; analyze posts;
`

const blogService = `
;; The blog-home scenario: three header fragments and a listing.
(defhandler nav-tree :ttl 60 ()
  (~bench-nav :items (sql/rows "` + navSQL + `")))
(defhandler cart-mini :ttl 10 (&key (session :str ""))
  (~bench-cart :n (sql/value "` + cartSQL + `" session)))
(defhandler auth-menu :ttl 60 (&key (next :str "/"))
  (~bench-auth :next next))

;; The same fragments uncached.
(defhandler nav-tree-live ()
  (~bench-nav :items (sql/rows "` + navSQL + `")))
(defhandler cart-mini-live (&key (session :str ""))
  (~bench-cart :n (sql/value "` + cartSQL + `" session)))
(defhandler auth-menu-live (&key (next :str "/"))
  (~bench-auth :next next))

(defcomp ~bench-nav (&key items)
  (ul :class "nav-tree"
    (map (fn (n) (li (a :href (get n :href) (get n :label)))) items)))

(defcomp ~bench-cart (&key n)
  (a :class "cart-mini" :href "/cart/" :aria-label (str "Cart, " n " items")
     (span :class "badge" n)))

(defcomp ~bench-auth (&key next)
  (a :class "button button-small" :href (str "/auth/login?next=" (url-encode next)) "Sign in"))

(defcomp ~bench-post-card (&key post)
  (let ((href (str "/" (get post :slug) "/")))
    (article :class "post-card"
      (h2 (a :href href (get post :title)))
      (p :class "byline" "By " (get post :author) " · "
         (time :datetime (get post :published) (get post :published)))
      (p :class "excerpt" (get post :excerpt))
      (a :class "more" :href href "Read more"))))

(defcomp ~bench-blog-page (&key nav cart auth posts)
  (html
    (head
      (meta :charset "utf-8")
      (title "News · Bench co-op")
      (meta :name "description" :content "The latest news of the Bench co-op.")
      (link :rel "canonical" :href "/blog"))
    (body
      (header :class "site-header"
        (a :class "brand" :href "/" "Bench co-op")
        (nav :class "site-nav" :aria-label "Site" nav)
        (div :class "tools" cart auth))
      (main :class "content"
        (h1 "News")
        (div :class "post-list" (map (fn (p) (~bench-post-card :post p)) posts)))
      (footer :class "site-footer" (p "© Bench co-op")))))

;; The listing, kept 30 s (dropped when the process writes).
(defquery latest-posts :cache 30 ()
  "The twelve latest posts."
  (sql/rows "` + postsSQL + `"))

(defpage blog :path "/blog" :title "News"
  :content
  (let ((parts (gather (fn () (frag "bench" "nav-tree"))
                       (fn () (frag "bench" "cart-mini" :session ""))
                       (fn () (frag "bench" "auth-menu" :next "/blog"))))
        (posts (latest-posts)))
    (~bench-blog-page :nav (nth parts 0) :cart (nth parts 1) :auth (nth parts 2) :posts posts)))

(defpage blog-uncached :path "/blog-uncached" :title "News"
  :content
  (let ((parts (gather (fn () (frag "bench" "nav-tree-live"))
                       (fn () (frag "bench" "cart-mini-live" :session ""))
                       (fn () (frag "bench" "auth-menu-live" :next "/blog"))))
        (posts (sql/rows "` + postsSQL + `")))
    (~bench-blog-page :nav (nth parts 0) :cart (nth parts 1) :auth (nth parts 2) :posts posts)))
`

// blogTemplate is the same page in html/template; text is passed escaped
// as the SX renderer escapes it (see productTemplate).
var blogTemplate = template.Must(template.New("blog").Parse(
	`<!doctype html><html><head><meta charset="utf-8"><title>News · Bench co-op</title>` +
		`<meta name="description" content="The latest news of the Bench co-op."><link rel="canonical" href="/blog"></head>` +
		`<body><header class="site-header"><a class="brand" href="/">Bench co-op</a>` +
		`<nav class="site-nav" aria-label="Site"><ul class="nav-tree">` +
		`{{range .Nav}}<li><a href="{{.Href}}">{{.Label}}</a></li>{{end}}</ul></nav>` +
		`<div class="tools"><a class="cart-mini" href="/cart/" aria-label="Cart, {{.Cart}} items"><span class="badge">{{.Cart}}</span></a>` +
		`<a class="button button-small" href="{{.Login}}">Sign in</a></div></header>` +
		`<main class="content"><h1>News</h1><div class="post-list">` +
		`{{range .Posts}}<article class="post-card"><h2><a href="{{.Href}}">{{.Title}}</a></h2>` +
		`<p class="byline">By {{.Author}} · <time datetime="{{.Published}}">{{.Published}}</time></p>` +
		`<p class="excerpt">{{.Excerpt}}</p><a class="more" href="{{.Href}}">Read more</a></article>{{end}}` +
		`</div></main><footer class="site-footer"><p>© Bench co-op</p></footer></body></html>`))

type navLink struct {
	Label template.HTML
	Href  template.HTML
}

type postCard struct {
	Href, Title, Author, Excerpt, Published template.HTML
}

type blogView struct {
	Nav   []navLink
	Cart  int32
	Login template.HTML
	Posts []postCard
}

// sxEscapeHTML escapes s as the SX renderer does, for html/template.
func sxEscapeHTML(s string) template.HTML { return template.HTML(sxEscaper.Replace(s)) }

// blogPage answers /blog and /blog-uncached: three queries, one template.
func (pr *peer) blogPage(ctx *fasthttp.RequestCtx) {
	c, cancel := context.WithTimeout(context.Background(), pr.timeout)
	defer cancel()
	fail := func() { ctx.ResetBody(); ctx.Error("internal error", 500) }
	v := blogView{Login: sxEscapeHTML("/auth/login?next=" + strings.ReplaceAll(url.QueryEscape("/blog"), "+", "%20"))}
	rows, err := pr.pool.Query(c, navSQL)
	if err != nil {
		fail()
		return
	}
	for rows.Next() {
		var label, href string
		if err := rows.Scan(&label, &href); err != nil {
			rows.Close()
			fail()
			return
		}
		v.Nav = append(v.Nav, navLink{sxEscapeHTML(label), sxEscapeHTML(href)})
	}
	if rows.Err() != nil {
		fail()
		return
	}
	if err := pr.pool.QueryRow(c, cartSQL, "").Scan(&v.Cart); err != nil {
		fail()
		return
	}
	rows, err = pr.pool.Query(c, postsSQL)
	if err != nil {
		fail()
		return
	}
	v.Posts = make([]postCard, 0, 12)
	for rows.Next() {
		var slug, title, excerpt, author, published string
		if err := rows.Scan(&slug, &title, &excerpt, &author, &published); err != nil {
			rows.Close()
			fail()
			return
		}
		v.Posts = append(v.Posts, postCard{sxEscapeHTML("/" + slug + "/"), sxEscapeHTML(title),
			sxEscapeHTML(author), sxEscapeHTML(excerpt), sxEscapeHTML(published)})
	}
	if rows.Err() != nil {
		fail()
		return
	}
	ctx.SetContentType("text/html; charset=utf-8")
	if err := blogTemplate.Execute(ctx, &v); err != nil {
		fail()
	}
}
