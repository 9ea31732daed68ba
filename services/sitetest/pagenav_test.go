package sitetest_test

import "testing"

// A boosted navigation (SX-Target: site-page) answers the head's meta and
// the page region on every service's layout, with the site settings taken
// from the layout's cache: market, cart and the others have no
// site-settings of their own (blog's is its defquery), so a call by that
// name failed there.
func TestSitePageNavigationOnEveryService(t *testing.T) {
	for svc, path := range map[string]string{"blog": "/", "market": "/suma-market/", "cart": "/", "events": "/"} {
		anon.get(t, svc, path, "SX-Request", "true", "SX-Target", "site-page").
			want(t, svc+" page navigation", 200, "Rose Ash Co-op").
			lacks(t, svc+" page navigation", "site-header")
	}
}
