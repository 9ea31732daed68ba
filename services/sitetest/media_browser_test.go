//go:build linux

package sitetest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An editor uploads an image through the media library in Chromium: sx.js
// sends the boosted form as multipart/form-data (sx-encoding), the page is
// not reloaded, and the image appears in the grid with its alt text; a
// file that is not an image is refused in the form's error line.
func TestBrowserEditorUploadsImage(t *testing.T) {
	ed := shopStaff(t, "mediabrowser", false, "editor")
	dir := t.TempDir()
	photo := filepath.Join(dir, "orchard.png")
	if err := os.WriteFile(photo, mediaPNG(t, 1100, 700), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(fake, []byte("%PDF-1.4\nnot an image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab := ed.tab(t, 1280)
	navigate(t, tab, urls["blog"]+"/admin/media/")
	until(t, tab, "the library", `document.documentElement.dataset.sxReady === 'true' && document.querySelector('#media-upload') !== null`)
	click := func() {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Evaluate[any](`document.querySelector('#media-upload button[type=submit]').click()`)); err != nil &&
			!strings.Contains(err.Error(), "context") && !strings.Contains(err.Error(), "navigat") {
			t.Fatal(err)
		}
	}
	// A marker on the window: it survives only if the runtime swaps the
	// answer in rather than the browser loading a new page.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[any](`window.__mediaMarker = 'kept'`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.SetUploadFiles("#field-image", []string{fake})); err != nil {
		t.Fatal(err)
	}
	click()
	until(t, tab, "the refusal in the form", `document.querySelector('#upload-error').textContent.includes('not a JPEG, PNG, GIF or WebP image')`)

	if err := chromedp.Do(tab,
		chromedp.SetUploadFiles("#field-image", []string{photo}),
		chromedp.SendKeys("#field-alt", "Apple blossom in the orchard"),
	); err != nil {
		t.Fatal(err)
	}
	click()
	until(t, tab, "the image in the grid", `document.body.textContent.includes('Uploaded: 1100×700 PNG.') &&
		Array.from(document.querySelectorAll('#media-grid img')).some(i => i.alt === 'Apple blossom in the orchard' && i.complete && i.naturalWidth === 480)`)
	if got, _ := chromedp.Run(tab, chromedp.Evaluate[string](`String(window.__mediaMarker)`)); got != "kept" {
		t.Fatalf("the page was reloaded (marker %q): the upload did not go through the runtime", got)
	}
	if n := scalar[int](t, `select count(*) from media where alt_text = 'Apple blossom in the orchard' and width = 1100 and height = 700
		and uploaded_by = (select id from users where slug = $1)`, ed.who); n != 1 {
		t.Fatalf("%d rows", n)
	}
}
