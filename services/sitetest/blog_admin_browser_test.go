//go:build linux

package sitetest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An editor writes a post in the admin in Chromium, watching the live
// preview follow her typing, publishes it, and finds it on the blog home
// and in the Atom feed.
func TestBrowserEditorWritesPost(t *testing.T) {
	ed := blogEditor(t, "browsered")
	tab := ed.tab(t, 1280)
	title := fmt.Sprintf("Swifts are back %d", time.Now().UnixNano())
	navigate(t, tab, urls["blog"]+"/admin/posts/new/")
	until(t, tab, "the editor", `document.documentElement.dataset.sxReady === 'true' && document.querySelector('#field-body') !== null`)
	if err := chromedp.Do(tab,
		chromedp.SendKeys("#field-title", title),
		chromedp.SendKeys("#field-body", "The *swifts* came back"),
	); err != nil {
		t.Fatal(err)
	}
	until(t, tab, "the preview follows", `document.querySelector('#post-preview em') !== null &&
		document.querySelector('#post-preview em').textContent === 'swifts' &&
		document.querySelector('#post-preview').textContent.includes('came back')`)
	if err := chromedp.Do(tab, chromedp.SendKeys("#field-body", " on **Tuesday**.")); err != nil {
		t.Fatal(err)
	}
	until(t, tab, "the preview follows again", `document.querySelector('#post-preview strong') !== null &&
		document.querySelector('#post-preview strong').textContent === 'Tuesday'`)
	if _, err := chromedp.Run(tab, chromedp.Evaluate[any](`document.querySelector('button[name=intent][value=publish]').click()`)); err != nil &&
		!strings.Contains(err.Error(), "context") && !strings.Contains(err.Error(), "navigat") {
		t.Fatal(err)
	}
	until(t, tab, "published", `document.body.textContent.includes('Saved and published.') && document.querySelector('h1').textContent === '`+title+`'`)
	if st := scalar[string](t, `select status from posts where title = $1`, title); st != "published" {
		t.Fatalf("status %s", st)
	}
	navigate(t, tab, urls["blog"]+"/")
	until(t, tab, "on the blog home", `document.querySelector('#posts').textContent.includes('`+title+`')`)
	anon.get(t, "blog", "/feed.xml").want(t, "in the feed", 200, "<title>"+title+"</title>")
}
