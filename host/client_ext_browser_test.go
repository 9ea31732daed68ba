//go:build linux

package host_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	sxclient "github.com/rose-ash/sxhost/client"
	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// extService's one pure component calls format-date, a primitive of
// sx-ext.js, so its text/sx answers name that file; a page loads it with
// the document when it runs SX before an answer (/eager: a mount that
// renders ~stamp), not otherwise (/: only an sx-get). /ld renders JSON-LD
// with json-encode, an ext primitive, on the server.
const extService = `
(defservice extsvc)
(defcomp ~stamp (&key d) (li :class "stamp" (format-date (parse-datetime d) "%d %b %Y")))
(defcomp ~ld (&key data) (script :type "application/ld+json" (raw! (json-encode data))))
(defpage home :path "/" :content
  (div (button :id "load" :sx-get "/list" :sx-target "#list" "Load") (ul :id "list")))
(defpage eager :path "/eager" :content
  (div (ul :id "m") (script :type "text/sx" :data-mount "#m" (raw! "(~stamp :d \"2026-12-05T10:00:00Z\")"))))
(defpage ld :path "/ld" :content
  (div (~ld :data {"@type" "BlogPosting" "headline" "Bread & <butter>" "n" 3})
       (button :id "load" :sx-get "/list" :sx-target "#list" "Load") (ul :id "list")))
(defpage items :path "/list" :content
  (<> (~stamp :d "2026-12-05T10:00:00Z") (~stamp :d "2027-01-31T00:00:00Z")))
(defcomp ~plain (&key n) (li :class "plain" n))
(define (day-of d) (format-date (parse-datetime d) "%d"))
(defcomp ~day (&key d) (li :class "day" (day-of d)))
(defpage plain :path "/plain" :content (<> (~plain :n 1) (~plain :n 2)))
(defpage indirect :path "/indirect" :content (~day :d "2026-12-05T10:00:00Z"))
(defpage handler :path "/handler" :content (<> (~plain :n 1) (button :sx-on:click "(json-encode 1)" "b")))
`

// The host's side of the split: a document that runs SX on the page
// carries sx-ext.js after sx.js (data-sx-ext, the CSP nonce), one that
// does not leaves it out, text/sx answers name it in SX-Ext, and its
// hashed URL answers the minified file, cached for good. A service whose
// components need no ext primitive gets neither.
func TestExtScriptDelivery(t *testing.T) {
	s, _, _ := startService(t, extService, host.Options{})
	get := func(url string, h map[string]string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", url, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	_, doc := get(s.URL+"/", nil)
	if strings.Contains(doc, "sx-ext") {
		t.Errorf("a page that runs no SX before an answer loads sx-ext.js:\n%s", doc)
	}
	_, doc = get(s.URL+"/eager", nil)
	if !strings.Contains(doc, `<script src="`+sxclient.ExtHashedPath+`" defer data-sx-ext="format-date json-encode parse-datetime" nonce="`) ||
		strings.Index(doc, sxclient.ExtHashedPath) < strings.Index(doc, sxclient.HashedPath) {
		t.Errorf("the document does not load sx-ext.js after sx.js:\n%s", doc)
	}
	// An answer names sx-ext.js when what it calls may reach an ext
	// primitive (directly, through a function, or in a handler it carries),
	// not when it calls only components that cannot.
	for path, want := range map[string]string{"/list": sxclient.ExtHashedPath, "/indirect": sxclient.ExtHashedPath,
		"/handler": sxclient.ExtHashedPath, "/plain": ""} {
		res, body := get(s.URL+path, map[string]string{"SX-Request": "true"})
		if res.Header.Get("SX-Ext") != want {
			t.Errorf("text/sx answer of %s: SX-Ext %q, want %q\n%s", path, res.Header.Get("SX-Ext"), want, body)
		}
	}
	res, body := get(s.URL+sxclient.ExtHashedPath, nil)
	if res.StatusCode != 200 || body != string(sxclient.ExtScript) || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("%s: %d %q, %d bytes", sxclient.ExtHashedPath, res.StatusCode, res.Header.Get("Cache-Control"), len(body))
	}
	plain, _, _ := startService(t, engineService, host.Options{})
	_, doc = get(plain.URL+"/", nil)
	if strings.Contains(doc, "sx-ext") {
		t.Errorf("a service without ext primitives loads sx-ext.js")
	}
	res, _ = get(plain.URL+"/list", map[string]string{"SX-Request": "true"})
	if res.Header.Get("SX-Ext") != "" {
		t.Errorf("a service without ext primitives names SX-Ext")
	}
}

// In Chromium: a page that runs SX on load boots once sx-ext.js has run
// (its mount renders format-date on the client); a page that does not
// boots without it and loads it when an answer names it in SX-Ext, before
// rendering that answer; JSON-LD made with json-encode is rendered on the
// server, the same as sx.js renders it, with no sx-ext.js on the page.
// Such a page does not even make sx.js's evaluator until SX first runs.
func TestBrowserExtScript(t *testing.T) {
	t.Parallel()
	tab := browsertest.New(t)
	s, _, _ := startService(t, extService, host.Options{})
	until := func(what, cond string) {
		t.Helper()
		ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](`new Promise((done) => {
			const t0 = Date.now();
			(function poll() {
				if (`+cond+`) done(true);
				else if (Date.now() - t0 > 5000) done(false);
				else setTimeout(poll, 30);
			})();
		})`, chromedp.EvalAwaitPromise))
		if err != nil || !ok {
			html, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
			t.Fatalf("%s: %v\n%s", what, err, html)
		}
	}
	nav := func(path string) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Navigate(s.URL+path)); err != nil {
			t.Fatal(err)
		}
	}
	nav("/eager")
	until("booted after sx-ext.js", `document.documentElement.dataset.sxReady === 'true' && SX.ext === true`)
	until("the mount rendered format-date", `document.querySelector('#m li.stamp').textContent === '05 Dec 2026'`)
	until("format-date in the browser", `SX.renderToString('(~stamp :d "2026-12-05T10:00:00Z")') === '<li class="stamp">05 Dec 2026</li>'`)
	nav("/")
	// A server-rendered page boots without making the evaluator (sx.js's
	// makeCore): SX's own keys are the engine's until SX first runs. (Keys
	// are read without a property of SX, which would make it.)
	until("booted without sx-ext.js nor the evaluator", `document.documentElement.dataset.sxReady === 'true' &&
		!Object.keys(SX).includes('evaluate') && Object.keys(SX).includes('engine') &&
		SX.ext === undefined && !document.querySelector('script[src*="sx-ext"]')`)
	until("SX's API makes the evaluator when first read", `SX.renderToString('(b 1)') === '<b>1</b>' && Object.keys(SX).includes('evaluate')`)
	until("click sx-get", `(document.getElementById('load').click(), true)`)
	until("rendered with the ext", `[...document.querySelectorAll('#list li.stamp')].map((e) => e.textContent).join('|') === '05 Dec 2026|31 Jan 2027'`)
	until("loaded by SX-Ext", `SX.ext === true && document.querySelectorAll('script[src*="sx-ext"]').length === 1 && document.querySelector('script[src*="sx-ext"]').nonce !== ''`)
	nav("/ld")
	until("JSON-LD without sx-ext.js", `document.documentElement.dataset.sxReady === 'true' && SX.ext === undefined && !document.querySelector('script[src*="sx-ext"]') &&
		JSON.parse(document.querySelector('script[type="application/ld+json"]').textContent).headline === 'Bread & <butter>'`)
	until("click sx-get", `(window.ld = document.querySelector('script[type="application/ld+json"]').outerHTML, document.getElementById('load').click(), true)`)
	until("the client's json-encode renders the same JSON-LD", `SX.ext === true &&
		SX.renderToString('(~ld :data {"@type" "BlogPosting" "headline" "Bread & <butter>" "n" 3})') === ld`)
}

// If sx-ext.js fails to load, sx.js still boots: the page is ready, the
// engine works, and the console names the primitives that are missing
// (the document's tag lists those the bundle uses).
func TestBrowserExtScriptFails(t *testing.T) {
	t.Parallel()
	tab := browsertest.New(t)
	s, _, _ := startService(t, extService, host.Options{})
	if err := browsertest.Fail(tab, "*sx-ext*"); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.errs = []; const ce = console.error; console.error = function () { errs.push([...arguments].join(' ')); return ce.apply(this, arguments); };`}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/eager")); err != nil {
		t.Fatal(err)
	}
	ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](`new Promise((done) => {
		const t0 = Date.now();
		(function poll() {
			if (document.documentElement.dataset.sxReady === 'true') done(true);
			else if (Date.now() - t0 > 5000) done(false);
			else setTimeout(poll, 30);
		})();
	})`, chromedp.EvalAwaitPromise))
	if err != nil || !ok {
		t.Fatalf("sx.js did not boot without sx-ext.js: %v", err)
	}
	state, err := chromedp.Run(tab, chromedp.Evaluate[string](`[SX.ext === true, typeof SX.engine, errs.join('|')].join(';')`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(state, "false;object;") || !strings.Contains(state, "sx-ext.js did not load; unavailable: format-date json-encode parse-datetime") {
		t.Errorf("without sx-ext.js: %q, want SX.ext false, the engine, and a console error naming format-date, json-encode and parse-datetime", state)
	}
}
