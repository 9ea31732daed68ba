package host

import (
	"context"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/rose-ash/sxhost/runtime"
)

// documentReference is the document shell as it was built before
// splitDocument: one string concatenation per insertion.
func documentReference(title, out, head, tail string) string {
	isDoctype := len(out) >= 9 && strings.EqualFold(out[:9], "<!doctype")
	if !strings.HasPrefix(out, "<html") && !isDoctype {
		return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + runtime.EscapeHTML(title) + "</title>" +
			head + "</head><body><div id=\"sx-root\">" + out + "</div>" + tail + "</body></html>"
	}
	if strings.HasPrefix(out, "<html") {
		out = "<!doctype html>" + out
	}
	if i := strings.Index(out, "</head>"); i >= 0 {
		out = out[:i] + head + out[i:]
	}
	if i := strings.LastIndex(out, "</body>"); i >= 0 {
		out = out[:i] + tail + out[i:]
	}
	return out
}

// The pieces splitDocument cuts a page into, joined, are the document the
// concatenations made: fragments, whole documents with and without a
// doctype, a head or a body, odd orders and repeated tags.
func TestSplitDocumentMatchesConcatenation(t *testing.T) {
	head, tail := `<script src="/static/sx.js" defer></script>`, `<script type="text/sx" data-components></script>`
	for _, out := range []string{
		"", "<p>Hi</p>", "<html><head><title>x</title></head><body><p>a</p></body></html>",
		"<!DOCTYPE html><html><head></head><body></body></html>",
		"<!doctype html><html><body><p>no head</p></body></html>",
		"<html><head><title>no body</title></head></html>",
		"<html><body>b</body><head>late head</head></html>",
		"<html><head></head><body><pre>&lt;/body&gt; </body></pre></body></html>",
		"<html>neither</html>", "<!doctype",
	} {
		var parts [documentParts]docPiece
		want := documentReference("T & <t>", out, head, tail)
		if got := joinDocument(splitDocument("T & <t>", strText(out), head, tail, parts[:0]), out); got != want {
			t.Errorf("%q:\n got  %q\n want %q", out, got, want)
		}
		if n := len(splitDocument("T", strText(out), head, tail, nil)); n > documentParts {
			t.Errorf("%q: %d parts, more than documentParts", out, n)
		}
		// The same page left in the runtime's chunks, as a large page is
		// written to the connection (pageStream): by WriteTo and by Read.
		for _, page := range []string{out, out + strings.Repeat("<p>long</p>", 20000)} {
			o := outputOf(t, page)
			want := documentReference("T & <t>", page, head, tail)
			ps := &pageStream{parts: splitDocument("T & <t>", o, head, tail, nil), out: o}
			var b strings.Builder
			if _, err := ps.WriteTo(&b); err != nil || b.String() != want {
				t.Errorf("%q: WriteTo differs from the document (%v)", out, err)
			}
			got, err := io.ReadAll(iotest.OneByteReader(ps))
			if err != nil || string(got) != want {
				t.Errorf("%q: Read differs from the document (%v)", out, err)
			}
			_ = ps.Close()
		}
	}
}

// outputOf renders page into the runtime's chunks.
func outputOf(t *testing.T, page string) *runtime.Output {
	var src strings.Builder
	src.WriteString("(raw! ")
	runtime.WriteString(&src, page)
	src.WriteString(")")
	form, err := runtime.ReadOne("page", src.String())
	if err != nil {
		t.Fatal(err)
	}
	o, err := runtime.NewEnv().NewThread(context.Background()).RenderHTMLOutput(form)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
