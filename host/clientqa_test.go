package host_test

import (
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

const responseHeaderService = `
(defservice rhs)
(defroute ok :path "/ok" () (do (response-header "SX-Trigger" "saved") (response-header "hx-reswap" "none") (response-header "cache-control" "no-store") "done"))
(defroute cookie :path "/cookie" () (do (response-header "Set-Cookie" "a=b") "no"))
(defroute csp :path "/csp" () (do (response-header "Content-Security-Policy" "default-src *") "no"))
(defroute split :path "/split" () (do (response-header "SX-Trigger" "a\r\nSet-Cookie: a=b") "no"))
`

// response-header sets the engine's protocol headers and a few named
// others and refuses every other name (a page cannot loosen its security headers or set cookies
// through it) and values that would split the header.
func TestResponseHeaderPrimitive(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, responseHeaderService, host.Options{})
	r := get(t, s.URL+"/ok")
	wantStatus(t, r, 200, "/ok")
	if got := r.Header.Get("SX-Trigger"); got != "saved" {
		t.Errorf("SX-Trigger = %q, want saved", got)
	}
	if got := r.Header.Get("HX-Reswap"); got != "none" {
		t.Errorf("HX-Reswap = %q, want none", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	for _, path := range []string{"/cookie", "/csp", "/split"} {
		r := get(t, s.URL+path)
		if r.Status != 500 {
			t.Errorf("%s: status %d, want 500: %s", path, r.Status, r.Body)
		}
		if r.Header.Get("Set-Cookie") != "" || strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src *") {
			t.Errorf("%s: the refused header went out: %v", path, r.Header)
		}
	}
}
