package sitetest_test

import (
	"regexp"
	"strings"
	"testing"
)

// The shared look (services/shared/layout.sx, services/static/site.css):
// one stylesheet, hashed and immutable, with the dark, focus, narrow-screen
// and print rules the issue asks for; branded error pages that keep their
// status.

// Every page links the one stylesheet by its hashed name, served for a
// year as immutable; it has a dark scheme, a visible focus ring, one-column
// rules under 48rem and print rules that hide the chrome and keep tickets
// whole. No CSS framework: one file, hand-written.
func TestSharedStylesheet(t *testing.T) {
	t.Parallel()
	link := regexp.MustCompile(`<link rel="stylesheet" href="(/static/site\.[0-9a-f]{8,}\.css)">`)
	var href string
	for _, s := range serviceNames {
		p := anon.get(t, s, "/")
		m := link.FindAllStringSubmatch(p.Body, -1)
		if p.Status == 200 && len(m) != 1 {
			t.Fatalf("%s /: %d stylesheet links, want one hashed site.css", s, len(m))
		}
		if len(m) == 1 {
			if href != "" && m[0][1] != href {
				t.Fatalf("%s links %s, another service %s", s, m[0][1], href)
			}
			href = m[0][1]
		}
	}
	if href == "" {
		t.Fatal("no page links the stylesheet")
	}
	css := anon.get(t, "blog", href).want(t, "stylesheet", 200)
	if cc := css.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("Cache-Control %q, want a year, immutable", cc)
	}
	if ct := css.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, rule := range []string{
		"@media (prefers-color-scheme: dark)", ":focus-visible", "@media (max-width: 48rem)", "@media print",
		".skip-link", ".ticket",
	} {
		if !strings.Contains(css.Body, rule) {
			t.Errorf("site.css has no %q", rule)
		}
	}
	printRules := css.Body[strings.Index(css.Body, "@media print"):]
	for _, rule := range []string{"display: none", "break-inside: avoid"} {
		if !strings.Contains(printRules, rule) {
			t.Errorf("the print rules have no %q", rule)
		}
	}
	// The old name is not served under a wrong hash.
	anon.get(t, "blog", "/static/site.0000000000.css").want(t, "a wrong hash", 404)
}

// A service's error answers are the layout's branded pages: the header and
// footer, a plain heading per status, a way on, noindex, and the status
// kept; a 500 names its error id and never the error itself.
func TestBrandedErrorPages(t *testing.T) {
	t.Parallel()
	const src = `(defservice shop :title "Shop")
(defpage boom :path "/boom/" :content (error "secret detail of the failure"))
(defpage refused :path "/refused/" :content (abort 403 "members of the kitchen rota only"))
(defpage ok :path "/" :layout ~site-layout :title "Fine" :content (p "fine"))
`
	base := layoutService(t, src, map[string]string{"blog": urls["blog"], "cart": urls["cart"], "account": urls["account"]})
	for _, c := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/no-such-page/", 404, []string{"<h1>We could not find that page</h1>", "Error 404", "Go to the home page"}},
		{"/refused/", 403, []string{"<h1>This page is not for you</h1>", "members of the kitchen rota only"}},
		{"/boom/", 500, []string{"<h1>Something went wrong on our side</h1>", "It is not something you did", "quote <code>"}},
	} {
		p := anon.getURL(t, base+c.path)
		p.want(t, c.path, c.status, append(c.want, `<header class="site-header"`, `<footer class="site-footer"`,
			`<meta name="robots" content="noindex">`, `<main id="main"`)...)
		p.lacks(t, c.path, "secret detail")
	}
}
