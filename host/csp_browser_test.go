//go:build linux

package host_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// Finding 11, in a real browser: under the page's policy a script carrying
// (csp-nonce) runs and an injected one without it does not.
func TestBrowserRunsOnlyNoncedScripts(t *testing.T) {
	t.Parallel()
	tab := browsertest.New(t)
	s, _, _ := startService(t, headerService, host.Options{})
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatalf("opening the page: %v", err)
	}
	type scripts struct{ Allowed, Injected any }
	ran, err := chromedp.Run(tab, chromedp.Evaluate[scripts](`({Allowed: window.__allowed === undefined ? null : window.__allowed,
		Injected: window.__injected === undefined ? null : window.__injected})`))
	if err != nil {
		t.Fatal(err)
	}
	if ran.Allowed != 1.0 || ran.Injected != nil {
		t.Errorf("scripts that ran: %+v, want only the nonced one", ran)
	}
}
