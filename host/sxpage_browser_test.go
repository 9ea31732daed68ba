//go:build linux

package host_test

import (
	"testing"

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
