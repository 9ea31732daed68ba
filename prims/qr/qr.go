// Package qrprims gives SX code QR codes: (qr-svg text label) is an inline
// SVG image of text's QR code, for tickets and anything else a phone should
// read from a screen or paper.
//
// It is written over github.com/skip2/go-qrcode (the encoder: segment
// modes, Reed-Solomon, masking), which has no dependencies; the SVG is made
// here from its module bitmap: one path of the dark modules, each row's runs
// merged, so a ticket code of 32 characters is about 2 KB of markup. SVG
// needs no data: URL and stays sharp when printed.
package qrprims

import (
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/rose-ash/sxhost/runtime"
)

// maxText bounds what one code may hold (far below QR's 2,953 bytes, and
// more than any ticket code or URL the platform encodes).
const maxText = 1024

// Primitives returns the QR primitives. qr-svg is marked I/O, although it
// reaches nothing outside the process, so that components calling it are
// rendered on the server: the browser runtime has no QR encoder.
func Primitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "qr-svg", Params: "(text &rest label)", Doc: "An inline SVG (html) of text's QR code (error correction M, a 4-module quiet zone), black on white, with role img and label (default \"QR code\") as its accessible name. text: 1 to 1024 bytes.", MinArgs: 1, MaxArgs: 2, IO: true, Fn: qrSVG},
	}
}

func qrSVG(th *runtime.Thread, a []runtime.Value) runtime.Value {
	text, ok := a[0].(string)
	if !ok {
		th.Fail("qr-svg expects a string, got %s", runtime.TypeOf(a[0]))
	}
	if text == "" || len(text) > maxText {
		th.Fail("qr-svg: text must be 1 to %d bytes, got %d", maxText, len(text))
	}
	label := "QR code"
	if len(a) > 1 && a[1] != nil {
		l, ok := a[1].(string)
		if !ok {
			th.Fail("qr-svg expects a string label, got %s", runtime.TypeOf(a[1]))
		}
		label = l
	}
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		th.Fail("qr-svg: %v", err)
	}
	return runtime.HTML(SVG(q.Bitmap(), label))
}

// SVG draws a module bitmap (true = dark, quiet zone included) as an SVG
// whose user unit is one module.
func SVG(bits [][]bool, label string) string {
	n := len(bits)
	var b strings.Builder
	size := strconv.Itoa(n)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + size + ` ` + size +
		`" class="qr" role="img" aria-label="` + runtime.EscapeAttr(label) +
		`" shape-rendering="crispEdges"><rect width="` + size + `" height="` + size +
		`" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			b.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "h" + strconv.Itoa(run) + "v1h-" + strconv.Itoa(run) + "z")
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
