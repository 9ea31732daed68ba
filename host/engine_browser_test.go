//go:build linux

package host_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

const engineService = `
(defservice engine)
(defcomp ~item (&key n) (li :class "item" (str "item " n)))
(defpage home :path "/" :content
  (div
    (button :id "load" :sx-get "/list" :sx-target "#list" "Load")
    (ul :id "list")
    (div :id "status" "old status")
    (form :id "f" :sx-post "/echo" :sx-target "#echo"
      (input :type "hidden" :name "csrf_token" :value (csrf-token))
      (input :name "word" :value "hello")
      (button :id "send" :type "submit" "Send"))
    (div :id "echo")
    (button :id "bad" :sx-get "/broken" :sx-target "#list" "Bad")))
(defpage items :path "/list" :content
  (<> (~item :n 1) (~item :n 2) (div :id "status" :sx-swap-oob "true" "new status")))
(defroute echo :path "/echo" :method :post (&key word) (html (p (str "you said " word))))
(defpage broken :path "/broken" :content (error "boom"))
`

// The engine in real Chromium: sx-get with sx-target swaps a text/sx answer
// rendered by the client (components from the bundle) and applies an
// sx-swap-oob part; a form posts with the CSRF token from the meta; a
// failing request leaves the page as it was and marks the element.
func TestBrowserEngineCore(t *testing.T) {
	t.Parallel()
	tab := browsertest.New(t)
	s, _, _ := startService(t, engineService, host.Options{})
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatal(err)
	}
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
			html, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.innerHTML`))
			t.Fatalf("%s: %v\n%s", what, err, html)
		}
	}
	until("runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	until("click sx-get", `(document.getElementById('load').click(), true)`)
	until("list swapped in", `document.querySelectorAll('#list li.item').length === 2 && document.querySelector('#list li').textContent === 'item 1'`)
	until("oob status", `document.getElementById('status').textContent === 'new status'`)
	until("submit the form", `(document.getElementById('send').click(), true)`)
	until("form posted with CSRF", `document.querySelector('#echo p') && document.querySelector('#echo p').textContent === 'you said hello'`)
	until("click the failing button", `(document.getElementById('bad').click(), true)`)
	until("marked as failed", `document.getElementById('bad').classList.contains('sx-error')`)
	until("page intact", `document.querySelectorAll('#list li.item').length === 2 && location.pathname === '/'`)
}
