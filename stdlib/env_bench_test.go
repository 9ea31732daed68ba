package stdlib

import "testing"

// BenchmarkNewEnv is what every `sx eval` does before reading its program
// (docs/benchmarks.md, start-up): -cpuprofile shows where it goes.
func BenchmarkNewEnv(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewEnv()
	}
}

// BenchmarkNewLazyEnv is what `sx eval` builds (the SX library deferred).
func BenchmarkNewLazyEnv(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewLazyEnv()
	}
}
