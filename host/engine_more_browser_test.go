//go:build linux

package host_test

import (
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// moreService exercises the engine features of issue 12 beyond the core:
// morph, sx-preserve, sx-ignore, the history cache, sx-sync, sx-retry,
// sx-timeout, sx-preload, sx-optimistic, sx-validate, sx-include,
// sx-params, sx-prompt, sx-select-oob and the swap modifiers.
const moreService = `(defservice more :title "More")
(defcomp ~nav () (nav :sx-boost "true" (a :id "to-a" :href "/a" "A") (a :id "to-b" :href "/b" "B")))
(defpage a :path "/a" :title "Page A" :content
  (<> (~nav) (h1 :id "h" "This is A")
      (span :id "restored" (or (request-header "SX-History-Restore-Request") "no"))
      (div :style "height:5000px" "tall")))
(defpage b :path "/b" :title "Page B" :content (<> (~nav) (h1 :id "h" "This is B") (div :style "height:5000px" "tall")))
(defroute hit :path "/hit" (&key label) (html (span :class "hit" label)))
(defroute echo :path "/echo" (&key a b c)
  (html (span :id "echoed" (str "a=" a ";b=" b ";c=" c ";prompt=" (request-header "SX-Prompt")))))
(defroute morphed :path "/morphed" ()
  (html (<> (label :id "ml" "Name") (input :id "mi" :name "q" :value "server" :class "morphed") (p :id "mp" "count 1"))))
(defroute kept :path "/kept" ()
  (html (<> (div :id "keep" :sx-preserve "true" "from the server") (span :id "pspan" "new"))))
(defroute parts :path "/parts" ()
  (html (<> (p :id "main-part" "main") (div :id "side" "side new") (p :id "other" "not picked"))))
(defroute fail :path "/fail" () (abort 500 "it broke"))
(defroute unavailable :path "/unavailable" () (abort 503 "try later"))
(defpage home :path "/" :content
  (div :id "page"
    (form :id "csrf-form" (input :type "hidden" :name "csrf_token" :value (csrf-token)))
    (div :id "mbox" (label :id "ml" "Name") (input :id "mi" :name "q" :value "server") (p :id "mp" "count 0"))
    (button :id "mbtn" :sx-get "/morphed" :sx-target "#mbox" :sx-swap "morph" "morph")
    (div :id "pwrap" (div :id "keep" :sx-preserve "true" "server keep") (span :id "pspan" "old"))
    (button :id "pbtn" :sx-get "/kept" :sx-target "#pwrap" "preserve")
    (div :sx-ignore "true" (button :id "ign" :sx-get "/hit?label=ign" :sx-target "#out" "ignored"))
    (div :id "out")
    (div :id "fail-box" (span :id "fail-kept" "as it was"))
    (button :id "fail" :sx-get "/fail" :sx-target "#fail-box" :sx-error-target "#fail-msg" "fail")
    (div :id "fail-msg")
    (template :id "opt-tpl" (li :class "preview" "saving…"))
    (ul :id "olist" (li "first"))
    (button :id "opt" :sx-post "/fail" :sx-target "#olist" :sx-swap "beforeend" :sx-optimistic "#opt-tpl" "add")
    (button :id "opt-ok" :sx-get "/hit?label=real" :sx-target "#olist" :sx-optimistic "(li :class \"preview\" \"sx preview\")" "replace")
    (button :id "sy-drop" :sx-get "/hit?label=drop" :sx-target "#out" :sx-swap "beforeend" :sx-sync "this:drop" "drop")
    (button :id "sy-replace" :sx-get "/hit?label=replace" :sx-target "#out" :sx-swap "beforeend" :sx-sync "replace" "replace")
    (div :id "sy-form"
      (button :id "sy-abort" :sx-get "/hit?label=hang-abort" :sx-target "#out" :sx-sync "closest div:abort" "abort")
      (button :id "sy-other" :sx-get "/hit?label=other" :sx-target "#out" :sx-swap "beforeend" :sx-sync "closest div:drop" "other"))
    (button :id "sy-all" :sx-get "/hit?label=qall" :sx-target "#out" :sx-swap "beforeend" :sx-sync "queue all" "all")
    (button :id "sy-first" :sx-get "/hit?label=qfirst" :sx-target "#out" :sx-swap "beforeend" :sx-sync "queue first" "first")
    (button :id "sy-last" :sx-get "/hit?label=qlast" :sx-target "#out" :sx-swap "beforeend" :sx-sync "this:queue last" "last")
    (button :id "tq-none" :sx-get "/hit?label=qnone" :sx-target "#out" :sx-swap "beforeend" :sx-trigger "click queue:none" "none")
    (button :id "retry" :sx-get "/hit?label=retried" :sx-target "#retry-out" :sx-retry "2 backoff:10ms" "retry")
    (div :id "retry-out")
    (button :id "retry-5xx" :sx-get "/unavailable" :sx-target "#retry-out" :sx-retry "2 backoff:10ms" "503")
    (button :id "retry-post" :sx-post "/unavailable" :sx-target "#retry-out" :sx-retry "2 backoff:10ms" "post 503")
    (button :id "slow" :sx-get "/hit?label=hang-timeout" :sx-target "#out" :sx-timeout "100ms" "slow")
    (a :id "pl" :href "/hit?label=pre" :sx-get "/hit?label=preloaded" :sx-target "#pl-out" :sx-preload "true" "preload")
    (div :id "pl-out")
    (form :id "vf" :sx-get "/hit?label=valid" :sx-target "#vf-out"
      (input :id "vf-email" :name "email" :type "email" :required true))
    (div :id "vf-out")
    (input :id "inc-b" :name "b" :value "B")
    (button :id "inc" :sx-get "/echo" :sx-target "#echo-out" :sx-include "#inc-b" :sx-vals "{\"a\":\"A\",\"c\":\"C\"}" :sx-params "not c" "include")
    (button :id "par-none" :sx-get "/echo" :sx-target "#echo-out" :sx-vals "{\"a\":\"A\"}" :sx-params "none" "none")
    (button :id "par-only" :sx-get "/echo" :sx-target "#echo-out" :sx-include "#inc-b" :sx-vals "{\"a\":\"A\",\"c\":\"C\"}" :sx-params "a, c" "only")
    (button :id "prompt" :sx-get "/echo" :sx-target "#echo-out" :sx-prompt "Your name?" "prompt")
    (div :id "echo-out")
    (div :id "side" "side old")
    (button :id "sel" :sx-get "/parts" :sx-target "#sel-out" :sx-select "#main-part" :sx-select-oob "#side" "select")
    (div :id "sel-out")
    (div :id "scr" :style "height:40px;overflow:auto" (div :style "height:400px" "scroll me"))
    (button :id "scroll" :sx-get "/hit?label=scrolled" :sx-target "#scr" :sx-swap "beforeend scroll:bottom settle:50ms" "scroll")
    (button :id "trans" :sx-get "/hit?label=transition" :sx-target "#out" :sx-swap "innerHTML transition:true swap:30ms" "transition")
    (div :style "height:3000px" "spacer")
    (div :id "far" "far away")
    (button :id "show" :sx-get "/hit?label=shown" :sx-target "#far" :sx-swap "innerHTML show:top" "show")
    (div :style "height:3000px" "spacer")))
`

// hangFetch makes the page's fetches of URLs containing "hang" wait until
// they are aborted, so a request can be in flight as long as a test needs.
const hangFetch = `(function () {
	const f = window.fetch;
	window.fetch = function (u, o) {
		if (!String(u).includes('hang')) return f.apply(this, arguments);
		__qa.fetches.push(((o && o.method) || 'GET') + ' ' + u);
		return new Promise((_, rej) => o.signal.addEventListener('abort', () => rej(new DOMException('aborted', 'AbortError'))));
	};
})()`

func openMore(t *testing.T, path string) *qaPage {
	t.Helper()
	tab := browsertest.New(t)
	s, _, _ := startService(t, moreService, host.Options{})
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

// Back and Forward after boosted navigation restore the cached page with
// its scroll position and title, without a page load; a cache miss asks
// the server with SX-History-Restore-Request.
func TestBrowserEngineHistory(t *testing.T) {
	t.Parallel()
	p := openMore(t, "/a")
	p.do(`window.__same = 1; window.scrollTo(0, 1500); document.addEventListener('sx:historyRestore', (e) => { window.__restored = (window.__restored || 0) + 1; window.__miss = e.detail.cacheMiss; })`)
	p.until("scrolled", `window.scrollY === 1500`)
	p.click("to-b")
	p.until("B swapped in", `document.getElementById('h').textContent === 'This is B' && location.pathname === '/b' && document.title === 'Page B'`)
	p.check("no page load, top of the page, focus on the main content", `window.__same === 1 && window.scrollY === 0 && document.activeElement && document.activeElement.id === 'sx-root'`)
	p.do(`history.back()`)
	p.until("A restored from the cache", `location.pathname === '/a' && document.getElementById('h').textContent === 'This is A' && window.__restored === 1`)
	p.check("no page load, no request, scroll and title restored", `window.__same === 1 && window.__miss === false && __qa.sent('/a') === 0 && window.scrollY === 1500 && document.title === 'Page A'`)
	p.check("the restored page's links are live", `(document.getElementById('to-b').click(), true)`)
	p.until("B again by a boosted click", `location.pathname === '/b' && document.getElementById('h').textContent === 'This is B' && window.__same === 1`)
	p.do(`history.back()`)
	p.until("A again", `location.pathname === '/a' && window.__restored === 2`)
	p.do(`history.forward()`)
	p.until("Forward restores B", `location.pathname === '/b' && document.getElementById('h').textContent === 'This is B' && window.__restored === 3`)
	p.check("still the same document", `window.__same === 1`)
	// A miss (the cache is gone): the server is asked for the page.
	p.do(`sessionStorage.removeItem('sx-history'); history.back()`)
	p.until("A fetched on a miss", `location.pathname === '/a' && document.getElementById('restored') && document.getElementById('restored').textContent === 'true'`)
	p.until("the miss is reported, no page load", `window.__miss === true && window.__same === 1 && __qa.sent('/a') === 1`)
}

// morph keeps the focused input (node, value typed, selection) while its
// attributes and the text around it change; sx-preserve keeps an element
// across a swap; sx-ignore leaves a subtree unprocessed.
func TestBrowserEngineMorphPreserveIgnore(t *testing.T) {
	t.Parallel()
	p := openMore(t, "/")
	p.do(`const i = document.getElementById('mi'); window.__mi = i; i.focus(); i.value = 'typed'; i.setSelectionRange(1, 3);
		SX.engine.issue(document.getElementById('mbtn'), 'test')`)
	p.until("morphed", `document.getElementById('mp').textContent === 'count 1'`)
	p.check("same input node, focus, value and selection kept, attributes updated",
		`document.getElementById('mi') === window.__mi && document.activeElement === window.__mi && window.__mi.value === 'typed' &&
		 window.__mi.selectionStart === 1 && window.__mi.selectionEnd === 3 && window.__mi.classList.contains('morphed') && document.querySelectorAll('#mbox input').length === 1`)

	p.do(`const k = document.getElementById('keep'); window.__keep = k; k.textContent = 'changed here'`)
	p.click("pbtn")
	p.until("preserve swap done", `document.getElementById('pspan').textContent === 'new'`)
	p.check("the preserved element is the same node, as it was", `document.getElementById('keep') === window.__keep && window.__keep.textContent === 'changed here' && window.__keep.parentNode.id === 'pwrap'`)

	p.click("ign")
	p.do(`SX.engine.process(document.body)`)
	p.click("ign")
	p.check("an sx-ignore subtree sends nothing", `__qa.sent('label=ign') === 0`)
}

// A failed request leaves the page as it was, marks the element .sx-error
// and shows the server's message where sx-error-target says; an optimistic
// preview is taken back; sx-retry tries idempotent requests again.
func TestBrowserEngineFailuresOptimisticRetry(t *testing.T) {
	t.Parallel()
	p := openMore(t, "/")
	p.click("fail")
	p.until("marked failed", `document.getElementById('fail').classList.contains('sx-error')`)
	p.check("page intact, message shown", `document.getElementById('fail-box').innerHTML === '<span id="fail-kept">as it was</span>' && document.getElementById('fail-msg').textContent.includes('it broke')`)

	p.do(`__qa.onFetch = () => { window.__during = document.getElementById('olist').innerHTML; }`)
	p.click("opt")
	p.until("optimistic request failed", `document.getElementById('opt').classList.contains('sx-error')`)
	p.check("the preview was shown while the request ran, then taken back",
		`window.__during === '<li>first</li><li class="preview">saving…</li>' && document.getElementById('olist').innerHTML === '<li>first</li>'`)
	p.click("opt-ok")
	p.until("optimistic SX preview replaced by the answer", `document.getElementById('olist').innerHTML === '<span class="hit">real</span>'`)
	p.check("the SX preview was shown", `window.__during === '<li class="preview">sx preview</li>'`)

	// A network error twice, then the answer: three tries.
	p.do(`let n = 0; __qa.onFetch = (u) => { if (String(u).includes('retried') && n++ < 2) throw new TypeError('network down'); }`)
	p.click("retry")
	p.until("retried until it worked", `document.getElementById('retry-out').textContent === 'retried'`)
	p.check("three tries, no error mark", `__qa.sent('retried') === 3 && !document.getElementById('retry').classList.contains('sx-error')`)
	p.do(`__qa.onFetch = null`)
	p.click("retry-5xx")
	p.until("a 503 is tried 1+2 times, then fails", `document.getElementById('retry-5xx').classList.contains('sx-error')`)
	p.check("three GETs of /unavailable", `__qa.sent('GET') && __qa.fetches.filter((f) => f === 'GET ' + location.origin + '/unavailable').length === 3`)
	p.click("retry-post")
	p.until("a POST is not retried", `document.getElementById('retry-post').classList.contains('sx-error')`)
	p.check("one POST", `__qa.fetches.filter((f) => f.startsWith('POST') && f.includes('/unavailable')).length === 1`)

	// sx-timeout: the request is aborted, sx:timeout fired, element marked.
	p.do(hangFetch + `; document.addEventListener('sx:timeout', () => { window.__timeout = true; })`)
	p.click("slow")
	p.until("timed out", `window.__timeout === true && document.getElementById('slow').classList.contains('sx-error')`)
}

// sx-sync strategies and the trigger's queue: modifier; requests fired in
// the same task meet the first one in flight.
func TestBrowserEngineSync(t *testing.T) {
	t.Parallel()
	p := openMore(t, "/")
	issue := func(id string, n int) {
		p.do(`for (let i = 0; i < ` + string(rune('0'+n)) + `; i++) SX.engine.issue(document.getElementById('` + id + `'), 'test')`)
	}
	issue("sy-drop", 3)
	p.check("drop: one request", `__qa.sent('label=drop') === 1`)
	// Its answer first: the replace requests below are another element's,
	// not ordered after it, and the order of #out is checked.
	p.until("drop: answered", `document.querySelectorAll('#out .hit').length === 1`)
	issue("sy-replace", 2)
	p.check("replace: both sent", `__qa.sent('label=replace') === 2`)
	p.until("replace: only the last one swapped", `document.querySelectorAll('#out .hit').length === 2`)
	p.check("replace: the first was aborted", `Array.from(document.querySelectorAll('#out .hit')).map((e) => e.textContent).join() === 'drop,replace'`)
	issue("sy-all", 3)
	p.until("queue all: three in turn", `__qa.sent('label=qall') === 3 && document.querySelectorAll('#out .hit').length === 5`)
	issue("sy-first", 3)
	p.until("queue first: the first queued one runs", `__qa.sent('label=qfirst') === 2 && document.querySelectorAll('#out .hit').length === 7`)
	issue("sy-last", 3)
	p.until("queue last: the last queued one runs", `__qa.sent('label=qlast') === 2 && document.querySelectorAll('#out .hit').length === 9`)
	p.do(`document.getElementById('tq-none').click(); document.getElementById('tq-none').click()`)
	p.check("trigger queue:none drops the second", `__qa.sent('label=qnone') === 1`)
	// Its answer lands in #out too; wait for it, or it may follow "other".
	p.until("queue none: answered", `document.querySelectorAll('#out .hit').length === 10`)

	p.do(hangFetch)
	p.click("sy-abort")
	p.click("sy-other")
	p.check("abort: the running one is aborted, the other sent", `__qa.sent('hang-abort') === 1 && __qa.sent('label=other') === 1`)
	p.until("abort: the other answered", `document.querySelector('#out').textContent.endsWith('other')`)
	p.check("an aborted request is no error", `!document.getElementById('sy-abort').classList.contains('sx-error')`)
}

// sx-preload, sx-validate, sx-include/sx-params, sx-prompt, sx-select-oob
// and the swap modifiers.
func TestBrowserEngineRequestOptions(t *testing.T) {
	t.Parallel()
	p := openMore(t, "/")
	p.do(`document.getElementById('pl').dispatchEvent(new MouseEvent('mouseenter'))`)
	p.check("preload: fetched on hover", `__qa.sent('label=preloaded') === 1`)
	p.click("pl")
	p.until("preload: the click uses the preloaded answer", `document.getElementById('pl-out').textContent === 'preloaded'`)
	p.check("preload: no second request", `__qa.sent('label=preloaded') === 1 && location.pathname === '/'`)

	p.do(`SX.engine.issue(document.getElementById('vf'), 'test')`)
	p.check("validate: an invalid form sends nothing", `__qa.sent('label=valid') === 0`)
	p.do(`document.getElementById('vf-email').value = 'a@b.example'; SX.engine.issue(document.getElementById('vf'), 'test')`)
	p.until("validate: a valid form is sent", `document.getElementById('vf-out').textContent === 'valid'`)

	p.click("inc")
	p.until("include + params not c", `document.getElementById('echoed').textContent === 'a=A;b=B;c=;prompt='`)
	p.click("par-none")
	p.until("params none", `document.getElementById('echoed').textContent === 'a=;b=;c=;prompt='`)
	p.click("par-only")
	p.until("params a, c", `document.getElementById('echoed').textContent === 'a=A;b=;c=C;prompt='`)
	p.do(`window.prompt = () => null`)
	p.click("prompt")
	p.check("prompt cancelled: nothing sent", `__qa.sent('/echo') === 3`)
	p.do(`window.prompt = (m) => m === 'Your name?' ? 'Ada' : 'wrong'`)
	p.click("prompt")
	p.until("prompt answer in SX-Prompt", `document.getElementById('echoed').textContent === 'a=;b=;c=;prompt=Ada'`)

	p.click("sel")
	p.until("select + select-oob", `document.getElementById('sel-out').innerHTML === '<p id="main-part">main</p>' && document.getElementById('side').textContent === 'side new'`)
	p.check("the rest of the answer is dropped", `!document.getElementById('other')`)

	p.click("scroll")
	p.until("scroll:bottom", `document.querySelector('#scr .hit') && document.getElementById('scr').scrollTop > 300`)
	p.click("trans")
	p.until("transition + swap delay swapped", `document.getElementById('out').textContent === 'transition'`)
	p.do(`window.scrollTo(0, 0)`)
	p.click("show")
	p.until("show:top scrolled the target into view", `document.getElementById('far').textContent === 'shown' && Math.abs(document.getElementById('far').getBoundingClientRect().top) < 5`)
}
