package host_test

import (
	"strings"
	"testing"

	"github.com/dop251/goja"

	sxclient "github.com/rose-ash/sxhost/client"
	"github.com/rose-ash/sxhost/host"
)

// wireLayoutService is a page built like the services' layouts: an
// impure layout (it reaches a query) whose children and keyword values
// are markup, pure component calls, calls made inside map, and raw HTML
// with quotes, newlines and a "|".
const wireLayoutService = `(defservice lay :title "Lay")
(defquery who () "Ada")
(defcomp ~card (&key title &rest children) (div :class "card" (h2 title) children))
(defcomp ~layout (&key title aside &rest children)
  (div :class "layout" (header (who) " " title) (main children) (aside aside)))
(defcomp ~raw-body (&key html) (article :class "body" (raw! html)))
(defcomp ~frame (&key side post &rest children) (section (h3 (get post :title)) (nav side) children))
(defpage home :path "/" :title "Home"
  :content (~layout :title "T & \"q\"" :aside (~card :title "aside")
     (~card :title "A" (p "x < y"))
     (p :class "c" (raw! "<b class=\"k\">bold</b> &amp; \"q\"\nnext line"))
     (map (fn (i) (~card :title (str "c" i))) (list 1 2))
     (~raw-body :html (raw! "<i title=\"a|b\">it</i>"))
     (raw! "<hr>")
     (~frame :side (map (fn (i) (~card :title (str "s" i))) (list 1 2)) :post {:title "P" :secret "not sent"} (p "in frame"))))
`

// TestWireParityThroughImpureLayout: the text/sx answer of a page whose
// content goes through an impure layout renders in sx.js to exactly the
// server's HTML; the layout's children and keyword values travel as SX
// (pure components as calls, elements as elements), not as the server's
// HTML, and raw markup as a raw string (no backslash before each quote)
// unless it holds a "|".
func TestWireParityThroughImpureLayout(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, wireLayoutService, host.Options{})
	sx := get(t, s.URL+"/", "SX-Request", "true")
	hx := get(t, s.URL+"/", "HX-Request", "true")
	wantStatus(t, sx, 200, "SX-Request")
	wantStatus(t, hx, 200, "HX-Request")
	for _, want := range []string{
		`(main (~card :title "A" (p "x < y")) (p :class "c" (raw! #|<b class="k">bold</b> &amp; "q"` + "\n" + `next line|))`,
		`(~card :title "c1") (~card :title "c2") (~raw-body :html (raw! "<i title=\"a|b\">it</i>")) (raw! #|<hr>|)`,
		`(aside (~card :title "aside"))`,
		// Markup in a pure component's keyword value travels as SX too,
		// and a dict only with the keys the component reads.
		`(~frame :side (list (~card :title "s1") (~card :title "s2")) :post {:title "P"} (p "in frame"))`,
	} {
		if !strings.Contains(sx.Body, want) {
			t.Errorf("the SX answer lacks %s:\n%s", want, sx.Body)
		}
	}
	for _, script := range [][]byte{sxclient.Source, sxclient.Script} {
		vm := goja.New()
		if _, err := vm.RunString(string(script)); err != nil {
			t.Fatal(err)
		}
		vm.Set("WIRE", sx.Body)
		got, err := vm.RunString(`SX.renderToString(WIRE, SX.newEnv(), 'wire')`)
		if err != nil {
			t.Fatalf("sx.js could not render the answer: %v\n%s", err, sx.Body)
		}
		if got.String() != hx.Body {
			t.Errorf("sx.js and the server differ\n  js: %s\n  go: %s\nwire: %s", got, hx.Body, sx.Body)
		}
	}
}
