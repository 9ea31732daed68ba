package stdlib

import (
	"slices"
	"testing"

	"github.com/rose-ash/sxhost/prims/core"
	"github.com/rose-ash/sxhost/runtime"
)

// TestLibraryNames: libraryNames, which NewLazyEnv defers loading on, is
// exactly what the embedded library defines; a name missing from it would
// be unbound in sx until another name loaded the library.
func TestLibraryNames(t *testing.T) {
	prims := runtime.NewEnv()
	prims.DefinePrimitives(core.Primitives()...)
	have := map[string]bool{}
	for _, n := range prims.Globals() {
		have[n] = true
	}
	var defined []string
	for _, n := range NewEnv().Globals() {
		if !have[n] {
			defined = append(defined, n)
		}
	}
	if want := slices.Sorted(slices.Values(libraryNames)); !slices.Equal(defined, want) {
		t.Errorf("the library defines %v; libraryNames has %v", defined, want)
	}
	if got, want := NewLazyEnv().Globals(), NewEnv().Globals(); !slices.Equal(got, want) {
		t.Errorf("NewLazyEnv globals differ from NewEnv's:\n%v\n%v", got, want)
	}
}

// A program on the lazy environment uses the library without asking for
// it (a macro, a function and a variable of assert.sx), and one that
// redefines a library name before using it keeps its own definition, as
// with the library loaded first.
func TestLazyEnvLoadsOnFirstUse(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`(deftest "t" (assert-equal 3 (+ 1 2))) (list *test-count* *test-assertions* (len *test-failures*))`, "(1 1 0)"},
		{`(assert-true true)`, "true"},
		{`(define assert-nil (fn (x) "mine")) (assert-nil 1)`, `"mine"`},
		{`(+ 1 2)`, "3"},
	} {
		v, err := NewLazyEnv().NewThread(nil).EvalString("t.sx", c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := runtime.Print(v); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
	env := NewLazyEnv()
	if _, ok := env.Lookup("assert-equal"); !ok {
		t.Error("Lookup does not load the library")
	}
}
