package bench

import (
	"io"
	"strings"
	"testing"
)

// pageRenderer renders the complex page once and returns the HTML.
type pageRenderer func() (string, error)

// pageEngine loads a renderer for the data, outside any timing.
type pageEngine struct {
	name string
	load func(p *PageData) (pageRenderer, error)
}

// pageEngines lists the page renderers in table order; sx comes first and
// html/template is the reference output.
var pageEngines = []pageEngine{
	{"sx", loadSXPage},
	{"html-template", loadTemplatePage},
	{"gomponents", loadGomPage},
	{"builder", loadBuilderPage},
}

func loadTemplatePage(p *PageData) (pageRenderer, error) {
	return func() (string, error) {
		var b strings.Builder
		err := RenderTemplate(&b, p)
		return b.String(), err
	}, nil
}

func loadGomPage(p *PageData) (pageRenderer, error) {
	return func() (string, error) {
		var b strings.Builder
		err := GomPage(p).Render(&b)
		return b.String(), err
	}, nil
}

func loadBuilderPage(p *PageData) (pageRenderer, error) {
	return func() (string, error) {
		var b strings.Builder
		RenderBuilder(&b, p)
		return b.String(), nil
	}, nil
}

// referencePage renders the page with html/template.
func referencePage(tb testing.TB, p *PageData) string {
	var b strings.Builder
	if err := RenderTemplate(&b, p); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// checkPage compares got with the reference and reports the first difference.
func checkPage(tb testing.TB, name, got, want string) {
	tb.Helper()
	if got == want {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(i-60, 0)
	tb.Fatalf("%s: output differs from html/template at byte %d (len %d vs %d)\n got: …%s…\nwant: …%s…",
		name, i, len(got), len(want), got[lo:min(i+60, len(got))], want[lo:min(i+60, len(want))])
}

// TestPageReference sanity-checks the reference output itself, so that four
// identical but wrong pages cannot pass.
func TestPageReference(t *testing.T) {
	p := NewPageData()
	page := referencePage(t, p)
	for _, s := range []string{
		`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Orders &amp; Returns - Rose Ash</title>`,
		`<li class="active"><a href="/orders">Orders</a></li><li><a href="/returns">Returns &amp; Refunds</a></li>`,
		`<span class="user">Ada &lt;admin&gt;</span>`,
		`<tr class="order status-pending urgent" data-id="1000"><td><a href="/orders/1000">1000</a></td>` +
			`<td title="Smith &amp; Sons">Smith &amp; Sons</td><td>Leave at the door</td><td>1</td>` +
			`<td><span class="badge badge-pending">pending</span></td><td><input type="checkbox" disabled checked></td></tr>`,
		`<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>`,
		`<p>Orders are shown in the order placed.<br>Questions? Write to the co-op.</p>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("reference page lacks %q", s)
		}
	}
	if n := strings.Count(page, `<tr class="order`); n != PageRows {
		t.Errorf("reference page has %d order rows, want %d", n, PageRows)
	}
}

// TestPageIdentical checks that every renderer produces exactly the
// html/template output, byte for byte, with no normalisation.
func TestPageIdentical(t *testing.T) {
	p := NewPageData()
	want := referencePage(t, p)
	for _, e := range pageEngines {
		t.Run(e.name, func(t *testing.T) {
			render, err := e.load(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := render()
			if err != nil {
				t.Fatal(err)
			}
			checkPage(t, e.name, got, want)
		})
	}
}

func BenchmarkPage(b *testing.B) {
	p := NewPageData()
	want := referencePage(b, p)
	for _, e := range pageEngines {
		b.Run(e.name, func(b *testing.B) { benchPageEngine(b, e, p, want) })
	}
}

// benchPageEngine checks one renderer's page against want, then times it;
// it returns the page's size.
func benchPageEngine(b *testing.B, e pageEngine, p *PageData, want string) int {
	render, err := e.load(p)
	if err != nil {
		b.Fatal(err)
	}
	got, err := render()
	if err != nil {
		b.Fatal(err)
	}
	checkPage(b, e.name, got, want)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render(); err != nil {
			b.Fatal(err)
		}
	}
	return len(got)
}

// benchRows renders the complex page with n order rows with sx (to a
// string, and streamed from the writer's chunks as sxhost serves a page:
// sx-stream) and with the hand-written strings.Builder writer, and reports
// the output size (out-B), so that benchtable can relate the bytes
// allocated to it (issue 20: pages over 1 MiB must not cost more per row
// than small ones, nor more than twice their size).
func benchRows(b *testing.B, n int) {
	p := NewPageDataRows(n)
	want := referencePage(b, p)
	b.Run("sx", func(b *testing.B) {
		b.ReportMetric(float64(benchPageEngine(b, pageEngine{"sx", loadSXPage}, p, want)), "out-B")
	})
	b.Run("sx-stream", func(b *testing.B) {
		render, err := loadSXPageStream(p)
		if err != nil {
			b.Fatal(err)
		}
		var got strings.Builder
		if err := render(&got); err != nil {
			b.Fatal(err)
		}
		checkPage(b, "sx-stream", got.String(), want)
		b.ReportAllocs()
		for b.Loop() {
			if err := render(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(got.Len()), "out-B")
	})
	b.Run("builder", func(b *testing.B) {
		b.ReportMetric(float64(benchPageEngine(b, pageEngine{"builder", loadBuilderPage}, p, want)), "out-B")
	})
}

func BenchmarkRows100(b *testing.B)   { benchRows(b, 100) }
func BenchmarkRows1000(b *testing.B)  { benchRows(b, 1000) }
func BenchmarkRows10000(b *testing.B) { benchRows(b, 10000) }
