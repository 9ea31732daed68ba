package qrprims_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	qrprims "github.com/rose-ash/sxhost/prims/qr"
	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// modules reads the dark modules back out of an SVG's path.
func modules(t *testing.T, svg string, n int) [][]bool {
	t.Helper()
	bits := make([][]bool, n)
	for i := range bits {
		bits[i] = make([]bool, n)
	}
	m := regexp.MustCompile(`d="([^"]*)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no path in %s", svg)
	}
	for _, run := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(m[1], -1) {
		x, _ := strconv.Atoi(run[1])
		y, _ := strconv.Atoi(run[2])
		w, _ := strconv.Atoi(run[3])
		for i := 0; i < w; i++ {
			if bits[y][x+i] {
				t.Fatalf("module %d,%d drawn twice", x+i, y)
			}
			bits[y][x+i] = true
		}
	}
	return bits
}

func TestQRSVGDrawsTheEncodersModules(t *testing.T) {
	env := stdlib.NewEnv()
	env.DefinePrimitives(qrprims.Primitives()...)
	th := env.NewThread(nil)
	code := "3f2a9c1b0d4e4e1f8a7b6c5d4e3f2a1b"
	v, err := th.EvalString("t.sx", `(qr-svg "`+code+`" "Ticket <1> & \"2\"")`)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(v.(runtime.HTML))
	q, err := qrcode.New(code, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	n := len(want)
	if !strings.Contains(svg, `viewBox="0 0 `+strconv.Itoa(n)+` `+strconv.Itoa(n)+`"`) {
		t.Fatalf("viewBox is not %d modules: %s", n, svg[:120])
	}
	if !strings.Contains(svg, `role="img" aria-label="Ticket &lt;1&gt; &amp; &quot;2&quot;"`) {
		t.Errorf("label not escaped as an attribute: %s", svg[:200])
	}
	got := modules(t, svg, n)
	for y := range want {
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				t.Fatalf("module %d,%d is %v, the encoder says %v", x, y, got[y][x], want[y][x])
			}
		}
	}
	// The quiet zone is light and a finder pattern's corner is dark.
	if got[0][0] || !got[4][4] {
		t.Errorf("quiet zone or finder pattern wrong: %v %v", got[0][0], got[4][4])
	}
}

func TestQRSVGRefusesBadInput(t *testing.T) {
	env := stdlib.NewEnv()
	env.DefinePrimitives(qrprims.Primitives()...)
	th := env.NewThread(nil)
	for src, msg := range map[string]string{
		`(qr-svg "")`:                       "1 to 1024 bytes",
		`(qr-svg 12)`:                       "expects a string",
		`(qr-svg (string-repeat "x" 1025))`: "1 to 1024 bytes",
	} {
		if _, err := th.EvalString("t.sx", src); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", src, err, msg)
		}
	}
}
