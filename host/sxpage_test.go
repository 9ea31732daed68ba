package host_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dop251/goja"

	sxclient "github.com/rose-ash/sxhost/client"
	"github.com/rose-ash/sxhost/host"
)

const pageProtocolService = `
(defservice shopfront :title "Shopfront")
(define (price-label p) (str "£" p))
(defstyle card-class "card")
(defcomp ~card (&key title price &rest children)
  (div :class card-class (h2 title) (p :class "price" (price-label price)) children))
(defquery stock () 7)
(defcomp ~stock () (span :class "stock" (stock)))
(defpage home :path "/" :title "Home"
  :content (main (~card :title "Bread & butter" :price 3 (em "fresh")) (~stock)))
(defpage order :path "/order" :content (form :method "post" (input :type "hidden" :name "csrf_token" :value (csrf-token))))
(defpage away :path "/away" :content (redirect "/elsewhere"))
(defpage clicky :path "/clicky" :content (button :sx-on:click "(set! n 1)" "n"))
`

func TestPageDocumentShell(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, pageProtocolService, host.Options{})
	r := get(t, s.URL+"/")
	wantStatus(t, r, 200, "page")
	for _, want := range []string{
		`<script src="` + sxclient.HashedPath + `" defer data-sx-handlers="none" nonce="`,
		`<div id="sx-root"><main><div class="card"><h2>Bread &amp; butter</h2>`,
		`<span class="stock">7</span>`,
		`<script type="text/sx" data-components data-hash="`,
		`(defcomp ~card (&key title price &rest children)`,
		`(define price-label (fn (p) (str "£" p)))`,
		`(define card-class "card")`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("document lacks %q:\n%s", want, r.Body)
		}
	}
	if strings.Contains(r.Body, "(defcomp ~stock") {
		t.Errorf("a component that reaches a query was shipped to the browser: %s", r.Body)
	}
	if strings.Contains(r.Body, "csrf-token") {
		t.Errorf("a plain visit should not start a session for a CSRF token: %s", r.Body)
	}
	// A page with an sx-on: handler does not tell sx.js it has none (its
	// boot then searches every attribute name for them).
	clicky := get(t, s.URL+"/clicky")
	if want := `<script src="` + sxclient.HashedPath + `" defer nonce="`; !strings.Contains(clicky.Body, want) {
		t.Errorf("a page with sx-on: should carry %q: %s", want, clicky.Body)
	}
	// A page that makes a token puts it in the meta the runtime reads.
	form := get(t, s.URL+"/order")
	tok := regexp.MustCompile(`name="csrf_token" value="([0-9a-f]+)"`).FindStringSubmatch(form.Body)
	if tok == nil || !strings.Contains(form.Body, `<meta name="csrf-token" content="`+tok[1]+`">`) {
		t.Errorf("the form page should carry its token in the csrf-token meta: %s", form.Body)
	}
	hash := regexp.MustCompile(`data-hash="([0-9a-f]{12})"`).FindStringSubmatch(r.Body)
	if hash == nil {
		t.Fatalf("no bundle hash in %s", r.Body)
	}
	// A browser that reports the hash gets an empty bundle.
	r = get(t, s.URL+"/", "Cookie", "sx-comp-hash="+hash[1])
	if want := `data-hash="` + hash[1] + `"></script>`; !strings.Contains(r.Body, want) || strings.Contains(r.Body, "(defcomp") {
		t.Errorf("with the cookie the bundle should be empty (%q): %s", want, r.Body)
	}
}

func TestPageEngineAnswers(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, pageProtocolService, host.Options{})
	sx := get(t, s.URL+"/", "SX-Request", "true")
	wantStatus(t, sx, 200, "SX-Request")
	if ct := sx.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/sx") {
		t.Errorf("SX-Request content type %q", ct)
	}
	hash := sx.Header.Get("SX-Components-Hash")
	for _, want := range []string{"(defcomp ~card", `(main (~card :title "Bread & butter" :price 3 (em "fresh"))`, `(span :class "stock" 7)`} {
		if !strings.Contains(sx.Body, want) {
			t.Errorf("SX answer lacks %q: %s", want, sx.Body)
		}
	}
	// A browser with the bundle gets the content alone.
	again := get(t, s.URL+"/", "SX-Request", "true", "SX-Components-Hash", hash)
	if strings.Contains(again.Body, "(defcomp") || !strings.HasPrefix(again.Body, "(main") {
		t.Errorf("with the hash the definitions should be left out: %s", again.Body)
	}
	hx := get(t, s.URL+"/", "HX-Request", "true")
	wantStatus(t, hx, 200, "HX-Request")
	if ct := hx.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || strings.Contains(hx.Body, "<html") {
		t.Errorf("HX-Request should get an HTML fragment: %q %s", ct, hx.Body)
	}
	// The client's rendering of the wire answer equals the server's HTML.
	vm := goja.New()
	if _, err := vm.RunString(string(sxclient.Script)); err != nil {
		t.Fatal(err)
	}
	vm.Set("WIRE", sx.Body)
	got, err := vm.RunString(`SX.renderToString(WIRE, SX.newEnv(), 'wire')`)
	if err != nil {
		t.Fatalf("sx.js could not render the SX answer: %v\n%s", err, sx.Body)
	}
	if got.String() != hx.Body {
		t.Errorf("sx.js rendered the SX answer differently from the server\n  js: %s\n  go: %s", got, hx.Body)
	}
	// A redirect inside an engine request is a header the runtime follows.
	red := get(t, s.URL+"/away", "SX-Request", "true")
	if red.Status != 200 || red.Header.Get("SX-Redirect") != "/elsewhere" {
		t.Errorf("redirect for SX-Request: %d %v", red.Status, red.Header)
	}
	if red := get(t, s.URL+"/away"); red.Status != 303 && red.Status != 302 {
		t.Errorf("redirect for a plain request: %d", red.Status)
	}
}

func TestRuntimeScriptServed(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, pageProtocolService, host.Options{})
	r := get(t, s.URL+"/static/sx.js")
	wantStatus(t, r, 200, "sx.js")
	if r.Body != string(sxclient.Script) || r.Header.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("/static/sx.js: %v (%d bytes)", r.Header, len(r.Body))
	}
	h := get(t, s.URL+sxclient.HashedPath)
	wantStatus(t, h, 200, "hashed sx.js")
	if h.Body != string(sxclient.Script) || !strings.Contains(h.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("%s: %v", sxclient.HashedPath, h.Header)
	}
	if nm := get(t, s.URL+"/static/sx.js", "If-None-Match", r.Header.Get("ETag")); nm.Status != 304 {
		t.Errorf("revalidation: %d", nm.Status)
	}
}

func TestBundleShipsGlobalDataAsData(t *testing.T) {
	t.Parallel()
	// A pure component reading a global list of dicts and a global symbol:
	// the bundle must define them as data, not as code that would call the
	// first dict or look the symbol up.
	s, _, _ := startService(t, `(defservice menu)
(define links (list {:href "/a" :label "A & co" :tags (list 1 2)} {:href "/b" :label "B"}))
(define mode (quote compact))
(defcomp ~menu () (ul :class (str mode) (map (fn (l) (li (a :href (get l :href) (get l :label)))) links)))
(defpage home :path "/" :content (nav (~menu)))
`, host.Options{})
	sx := get(t, s.URL+"/", "SX-Request", "true")
	hx := get(t, s.URL+"/", "HX-Request", "true")
	wantStatus(t, sx, 200, "SX-Request")
	if !strings.Contains(sx.Body, "(define links (quote (") {
		t.Errorf("the global list should travel quoted: %s", sx.Body)
	}
	vm := goja.New()
	if _, err := vm.RunString(string(sxclient.Script)); err != nil {
		t.Fatal(err)
	}
	vm.Set("WIRE", sx.Body)
	got, err := vm.RunString(`SX.renderToString(WIRE, SX.newEnv(), 'wire')`)
	if err != nil {
		t.Fatalf("sx.js could not render the answer: %v\n%s", err, sx.Body)
	}
	if got.String() != hx.Body || !strings.Contains(hx.Body, `<ul class="compact"><li><a href="/a">A &amp; co</a></li>`) {
		t.Errorf("client and server differ\n  js: %s\n  go: %s", got, hx.Body)
	}
}

// A boosted answer carries the page's title for the runtime to hoist,
// unless it begins with a title of its own: a layout's, sent as a call of
// the pure component that renders it. An SVG's title is not the page's.
func TestPageBoostedTitle(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, `
(defservice titles :title "Titles")
(defcomp ~meta (&key t) (<> (title t) (meta :name "description" :content t)))
(defcomp ~icon () (svg :viewBox "0 0 2 2" (title "Icon") (circle :r 1)))
(defpage own :path "/own" :title "From the page" :content (<> (~meta :t "From the layout") (p "own")))
(defpage iconic :path "/iconic" :title "Iconic" :content (<> (~icon) (p "icon")))
(defpage plain :path "/plain" :content (p "plain"))
`, host.Options{})
	for _, c := range []struct{ path, sx, html string }{
		{"/own", `(<> (~meta :t "From the layout") (p "own"))`, `<title>From the layout</title><meta name="description" content="From the layout"><p>own</p>`},
		{"/iconic", `(<> (title "Iconic") (<> (~icon) (p "icon")))`, `<title>Iconic</title><svg viewBox="0 0 2 2"><title>Icon</title>`},
		{"/plain", `(<> (title "Titles") (p "plain"))`, `<title>Titles</title><p>plain</p>`},
	} {
		r := get(t, s.URL+c.path, "SX-Request", "true", "SX-Boosted", "true")
		wantStatus(t, r, 200, c.path)
		if got := r.Body[strings.LastIndex(r.Body, "\n")+1:]; got != c.sx {
			t.Errorf("boosted %s: %q, want %q", c.path, got, c.sx)
		}
		if h := get(t, s.URL+c.path, "HX-Request", "true", "SX-Boosted", "true"); !strings.HasPrefix(h.Body, c.html) {
			t.Errorf("boosted HTML %s: %q, want it to begin %q", c.path, h.Body, c.html)
		}
	}
}
