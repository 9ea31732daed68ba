package runtime_test

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// Seed corpora live in testdata/fuzz/FuzzRead and testdata/fuzz/FuzzEval;
// any crasher the fuzzer finds is saved there and becomes a regression test.

// FuzzRead: the reader never panics, every error is a *runtime.Error with a
// position inside the input, and every form that reads prints to text that
// reads back to an equal form (§0.13).
func FuzzRead(f *testing.F) {
	f.Add("(a b)")
	f.Add(`{:a 1 "b" [2 3]}`)
	f.Fuzz(func(t *testing.T, src string) {
		forms, err := runtime.Read("fuzz.sx", src)
		if err != nil {
			e, ok := err.(*runtime.Error)
			if !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			lines := strings.Count(src, "\n") + 1
			if e.Pos.File != "fuzz.sx" || e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 {
				t.Fatalf("error %q at %s, outside the input (%d lines)", e.Msg, e.Pos, lines)
			}
			return
		}
		for _, form := range forms {
			p := runtime.Print(form)
			back, err := runtime.Read("again.sx", p)
			if err != nil {
				t.Fatalf("form printed as %s does not read back: %v", clip(p), err)
			}
			if len(back) != 1 {
				t.Fatalf("form printed as %s reads back as %d forms", clip(p), len(back))
			}
			// NaN equals nothing, itself included: a form holding #nan
			// must at least print the same again.
			same := runtime.Equal(form, back[0]) ||
				(strings.Contains(p, "#nan") && runtime.Print(back[0]) == p)
			if !same {
				t.Fatalf("form printed as %s reads back as %s", clip(p), clip(runtime.Print(back[0])))
			}
		}
	})
}

// fuzzEvalBudget is the step budget of each evaluation under FuzzEval.
const fuzzEvalBudget = 10000

// hangLimit is how long an evaluation with a 2 s deadline may take before
// the fuzz target calls it a hang (generous: the machine may be loaded).
const hangLimit = 15 * time.Second

// FuzzEval: evaluating any text never lets a Go panic escape, never hangs
// (a step budget and a 2 s deadline bound it), and every failure is a
// *runtime.Error. The last form is also rendered to HTML and to the wire
// format, each on a fresh thread with its own budget.
func FuzzEval(f *testing.F) {
	f.Add("(+ 1 2)")
	f.Add(`(div :class "a" (map (fn (x) (li x)) (list 1 2)))`)
	f.Fuzz(func(t *testing.T, src string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var problems []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if r := recover(); r != nil {
					problems = append(problems, fmt.Sprintf("Go panic escaped: %v\n%s", r, debug.Stack()))
				}
			}()
			problems = append(problems, fuzzEvalOnce(ctx, src)...)
		}()
		select {
		case <-done:
		case <-time.After(hangLimit):
			t.Fatalf("evaluation still running after %v (deadline 2s, budget %d steps)", hangLimit, fuzzEvalBudget)
		}
		for _, p := range problems {
			t.Error(p)
		}
	})
}

// fuzzEvalOnce evaluates src in a fresh environment and returns what went
// wrong beyond ordinary SX errors.
func fuzzEvalOnce(ctx context.Context, src string) []string {
	var problems []string
	checkErr := func(what string, err error) {
		if err == nil {
			return
		}
		if _, ok := err.(*runtime.Error); !ok {
			problems = append(problems, fmt.Sprintf("%s: error of type %T: %v", what, err, err))
		}
	}
	env := stdlib.NewEnv()
	thread := func() *runtime.Thread {
		th := env.NewThread(ctx)
		th.StepBudget = fuzzEvalBudget
		th.Out = io.Discard
		return th
	}
	v, err := thread().EvalString("fuzz.sx", src)
	checkErr("eval", err)
	if err == nil {
		_ = runtime.Print(v)
	}
	forms, err := runtime.Read("fuzz.sx", src)
	if err != nil || len(forms) == 0 {
		return problems
	}
	last := forms[len(forms)-1]
	_, err = thread().RenderHTML(last)
	checkErr("render-html", err)
	wire, err := thread().RenderWire(last)
	checkErr("render-wire", err)
	if err == nil {
		// The client reads what the server sends: wire output is always
		// well-formed SX, whatever names or values the program made.
		if _, rerr := runtime.Read("wire.sx", wire); rerr != nil {
			problems = append(problems, fmt.Sprintf("wire output %s does not read: %v", clip(wire), rerr))
		}
	}
	return problems
}
