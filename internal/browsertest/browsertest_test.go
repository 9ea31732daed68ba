package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// TestMissingChromium runs a browser test in a child process with
// SX_CHROMIUM naming a missing file: it must skip without CI and fail with
// it.
func TestMissingChromium(t *testing.T) {
	if os.Getenv("BROWSERTEST_CHILD") != "" {
		New(t)
		t.Fatal("New returned without a browser")
	}
	missing := filepath.Join(t.TempDir(), "no-chromium")
	run := func(ci string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingChromium$", "-test.v")
		cmd.Env = append(os.Environ(), "BROWSERTEST_CHILD=1", "SX_CHROMIUM="+missing, "CI="+ci)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("")
	if err != nil || !strings.Contains(out, "--- SKIP") || !strings.Contains(out, "SX_CHROMIUM="+missing) {
		t.Errorf("without CI: want a skip naming SX_CHROMIUM; err %v, output:\n%s", err, out)
	}
	out, err = run("true")
	if err == nil || !strings.Contains(out, "--- FAIL") {
		t.Errorf("with CI: want a failure; err %v, output:\n%s", err, out)
	}
}

// TestTabsShareChromiumNotStorage opens two tabs on one origin: they run in
// the same Chromium, and what one stores the other does not see.
func TestTabsShareChromiumNotStorage(t *testing.T) {
	a, b := New(t), New(t)
	if chromedp.FromContext(a).Browser != chromedp.FromContext(b).Browser {
		t.Error("two tabs started two browsers")
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<p>page</p>"))
	}))
	t.Cleanup(site.Close)
	for _, tab := range []context.Context{a, b} {
		if err := chromedp.Do(tab, chromedp.Navigate(site.URL)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := chromedp.Run(a, chromedp.Evaluate[any](`localStorage.setItem("k", "a")`)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(a, chromedp.Evaluate[*string](`localStorage.getItem("k")`))
	if err != nil || got == nil || *got != "a" {
		t.Fatalf("the first tab does not keep its own item: %v, %v", got, err)
	}
	got, err = chromedp.Run(b, chromedp.Evaluate[*string](`localStorage.getItem("k")`))
	if err != nil || got != nil {
		t.Fatalf("the second tab sees the first one's storage: %v, %v", got, err)
	}
}
