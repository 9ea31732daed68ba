package repl

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// testSession is a session writing to buffers, fed line by line.
type testSession struct {
	*Session
	out, err *bytes.Buffer
}

func newTestSession(t *testing.T) *testSession {
	t.Helper()
	var out, errOut bytes.Buffer
	s, err := newSession(&out, &errOut, host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &testSession{s, &out, &errOut}
}

// feed inputs each line of src and returns what was printed to stdout and
// stderr since the last call.
func (ts *testSession) feed(src string) (string, string) {
	for _, l := range strings.Split(strings.TrimSuffix(src, "\n"), "\n") {
		ts.Input(l)
	}
	o, e := ts.out.String(), ts.err.String()
	ts.out.Reset()
	ts.err.Reset()
	return o, e
}

func TestInputContinuation(t *testing.T) {
	ts := newTestSession(t)
	if !ts.Input("(+ 1") || !ts.Pending() {
		t.Fatal("an open list should ask for more")
	}
	if ts.Input("   2)") || ts.Pending() {
		t.Fatal("a closed list should be evaluated")
	}
	if got := ts.out.String(); got != "3\n" {
		t.Errorf("got %q", got)
	}
	// A quote before a closing bracket cannot be mended by more input.
	if ts.Input("(list ')") {
		t.Error("(list ') asked for more input")
	}
	if !strings.Contains(ts.err.String(), "expected a form after '") {
		t.Errorf("stderr %q", ts.err.String())
	}
	if ts.Input(`(str "a`) != true {
		t.Error("an open string should ask for more")
	}
	ts.Discard()
	if ts.Pending() {
		t.Error("Discard left the entry pending")
	}
}

func TestResultsAndLastError(t *testing.T) {
	ts := newTestSession(t)
	out, _ := ts.feed("1\n2\n(define x 5)\n3\n(list *1 *2 *3)")
	if !strings.HasSuffix(out, "(3 2 1)\n") {
		t.Errorf("*1 *2 *3: %q (a define must not shift them)", out)
	}
	_, errOut := ts.feed(`(error "boom")`)
	if !strings.Contains(errOut, "boom") {
		t.Errorf("stderr %q", errOut)
	}
	out, _ = ts.feed("(get *e :message)\n(get *e :line)")
	if out != "\"boom\"\n6\n" {
		t.Errorf("*e: %q", out)
	}
}

func TestDocDescribesEveryKind(t *testing.T) {
	ts := newTestSession(t)
	ts.feed(`(define (area w (h :int 2)) "Width times height." (* w h))
(defmacro unless (c &rest body) "Runs body when c is falsy." (list (quote if) c nil (cons (quote do) body)))
(defcomp ~card (&key title &rest children) "A card." (div title children))
(defquery stock (&key (item-id :int) (warehouse :string "main")) "Units in stock." item-id)
(defpage home :path "/" :auth :public :content (p "hi"))
(define limit 10)`)
	cases := map[string][]string{
		"(doc area)":   {"(area w (h :int 2))\n  function\n  Width times height.\n"},
		"(doc unless)": {"(unless c &rest body)\n  macro\n  Runs body when c is falsy.\n"},
		"(doc ~card)":  {"(~card &key title &rest children)\n  component, defined at <stdin>:3:1\n  A card.\n"},
		"(doc stock)": {"(stock &key (item-id :int) (warehouse :string \"main\"))\n  query, defined at <stdin>:4:1\n  Units in stock.\n",
			"  item-id    int     required\n  warehouse  string  default \"main\"\n"},
		"(doc home)":     {"home\n  page, defined at <stdin>:5:1\n  :path \"/\"\n  :auth :public\n"},
		"(doc limit)":    {"limit\n  global number\n  10\n"},
		"(doc doc)":      {"(doc name)\n  macro\n"},
		"(doc \"map\")":  {"(map f coll"},
		"(doc let)":      {"special form"},
		"(repl/doc map)": {"(map f coll"},
	}
	for src, wants := range cases {
		out, errOut := ts.feed(src)
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s%s", src, w, out, errOut)
			}
		}
	}
	_, errOut := ts.feed("(doc aera)")
	if !strings.Contains(errOut, "doc: aera is not defined; did you mean area?") {
		t.Errorf("unknown name: %q", errOut)
	}
}

func TestReloadReadsFilesAgain(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lib.sx", "(define (greet) \"hello\")")
	write("services/shop.sx", `(defservice shop :title "Shop")`)
	write("services/shop/q.sx", `(defquery price () 10)`)
	ts := newTestSession(t)
	out, errOut := ts.feed(":load lib.sx\n:service shop\n(greet)\n(price)")
	if out != "\"hello\"\n10\n" || errOut != "" {
		t.Fatalf("before: %q %q", out, errOut)
	}
	write("lib.sx", "(define (greet) \"bonjour\")")
	write("services/shop/q.sx", `(defquery price () 20)`)
	write("services/shop/r.sx", `(defquery discount () 5)`)
	out, errOut = ts.feed(":reload\n(greet)\n(price)\n(discount)")
	if out != "\"bonjour\"\n20\n5\n" || errOut != "" {
		t.Errorf("after :reload: %q %q", out, errOut)
	}
	out, _ = ts.feed(":schema")
	if !strings.Contains(out, "service shop — Shop\n  queries\n    price\n    discount\n") {
		t.Errorf(":schema:\n%s", out)
	}
	// A broken file reports its error and keeps the last good definitions.
	write("lib.sx", "(define (greet) (")
	_, errOut = ts.feed(":reload")
	if !strings.Contains(errOut, "lib.sx:1:17: unterminated list") {
		t.Errorf("broken reload: %q", errOut)
	}
	if out, _ := ts.feed("(greet)"); out != "\"bonjour\"\n" {
		t.Errorf("after a broken reload: %q", out)
	}
}

func TestCompletion(t *testing.T) {
	ts := newTestSession(t)
	ts.feed(`(define (zebra-count n) n)
(define zebra-stripes 3)
(defcomp ~pet-card (&key name (age :int)) (div name age))
(defquery pet-count (&key (owner-id :int) kind) "Pets." owner-id)`)
	type want struct {
		head  string
		cands []string
	}
	cases := map[string]want{
		"(zebra-c":             {"(", []string{"zebra-count"}},
		"(+ 1 (zeb":            {"(+ 1 (", []string{"zebra-count", "zebra-stripes"}},
		"(letr":                {"(", []string{"letrec"}},
		"(~pet":                {"(", []string{"~pet-card"}},
		"(~pet-card :a":        {"(~pet-card ", []string{":age"}},
		"(pet-count 1 :":       {"(pet-count 1 ", []string{":kind", ":owner-id"}},
		"(pet-count (inc 1) :": {"(pet-count (inc 1) ", []string{":kind", ":owner-id"}},
		`(str "zeb`:            {`(str "zeb`, nil},
		":sch":                 {"", []string{":schema"}},
		":doc zebra-s":         {":doc ", []string{"zebra-stripes"}},
		"(list *":              {"(list ", []string{"*", "*1", "*2", "*3", "*e", "*test-assertions*", "*test-count*", "*test-failures*"}},
	}
	for line, w := range cases {
		head, cands, tail := ts.Complete(line, len([]rune(line)))
		if tail != "" || head != w.head || !reflect.DeepEqual(cands, w.cands) {
			t.Errorf("%q: head %q cands %q tail %q; want %q %q", line, head, cands, tail, w.head, w.cands)
		}
	}
	// The cursor in the middle of a line keeps the rest.
	head, cands, tail := ts.Complete("(zebra-c 5)", 8)
	if head != "(" || !reflect.DeepEqual(cands, []string{"zebra-count"}) || tail != " 5)" {
		t.Errorf("mid-line: %q %q %q", head, cands, tail)
	}
	// Keyword completion sees the lines of an unfinished entry.
	ts.Input("(pet-count")
	head, cands, _ = ts.Complete("  :ow", 5)
	if head != "  " || !reflect.DeepEqual(cands, []string{":owner-id"}) {
		t.Errorf("continuation: %q %q", head, cands)
	}
}

func TestEnclosingHead(t *testing.T) {
	cases := map[string]string{
		"(f a (g b":           "g",
		"(f a (g b) ":         "f",
		"(f \"(x\" ":          "f",
		"(f ; (g\n":           "f",
		"((fn (x) x) ":        "",
		"{:a (h ":             "h",
		"{:a ":                "",
		"":                    "",
		"(let ((x 1)) (call ": "call",
	}
	for src, want := range cases {
		if got := enclosingHead(src); got != want {
			t.Errorf("%q: %q, want %q", src, got, want)
		}
	}
}

func TestHistoryEntries(t *testing.T) {
	cases := []struct {
		lines, want []string
	}{
		{[]string{"(+ 1 2)"}, []string{"(+ 1 2)"}},
		{[]string{"(define (f x)", "  (* x x))"}, []string{"(define (f x) (* x x))"}},
		// A comment would swallow the joined rest; a string would change.
		{[]string{"(list 1 ; one", "  2)"}, []string{"(list 1 ; one", "  2)"}},
		{[]string{`(str "a`, `b")`}, []string{`(str "a`, `b")`}},
	}
	for _, c := range cases {
		if got := historyEntries(c.lines); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %q, want %q", c.lines, got, c.want)
		}
	}
}

func TestHistoryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "history")
	var entries []string
	for i := 0; i < 2*historyLimit+10; i++ {
		entries = append(entries, "(+ 1 "+strings.Repeat("1", i%7+1)+")")
	}
	if err := appendHistory(path, entries); err != nil {
		t.Fatal(err)
	}
	got, err := loadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != historyLimit || got[len(got)-1] != entries[len(entries)-1] {
		t.Errorf("loaded %d entries ending %q", len(got), got[len(got)-1])
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != historyLimit {
		t.Errorf("the file keeps %d lines after trimming, want %d", n, historyLimit)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
}

func TestHistoryPath(t *testing.T) {
	t.Setenv("SX_HISTORY", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if got := historyPath(""); got != "/home/someone/.sx_history" {
		t.Errorf("default: %q", got)
	}
	t.Setenv("XDG_STATE_HOME", "/state")
	if got := historyPath(""); got != "/state/sx/history" {
		t.Errorf("XDG: %q", got)
	}
	t.Setenv("SX_HISTORY", "/env/hist")
	if got := historyPath(""); got != "/env/hist" {
		t.Errorf("SX_HISTORY: %q", got)
	}
	if got := historyPath("/flag/hist"); got != "/flag/hist" {
		t.Errorf("flag: %q", got)
	}
}

func TestMainWithoutTerminal(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(nil, strings.NewReader("(+ 20 22)\n(car)\n"), &out, &errOut)
	if code != 1 || out.String() != "42\n" || !strings.Contains(errOut.String(), "Undefined symbol: car") {
		t.Errorf("status %d stdout %q stderr %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := Main([]string{"--help"}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "--read-only") {
		t.Errorf("--help: %d %q", code, out.String())
	}
	errOut.Reset()
	if code := Main([]string{"--read-only"}, strings.NewReader(""), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "need --db") {
		t.Errorf("--read-only without --db: %d %q", code, errOut.String())
	}
	errOut.Reset()
	if code := Main([]string{"--bogus"}, strings.NewReader(""), &out, &errOut); code != 2 {
		t.Errorf("--bogus: %d %q", code, errOut.String())
	}
}

func TestRedact(t *testing.T) {
	if got := redact("postgres://u:secret@h/db"); strings.Contains(got, "secret") {
		t.Errorf("%q", got)
	}
	if got := redact("host=h password=secret"); strings.Contains(got, "secret") {
		t.Errorf("%q", got)
	}
}
