package runtime_test

import (
	"github.com/rose-ash/sxhost/runtime"
	"testing"
)

func BenchmarkFibQuick(b *testing.B) {
	env := runtime.NewEnv()
	th := env.NewThread(nil)
	th.EvalString("f", `(define fib (fn (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))))`)
	fn, _ := env.Lookup("fib")
	for i := 0; i < b.N; i++ {
		v, err := th.Apply(fn, int64(27))
		if err != nil || v != int64(196418) {
			b.Fatal(v, err)
		}
	}
}
func BenchmarkLoopQuick(b *testing.B) {
	env := runtime.NewEnv()
	th := env.NewThread(nil)
	th.EvalString("f", `(define run (fn () (let loop ((i 0) (acc 0)) (if (< i 1000000) (loop (+ i 1) (+ acc (mod (* i i) 7))) acc))))`)
	fn, _ := env.Lookup("run")
	for i := 0; i < b.N; i++ {
		if _, err := th.Apply(fn); err != nil {
			b.Fatal(err)
		}
	}
}
