package runtime_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/internal/sxtest"
)

// update rewrites the golden .html files from what the renderer produces.
// Review every changed file by eye before committing it.
var update = flag.Bool("update", false, "rewrite testdata/golden/*.html from the current output")

const goldenDir = "../testdata/golden"

// minGolden guards against the cases silently disappearing.
const minGolden = 12

// renderGolden evaluates every form of the program but the last, then
// renders the last form to HTML.
func renderGolden(t *testing.T, file string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	html, err := sxtest.RenderLast(filepath.Base(file), string(src))
	if err != nil {
		t.Fatal(err)
	}
	return html
}

// TestGoldenHTML renders each testdata/golden/NAME.sx and compares the
// result with NAME.html (the rendered HTML followed by one newline).
func TestGoldenHTML(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.sx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < minGolden {
		t.Errorf("found %d golden programs, want at least %d", len(files), minGolden)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".sx")
		t.Run(name, func(t *testing.T) {
			got := renderGolden(t, file) + "\n"
			want := strings.TrimSuffix(file, ".sx") + ".html"
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test ./runtime -run TestGoldenHTML -update, then review the file)", err)
			}
			if got != string(exp) {
				t.Errorf("%s differs\n got: %s\nwant: %s", filepath.Base(want), got, exp)
			}
		})
	}
}

// TestGoldenOrphans fails when an expectation has no program.
func TestGoldenOrphans(t *testing.T) {
	htmls, err := filepath.Glob(filepath.Join(goldenDir, "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range htmls {
		if _, err := os.Stat(strings.TrimSuffix(h, ".html") + ".sx"); err != nil {
			t.Errorf("%s has no .sx program", filepath.Base(h))
		}
	}
}
