//go:build linux

package host_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// The sx-* engine in real Chromium, attribute by attribute: each test
// drives a page of qaService and asserts the DOM (and the requests the
// page sent) afterwards. The requests are counted by a fetch wrapper the
// page gets before its own scripts (qaRecorder), so "no request" is
// checked the moment the event was dispatched, without waiting.

// qaRecorder runs before the page's scripts: it records every fetch the
// runtime starts (synchronously, when the trigger fires), every sx: event
// with the id of its element, and console errors.
const qaRecorder = `(function () {
const qa = window.__qa = {fetches: [], ev: [], errors: [], onFetch: null};
qa.sent = (s) => qa.fetches.filter((f) => f.includes(s)).length;
qa.has = (e) => qa.ev.includes(e);
const f = window.fetch;
window.fetch = function (u, o) {
	qa.fetches.push(((o && o.method) || 'GET') + ' ' + u);
	if (qa.onFetch) qa.onFetch(u, o);
	return f.apply(this, arguments);
};
for (const n of ['beforeRequest', 'afterRequest', 'beforeSwap', 'afterSwap', 'afterSettle', 'responseError', 'sendError', 'timeout', 'load'])
	document.addEventListener('sx:' + n, (e) => qa.ev.push(n + ' ' + ((e.detail && e.detail.elt && e.detail.elt.id) || (e.target && e.target.id) || '')));
const ce = console.error;
console.error = function () { qa.errors.push(Array.from(arguments).map(String).join(' ')); return ce.apply(this, arguments); };
})();`

// qaSwapStyles are the swap styles of sx-swap, each with the HTML its box
// holds afterwards (the box starts as <div id="sw-STYLE"><b>old</b></div>).
var qaSwapStyles = []struct{ style, want string }{
	{"innerHTML", `<div id="sw-innerHTML"><span class="hit" id="hit-innerHTML">innerHTML</span></div>`},
	{"outerHTML", `<span class="hit" id="hit-outerHTML">outerHTML</span>`},
	{"beforebegin", `<span class="hit" id="hit-beforebegin">beforebegin</span><div id="sw-beforebegin"><b>old</b></div>`},
	{"afterbegin", `<div id="sw-afterbegin"><span class="hit" id="hit-afterbegin">afterbegin</span><b>old</b></div>`},
	{"beforeend", `<div id="sw-beforeend"><b>old</b><span class="hit" id="hit-beforeend">beforeend</span></div>`},
	{"afterend", `<div id="sw-afterend"><b>old</b></div><span class="hit" id="hit-afterend">afterend</span>`},
	{"delete", ``},
	{"none", `<div id="sw-none"><b>old</b></div>`},
}

// qaRH is the URL of qaService's /rh route answering with the given response
// headers (name, value pairs) and a hit labelled label.
func qaRH(label string, headers ...string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i+1 < len(headers); i += 2 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%q", headers[i], headers[i+1])
	}
	b.WriteString("}")
	return "/rh?label=" + url.QueryEscape(label) + "&h=" + url.QueryEscape(b.String())
}

// qaService is the test service: the home page holds one small fixture per
// feature; /auto holds the triggers that fire by themselves.
func qaService() string {
	var swaps strings.Builder
	for _, s := range qaSwapStyles {
		fmt.Fprintf(&swaps, "\n      (div :id \"w-%[1]s\" (div :id \"sw-%[1]s\" (b \"old\")))"+
			"\n      (button :id \"do-%[1]s\" :sx-get \"/hit?label=%[1]s\" :sx-target \"#sw-%[1]s\" :sx-swap \"%[1]s\" \"%[1]s\")", s.style)
	}
	out := func(id string) string { return `(div :id "` + id + `")` }
	return `(defservice qa :title "QA")
(defcomp ~row (&key n) (li :class "row" (str "row " n)))
(defcomp ~boom (&key n) (span :class "boom" (error (str "deliberate failure " n))))
(defcomp ~echo ()
  (dl :id "echo"
    (dd :id "e-request" (request-header "SX-Request"))
    (dd :id "e-target" (request-header "SX-Target"))
    (dd :id "e-trigger" (request-header "SX-Trigger"))
    (dd :id "e-trigger-name" (request-header "SX-Trigger-Name"))
    (dd :id "e-current-url" (request-header "SX-Current-URL"))
    (dd :id "e-boosted" (request-header "SX-Boosted"))
    (dd :id "e-csrf" (request-header "X-CSRF-Token"))
    (dd :id "e-custom" (request-header "X-Custom"))
    (dd :id "e-ctype" (request-header "Content-Type"))
    (dd :id "e-method" (request-method))
    (dd :id "e-a" (request-arg "a"))
    (dd :id "e-q" (request-arg "q"))
    (dd :id "e-files" (join "," (map (fn (f) (str (get f :field) "=" (get f :filename) ":" (get f :size) ":" (get f :content-type))) (request-files))))))
(defroute hit :path "/hit" (&key label q) (html (span :class "hit" :id (str "hit-" label) (or q label))))
(defroute echo :path "/echo" () (html (~echo)))
(defroute echo-post :path "/echo" :method :post () (html (~echo)))
(defroute verb-put :path "/verb" :method :put () (html (span :class "hit" (request-method))))
(defroute verb-patch :path "/verb" :method :patch () (html (span :class "hit" (request-method))))
(defroute verb-delete :path "/verb" :method :delete () (html (span :class "hit" (request-method))))
(defroute verb-post :path "/verb" :method :post () (html (span :class "hit" (request-method))))
(defroute rh :path "/rh" (&key label (h :dict nil))
  (do (when h (for-each (fn (k) (response-header k (get h k))) (keys h)))
      (html (<> (span :class "hit" :id (str "hit-" label) label) (em :class "extra" (str "extra " label))))))
(defroute oob :path "/oob" ()
  (html (<> (span :class "hit" "main")
            (div :id "oob-1" :sx-swap-oob "true" "replaced")
            (div :id "oob-2" :sx-swap-oob "innerHTML" (b "inner"))
            (div :id "oob-3" :sx-swap-oob "beforeend" (i "end"))
            (div :id "oob-4" :sx-swap-oob "afterbegin" (i "begin"))
            (div :id "oob-5" :sx-swap-oob "delete")
            (div :id "oob-6" :sx-swap-oob "beforebegin" (i "before"))
            (div :id "oob-7" :sx-swap-oob "afterend" (i "after"))
            (div :id "oob-8" :sx-swap-oob "outerHTML" :class "new" "eight new")
            (div :id "oob-9" :sx-swap-oob "morph" (input :id "oob-9-in" :value "new" :class "m") (span "added")))))
(defroute fail :path "/fail" () (abort 422 "the name is missing"))
(defroute slow :path "/slow" () (do (reduce + 0 (range 2000000)) (html (span :class "hit" :id "hit-slow" "slow"))))
(defpage rows :path "/rows" :content (ul :id "rows-list" (~row :n 1) (~row :n 2)))
(defpage go-away :path "/go-away" :content (redirect "/landed"))
(defpage landed :path "/landed" :title "Landed" :content
  (<> (meta :name "description" :content "where we landed") (link :rel "canonical" :href "https://qa.example/landed")
      (h1 :id "landed" "landed")))
(defpage broken-render :path "/broken-render" :content (div :id "br" (~boom :n 7)))
(defpage mount-error :path "/mount-error" :content
  (<> (section :id "m")
      (script :type "text/sx" :data-mount "#m" (raw! "(~boom :n 8)"))))
(defpage auto :path "/auto" :content
  (div
    (div :id "ld" :sx-get "/hit?label=load" :sx-trigger "load" "waiting")
    (div :id "ev" :sx-get "/hit?label=every" :sx-trigger "every 50ms" :sx-swap "beforeend")
    (div :style "height:3000px" "spacer")
    (div :id "rv" :sx-get "/hit?label=revealed" :sx-trigger "revealed" :sx-swap "beforeend" "r")
    (div :id "is" :sx-get "/hit?label=intersect" :sx-trigger "intersect" :sx-swap "beforeend" "i")
    (div :style "height:3000px" "spacer")))
(defpage home :path "/" :title "QA home" :content
  (div :id "page"
    (form :id "csrf-form" (input :type "hidden" :name "csrf_token" :value (csrf-token)))

    (section :id "triggers"
      (button :id "tr-once" :sx-get "/hit?label=once" :sx-target "#tr-out" :sx-swap "beforeend" :sx-trigger "click once" "once")
      (input :id "tr-changed" :name "q" :value "a" :sx-get "/hit?label=changed" :sx-target "#tr-out" :sx-swap "beforeend" :sx-trigger "keyup changed")
      (input :id "tr-delay" :name "q" :value "" :sx-get "/hit?label=delay" :sx-target "#tr-delay-out" :sx-trigger "keyup delay:150ms")
      (button :id "tr-throttle" :sx-get "/hit?label=throttle" :sx-target "#tr-out" :sx-swap "beforeend" :sx-trigger "click throttle:300ms" "throttle")
      (button :id "tr-from-src" "source")
      (button :id "tr-from" :sx-get "/hit?label=from" :sx-target "#tr-out" :sx-swap "beforeend" :sx-trigger "click from:#tr-from-src" "from")
      (div :id "tr-target" :sx-get "/hit?label=target" :sx-target "#tr-out" :sx-swap "beforeend" :sx-trigger "click target:.go"
        (button :id "tr-target-go" :class "go" "go") (button :id "tr-target-no" :class "no" "no"))
      (div :id "tr-outer" :sx-get "/hit?label=outer" :sx-target "#tr-out" :sx-swap "beforeend"
        (span :id "tr-outer-kid" "kid")
        (button :id "tr-consume" :sx-get "/hit?label=consume" :sx-target "#tr-out" :sx-swap "beforeend" :sx-trigger "click consume" "consume"))
      (button :id "tr-filter" :sx-get "/hit?label=filter" :sx-target "#tr-out" :sx-swap "beforeend" :sx-trigger "click[ctrlKey]" "filter")
      (input :id "tr-key" :sx-get "/hit?label=key" :sx-target "#tr-out" :sx-swap "beforeend" :sx-trigger "keyup[(= key \"Enter\")]")
      (input :id "tr-dchange" :name "q" :value "" :sx-get "/hit?label=dchange" :sx-target "#tr-out" :sx-swap "beforeend")
      ` + out("tr-out") + out("tr-delay-out") + `)

    (section :id "swaps"` + swaps.String() + `)

    (section :id "targets"
      (div :id "t-default" :sx-get "/hit?label=default" "click me")
      (button :id "t-sel" :sx-get "/hit?label=sel" :sx-target "#t-sel-box" "selector") ` + out("t-sel-box") + `
      (div :class "wrap" :id "t-wrap" (button :id "t-closest" :sx-get "/hit?label=closest" :sx-target "closest .wrap" "closest"))
      (div :id "t-find" :sx-get "/hit?label=find" :sx-target "find .inner" (span :class "inner" "x") (span :class "other" "y"))
      (button :id "t-this" :sx-get "/hit?label=this" :sx-target "this" "this"))

    (section :id "select"
      (button :id "sel" :sx-get "` + qaRH("sel") + `" :sx-select ".extra" :sx-target "#sel-out" "select") ` + out("sel-out") + `
      (button :id "oob" :sx-get "/oob" :sx-target "#oob-out" "oob") ` + out("oob-out") + `
      (div :id "oob-1" "one") (div :id "oob-2" (span "two")) (div :id "oob-3" (i "a")) (div :id "oob-4" (i "z")) (div :id "oob-5" "five")
      (div :id "oob-w6" (div :id "oob-6" "six")) (div :id "oob-w7" (div :id "oob-7" "seven"))
      (div :id "oob-8" "eight") (div :id "oob-9" (input :id "oob-9-in" :value "old")))

    (section :id "params"
      (button :id "vals" :name "vals-name" :sx-get "/echo" :sx-vals "{\"a\":\"from-vals\"}" :sx-headers "{\"X-Custom\":\"custom-1\"}" :sx-target "#vals-out" "vals") ` + out("vals-out") + `
      (button :id "rq-post" :sx-post "/echo" :sx-target "#rq-post-out" "post") ` + out("rq-post-out") + `
      (form :id "mp" :sx-post "/echo" :sx-encoding "multipart/form-data" :sx-target "#mp-out"
        (input :type "file" :id "mp-file" :name "f") (input :name "a" :value "x") (button :id "mp-send" "send")) ` + out("mp-out") + `
      (form :id "ue" :sx-post "/echo" :sx-target "#ue-out"
        (input :name "a" :value "urlencoded") (button :id "ue-send" "send")) ` + out("ue-out") + `
      (div :sx-boost "true" :sx-target "#bf-out"
        (form :id "bf" :action "/echo" :method "post" (input :name "a" :value "boosted") (button :id "bf-send" "go"))) ` + out("bf-out") + `
      (button :id "v-put" :sx-put "/verb" :sx-target "#v-put-out" "put") ` + out("v-put-out") + `
      (button :id "v-patch" :sx-patch "/verb" :sx-target "#v-patch-out" "patch") ` + out("v-patch-out") + `
      (button :id "v-delete" :sx-delete "/verb" :sx-target "#v-delete-out" "delete") ` + out("v-delete-out") + `)

    (section :id "ui"
      (button :id "cf" :sx-get "/hit?label=cf" :sx-confirm "Really do it?" :sx-target "#cf-out" "confirm") ` + out("cf-out") + `
      (span :id "spinner" "...")
      (button :id "ind-dis" "disabled while busy")
      (button :id "ind" :sx-get "/hit?label=ind" :sx-indicator "#spinner" :sx-disabled-elt "#ind-dis" :sx-target "#ind-out" "indicator") ` + out("ind-out") + `
      (button :id "ind-self" :sx-get "/hit?label=indself" :sx-disabled-elt "this" :sx-target "#ind-out" "self")
      (div :id "on-wrap" :sx-on:afterSwap "(set! qa-swaps (+ qa-swaps 1))" :sx-on:after-settle "(set! qa-settles (+ qa-settles 1))"
        (button :id "on" :sx-get "/hit?label=on" :sx-target "#on-out" :sx-on:click "(set! qa-this this)" "on") ` + out("on-out") + `)
      (button :id "rows" :sx-get "/rows" :sx-target "#rows-out" "rows") ` + out("rows-out") + `
      (button :id "br" :sx-get "/broken-render" :sx-target "#br-out" "broken") ` + out("br-out") + `)

    (section :id "resp"
      (button :id "r-trig" :sx-get "` + qaRH("trig", "SX-Trigger", `{"qa-a":{"n":1}}`, "SX-Trigger-After-Swap", "qa-b", "SX-Trigger-After-Settle", "qa-c, qa-d") + `" :sx-target "#r-out" "trigger")
      (button :id "r-retarget" :sx-get "` + qaRH("retarget", "SX-Retarget", "#r-other") + `" :sx-target "#r-out" "retarget")
      (button :id "r-reswap" :sx-get "` + qaRH("reswap", "SX-Reswap", "beforeend") + `" :sx-target "#r-keep" "reswap")
      (button :id "r-reselect" :sx-get "` + qaRH("reselect", "SX-Reselect", ".extra") + `" :sx-target "#r-sel" "reselect")
      (button :id "r-push" :sx-get "` + qaRH("push", "SX-Push-Url", "/pushed") + `" :sx-target "#r-out" "push")
      (button :id "r-replace" :sx-get "` + qaRH("replace", "SX-Replace-Url", "/replaced") + `" :sx-target "#r-out" "replace")
      (button :id "r-redirect" :sx-get "` + qaRH("redirect", "SX-Redirect", "/landed") + `" :sx-target "#r-out" "redirect")
      (button :id "r-page-redirect" :sx-get "/go-away" :sx-target "#r-out" "page redirect")
      (button :id "r-location" :sx-get "` + qaRH("location", "SX-Location", "/landed") + `" :sx-target "#r-out" "location")
      (button :id "a-push" :sx-get "/hit?label=apush" :sx-push-url "true" :sx-target "#r-out" "push attr")
      (button :id "a-push-path" :sx-get "/hit?label=apushpath" :sx-push-url "/elsewhere" :sx-target "#r-out" "push path")
      (button :id "a-replace" :sx-get "/hit?label=areplace" :sx-replace-url "true" :sx-target "#r-out" "replace attr")
      (button :id "r-refresh" :sx-get "` + qaRH("refresh", "SX-Refresh", "true") + `" :sx-target "#r-out" "refresh")
      ` + out("r-out") + out("r-other") + `(div :id "r-keep" (b "kept")) ` + out("r-sel") + `)

    (section :id "events"
      (button :id "ev-cancel-req" :sx-get "/hit?label=cancelreq" :sx-target "#ev-out" "cancel request")
      (button :id "ev-cancel-swap" :sx-get "/hit?label=cancelswap" :sx-target "#ev-out" "cancel swap")
      (button :id "ev-ok" :sx-get "/hit?label=evok" :sx-target "#ev-out" "ok")
      (div :id "ev-out" (b "untouched")))

    (section :id "errors"
      (button :id "er-shown" :sx-get "/fail" :sx-target "#er-out" :sx-error-target "#er-msg" "fail shown")
      (button :id "er-logged" :sx-get "/fail" :sx-target "#er-out" "fail logged")
      (button :id "er-send" :sx-get "http://127.0.0.1:9/blocked" :sx-target "#er-out" "send error")
      (button :id "er-timeout" :sx-get "/slow" :sx-timeout "1" :sx-target "#er-out" "timeout")
      (button :id "er-in-time" :sx-get "/slow" :sx-timeout "30s" :sx-target "#er-out" "in time")
      (div :id "er-out" (b "intact")) ` + out("er-msg") + `)))
`
}

// qaPage is one tab on a page of qaService.
type qaPage struct {
	t   *testing.T
	tab context.Context
	url string // the service's base URL
}

// openQA starts qaService and opens path in a fresh tab with the recorder
// installed, once the runtime is ready.
func openQA(t *testing.T, path string) *qaPage {
	t.Helper()
	tab := browsertest.New(t)
	s, _, _ := startService(t, qaService(), host.Options{})
	p := &qaPage{t: t, tab: tab, url: s.URL}
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: qaRecorder}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+path)); err != nil {
		t.Fatal(err)
	}
	p.until("the runtime is ready", `document.documentElement.dataset.sxReady === 'true'`)
	return p
}

// dump is what a failure shows of the page.
func (p *qaPage) dump() string {
	st, _ := chromedp.Run(p.tab, chromedp.Evaluate[string](`location.href + '\n' + JSON.stringify(window.__qa)`))
	return st
}

// until polls the JavaScript condition cond until it holds (5 s at most);
// an exception counts as not yet.
func (p *qaPage) until(what, cond string) {
	p.t.Helper()
	var ok bool
	var err error
	// A page that reloads ends a pending evaluation: ask again there.
	for try := 0; try < 5 && !ok; try++ {
		ok, err = chromedp.Run(p.tab, chromedp.Evaluate[bool](`new Promise((done) => {
			const t0 = Date.now();
			(function poll() {
				let met = false;
				try { met = !!(`+cond+`); } catch (e) {}
				if (met) done(true);
				else if (Date.now() - t0 > 5000) done(false);
				else setTimeout(poll, 20);
			})();
		})`, chromedp.EvalAwaitPromise))
	}
	if err != nil || !ok {
		p.t.Fatalf("%s: %s did not come true (%v)\n%s", what, cond, err, p.dump())
	}
}

// wait awaits the JavaScript promise promise (5 s at most).
func (p *qaPage) wait(what, promise string) {
	p.t.Helper()
	ok, err := chromedp.Run(p.tab, chromedp.Evaluate[bool](`Promise.race([(`+promise+`).then(() => true),
		new Promise((r) => setTimeout(() => r(false), 5000))])`, chromedp.EvalAwaitPromise))
	if err != nil || !ok {
		p.t.Fatalf("%s: timed out (%v)\n%s", what, err, p.dump())
	}
}

// check evaluates the JavaScript condition cond once; it must hold.
func (p *qaPage) check(what, cond string) {
	p.t.Helper()
	ok, err := chromedp.Run(p.tab, chromedp.Evaluate[bool](`(function () { return !!(`+cond+`); })()`))
	if err != nil || !ok {
		p.t.Errorf("%s: %s is false (%v)\n%s", what, cond, err, p.dump())
	}
}

// do runs JavaScript statements in the page.
func (p *qaPage) do(js string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.tab, chromedp.Evaluate[any](`(function () { `+js+`; return null; })()`)); err != nil {
		p.t.Fatalf("running %s: %v", js, err)
	}
}

// click clicks the element with id (a DOM click, as a user's would be
// dispatched).
func (p *qaPage) click(id string) {
	p.t.Helper()
	p.do(`document.getElementById('` + id + `').click()`)
}

// settled waits until the request of the element id has been swapped and
// settled.
func (p *qaPage) settled(id string) {
	p.t.Helper()
	p.until(id+" settles", `__qa.has('afterSettle `+id+`')`)
}

func qaInner(id string) string { return `document.getElementById('` + id + `').innerHTML` }

func TestBrowserQATriggerModifiers(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/")

	// once: the second click sends nothing.
	p.click("tr-once")
	p.click("tr-once")
	p.check("once sends one request", `__qa.sent('label=once') === 1`)
	p.until("once's answer appended", `document.querySelectorAll('#tr-out #hit-once').length === 1`)

	// changed: a keyup that leaves the value as it was sends nothing.
	p.do(`document.getElementById('tr-changed').dispatchEvent(new KeyboardEvent('keyup', {bubbles: true}))`)
	p.check("changed: no request before the value changes", `__qa.sent('label=changed') === 0`)
	p.do(`const i = document.getElementById('tr-changed'); i.value = 'ab'; i.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true}))`)
	p.do(`document.getElementById('tr-changed').dispatchEvent(new KeyboardEvent('keyup', {bubbles: true}))`)
	p.check("changed: one request for one change", `__qa.sent('label=changed') === 1 && __qa.fetches.some((f) => f.includes('label=changed') && f.includes('q=ab'))`)
	p.until("changed's answer", `document.querySelector('#tr-out #hit-changed').textContent === 'ab'`)

	// delay: three keyups in a row send one request, later, with the last value.
	p.do(`const i = document.getElementById('tr-delay');
		for (const v of ['x', 'xy', 'xyz']) { i.value = v; i.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true})); }`)
	p.check("delay: nothing sent at once", `__qa.sent('label=delay') === 0`)
	p.until("delay: the delayed request's answer", `document.querySelector('#tr-delay-out .hit') && document.querySelector('#tr-delay-out .hit').textContent === 'xyz'`)
	p.check("delay: one request for three keyups", `__qa.sent('label=delay') === 1`)

	// throttle: three clicks at once send one request; one after the window another.
	p.do(`const b = document.getElementById('tr-throttle'); b.click(); b.click(); b.click()`)
	p.check("throttle: one request for three clicks", `__qa.sent('label=throttle') === 1`)
	p.until("throttle: a click after the window sends again", `(document.getElementById('tr-throttle').click(), __qa.sent('label=throttle') === 2)`)

	// from: the element listens on another one, not on itself.
	p.click("tr-from")
	p.check("from: a click on the element itself sends nothing", `__qa.sent('label=from') === 0`)
	p.click("tr-from-src")
	p.check("from: a click on the source sends", `__qa.sent('label=from') === 1`)

	// target: only events whose target matches.
	p.click("tr-target-no")
	p.check("target: a click elsewhere in the element sends nothing", `__qa.sent('label=target') === 0`)
	p.click("tr-target-go")
	p.check("target: a click on the matching child sends", `__qa.sent('label=target') === 1`)

	// consume: the event stops at the element; without it, it bubbles.
	p.click("tr-consume")
	p.check("consume: the inner element sends, the outer not", `__qa.sent('label=consume') === 1 && __qa.sent('label=outer') === 0`)
	p.click("tr-outer-kid")
	p.check("without consume the outer element gets a child's click", `__qa.sent('label=outer') === 1`)

	// [filter]: an SX expression over the event.
	p.click("tr-filter")
	p.check("filter: a plain click sends nothing", `__qa.sent('label=filter') === 0`)
	p.do(`document.getElementById('tr-filter').dispatchEvent(new MouseEvent('click', {bubbles: true, ctrlKey: true}))`)
	p.check("filter: a ctrl-click sends", `__qa.sent('label=filter') === 1`)
	p.do(`const i = document.getElementById('tr-key');
		i.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true, key: 'a'}));
		i.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true, key: 'Enter'}))`)
	p.check("filter: only Enter sends", `__qa.sent('label=key') === 1`)
	// An input without sx-trigger sends on change, not on keyup or click.
	p.do(`const i = document.getElementById('tr-dchange'); i.click(); i.value = 'typed'; i.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true}))`)
	p.check("an input's default trigger: not keyup or click", `__qa.sent('label=dchange') === 0`)
	p.do(`document.getElementById('tr-dchange').dispatchEvent(new Event('change', {bubbles: true}))`)
	p.check("an input's default trigger is change", `__qa.sent('label=dchange') === 1 && __qa.fetches.some((f) => f.includes('label=dchange') && f.includes('q=typed'))`)
	p.until("every filtered trigger answered", `['once', 'changed', 'throttle', 'from', 'target', 'consume', 'outer', 'filter', 'key'].every((l) => document.querySelector('#tr-out #hit-' + l))`)
}

func TestBrowserQAAutoTriggers(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/auto")
	p.until("load: the element loads itself", qaInner("ld")+` === '<span class="hit" id="hit-load">load</span>'`)
	p.until("every: repeated requests", `document.querySelectorAll('#ev .hit').length >= 3`)
	p.do(`document.getElementById('ev').remove()`)
	// An observer of the test's own reports when the element is out of
	// (or in) view: the runtime's observers have seen the same by then.
	seen := func(in bool) string {
		return fmt.Sprintf(`new Promise((r) => new IntersectionObserver((es, o) => {
			if (es[0].isIntersecting === %v) { o.disconnect(); r(); } }).observe(document.getElementById('is')))`, in)
	}
	p.wait("out of view", seen(false))
	p.check("revealed and intersect: nothing while out of view", `__qa.sent('label=revealed') === 0 && __qa.sent('label=intersect') === 0`)
	p.do(`document.getElementById('rv').scrollIntoView()`)
	p.until("revealed and intersect fire in view", `document.querySelector('#rv .hit') && document.querySelector('#is .hit')`)
	p.do(`window.scrollTo(0, 0)`)
	p.wait("out of view again", seen(false))
	p.do(`document.getElementById('rv').scrollIntoView()`)
	p.until("intersect fires again", `document.querySelectorAll('#is .hit').length === 2`)
	p.check("revealed fires once", `document.querySelectorAll('#rv .hit').length === 1 && __qa.sent('label=revealed') === 1`)
}

func TestBrowserQASwapsAndTargets(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/")
	for _, s := range qaSwapStyles {
		p.click("do-" + s.style)
	}
	for _, s := range qaSwapStyles {
		p.settled("do-" + s.style)
		p.check("sx-swap "+s.style, qaInner("w-"+s.style)+" === "+qaJSString(s.want))
	}

	p.click("t-default")
	p.until("default target: the element itself", qaInner("t-default")+` === '<span class="hit" id="hit-default">default</span>'`)
	p.click("t-sel")
	p.until("CSS selector target", qaInner("t-sel-box")+` === '<span class="hit" id="hit-sel">sel</span>'`)
	p.click("t-closest")
	p.until("closest target", qaInner("t-wrap")+` === '<span class="hit" id="hit-closest">closest</span>'`)
	p.click("t-find")
	p.until("find target", qaInner("t-find")+` === '<span class="inner"><span class="hit" id="hit-find">find</span></span><span class="other">y</span>'`)
	p.click("t-this")
	p.until("this target", qaInner("t-this")+` === '<span class="hit" id="hit-this">this</span>'`)

	// sx-select picks a part of the answer.
	p.click("sel")
	p.until("sx-select", qaInner("sel-out")+` === '<em class="extra">extra sel</em>'`)

	// sx-swap-oob parts go to their ids with their own styles; the rest to the target.
	p.do(`window.__oob9 = document.getElementById('oob-9-in'); window.__oob9.value = 'kept'`)
	p.click("oob")
	p.settled("oob")
	p.check("the main part", qaInner("oob-out")+` === '<span class="hit">main</span>'`)
	p.check("oob true (outerHTML)", `document.getElementById('oob-1').outerHTML === '<div id="oob-1">replaced</div>'`)
	p.check("oob innerHTML", qaInner("oob-2")+` === '<b>inner</b>'`)
	p.check("oob beforeend", qaInner("oob-3")+` === '<i>a</i><i>end</i>'`)
	p.check("oob afterbegin", qaInner("oob-4")+` === '<i>begin</i><i>z</i>'`)
	p.check("oob delete", `document.getElementById('oob-5') === null`)
	p.check("oob beforebegin", qaInner("oob-w6")+` === '<i>before</i><div id="oob-6">six</div>'`)
	p.check("oob afterend", qaInner("oob-w7")+` === '<div id="oob-7">seven</div><i>after</i>'`)
	p.check("oob outerHTML", `document.getElementById('oob-8').outerHTML === '<div id="oob-8" class="new">eight new</div>'`)
	p.check("oob morph keeps the input node, updates it, adds the rest", `document.getElementById('oob-9-in') === window.__oob9 && window.__oob9.className === 'm' && window.__oob9.value === 'kept' && `+qaInner("oob-9")+`.endsWith('<span>added</span>')`)
	p.check("oob parts leave no copy or attribute behind", `document.querySelectorAll('[sx-swap-oob]').length === 0 && document.querySelectorAll('#oob-1').length === 1`)

	// A text/sx answer (a page) is rendered by the client with the bundle's components.
	p.click("rows")
	p.until("text/sx rendered", qaInner("rows-out")+` === '<ul id="rows-list"><li class="row">row 1</li><li class="row">row 2</li></ul>'`)
}

func TestBrowserQARequestHeadersAndParams(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/")
	// inside returns a condition on the echo inside box.
	inside := func(box, id, cond string) string {
		return `(function () { const e = document.querySelector('#` + box + ` #` + id + `'); return e && e.textContent ` + cond + `; })()`
	}

	p.click("vals")
	p.settled("vals")
	p.check("SX-Request", inside("vals-out", "e-request", `=== 'true'`))
	p.check("SX-Target is the target's id", inside("vals-out", "e-target", `=== 'vals-out'`))
	p.check("SX-Trigger is the element's id", inside("vals-out", "e-trigger", `=== 'vals'`))
	p.check("SX-Trigger-Name is its name", inside("vals-out", "e-trigger-name", `=== 'vals-name'`))
	p.check("SX-Current-URL", inside("vals-out", "e-current-url", `=== location.href`))
	p.check("no SX-Boosted outside sx-boost", inside("vals-out", "e-boosted", `=== ''`))
	p.check("no CSRF header on GET", inside("vals-out", "e-csrf", `=== ''`))
	p.check("sx-vals", inside("vals-out", "e-a", `=== 'from-vals'`))
	p.check("sx-headers", inside("vals-out", "e-custom", `=== 'custom-1'`))

	// A POST outside any form: the CSRF token comes from the meta (the
	// route refuses the request without it).
	p.click("rq-post")
	p.settled("rq-post")
	p.check("CSRF token from <meta>", inside("rq-post-out", "e-csrf", `=== document.querySelector('meta[name=csrf-token]').content && document.querySelector('meta[name=csrf-token]').content.length > 10`))
	p.check("POST", inside("rq-post-out", "e-method", `=== 'POST'`))

	// A boosted form sends SX-Boosted and goes to the booster's target.
	p.click("bf-send")
	p.settled("bf") // a boosted form's request is the form's
	p.check("SX-Boosted", inside("bf-out", "e-boosted", `=== 'true'`))
	p.check("the boosted form's fields", inside("bf-out", "e-a", `=== 'boosted'`))
	p.check("a boosted POST pushes no URL", `location.pathname === '/'`)

	// sx-encoding: multipart for files; forms are URL-encoded otherwise.
	p.do(`const dt = new DataTransfer(); dt.items.add(new File(['hello'], 'hello.txt', {type: 'text/plain'}));
		document.getElementById('mp-file').files = dt.files`)
	p.click("mp-send")
	p.settled("mp")
	p.check("multipart/form-data", inside("mp-out", "e-ctype", `.startsWith('multipart/form-data; boundary=')`))
	p.check("the file reaches the route: field, name, size, type", inside("mp-out", "e-files", `=== 'f=hello.txt:5:text/plain'`))
	p.check("and the form's text field", inside("mp-out", "e-a", `=== 'x'`))
	p.click("ue-send")
	p.settled("ue")
	p.check("URL-encoded form", inside("ue-out", "e-ctype", `.startsWith('application/x-www-form-urlencoded')`))
	p.check("the form's field", inside("ue-out", "e-a", `=== 'urlencoded'`))

	for _, v := range []string{"put", "patch", "delete"} {
		p.click("v-" + v)
	}
	for _, v := range []string{"put", "patch", "delete"} {
		p.settled("v-" + v)
		p.check("sx-"+v, qaInner("v-"+v+"-out")+` === '<span class="hit">`+strings.ToUpper(v)+`</span>'`)
	}
}

func TestBrowserQAConfirmIndicatorOn(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/")

	// sx-confirm asks window.confirm with the message; No sends nothing.
	p.do(`window.__answers = [false, true]; window.__asked = [];
		window.confirm = (m) => (window.__asked.push(m), window.__answers.shift())`)
	p.click("cf")
	p.check("declined: nothing sent", `__qa.sent('label=cf') === 0 && __asked.length === 1 && __asked[0] === 'Really do it?'`)
	p.click("cf")
	p.check("accepted: sent", `__qa.sent('label=cf') === 1 && __asked.length === 2`)
	p.until("confirmed request swapped", qaInner("cf-out")+` !== ''`)

	// sx-indicator and sx-disabled-elt hold while the request is out and
	// are undone afterwards.
	p.do(`__qa.onFetch = () => { window.__during = {
		spin: document.getElementById('spinner').classList.contains('sx-request'),
		dis: document.getElementById('ind-dis').disabled,
		self: document.getElementById('ind').classList.contains('sx-request') } }`)
	p.click("ind")
	p.check("during the request", `__during.spin && __during.dis && !__during.self`)
	p.settled("ind")
	p.check("after the request", `!document.getElementById('spinner').classList.contains('sx-request') && !document.getElementById('ind-dis').disabled`)
	p.do(`__qa.onFetch = () => { window.__during = {
		self: document.getElementById('ind-self').classList.contains('sx-request'),
		dis: document.getElementById('ind-self').disabled } }`)
	p.click("ind-self")
	p.check("without sx-indicator the element itself; sx-disabled-elt this", `__during.self && __during.dis`)
	p.settled("ind-self")
	p.check("undone", `!document.getElementById('ind-self').classList.contains('sx-request') && !document.getElementById('ind-self').disabled`)

	// sx-on:<event> runs an SX body with this bound to the element; short
	// lifecycle names mean the sx: events.
	p.do(`SX.evaluate('(define qa-swaps 0) (define qa-settles 0) (define qa-this nil)')`)
	p.click("on")
	p.check("sx-on:click ran with this", `SX.evaluate('qa-this') === document.getElementById('on')`)
	p.settled("on")
	p.check("sx-on:afterSwap (camelCase) and sx-on:after-settle (kebab-case) ran once each", `SX.evaluate('qa-swaps') === 1 && SX.evaluate('qa-settles') === 1`)

	// A rendering error in a text/sx answer: a visible box naming the component.
	p.click("br")
	p.until("render error box", `document.querySelector('#br-out .sx-render-error')`)
	p.check("the box names the component and the error", `(t => t.includes('~boom') && t.includes('deliberate failure 7'))(document.querySelector('#br-out .sx-render-error').textContent)`)
}

func TestBrowserQAResponseHeaders(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/")
	// SX-Refresh reloads the page.
	p.do(`window.__same = 1`)
	p.click("r-refresh")
	p.until("SX-Refresh", `window.__same === undefined && document.documentElement.dataset.sxReady === 'true'`)

	p.do(`for (const n of ['qa-a', 'qa-b', 'qa-c', 'qa-d']) document.addEventListener(n, (e) => __qa.ev.push(n + ' ' + e.target.id + ' ' + JSON.stringify(e.detail)))`)
	p.click("r-trig")
	p.settled("r-trig")
	p.until("after-settle events", `__qa.has('qa-d r-trig {}')`)
	p.check("SX-Trigger, -After-Swap, -After-Settle in order", `(function () {
		const want = ['beforeRequest r-trig', 'afterRequest r-trig', 'qa-a r-trig {"n":1}', 'beforeSwap r-trig', 'afterSwap r-trig', 'qa-b r-trig {}', 'afterSettle r-trig', 'qa-c r-trig {}', 'qa-d r-trig {}'];
		const got = __qa.ev.filter((e) => e.includes(' r-trig'));
		return JSON.stringify(got) === JSON.stringify(want);
	})()`)

	p.click("r-retarget")
	p.settled("r-retarget")
	p.check("SX-Retarget", `document.querySelector('#r-other #hit-retarget') && !document.querySelector('#r-out #hit-retarget')`)
	p.click("r-reswap")
	p.settled("r-reswap")
	p.check("SX-Reswap", qaInner("r-keep")+` === '<b>kept</b><span class="hit" id="hit-reswap">reswap</span><em class="extra">extra reswap</em>'`)
	p.click("r-reselect")
	p.settled("r-reselect")
	p.check("SX-Reselect", qaInner("r-sel")+` === '<em class="extra">extra reselect</em>'`)

	// sx-push-url and sx-replace-url on the element: the request's URL or
	// the one given.
	p.do(`window.__len = history.length`)
	p.click("a-push")
	p.settled("a-push")
	p.check("sx-push-url true", `location.pathname + location.search === '/hit?label=apush' && history.length === __len + 1`)
	p.click("a-push-path")
	p.settled("a-push-path")
	p.check("sx-push-url with a path", `location.pathname === '/elsewhere' && history.length === __len + 2`)
	p.click("a-replace")
	p.settled("a-replace")
	p.check("sx-replace-url true", `location.pathname + location.search === '/hit?label=areplace' && history.length === __len + 2`)

	p.do(`window.__len = history.length`)
	p.click("r-push")
	p.settled("r-push")
	p.check("SX-Push-Url", `location.pathname === '/pushed' && history.length === __len + 1`)
	p.click("r-replace")
	p.settled("r-replace")
	p.check("SX-Replace-Url", `location.pathname === '/replaced' && history.length === __len + 1`)

	// SX-Location: a client-side navigation into the main region, no page load.
	p.do(`window.__same = 2`)
	p.click("r-location")
	p.until("SX-Location", `location.pathname === '/landed' && document.querySelector('#sx-root #landed') && window.__same === 2`)
	p.check("SX-Location pushes the URL and hoists title, meta and canonical into <head>", `document.title === 'Landed' &&
		document.head.querySelector('meta[name=description]').content === 'where we landed' &&
		document.head.querySelector('link[rel=canonical]').href === 'https://qa.example/landed' &&
		!document.querySelector('#sx-root title, #sx-root meta, #sx-root link')`)
}

func TestBrowserQARedirects(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/")
	p.click("r-redirect")
	p.until("SX-Redirect from a route's header", `location.pathname === '/landed' && document.getElementById('landed')`)
	if err := chromedp.Do(p.tab, chromedp.Navigate(p.url+"/")); err != nil {
		t.Fatal(err)
	}
	p.until("back home", `document.documentElement.dataset.sxReady === 'true' && location.pathname === '/'`)
	p.click("r-page-redirect")
	p.until("(redirect …) in a page answers SX-Redirect", `location.pathname === '/landed' && document.getElementById('landed')`)
}

func TestBrowserQAEventsAndErrors(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/")
	p.do(`document.addEventListener('sx:beforeRequest', (e) => { if (e.detail.elt.id === 'ev-cancel-req') e.preventDefault(); });
		document.addEventListener('sx:beforeSwap', (e) => { if (e.detail.elt.id === 'ev-cancel-swap') e.preventDefault(); })`)
	p.click("ev-cancel-req")
	p.check("cancelled sx:beforeRequest: nothing sent", `__qa.has('beforeRequest ev-cancel-req') && __qa.sent('label=cancelreq') === 0`)
	p.click("ev-cancel-swap")
	p.until("cancelled sx:beforeSwap", `__qa.has('beforeSwap ev-cancel-swap')`)
	p.check("nothing swapped", qaInner("ev-out")+` === '<b>untouched</b>' && !__qa.has('afterSwap ev-cancel-swap')`)
	p.click("ev-ok")
	p.settled("ev-ok")
	p.check("the whole cycle in order, sx:load on the new content", `JSON.stringify(__qa.ev.filter((e) => e.endsWith(' ev-ok') || e === 'load hit-evok')) ===
		JSON.stringify(['beforeRequest ev-ok', 'afterRequest ev-ok', 'beforeSwap ev-ok', 'load hit-evok', 'afterSwap ev-ok', 'afterSettle ev-ok'])`)

	// A refused request: the page stays, the element is marked, the
	// message goes where the author asked, or to the console.
	p.click("er-shown")
	p.until("sx:responseError", `__qa.has('responseError er-shown')`)
	p.check("the error target shows the server's message", `document.getElementById('er-msg').textContent === 'the name is missing'`)
	p.check("marked .sx-error, page intact", `document.getElementById('er-shown').classList.contains('sx-error') && `+qaInner("er-out")+` === '<b>intact</b>'`)
	p.click("er-logged")
	p.until("logged to the console", `__qa.has('responseError er-logged') && __qa.errors.some((e) => e.includes('422') && e.includes('the name is missing'))`)
	p.check("the console case leaves the error target alone", `document.getElementById('er-msg').textContent === 'the name is missing'`)
	// The next success clears the mark.
	p.do(`document.getElementById('er-shown').setAttribute('sx-get', '/hit?label=recovered')`)
	p.click("er-shown")
	p.until("recovered", `document.querySelector('#er-out #hit-recovered')`)
	p.check(".sx-error removed", `!document.getElementById('er-shown').classList.contains('sx-error')`)

	// A request that cannot be sent (the CSP refuses another origin).
	p.click("er-send")
	p.until("sx:sendError", `__qa.has('sendError er-send')`)
	p.check("send error marks the element, page intact", `document.getElementById('er-send').classList.contains('sx-error') && document.querySelector('#er-out #hit-recovered')`)

	// sx-timeout (a bare number is milliseconds, as in htmx): a slow
	// answer past it aborts the request with sx:timeout; within it, it swaps.
	p.click("er-timeout")
	p.until("sx:timeout", `__qa.has('timeout er-timeout') || __qa.has('sendError er-timeout') || __qa.has('afterRequest er-timeout')`)
	p.check("timed out, not a send error, page intact", `__qa.has('timeout er-timeout') && !__qa.has('sendError er-timeout') && !__qa.has('afterRequest er-timeout') &&
		document.getElementById('er-timeout').classList.contains('sx-error') && document.querySelector('#er-out #hit-recovered')`)
	p.click("er-in-time")
	p.settled("er-in-time")
	p.check("a request within its timeout swaps", `document.querySelector('#er-out #hit-slow')`)
}

func TestBrowserQAMountErrorBox(t *testing.T) {
	t.Parallel()
	p := openQA(t, "/mount-error")
	p.check("a mount that fails shows a box naming the component", `(t => t.includes('~boom') && t.includes('deliberate failure 8'))(document.querySelector('#m .sx-render-error').textContent)`)
	p.check("the box is visible", `document.querySelector('#m .sx-render-error').getBoundingClientRect().height > 0`)
}

// qaJSString quotes s as a JavaScript string literal.
func qaJSString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
