package host

import "testing"

// runsSXOnPage decides whether a document loads sx-ext.js with sx.js: only
// when the page itself can evaluate SX before an answer arrives.
func TestRunsSXOnPage(t *testing.T) {
	for _, c := range []struct {
		html string
		want bool
	}{
		{`<div><a href="/x" sx-get="/x">x</a><script type="application/ld+json">{"a":1}</script></div>`, false},
		{`<div sx-get="/more" sx-trigger="revealed">more</div>`, false},
		{`<input sx-get="/s" sx-trigger="keyup[(= key &quot;Enter&quot;)] delay:300ms">`, true},
		{`<input sx-get='/s' sx-trigger='keyup[ctrlKey]'>`, true},
		{`<div sx-on:afterswap="(set! n 1)"></div>`, true},
		{`<form sx-post="/like" sx-optimistic="(span &quot;liked&quot;)"></form>`, true},
		{`<script type="text/sx" data-mount="#m">(~card)</script>`, true},
	} {
		if got := runsSXOnPage(strText(c.html), hasHandlers(strText(c.html))); got != c.want {
			t.Errorf("runsSXOnPage(%s) = %v, want %v", c.html, got, c.want)
		}
	}
}

// hasHandlers decides whether sx.js's boot may skip its search for sx-on:
// handlers: not when the page has one, or a mount rendered in the browser.
func TestHasHandlers(t *testing.T) {
	for html, want := range map[string]bool{
		`<a href="/x" sx-get="/x" sx-trigger="click">x</a>`:       false,
		`<p>sx-on is mentioned in text without a colon</p>`:       false,
		`<div sx-on:afterswap="(set! n 1)"></div>`:                true,
		`<script type="text/sx" data-mount="#m">(~card)</script>`: true,
	} {
		if got := hasHandlers(strText(html)); got != want {
			t.Errorf("hasHandlers(%s) = %v, want %v", html, got, want)
		}
	}
}

// mentions decides whether an answer makes the browser load sx-ext.js:
// any token of the code, but inside strings (prose, HTML, handlers) only
// calls.
func TestMentions(t *testing.T) {
	users := map[string]bool{"into": true, "~stamp": true, "format-date": true}
	for answer, want := range map[string]bool{
		`(~stamp :d "2026")`:                                 true,
		`(p (map ~stamp days))`:                              true,
		`(p "the surplus goes back into lower prices")`:      false,
		`(raw! #|<p>back into lower prices</p>|)`:            false,
		`(button :sx-on:click "(format-date d \"%d\")" "b")`: true,
		`(raw! #|<b sx-on:click="(into a b)">x</b>|)`:        true,
		`(p "say \"into\" (with quotes)") (b into)`:          true,
		`(p "say \"into\" (with quotes)") (b "into")`:        false,
		`(p :class "stamp" "~stamp")`:                        false,
		`(p "a (format-date" (raw! #|x|) "into")`:            true,
	} {
		if got := mentions(users, answer); got != want {
			t.Errorf("mentions(%s) = %v, want %v", answer, got, want)
		}
	}
}
