package main

import (
	"strings"
	"testing"
)

// The blog scenario's two sides write the same bytes on both paths (the
// cached and the uncached fragments), twice (the second from the fragment
// cache), with titles and excerpts that need escaping.
func TestBlogPageIdentical(t *testing.T) {
	sx, peer := newBenchPair(t, blogTables)
	for _, path := range []string{"/blog", "/blog", "/blog-uncached", "/blog-uncached"} {
		a, b := serve(t, sx, path), serve(t, peer, path)
		a.body = stripRuntimeTags(a.body)
		if a.status != 200 || b.status != 200 {
			t.Fatalf("GET %s: sx %d, peer %d\n%s\n%s", path, a.status, b.status, a.body, b.body)
		}
		if msg := firstDifference(a.body, b.body); msg != "" {
			t.Fatalf("GET %s: %s", path, msg)
		}
		for _, want := range []string{
			`<h2><a href="/post-300/">Notes &quot;300&quot; &lt;draft&gt; &amp; more</a></h2>`,
			`<li><a href="/s3/">Shop &amp; Market</a></li>`,
			`<span class="badge">0</span>`,
			`href="/auth/login?next=%2Fblog"`,
			`a market day &amp; the accounts &lt; 5 minutes`,
		} {
			if !strings.Contains(string(a.body), want) {
				t.Errorf("GET %s: no %s in\n%s", path, want, a.body)
			}
		}
		if n := strings.Count(string(a.body), `<article class="post-card">`); n != 12 {
			t.Errorf("GET %s: %d posts, want 12", path, n)
		}
	}
}
