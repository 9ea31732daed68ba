package htmlsafe_test

import (
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/prims/htmlsafe"
)

func TestSanitizeKeepsContentDropsScript(t *testing.T) {
	in := `<p class="kg-card">Hello <strong>world</strong> <a href="https://example.org/x">out</a> <a href="javascript:alert(1)">bad</a></p>` +
		`<script>alert(1)</script><img src="/static/x.png" alt="A loaf" onerror="alert(1)" loading="lazy">` +
		`<figure><img src="https://img.example/a.jpg" alt=""><figcaption>Cap</figcaption></figure><p style="color:red" onclick="x()">s</p>` +
		`<iframe src="https://evil.example"></iframe>`
	out := htmlsafe.Sanitize(in)
	for _, want := range []string{`<p class="kg-card">Hello <strong>world</strong>`, `href="https://example.org/x"`, `rel="nofollow noreferrer"`,
		`<img src="/static/x.png" alt="A loaf" loading="lazy">`, `<figcaption>Cap</figcaption>`, `<p>s</p>`} {
		if !strings.Contains(out, want) {
			t.Errorf("lost %s in %s", want, out)
		}
	}
	for _, bad := range []string{"<script", "alert(1)</", "javascript:", "onerror", "onclick", "style=", "<iframe"} {
		if strings.Contains(out, bad) {
			t.Errorf("kept %s in %s", bad, out)
		}
	}
}
