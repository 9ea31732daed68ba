//go:build linux

package host_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// The runtime boots under the page's CSP in real Chromium: it loads the
// component bundle, keeps it in localStorage by hash with the sx-comp-hash
// cookie, renders a text/sx mount to DOM equal to the server's HTML, and on
// the next visit (an empty bundle) renders from its cache.
const bootService = `
(defservice boot)
(defcomp ~card (&key title &rest children)
  (div :class "card" (h2 title) (ul (map (fn (x) (li :data-n x (* x x))) (list 1 2 3))) children))
(defpage home :path "/" :content
  (<> (section :id "server" (~card :title "A & B" (em "x")))
      (section :id "client")
      (script :type "text/sx" :data-mount "#client" (raw! "(~card :title \"A & B\" (em \"x\"))"))))
`

func TestBrowserRuntimeBoots(t *testing.T) {
	t.Parallel()
	tab := browsertest.New(t)
	s, _, _ := startService(t, bootService, host.Options{})
	type state struct {
		Ready, Server, Client, Stored, Cookie, Hash string
		Shipped                                     bool
	}
	read := chromedp.Evaluate[state](`({
		Ready: document.documentElement.getAttribute('data-sx-ready') || '',
		Server: document.querySelector('#server').innerHTML,
		Client: document.querySelector('#client').innerHTML,
		Stored: localStorage.getItem('sx-components-hash') || '',
		Cookie: document.cookie,
		Hash: document.querySelector('script[data-components]').getAttribute('data-hash'),
		Shipped: document.querySelector('script[data-components]').textContent.trim() !== ''})`)
	for visit, wantShipped := range []bool{true, false} {
		if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/")); err != nil {
			t.Fatalf("visit %d: %v", visit+1, err)
		}
		// The bundle is stored, and the cookie set, once the page is idle.
		if _, err := chromedp.Run(tab, waitCookie); err != nil {
			t.Fatal(err)
		}
		st, err := chromedp.Run(tab, read)
		if err != nil {
			t.Fatal(err)
		}
		if st.Ready != "true" || st.Client != st.Server || st.Client == "" {
			t.Errorf("visit %d: ready %q; client render %q, server %q", visit+1, st.Ready, st.Client, st.Server)
		}
		if st.Stored != st.Hash || st.Cookie != "sx-comp-hash="+st.Hash {
			t.Errorf("visit %d: stored hash %q, cookie %q, bundle hash %q", visit+1, st.Stored, st.Cookie, st.Hash)
		}
		if st.Shipped != wantShipped {
			t.Errorf("visit %d: bundle shipped %v, want %v", visit+1, st.Shipped, wantShipped)
		}
	}
}

// waitCookie waits (up to 10 s) for the sx-comp-hash cookie.
var waitCookie = chromedp.Evaluate[bool](`new Promise((r) => { const t0 = Date.now(); (function p() {
	if (document.cookie.includes('sx-comp-hash=') || Date.now() - t0 > 10000) r(true); else setTimeout(p, 10); })(); })`, chromedp.EvalAwaitPromise)

// storageLog, run before the page's scripts, logs every localStorage call
// and cookie write in order, notes how many there were when the runtime
// finished booting, and holds idle callbacks until the test runs them.
const storageLog = `(function () {
	const log = window.__log = [];
	for (const m of ['getItem', 'setItem', 'removeItem']) {
		const f = Storage.prototype[m];
		Storage.prototype[m] = function (k, v) {
			if (window.__full && m === 'setItem' && k === 'sx-components-src') throw new DOMException('full', 'QuotaExceededError');
			log.push(m + ' ' + k); return f.apply(this, arguments);
		};
	}
	const c = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
	Object.defineProperty(Document.prototype, 'cookie', {get() { return c.get.call(this); }, set(v) { log.push('cookie ' + v.split(';')[0]); c.set.call(this, v); }});
	const idle = window.__idle = [];
	window.requestIdleCallback = (f) => idle.push(f);
	new MutationObserver(() => { if (window.__atReady === undefined && document.documentElement.dataset.sxReady) window.__atReady = log.length; })
		.observe(document, {attributes: true, subtree: true, attributeFilter: ['data-sx-ready']});
})();`

// bundleService is bootService with a boosted link to a second page whose
// answer is a component call.
const bundleService = bootService + `
(defpage two :path "/two" :content (<> (section :id "two" (~card :title "Two"))))
(defpage linked :path "/linked" :content
  (<> (nav :sx-boost "true" (a :id "to-two" :href "/two" "two")) (~card :title "One")))
`

// A first visit boots without touching storage; a boosted navigation
// before the bundle is stored still renders components (the request
// reports the hash of those in memory); the bundle is stored when the
// browser is idle, and only then does the cookie report it; a store that
// cannot hold the bundle never gets the cookie.
func TestBrowserBundleStoredAfterBoot(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, bundleService, host.Options{})
	for _, full := range []bool{false, true} {
		tab := browsertest.New(t)
		if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: storageLog}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/linked")); err != nil {
			t.Fatal(err)
		}
		type state struct {
			AtReady        int
			Log            []string
			Cookie, Stored string
			Hash, Two      string
		}
		read := chromedp.Evaluate[state](`({AtReady: window.__atReady, Log: __log, Cookie: document.cookie,
			Stored: localStorage.getItem('sx-components-hash') || '', Hash: document.querySelector('script[data-components]').dataset.hash,
			Two: (document.querySelector('#two h2') || {}).textContent || ''})`)
		st, err := chromedp.Run(tab, read)
		if err != nil {
			t.Fatal(err)
		}
		if st.AtReady != 0 || st.Cookie != "" || st.Stored != "" || st.Hash == "" {
			t.Fatalf("full %v: at boot: %d storage calls (%v), cookie %q, stored %q", full, st.AtReady, st.Log, st.Cookie, st.Stored)
		}
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`new Promise((r) => {
			document.addEventListener('sx:afterSettle', () => r(true), {once: true});
			document.getElementById('to-two').click(); })`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatal(err)
		}
		if st, err = chromedp.Run(tab, read); err != nil {
			t.Fatal(err)
		}
		if st.Two != "Two" || st.Cookie != "" {
			t.Fatalf("full %v: boosted before the store: card %q, cookie %q", full, st.Two, st.Cookie)
		}
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.__full = `+map[bool]string{false: "false", true: "true"}[full]+`; __idle.splice(0).forEach((f) => f()); true`)); err != nil {
			t.Fatal(err)
		}
		if st, err = chromedp.Run(tab, read); err != nil {
			t.Fatal(err)
		}
		log := strings.Join(st.Log, ", ")
		if full {
			if st.Cookie != "" || strings.Contains(log, "cookie") {
				t.Errorf("a store without room: cookie %q (log %s)", st.Cookie, log)
			}
			continue
		}
		if st.Stored != st.Hash || st.Cookie != "sx-comp-hash="+st.Hash ||
			!strings.Contains(log, "setItem sx-components-src, setItem sx-components-hash, cookie sx-comp-hash="+st.Hash) || strings.Count(log, "cookie") != 1 {
			t.Errorf("after idle: stored %q, cookie %q, bundle %q, log %s", st.Stored, st.Cookie, st.Hash, log)
		}
	}
}
