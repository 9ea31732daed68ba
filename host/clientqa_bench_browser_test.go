//go:build linux

package host_test

// Chromium benchmarks of the browser runtime (issue 12), run by
// `make bench-browser` and recorded in docs/benchmarks.md:
//
//   - BenchmarkBrowserBoostedBytes: the bytes a boosted navigation between
//     two blog-like pages transfers, against a full load of the same page,
//     once the components are cached (goal ≤ 25%);
//   - BenchmarkBrowserRenderList: client rendering of a 1,000-row component
//     list against assigning the server's HTML for it to innerHTML, in the
//     same page run (goal ≤ 2×);
//   - BenchmarkBrowserBoot: sx.js parse and init on page load (goal ≤ 5 ms).
//
// Each reports its figure with b.ReportMetric; the time per op is not the
// point. They share the test binary's Chromium.

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// blogBenchService is a blog-like site of pure components: the shared
// layout's shape (header with logo, nav and tools, main, an aside of
// related posts, footer) around a post of seven paragraphs. Posts are data
// computed on the server, as a query's rows would be.
func blogBenchService() string {
	var b strings.Builder
	b.WriteString(`(defservice blogbench :title "Rose Ash Co-op")
(define site-name "Rose Ash Co-op")
(define site-tagline "A member-owned food co-op: wholefoods, a weekly market and a village hall.")
(defcomp ~site-logo ()
  (svg :class "brand-mark" :viewBox "0 0 32 32" :width "32" :height "32" :aria-hidden "true" :focusable "false"
    (circle :cx "16" :cy "16" :r "15" :fill "currentColor" :opacity "0.12")
    (path :d "M16 5c4.5 3.2 6.8 6.9 6.8 11.2 0 4.6-3 7.8-6.8 7.8s-6.8-3.2-6.8-7.8C9.2 11.9 11.5 8.2 16 5z" :fill "currentColor")
    (path :d "M16 12v15" :stroke "var(--bg, #fff)" :stroke-width "1.6" :stroke-linecap "round" :fill "none")))
(defcomp ~site-header (&key current)
  (header :class "site-header"
    (div :class "wrap site-header-inner"
      (a :class "brand" :href "/" (~site-logo) (span :class "brand-name" site-name))
      (a :class "menu-toggle" :href "#site-nav" :aria-controls "site-nav" "Menu")
      (nav :id "site-nav" :class "site-nav" :aria-label "Site"
        (ul :class "nav-tree"
          (map (fn (l) (li :class (if (= (get l :href) current) "nav-item current" "nav-item")
                         (a :class "nav-link" :href (get l :href) (get l :label))))
            (list {:href "/" :label "News"} {:href "/posts/1" :label "About the co-op"} {:href "/posts/2" :label "Market days"}
              {:href "/posts/3" :label "Village hall"} {:href "/posts/4" :label "Join us"} {:href "/posts/5" :label "Volunteering"}
              {:href "/posts/6" :label "Suppliers"} {:href "/posts/7" :label "Contact"})))
        (a :class "menu-close" :href "#" "Close menu"))
      (div :class "site-tools"
        (div :id "site-cart" :class "site-cart" (a :class "cart-link" :href "/cart/" (span :class "visually-hidden" "Cart: ") (span :class "cart-count" "0")))
        (div :id "site-account" :class "site-account" (a :class "button button-small" :href "/auth/login/" "Sign in"))))))
(defcomp ~site-footer ()
  (footer :class "site-footer"
    (div :class "wrap site-footer-inner"
      (div :class "footer-about" (p :class "footer-name" site-name) (p site-tagline) (p "Unit 4, Mill Lane, Ashford · open Saturdays 9–1"))
      (nav :class "footer-nav" :aria-label "Footer"
        (ul (li (a :href "/" "News")) (li (a :href "/feed.xml" "Atom feed")) (li (a :href "/cart/" "Your cart"))
            (li (a :href "/account/" "Your account")) (li (a :href "/sitemap.xml" "Sitemap")))))))
(defcomp ~post-card (&key post)
  (li :class "card post-card"
    (a :class "card-link" :href (str "/posts/" (get post :id))
      (h3 :class "card-title" (get post :title))
      (p :class "card-meta" (time :datetime (get post :date) (get post :date)) " · " (get post :author))
      (p :class "card-excerpt" (get post :excerpt)))))
(defcomp ~post (&key post)
  (article :class "post" :itemscope true :itemtype "https://schema.org/BlogPosting"
    (header :class "post-header"
      (h1 :class "post-title" :itemprop "headline" (get post :title))
      (p :class "post-meta" "By " (span :itemprop "author" (get post :author)) " on "
        (time :itemprop "datePublished" :datetime (get post :date) (get post :date))))
    (div :class "post-body prose" :itemprop "articleBody"
      (map (fn (para) (p para)) (get post :body)))
    (footer :class "post-footer"
      (ul :class "tags" (map (fn (t) (li (a :class "tag" :href (str "/tags/" t) :rel "tag" t))) (get post :tags)))
      (a :class "button button-secondary like-button" :href (str "/posts/" (get post :id) "/like") "Like this post"))))
(defcomp ~site-body (&key current aside &rest children)
  (<> (a :class "skip-link" :href "#main" "Skip to content")
      (~site-header :current current)
      (div :class "wrap page with-aside"
        (main :id "main" :class "content" :tabindex "-1" children)
        (aside :class "page-aside" :aria-label "Related" (h2 :class "aside-title" "More from the co-op") (ul :class "cards" aside)))
      (~site-footer)))
(define paragraphs (list
  "The market opens at nine on Saturday in the village hall, and this week the growers from Hill Farm bring the first leeks of the winter, sacks of maincrop potatoes and a late run of squash that kept well through the frosts. Members who ordered a vegetable box can collect it from the side door from eight."
  "Our bakery partner is trying a new rye sourdough with caraway and a little black treacle. It keeps for four or five days in a paper bag, and it toasts better than anything we have sold before. We have forty loaves on the first morning; if they sell out we will make the order standing."
  "Volunteers keep the co-op running. This month we need two more people for the Friday evening packing shift, someone with a car for deliveries to members who cannot get to the hall, and a spare pair of hands to repaint the shelving in the dry-goods room before the new stock arrives."
  "The committee met on Tuesday and agreed the budget for next year. Most of the surplus goes back into lower prices on staples such as oats, lentils, rice and cooking oil, and a smaller part into the hall fund, which pays for the new boiler and for insulating the roof over the main room."
  "Prices on dried fruit have gone up again after a poor harvest abroad, so we are switching some lines to British suppliers: apple rings from Kent, dried plums from Worcestershire and a mixed bag of sultanas and raisins from a wholesaler we already buy nuts from. The quality is as good and the miles are fewer."
  "A reminder that the hall can be booked for private events at the members rate. Recent bookings include a ceilidh, two children's parties, a repair cafe and a meeting of the local beekeepers, who have offered to run a honey tasting at the market in the spring if there is enough interest."
  "We are collecting glass jars again. Please bring them clean, with lids, and leave them in the crates by the entrance. Refill prices for washing-up liquid, laundry powder and oats are lower when you bring your own container, and every jar we reuse is one less the council has to collect."
  "The apple day raised more than we expected. Thank you to everyone who pressed, poured, baked and counted coins. The juice is in the freezer and will be on sale by the glass at the Christmas market, and the pomace went to a pig farmer near the river who says his sows have never eaten better."
  "New members can join at the market stall or online. Membership costs ten pounds a year, gives you a vote at the general meeting and a discount on everything in the shop, and helps us plan what to stock. Households on benefits can join for free; just ask anyone at the till and we will sort it out."
  "Next month we start a small trial of home delivery by cargo bike within three miles of the hall. Orders close on Wednesday at noon and arrive on Thursday afternoon. If it works we will extend the area in the new year, and we are looking for a second rider who is happy to cycle in the rain."))
(define (sentence n k) (first (split (nth paragraphs (mod (+ n k) 10)) ". ")))
(define (post-data id)
  {:id id :title (str "Market news, week " id ": what is fresh this Saturday")
   :author "Alex Rivers" :date (str "2026-11-" (+ 10 id))
   :excerpt (sentence id 1)
   :body (map (fn (k) (nth paragraphs (mod (+ id k) 10))) (range 7))
   :tags (list "market" "news" "seasonal")})
;; The layout answers as services/shared/layout.sx does: a whole document
;; with the head's meta, Open Graph and JSON-LD, or for a boosted request
;; only the meta to hoist and the body.
(defcomp ~site-meta (&key title description canonical)
  (<> (title (str title " · " site-name)) (meta :name "description" :content description) (link :rel "canonical" :href canonical)))
(defcomp ~site-head (&key title description canonical json-ld)
  (head
    (meta :charset "utf-8")
    (meta :name "viewport" :content "width=device-width, initial-scale=1")
    (~site-meta :title title :description description :canonical canonical)
    (meta :name "theme-color" :content "#2f5d50")
    (meta :property "og:site_name" :content site-name)
    (meta :property "og:title" :content title)
    (meta :property "og:description" :content description)
    (meta :property "og:type" :content "article")
    (meta :property "og:url" :content canonical)
    (meta :property "og:image" :content "https://coop.example/static/img/og-default.png")
    (meta :name "twitter:card" :content "summary")
    (link :rel "alternate" :type "application/atom+xml" :title (str site-name " — news") :href "/feed.xml")
    (script :type "application/ld+json" (raw! (json-encode json-ld)))))
(defcomp ~site-layout (&key title description json-ld current aside &rest content)
  (let ((canonical (str "https://coop.example" (request-path))))
    (if (= (request-header "SX-Boosted") "true")
      (<> (~site-meta :title title :description description :canonical canonical)
          (~site-body :current current :aside aside content))
      (html :lang "en"
        (~site-head :title title :description description :canonical canonical :json-ld json-ld)
        (body :class "page-post"
          (div :id "sx-root" :sx-boost "true" (~site-body :current current :aside aside content)))))))
;; /posts/N: the page's content is pure component calls at the top, which
;; the wire renderer sends as calls with their data.
(define (post-json-ld p)
  {"@context" "https://schema.org" "@type" "BlogPosting" "headline" (get p :title) "datePublished" (get p :date)
   "author" {"@type" "Person" "name" (get p :author)}})
(define (related id) (map (fn (i) (~post-card :post (post-data i))) (filter (fn (i) (not (= i id))) (range 1 7))))
(defpage post :path "/posts/<id>" :params ((id :int)) :title "Market news"
  :content (let ((p (post-data id)) (canonical (str "https://coop.example" (request-path))))
    (if (= (request-header "SX-Boosted") "true")
      (<> (~site-meta :title (get p :title) :description (get p :excerpt) :canonical canonical)
          (~site-body :current (str "/posts/" id) :aside (related id) (~post :post p)))
      (html :lang "en"
        (~site-head :title (get p :title) :description (get p :excerpt) :canonical canonical :json-ld (post-json-ld p))
        (body :class "page-post"
          (div :id "sx-root" :sx-boost "true" (~site-body :current (str "/posts/" id) :aside (related id) (~post :post p))))))))
;; /layout-posts/N: the same page through an impure layout component, as
;; services/shared/layout.sx is written.
(defpage layout-post :path "/layout-posts/<id>" :params ((id :int)) :title "Market news"
  :content (let ((p (post-data id)))
    (~site-layout :title (get p :title) :description (get p :excerpt)
      :json-ld (post-json-ld p) :current (str "/posts/" id) :aside (related id)
      (~post :post p))))

;; A 1,000-row list: the rows are data from the server, rendered by the
;; client with ~item-row (SX-Request) or by the server (HX-Request).
(defcomp ~item-row (&key item)
  (tr :class (if (= 0 (mod (get item :id) 2)) "row even" "row odd") :data-id (get item :id)
    (td :class "num" (get item :id))
    (td (a :class "item-link" :href (str "/items/" (get item :id)) (get item :name)))
    (td :class "num" (str (get item :qty) " × " (get item :unit)))
    (td (span :class (str "badge badge-" (get item :status)) (get item :status)))))
(defcomp ~item-table (&key items)
  (table :class "items"
    (thead (tr (th "#") (th "Item") (th "Quantity") (th "Status")))
    (tbody (map (fn (it) (~item-row :item it)) items))))
(defpage items :path "/items" :content
  (div :id "items"
    (~item-table :items (map (fn (i) {:id i :name (str "Organic produce box " i) :qty (+ 1 (mod i 9)) :unit "kg"
                                      :status (nth (list "open" "packed" "sent") (mod i 3))}) (range 1 1001)))))
(defpage empty :path "/empty" :content (div (div :id "sx-box") (div :id "html-box")))
`)
	return b.String()
}

// benchTab opens a tab on a fresh blogBenchService with script installed
// before every document.
func benchTab(b *testing.B, script string) (context.Context, string) {
	b.Helper()
	tab := browsertest.New(b)
	s, _, _ := startService(b, blogBenchService(), host.Options{})
	if script != "" {
		if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
			b.Fatal(err)
		}
	}
	return tab, s.URL
}

// benchEval evaluates js (awaiting a promise) into a T.
func benchEval[T any](b *testing.B, tab context.Context, js string) T {
	b.Helper()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Fatalf("%s: %v", js, err)
	}
	return v
}

func benchGo(b *testing.B, tab context.Context, url string) {
	b.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		b.Fatal(err)
	}
	benchEval[bool](b, tab, benchSettled)
}

// benchSettled waits until the runtime has booted and, on a page that
// carried a component bundle, stored it (sx.js does so once the page is
// idle, and then sets the cookie), as a reader who stays a moment would.
const benchSettled = `new Promise((r) => { const t0 = Date.now(); (function p() {
	if (document.documentElement.dataset.sxReady === 'true' && (document.cookie.includes('sx-comp-hash=') || !document.querySelector('script[data-components]'))) r(true);
	else if (Date.now() - t0 > 10000) r(false); else setTimeout(p, 5); })(); })`

func benchMedian(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchPageBytes is what the current document's load transferred: the document
// and every resource it fetched (Resource Timing transferSize: headers and
// body as received; 0 for what came from the cache).
const benchPageBytes = `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
	.reduce((n, e) => n + e.transferSize, 0)`

// BenchmarkBrowserBoostedBytes compares a boosted navigation between two
// blog posts with a full load of the same post, both with the components
// (localStorage) and sx.js (immutable) cached: boosted-% is the boosted
// answer's transferred bytes as a percentage of the full load's. Two
// shapes of the same page: /posts/N writes its content as component calls
// (the wire renderer sends calls and data), /layout-posts/N goes through
// an impure layout component as services/shared/layout.sx does.
func BenchmarkBrowserBoostedBytes(b *testing.B) {
	for _, shape := range []string{"posts", "layout-posts"} {
		b.Run(shape, func(b *testing.B) {
			tab, base := benchTab(b, "")
			var full, boosted float64
			for i := 0; i < b.N; i++ {
				// A first visit caches the components and sx.js.
				benchGo(b, tab, base+"/"+shape+"/1")
				// The full load of post 3, components cached.
				benchGo(b, tab, base+"/"+shape+"/3")
				full = benchEval[float64](b, tab, benchPageBytes)
				// From post 2, a boosted link to post 3.
				benchGo(b, tab, base+"/"+shape+"/2")
				boosted = benchEval[float64](b, tab, `new Promise((r) => {
					const a = document.createElement('a');
					a.href = '/`+shape+`/3';
					document.getElementById('main').append(a);
					SX.engine.process(a);
					document.addEventListener('sx:afterSettle', () => {
						const e = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/`+shape+`/3'));
						r(e.length === 1 && document.querySelector('.post-title').textContent.includes('week 3') ? e[0].transferSize : -1);
					}, {once: true});
					a.click();
				})`)
				if boosted <= 0 || full <= 0 {
					b.Fatalf("measuring failed: full %v, boosted %v", full, boosted)
				}
			}
			b.ReportMetric(full, "full-B")
			b.ReportMetric(boosted, "boosted-B")
			b.ReportMetric(100*boosted/full, "boosted-%")
			// The host does not compress pages; behind a proxy that
			// gzips, the bodies would travel as these.
			// The page's text alone, which both answers must carry.
			text := benchEval[float64](b, tab, `new TextEncoder().encode(document.getElementById('sx-root').textContent).length`)
			b.ReportMetric(100*text/full, "text-%")
			hash := benchEval[string](b, tab, `document.querySelector('script[data-components]').dataset.hash`)
			fullBody := get(b, base+"/"+shape+"/3", "Cookie", "sx-comp-hash="+hash).Body
			boostedBody := get(b, base+"/"+shape+"/3", "SX-Request", "true", "SX-Boosted", "true", "SX-Components-Hash", hash).Body
			if strings.Contains(boostedBody, "defcomp") || strings.Contains(fullBody, "defcomp") {
				b.Fatal("the components travelled again")
			}
			b.ReportMetric(100*float64(benchGzipLen(boostedBody))/float64(benchGzipLen(fullBody)), "gzip-boosted-%")
		})
	}
}

// BenchmarkBrowserRenderList renders a 1,000-row component list in the
// page: the client from the page's text/sx answer (read, evaluated and
// built into DOM: SX.renderToDOM), against assigning the server's HTML for
// the same list to innerHTML, alternating, 25 rounds per op. client/html is
// the median of the per-round ratios; -layout adds a forced layout to both;
// string/html renders the text/sx to an HTML string in JS
// (SX.renderToString) and assigns that instead of building DOM nodes.
func BenchmarkBrowserRenderList(b *testing.B) {
	tab, base := benchTab(b, "")
	benchGo(b, tab, base+"/empty")
	type result struct {
		Ratios, LayoutRatios, StringRatios, SX, HTML []float64
		SXBytes, HTMLBytes                           int
	}
	var ratios, layoutRatios, stringRatios, sxMs, htmlMs []float64
	var last result
	for i := 0; i < b.N; i++ {
		last = benchEval[result](b, tab, `(async () => {
			const hash = document.querySelector('script[data-components]').dataset.hash;
			const res0 = await fetch('/items', {headers: {'SX-Request': 'true', 'SX-Components-Hash': hash}});
			// The rows' component calls an sx-ext.js primitive (mod): load it
			// as the engine does for an answer that names it in SX-Ext.
			const ext = res0.headers.get('SX-Ext');
			if (ext && !SX.ext) await new Promise((ok, fail) => { const s = document.createElement('script'); s.src = ext; s.nonce = document.querySelector('script[nonce]').nonce; s.onload = ok; s.onerror = () => fail(new Error('sx-ext.js did not load')); document.head.append(s); });
			const sx = await res0.text();
			const html = await (await fetch('/items', {headers: {'HX-Request': 'true'}})).text();
			const sxBox = document.getElementById('sx-box'), htmlBox = document.getElementById('html-box');
			const res = {Ratios: [], LayoutRatios: [], StringRatios: [], SX: [], HTML: [], SXBytes: sx.length, HTMLBytes: html.length};
			const time = (f) => { const t0 = performance.now(); f(); return performance.now() - t0; };
			const client = (layout) => time(() => { sxBox.replaceChildren(SX.renderToDOM(sx)); if (layout) sxBox.offsetHeight; });
			const viaString = () => time(() => { sxBox.innerHTML = SX.renderToString(sx); });
			const server = (layout) => time(() => { htmlBox.innerHTML = html; if (layout) htmlBox.offsetHeight; });
			// Both render the same DOM.
			client(false); server(false);
			if (sxBox.innerHTML !== htmlBox.innerHTML) throw new Error('client and server HTML differ');
			for (let round = 0; round < 25; round++) {
				const clear = () => { sxBox.replaceChildren(); htmlBox.replaceChildren(); document.body.offsetHeight; };
				clear();
				let c, s;
				if (round % 2) { c = client(false); clear(); s = server(false); } else { s = server(false); clear(); c = client(false); }
				res.SX.push(c); res.HTML.push(s); res.Ratios.push(c / s);
				clear();
				if (round % 2) { c = client(true); clear(); s = server(true); } else { s = server(true); clear(); c = client(true); }
				res.LayoutRatios.push(c / s);
				clear();
				if (round % 2) { c = viaString(); clear(); s = server(false); } else { s = server(false); clear(); c = viaString(); }
				res.StringRatios.push(c / s);
				await new Promise((r) => setTimeout(r, 0));
			}
			return res;
		})()`)
		ratios = append(ratios, last.Ratios...)
		layoutRatios = append(layoutRatios, last.LayoutRatios...)
		stringRatios = append(stringRatios, last.StringRatios...)
		sxMs = append(sxMs, last.SX...)
		htmlMs = append(htmlMs, last.HTML...)
	}
	b.ReportMetric(benchMedian(ratios), "client/html")
	b.ReportMetric(benchMedian(layoutRatios), "client/html-layout")
	b.ReportMetric(benchMedian(stringRatios), "string/html")
	b.ReportMetric(benchMedian(sxMs), "client-ms")
	b.ReportMetric(benchMedian(htmlMs), "html-ms")
	b.ReportMetric(float64(last.SXBytes), "sx-B")
	b.ReportMetric(float64(last.HTMLBytes), "html-B")
}

// bootTimer marks, before the page's scripts, the moment the document
// becomes interactive (deferred scripts run next: sx.js, which boots at
// once since the document is parsed), the end of sx.js's boot (it sets
// data-sx-ready last; the observer's callback runs when that script's
// task ends) and DOMContentLoaded (after every deferred script).
const bootTimer = `(function () {
	const t = window.__boot = {};
	document.addEventListener('readystatechange', () => { if (document.readyState === 'interactive') t.interactive = performance.now(); });
	document.addEventListener('DOMContentLoaded', () => { t.loaded = performance.now(); }, {capture: true});
	new MutationObserver(() => { if (!t.ready && document.documentElement.dataset.sxReady === 'true') t.ready = performance.now(); })
		.observe(document, {attributes: true, subtree: true, attributeFilter: ['data-sx-ready']});
	// sx.js's first act is to read globalThis (its wrapper's argument):
	// the moment its code starts to run, once compiled and after whatever
	// the main thread did first (the page's first style, layout and paint).
	Object.defineProperty(window, 'globalThis', {configurable: true, get() {
		t.start = performance.now();
		Object.defineProperty(window, 'globalThis', {value: window, writable: true, configurable: true});
		return window;
	}});
})();`

// bootMs is sx.js's parse, run and boot on the last load, [to
// DOMContentLoaded, to the end of sx.js's boot]: from the later of
// "interactive" and the script's arrival; and [2] from the start of
// its code's run to the end of its boot.
const bootMs = `(() => {
	const s = performance.getEntriesByType('resource').find((e) => /\/static\/sx\.[0-9a-f]+\.js$/.test(e.name));
	const from = Math.max(__boot.interactive, s ? s.responseEnd : 0);
	return [__boot.loaded - from, __boot.ready - from, __boot.start ? __boot.ready - __boot.start : -1];
})()`

// BenchmarkBrowserBoot measures sx.js's parse and init on page load:
// cold is a first visit in a fresh browser context (nothing cached: the
// bundle is evaluated from the page, and stored after boot), second the next page
// (sx.js from the HTTP cache, components from localStorage, which the
// first stored once idle: the benchmark waits for that), warm the
// third (Chromium then also has V8's code cache for sx.js, made on the
// second load).
// -ms is wall time by the Performance API (bootMs) to DOMContentLoaded,
// -ready-ms the same to the end of sx.js's boot (the runtime alone, not
// another deferred script after it); -run-ms from the start of sx.js's
// code (compiled: off the main thread while it streamed, or from V8's
// cache) to the end of its boot, without the page's first style, layout
// and paint (fonts matched by IPC), which Chromium often runs between
// the script's arrival and its run; -cpu-ms the main
// thread's CPU time in script during the load (DevTools Performance
// metrics, ScriptDuration in thread ticks: sx.js's compile, run and boot,
// plus the few microseconds of the timer script), which other processes
// on a busy machine do not inflate. 10 loads of each per op; medians, and
// the minimum of the wall times.
func BenchmarkBrowserBoot(b *testing.B) {
	var cold, second, warm, coldCPU, secondCPU, warmCPU, coldReady, secondReady, warmReady, coldRun, secondRun, warmRun []float64
	s, _, _ := startService(b, blogBenchService(), host.Options{})
	base := s.URL
	for i := 0; i < b.N; i++ {
		for j := 0; j < 10; j++ {
			tab := bootTab(b)
			load := func(path string) (wall, ready, run, cpu float64) {
				before := scriptSeconds(b, tab)
				if err := chromedp.Do(tab, chromedp.Navigate(base+path)); err != nil {
					b.Fatal(err)
				}
				ms := benchEval[[]float64](b, tab, `document.documentElement.dataset.sxReady === 'true' ? `+bootMs+` : [-1, -1, -1]`)
				if wall, ready, run = ms[0], ms[1], ms[2]; wall < 0 || ready < 0 || run < 0 {
					b.Fatalf("%s: the runtime did not boot (%v)", path, ms)
				}
				// The metrics are the renderer's: per document, or
				// cumulative when the process stayed.
				after := scriptSeconds(b, tab)
				if d := after - before; d > 0 {
					after = d
				}
				return wall, ready, run, after * 1000
			}
			w, r, u, c := load("/posts/1")
			cold, coldReady, coldRun, coldCPU = append(cold, w), append(coldReady, r), append(coldRun, u), append(coldCPU, c)
			benchEval[bool](b, tab, benchSettled)
			w, r, u, c = load("/posts/2")
			second, secondReady, secondRun, secondCPU = append(second, w), append(secondReady, r), append(secondRun, u), append(secondCPU, c)
			w, r, u, c = load(fmt.Sprintf("/posts/%d", 3+j%4))
			warm, warmReady, warmRun, warmCPU = append(warm, w), append(warmReady, r), append(warmRun, u), append(warmCPU, c)
			closeTab(tab)
		}
	}
	b.ReportMetric(benchMedian(cold), "cold-ms")
	b.ReportMetric(benchMedian(warm), "warm-ms")
	// The fastest load is the one least disturbed by other processes.
	b.ReportMetric(slices.Min(cold), "cold-min-ms")
	b.ReportMetric(slices.Min(warm), "warm-min-ms")
	b.ReportMetric(benchMedian(coldCPU), "cold-cpu-ms")
	b.ReportMetric(benchMedian(second), "second-ms")
	b.ReportMetric(benchMedian(secondCPU), "second-cpu-ms")
	b.ReportMetric(benchMedian(warmCPU), "warm-cpu-ms")
	b.ReportMetric(benchMedian(coldReady), "cold-ready-ms")
	b.ReportMetric(benchMedian(secondReady), "second-ready-ms")
	b.ReportMetric(benchMedian(warmReady), "warm-ready-ms")
	b.ReportMetric(benchMedian(coldRun), "cold-run-ms")
	b.ReportMetric(benchMedian(secondRun), "second-run-ms")
	b.ReportMetric(benchMedian(warmRun), "warm-run-ms")
}

// bootTab opens a fresh browser context (no cache, no storage) with
// bootTimer installed and the renderer's thread-tick metrics on.
func bootTab(b *testing.B) context.Context {
	b.Helper()
	tab := browsertest.New(b)
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: bootTimer}); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(tab, performance.Enable, performance.EnableParams{TimeDomain: performance.EnableTimeDomainThreadTicks}); err != nil {
		b.Fatal(err)
	}
	return tab
}

// closeTab closes a boot benchmark's browser context once measured, and
// gives its renderer a moment to exit: open ones (a renderer each, with
// its idle work) or one shutting down would share the machine with the
// load that follows and slow it (they doubled the wall-time medians of
// session nine's first runs on two CPUs).
func closeTab(tab context.Context) {
	_ = chromedp.Cancel(tab)
	time.Sleep(150 * time.Millisecond)
}

// scriptSeconds is the renderer's ScriptDuration metric (seconds).
func scriptSeconds(b *testing.B, tab context.Context) float64 {
	b.Helper()
	r, err := chromedp.Call(tab, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range r.Metrics {
		if m.Name == "ScriptDuration" {
			return m.Value
		}
	}
	b.Fatal("no ScriptDuration metric")
	return 0
}

// benchGzipLen is the size of s gzipped at the default level.
func benchGzipLen(s string) int {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.Len()
}
