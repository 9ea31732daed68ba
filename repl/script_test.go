package repl_test

// The REPL with standard input on a pipe: a scriptable evaluator.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPipeEvaluatesEachForm(t *testing.T) {
	in := `(+ 1 2)
(define (sq x) (* x x))
(sq 5) (sq 6)
(map sq
     (list 1 2 3))
*1
(print "no newline")
(str "a" "b")
`
	out, errOut, code := runPipe(t, in)
	want := "3\n25\n36\n(1 4 9)\n(1 4 9)\nno newline\nnil\n\"ab\"\n"
	if out != want || errOut != "" || code != 0 {
		t.Errorf("stdout %q (want %q)\nstderr %q\nstatus %d", out, want, errOut, code)
	}
	if strings.Contains(out, "sx>") || strings.Contains(out+errOut, "\x1b") {
		t.Errorf("prompt or colour in pipe output: %q %q", out, errOut)
	}
}

func TestPipeFailureExitsNonZero(t *testing.T) {
	out, errOut, code := runPipe(t, "(+ 1 2)\n(undefined-fn 1)\n(/ 1 0)\n(+ 2 2)\n")
	if out != "3\n4\n" {
		t.Errorf("stdout %q: evaluation should go on after an error", out)
	}
	for _, want := range []string{
		"<stdin>:2:1: Undefined symbol: undefined-fn",
		"<stdin>:3:1: division by zero",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code != 1 {
		t.Errorf("status %d, want 1", code)
	}
}

func TestPipeErrorPositionsCountLines(t *testing.T) {
	in := "(define (f x)\n  (+ x\n     undefined-var))\n\n(f 1)\n"
	_, errOut, code := runPipe(t, in)
	if !strings.Contains(errOut, "<stdin>:2:3: Undefined symbol: undefined-var") || !strings.Contains(errOut, "at f (<stdin>:5:1)") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if code != 1 {
		t.Errorf("status %d", code)
	}
}

func TestPipeIncompleteInputFails(t *testing.T) {
	out, errOut, code := runPipe(t, "(+ 1 1)\n(+ 1\n")
	if out != "2\n" || !strings.Contains(errOut, "<stdin>:2:1: unterminated list") || code != 1 {
		t.Errorf("stdout %q stderr %q status %d", out, errOut, code)
	}
	_, errOut, code = runPipe(t, "(list 1))\n")
	if !strings.Contains(errOut, "unexpected )") || code != 1 {
		t.Errorf("stray ): stderr %q status %d", errOut, code)
	}
}

func TestPipeDocAndCommands(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.sx")
	if err := os.WriteFile(lib, []byte(`(define (triple x) "Three times x." (* 3 x))`), 0o644); err != nil {
		t.Fatal(err)
	}
	in := "(doc map)\n:load " + lib + "\n(triple 4)\n(doc triple)\n:time (triple 5)\n:quit\n(triple 6)\n"
	out, errOut, code := runPipe(t, in)
	for _, want := range []string{"(map f coll", "primitive", "\n12\n", "(triple x)\n  function\n  Three times x.\n", "\n15\n; "} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "18") {
		t.Errorf("evaluation went on after :quit:\n%s", out)
	}
	if errOut != "" || code != 0 {
		t.Errorf("stderr %q status %d", errOut, code)
	}
}

func TestPipeLoadsFilesFirst(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.sx")
	if err := os.WriteFile(lib, []byte("(define answer 42)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runPipe(t, "answer\n", lib)
	if out != "42\n" || code != 0 {
		t.Errorf("stdout %q stderr %q status %d", out, errOut, code)
	}
	_, errOut, code = runPipe(t, "answer\n", filepath.Join(dir, "missing.sx"))
	if code != 1 || !strings.Contains(errOut, "missing.sx") {
		t.Errorf("missing file: stderr %q status %d", errOut, code)
	}
}

func TestPipeServiceAndSchema(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("services/shop.sx", `(defservice shop :title "Shop" :port 8009)
(defpage shop-home :path "/" :auth :public :content (p "hi"))`)
	write("services/shop/queries.sx", `(defquery item-price (&key (item-id :int) (currency :string "EUR"))
  "The price of one item."
  (str item-id " " currency))`)
	write("services/shop/actions.sx", `(defaction buy (&key (item-id :int) qty) "Buys an item." (list item-id qty))`)
	in := ":service shop\n(item-price :item-id 7)\n:schema shop\n(doc buy)\n"
	out, errOut, code := pipeCmd(t, dir, in)()
	for _, want := range []string{
		`"7 EUR"`,
		"service shop — Shop",
		"  queries\n    item-price\n        The price of one item.\n      - item-id   int     required\n      - currency  string  default \"EUR\"\n",
		"  actions\n    buy\n        Buys an item.\n      - item-id  int  required\n      - qty      any  required\n",
		"  pages\n    shop-home  /\n",
		"(buy &key (item-id :int) qty)\n  action, defined at services/shop/actions.sx:1:1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" || code != 0 {
		t.Errorf("stderr %q status %d", errOut, code)
	}
	_, errOut, code = pipeCmd(t, dir, ":service nothing\n")()
	if code != 1 || !strings.Contains(errOut, "services/nothing.sx") {
		t.Errorf("unknown service: %q %d", errOut, code)
	}
}
