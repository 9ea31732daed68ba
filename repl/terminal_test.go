package repl_test

// The REPL on a pseudo-terminal: what a person at the keyboard sees.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTerminalEvaluatesAndPrints(t *testing.T) {
	s := startSession(t, t.TempDir(), nil)
	s.prompt()
	if out := s.eval("(+ 1 2)"); !strings.Contains(out, "\n3\n") {
		t.Errorf("(+ 1 2) showed %q", out)
	}
	s.eval(`(define xs (list 10 20))`)
	if out := s.eval("(map inc xs)"); !strings.Contains(out, "(11 21)") {
		t.Errorf("map showed %q", out)
	}
	if out := s.eval("(list *1 *2)"); !strings.Contains(out, "((11 21) 3)") {
		t.Errorf("*1 *2 showed %q", out)
	}
	s.send("\x04") // Ctrl-D at an empty prompt leaves
	if code := s.wait(); code != 0 {
		t.Errorf("exit status %d after Ctrl-D", code)
	}
}

func TestTerminalMultiLineInput(t *testing.T) {
	s := startSession(t, t.TempDir(), nil)
	s.prompt()
	s.line("(define (add a b)")
	s.cont()
	s.line(`  "Adds."`)
	s.cont()
	s.line("  (+ a b))")
	s.prompt()
	if out := s.eval("(add 40\r2)"); !strings.Contains(out, "\n42\n") {
		t.Errorf("multi-line call showed %q", out)
	}
	// A string may span lines too.
	s.line(`(str "a`)
	s.cont()
	if out := s.eval(`b")`); !strings.Contains(out, `"a\nb"`) {
		t.Errorf("multi-line string showed %q", out)
	}
	// Ctrl-C at the continuation prompt drops the unfinished entry.
	s.line("(+ 1")
	s.cont()
	s.send("\x03")
	s.prompt()
	if out := s.eval("(+ 2 2)"); !strings.Contains(out, "\n4\n") {
		t.Errorf("after Ctrl-C at the continuation prompt: %q", out)
	}
}

func TestTerminalCompletion(t *testing.T) {
	dir := t.TempDir()
	s := startSession(t, dir, nil)
	s.prompt()
	s.eval(`(define (zebra-crossing-count n) (* n 7))`)
	// A name defined in the session.
	s.send("(zebra-cro\t")
	s.expect("(zebra-crossing-count")
	if out := s.eval(" 6)"); !strings.Contains(out, "\n42\n") {
		t.Errorf("completed call showed %q", out)
	}
	// A primitive.
	s.send("(string-len\t")
	s.expect("(string-length")
	if out := s.eval(` "abcd")`); !strings.Contains(out, "\n4\n") {
		t.Errorf("completed primitive showed %q", out)
	}
	// A special form.
	s.send("(letr\t")
	s.expect("(letrec")
	if out := s.eval(" ((a 1)) a)"); !strings.Contains(out, "\n1\n") {
		t.Errorf("completed special form showed %q", out)
	}
	// A query's keyword parameter.
	s.eval(`(defquery pet-count (&key (owner-id :int)) "Pets of one owner." (* owner-id 2))`)
	s.send("(pet-co\t")
	s.expect("(pet-count")
	s.send(" :own\t")
	s.expect(":owner-id")
	if out := s.eval(" 21)"); !strings.Contains(out, "\n42\n") {
		t.Errorf("completed query call showed %q", out)
	}
	// Several candidates: the common prefix, then the list on a second tab.
	s.eval(`(define zebra-stripes 3)`)
	s.send("zeb\t")
	s.expect("zebra-")
	s.send("\t")
	s.expect("zebra-crossing-count")
	s.expect("zebra-stripes")
	s.send("\x03")
	s.prompt()
	// A command and a file name.
	if err := os.WriteFile(filepath.Join(dir, "lib-functions.sx"), []byte("(define lib-answer 42)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.send(":lo\t")
	s.expect(":load")
	s.send(" lib-f\t")
	s.expect("lib-functions.sx")
	s.line("")
	s.expect("loaded lib-functions.sx")
	s.prompt()
	if out := s.eval("lib-answer"); !strings.Contains(out, "\n42\n") {
		t.Errorf("after :load: %q", out)
	}
}

func TestTerminalHistoryAcrossSessions(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "state", "sx-history")
	s := startSession(t, dir, nil, "--history", hist)
	s.prompt()
	s.eval("(* 6 7)")
	s.line("(+ 1")
	s.cont()
	s.eval("   1000)")
	s.send("\x04")
	if code := s.wait(); code != 0 {
		t.Fatalf("first session exited %d", code)
	}
	data, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), "(* 6 7)\n(+ 1 1000)\n"; got != want {
		t.Errorf("history file holds %q, want %q", got, want)
	}

	s2 := startSession(t, dir, nil, "--history", hist)
	s2.prompt()
	s2.send("\x1b[A") // up: the last entry of the first session
	s2.expect("(+ 1 1000)")
	if out := s2.eval(""); !strings.Contains(out, "\n1001\n") {
		t.Errorf("recalled entry showed %q", out)
	}
	s2.send("\x1b[A\x1b[A") // up twice: the entry before it
	s2.expect("(* 6 7)")
	if out := s2.eval(""); !strings.Contains(out, "\n42\n") {
		t.Errorf("recalled entry showed %q", out)
	}
}

func TestTerminalHistoryDefaultLocation(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "xdg-state")
	s := startSession(t, dir, []string{"SX_HISTORY=", "XDG_STATE_HOME=" + state})
	s.prompt()
	s.eval("(+ 2 3)")
	s.send("\x04")
	s.wait()
	data, err := os.ReadFile(filepath.Join(state, "sx", "history"))
	if err != nil || string(data) != "(+ 2 3)\n" {
		t.Errorf("$XDG_STATE_HOME/sx/history: %q, %v", data, err)
	}
}

func TestTerminalCtrlCInterruptsEvaluation(t *testing.T) {
	s := startSession(t, t.TempDir(), nil)
	s.prompt()
	s.line("(let loop ((i 0)) (loop (+ i 1)))")
	s.expect("(loop (+ i 1)))\n") // liner ends the line before the evaluation starts
	// Ctrl-C is a signal only once liner has handed the terminal back; one
	// that comes sooner is a keystroke for the next prompt (which clears an
	// empty line), so send it until the loop stops.
	stopped := false
	for i := 0; i < 20 && !stopped; i++ {
		s.send("\x03")
		_, stopped = s.expectWithin("evaluation cancelled: context canceled", 500*time.Millisecond)
	}
	if !stopped {
		t.Fatalf("Ctrl-C did not stop the loop:\n%s", s.plain())
	}
	s.line("(+ 1 1)")
	s.expect("\n2")
	s.prompt()
	// Ctrl-C at the prompt clears the line.
	s.send("(+ 100")
	s.expect("(+ 100")
	s.send("\x03")
	s.expect("^C")
	s.prompt()
	if out := s.eval("(+ 2 1)"); !strings.Contains(out, "\n3\n") {
		t.Errorf("after Ctrl-C at the prompt: %q", out)
	}
}

func TestTerminalDoc(t *testing.T) {
	s := startSession(t, t.TempDir(), nil)
	s.prompt()
	out := s.eval("(doc map)")
	for _, want := range []string{"(map f coll", "primitive", "for each"} {
		if !strings.Contains(out, want) {
			t.Errorf("(doc map) lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\nnil\n") {
		t.Errorf("(doc map) also printed nil:\n%s", out)
	}
	out = s.eval("(doc if)")
	if !strings.Contains(out, "(if test then else?)") || !strings.Contains(out, "special form") {
		t.Errorf("(doc if):\n%s", out)
	}
	s.eval(`(defcomp ~badge (&key label (count :int 0)) "A counter badge." (span label count))`)
	out = s.eval("(doc ~badge)")
	for _, want := range []string{"(~badge &key label (count :int 0))", "component", "A counter badge."} {
		if !strings.Contains(out, want) {
			t.Errorf("(doc ~badge) lacks %q:\n%s", want, out)
		}
	}
}

func TestTerminalErrorsThenContinues(t *testing.T) {
	s := startSession(t, t.TempDir(), nil)
	s.prompt()
	s.eval(`(define (inner x) (/ x 0))`)
	s.eval(`(define (outer x) (+ 1 (inner x)))`)
	out := s.eval("(outer 5)")
	for _, want := range []string{"<repl>:2:", "division by zero", "at inner (<repl>:2:", "at outer (<repl>:3:"} {
		if !strings.Contains(out, want) {
			t.Errorf("error output lacks %q:\n%s", want, out)
		}
	}
	out = s.eval("(no-such-function 1)")
	if !strings.Contains(out, "Undefined symbol: no-such-function") {
		t.Errorf("undefined symbol:\n%s", out)
	}
	if out := s.eval("(get *e :message)"); !strings.Contains(out, `"Undefined symbol: no-such-function"`) {
		t.Errorf("*e: %q", out)
	}
	if out := s.eval("(* 3 3)"); !strings.Contains(out, "\n9\n") {
		t.Errorf("after errors: %q", out)
	}
	if out := s.eval("(list 1 ')"); !strings.Contains(out, "expected a form after") {
		t.Errorf("a reader error that more input cannot mend: %q", out)
	}
}

func TestTerminalCommands(t *testing.T) {
	dir := t.TempDir()
	s := startSession(t, dir, nil)
	s.prompt()
	out := s.eval(":help")
	for _, c := range []string{":load", ":reload", ":service", ":schema", ":sql", ":time", ":quit"} {
		if !strings.Contains(out, c) {
			t.Errorf(":help lacks %s", c)
		}
	}
	out = s.eval(":time (reduce + 0 (range 1000))")
	if !strings.Contains(out, "\n499500\n") || !strings.Contains(out, "steps") {
		t.Errorf(":time showed %q", out)
	}
	s.line(":time (+ 1")
	s.cont()
	if out := s.eval("2)"); !strings.Contains(out, "\n3\n") {
		t.Errorf("multi-line :time showed %q", out)
	}
	if out := s.eval(":nope"); !strings.Contains(out, "unknown command") {
		t.Errorf(":nope showed %q", out)
	}
	s.line(":quit")
	if code := s.wait(); code != 0 {
		t.Errorf(":quit exited %d", code)
	}
}

func TestTerminalReadOnlyPrompt(t *testing.T) {
	s := startSession(t, t.TempDir(), nil, "--db", dbURL, "--read-only")
	s.promptText = "sx[ro]> "
	s.expect("read-only")
	s.prompt()
	if out := s.eval(`(sql/value "select 40 + 2")`); !strings.Contains(out, "\n42\n") {
		t.Errorf("query on a read-only session: %q", out)
	}
}

func TestTerminalLoadsFilesFirst(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lib.sx"), []byte("(define lib-value 7)\n(define (f) lib-value)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, dir, nil, "--no-history", "lib.sx", "missing.sx")
	s.expect("loaded lib.sx (2 forms)")
	s.expect("missing.sx")
	s.prompt()
	if out := s.eval("(* (f) 6)"); !strings.Contains(out, "\n42\n") {
		t.Errorf("after loading: %q", out)
	}
	s.send("\x04")
	s.wait()
	if _, err := os.Stat(filepath.Join(dir, "history")); !os.IsNotExist(err) {
		t.Errorf("--no-history wrote a history file: %v", err)
	}
}
