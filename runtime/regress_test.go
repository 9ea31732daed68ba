package runtime_test

import (
	"testing"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// Regressions: each case is a program that once went wrong, with its answer.
func TestRegressions(t *testing.T) {
	cases := []struct{ name, src, want string }{
		// The two tail-call markers were zero-size values sharing one
		// address, so a plain tail call looked like a self tail call.
		{"tail call to a primitive", `(define g (fn (d) (get d :ok))) (g {:ok 1})`, "1"},
		{"named let in tail position of a function",
			`(define (f) (let loop ((i 0)) (if (< i 5) (loop (+ i 1)) i))) (f)`, "5"},
		{"user function named like an SVG tag", `(define (g i) (if (< i 5) (g (+ i 1)) i)) (g 0)`, "5"},
		{"component parameter named like a tag", `(defcomp ~t (&key title) (title title)) (render-to-html '(~t :title "x"))`, `"<title>x</title>"`},
		{"positional defaults", `((fn (a (b :int 2)) (+ a b)) 1)`, "3"},
		{"SVG filter element beside the filter function",
			`(render-to-html '(svg (filter :id "f") (g (filter (fn (x) (> x 1)) (list 1 2 3)))))`,
			`"<svg><filter id=\"f\"></filter><g>23</g></svg>"`},
	}
	for _, c := range cases {
		th := stdlib.NewEnv().NewThread(nil)
		v, err := th.EvalString(c.name, c.src)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := runtime.Print(v); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

// A quote before a closing bracket can never be completed by more input, so
// a REPL must report it rather than wait.
func TestIncompleteOnlyAtEndOfInput(t *testing.T) {
	for src, want := range map[string]bool{"(list 1": true, `"abc`: true, "(list '": true, "(list ')": false, "(list 1))": false} {
		_, err := runtime.Read("r.sx", src)
		if err == nil {
			t.Fatalf("%q: no error", src)
		}
		if got := runtime.IsIncomplete(err); got != want {
			t.Errorf("IsIncomplete(%q: %v) = %v, want %v", src, err, got, want)
		}
	}
}
