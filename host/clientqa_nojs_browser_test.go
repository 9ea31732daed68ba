//go:build linux

package host_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
)

// noJSService's pages carry sx-* attributes, but every link and form is a
// plain one too (href, action, method, a csrf_token field).
const noJSService = `
(defservice nojs :title "No JS")
(defcomp ~nav () (nav :sx-boost "true" (a :id "to-next" :href "/next" "Next") (a :id "to-home" :href "/" "Home")))
(defpage home :path "/" :title "Home" :content
  (<> (~nav)
      (h1 :id "h" "Home")
      (form :id "say" :method "post" :action "/say" :sx-post "/say" :sx-target "#said"
        (input :type "hidden" :name "csrf_token" :value (csrf-token))
        (input :id "word" :name "word" :value "plain")
        (button :id "send" :type "submit" "Send"))
      (form :id "forged" :method "post" :action "/say"
        (input :name "word" :value "forged")
        (button :id "forge" :type "submit" "Forge"))
      (div :id "said")))
(defpage next :path "/next" :title "Next" :content (<> (~nav) (h1 :id "h" "Next page")))
(defroute say :path "/say" :method :post (&key (word :str))
  (if (htmx-request?) (html (p :id "result" (str "you said " word))) (redirect (str "/said?word=" word))))
(defpage said :path "/said" :title "Said" :content (<> (~nav) (p :id "result" (str "you said " (request-arg "word")))))
`

// With JavaScript off, the pages still work through plain links and forms:
// a boosted link navigates, a form posts with its CSRF field and the
// answer's redirect is followed, and a form without the token is refused.
func TestBrowserWorksWithoutJavaScript(t *testing.T) {
	t.Parallel()
	tab := browsertest.New(t)
	s, _, _ := startService(t, noJSService, host.Options{})
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	// text reads an element's text through the DOM domain (no page script).
	text := func(sel string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			html, _ := chromedp.Run(tab, chromedp.OuterHTML("html"))
			t.Fatalf("reading %s: %v\n%s", sel, err, html)
		}
		return strings.TrimSpace(got)
	}
	// await waits until sel's text contains want (a navigation is under way).
	await := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(tab, time.Second)
			got, err := chromedp.Run(ctx, chromedp.Text(sel))
			cancel()
			if err == nil && strings.Contains(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never showed %q; last %q (%v)", sel, want, got, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	click := func(sel string) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Click(sel)); err != nil {
			t.Fatalf("clicking %s: %v", sel, err)
		}
	}
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if got := text("#h"); got != "Home" {
		t.Fatalf("home page heading %q", got)
	}
	// The runtime did not run: nothing marked the document ready.
	ready, err := chromedp.Run(tab, chromedp.AttributeValue("html", "data-sx-ready"))
	if err != nil {
		t.Fatal(err)
	}
	if ready.Exists {
		t.Fatalf("sx.js ran with JavaScript disabled (data-sx-ready=%q)", ready.Value)
	}

	click("#to-next")
	await("#h", "Next page")
	click("#to-home")
	await("#h", "Home")

	if err := chromedp.Do(tab, chromedp.SetValue("#word", "by hand")); err != nil {
		t.Fatal(err)
	}
	click("#send")
	await("#result", "you said by hand")
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/said?word=by") {
		t.Errorf("the form's answer should redirect to /said: at %q (%v)", loc, err)
	}

	// Without the CSRF field the same post is refused.
	if err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatal(err)
	}
	click("#forge")
	await("body", "CSRF")
	body := text("body")
	if strings.Contains(body, "you said") || !strings.Contains(strings.ToLower(body), "csrf") {
		t.Errorf("a form without its CSRF token was not refused: %q", body)
	}
}
