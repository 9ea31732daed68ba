// Package markdown gives SX code markdown->html: a post written in Markdown
// is converted once, when it is saved (and for the editor's live preview),
// with github.com/yuin/goldmark (CommonMark plus GitHub's tables,
// strikethrough, autolinks and task lists).
//
// Why a Go primitive: Markdown is a whole grammar with a conformance suite;
// goldmark passes CommonMark's and is kept up. Raw HTML in the source is
// left out (goldmark's safe default), and pages still pass the result
// through sanitize-html.
package markdown

import (
	"bytes"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/rose-ash/sxhost/runtime"
)

// converter is built once: a goldmark.Markdown is safe for concurrent use.
var converter = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(extension.GFM))
})

// MaxSource bounds a source converted in one call (a post body).
const MaxSource = 1 << 20

// ToHTML converts Markdown source to HTML; raw HTML in the source is
// omitted.
func ToHTML(src string) (string, error) {
	var buf bytes.Buffer
	if err := converter().Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// Primitives are the package's SX primitives.
func Primitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "markdown->html", Params: "(s)", Doc: "Markdown source s converted to HTML (CommonMark with GitHub's tables, strikethrough, autolinks and task lists) with goldmark; raw HTML in the source is left out. Returns a string (sanitise it with sanitize-html before rendering it as markup); nil gives nil. Sources over 1 MiB are an error.", MinArgs: 1, MaxArgs: 1,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if a[0] == nil {
					return nil
				}
				s, ok := a[0].(string)
				if !ok {
					th.Fail("markdown->html expects a string, got %s", runtime.TypeOf(a[0]))
				}
				if len(s) > MaxSource {
					th.Fail("markdown->html: the source is over %d bytes", MaxSource)
				}
				out, err := ToHTML(s)
				if err != nil {
					th.Fail("markdown->html: %v", err)
				}
				return out
			}},
	}
}
