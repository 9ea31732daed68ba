package runtime_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
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
	forms, err := runtime.Read(filepath.Base(file), string(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(forms) == 0 {
		t.Fatal("no forms")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	th := stdlib.NewEnv().NewThread(ctx)
	th.Out = &strings.Builder{}
	for _, f := range forms[:len(forms)-1] {
		if _, err := th.Eval(f); err != nil {
			t.Fatalf("evaluating %s: %v", clip(runtime.Print(f)), err)
		}
	}
	html, err := th.RenderHTML(forms[len(forms)-1])
	if err != nil {
		if e, ok := err.(*runtime.Error); ok {
			t.Fatalf("rendering: %s", e.Format())
		}
		t.Fatalf("rendering: %v", err)
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
