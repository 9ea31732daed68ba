// Package bench holds side-by-side benchmarks of the SX runtime against peer
// embeddable languages for Go (gopher-lua, goja, starlark, tengo) and native
// Go, plus a "complex page" rendering benchmark against html/template,
// maragu.dev/gomponents and a hand-written strings.Builder writer.
//
// It is a separate module so that the peer engines never enter the product's
// go.mod. Run everything with bench/run, which prints one table per program
// through cmd/benchtable; see docs/benchmarks.md for the latest results.
//
// Every program is written once per engine in that engine's idiomatic style,
// parsed or compiled once outside the timed loop, and its result is checked
// before timing starts so that a broken engine cannot look fast.
package bench
