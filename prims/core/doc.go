// Package core holds the pure primitives of SX (§11 of the language
// reference): predicates, numbers beyond the core arithmetic, strings, lists,
// dicts, higher-order functions, JSON and datetimes.
//
// Each area declares its primitives in a table that keeps the name, the
// parameter list shown by (doc name), the docstring and the Go function
// together; Primitives returns every table. Arity is checked by the runtime
// from MinArgs and MaxArgs, so the functions here only check types.
//
// Primitives never retain or mutate their args slice, which the evaluator
// reuses, and report every failure with Thread.Fail so that no Go panic
// reaches the host. Type errors read "NAME expects WHAT, got TYPE".
package core

import "github.com/rose-ash/sxhost/runtime"

// Primitives returns every primitive of the package, ready for
// Env.DefinePrimitives.
func Primitives() []*runtime.Primitive {
	tables := [][]*runtime.Primitive{
		arithPrims, predicatePrims, stringPrims, listPrims, dictPrims,
		higherPrims, jsonPrims, timePrims, cryptoPrims, miscPrims, moneyPrims, csvPrims,
	}
	n := 0
	for _, t := range tables {
		n += len(t)
	}
	all := make([]*runtime.Primitive, 0, n)
	for _, t := range tables {
		all = append(all, t...)
	}
	return all
}
