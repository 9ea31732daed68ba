package repl

import (
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// value evaluates SX source to a value.
func value(t *testing.T, src string) runtime.Value {
	t.Helper()
	v, err := stdlib.NewEnv().NewThread(nil).EvalString("test", src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return v
}

func TestPrinterFlatMatchesPrint(t *testing.T) {
	for _, src := range []string{
		`nil`, `true`, `42`, `-3.5`, `3.0`, `"a\"b\\c\nd"`, `(quote :kw)`, `(quote sym)`,
		`(list)`, `{}`, `(list 1 "two" (list 3))`, `{:a 1 "b c" 2 :d {:e (list)}}`,
		`(parse-datetime "2026-03-04T10:00:00Z")`, `(fn (x) x)`, `map`,
	} {
		v := value(t, src)
		if got, want := (Printer{}).Format(v), runtime.Print(v); got != want {
			t.Errorf("%s: Format %q, Print %q", src, got, want)
		}
	}
}

func TestPrinterWrapsLongLists(t *testing.T) {
	v := value(t, `(list {:name "Ada" :langs (list "analytical engine notes" "tables")} {:name "Grace" :langs (list "COBOL")})`)
	got := Printer{Width: 40}.Format(v)
	want := `({:name "Ada"
  :langs ("analytical engine notes"
          "tables")}
 {:name "Grace" :langs ("COBOL")})`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// A list of atoms fills lines.
	got = Printer{Width: 20}.Format(value(t, `(range 12)`))
	want = "(0 1 2 3 4 5 6 7 8 9\n 10 11)"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestPrinterOutputReadsBack(t *testing.T) {
	src := `(list {:a (range 30) :b {:c "x y" :d (list 1.5 true nil (quote :k))}} "s" (list (list 1 2) (list 3 (list 4 5 (range 20)))))`
	v := value(t, src)
	for _, w := range []int{10, 25, 40, 80, 200} {
		out := Printer{Width: w}.Format(v)
		back, err := runtime.ReadOne("out", out)
		if err != nil {
			t.Fatalf("width %d: %v\n%s", w, err, out)
		}
		// Read keeps dicts' keyword keys as keywords until evaluated.
		ev, err := stdlib.NewEnv().NewThread(nil).Eval(runtime.NewList(runtime.Intern("quote"), back))
		if err != nil {
			t.Fatal(err)
		}
		if runtime.Print(ev) != runtime.Print(v) {
			t.Errorf("width %d: reads back as %s", w, runtime.Print(ev))
		}
		for _, line := range strings.Split(out, "\n") {
			if len(line) > w && w >= 40 {
				t.Errorf("width %d: line too long: %q", w, line)
			}
		}
	}
}

func TestPrinterElides(t *testing.T) {
	p := Printer{MaxItems: 5, MaxDepth: 3, MaxString: 10}
	cases := map[string]string{
		`(range 8)`:                                     "(0 1 2 3 4 … 3 more)",
		`{:a 1 :b 2 :c 3 :d 4 :e 5 :f 6 :g 7}`:          "{:a 1 :b 2 :c 3 :d 4 :e 5 … 2 more}",
		`(list 1 (list 2 (list 3 (list 4))))`:           "(1 (2 (3 (…))))",
		`"abcdefghijklmnop"`:                            `"abcdefghij"… (6 more characters)`,
		`(do (define l (list 1)) (append! l l) l)`:      "(1 (…))",
		`(do (define d {:a 1}) (dict-set! d "me" d) d)`: "{:a 1 :me {…}}",
	}
	for src, want := range cases {
		if got := p.Format(value(t, src)); got != want {
			t.Errorf("%s: got %q, want %q", src, got, want)
		}
	}
	// The node budget bounds any value.
	out := Printer{MaxNodes: 50}.Format(value(t, `(map (fn (i) (range 20)) (range 20))`))
	if !strings.Contains(out, "more") || strings.Count(out, " ") > 200 {
		t.Errorf("budget not applied:\n%s", out)
	}
}
