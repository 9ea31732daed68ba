package runtime_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

func evalErr(t *testing.T, th *runtime.Thread, src string) *runtime.Error {
	t.Helper()
	_, err := th.EvalString("limits.sx", src)
	if err == nil {
		t.Fatalf("%s: no error", src)
	}
	e, ok := err.(*runtime.Error)
	if !ok {
		t.Fatalf("%s: error %T, want *runtime.Error", src, err)
	}
	return e
}

func TestStepBudgetStopsEndlessLoop(t *testing.T) {
	th := stdlib.NewEnv().NewThread(nil)
	th.StepBudget = 50000
	e := evalErr(t, th, "(define (spin n) (spin (+ n 1)))\n(spin 0)")
	if e.Msg != "step budget exhausted" {
		t.Errorf("message %q", e.Msg)
	}
	if th.Steps() < 50000 || th.Steps() > 50010 {
		t.Errorf("stopped after %d steps, want about 50000", th.Steps())
	}
}

func TestStepBudgetCountsPrimitiveWork(t *testing.T) {
	th := stdlib.NewEnv().NewThread(nil)
	th.StepBudget = 10000
	e := evalErr(t, th, "(len (range 100000000))")
	if e.Msg != "step budget exhausted" {
		t.Errorf("message %q: a huge range must be charged to the budget", e.Msg)
	}
}

func TestContextCancelStopsEvaluation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	th := stdlib.NewEnv().NewThread(ctx)
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	e := evalErr(t, th, "(let loop ((i 0)) (loop (+ i 1)))")
	if !strings.HasPrefix(e.Msg, "evaluation cancelled") {
		t.Errorf("message %q", e.Msg)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to notice cancellation", d)
	}
}

func TestDeadlineStopsEvaluation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	th := stdlib.NewEnv().NewThread(ctx)
	e := evalErr(t, th, "(define (f) (f)) (f)")
	if !strings.Contains(e.Msg, "deadline exceeded") {
		t.Errorf("message %q", e.Msg)
	}
}

func TestDepthLimitIsAnErrorAndConfigurable(t *testing.T) {
	env := stdlib.NewEnv()
	th := env.NewThread(nil)
	if _, err := th.EvalString("d.sx", "(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1)))))"); err != nil {
		t.Fatal(err)
	}
	if v, err := th.EvalString("d.sx", "(deep 9000)"); err != nil || v != int64(9000) {
		t.Fatalf("deep 9000 = %v, %v", v, err)
	}
	e := evalErr(t, th, "(deep 10001)")
	if e.Msg != "maximum recursion depth exceeded" {
		t.Errorf("message %q", e.Msg)
	}
	th.MaxDepth = 100
	e = evalErr(t, th, "(deep 200)")
	if e.Msg != "maximum recursion depth exceeded" {
		t.Errorf("with MaxDepth 100: message %q", e.Msg)
	}
	// The thread is usable after the error.
	if v, err := th.EvalString("d.sx", "(deep 50)"); err != nil || v != int64(50) {
		t.Errorf("after error: %v, %v", v, err)
	}
}

func TestGoPanicInPrimitiveBecomesError(t *testing.T) {
	env := stdlib.NewEnv()
	env.DefinePrimitives(&runtime.Primitive{Name: "explode", MaxArgs: 0, Fn: func(*runtime.Thread, []runtime.Value) runtime.Value {
		var m map[string]int
		m["x"] = 1 // a nil map write: a Go runtime panic
		return nil
	}})
	th := env.NewThread(nil)
	e := evalErr(t, th, "(+ 1 (explode))")
	if !strings.HasPrefix(e.Msg, "internal error:") || e.GoStack == "" {
		t.Errorf("message %q, go stack kept: %v", e.Msg, e.GoStack != "")
	}
	if e.Pos.Line != 1 || e.Pos.Col != 6 {
		t.Errorf("position %v, want the (explode) call at 1:6", e.Pos)
	}
}

func TestRedefinedGlobalSeenByEarlierCode(t *testing.T) {
	env := stdlib.NewEnv()
	th := env.NewThread(nil)
	if _, err := th.EvalString("r.sx", "(define (rate) 1)\n(define (price n) (* n (rate)))"); err != nil {
		t.Fatal(err)
	}
	if v, _ := th.EvalString("r.sx", "(price 10)"); v != int64(10) {
		t.Fatalf("price = %v", v)
	}
	if _, err := th.EvalString("r.sx", "(define (rate) 3)"); err != nil {
		t.Fatal(err)
	}
	if v, _ := th.EvalString("r.sx", "(price 10)"); v != int64(30) {
		t.Errorf("after redefining rate, price = %v, want 30", v)
	}
}

func TestSharedEnvConcurrentThreads(t *testing.T) {
	env := stdlib.NewEnv()
	setup := env.NewThread(nil)
	if _, err := setup.EvalString("c.sx", `
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(defcomp ~cell (&key v) (td (str v)))`); err != nil {
		t.Fatal(err)
	}
	form, err := runtime.ReadOne("c.sx", "(tr (map (fn (i) (~cell :v (fib i))) (range 10)))")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th := env.NewThread(nil)
			for i := 0; i < 20; i++ {
				html, err := th.RenderHTML(form)
				if err != nil {
					errs <- err
					return
				}
				if !strings.HasSuffix(html, "<td>21</td><td>34</td></tr>") {
					errs <- &runtime.Error{Msg: "wrong html " + html}
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
