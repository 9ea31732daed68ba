package runtime_test

import (
	"testing"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// TestBindLeavesArgumentsAlone: binding no longer copies a call's
// arguments, so it must not write them either — keywords passed to a
// function without keyword parameters are read as strings, not rewritten
// in the caller's slice — and a component rendered in tail position of a
// mapped lambda (its arguments from the thread's block) gets its own.
func TestBindLeavesArgumentsAlone(t *testing.T) {
	env := stdlib.NewEnv()
	th := env.NewThread(nil)
	if _, err := th.EvalString("t", `(define (pair a b) (list a b))
	  (defcomp ~cell (&key v) (td v))
	  (defcomp ~row (&key items) (tr (map (fn (x) (~cell :v x)) items)))`); err != nil {
		t.Fatal(err)
	}
	pair, _ := env.Lookup("pair")
	args := []runtime.Value{runtime.KeywordArg{Name: "x"}, int64(1)}
	v, err := th.Apply(pair, args...)
	if err != nil || runtime.Print(v) != `("x" 1)` {
		t.Fatalf("(pair :x 1) = %v, %v", v, err)
	}
	if _, ok := args[0].(runtime.KeywordArg); !ok {
		t.Errorf("bind rewrote the caller's arguments: %v", args)
	}
	row, _ := env.Lookup("~row")
	items := runtime.NewList()
	for i := range 300 {
		items.Items = append(items.Items, int64(i%7))
	}
	out, err := th.RenderCall(row, runtime.KeywordArg{Name: "items"}, items)
	if err != nil {
		t.Fatal(err)
	}
	want := "<tr>"
	for i := range 300 {
		want += "<td>" + string(rune('0'+i%7)) + "</td>"
	}
	if out != want+"</tr>" {
		t.Errorf("row: %.80s…", out)
	}
}
