package runtime_test

import (
	"testing"

	"github.com/rose-ash/sxhost/runtime"
)

// Arithmetic loops over each representation, for the before/after figures
// in docs/benchmarks.md: decimals must not slow ints and floats down, and
// their own cost is read against the float loop of the same run.

func benchLoop(b *testing.B, src string) {
	env := runtime.NewEnv()
	th := env.NewThread(nil)
	if _, err := th.EvalString("bench", src); err != nil {
		b.Fatal(err)
	}
	fn, _ := env.Lookup("run")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := th.Apply(fn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkArithInt(b *testing.B) {
	benchLoop(b, `(define run (fn () (let loop ((i 0) (acc 0)) (if (< i 100000) (loop (+ i 1) (+ acc (* i 3))) acc))))`)
}

func BenchmarkArithFloat(b *testing.B) {
	benchLoop(b, `(define run (fn () (let loop ((i 0) (acc 0.5)) (if (< i 100000) (loop (+ i 1) (+ (* acc 0.999) 1.25)) acc))))`)
}

func BenchmarkArithFloatCompare(b *testing.B) {
	benchLoop(b, `(define run (fn () (let loop ((i 0) (x 0.5) (n 0)) (if (< i 100000) (loop (+ i 1) (+ x 0.25) (if (< x 1000.5) (+ n 1) n)) n))))`)
}

func BenchmarkArithDecimal(b *testing.B) {
	benchLoop(b, `(define run (fn () (let loop ((i 0) (acc 0.5m)) (if (< i 100000) (loop (+ i 1) (+ acc (* i 3.20m))) acc))))`)
}

func BenchmarkArithDecimalSum(b *testing.B) {
	benchLoop(b, `(define run (fn () (let loop ((i 0) (acc 0.00m)) (if (< i 100000) (loop (+ i 1) (+ acc 3.20m)) acc))))`)
}

func BenchmarkArithFloatSum(b *testing.B) {
	benchLoop(b, `(define run (fn () (let loop ((i 0) (acc 0.0)) (if (< i 100000) (loop (+ i 1) (+ acc 3.2)) acc))))`)
}
