package host_test

import (
	"fmt"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// TestDatetimeParamTakesPlainDate: a :datetime parameter accepts a plain
// date as its midnight UTC, besides RFC 3339; other forms stay 400s.
func TestDatetimeParamTakesPlainDate(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t, host.Options{})
	for at, want := range map[string]string{
		"2026-03-04":                  "2026-03-04T00:00:00Z",
		"2026-03-04T10:00:00%2B02:00": "2026-03-04T08:00:00Z",
	} {
		r := get(t, s.URL+"/internal/data/echo-types?user-id=1&ids=1&at="+at)
		wantStatus(t, r, 200, "at="+at)
		if got := fmt.Sprint(r.Object(t)["at"]); got != want {
			t.Errorf("at=%s: %s, want %s", at, got, want)
		}
	}
	for _, at := range []string{"2026-3-4", "2026-03-04T10:00", "04/03/2026"} {
		wantJSONError(t, get(t, s.URL+"/internal/data/echo-types?user-id=1&ids=1&at="+at), 400, "at="+at, "at")
	}
}
