// Package htmlsafe gives SX code sanitize-html: HTML from outside (a Ghost
// post body, a product description) reduced to markup that cannot run
// script, with github.com/microcosm-cc/bluemonday's user-generated-content
// policy. The result is an html value, so a page renders it as it is.
//
// Why a Go primitive: a sanitiser is a parser and an allow-list over the
// whole HTML grammar; writing one in SX would be slow and a second place
// for escaping bugs.
package htmlsafe

import (
	"sync"

	"github.com/microcosm-cc/bluemonday"

	"github.com/rose-ash/sxhost/runtime"
)

// policy is built once: bluemonday policies are safe for concurrent use
// once configured.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	// Post bodies carry their editor's layout classes (kg-card, kg-image …)
	// and lazily loaded images; neither can run anything.
	p.AllowAttrs("class").Globally()
	p.AllowAttrs("loading").Matching(bluemonday.SpaceSeparatedTokens).OnElements("img", "iframe")
	p.AllowAttrs("width", "height").Matching(bluemonday.Integer).OnElements("img")
	p.AllowElements("figure", "figcaption", "picture", "source")
	p.AllowAttrs("srcset", "sizes", "type", "media").OnElements("source", "img")
	// Links leaving the site open without handing the page to the target.
	p.RequireNoReferrerOnFullyQualifiedLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return p
})

// Sanitize returns s with everything the policy does not allow removed.
func Sanitize(s string) string { return policy().Sanitize(s) }

// Primitives are the package's SX primitives.
func Primitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "sanitize-html", Params: "(s)", Doc: "s (HTML from outside: a Ghost post, a product description) sanitised with bluemonday's user-generated-content policy (plus class attributes, figures and lazy images): no script, event handlers, styles or javascript: URLs survive. Returns html, rendered as it is; nil gives nil.", MinArgs: 1, MaxArgs: 1,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				switch s := a[0].(type) {
				case nil:
					return nil
				case string:
					return runtime.HTML(Sanitize(s))
				case runtime.HTML:
					return runtime.HTML(Sanitize(string(s)))
				default:
					th.Fail("sanitize-html expects a string, got %s", runtime.TypeOf(a[0]))
					return nil
				}
			}},
	}
}
