//go:build linux

package sitetest_test

import (
	"regexp"
	"testing"
)

// Every page of the six services (the axe-core test's list) has a title, a
// meta description, a canonical URL and Open Graph tags (issue 14); the
// product and event pages also carry schema.org JSON-LD.
func TestEveryPageHasTitleDescriptionCanonicalAndOpenGraph(t *testing.T) {
	t.Parallel()
	must := map[string]*regexp.Regexp{
		"title":          regexp.MustCompile(`<title>[^<]+</title>`),
		"description":    regexp.MustCompile(`<meta name="description" content="[^"]+">`),
		"canonical":      regexp.MustCompile(`<link rel="canonical" href="http://127\.0\.0\.1:\d+/[^"]*">`),
		"og:title":       regexp.MustCompile(`<meta property="og:title" content="[^"]+">`),
		"og:description": regexp.MustCompile(`<meta property="og:description" content="[^"]+">`),
		"og:url":         regexp.MustCompile(`<meta property="og:url" content="http://127\.0\.0\.1:\d+/[^"]*">`),
		"og:type":        regexp.MustCompile(`<meta property="og:type" content="[a-z]+">`),
		"og:image":       regexp.MustCompile(`<meta property="og:image" content="http[^"]+">`),
	}
	jsonLD := map[string]string{"market-product": `"@type":"Product"`, "events-entry": `"@type":"Event"`}
	for _, p := range sitePages(t) {
		v := anon
		if p.who != "" {
			v = as(p.who)
		}
		r := v.get(t, p.service, p.path)
		if r.Status/100 == 3 {
			continue // account-401 sends the browser to sign in: the page it lands on is checked as such
		}
		body := r.Body
		for what, re := range must {
			if !re.MatchString(body) {
				t.Errorf("%s (%s %s): no %s", p.name, p.service, p.path, what)
			}
		}
		if want, ok := jsonLD[p.name]; ok && !regexp.MustCompile(`<script type="application/ld\+json">[^<]*`+regexp.QuoteMeta(want)).MatchString(body) {
			t.Errorf("%s: no JSON-LD with %s", p.name, want)
		}
	}
}
