package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/prims/htmlsafe"
)

// The peer of the site scenarios: what a hand-written server for the two
// pages would be, with fasthttp, pgx and html/template. For every request
// it runs, one after the other, each SQL statement sxhost's services run
// for the page when none of their caches holds anything (the statements of
// services/*.sx, copied, with the same arguments): a hand-written handler
// has no query cache, fragment cache or settings cache, so it asks the
// database each time. It writes the same markup, escaped as the SX
// renderer escapes (text: & < > "; attributes also '), passed to the
// templates as template.HTML as the model scenarios do; the JSON-LD as
// template.JS. Like sxhost it answers with a CSP nonce, the security
// headers, and, where the page has a form, a CSRF token kept in a sealed
// session cookie (AES-GCM).

// The statements, as the services write them (whitespace folded).
const (
	// blog: posts-published (news) — the total, then the page of posts.
	siteNewsFilter   = ` from posts p left join tags pt on pt.id = p.primary_tag_id and pt.visibility = 'public' left join authors pa on pa.id = p.primary_author_id where p.status = 'published' and p.published_at <= now() and p.deleted_at is null and (p.visibility = 'public' or ($1::boolean and p.visibility = 'members')) and p.is_page = $2::boolean and (not $3::boolean or p.featured) and ($4::text is null or exists (select 1 from posts_tags x join tags xt on xt.id = x.tag_id where x.post_id = p.id and xt.slug = $4))`
	siteNewsCountSQL = `select count(*)` + siteNewsFilter
	siteNewsRowsSQL  = `select p.id, p.uuid, p.slug, p.title, p.status, p.is_page, p.visibility, p.featured, p.feature_image, p.custom_excerpt, p.primary_author_id, pt.id as primary_tag_id, p.published_at, p.created_at, p.updated_at, pt.slug as primary_tag_slug, pt.name as primary_tag_name, pa.slug as primary_author_slug, pa.name as primary_author_name` +
		siteNewsFilter + ` order by p.published_at desc, p.id desc limit $5 offset $6`
	// blog: tags-with-counts.
	siteTagsSQL = `select t.id, t.slug, t.name, t.description, t.feature_image, count(p.id) as count from tags t left join posts_tags x on x.tag_id = t.id left join posts p on p.id = x.post_id and p.status = 'published' and p.published_at <= now() and p.deleted_at is null and not p.is_page and (p.visibility = 'public' or ($1::boolean and p.visibility = 'members')) where t.visibility = 'public' group by t.id order by lower(t.name), t.id`
	// blog: calendar-pages.
	siteCalendarPagesSQL = `select distinct p.id, p.slug, p.title, min(r.sort_order) as sort_order from container_relations r join posts p on p.id = r.parent_id where r.parent_type = 'page' and r.child_type = 'calendar' and r.deleted_at is null and p.deleted_at is null and p.status = 'published' group by p.id order by min(r.sort_order), p.id`
	// events: upcoming-entries, then with-links' calendars and blog's posts-by-ids.
	siteUpcomingSQL       = `select e.id, e.calendar_id, e.slot_id, e.name, e.start_at, e.end_at, e.state, e.cost, e.user_id, e.order_id, e.created_at, e.updated_at, c.container_type, c.container_id, c.name as calendar_name, c.slug as calendar_slug from calendar_entries e join calendars c on c.id = e.calendar_id where c.container_type = $1 and c.container_id = $2 and c.deleted_at is null and e.deleted_at is null and e.state <> 'cancelled' and e.user_id is null and e.session_id is null and coalesce(e.end_at, e.start_at) >= now() order by e.start_at, e.id limit $3`
	siteCalendarsByIDsSQL = `select id, slug, name from calendars where id = any($1::int[])`
	sitePostsByIDsSQL     = `select id, uuid, slug, title, status, is_page, visibility, featured, feature_image, custom_excerpt, html, sx_content, primary_author_id, primary_tag_id, user_id, published_at, created_at, updated_at from posts where id = any($1::int[]) and deleted_at is null order by array_position($1::int[], id)`
	// blog: site-settings (the kv rows, the footer snippet).
	siteSettingsSQL = `select substr(key, 6) as name, value #>> '{}' as value, (floor(extract(epoch from updated_at) * 1000000))::bigint::text as version from kv where key = any($1::text[])`
	siteSnippetSQL  = `select html from snippets where lower(name) = lower($1) and visibility = 'public' and deleted_at is null order by id limit 1`
	// blog: nav-menu, then market's marketplaces-by-ids and events'
	// calendars-for-container for the link nodes (nav-tree).
	siteMenuSQL          = `with recursive t(id, lvl) as ( select id, 0 from menu_nodes where parent_id is not distinct from $1::int and container_type is not distinct from $2::text and container_id is not distinct from $3::int and deleted_at is null union all select m.id, t.lvl + 1 from menu_nodes m join t on m.parent_id = t.id where m.deleted_at is null and t.lvl + 1 < $4::int) select n.id, n.parent_id, n.container_type, n.container_id, n.post_id, n.link_type, n.link_id, n.label, n.slug, n.href, n.sort_order, n.depth, n.created_at, n.updated_at, p.slug as post_slug, p.title as post_title from menu_nodes n left join posts p on p.id = n.post_id and p.deleted_at is null where n.id in (select id from t) order by n.sort_order, n.id`
	siteMarketsByIDsSQL  = `select id, slug, name, description, created_at, updated_at from market_places where id = any($1::bigint[]) and deleted_at is null order by array_position($1::bigint[], id::bigint)`
	siteCalendarsForSQL  = `select id, container_type, container_id, name, slug, description, created_at, updated_at from calendars where container_type = $1 and container_id = $2 and deleted_at is null order by name, id`
	siteMarketBySlugSQL  = `select id, slug, name, description, created_at, updated_at from market_places where slug = $1 and deleted_at is null`
	siteProductBySlugSQL = `select id, market_id, slug, sku, title, brand, description_html, image_url, images, price, rrp, currency, vat_rate, case_size, unit, in_stock, nav_top_id, nav_sub_id, source_url, scraped_at, created_at, updated_at from products where slug = $1 and deleted_at is null`
	siteMarketLiveSQL    = `select true from market_places where id = $1::bigint and deleted_at is null`
	siteNavTopsSQL       = `select id, market_id, slug, label, sort_order, created_at, updated_at from nav_tops where market_id = $1::bigint order by sort_order, id`
	siteNavSubsSQL       = `select s.id, s.top_id, s.slug, s.label, s.sort_order, s.created_at, s.updated_at from nav_subs s join nav_tops t on t.id = s.top_id where t.market_id = $1::bigint order by s.sort_order, s.id`
)

// The layout's defaults (services/shared/layout.sx).
const (
	siteName    = "Rose Ash Co-op"
	siteTagline = "A member-owned food co-op: wholefoods, a weekly market and a village hall."
	siteAddress = "Unit 4, Mill Lane, Ashford · open Saturdays 9–1"
	blogPerPage = 12
)

var (
	sxTextEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	sxAttrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
)

// tx and ax escape text and attribute values as the SX renderer does.
func tx(s string) template.HTML { return template.HTML(sxTextEscaper.Replace(s)) }
func ax(s string) template.HTML { return template.HTML(sxAttrEscaper.Replace(s)) }

// urlEncode is SX's url-encode: a query value, spaces as %20.
func urlEncode(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// siteURL is (site-url service path) with the public URLs set.
func siteURL(service, path string) string { return sitePublicURL(service) + path }

// siteTemplates are the two pages: the layout's parts (head, header,
// footer) shared, as a hand-written site would share them.
var siteTemplates = template.Must(template.New("site").Parse(`
{{- define "head" -}}
<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
	`<title>{{.FullTitle}}</title><meta name="description" content="{{.Description}}"><link rel="canonical" href="{{.Canonical}}">` +
	`<meta name="theme-color" content="#2f5d50"><meta property="og:site_name" content="{{.SiteName}}"><meta property="og:title" content="{{.OGTitle}}">` +
	`<meta property="og:description" content="{{.Description}}"><meta property="og:type" content="{{.OGType}}"><meta property="og:url" content="{{.Canonical}}">` +
	`<meta property="og:image" content="{{.OGImage}}"><meta name="twitter:card" content="{{.TwitterCard}}">` +
	`<link rel="icon" href="{{.Assets.Icon}}" type="image/svg+xml"><link rel="stylesheet" href="{{.Assets.CSS}}">` +
	`<script src="{{.Assets.JS}}" defer nonce="{{.Nonce}}"></script>` +
	`<link rel="alternate" type="application/atom+xml" title="{{.SiteName}} — news" href="{{.FeedURL}}">` +
	`{{if .JSONLD}}<script type="application/ld+json">{{.JSONLD}}</script>{{end}}` +
	`{{if .CSRF}}<meta name="csrf-token" content="{{.CSRF}}">{{end}}</head>` +
	`<body class="page-{{.Page}}"><div id="sx-root" sx-boost="true" sx-target="#site-page"><a class="skip-link" href="#main">Skip to content</a>` +
	`<header class="site-header"><div class="wrap site-header-inner"><a class="brand" href="{{.HomeURL}}">` +
	`<svg class="brand-mark" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" focusable="false"><circle cx="16" cy="16" r="15" fill="currentColor" opacity="0.12"></circle>` +
	`<path d="M16 5c4.5 3.2 6.8 6.9 6.8 11.2 0 4.6-3 7.8-6.8 7.8s-6.8-3.2-6.8-7.8C9.2 11.9 11.5 8.2 16 5z" fill="currentColor"></path>` +
	`<path d="M16 12v15" stroke="var(--bg, #fff)" stroke-width="1.6" stroke-linecap="round" fill="none"></path></svg><span class="brand-name">{{.SiteName}}</span></a>` +
	`<a class="menu-toggle" href="#site-nav" aria-controls="site-nav"><svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false">` +
	`<path d="M3 5h14M3 10h14M3 15h14" stroke="currentColor" stroke-width="2" stroke-linecap="round"></path></svg><span class="menu-label">Menu</span></a>` +
	`<nav id="site-nav" class="site-nav" aria-label="Site"><ul class="nav-tree"><li><a href="{{.HomeURL}}">News</a></li>{{range .Nav}}{{template "node" .}}{{end}}</ul>` +
	`<a class="menu-close" href="#">Close menu</a></nav><div class="site-tools"><div id="site-cart" class="site-cart">` +
	`<a id="cart-mini" class="cart-mini" href="{{.CartURL}}" aria-label="Cart: {{.CartCount}} {{if eq .CartCount 1}}item{{else}}items{{end}}">` +
	`<svg class="cart-mini-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M3 4h2l2.4 11.2a1 1 0 0 0 1 .8h8.9a1 1 0 0 0 1-.8L20 8H6.2M9 20h.01M17 20h.01"></path></svg>` +
	`<span class="cart-count">{{.CartCount}}</span></a></div><div id="site-account" class="site-account">` +
	`<a class="button button-small auth-sign-in" href="/auth/login?next={{.Next}}">Sign in</a></div></div></div></header>` +
	`<div id="site-page"><div class="wrap page{{if .WithAside}} with-aside{{end}}"><main id="main" class="content" tabindex="-1">
{{- end -}}
{{- define "node" -}}
<li{{if .Children}} class="has-children"{{end}}>{{if .URL}}<a href="{{.URL}}">{{.Label}}</a>{{else}}<span class="nav-heading">{{.Label}}</span>{{end}}` +
	`{{if .Children}}<ul>{{range .Children}}{{template "node" .}}{{end}}</ul>{{end}}</li>
{{- end -}}
{{- define "foot" -}}
</div><footer class="site-footer"><div class="wrap site-footer-inner"><div class="footer-about"><p class="footer-name">{{.SiteName}}</p>` +
	`<p>{{.Tagline}}</p><p>{{.Address}}</p>{{if .Footer}}<div class="footer-snippet">{{.Footer}}</div>{{end}}</div>` +
	`<nav class="footer-nav" aria-label="Footer"><ul><li><a href="{{.HomeURL}}">News</a></li><li><a href="{{.FeedURL}}">Atom feed</a></li>` +
	`<li><a href="{{.CartURL}}">Your cart</a></li><li><a href="{{.AccountURL}}">Your account</a></li><li><a href="{{.SitemapURL}}">Sitemap</a></li></ul></nav></div></footer></div></body></html>
{{- end -}}
{{- define "blog" -}}
{{template "head" .Layout}}<div class="page-head"><p class="eyebrow">Rose Ash Co-op</p><h1>News from the co-op</h1><p class="lede">{{.Lede}}</p></div>` +
	`<nav class="filter-bar" aria-label="Topics"><span class="label">Topics:</span><a class="tag" href="{{.Layout.HomeURL}}" aria-current="true">All</a>` +
	`{{range .Tags}}<a class="tag" href="{{.URL}}">{{.Name}}</a>{{end}}</nav>` +
	`{{if .Cards}}<section class="whats-on" aria-labelledby="whats-on-title"><h2 id="whats-on-title">What's on</h2>` +
	`{{range .Cards}}<section class="container-cards" aria-label="Events"><ul class="event-cards">` +
	`{{range .}}<li class="event-card"><a href="{{.URL}}">{{.Name}}</a><p><time datetime="{{.Start}}">{{.When}}</time></p><p class="event-card-calendar">{{.Calendar}}</p></li>{{end}}` +
	`</ul></section>{{end}}</section>{{end}}` +
	`{{if .Posts}}<ul class="post-list" id="posts">{{range .Posts}}<li><article class="card post-card">` +
	`{{if .Image}}<a class="card-media" href="{{.URL}}" tabindex="-1" aria-hidden="true"><img src="{{.Image}}" alt="" loading="lazy" width="640" height="360"></a>{{end}}` +
	`<div class="card-body">{{if .Tag}}<p class="eyebrow">{{.Tag}}</p>{{end}}<h2><a href="{{.URL}}">{{.Title}}</a></h2>{{if .Excerpt}}<p>{{.Excerpt}}</p>{{end}}` +
	`<p class="meta"><time datetime="{{.Datetime}}">{{.Date}}</time>{{if .Author}} · <a href="{{.AuthorURL}}">{{.Author}}</a>{{end}}` +
	`{{if .Members}} · <span class="status">Members</span>{{end}}</p></div></article></li>{{end}}` +
	`{{if .Next}}<li class="more" id="more-posts" sx-boost="false"><a class="button button-quiet" href="{{.Next}}" sx-get="{{.Next}}" sx-trigger="revealed" sx-target="#more-posts" sx-swap="outerHTML"><span class="more-label">Older posts</span></a></li>{{end}}` +
	`</ul>{{else}}<p class="empty">No news yet: check back soon.</p>{{end}}</main></div>{{template "foot" .Layout}}
{{- end -}}
{{- define "product" -}}
{{template "head" .Layout}}<article class="product"><nav class="breadcrumbs" aria-label="Breadcrumb"><ol><li><a href="{{.MarketPath}}">{{.MarketName}}</a></li>` +
	`<li><span aria-current="page">{{.Title}}</span></li></ol></nav><div class="product-layout"><div class="product-gallery">` +
	`{{if .Images}}<img src="{{index .Images 0}}" alt="{{.TitleAttr}}" width="480" height="480" class="product-image">` +
	`{{if gt (len .Images) 1}}<ul class="thumbs">{{range .Thumbs}}<li><img src="{{.Src}}" alt="{{.Alt}}" width="96" height="96" loading="lazy"></li>{{end}}</ul>{{end}}` +
	`{{else}}<div class="product-image product-image-none" role="img" aria-label="No picture of {{.TitleAttr}}"><span aria-hidden="true">{{.Initial}}</span></div>{{end}}` +
	`</div><div class="product-info"><h1>{{.Title}}</h1>{{if .Brand}}<p class="product-brand">by {{.Brand}}</p>{{end}}` +
	`<p class="price">{{if .Price}}<span class="price-now">{{.Price}}</span>{{if .RRP}}<span class="price-rrp"> RRP <del>{{.RRP}}</del></span>{{end}}{{else}}Price on request{{end}}</p>` +
	`<p class="stock {{if .InStock}}in-stock{{else}}out-of-stock{{end}}">{{if .InStock}}In stock{{else}}Out of stock{{end}}{{.Sold}}</p>` +
	`{{if .Price}}<form id="add-to-cart" class="add-to-cart" method="post" action="{{.Path}}add" sx-post="{{.Path}}add" sx-target="#add-to-cart" sx-swap="outerHTML" sx-error-target="#add-status">` +
	`<input type="hidden" name="csrf_token" value="{{.Layout.CSRF}}"><div class="field field-inline"><label for="add-quantity">Quantity</label>` +
	`<input id="add-quantity" type="number" name="quantity" value="1" min="1" max="999" inputmode="numeric" required></div>` +
	`<button type="submit" class="button button-primary"{{if not .InStock}} disabled{{end}}>Add to cart</button><p id="add-status" class="form-status" role="status" aria-live="polite"></p></form>{{end}}` +
	`<p id="like" class="like-form"><a href="{{.Login}}">Sign in</a> to like products.</p>` +
	`{{if .About}}<section class="product-description" aria-labelledby="about-title"><h2 id="about-title">About this product</h2><p>{{.About}}</p></section>{{end}}` +
	`<dl class="product-facts">{{if .SKU}}<dt>Code</dt><dd>{{.SKU}}</dd>{{end}}{{if .VAT}}<dt>VAT</dt><dd>{{.VAT}}</dd>{{end}}</dl></div></div></article></main>` +
	`<aside class="page-aside" aria-label="Related"><nav class="category-nav" aria-label="Categories"><h2 class="aside-title"><a href="{{.MarketPath}}">{{.MarketName}}</a></h2><ul>` +
	`{{range .Tops}}<li><a href="{{.Path}}">{{.Label}}</a>{{if .Subs}}<ul>{{range .Subs}}<li><a href="{{.Path}}">{{.Label}}</a></li>{{end}}</ul>{{end}}</li>{{end}}` +
	`</ul></nav></aside></div>{{template "foot" .Layout}}
{{- end -}}`))

// siteAssets are the content-hashed URLs of the layout's static files, as
// asset-url makes them: name.<12 hex of the SHA-256>.ext.
type siteAssets struct{ Icon, CSS, JS, OGImage string }

func loadSiteAssets(root string) (siteAssets, error) {
	hashed := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(root, "services", "static", filepath.FromSlash(name)))
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(b)
		ext := filepath.Ext(name)
		return "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext, nil
	}
	var a siteAssets
	var err error
	for _, f := range []struct {
		dst  *string
		name string
	}{{&a.Icon, "img/icon.svg"}, {&a.CSS, "site.css"}, {&a.JS, "site.js"}, {&a.OGImage, "img/og-default.png"}} {
		if *f.dst, err = hashed(f.name); err != nil {
			return a, err
		}
	}
	return a, nil
}

// siteLayoutView is what the layout's parts show.
type siteLayoutView struct {
	FullTitle, Description, Canonical, OGTitle, OGType, OGImage, TwitterCard template.HTML
	SiteName, Tagline, Address, Footer                                       template.HTML
	HomeURL, FeedURL, CartURL, AccountURL, SitemapURL                        template.HTML
	Page                                                                     template.HTML
	Next                                                                     template.URL // the page's path, url-encoded
	JSONLD                                                                   template.JS
	Nonce, CSRF                                                              string
	Assets                                                                   siteAssets
	Nav                                                                      []*siteNode
	CartCount                                                                int
	WithAside                                                                bool
}

// siteNode is one node of the site menu.
type siteNode struct {
	id, parentID             int64
	postID, linkID           *int64
	linkType, href, postSlug *string
	URL, Label               template.HTML
	Children                 []*siteNode
}

type sitePostCard struct {
	URL, Image, Tag, Title, Excerpt, Datetime, Date, Author, AuthorURL template.HTML
	Members                                                            bool
}

type siteTagLink struct{ URL, Name template.HTML }

type siteEventCard struct{ URL, Name, Start, When, Calendar template.HTML }

type siteBlogView struct {
	Layout *siteLayoutView
	Lede   template.HTML
	Tags   []siteTagLink
	Cards  [][]siteEventCard
	Posts  []sitePostCard
	Next   template.HTML
}

type siteThumb struct{ Src, Alt template.HTML }

type siteCategory struct {
	Path, Label template.HTML
	Subs        []siteCategory
}

type siteProductView struct {
	Layout                                   *siteLayoutView
	MarketPath, MarketName, Title, TitleAttr template.HTML
	Path, Initial, Brand, Price, RRP, Sold   template.HTML
	Login, About, SKU, VAT                   template.HTML
	Images                                   []template.HTML
	Thumbs                                   []siteThumb
	InStock                                  bool
	Tops                                     []siteCategory
}

// sitePeer serves the two pages.
type sitePeer struct {
	pool    *pgxpool.Pool
	timeout time.Duration
	assets  siteAssets
	aead    cipher.AEAD
}

// newSitePeerServers returns the peer's servers for blog's home and
// market's product page; root is the repository (for the static files
// whose hashed URLs the pages link).
func newSitePeerServers(root string, pool *pgxpool.Pool) (blog, market *fasthttp.Server, err error) {
	a, err := loadSiteAssets(root)
	if err != nil {
		return nil, nil, err
	}
	key := sha256.Sum256([]byte("httpbench site peer"))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	sp := &sitePeer{pool: pool, timeout: 10 * time.Second, assets: a, aead: aead}
	route := func(h fasthttp.RequestHandler) fasthttp.RequestHandler {
		return func(ctx *fasthttp.RequestCtx) {
			if bytes.Equal(ctx.Path(), pathHealth) {
				ctx.SetContentType("text/plain")
				ctx.SetBodyString("ok\n")
				return
			}
			h(ctx)
		}
	}
	blog = serverLimits(&fasthttp.Server{Handler: route(sp.blogHome), Name: "peer"})
	market = serverLimits(&fasthttp.Server{Handler: route(sp.productPage), Name: "peer"})
	return blog, market, nil
}

// randomToken returns n random bytes, encoded.
func randomToken(n int, enc func([]byte) string) string {
	b := make([]byte, n)
	rand.Read(b)
	return enc(b)
}

// secure sets the headers sxhost sets on a page, with the page's nonce.
func secure(ctx *fasthttp.RequestCtx, nonce string) {
	h := &ctx.Response.Header
	h.SetContentType("text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}

// layout reads what every page's layout shows: the site settings and the
// site menu (with its link nodes' URLs), and fills the shared view.
func (sp *sitePeer) layout(c context.Context, service, path string) (*siteLayoutView, error) {
	settings := map[string]string{}
	rows, err := sp.pool.Query(c, siteSettingsSQL, []string{"site.title", "site.tagline", "site.address"})
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		var value *string
		if err := rows.Scan(&name, &value, nil); err != nil {
			rows.Close()
			return nil, err
		}
		if value != nil {
			settings[name] = *value
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var footer string
	if err := sp.pool.QueryRow(c, siteSnippetSQL, "footer").Scan(&footer); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	setting := func(name, def string) string {
		if v := strings.TrimSpace(settings[name]); v != "" {
			return settings[name]
		}
		return def
	}
	nav, err := sp.menu(c)
	if err != nil {
		return nil, err
	}
	v := &siteLayoutView{
		SiteName: tx(setting("title", siteName)), Tagline: tx(setting("tagline", siteTagline)),
		Address: tx(setting("address", siteAddress)),
		HomeURL: ax(siteURL("blog", "/")), FeedURL: ax(siteURL("blog", "/feed.xml")), CartURL: ax(siteURL("cart", "/")),
		AccountURL: ax(siteURL("account", "/")), SitemapURL: ax(siteURL("blog", "/sitemap.xml")),
		Next: template.URL(urlEncode(path)), Nonce: randomToken(16, base64.StdEncoding.EncodeToString),
		Assets: sp.assets, Nav: nav, TwitterCard: "summary", OGType: "website",
		OGImage: ax(sitePublicURL(service) + sp.assets.OGImage),
	}
	if strings.TrimSpace(footer) != "" {
		v.Footer = template.HTML(htmlsafe.Sanitize(footer))
	}
	return v, nil
}

// setTitle sets the head's title and description as ~site-head does.
func (v *siteLayoutView) setTitle(title, description string, settings string) {
	v.OGTitle = ax(title)
	v.FullTitle = tx(title + " · " + settings)
	v.Description = ax(description)
}

// menu reads the site menu as blog's nav-tree does: the nodes, then the
// URLs of its link nodes (markets by id, each page's calendars once).
func (sp *sitePeer) menu(c context.Context) ([]*siteNode, error) {
	rows, err := sp.pool.Query(c, siteMenuSQL, nil, nil, nil, 8)
	if err != nil {
		return nil, err
	}
	var all []*siteNode
	byID := map[int64]*siteNode{}
	for rows.Next() {
		n := &siteNode{}
		var parent *int64
		var label string
		if err := rows.Scan(&n.id, &parent, nil, nil, &n.postID, &n.linkType, &n.linkID, &label, nil, &n.href,
			nil, nil, nil, nil, &n.postSlug, nil); err != nil {
			rows.Close()
			return nil, err
		}
		if parent != nil {
			n.parentID = *parent
		}
		n.Label = tx(label)
		if n.postSlug != nil {
			n.URL = ax(siteURL("blog", "/"+*n.postSlug+"/"))
		}
		all = append(all, n)
		byID[n.id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var roots []*siteNode
	for _, n := range all {
		if p := byID[n.parentID]; n.parentID != 0 && p != nil {
			p.Children = append(p.Children, n)
		} else if n.parentID == 0 {
			roots = append(roots, n)
		}
	}
	// Link nodes: markets by id in one statement, calendars per page.
	var walk []*siteNode
	var visit func([]*siteNode)
	visit = func(ns []*siteNode) {
		for _, n := range ns {
			walk = append(walk, n)
			visit(n.Children)
		}
	}
	visit(roots)
	var marketIDs []int64
	seen := map[int64]bool{}
	for _, n := range walk {
		if n.linkType != nil && *n.linkType == "market" && n.linkID != nil && !seen[*n.linkID] {
			seen[*n.linkID] = true
			marketIDs = append(marketIDs, *n.linkID)
		}
	}
	urls := map[string]string{}
	if len(marketIDs) > 0 {
		rows, err := sp.pool.Query(c, siteMarketsByIDsSQL, marketIDs)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var slug string
			if err := rows.Scan(&id, &slug, nil, nil, nil, nil); err != nil {
				rows.Close()
				return nil, err
			}
			urls["market-"+strconv.FormatInt(id, 10)] = siteURL("market", "/"+slug+"/")
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	type cal struct {
		id   int64
		slug string
	}
	cals := map[int64][]cal{}
	for _, n := range walk {
		if n.linkType == nil || *n.linkType != "calendar" || n.linkID == nil {
			continue
		}
		parent := byID[n.parentID]
		if parent == nil || parent.postID == nil || parent.postSlug == nil {
			continue
		}
		list, ok := cals[*parent.postID]
		if !ok {
			rows, err := sp.pool.Query(c, siteCalendarsForSQL, "page", *parent.postID)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var k cal
				if err := rows.Scan(&k.id, nil, nil, nil, &k.slug, nil, nil, nil); err != nil {
					rows.Close()
					return nil, err
				}
				list = append(list, k)
			}
			if err := rows.Err(); err != nil {
				return nil, err
			}
			cals[*parent.postID] = list
		}
		for _, k := range list {
			if k.id == *n.linkID {
				urls["calendar-"+strconv.FormatInt(k.id, 10)] = siteURL("events", "/"+*parent.postSlug+"/calendar/"+k.slug+"/")
			}
		}
	}
	for _, n := range walk {
		if n.URL != "" {
			continue
		}
		switch {
		case n.href != nil:
			n.URL = ax(*n.href)
		case n.linkType != nil && n.linkID != nil:
			n.URL = ax(urls[*n.linkType+"-"+strconv.FormatInt(*n.linkID, 10)])
		}
	}
	return roots, nil
}

// blogHome answers blog's / (page 1, no tag) for an anonymous visitor.
func (sp *sitePeer) blogHome(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) != "/" {
		ctx.Error("not found", 404)
		return
	}
	c, cancel := context.WithTimeout(context.Background(), sp.timeout)
	defer cancel()
	v, err := sp.blogView(c)
	if err != nil {
		ctx.Error("internal error", 500)
		return
	}
	secure(ctx, v.Layout.Nonce)
	if err := siteTemplates.ExecuteTemplate(ctx, "blog", v); err != nil {
		ctx.ResetBody()
		ctx.Error("internal error", 500)
	}
}

func (sp *sitePeer) blogView(c context.Context) (*siteBlogView, error) {
	v := &siteBlogView{Lede: tx(siteTagline)}
	var total int64
	if err := sp.pool.QueryRow(c, siteNewsCountSQL, false, false, false, nil).Scan(&total); err != nil {
		return nil, err
	}
	rows, err := sp.pool.Query(c, siteNewsRowsSQL, false, false, false, nil, blogPerPage, 0)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var slug, title, visibility string
		var image, excerpt, tagName, authorSlug, authorName *string
		var published time.Time
		if err := rows.Scan(nil, nil, &slug, &title, nil, nil, &visibility, nil, &image, &excerpt, nil, nil,
			&published, nil, nil, nil, &tagName, &authorSlug, &authorName); err != nil {
			rows.Close()
			return nil, err
		}
		p := sitePostCard{URL: ax(siteURL("blog", "/"+slug+"/")), Title: tx(title), Members: visibility == "members",
			Datetime: ax(published.UTC().Format(time.RFC3339Nano)), Date: tx(published.UTC().Format("2 January 2006"))}
		if image != nil {
			p.Image = ax(*image)
		}
		if tagName != nil {
			p.Tag = tx(*tagName)
		}
		if excerpt != nil {
			p.Excerpt = tx(*excerpt)
		}
		if authorName != nil {
			p.Author = tx(*authorName)
			p.AuthorURL = ax(siteURL("blog", "/author/"+deref(authorSlug)+"/"))
		}
		v.Posts = append(v.Posts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if blogPerPage < total {
		v.Next = "/?page=2"
	}
	if rows, err = sp.pool.Query(c, siteTagsSQL, false); err != nil {
		return nil, err
	}
	for rows.Next() {
		var slug, name string
		var count int64
		if err := rows.Scan(nil, &slug, &name, nil, nil, &count); err != nil {
			rows.Close()
			return nil, err
		}
		if count > 0 {
			v.Tags = append(v.Tags, siteTagLink{ax(siteURL("blog", "/?tag="+urlEncode(slug))), tx(name)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// What's on: the event cards of each page with a calendar.
	if rows, err = sp.pool.Query(c, siteCalendarPagesSQL); err != nil {
		return nil, err
	}
	var pages []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, nil, nil, nil); err != nil {
			rows.Close()
			return nil, err
		}
		pages = append(pages, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, page := range pages {
		cards, err := sp.eventCards(c, page)
		if err != nil {
			return nil, err
		}
		if len(cards) > 0 {
			v.Cards = append(v.Cards, cards)
		}
	}
	if v.Layout, err = sp.layout(c, "blog", "/"); err != nil {
		return nil, err
	}
	v.Layout.setTitle("News", siteTagline, string(v.Layout.SiteName))
	v.Layout.Canonical = ax(siteURL("blog", "/"))
	v.Layout.Page = "home"
	return v, nil
}

// eventCards are events' container-cards of a page: its next six entries
// with their calendars' and page's slugs.
func (sp *sitePeer) eventCards(c context.Context, page int64) ([]siteEventCard, error) {
	type entry struct {
		id, calendarID, containerID int64
		name, containerType         string
		start                       time.Time
		end                         *time.Time
	}
	rows, err := sp.pool.Query(c, siteUpcomingSQL, "page", page, 6)
	if err != nil {
		return nil, err
	}
	var entries []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.calendarID, nil, &e.name, &e.start, &e.end, nil, nil, nil, nil, nil, nil,
			&e.containerType, &e.containerID, nil, nil); err != nil {
			rows.Close()
			return nil, err
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	var calIDs, pageIDs []int64
	seenCal, seenPage := map[int64]bool{}, map[int64]bool{}
	for _, e := range entries {
		if !seenCal[e.calendarID] {
			seenCal[e.calendarID] = true
			calIDs = append(calIDs, e.calendarID)
		}
		if e.containerType == "page" && !seenPage[e.containerID] {
			seenPage[e.containerID] = true
			pageIDs = append(pageIDs, e.containerID)
		}
	}
	type calendar struct{ slug, name string }
	cals := map[int64]calendar{}
	if rows, err = sp.pool.Query(c, siteCalendarsByIDsSQL, calIDs); err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var k calendar
		if err := rows.Scan(&id, &k.slug, &k.name); err != nil {
			rows.Close()
			return nil, err
		}
		cals[id] = k
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slugs := map[int64]string{}
	if len(pageIDs) > 0 {
		if rows, err = sp.pool.Query(c, sitePostsByIDsSQL, pageIDs); err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var slug string
			if err := rows.Scan(&id, nil, &slug, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil); err != nil {
				rows.Close()
				return nil, err
			}
			slugs[id] = slug
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var cards []siteEventCard
	for _, e := range entries {
		slug, ok := slugs[e.containerID]
		if !ok || e.containerType != "page" {
			continue
		}
		k := cals[e.calendarID]
		when := e.start.UTC().Format("Mon 2 Jan 2006, 15:04")
		if e.end != nil {
			when += "–" + e.end.UTC().Format("15:04")
		}
		cards = append(cards, siteEventCard{
			URL:  ax(siteURL("events", "/"+slug+"/calendar/"+k.slug+"/entry/"+strconv.FormatInt(e.id, 10)+"/")),
			Name: tx(e.name), Start: ax(e.start.UTC().Format(time.RFC3339Nano)), When: tx(when + " UTC"), Calendar: tx(k.name),
		})
	}
	return cards, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// gbp is format-money for GBP amounts (numeric text): £, grouped digits,
// two decimals.
func gbp(amount string) string {
	intPart, frac, _ := strings.Cut(amount, ".")
	frac = (frac + "00")[:2]
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	for i := len(intPart) - 3; i > 0; i -= 3 {
		intPart = intPart[:i] + "," + intPart[i:]
	}
	s := "£" + intPart + "." + frac
	if neg {
		s = "-" + s
	}
	return s
}

// plainText is market's plain-text: tags stripped, spaces folded, at most
// n characters (the last an ellipsis when cut).
func plainText(html string, n int) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(html, '<')
		if i < 0 || i+1 >= len(html) {
			b.WriteString(html)
			break
		}
		j := strings.IndexByte(html[i:], '>')
		if j < 0 {
			b.WriteString(html)
			break
		}
		b.WriteString(html[:i])
		html = html[i+j+1:]
	}
	t := strings.Join(strings.Fields(b.String()), " ")
	if utf8.RuneCountInString(t) > n {
		r := []rune(t)
		t = string(r[:n-1]) + "…"
	}
	return t
}

// decimalGreater compares two numeric texts of the same scale.
func decimalGreater(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x > y
}

// The JSON-LD of a product page, in the order market's product-json-ld
// writes it (nil values left out).
type siteProductLD struct {
	Context     string       `json:"@context"`
	Type        string       `json:"@type"`
	Name        string       `json:"name"`
	SKU         *string      `json:"sku,omitempty"`
	Brand       *siteBrandLD `json:"brand,omitempty"`
	Description string       `json:"description"`
	Image       []string     `json:"image"`
	URL         string       `json:"url"`
	Offers      *siteOfferLD `json:"offers,omitempty"`
}

type siteBrandLD struct {
	Type string `json:"@type"`
	Name string `json:"name"`
}

type siteOfferLD struct {
	Type         string      `json:"@type"`
	Price        string      `json:"price"`
	Currency     string      `json:"priceCurrency"`
	Availability string      `json:"availability"`
	Seller       siteBrandLD `json:"seller"`
}

// session seals a new anonymous session holding a CSRF token into a cookie
// and returns the token.
func (sp *sitePeer) session(ctx *fasthttp.RequestCtx) string {
	token := randomToken(16, hex.EncodeToString)
	nonce := make([]byte, sp.aead.NonceSize())
	rand.Read(nonce)
	sealed := sp.aead.Seal(nonce, nonce, []byte(`{"csrf":"`+token+`"}`), nil)
	var ck fasthttp.Cookie
	ck.SetKey("session")
	ck.SetValue("v1." + base64.RawURLEncoding.EncodeToString(sealed))
	ck.SetMaxAge(30 * 24 * 3600)
	ck.SetPath("/")
	ck.SetHTTPOnly(true)
	ck.SetSecure(true)
	ck.SetSameSite(fasthttp.CookieSameSiteLaxMode)
	ctx.Response.Header.SetCookie(&ck)
	return token
}

// productPage answers market's /<market>/product/<slug>/ for an anonymous
// visitor.
func (sp *sitePeer) productPage(ctx *fasthttp.RequestCtx) {
	parts := strings.Split(strings.Trim(string(ctx.Path()), "/"), "/")
	if len(parts) != 3 || parts[1] != "product" {
		ctx.Error("not found", 404)
		return
	}
	c, cancel := context.WithTimeout(context.Background(), sp.timeout)
	defer cancel()
	v, status, err := sp.productView(c, ctx, parts[0], parts[2])
	if err != nil {
		ctx.Error("internal error", 500)
		return
	}
	if status != 0 {
		ctx.Error("not found", status)
		return
	}
	secure(ctx, v.Layout.Nonce)
	if err := siteTemplates.ExecuteTemplate(ctx, "product", v); err != nil {
		ctx.ResetBody()
		ctx.Error("internal error", 500)
	}
}

func (sp *sitePeer) productView(c context.Context, ctx *fasthttp.RequestCtx, marketSlug, slug string) (*siteProductView, int, error) {
	var marketID int64
	var marketName string
	err := sp.pool.QueryRow(c, siteMarketBySlugSQL, marketSlug).Scan(&marketID, nil, &marketName, nil, nil, nil)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 404, nil
	} else if err != nil {
		return nil, 0, err
	}
	var (
		productMarket                                  int64
		title                                          string
		sku, brand, descHTML, imageURL, currency, unit *string
		images                                         []string
		price, rrp, vat                                *string
		caseSize                                       *int64
		inStock                                        bool
	)
	err = sp.pool.QueryRow(c, siteProductBySlugSQL, slug).Scan(nil, &productMarket, nil, &sku, &title, &brand, &descHTML,
		&imageURL, &images, &price, &rrp, &currency, &vat, &caseSize, &unit, &inStock, nil, nil, nil, nil, nil, nil)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && productMarket != marketID) {
		return nil, 404, nil
	} else if err != nil {
		return nil, 0, err
	}
	// The category tree (market's nav-tree): the market is live, its
	// tops, their subs.
	var live bool
	if err := sp.pool.QueryRow(c, siteMarketLiveSQL, marketID).Scan(&live); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, err
	}
	marketPath := "/" + marketSlug + "/"
	v := &siteProductView{MarketPath: ax(marketPath), MarketName: tx(marketName), Title: tx(title), TitleAttr: ax(title),
		InStock: inStock}
	if live {
		rows, err := sp.pool.Query(c, siteNavTopsSQL, marketID)
		if err != nil {
			return nil, 0, err
		}
		var topIDs []int64
		var tops []siteCategory
		var topSlugs []string
		for rows.Next() {
			var id int64
			var tslug, label string
			if err := rows.Scan(&id, nil, &tslug, &label, nil, nil, nil); err != nil {
				rows.Close()
				return nil, 0, err
			}
			topIDs = append(topIDs, id)
			topSlugs = append(topSlugs, tslug)
			tops = append(tops, siteCategory{Path: ax(marketPath + tslug + "/"), Label: tx(label)})
		}
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		if rows, err = sp.pool.Query(c, siteNavSubsSQL, marketID); err != nil {
			return nil, 0, err
		}
		for rows.Next() {
			var topID int64
			var sslug, label string
			if err := rows.Scan(nil, &topID, &sslug, &label, nil, nil, nil); err != nil {
				rows.Close()
				return nil, 0, err
			}
			for i, id := range topIDs {
				if id == topID {
					tops[i].Subs = append(tops[i].Subs, siteCategory{Path: ax(marketPath + topSlugs[i] + "/" + sslug + "/"), Label: tx(label)})
				}
			}
		}
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		v.Tops = tops
	}
	path := marketPath + "product/" + slug + "/"
	if v.Layout, err = sp.layout(c, "market", path); err != nil {
		return nil, 0, err
	}
	v.Layout.CSRF = sp.session(ctx)
	cur := "GBP"
	if currency != nil {
		cur = *currency
	}
	_ = cur // the seed's prices are all GBP, which gbp writes
	url := siteURL("market", path)
	v.Path = ax(path)
	v.Login = ax(siteURL("account", "/auth/login?next="+urlEncode(path)))
	if r := []rune(title); len(r) > 0 {
		v.Initial = tx(strings.ToUpper(string(r[0])))
	}
	var all []string
	for _, s := range append([]string{deref(imageURL)}, images...) {
		if strings.TrimSpace(s) != "" && !contains(all, s) {
			all = append(all, s)
		}
	}
	for i, s := range all {
		v.Images = append(v.Images, ax(s))
		if i > 0 {
			v.Thumbs = append(v.Thumbs, siteThumb{ax(s), ax(title + ", picture " + strconv.Itoa(i+1))})
		}
	}
	description := title
	if brand != nil {
		v.Brand = tx(*brand)
		description += " by " + *brand
	}
	if price != nil {
		v.Price = tx(gbp(*price))
		description += ", " + gbp(*price)
		if rrp != nil && decimalGreater(*rrp, *price) {
			v.RRP = tx(gbp(*rrp))
		}
	}
	description += ". " + plainText(deref(descHTML), 200)
	var sold string
	if unit != nil {
		if *unit == "each" {
			sold = " · sold each"
		} else {
			sold = " · sold by the " + *unit
		}
	}
	if caseSize != nil {
		sold += " · case of " + strconv.FormatInt(*caseSize, 10)
	}
	v.Sold = tx(sold)
	if descHTML != nil {
		v.About = tx(plainText(*descHTML, 2000))
	}
	if sku != nil {
		v.SKU = tx(*sku)
	}
	if vat != nil && decimalGreater(*vat, "0") {
		f, _ := strconv.ParseFloat(*vat, 64)
		v.VAT = tx(strconv.FormatFloat(f, 'f', 0, 64) + "%")
	}
	// The head.
	ld := siteProductLD{Context: "https://schema.org", Type: "Product", Name: title, SKU: sku,
		Description: plainText(deref(descHTML), 300), Image: append([]string{}, filterBlank(append([]string{deref(imageURL)}, images...))...), URL: url}
	if brand != nil {
		ld.Brand = &siteBrandLD{"Brand", *brand}
	}
	if price != nil {
		avail := "https://schema.org/OutOfStock"
		if inStock {
			avail = "https://schema.org/InStock"
		}
		ld.Offers = &siteOfferLD{"Offer", *price, cur, avail, siteBrandLD{"Organization", marketName}}
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&ld); err != nil {
		return nil, 0, err
	}
	l := v.Layout
	l.JSONLD = template.JS(strings.ReplaceAll(strings.TrimSuffix(js.String(), "\n"), "<", `\u003c`))
	l.setTitle(title+" · "+marketName, description, string(l.SiteName))
	l.Canonical = ax(url)
	l.OGType = "product"
	l.Page = "product"
	l.WithAside = true
	if img := firstNonEmpty(deref(imageURL), images); img != "" {
		l.OGImage = ax(sitePublicURL("market") + img)
		l.TwitterCard = "summary_large_image"
	}
	return v, 0, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// filterBlank keeps the non-empty strings (product-json-ld's image list).
func filterBlank(list []string) []string {
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func firstNonEmpty(s string, rest []string) string {
	if s != "" {
		return s
	}
	if len(rest) > 0 {
		return rest[0]
	}
	return ""
}
