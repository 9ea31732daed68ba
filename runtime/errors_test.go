package runtime_test

import (
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// evalError evaluates src in a fresh environment and returns the error.
func evalError(t *testing.T, src string) *runtime.Error {
	t.Helper()
	th := stdlib.NewEnv().NewThread(nil)
	th.Out = &strings.Builder{}
	v, err := th.EvalString("e.sx", src)
	if err == nil {
		t.Fatalf("%s: no error, got %s", clip(src), runtime.Print(v))
	}
	e, ok := err.(*runtime.Error)
	if !ok {
		t.Fatalf("%s: error of type %T, want *runtime.Error", clip(src), err)
	}
	return e
}

// TestErrorPositions checks that an error carries the position of the
// innermost list (form) that failed (§0.8).
func TestErrorPositions(t *testing.T) {
	cases := []struct {
		name, src, msg string
		line, col      int
	}{
		{"undefined symbol in a body", "(define (inner x)\n  (+ x undefined-thing))\n(inner 1)",
			"Undefined symbol: undefined-thing", 2, 3},
		{"undefined function", "(define (inner x)\n  (+ x (nope 1)))\n(list (inner 1))",
			"Undefined symbol: nope", 2, 8},
		{"undefined symbol at top level", "\n  x-undefined", "Undefined symbol: x-undefined", 0, 0},
		{"not callable", "(list 1)\n (1 2)", "Not callable: 1", 2, 2},
		{"arity", "(define (f a b) a)\n(f 1)", "f expects 2 arguments, got 1", 2, 1},
		{"division by zero", "(define (f x)\n  (/ x 0))\n\n  (f 1)", "division by zero", 2, 3},
		{"mod by zero", "(list\n  (mod 3 0))", "division by zero", 2, 3},
		{"error call", "(define (f x)\n  (error \"custom\"))\n(f 1)", "custom", 2, 3},
		{"unknown tag inside a component", "(defcomp ~c (&key x)\n  (div (bogus-tag x)))\n(render-to-html '(~c :x 1))",
			"Undefined symbol: bogus-tag", 2, 8},
		{"special form arity", "(list 1)\n(if)", "if expects", 2, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := evalError(t, c.src)
			if !strings.HasPrefix(e.Msg, c.msg) {
				t.Errorf("message %q, want %q", e.Msg, c.msg)
			}
			if e.Pos.File != "e.sx" {
				t.Errorf("file %q, want e.sx (position %s)", e.Pos.File, e.Pos)
			}
			if c.line != 0 && (e.Pos.Line != c.line || e.Pos.Col != c.col) {
				t.Errorf("position %d:%d, want %d:%d", e.Pos.Line, e.Pos.Col, c.line, c.col)
			}
			if !strings.Contains(e.Error(), c.msg) {
				t.Errorf("Error() = %q lacks the message", e.Error())
			}
		})
	}
}

// TestErrorBacktrace checks the SX backtrace: the functions on the way to the
// error, innermost first, each with the position it was called from.
func TestErrorBacktrace(t *testing.T) {
	src := "(define (c) (error \"x\"))\n" +
		"(define (b) (list (c)))\n" +
		"(define (a) (list (b)))\n" +
		"(a)"
	e := evalError(t, src)
	if e.Msg != "x" {
		t.Fatalf("message %q", e.Msg)
	}
	var names []string
	for _, tr := range e.Trace {
		names = append(names, tr.Name)
	}
	if len(e.Trace) < 3 || names[0] != "c" || names[1] != "b" || names[2] != "a" {
		t.Fatalf("trace %v, want c, b, a first", names)
	}
	wantLines := []int{2, 3, 4}
	for i, l := range wantLines {
		if e.Trace[i].Pos.Line != l || e.Trace[i].Pos.File != "e.sx" {
			t.Errorf("frame %s called from %s, want e.sx line %d", names[i], e.Trace[i].Pos, l)
		}
	}
	bt := e.Backtrace()
	for _, n := range []string{"c", "b", "a"} {
		if !strings.Contains(bt, n) {
			t.Errorf("Backtrace() lacks %s:\n%s", n, bt)
		}
	}
}

func TestErrorBacktraceNamesComponents(t *testing.T) {
	e := evalError(t, "(defcomp ~broken (&key x)\n  (div (error \"in component\")))\n(render-to-html '(div (~broken :x 1)))")
	found := false
	for _, tr := range e.Trace {
		if tr.Name == "~broken" {
			found = true
			if tr.Pos.Line != 3 {
				t.Errorf("~broken called from %s, want line 3", tr.Pos)
			}
		}
	}
	if !found {
		t.Errorf("trace %v lacks ~broken", e.Trace)
	}
}

func TestErrorBacktraceOfDeepRecursionIsBounded(t *testing.T) {
	e := evalError(t, "(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1)))))\n(deep 100000)")
	if e.Msg != "maximum recursion depth exceeded" {
		t.Fatalf("message %q", e.Msg)
	}
	if len(e.Trace) == 0 || len(e.Trace) > 200 {
		t.Errorf("trace has %d frames, want a bounded, non-empty trace", len(e.Trace))
	}
	if len(e.Backtrace()) > 20000 {
		t.Errorf("backtrace text is %d bytes", len(e.Backtrace()))
	}
}

// TestErrorValueRaisedByError checks (error v) with a non-string value.
func TestErrorValueRaisedByError(t *testing.T) {
	e := evalError(t, `(error {:code 404})`)
	if !strings.Contains(e.Msg, "404") {
		t.Errorf("message %q lacks the value", e.Msg)
	}
}

// TestEvaluationContinuesAfterError checks that a thread is usable after an
// error at any depth.
func TestEvaluationContinuesAfterError(t *testing.T) {
	th := stdlib.NewEnv().NewThread(nil)
	for _, bad := range []string{
		"(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1))))) (deep 50000)",
		"(map (fn (x) (error \"in map\")) (list 1 2))",
		"(render-to-html '(div (~nope)))",
		"(+ 1 \"a\")",
	} {
		if _, err := th.EvalString("bad.sx", bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
		v, err := th.EvalString("good.sx", "(define (sum n acc) (if (= n 0) acc (sum (- n 1) (+ acc n)))) (sum 100 0)")
		if err != nil || runtime.Print(v) != "5050" {
			t.Fatalf("after %q: got %v, %v", bad, v, err)
		}
	}
}

// TestWireExpandsIOComponents checks §13: components that reach an I/O
// primitive, directly or through other components and functions, are
// expanded on the server; pure components are sent as calls.
func TestWireExpandsIOComponents(t *testing.T) {
	env := stdlib.NewEnv()
	calls := 0
	env.DefinePrimitives(&runtime.Primitive{
		Name: "test-io/count", Params: "()", Doc: "A test I/O primitive.", MaxArgs: 0, IO: true,
		Fn: func(th *runtime.Thread, args []runtime.Value) runtime.Value { calls++; return int64(2) },
	})
	th := env.NewThread(nil)
	src := `
(defcomp ~icon (&key name) (i :class name))
(defcomp ~badge () (span :class "badge" (test-io/count)))
(defcomp ~outer (&key label) (div label (~badge)))
(define (helper) (test-io/count))
(defcomp ~via-fn () (b (helper)))
(defcomp ~pure-outer () (p (~icon :name "x")))
`
	if _, err := th.EvalString("wire.sx", src); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ form, want string }{
		{`(div (~icon :name "cart"))`, `(div (~icon :name "cart"))`},
		{`(div (~badge))`, `(div (span :class "badge" 2))`},
		{`(~outer :label "L")`, `(div "L" (span :class "badge" 2))`},
		{`(~via-fn)`, `(b 2)`},
		{`(~pure-outer)`, `(~pure-outer)`},
		{`(let ((n (test-io/count))) (div :class "badge" (~icon :name "cart") (str n)))`,
			`(div :class "badge" (~icon :name "cart") "2")`},
	}
	for _, c := range cases {
		form, err := runtime.ReadOne("form.sx", c.form)
		if err != nil {
			t.Fatal(err)
		}
		got, err := th.RenderWire(form)
		if err != nil {
			t.Errorf("%s: %v", c.form, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.form, got, c.want)
		}
	}
	if calls == 0 {
		t.Error("the I/O primitive was never called on the server")
	}
}

// TestRenderEntryPoints checks RenderHTML and RenderWire on forms built in Go
// and their errors.
func TestRenderEntryPoints(t *testing.T) {
	th := stdlib.NewEnv().NewThread(nil)
	form := runtime.NewList(runtime.Intern("p"), runtime.Keyword{Name: "class"}, "x", "a<b")
	html, err := th.RenderHTML(form)
	if err != nil || html != `<p class="x">a&lt;b</p>` {
		t.Errorf("RenderHTML = %q, %v", html, err)
	}
	wire, err := th.RenderWire(form)
	if err != nil || wire != `(p :class "x" "a<b")` {
		t.Errorf("RenderWire = %q, %v", wire, err)
	}
	bad := runtime.NewList(runtime.Intern("not-a-tag-xyz"), "x")
	if _, err := th.RenderHTML(bad); err == nil {
		t.Error("RenderHTML of an unknown tag: no error")
	} else if e, ok := err.(*runtime.Error); !ok || e.Msg != "Undefined symbol: not-a-tag-xyz" {
		t.Errorf("RenderHTML of an unknown tag: %v", err)
	}
	if _, err := th.RenderWire(bad); err == nil {
		t.Error("RenderWire of an unknown tag: no error")
	}
}
