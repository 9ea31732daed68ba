package host_test

import (
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

const sitesRouteService = `
(defservice feeds :title "Feeds")
(defroute ics :path "/cal.ics" :content-type "text/calendar; charset=utf-8" ()
  "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
(defroute plain :path "/plain" () "just text")
(defhandler account-page/orders (&key n) (p (str "orders " n)))
`

// A route's :content-type names the media type of its text answer.
func TestRouteContentType(t *testing.T) {
	s, _, _ := startService(t, sitesRouteService, host.Options{})
	r := get(t, s.URL+"/cal.ics")
	wantStatus(t, r, 200, "ics")
	if ct := r.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" || !strings.HasPrefix(r.Body, "BEGIN:VCALENDAR\r\n") {
		t.Errorf("ics: %q %q", ct, r.Body)
	}
	if ct := get(t, s.URL+"/plain").Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("plain: %q", ct)
	}
}

// A fragment type with a slash travels escaped as one path segment, as the
// host's client sends it.
func TestFragmentTypeWithSlash(t *testing.T) {
	s, _, _ := startService(t, sitesRouteService, host.Options{})
	r := get(t, s.URL+"/internal/fragments/account-page%2Forders?n=3")
	wantStatus(t, r, 200, "fragment")
	if r.Body != "<p>orders 3</p>" {
		t.Errorf("body %q", r.Body)
	}
}
