//go:build linux

package sitetest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/internal/browsertest"
)

// BenchmarkBrowserBlogBoostedBytes measures issue 12's byte goal on the
// real blog (services/blog with services/shared/layout.sx, the seed's
// posts, the header's fragments from market, events, cart and account):
// the bytes of a boosted navigation from one post to another against a
// full load of the same post, with the components, the stylesheet and
// sx.js cached. doc-% compares the boosted answer with the document
// alone; all-% counts every resource each load fetched (the new post's
// feature image in both). "seed" is two seed posts as they are; "long"
// gives both the seven paragraphs of host's blogBenchService, the length
// of an ordinary news post. Run by `make bench-browser`.
func BenchmarkBrowserBlogBoostedBytes(b *testing.B) {
	long := "<p>" + strings.Join([]string{
		"The market opens at nine on Saturday in the village hall, and this week the growers from Hill Farm bring the first leeks of the winter, sacks of maincrop potatoes and a late run of squash that kept well through the frosts. Members who ordered a vegetable box can collect it from the side door from eight.",
		"Our bakery partner is trying a new rye sourdough with caraway and a little black treacle. It keeps for four or five days in a paper bag, and it toasts better than anything we have sold before. We have forty loaves on the first morning; if they sell out we will make the order standing.",
		"Volunteers keep the co-op running. This month we need two more people for the Friday evening packing shift, someone with a car for deliveries to members who cannot get to the hall, and a spare pair of hands to repaint the shelving in the dry-goods room before the new stock arrives.",
		"The committee met on Tuesday and agreed the budget for next year. Most of the surplus goes back into lower prices on staples such as oats, lentils, rice and cooking oil, and a smaller part into the hall fund, which pays for the new boiler and for insulating the roof over the main room.",
		"Prices on dried fruit have gone up again after a poor harvest abroad, so we are switching some lines to British suppliers: apple rings from Kent, dried plums from Worcestershire and a mixed bag of sultanas and raisins from a wholesaler we already buy nuts from. The quality is as good and the miles are fewer.",
		"A reminder that the hall can be booked for private events at the members rate. Recent bookings include a ceilidh, two children's parties, a repair cafe and a meeting of the local beekeepers, who have offered to run a honey tasting at the market in the spring if there is enough interest.",
		"We are collecting glass jars again. Please bring them clean, with lids, and leave them in the crates by the entrance. Refill prices for washing-up liquid, laundry powder and oats are lower when you bring your own container, and every jar we reuse is one less the council has to collect.",
	}, "</p><p>") + "</p>"
	for _, c := range []struct{ name, from, to string }{
		{"seed", "/spring-supper/", "/bread-week/"},
		{"long", "/seed-swap/", "/veg-boxes/"},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.name == "long" {
				exec(b, "update posts set html = $1 where slug in ('seed-swap', 'veg-boxes')", long)
			}
			tab := browsertest.New(b)
			goTo := func(path string) {
				b.Helper()
				if err := chromedp.Do(tab, chromedp.Navigate(urls["blog"]+path)); err != nil {
					b.Fatal(err)
				}
				ok := blogBenchEval[bool](b, tab, `new Promise((r) => { const t0 = Date.now(); (function p() {
					if (document.documentElement.dataset.sxReady === 'true' && [...document.images].every((i) => i.complete)) r(true);
					else if (Date.now() - t0 > 10000) r(false); else setTimeout(p, 5); })(); })`)
				if !ok {
					b.Fatalf("%s did not load", path)
				}
			}
			var full, boosted loads
			for i := 0; i < b.N; i++ {
				// A first visit caches the components, the stylesheet and sx.js.
				// The components are stored when the page is idle, and only then
				// does the cookie tell the server: the full load waits for it, or
				// it would carry the bundle again.
				goTo(c.from)
				if !blogBenchEval[bool](b, tab, `new Promise((r) => { const t0 = Date.now(); (function p() {
					if (document.cookie.includes('sx-comp-hash=')) r(true); else if (Date.now() - t0 > 10000) r(false); else setTimeout(p, 5); })(); })`) {
					b.Fatal("the first visit did not store the components (no sx-comp-hash cookie)")
				}
				goTo(c.to)
				full = blogBenchEval[loads](b, tab, `({Doc: performance.getEntriesByType('navigation')[0].transferSize,
					All: performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((n, e) => n + e.transferSize, 0)})`)
				goTo(c.from)
				boosted = blogBenchEval[loads](b, tab, `new Promise((r) => {
					const before = performance.getEntriesByType('resource').length;
					document.addEventListener('sx:afterSettle', () => {
						const t0 = Date.now();
						(function p() {
							if (![...document.images].every((i) => i.complete) && Date.now() - t0 < 10000) return setTimeout(p, 5);
							const es = performance.getEntriesByType('resource').slice(before);
							const doc = es.filter((e) => e.name.endsWith('`+c.to+`'));
							r({Doc: doc.length === 1 ? doc[0].transferSize : -1, All: es.reduce((n, e) => n + e.transferSize, 0)});
						})();
					}, {once: true});
					const a = document.createElement('a');
					a.href = '`+c.to+`';
					document.getElementById('main').append(a);
					SX.engine.process(a);
					a.click();
				})`)
				if boosted.Doc <= 0 || full.Doc <= 0 {
					b.Fatalf("measuring failed: full %v, boosted %v", full, boosted)
				}
			}
			b.ReportMetric(full.Doc, "full-doc-B")
			b.ReportMetric(boosted.Doc, "boosted-B")
			b.ReportMetric(100*boosted.Doc/full.Doc, "doc-%")
			b.ReportMetric(100*boosted.All/full.All, "all-%")
		})
	}
}

// loads are the bytes of one page load: its document (or boosted answer)
// and everything it fetched.
type loads struct{ Doc, All float64 }

// blogBenchEval evaluates js in tab, awaiting a promise, into a T.
func blogBenchEval[T any](b *testing.B, tab context.Context, js string) T {
	b.Helper()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Fatalf("%s: %v", js, err)
	}
	return v
}
