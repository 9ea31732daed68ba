//go:build linux

package host_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

const boostService = `
(defservice boost :title "Boost")
(defcomp ~nav () (nav :sx-boost "true" (a :id "to-a" :href "/a" "A") (a :id "to-b" :href "/b" "B")))
(defpage a :path "/a" :title "Page A" :content
  (<> (~nav) (h1 :id "h" "This is A")
      (div :sx-boost "true" (div :sx-ignore "true" (a :id "ignored" :href "/c" "C, not boosted")))))
(defpage b :path "/b" :title "Page B" :content (<> (~nav) (h1 :id "h" "This is B")))
(defpage c :path "/c" :title "Page C" :content
  (<> (~nav)
      (h1 :id "h" "This is C")
      (div :sx-boost "true"
        (form :method "post" :action "/add"
          (input :type "hidden" :name "csrf_token" :value (csrf-token))
          (button :id "send" :type "submit" "Send")))))
(defroute add :path "/add" :method :post () (redirect "/b"))
`

// sx-boost in real Chromium: a link inside swaps only #sx-root with the
// page's text/sx answer, pushes the URL, hoists the title, and Back brings
// the previous page back.
func TestBrowserBoostedNavigation(t *testing.T) {
	t.Parallel()
	until := boostPage(t, "/a")
	until("mark the document", `(window.__same = 1, document.getElementById('to-b').click(), true)`)
	until("B swapped in without a page load", `document.getElementById('h').textContent === 'This is B' && window.__same === 1`)
	until("URL pushed and title hoisted", `location.pathname === '/b' && document.title === 'Page B' && document.querySelectorAll('#sx-root title').length === 0`)
	until("back", `(history.back(), true)`)
	until("A again after Back", `location.pathname === '/a' && document.getElementById('h').textContent === 'This is A'`)
}

// Boosted links are handled by one listener on the document, not bound
// one by one: a link that a swap brought, or that a script added without
// the engine seeing it, is boosted too; one inside sx-ignore is not.
func TestBrowserBoostDelegated(t *testing.T) {
	t.Parallel()
	until := boostPage(t, "/a")
	until("go to B", `(window.__same = 1, document.getElementById('to-b').click(), true)`)
	until("B swapped in", `document.getElementById('h').textContent === 'This is B' && window.__same === 1`)
	until("the swapped-in link to A", `(document.getElementById('to-a').click(), true)`)
	until("A swapped in by a link the swap brought", `document.getElementById('h').textContent === 'This is A' && window.__same === 1 && location.pathname === '/a'`)
	until("a link added by a script", `(() => { const a = document.createElement('a'); a.id = 'late'; a.href = '/b'; a.textContent = 'late';
		document.querySelector('nav').append(a); a.click(); return true; })()`)
	until("B swapped in by it", `document.getElementById('h').textContent === 'This is B' && window.__same === 1 && location.pathname === '/b'`)
	until("back to A", `(history.back(), true)`)
	until("A again", `location.pathname === '/a' && document.getElementById('h').textContent === 'This is A'`)
	until("the link inside sx-ignore", `(document.getElementById('ignored').click(), true)`)
	until("C by a full page load", `location.pathname === '/c' && document.getElementById('h').textContent === 'This is C' && window.__same === undefined`)
}

// A boosted form whose POST the server answers with a redirect (303): the
// fetch follows it, the page it lands on is swapped in, and the address bar
// shows that page's URL, as it would without JavaScript (not the page the
// form was on, nor its action); Back returns to the form's page.
func TestBrowserBoostedFormRedirect(t *testing.T) {
	t.Parallel()
	until := boostPage(t, "/c")
	until("post the form", `(window.__same = 1, document.getElementById('send').click(), true)`)
	until("B swapped in without a page load", `document.getElementById('h').textContent === 'This is B' && window.__same === 1 && document.title === 'Page B'`)
	until("the redirect's URL in the address bar", `location.pathname === '/b'`)
	until("back", `(history.back(), true)`)
	until("C again after Back", `location.pathname === '/c' && document.getElementById('h').textContent === 'This is C'`)
}

// boostPage opens path of a fresh boostService in a new tab and waits for
// the runtime; it returns boostUntil's check for that tab.
func boostPage(t *testing.T, path string) func(what, cond string) {
	tab := browsertest.New(t)
	s, _, _ := startService(t, boostService, host.Options{})
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+path)); err != nil {
		t.Fatal(err)
	}
	until := boostUntil(tab, t)
	until("runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	return until
}

// boostUntil returns a check that waits (5 s) until the JavaScript
// condition cond holds in tab, failing t with the page's HTML if it never
// does.
func boostUntil(tab context.Context, t *testing.T) func(what, cond string) {
	return func(what, cond string) {
		t.Helper()
		var ok bool
		var err error
		// Back reloads the page (popstate), which ends a pending evaluation,
		// and the condition may meet a half-parsed document: an exception
		// counts as "not yet", and an ended evaluation is asked again in the
		// new document.
		for try := 0; try < 5 && !ok; try++ {
			ok, err = chromedp.Run(tab, chromedp.Evaluate[bool](`new Promise((done) => {
				const t0 = Date.now();
				(function poll() {
					let met = false;
					try { met = (`+cond+`); } catch (e) {}
					if (met) done(true);
					else if (Date.now() - t0 > 5000) done(false);
					else setTimeout(poll, 30);
				})();
			})`, chromedp.EvalAwaitPromise))
		}
		if err != nil || !ok {
			html, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
			t.Fatalf("%s: %v\n%s", what, err, html)
		}
	}
}
