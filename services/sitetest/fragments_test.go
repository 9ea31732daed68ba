package sitetest_test

import (
	"encoding/json"
	"testing"
)

// TestFragmentsAndTheirTTLs: every fragment issue 14 lists exists, with the
// TTL the issue gives where it gives one (platform.md §3.2), as each
// service's /internal/schema declares it (the TTL the host caches by and
// sends as Cache-Control).
func TestFragmentsAndTheirTTLs(t *testing.T) {
	t.Parallel()
	want := map[string]map[string]int{ // service → fragment → TTL in s (0: any)
		"blog":       {"nav-tree": 60, "nav-item": 300, "link-card": 0},
		"market":     {"container-nav": 0},
		"cart":       {"cart-mini": 10, "account-nav-item": 300, "account-page/orders": 30},
		"events":     {"container-nav": 0, "container-cards": 0, "account-page/tickets": 0, "account-page/bookings": 0, "account-nav-item": 0},
		"account":    {"auth-menu": 60},
		"federation": {"account-nav-item": 0},
	}
	for service, frags := range want {
		p := anon.get(t, service, "/internal/schema").want(t, service+" schema", 200)
		var schema struct {
			Fragments []struct {
				Name string `json:"name"`
				TTL  *int   `json:"ttl"`
			} `json:"fragments"`
		}
		if err := json.Unmarshal([]byte(p.Body), &schema); err != nil {
			t.Fatalf("%s schema: %v", service, err)
		}
		have := map[string]*int{}
		for _, f := range schema.Fragments {
			have[f.Name] = f.TTL
		}
		for name, ttl := range frags {
			got, ok := have[name]
			switch {
			case !ok:
				t.Errorf("%s has no fragment %s", service, name)
			case ttl > 0 && (got == nil || *got != ttl):
				t.Errorf("%s/%s: ttl %v, want %d", service, name, got, ttl)
			}
		}
	}
}
