//go:build linux

package host_test

import (
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

const outerMorphService = `
(defservice outermorph)
(defpage home :path "/" :content
  (div
    (form :id "om" :class "old" :sx-get "/om" :sx-trigger "go" :sx-target "this" :sx-swap "outerMorph"
      (input :id "oi" :name "q" :value "server") (p :id "op" "count 0"))
    (div :id "tgt" (span "keep me"))
    (button :id "tagb" :sx-get "/other-tag" :sx-target "#tgt" :sx-swap "outerMorph" "tag")
    (a :id "plain" :href "/target" :sx-preload "true" "plain link")))
(defroute om :path "/om" ()
  (html (form :id "om" :class "new" (input :id "oi" :name "q" :value "server" :data-x "1") (p :id "op" "count 1"))))
(defroute other-tag :path "/other-tag" () (html (section :id "tgt" "a section now")))
(defpage target :path "/target" :content (h1 "target page"))
`

func openOuterMorph(t *testing.T) *qaPage {
	t.Helper()
	tab := browsertest.New(t)
	s, _, _ := startService(t, outerMorphService, host.Options{})
	p := &qaPage{t: t, tab: tab, url: s.URL}
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: qaRecorder}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatal(err)
	}
	p.until("the runtime is ready", `document.documentElement.dataset.sxReady === 'true'`)
	return p
}

// sx-swap="outerMorph" morphs the target element itself into the answer's
// element: the same node stays (its attributes change), and the focused
// input inside keeps its node, focus, value and selection; an answer with
// another tag replaces the target.
func TestBrowserEngineOuterMorph(t *testing.T) {
	t.Parallel()
	p := openOuterMorph(t)
	p.do(`window.__form = document.getElementById('om'); const i = document.getElementById('oi'); window.__oi = i; i.focus(); i.value = 'typed'; i.setSelectionRange(1, 3);
		document.getElementById('om').dispatchEvent(new Event('go'))`)
	p.until("outer-morphed", `document.getElementById('op').textContent === 'count 1'`)
	p.check("same form node with the answer's attributes, input kept",
		`document.getElementById('om') === window.__form && window.__form.className === 'new' && !window.__form.hasAttribute('sx-get') &&
		 document.getElementById('oi') === window.__oi && document.activeElement === window.__oi && window.__oi.value === 'typed' &&
		 window.__oi.selectionStart === 1 && window.__oi.selectionEnd === 3 && window.__oi.dataset.x === '1' && document.querySelectorAll('#om').length === 1`)
	p.click("tagb")
	p.until("another tag replaces the target", `document.getElementById('tgt').tagName === 'SECTION' && document.getElementById('tgt').textContent === 'a section now' && document.querySelectorAll('#tgt').length === 1`)
}

// sx-preload on a plain link (no sx-get, not boosted): hovering it makes
// the browser prefetch the page once (a <link rel=prefetch>), which the
// click's navigation can use.
func TestBrowserEnginePreloadPlainLink(t *testing.T) {
	t.Parallel()
	p := openOuterMorph(t)
	p.check("nothing prefetched before the hover", `!document.querySelector('link[rel=prefetch]')`)
	p.do(`const a = document.getElementById('plain'); a.dispatchEvent(new MouseEvent('mouseenter')); a.dispatchEvent(new MouseEvent('mouseenter'))`)
	p.until("prefetched on hover", `performance.getEntriesByType('resource').some((e) => e.name.endsWith('/target') && e.initiatorType === 'link')`)
	p.check("one prefetch link for the page", `document.querySelectorAll('link[rel=prefetch]').length === 1 && document.querySelector('link[rel=prefetch]').href === document.getElementById('plain').href`)
	p.click("plain")
	p.until("the click navigates", `location.pathname === '/target' && document.querySelector('h1') && document.querySelector('h1').textContent === 'target page'`)
}
