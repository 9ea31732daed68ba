package host_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// A page larger than the runtime's writer chunk is written to the
// connection from the chunks (host/sxpage.go, pageStream) instead of from
// one string of the page. Its document must be whole and in order, with the
// runtime's tags where they go, and stay so while other renders of it
// reuse the pooled chunks (the chunks go back only once the page is sent).
func TestLargePageStreamed(t *testing.T) {
	t.Parallel()
	const rows = 20000 // about 800 KB: a dozen chunks
	src := `
(defservice big :title "Big")
(defcomp ~doc (&rest children)
  (<> (raw! "<!doctype html>")
    (html (head (title "Big")) (body (main children) (footer "end")))))
(defpage rows :path "/rows" :layout ~doc
  :content (table (map (fn (i) (tr (td i) (td :class (str "r" i) "row & " i))) (range ` + strconv.Itoa(rows) + `))))
(defpage small :path "/small" :layout ~doc :content (p "small"))
`
	s, _, _ := startService(t, src, host.Options{})
	check := func(body string) error {
		if !strings.HasPrefix(body, "<!doctype html><html><head><title>Big</title>") || !strings.HasSuffix(body, "</script></body></html>") {
			return fmt.Errorf("document's ends wrong: %.80q … %q", body, body[max(0, len(body)-80):])
		}
		head, rest, ok := strings.Cut(body, "</head>")
		if !ok || !strings.Contains(head, `<script src="`) || strings.Contains(rest, `<script src="`) {
			return fmt.Errorf("sx.js's tag is not in the head")
		}
		i := strings.LastIndex(body, "</body>")
		if j := strings.Index(body, `<script type="text/sx" data-components`); j < strings.Index(body, "<footer>") || j > i {
			return fmt.Errorf("the component bundle is not before </body>")
		}
		for n, at := 0, 0; n < rows; n++ {
			row := `<tr><td>` + strconv.Itoa(n) + `</td><td class="r` + strconv.Itoa(n) + `">row &amp; ` + strconv.Itoa(n) + `</td></tr>`
			k := strings.Index(body[at:], row)
			if k < 0 {
				return fmt.Errorf("row %d missing or out of order", n)
			}
			at += k + len(row)
		}
		return nil
	}
	first := get(t, s.URL+"/rows")
	wantStatus(t, first, 200, "large page")
	if err := check(first.Body); err != nil {
		t.Fatal(err)
	}
	if n := first.Header.Get("Content-Length"); n != strconv.Itoa(len(first.Body)) {
		t.Errorf("Content-Length %s for a %d-byte body", n, len(first.Body))
	}
	nonce := regexp.MustCompile(` nonce="[^"]*"`)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				// Each response has its own CSP nonce.
				if r := get(t, s.URL+"/rows"); nonce.ReplaceAllString(r.Body, "") != nonce.ReplaceAllString(first.Body, "") {
					t.Errorf("a concurrent render differs (%d bytes, want %d)", len(r.Body), len(first.Body))
				}
				if r := get(t, s.URL+"/small"); !strings.Contains(r.Body, "<main><p>small</p></main>") {
					t.Errorf("small page: %q", r.Body)
				}
			}
		})
	}
	wg.Wait()
}
