package stdlib

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/prims/signing"
	"github.com/rose-ash/sxhost/runtime"
)

// minAssertions is the floor for the whole language suite; a suite that
// silently stops running its files fails here.
const minAssertions = 500

// TestLanguage runs every testdata/*.sx script, one subtest per file. Each
// script asserts its own results with the assertions of assert.sx.
func TestLanguage(t *testing.T) {
	files, err := filepath.Glob("../testdata/*.sx")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no language tests found in testdata/")
	}
	total := int64(0)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".sx")
		t.Run(name, func(t *testing.T) {
			n := runScript(t, file)
			total += n
		})
	}
	// The floor applies to full runs, not to -run selections of some files.
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" && total < minAssertions {
		t.Errorf("language suite ran %d assertions, want at least %d", total, minAssertions)
	}
	t.Logf("language suite: %d files, %d assertions", len(files), total)
}

func runScript(t *testing.T, file string) int64 {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv()
	env.DefinePrimitives(signing.Primitives()...) // prims_crypto.sx covers them
	th := env.NewThread(nil)
	th.Out = &strings.Builder{}
	if _, err := th.EvalString(filepath.Base(file), string(src)); err != nil {
		if e, ok := err.(*runtime.Error); ok {
			t.Fatalf("%s\n%s", e.Error(), e.Backtrace())
		}
		t.Fatal(err)
	}
	failures, _ := env.Lookup("*test-failures*")
	if l, ok := failures.(*runtime.List); ok {
		for _, f := range l.Items {
			t.Errorf("%s: %v", filepath.Base(file), f)
		}
	}
	tests, _ := env.Lookup("*test-count*")
	if n, _ := tests.(int64); n == 0 {
		t.Errorf("%s: ran no deftest", filepath.Base(file))
	}
	count, _ := env.Lookup("*test-assertions*")
	n, _ := count.(int64)
	if n == 0 {
		t.Errorf("%s: made no assertions", filepath.Base(file))
	}
	return n
}
