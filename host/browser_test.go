//go:build linux

package host_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// pageState is what the browser shows of a page of the browser test.
type pageState struct {
	Text   *string // #v's text
	Marker any     // window.__marker
	Banner *string // #sx-dev-error's text
	Polls  int     // finished requests to /__sx/reload
	URL    string
	Ready  bool // the document has loaded (a page being parsed shows half its elements)
}

func (s pageState) String() string {
	str := func(p *string) string {
		if p == nil {
			return "none"
		}
		return fmt.Sprintf("%q", *p)
	}
	return fmt.Sprintf("%s: text %s, marker %v, banner %s, %d reload polls", s.URL, str(s.Text), s.Marker, str(s.Banner), s.Polls)
}

const readPageState = `(function () {
var v = document.getElementById("v"), banner = document.getElementById("sx-dev-error");
return {
	URL: location.href,
	Ready: document.readyState === "complete",
	Text: v ? v.textContent : null,
	Marker: window.__marker === undefined ? null : window.__marker,
	Banner: banner ? banner.textContent : null,
	Polls: performance.getEntriesByType("resource").filter(function (e) {
		return new URL(e.name).pathname === "/__sx/reload";
	}).length
};
})()`

// TestBrowserHotReload opens a dev page in a headless Chromium and edits
// its service: the page must reload itself after a good edit, show the
// error banner over the last good version after a broken one, and drop it
// after the fix.
func TestBrowserHotReload(t *testing.T) {
	t.Parallel()
	tab := browsertest.New(t)
	s, file := startWatched(t, liveV1, host.Options{})
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatalf("opening the page: %v", err)
	}

	// await polls the page until cond holds, tolerating the errors of a
	// page that is reloading.
	await := func(what string, cond func(pageState) bool) pageState {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		var st pageState
		var err error
		for {
			// A page that is reloading may not answer; ask again.
			ctx, cancel := context.WithTimeout(tab, 2*time.Second)
			st, err = chromedp.Run(ctx, chromedp.Evaluate[pageState](readPageState))
			cancel()
			// Unlike WebDriver, DevTools evaluates in a page still being
			// parsed; only a loaded page is judged.
			if err == nil && st.Ready && cond(st) {
				return st
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("timed out waiting for %s; last error: %v", what, err)
		}
		t.Fatalf("timed out waiting for %s; the page: %s", what, st)
		return st
	}
	// arm sets window.__marker once the page's reload script has seen the
	// current generation: its first poll has finished when a second one
	// has. (An edit before the first poll's answer would go unnoticed.)
	arm := func() {
		t.Helper()
		await("the page's reload script to poll", func(st pageState) bool { return st.Polls >= 2 })
		got, err := chromedp.Run(tab, chromedp.Evaluate[any]("window.__marker = 42"))
		if err != nil {
			t.Fatalf("setting the marker: %v", err)
		}
		if got != 42.0 {
			t.Fatalf("the marker reads back %v, want 42", got)
		}
	}
	// shows reports whether the page is a new document (no marker) with
	// text and without a banner.
	shows := func(st pageState, text string) bool {
		return st.Marker == nil && st.Text != nil && *st.Text == text && st.Banner == nil
	}

	await("the first page", func(st pageState) bool { return shows(st, "version one") })

	// A good edit: the page reloads itself and shows it.
	arm()
	replaceFile(t, file, liveV2)
	await("the page to reload itself with version two", func(st pageState) bool { return shows(st, "version two") })

	// A broken edit: the page reloads, still shows version two, and the
	// banner names the file and position of the error.
	arm()
	replaceFile(t, file, liveBroken)
	st := await("the page to reload itself with an error banner", func(st pageState) bool {
		return st.Marker == nil && st.Banner != nil
	})
	if where := file + ":" + posOf(t, liveBroken, "(defpage home") + ": unterminated list"; !strings.Contains(*st.Banner, where) {
		t.Errorf("the banner does not show %q: %s", where, st)
	}
	if st.Text == nil || *st.Text != "version two" {
		t.Errorf("after a broken edit the page does not show the last good version: %s", st)
	}

	// The fix: the page reloads and shows it, without the banner.
	arm()
	replaceFile(t, file, liveV4)
	await("the page to reload itself with version four", func(st pageState) bool { return shows(st, "version four") })
}
