package runtime_test

import (
	"math"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// Variables, not constants, so that Go does not fold the arithmetic exactly.
var tenth, oneF = 0.1, 1.0

func dictOf(kv ...runtime.Value) *runtime.Dict {
	d := runtime.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1])
	}
	return d
}

// TestPrintValues pins the printed form of every kind of value (§0.13).
func TestPrintValues(t *testing.T) {
	sym := runtime.Intern
	cases := []struct {
		name string
		v    runtime.Value
		want string
	}{
		{"nil", nil, "nil"},
		{"true", true, "true"},
		{"false", false, "false"},
		{"int", int64(42), "42"},
		{"negative int", int64(-3), "-3"},
		{"max int", int64(math.MaxInt64), "9223372036854775807"},
		{"min int", int64(math.MinInt64), "-9223372036854775808"},
		{"float", 2.5, "2.5"},
		{"negative float", -0.5, "-0.5"},
		{"integral float", 3.0, "3"},
		{"negative integral float", -2.0, "-2"},
		{"hundred", 100.0, "100"},
		{"shortest float", 0.1, "0.1"},
		{"shortest sum", tenth + 2*tenth, "0.30000000000000004"},
		{"third", 1 / (3 * oneF), "0.3333333333333333"},
		{"integral float of a million", 1e6 * oneF, "1000000"},
		{"string", "abc", `"abc"`},
		{"empty string", "", `""`},
		{"newline", "a\nb", `"a\nb"`},
		{"tab", "a\tb", `"a\tb"`},
		{"quote", `say "hi"`, `"say \"hi\""`},
		{"backslash", `a\b`, `"a\\b"`},
		{"unicode", "café ✓ 😀", `"café ✓ 😀"`},
		{"keyword", runtime.Keyword{Name: "k"}, ":k"},
		{"htmx keyword", runtime.Keyword{Name: "hx-on::click"}, ":hx-on::click"},
		{"symbol", sym("foo?"), "foo?"},
		{"component symbol", sym("~card"), "~card"},
		{"empty list", runtime.NewList(), "()"},
		{"list", runtime.NewList(sym("a"), int64(1), "s", nil, true), `(a 1 "s" nil true)`},
		{"nested list", runtime.NewList(runtime.NewList(), runtime.NewList(runtime.NewList(int64(1)))), "(() ((1)))"},
		{"empty dict", runtime.NewDict(0), "{}"},
		{"dict in insertion order", dictOf("b", int64(2), "a", int64(1)), "{:b 2 :a 1}"},
		{"dict key with a space", dictOf("a b", int64(1)), `{"a b" 1}`},
		{"dict empty key", dictOf("", int64(1)), `{"" 1}`},
		{"dict key with a paren", dictOf("a(b", int64(1)), `{"a(b" 1}`},
		{"dict key with a quote", dictOf(`a"b`, int64(1)), `{"a\"b" 1}`},
		{"nested dict", dictOf("a", runtime.NewList(int64(1)), "b", dictOf("c", "d")), `{:a (1) :b {:c "d"}}`},
		{"datetime", time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), `#datetime "2026-03-04T10:00:00Z"`},
	}
	for _, c := range cases {
		if got := runtime.Print(c.v); got != c.want {
			t.Errorf("%s: Print = %s, want %s", c.name, got, c.want)
		}
	}
}

// TestPrintCallables checks <lambda NAME>, <macro NAME>, <component ~NAME>.
func TestPrintCallables(t *testing.T) {
	th := stdlib.NewEnv().NewThread(nil)
	src := `(define (sq x) (* x x))
(define named (fn (x) x))
(defmacro my-mac (x) x)
(defcomp ~my-card (&key title) (div title))`
	if _, err := th.EvalString("callables.sx", src); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"sq":       "<lambda sq>",
		"named":    "<lambda named>",
		"my-mac":   "<macro my-mac>",
		"~my-card": "<component ~my-card>",
	} {
		v, ok := th.Env.Lookup(name)
		if !ok {
			t.Errorf("%s not defined", name)
			continue
		}
		if got := runtime.Print(v); got != want {
			t.Errorf("Print(%s) = %s, want %s", name, got, want)
		}
	}
	anon, err := th.EvalString("anon.sx", "(fn (x) x)")
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.Print(anon); !strings.HasPrefix(got, "<lambda") || !strings.HasSuffix(got, ">") {
		t.Errorf("anonymous lambda printed %s", got)
	}
}

// TestPrintFloatsReadBack checks that floats print in a form that reads back
// to the same value, and integral floats print without a fraction.
func TestPrintFloatsReadBack(t *testing.T) {
	floats := []float64{
		0.1, 0.2, tenth + 2*tenth, oneF / 3, 2 * oneF / 3, 1e-7, 1e-300, 5e-324,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789.123456789,
		1e21, 1e22, 1.5e300, -2.5, 3.0, 1e15 + 0.5, 4503599627370497.0,
		math.Copysign(0, -1), 0.0, 100.0, 9007199254740993.0, 1e6, 1234567.0, -5e5,
	}
	for _, f := range floats {
		s := runtime.Print(f)
		v, err := runtime.ReadOne("float.sx", s)
		if err != nil {
			t.Errorf("Print(%v) = %s, which does not read: %v", f, s, err)
			continue
		}
		g, ok := runtime.ToFloat(v)
		if !ok || g != f {
			t.Errorf("Print(%v) = %s reads back as %v", f, s, v)
		}
		// An integral float prints like an int: 3.0 prints 3, and a
		// million prints 1000000, not 1e+06 (exponents only for huge values).
		if f == math.Trunc(f) && f != 0 && math.Abs(f) < 1e15 {
			if want := strconv.FormatInt(int64(f), 10); s != want {
				t.Errorf("integral float %v printed as %s, want %s", f, s, want)
			}
		}
	}
}

// roundTripSources are programs and data whose forms must survive
// print-then-read unchanged.
var roundTripSources = []string{
	`(define (f x) (if (> x 0) "pos" "neg"))`,
	`(defcomp ~card (&key title &rest children) (div :class "card" (h2 title) children))`,
	`{:a 1 :b "two" :c (3 4) "d e" {:f nil}}`,
	`"esc: \n \t \" \\ \u00e9 \ud83d\ude00"`,
	"\"ctl \\u0001 \\u007f \\r\"",
	`(quasiquote (a (unquote b) (splice-unquote c)))`,
	"`(a ,b ,@c) 'x",
	`[1 2.5 -3 1e3 0.001 9223372036854775807]`,
	`(:hx-on::click ~layouts/header &key -> foo? set! <>)`,
	`(true false nil () {})`,
	`#datetime "2026-03-04T10:00:00Z"`,
	`#datetime "2026-03-04T10:00:00.123456789+02:00"`,
	`{"" 1 ":x" 2 "a;b" 3 "#;" 4}`,
	`(a #;(skipped) b ; comment
	   c)`,
}

func TestPrintReadRoundTrip(t *testing.T) {
	for _, src := range roundTripSources {
		forms := readAll(t, src)
		for _, f := range forms {
			p := runtime.Print(f)
			back, err := runtime.ReadOne("rt.sx", p)
			if err != nil {
				t.Errorf("%q printed as %s, which does not read: %v", src, p, err)
				continue
			}
			if !runtime.Equal(f, back) {
				t.Errorf("%q: %s reads back as %s", src, p, runtime.Print(back))
			}
			if p2 := runtime.Print(back); p2 != p {
				t.Errorf("%q: printing is not stable: %s then %s", src, p, p2)
			}
		}
	}
}

// TestPrintEvaluatedDataReadsBack evaluates expressions and checks that the
// printed values read back equal (§0.13: what sx eval prints that is data).
func TestPrintEvaluatedDataReadsBack(t *testing.T) {
	exprs := []string{
		`(list 1 2.5 "x" nil true false)`,
		`{:a (list 1 2) :b {:c "d"}}`,
		`(dict "a b" 1 "" 2)`,
		`(str "line1" (char-from-code 10) "tab" (char-from-code 9) "nul" (char-from-code 0))`,
		`(/ 10 4)`,
		`(/ 1 3)`,
		`(* 1.0 1e20)`,
		`(quote (a :b "c" (d)))`,
		`(map (fn (x) (* x x)) (range 5))`,
		`(parse-datetime "2026-03-04T10:00:00Z")`,
		`(keys {:z 1 :y 2})`,
		`(split "a,b,,c" ",")`,
	}
	th := stdlib.NewEnv().NewThread(nil)
	for _, src := range exprs {
		v, err := th.EvalString("data.sx", src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		p := runtime.Print(v)
		back, err := runtime.ReadOne("data.sx", p)
		if err != nil {
			t.Errorf("%s printed as %s, which does not read: %v", src, p, err)
			continue
		}
		// Read data is unevaluated: a printed list reads back as the same
		// list, a dict as a dict of the same (literal) values.
		if !runtime.Equal(v, back) {
			t.Errorf("%s printed as %s reads back as %s", src, p, runtime.Print(back))
		}
	}
}

// TestFloatTextLikeJavaScript pins the float text the browser runtime must
// produce too: JavaScript's Number.prototype.toString for finite values.
func TestFloatTextLikeJavaScript(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{1234567.5, "1234567.5"}, {1e-7, "1e-7"}, {1e-6, "0.000001"}, {1.5e-6, "0.0000015"},
		{123e-9, "1.23e-7"}, {1e20, "100000000000000000000"}, {1e21, "1e+21"},
		{1.2345e22, "1.2345e+22"}, {-2.5e-10, "-2.5e-10"}, {tenth + 2*tenth, "0.30000000000000004"},
		{math.Copysign(0, -1), "0"}, {5e-324, "5e-324"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{1e100, "1e+100"}, {999999999999999900000, "999999999999999900000"},
	}
	for _, c := range cases {
		if got := runtime.FormatFloat(c.f); got != c.want {
			t.Errorf("FormatFloat(%v) = %s, want %s", c.f, got, c.want)
		}
	}
	for f, want := range map[float64]string{math.Inf(1): "#inf", math.Inf(-1): "#-inf", math.NaN(): "#nan"} {
		if got := runtime.Print(f); got != want {
			t.Errorf("Print(%v) = %s, want %s", f, got, want)
		}
	}
}

// TestDictDeleteLinear: deleting every key of a large dict allocates in
// proportion to its size, not to its square (each delete used to copy the
// remaining keys).
func TestDictDeleteLinear(t *testing.T) {
	const n = 5000
	d := runtime.NewDict(n)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
		d.Set(keys[i], int64(i))
	}
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	for _, k := range keys {
		d.Delete(k)
	}
	goruntime.ReadMemStats(&after)
	if d.Len() != 0 || len(d.Keys()) != 0 {
		t.Fatalf("after deleting every key: Len %d, Keys %d", d.Len(), len(d.Keys()))
	}
	// Quadratic copying would allocate about n*n/2 key headers (200 MB here).
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(64*n); got > limit {
		t.Errorf("deleting %d keys allocated %d bytes, want at most %d", n, got, limit)
	}
}
