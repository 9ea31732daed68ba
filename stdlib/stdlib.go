// Package stdlib assembles a ready-to-use SX environment: the runtime's
// built-ins, the pure primitives of prims/core, and the standard library
// written in SX (embedded .sx files).
package stdlib

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/rose-ash/sxhost/prims/core"
	"github.com/rose-ash/sxhost/runtime"
)

//go:embed *.sx
var sources embed.FS

//go:generate go run ./internal/primindex prim_index.go

// NewEnv returns an environment with every pure primitive and the standard
// library loaded.
func NewEnv() *runtime.Env {
	env := runtime.NewEnv()
	env.DefinePrimitives(core.Primitives()...)
	if err := Load(env); err != nil {
		// The embedded library is part of the binary; failing to load it is
		// a build defect, caught by the tests.
		panic(fmt.Sprintf("stdlib: %v", err))
	}
	return env
}

// NewLazyEnv is NewEnv for an environment that one goroutine builds and
// uses, such as the sx command's: the standard library written in SX is
// loaded when a program first refers to one of its names
// (runtime.Env.DefineLazy), so a program that does not use it does not pay
// for reading and compiling it at start-up (nine tenths of NewEnv's
// allocations; docs/benchmarks.md, start-up). The primitives of prims/core
// get their cells on first use too, from a sorted index made at build time
// (prim_index.go) instead of a map entry each.
func NewLazyEnv() *runtime.Env {
	env := runtime.NewEnv()
	env.DefineIndexedPrimitives(&runtime.PrimitiveIndex{Prims: core.Primitives(), Names: corePrimNames[:], Order: corePrimOrder[:]})
	env.DefineLazy(libraryNames, func() error { return Load(env) })
	return env
}

// libraryNames are the globals the embedded .sx files define
// (TestLibraryNames keeps the list exact).
var libraryNames = []string{
	"*test-assertions*", "*test-failures*", "*test-count*", "run-test", "deftest",
	"test-count-assertion!", "assert-equal", "assert-true", "assert-false", "assert-nil",
	"assert-type", "assert-error", "assert-render", "assert-wire",
}

// Load evaluates the embedded standard library into env, file by file in
// name order.
func Load(env *runtime.Env) error {
	names, err := fs.Glob(sources, "*.sx")
	if err != nil {
		return err
	}
	sort.Strings(names)
	th := env.NewThread(nil)
	for _, name := range names {
		src, err := sources.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := th.EvalString("stdlib/"+name, string(src)); err != nil {
			return err
		}
	}
	return nil
}
