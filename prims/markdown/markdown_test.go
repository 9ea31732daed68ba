package markdown

import (
	"strings"
	"testing"
)

func TestToHTML(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"# Hello", "<h1>Hello</h1>"},
		{"Some *soft* and **strong** text", "<p>Some <em>soft</em> and <strong>strong</strong> text</p>"},
		{"| a | b |\n|---|---|\n| 1 | 2 |", "<td>1</td>"},    // GFM table
		{"~~gone~~", "<del>gone</del>"},                      // strikethrough
		{"<script>alert(1)</script>\n\ntext", "<p>text</p>"}, // raw HTML left out
		{"[x](javascript:alert(1))", `<a href="">x</a>`},     // dangerous URL dropped
	} {
		got, err := ToHTML(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%q: got %q, want it to contain %q", c.in, got, c.want)
		}
		if strings.Contains(got, "<script") {
			t.Errorf("%q: raw script survived: %q", c.in, got)
		}
	}
}
