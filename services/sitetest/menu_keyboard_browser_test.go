//go:build linux

package sitetest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// keys presses keys in the tab (each rune a key: kb.Tab, kb.Enter, " ",
// letters), as a person at a keyboard.
func keys(t *testing.T, tab context.Context, k string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
		t.Fatalf("pressing %q: %v", k, err)
	}
}

// tabTo presses Tab until the focused element meets cond (JavaScript over
// `el`, the focused element), at most 300 times: what a keyboard user does
// to reach a control. The control must show that it has focus (an
// outline), as :focus-visible draws it.
func tabTo(t *testing.T, tab context.Context, what, cond string) {
	t.Helper()
	check := `(() => { const el = document.activeElement; try { return !!(` + cond + `); } catch (e) { return false; } })()`
	for i := 0; i < 300; i++ {
		keys(t, tab, kb.Tab)
		ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](check))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			until(t, tab, what+" shows its focus", `(() => { const s = getComputedStyle(document.activeElement);
				return document.activeElement.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; })()`)
			return
		}
	}
	got, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.activeElement.outerHTML`))
	t.Fatalf("Tab never reached %s (at %s)", what, clip(got))
}

// The menu editor with the keyboard only (issue 16: "keyboard-usable"): an
// editor tabs to the add form, types a label and presses Enter; tabs to the
// new item's Move up and presses Enter (the tree is morphed in place, focus
// stays on the button she pressed, the status line says where the item
// went); presses Space on Move down (the item is last again, its Move down
// now marked disabled and still focused); opens the item with Enter on its
// Edit link and deletes it with Enter on Delete item. The public header
// follows each step.
func TestBrowserMenuEditorKeyboard(t *testing.T) {
	ed := shopStaff(t, "keyboard-ed", false, "editor")
	tab := ed.tab(t, 1280)
	label := fmt.Sprintf("Keys %d", time.Now().UnixNano())
	last := scalar[string](t, `select label from menu_nodes where parent_id is null and container_type is null and deleted_at is null
		order by sort_order desc, id desc limit 1`)
	focused := func(what, cond string) {
		t.Helper()
		until(t, tab, what, `(() => { const el = document.activeElement; return `+cond+`; })()`)
	}
	js := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

	navigate(t, tab, urls["blog"]+"/admin/menus/")
	until(t, tab, "runtime ready", `document.documentElement.dataset.sxReady === 'true'`)
	tabTo(t, tab, "the new item's label", `el.id === 'field-label' && el.closest('form').action.endsWith('/admin/menus/new')`)
	keys(t, tab, label)
	keys(t, tab, kb.Enter)
	until(t, tab, "added", `document.body.textContent.includes('Menu item added.') && document.querySelector('[aria-label="Move '+`+js(label)+`+' up"]')`)
	navOrder(t, "added last", last, label)

	// Move up: in place, focus kept, the status said.
	until(t, tab, "runtime ready again", `document.documentElement.dataset.sxReady === 'true' && (window.__same = 1)`)
	tabTo(t, tab, "Move up", `el.getAttribute('aria-label') === 'Move ' + `+js(label)+` + ' up'`)
	keys(t, tab, kb.Enter)
	until(t, tab, "moved up in place", `document.querySelector('#menu-status').textContent.startsWith('Moved '+`+js(label)+`+' up') && window.__same === 1`)
	focused("focus stays on Move up", `el.getAttribute('aria-label') === 'Move ' + `+js(label)+` + ' up' && el.isConnected`)
	navOrder(t, "moved up", label, last)

	// Move down with Space: last again; its Move down is now at the edge.
	tabTo(t, tab, "Move down", `el.getAttribute('aria-label') === 'Move ' + `+js(label)+` + ' down'`)
	keys(t, tab, " ")
	until(t, tab, "moved down in place", `document.querySelector('#menu-status').textContent.startsWith('Moved '+`+js(label)+`+' down') && window.__same === 1`)
	focused("focus stays on Move down, marked disabled", `el.getAttribute('aria-label') === 'Move ' + `+js(label)+` + ' down' && el.getAttribute('aria-disabled') === 'true'`)
	navOrder(t, "moved down", last, label)
	// Pressed again at the edge: nothing moves, and it says so.
	keys(t, tab, kb.Enter)
	until(t, tab, "already last", `document.querySelector('#menu-status').textContent === `+js(label+" is already last.")+` && window.__same === 1`)
	navOrder(t, "still last", last, label)

	// Edit, then Delete item.
	tabTo(t, tab, "Edit", `el.getAttribute('aria-label') === 'Edit ' + `+js(label))
	keys(t, tab, kb.Enter)
	until(t, tab, "the item's page", `document.querySelector('h1').textContent === 'Menu item: ' + `+js(label))
	tabTo(t, tab, "Delete item", `el.tagName === 'BUTTON' && el.textContent === 'Delete item'`)
	keys(t, tab, kb.Enter)
	until(t, tab, "deleted", `document.querySelector('h1').textContent === 'Menus' && document.body.textContent.includes('Menu item deleted.')
		&& !document.querySelector('[aria-label="Edit '+`+js(label)+`+'"]')`)
	anon.get(t, "blog", "/").want(t, "after delete", 200).lacks(t, "after delete", ">"+label+"<")
	if n := scalar[int](t, `select count(*) from menu_nodes where label = $1 and deleted_at is null`, label); n != 0 {
		t.Fatalf("%d live items left", n)
	}
}
