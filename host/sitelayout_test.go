package host_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// A service with a layout that reads the options pages pass on, a branded
// error page, and a static file: what services/shared/layout.sx relies on.
const layoutService = `
(defservice site :title "Site")
(defcomp ~lay (&key title page description canonical image og-type json-ld robots aside &rest children)
  (html (head (title title) (meta :name "description" :content description) (link :rel "canonical" :href canonical)
              (link :rel "stylesheet" :href (asset-url "site.css")))
        (body (main children) (when aside (aside aside)) (p :id "page" page) (p :id "og" og-type) (p :id "robots" robots)
              (p :id "img" image) (p :id "ld" (json-encode json-ld)) (p :id "self" (absolute-url "/x"))
              (p :id "other" (site-url "other" "/y/")))))
(defcomp ~site-error-page (&key status message error-id)
  (~lay :title (str "Branded " status) :page "error" (p :class "err" message) (when error-id (code error-id))))
(defpage home :path "/" :layout ~lay :title "Home" :description "The home page" :canonical "https://coop.example/"
  :image "/static/a.png" :og-type "article" :json-ld {:name "x"} :robots "noindex" :aside (em "widgets")
  :content (h1 "Hi"))
(defpage gone :path "/gone/<slug>/" :layout ~lay :title "Gone" :content (abort 404 (str "no post " slug)))
(defpage broken :path "/broken" :layout ~lay :title "Broken" :content (div (car 1)))
`

func TestSiteLayoutOptionsAndBrandedErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeFile(t, dir, "svc.sx", layoutService)
	if err := os.MkdirAll(filepath.Join(dir, "static"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "static"), "site.css", "body { color: red }\n")
	p := newPlatform(t, []string{file}, host.Options{})
	p.SetPublicURL("other", "https://other.example/")
	s := serve(t, p.Services()[0])

	home := get(t, s.URL+"/")
	for _, want := range []string{`<title>Home</title>`, `content="The home page"`, `href="https://coop.example/"`,
		`<aside><em>widgets</em></aside>`, `<p id="page">home</p>`, `<p id="og">article</p>`, `<p id="robots">noindex</p>`,
		`<p id="img">/static/a.png</p>`, `{&quot;name&quot;:&quot;x&quot;}`, `<p id="self">` + s.URL + `/x</p>`,
		`<p id="other">https://other.example/y/</p>`} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("home lacks %s:\n%s", want, home.Body)
		}
	}
	// The stylesheet by its content hash, cached for good; the plain name
	// still answers.
	m := regexp.MustCompile(`/static/site\.([0-9a-f]{12})\.css`).FindString(home.Body)
	if m == "" {
		t.Fatalf("no hashed stylesheet URL in %s", home.Body)
	}
	css := get(t, s.URL+m)
	if css.Status != 200 || css.Body != "body { color: red }\n" || css.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("hashed stylesheet: %d %q %q", css.Status, css.Body, css.Header.Get("Cache-Control"))
	}
	if plain := get(t, s.URL+"/static/site.css"); plain.Status != 200 || strings.Contains(plain.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("plain stylesheet: %d %q", plain.Status, plain.Header.Get("Cache-Control"))
	}
	if wrong := get(t, s.URL+"/static/site.000000000000.css"); wrong.Status != 404 {
		t.Fatalf("unknown hash: %d", wrong.Status)
	}

	// An abort in a page, an unknown path asked for by a browser, and a
	// failing page all get the service's own error page, status kept;
	// the message is escaped.
	gone := get(t, s.URL+"/gone/%3Cb%3E/", "Accept", "text/html")
	if gone.Status != 404 || !strings.Contains(gone.Body, "<title>Branded 404</title>") || !strings.Contains(gone.Body, `<p class="err">no post &lt;b&gt;</p>`) {
		t.Fatalf("abort 404: %s", gone)
	}
	if !strings.HasPrefix(gone.Body, "<!doctype html>") || !strings.Contains(gone.Body, "/static/sx.") {
		t.Fatalf("error page is not a whole document with the runtime: %s", gone.Body)
	}
	unknown := get(t, s.URL+"/no/such/path", "Accept", "text/html,application/xhtml+xml")
	if unknown.Status != 404 || !strings.Contains(unknown.Body, "Branded 404") {
		t.Fatalf("unknown path: %s", unknown)
	}
	if api := get(t, s.URL+"/no/such/path"); api.Status != 404 || !strings.Contains(api.Body, `"error"`) {
		t.Fatalf("unknown path without Accept text/html stays JSON: %s", api)
	}
	broken := get(t, s.URL+"/broken", "Accept", "text/html")
	if broken.Status != 500 || !strings.Contains(broken.Body, "Branded 500") || !regexp.MustCompile(`<code>[0-9a-f]{12}</code>`).MatchString(broken.Body) {
		t.Fatalf("500: %s", broken)
	}
}

// Without a ~site-error-page the plain error pages stay.
func TestPlainErrorPageWithoutBrandedOne(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, `(defpage gone :path "/gone" :content (abort 404 "gone <away>"))`, host.Options{})
	r := get(t, s.URL+"/gone", "Accept", "text/html")
	if r.Status != 404 || !strings.Contains(r.Body, "<p>gone &lt;away&gt;</p>") {
		t.Fatalf("%s", r)
	}
}
