//go:build linux

package host_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// boostedLive is a dev service whose two pages link to each other through
// sx-boost; each version names itself in #v.
func boostedLive(version string) string {
	return `(defservice live)
(defcomp ~nav () (nav :sx-boost "true" (a :id "to-a" :href "/" "A") (a :id "to-b" :href "/b" "B")))
(defpage home :path "/" :content (<> (~nav) (div :id "v" "A ` + version + `")))
(defpage b :path "/b" :content (<> (~nav) (div :id "v" "B ` + version + `")))
`
}

// The hot-reload banner keeps working with boosted pages: after a boosted
// navigation (the document stays, #sx-root is swapped) an edit still
// reloads the page at its new URL, a broken edit shows the error banner
// over the last good version, and the fix drops it.
func TestBrowserHotReloadAfterBoostedNavigation(t *testing.T) {
	t.Parallel()
	tab := browsertest.New(t)
	s, file := startWatched(t, boostedLive("one"), host.Options{})
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatal(err)
	}
	await := func(what string, cond func(pageState) bool) pageState {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		var st pageState
		var err error
		for {
			// A reloading page may not answer; ask again.
			ctx, cancel := context.WithTimeout(tab, 2*time.Second)
			st, err = chromedp.Run(ctx, chromedp.Evaluate[pageState](readPageState))
			cancel()
			if err == nil && st.Ready && cond(st) {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; the page: %s (%v)", what, st, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	run := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Evaluate[any](js)); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
	}
	text := func(st pageState) string {
		if st.Text == nil {
			return ""
		}
		return *st.Text
	}
	path := func(st pageState) string {
		i := strings.Index(st.URL[len("http://"):], "/")
		return st.URL[len("http://")+i:]
	}
	// boostTo follows a boosted link: the text changes in the same
	// document (the marker survives), and the reload script has polled
	// since the document loaded.
	boostTo := func(link, want string) {
		t.Helper()
		await("the runtime and the reload script", func(st pageState) bool { return st.Polls >= 2 })
		run(`document.documentElement.dataset.sxReady === 'true' || (() => { throw new Error('runtime not ready') })()`)
		run(`window.__marker = 42; document.getElementById('` + link + `').click()`)
		await("the boosted navigation to "+want, func(st pageState) bool {
			return text(st) == want && st.Marker == 42.0
		})
	}

	await("the first page", func(st pageState) bool { return text(st) == "A one" })
	boostTo("to-b", "B one")

	// A good edit reloads the document at the boosted URL.
	replaceFile(t, file, boostedLive("two"))
	st := await("a reload with version two", func(st pageState) bool {
		return st.Marker == nil && text(st) == "B two" && st.Banner == nil
	})
	if path(st) != "/b" {
		t.Errorf("reloaded at %s, want /b", path(st))
	}

	// Boost back to A, then a broken edit: the banner over version two.
	boostTo("to-a", "A two")
	broken := strings.Replace(boostedLive("three"), `(defpage b :path "/b"`, `(defpage b :path "/b" (`, 1)
	replaceFile(t, file, broken)
	st = await("a reload with the error banner", func(st pageState) bool { return st.Marker == nil && st.Banner != nil })
	if text(st) != "A two" || path(st) != "/" {
		t.Errorf("after a broken edit the page should show the last good A at /: %s", st)
	}
	if !strings.Contains(*st.Banner, file+":") {
		t.Errorf("the banner does not name the file: %s", st)
	}

	// The banner survives a boosted navigation (it is outside #sx-root),
	// and the fix reloads without it.
	boostTo("to-b", "B two")
	if st := await("banner kept", func(pageState) bool { return true }); st.Banner == nil {
		t.Errorf("the banner went away on a boosted navigation before the fix: %s", st)
	}
	replaceFile(t, file, boostedLive("four"))
	await("a reload with version four and no banner", func(st pageState) bool {
		return st.Marker == nil && text(st) == "B four" && st.Banner == nil
	})
}
