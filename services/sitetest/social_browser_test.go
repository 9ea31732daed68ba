//go:build linux

package sitetest_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Like, boost and follow on a member's profile change in place: the
// buttons follow, the counts too, and the page is not reloaded.
func TestBrowserSocialInPlace(t *testing.T) {
	author := socialMember(t, "b_author")
	author.post(t, "federation", "/social/compose", url.Values{"content": {"A note to like"}, "visibility": {"unlisted"}})
	v := socialMember(t, "b_fan")
	tab := v.tab(t, 1280)
	navigate(t, tab, urls["federation"]+"/social/b_author/")
	until(t, tab, "runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	until(t, tab, "like", `(window.__same = 1, document.querySelector('.note-like').click(), true)`)
	until(t, tab, "liked in place", `document.querySelector('.note-like[aria-pressed="true"] .note-action-count').textContent.startsWith('1') && window.__same === 1`)
	until(t, tab, "boost", `(document.querySelector('.note-boost').click(), true)`)
	until(t, tab, "boosted in place", `document.querySelector('.note-boost[aria-pressed="true"] .note-action-count').textContent.startsWith('1') && document.querySelector('.note-like[aria-pressed="true"]') && window.__same === 1`)
	until(t, tab, "follow", `(document.querySelector('.profile-actions button[aria-label="Follow Test b_author"]').click(), true)`)
	until(t, tab, "following in place", `document.querySelector('.profile-actions button[aria-label="Unfollow Test b_author"]').textContent === 'Following' && window.__same === 1`)
	if n := scalar[int](t, `select count(*) from ap_interactions i join ap_actor_profiles a on a.id = i.actor_profile_id
		where a.preferred_username = 'b_fan' and i.undone_at is null`); n != 2 {
		t.Fatalf("interactions stored: %d", n)
	}
	if !scalar[bool](t, `select exists (select 1 from ap_local_follows f join ap_actor_profiles a on a.id = f.follower_profile_id
		join ap_actor_profiles b on b.id = f.followed_profile_id where a.preferred_username = 'b_fan' and b.preferred_username = 'b_author')`) {
		t.Fatal("the follow was not stored")
	}
	until(t, tab, "unlike", `(document.querySelector('.note-like').click(), true)`)
	until(t, tab, "unliked in place", `document.querySelector('.note-like[aria-pressed="false"] .note-action-count').textContent.startsWith('0') && window.__same === 1`)
	until(t, tab, "unfollow", `(document.querySelector('.profile-actions button').click(), true)`)
	until(t, tab, "unfollowed in place", `document.querySelector('.profile-actions button').textContent === 'Follow' && window.__same === 1`)
}

// The timeline's "Older posts" loads the next notes when it scrolls into view.
func TestBrowserSocialInfiniteScroll(t *testing.T) {
	v := socialMember(t, "b_scroll")
	for i := 0; i < 24; i++ {
		v.post(t, "federation", "/social/compose", url.Values{"content": {"Scrolling along"}, "visibility": {"unlisted"}})
	}
	tab := v.tab(t, 1280)
	navigate(t, tab, urls["federation"]+"/social/b_scroll/")
	until(t, tab, "runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	until(t, tab, "first page", `document.querySelectorAll('#notes > li > article').length === 20`)
	until(t, tab, "scroll to the end", `(window.__same = 1, document.getElementById('more-notes').scrollIntoView(), true)`)
	until(t, tab, "the rest appended", `document.querySelectorAll('#notes > li > article').length === 24 && !document.getElementById('more-notes') && window.__same === 1`)
}

// With JavaScript off the same buttons are forms that post and come back.
func TestBrowserSocialWithoutJavaScript(t *testing.T) {
	author := socialMember(t, "nojs_author")
	author.post(t, "federation", "/social/compose", url.Values{"content": {"Like me without scripts"}, "visibility": {"unlisted"}})
	v := socialMember(t, "nojs_fan")
	tab := v.tab(t, 375)
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	attr := func(sel, name string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(tab, 2*time.Second)
			r, err := chromedp.Run(ctx, chromedp.AttributeValue(sel, name))
			cancel()
			if err == nil && r.Exists {
				return r.Value
			}
			if time.Now().After(deadline) {
				html, _ := chromedp.Run(tab, chromedp.OuterHTML("html"))
				t.Fatalf("%s[%s]: %v\n%s", sel, name, err, clip(html))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	click := func(sel string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Click(sel)); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
	}
	waitAttr := func(sel, name, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for attr(sel, name) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s[%s] never became %q", sel, name, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	navigate(t, tab, urls["federation"]+"/social/nojs_author/")
	waitAttr(".note-like", "aria-pressed", "false")
	click(".note-like")
	waitAttr(".note-like", "aria-pressed", "true")
	click(".note-boost")
	waitAttr(".note-boost", "aria-pressed", "true")
	click(".profile-actions button")
	waitAttr(".profile-actions button", "aria-pressed", "true")
	if n := scalar[int](t, `select count(*) from ap_interactions i join ap_actor_profiles a on a.id = i.actor_profile_id
		where a.preferred_username = 'nojs_fan' and i.undone_at is null`); n != 2 {
		t.Fatalf("interactions stored: %d", n)
	}
	if loc, err := chromedp.Run(tab, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/social/nojs_author/") {
		t.Fatalf("came back to %q (%v)", loc, err)
	}
	// Writing a note is a form too.
	navigate(t, tab, urls["federation"]+"/social/compose")
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SendKeys("#compose-content", "Written without scripts"),
		chromedp.Click(".compose-form button[type=submit]"),
		chromedp.WaitVisible(`//p[contains(., "Written without scripts")]`)); err != nil {
		t.Fatalf("compose without JS: %v", err)
	}
}
