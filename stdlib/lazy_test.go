package stdlib

import (
	"reflect"
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

// The lazy environment binds every global to the same value as NewEnv's:
// prim_index.go is current (go generate ./stdlib after adding a primitive)
// and a prims/core primitive replaces a runtime built-in of its name, as
// DefinePrimitives does.
func TestLazyEnvPrimitivesMatch(t *testing.T) {
	if !slices.IsSorted(corePrimNames[:]) {
		t.Fatal("corePrimNames not sorted: go generate ./stdlib")
	}
	eager := runtime.NewEnv()
	eager.DefinePrimitives(core.Primitives()...)
	lazy := NewLazyEnv()
	for _, n := range eager.Globals() {
		want, _ := eager.Lookup(n)
		got, ok := lazy.Lookup(n)
		// runtime.NewEnv makes its built-ins afresh: compare their functions.
		g, _ := got.(*runtime.Primitive)
		w, _ := want.(*runtime.Primitive)
		if !ok || g == nil || w == nil || g.Name != w.Name || reflect.ValueOf(g.Fn).Pointer() != reflect.ValueOf(w.Fn).Pointer() {
			t.Errorf("%s: lazy %v (%v), eager %v: go generate ./stdlib", n, got, ok, want)
		}
	}
	prims := core.Primitives()
	for i, n := range corePrimNames {
		if prims[corePrimOrder[i]].Name != n {
			t.Fatalf("corePrimOrder[%d] is %s, not %s: go generate ./stdlib", i, prims[corePrimOrder[i]].Name, n)
		}
	}
}

// Primitives bound from the index behave as map-bound ones: a program can
// redefine one (code compiled earlier sees the new value), shadow one
// locally, and use one after another program defined a name beside it.
func TestLazyEnvPrimitivesRedefine(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`(define (f) (abs -1)) (define r1 (f)) (define (abs x) 7) (list r1 (f) (abs 2))`, "(1 7 7)"},
		{`(let ((str 1) (abs "x")) (list str abs))`, `(1 "x")`},
		{`(define upcase 3) upcase`, "3"},
		{`(define (g) (downcase "A")) (g)`, `"a"`},
	} {
		v, err := NewLazyEnv().NewThread(nil).EvalString("t.sx", c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := runtime.Print(v); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
}
