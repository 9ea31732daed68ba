package core

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
)

// The language tests in testdata/prims_*.sx cover behaviour; these tests
// guard the tables themselves and what SX scripts cannot observe.

// runtimeOwned are names the runtime defines; a primitive here must not
// replace them.
var runtimeOwned = map[string]bool{}

func init() {
	for _, n := range runtime.NewEnv().Globals() {
		runtimeOwned[n] = true
	}
}

func TestTables(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Primitives() {
		switch {
		case p.Name == "" || p.Fn == nil:
			t.Errorf("primitive %q has no name or function", p.Name)
		case seen[p.Name]:
			t.Errorf("%s is defined twice", p.Name)
		case runtimeOwned[p.Name]:
			t.Errorf("%s is owned by the runtime", p.Name)
		case p.Doc == "" || !strings.HasPrefix(p.Params, "(") || !strings.HasSuffix(p.Params, ")"):
			t.Errorf("%s needs a doc and a parenthesised parameter list", p.Name)
		case p.MaxArgs != -1 && p.MaxArgs < p.MinArgs:
			t.Errorf("%s: MaxArgs %d < MinArgs %d", p.Name, p.MaxArgs, p.MinArgs)
		case p.IO:
			t.Errorf("%s: core primitives are pure", p.Name)
		}
		// In head position a tag name is an element, not a call, so such a
		// primitive could never be called by name.
		if runtime.IsTag(p.Name) && p.Name != "map" && p.Name != "filter" {
			t.Errorf("%s is also an HTML/SVG tag", p.Name)
		}
		seen[p.Name] = true
	}
}

func eval(t *testing.T, src string) (string, string) {
	t.Helper()
	env := runtime.NewEnv()
	env.DefinePrimitives(Primitives()...)
	th := env.NewThread(nil)
	var out strings.Builder
	th.Out = &out
	v, err := th.EvalString("test", src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return runtime.Print(v), out.String()
}

func TestPrint(t *testing.T) {
	for _, c := range []struct{ src, out string }{
		{`(print "a" 1 nil (list "b" 2.5) true)`, `a 1  ("b" 2.5) true`},
		{`(println "x")`, "x\n"},
		{`(println)`, "\n"},
		{`(print)`, ""},
		{`(do (print "a") (println "b") (print (quote :k)))`, "ab\nk"},
	} {
		v, out := eval(t, c.src)
		if v != "nil" || out != c.out {
			t.Errorf("%s: got %s and output %q, want nil and %q", c.src, v, out, c.out)
		}
	}
}

func TestPrintWithoutOutput(t *testing.T) {
	th := &runtime.Thread{}
	if v := printFn(th, []Value{"x"}); v != nil {
		t.Errorf("print returned %v", v)
	}
}

func TestDecimalString(t *testing.T) {
	for _, c := range []struct {
		f      float64
		places int
		want   string
	}{
		{0, 2, "0.00"}, {1.005, 2, "1.01"}, {-0.5, 0, "-1"}, {0.05, 1, "0.1"},
		{123.456, 1, "123.5"}, {99.99, 1, "100.0"}, {1e-10, 3, "0.000"},
		{-1e-10, 3, "0.000"}, {5e-5, 4, "0.0001"}, {12345.678, 0, "12346"},
		{1e20, 2, "100000000000000000000.00"}, {0.125, 2, "0.13"},
	} {
		if got := decimalString(c.f, c.places); got != c.want {
			t.Errorf("decimalString(%v, %d) = %q, want %q", c.f, c.places, got, c.want)
		}
	}
}

// call runs a primitive directly, turning an SX error into a Go error.
func call(p *runtime.Primitive, args ...Value) (v Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*runtime.Error)
			if !ok {
				panic(r) // a Go panic escaping a primitive is a bug
			}
			err = e
		}
	}()
	return p.Fn(&runtime.Thread{}, args), nil
}

func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x\u00e9"],"b":null}`, `[`, `"\ud800"`, `-0.0e+1`, `{"a":}`, `01`, "\"\x01\""} {
		f.Add(s)
	}
	dec, enc := findPrim("json-decode"), findPrim("json-encode")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := call(dec, s)
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode back to an equal value.
		text, err := call(enc, v)
		if err != nil {
			t.Fatalf("encode of decoded %q: %v", s, err)
		}
		w, err := call(dec, text)
		if err != nil || !runtime.Equal(v, w) {
			t.Fatalf("round trip of %q: %v, %v", s, w, err)
		}
	})
}

func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{"2026-03-04", "2026-03-04T10:00:00.5+01:00", "2026-02-29", "2026-03-04 10:00Z", "x"} {
		f.Add(s)
	}
	p := findPrim("parse-datetime")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = call(p, s)
	})
}

func findPrim(name string) *runtime.Primitive {
	for _, p := range Primitives() {
		if p.Name == name {
			return p
		}
	}
	panic("no primitive " + name)
}

// url-encode writes what url.QueryEscape wrote (with %20 for a space), on
// every byte alone and on random strings: it no longer calls net/url, which
// sx does not link for its start-up.
func TestURLEncodeMatchesQueryEscape(t *testing.T) {
	want := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var inputs []string
	for c := 0; c < 256; c++ {
		inputs = append(inputs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"Z")
	}
	r := rand.New(rand.NewPCG(7, 9))
	for i := 0; i < 2000; i++ {
		b := make([]byte, r.IntN(24))
		for j := range b {
			b[j] = byte(r.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	inputs = append(inputs, "", "café & crème", "a+b=c/d?e#f", "日本語")
	for _, s := range inputs {
		got, err := call(findPrim("url-encode"), s)
		if err != nil {
			t.Fatal(err)
		}
		if got != want(s) {
			t.Fatalf("url-encode %q = %q, want %q", s, got, want(s))
		}
	}
}
