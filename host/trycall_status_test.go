package host_test

import (
	"testing"

	"github.com/rose-ash/sxhost/host"
)

const tryStatusService = `
(defservice trys)
(defaction refuse (&key (status :int)) (abort status "name: taken"))
(defroute caught :path "/caught" (&key (status :int))
  (let ((r (try-call (fn () (action "trys" "refuse" :status status))))
        (plain (try-call (fn () (error "boom")))))
    (str (get r :status) "|" (get r :error) "|" (get plain :status) "|" (get plain :error))))
(defroute download :path "/download" :content-type "text/csv; charset=utf-8" ()
  (response-header "Content-Disposition" "attachment; filename=\"a.csv\"")
  "a,b\r\n")
`

// try-call reports the HTTP status of an abort it catches (also one an
// in-process action raised), so a form can tell a refused field (400)
// from a conflict (409); other errors have none. A route may name a
// download (Content-Disposition).
func TestTryCallStatusAndDownload(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, tryStatusService, host.Options{})
	for _, c := range []struct{ status, want string }{
		{"400", "400|name: taken||boom"},
		{"409", "409|name: taken||boom"},
	} {
		r := get(t, s.URL+"/caught?status="+c.status)
		wantStatus(t, r, 200, "/caught")
		if r.Body != c.want {
			t.Errorf("status %s: %q, want %q", c.status, r.Body, c.want)
		}
	}
	r := get(t, s.URL+"/download")
	wantStatus(t, r, 200, "/download")
	if got := r.Header.Get("Content-Disposition"); got != `attachment; filename="a.csv"` {
		t.Errorf("Content-Disposition = %q", got)
	}
}
