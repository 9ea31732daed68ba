package runtime_test

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// readAll reads src and fails the test on a reader error.
func readAll(t *testing.T, src string) []runtime.Value {
	t.Helper()
	forms, err := runtime.Read("t.sx", src)
	if err != nil {
		t.Fatalf("Read(%q): %v", src, err)
	}
	return forms
}

// printForms prints each form and joins them with " | ".
func printForms(forms []runtime.Value) string {
	parts := make([]string, len(forms))
	for i, f := range forms {
		parts[i] = runtime.Print(f)
	}
	return strings.Join(parts, " | ")
}

// TestReadSyntax reads every syntax element of §2 and compares the printed
// forms. Print distinguishes strings, symbols and keywords, so the expected
// text pins the type of each atom; number types are checked separately.
func TestReadSyntax(t *testing.T) {
	cases := []struct{ name, src, want string }{
		// comments
		{"line comment", "; a comment\n1 ; trailing\n2", "1 | 2"},
		{"comment inside a list", "(a ; comment )\n b)", "(a b)"},
		{"comment at end of input without newline", "x ;end", "x"},
		{"only comments", ";; nothing\n; here", ""},
		{"datum comment at top level", "#;(x y) 1", "1"},
		{"datum comment inside a list", "(a #;b c)", "(a c)"},
		{"datum comment before a close", "(a #;b)", "(a)"},
		{"datum comment with space", "(a #; (b c) d)", "(a d)"},
		{"datum comment of a nested form", "#;(a (b \"c)\" [d])) e", "e"},
		{"stacked datum comments", "#;#;a b c", "c"},
		{"datum comment skips a comment first", "#; ; note\n x y", "y"},
		{"datum comment of quote sugar", "(a #;'b c)", "(a c)"},

		// strings
		{"string", `"hello"`, `"hello"`},
		{"empty string", `""`, `""`},
		{"escape newline", `"a\nb"`, `"a\nb"`},
		{"escape tab", `"a\tb"`, `"a\tb"`},
		{"escape quote", `"say \"hi\""`, `"say \"hi\""`},
		{"escape backslash", `"a\\b"`, `"a\\b"`},
		{"unicode escape", `"caf\u00e9"`, `"café"`},
		{"unicode escape upper hex", `"\u00C9"`, `"É"`},
		{"unicode escape BMP symbol", `"\u2713"`, `"✓"`},
		{"surrogate pair", `"\ud83d\ude00"`, `"😀"`},
		{"surrogate pair upper hex", `"\uD83D\uDE00!"`, `"😀!"`},
		{"raw newline in a string", "\"a\nb\"", `"a\nb"`},
		{"semicolon in a string", `"a;b"`, `"a;b"`},
		{"parens in a string", `"(a]"`, `"(a]"`},
		{"utf-8 text", `"日本語"`, `"日本語"`},

		// numbers
		{"int", "42", "42"},
		{"negative int", "-7", "-7"},
		{"zero", "0", "0"},
		{"float", "3.14", "3.14"},
		{"negative float", "-1.5", "-1.5"},
		{"exponent", "1e-3", "0.001"},
		{"upper exponent", "1E3", "1000"},
		{"exponent with plus", "2.5e+2", "250"},
		{"max int", "9223372036854775807", "9223372036854775807"},
		{"min int", "-9223372036854775808", "-9223372036854775808"},

		// symbols
		{"plain symbol", "foo", "foo"},
		{"component symbol", "~card", "~card"},
		{"path component symbol", "~layouts/header", "~layouts/header"},
		{"namespaced component symbol", "~shared:layout/app-body", "~shared:layout/app-body"},
		{"&key", "&key", "&key"},
		{"&rest", "&rest", "&rest"},
		{"arrow", "->", "->"},
		{"predicate", "foo?", "foo?"},
		{"mutator", "set!", "set!"},
		{"operators", "+ - * / < > <= >= = !=", "+ | - | * | / | < | > | <= | >= | = | !="},
		{"minus followed by a letter", "-x", "-x"},
		{"symbol with digits and dots", "a1.b2", "a1.b2"},
		{"symbol with colon", "a:b", "a:b"},
		{"underscore", "_private", "_private"},
		{"unicode symbol", "café", "café"},
		{"fragment symbol", "<>", "<>"},
		{"fragment call", "(<> a b)", "(<> a b)"},

		// keywords
		{"keyword", ":class", ":class"},
		{"keyword with dash", ":data-id", ":data-id"},
		{"htmx keyword", ":hx-on::click", ":hx-on::click"},
		{"keyword with digits", ":h1", ":h1"},

		// literals
		{"booleans and nil", "true false nil", "true | false | nil"},
		{"literals in a list", "(true nil false)", "(true nil false)"},

		// lists
		{"empty list", "()", "()"},
		{"nested lists", "(a (b (c)) d)", "(a (b (c)) d)"},
		{"square brackets", "[1 2]", "(1 2)"},
		{"empty square brackets", "[]", "()"},
		{"mixed brackets", "(a [b (c)] d)", "(a (b (c)) d)"},
		{"no space needed around parens", "(a(b)c)", "(a (b) c)"},
		{"string next to symbol", `(a"b"c)`, `(a "b" c)`},
		{"several forms", "(a) b \"c\" :d 1", `(a) | b | "c" | :d | 1`},
		{"tabs and CRLF", "(a\tb\r\n c)", "(a b c)"},

		// dicts
		{"dict", "{:a 1 :b 2}", "{:a 1 :b 2}"},
		{"empty dict", "{}", "{}"},
		{"dict string keys", `{"a" 1 "b c" 2}`, `{:a 1 "b c" 2}`},
		{"dict values unevaluated", "{:a (x y) :b [1]}", "{:a (x y) :b (1)}"},
		{"dict in a list", "(f {:k v})", "(f {:k v})"},
		{"dict keeps first position of a repeated key", "{:a 1 :b 2 :a 3}", "{:a 3 :b 2}"},

		// quote sugar
		{"quote", "'x", "(quote x)"},
		{"quote list", "'(a b)", "(quote (a b))"},
		{"quasiquote", "`x", "(quasiquote x)"},
		{"unquote", ",x", "(unquote x)"},
		{"splice-unquote", ",@x", "(splice-unquote x)"},
		{"quasiquote template", "`(a ,b ,@c)", "(quasiquote (a (unquote b) (splice-unquote c)))"},
		{"nested quotes", "''x", "(quote (quote x))"},
		{"quote before a close", "(a 'b)", "(a (quote b))"},
		{"quote of a dict", "'{:a 1}", "(quote {:a 1})"},
		{"quote of a vector", "'[1 2]", "(quote (1 2))"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := printForms(readAll(t, c.src))
			if got != c.want {
				t.Errorf("Read(%q) = %s, want %s", c.src, got, c.want)
			}
		})
	}
}

// TestReadAtomTypes checks the Go representation of atoms: ints stay int64,
// a dot or an exponent makes a float64.
func TestReadAtomTypes(t *testing.T) {
	cases := []struct {
		src  string
		want runtime.Value
	}{
		{"42", int64(42)},
		{"-7", int64(-7)},
		{"0", int64(0)},
		{"9223372036854775807", int64(math.MaxInt64)},
		{"-9223372036854775808", int64(math.MinInt64)},
		{"3.14", 3.14},
		{"-1.5", -1.5},
		{"1e3", 1000.0},
		{"1E3", 1000.0},
		{"1e-3", 0.001},
		{"2.5e+2", 250.0},
		{"3.0", 3.0},
		{"0.5", 0.5},
		{"true", true},
		{"false", false},
		{"nil", nil},
		{`"s"`, "s"},
		{":k", runtime.Keyword{Name: "k"}},
		{":hx-on::click", runtime.Keyword{Name: "hx-on::click"}},
	}
	for _, c := range cases {
		forms := readAll(t, c.src)
		if len(forms) != 1 {
			t.Errorf("Read(%q): %d forms", c.src, len(forms))
			continue
		}
		got := forms[0]
		if got != c.want {
			t.Errorf("Read(%q) = %#v (%T), want %#v (%T)", c.src, got, got, c.want, c.want)
		}
	}
}

func TestReadSymbolsAreInterned(t *testing.T) {
	forms := readAll(t, "foo foo ~card")
	a, ok1 := forms[0].(*runtime.Symbol)
	b, ok2 := forms[1].(*runtime.Symbol)
	if !ok1 || !ok2 {
		t.Fatalf("got %T %T, want symbols", forms[0], forms[1])
	}
	if a != b || a != runtime.Intern("foo") {
		t.Errorf("the same name read twice gave different symbols")
	}
	if s, ok := forms[2].(*runtime.Symbol); !ok || s.Name != "~card" {
		t.Errorf("~card read as %#v", forms[2])
	}
}

func TestReadDictKeysAreStrings(t *testing.T) {
	forms := readAll(t, `{:a 1 "b" 2}`)
	d, ok := forms[0].(*runtime.Dict)
	if !ok {
		t.Fatalf("got %T, want *runtime.Dict", forms[0])
	}
	if got := strings.Join(d.Keys(), ","); got != "a,b" {
		t.Errorf("keys %q, want a,b", got)
	}
	if v, _ := d.Get("a"); v != int64(1) {
		t.Errorf("a = %#v", v)
	}
}

func TestReadDatetime(t *testing.T) {
	forms := readAll(t, `#datetime "2026-03-04T10:00:00Z"`)
	tm, ok := forms[0].(time.Time)
	if !ok {
		t.Fatalf("got %T, want time.Time", forms[0])
	}
	if !tm.Equal(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("got %v", tm)
	}
}

// TestReadPositions checks that every list carries the file, line and column
// of its opening bracket (§0.7).
func TestReadPositions(t *testing.T) {
	type at struct{ line, col int }
	cases := []struct {
		name string
		src  string
		// path picks a list: indexes into Items from the top-level form.
		path []int
		want at
	}{
		{"top-level list", "(a b)", nil, at{1, 1}},
		{"after leading space", "   (a)", nil, at{1, 4}},
		{"second line", "\n(a)", nil, at{2, 1}},
		{"nested list", "(a\n  (b c))", []int{1}, at{2, 3}},
		{"tab counts one column", "(a\n\t[d])", []int{1}, at{2, 2}},
		{"deeper nesting", "(a (b (c)))", []int{1, 1}, at{1, 7}},
		{"after a comment", "; hello\n  ; more\n    (x)", nil, at{3, 5}},
		{"after a datum comment", "#;(skip me)\n (x)", nil, at{2, 2}},
		{"after a multi-line string", "(f \"a\nbc\" (g))", []int{2}, at{2, 5}},
		{"columns count characters, not bytes", `(f "é" (g))`, []int{2}, at{1, 8}},
		{"CRLF line ends", "(a)\r\n(b)", nil, at{1, 1}},
		{"quote sugar takes the quote's position", "  'x", nil, at{1, 3}},
		{"quoted list keeps its own position", " '(a)", []int{1}, at{1, 3}},
		{"square brackets", "[a\n [b]]", []int{1}, at{2, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forms := readAll(t, c.src)
			v := forms[0]
			for _, i := range c.path {
				l, ok := v.(*runtime.List)
				if !ok || i >= len(l.Items) {
					t.Fatalf("path %v: not a list at %s", c.path, runtime.Print(v))
				}
				v = l.Items[i]
			}
			l, ok := v.(*runtime.List)
			if !ok {
				t.Fatalf("got %T, want a list", v)
			}
			if l.Pos.File != "t.sx" || l.Pos.Line != c.want.line || l.Pos.Col != c.want.col {
				t.Errorf("position %s, want t.sx:%d:%d", l.Pos, c.want.line, c.want.col)
			}
		})
	}
}

func TestReadPositionSecondFormAfterCRLF(t *testing.T) {
	forms := readAll(t, "(a)\r\n  (b)")
	l := forms[1].(*runtime.List)
	if l.Pos.Line != 2 || l.Pos.Col != 3 {
		t.Errorf("second form at %d:%d, want 2:3", l.Pos.Line, l.Pos.Col)
	}
}

// readError reads src expecting an error and returns it.
func readError(t *testing.T, src string) *runtime.Error {
	t.Helper()
	forms, err := runtime.Read("bad.sx", src)
	if err == nil {
		t.Fatalf("Read(%s) = %s, want an error", clip(src), clip(printForms(forms)))
	}
	e, ok := err.(*runtime.Error)
	if !ok {
		t.Fatalf("Read(%s): error of type %T, want *runtime.Error", clip(src), err)
	}
	return e
}

// clip quotes s for a failure message, shortened when long.
func clip(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:40]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

// TestReadErrors checks every reader error: its message (exact for the
// messages §0.8 fixes, otherwise a telling substring) and its position.
func TestReadErrors(t *testing.T) {
	cases := []struct {
		name      string
		src       string
		msg       string // exact message
		contains  string // or a substring, when msg is empty
		line, col int
	}{
		{"unterminated string", `"abc`, "unterminated string", "", 1, 1},
		{"unterminated string in a list", `(a "abc`, "unterminated string", "", 1, 4},
		{"unterminated string after lines", "(a)\n(b)\n  \"open\nmore", "unterminated string", "", 3, 3},
		{"unterminated string ending in a backslash", `"abc\`, "unterminated string", "", 1, 1},
		{"unterminated list", "(a b", "unterminated list", "", 1, 1},
		{"unterminated inner list", "(a (b", "unterminated list", "", 1, 4},
		{"unterminated outer list", "(a\n  (b c)", "unterminated list", "", 1, 1},
		{"unterminated vector", "[1 2", "unterminated list", "", 1, 1},
		{"unterminated dict", "{:a 1", "unterminated list", "", 1, 1},
		{"unexpected )", "a)", "unexpected )", "", 1, 2},
		{"extra )", "(a))", "unexpected )", "", 1, 4},
		{"unexpected ) on a later line", "(a)\n\n   )", "unexpected )", "", 3, 4},
		{"unexpected ]", "]", "unexpected ]", "", 1, 1},
		{"unexpected }", "(a })", "unexpected }", "", 1, 4},
		{"mismatched close", "(a]", "unexpected ]", "", 1, 3},
		{"mismatched close of a vector", "[a)", "unexpected )", "", 1, 3},
		{"bad escape", `"a\qb"`, "", "escape", 1, 4},
		{"bad escape later in the line", `(f "ok" "x\zy")`, "", "escape", 1, 12},
		{"short unicode escape", `"\u12"`, "", `\u`, 1, 3},
		{"non-hex unicode escape", `"\uZZZZ"`, "", `\u`, 1, 3},
		{"unicode escape cut off", `"\u00`, "", "", 1, 0},
		{"two dots", "1.2.3", "", "number", 1, 1},
		{"trailing letters", "(a 12abc)", "", "number", 1, 4},
		{"exponent without digits", "1e", "", "number", 1, 1},
		{"dot without digits", "1.", "", "number", 1, 1},
		{"negative with letters", "-1x", "", "number", 1, 1},
		{"int out of range", "99999999999999999999", "", "range", 1, 1},
		{"float out of range", "1e999", "", "range", 1, 1},
		{"odd dict literal", "{:a 1 :b}", "", "even", 1, 1},
		{"odd dict literal nested", "(x\n  {:a})", "", "even", 2, 3},
		{"dict key not a keyword or string", "{1 2}", "", "key", 1, 1},
		{"quote at end of input", "'", "", "expected a form", 1, 1},
		{"quote before a close", "(a ')", "", "expected a form", 1, 5},
		{"splice before a close", "(a ,@)", "", "expected a form", 1, 6},
		{"datum comment at end of input", "(a) #;", "", "expected a form", 1, 5},
		{"bare colon", ": a", "", "keyword", 1, 1},
		{"unknown hash syntax", "(a #foo)", "", "#foo", 1, 4},
		{"bad datetime", `#datetime "yesterday"`, "", "datetime", 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := readError(t, c.src)
			if c.msg != "" && e.Msg != c.msg {
				t.Errorf("message %q, want %q", e.Msg, c.msg)
			}
			if c.msg == "" && !strings.Contains(e.Msg, c.contains) {
				t.Errorf("message %q, want it to contain %q", e.Msg, c.contains)
			}
			if e.Pos.File != "bad.sx" {
				t.Errorf("file %q, want bad.sx", e.Pos.File)
			}
			if c.col == 0 {
				// Only the line is pinned down.
				if e.Pos.Line != c.line {
					t.Errorf("line %d, want %d", e.Pos.Line, c.line)
				}
				return
			}
			if e.Pos.Line != c.line || e.Pos.Col != c.col {
				t.Errorf("position %d:%d, want %d:%d (%s)", e.Pos.Line, e.Pos.Col, c.line, c.col, e.Msg)
			}
		})
	}
}

// TestReadNesting checks the nesting limit: deep but legal input reads, and
// deeper input is an error, never a Go stack overflow.
func TestReadNesting(t *testing.T) {
	n := runtime.MaxReadDepth
	ok := strings.Repeat("(", n) + strings.Repeat(")", n)
	if _, err := runtime.Read("deep.sx", ok); err != nil {
		t.Fatalf("%d levels: %v", n, err)
	}
	for _, c := range []struct {
		name, open, close string
		levels            int // nesting levels each open adds
	}{
		{"lists", "(", ")", 1},
		{"vectors", "[", "]", 1},
		{"dicts", "{:a ", "}", 1},
		{"quote sugar", "'", "", 1},
		{"quasiquote sugar", "`(", ")", 2},
		// A datum comment reads its form too: nesting through #; must count.
		{"datum comments", "(#;", ")", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			depth := 2*n + 10
			src := strings.Repeat(c.open, depth) + "x" + strings.Repeat(c.close, depth)
			e := readError(t, src)
			if e.Msg != "nesting too deep" {
				t.Errorf("message %q, want nesting too deep", e.Msg)
			}
			if e.Pos.Line != 1 {
				t.Errorf("line %d, want 1", e.Pos.Line)
			}
			// The error points at the first form past the limit.
			opens := n / c.levels
			lo, hi := (opens-1)*len(c.open), (opens+2)*len(c.open)+1
			if e.Pos.Col < lo || e.Pos.Col > hi {
				t.Errorf("column %d, want between %d and %d", e.Pos.Col, lo, hi)
			}
		})
	}
}

func TestReadIsIncomplete(t *testing.T) {
	for _, src := range []string{"(a", `"abc`, "(a (b c)", "'", "[1"} {
		_, err := runtime.Read("r.sx", src)
		if !runtime.IsIncomplete(err) {
			t.Errorf("IsIncomplete(Read(%q)) = false, err %v", src, err)
		}
	}
	for _, src := range []string{"a)", `"\q"`, "1.2.3", "{:a}"} {
		_, err := runtime.Read("r.sx", src)
		if err == nil || runtime.IsIncomplete(err) {
			t.Errorf("Read(%q): err %v, want a complete (non-incomplete) error", src, err)
		}
	}
}

func TestReadOne(t *testing.T) {
	v, err := runtime.ReadOne("one.sx", " ; c\n (a b) ; trailing\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.Print(v); got != "(a b)" {
		t.Errorf("got %s", got)
	}
	if _, err := runtime.ReadOne("one.sx", "a b"); err == nil {
		t.Error("two forms: no error")
	}
	if _, err := runtime.ReadOne("one.sx", ""); err == nil {
		t.Error("no form: no error")
	}
}
