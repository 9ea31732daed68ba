package host_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/cli"
)

const checkedService = `(defservice main)

(define (two a b) (+ a b))

(defquery uses-undefined () (frobnicate 1))

(defpage bad-comp :path "/" :content (div (~nosuch :a 1)))

(defquery wrong-arity () (two 1))

(defquery prim-arity () (upper "a" "b"))

(defroute calls-nope :path "/r1" () (query "other" "nope"))

(defroute calls-nope-kw :path "/r2" () (query "other" "nope-kw" :id 1))

(defroute calls-no-action :path "/r3" () (action "other" "no-action"))

(defroute calls-no-frag :path "/r4" () (frag "other" "no-frag"))

(defroute calls-exists :path "/r5" () (query "other" "exists" :id 1))

(define statuses (list "open" "closed"))
(defquery statuses (&key (ids :ids)) "Shares its name with the list above." ids)
(defaction tidy () "An action." nil)
(define tidy 3)
`

const otherService = `(defservice other)
(defquery exists (&key (id :int)) id)
`

const cleanService = `(defservice clean)
(defcomp ~card (&key title) (div :class "card" title))
(define (twice x) (* 2 x))
(defquery double (&key (n :int)) (twice n))
(defpage home :path "/" :content (~card :title (str (twice 2))))
`

// sxhostCheck runs "sxhost check FILE..." and returns its exit status,
// standard output and standard error.
func sxhostCheck(files ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.SxhostMain(append([]string{"check"}, files...), &out, &errb)
	return code, out.String(), errb.String()
}

// wantFinding checks that the report has a line for the form at needle in
// src: "file:line:col: …message…".
func wantFinding(t *testing.T, report, file, src, needle, message string) {
	t.Helper()
	prefix := file + ":" + posOf(t, src, needle) + ": "
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line, prefix) && strings.Contains(line, message) {
			return
		}
	}
	t.Errorf("no finding %q…%q in the report:\n%s", prefix, message, report)
}

func TestSxhostCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mainFile := writeFile(t, dir, "main.sx", checkedService)
	otherFile := writeFile(t, dir, "other.sx", otherService)
	cleanFile := writeFile(t, dir, "clean.sx", cleanService)

	code, out, report := sxhostCheck(mainFile)
	if code != 1 {
		t.Errorf("check of a file with problems exited %d, want 1; stdout %q", code, out)
	}
	wantFinding(t, report, mainFile, checkedService, "(frobnicate 1)", "Undefined symbol: frobnicate")
	wantFinding(t, report, mainFile, checkedService, "(~nosuch :a 1)", "~nosuch")
	wantFinding(t, report, mainFile, checkedService, "(two 1)", "two expects 2 arguments, got 1")
	wantFinding(t, report, mainFile, checkedService, `(upper "a" "b")`, "upper expects 1 argument, got 2")
	// One global name bound twice by different forms: the later silently wins.
	wantFinding(t, report, mainFile, checkedService, "(defquery statuses", "defquery statuses replaces the global statuses")
	wantFinding(t, report, mainFile, checkedService, "(define tidy 3)", "define tidy replaces defaction tidy")
	// other is not loaded: every call to it is reported.
	wantFinding(t, report, mainFile, checkedService, `(query "other" "nope")`, "no service other is loaded")
	if !strings.Contains(report, "problem(s)") {
		t.Errorf("no problem count in the report:\n%s", report)
	}

	// With other loaded, only its missing definitions are reported.
	code, _, report = sxhostCheck(mainFile, otherFile)
	if code != 1 {
		t.Errorf("check of two files with problems exited %d, want 1", code)
	}
	wantFinding(t, report, mainFile, checkedService, `(query "other" "nope")`, "service other defines no query nope")
	wantFinding(t, report, mainFile, checkedService, `(action "other" "no-action")`, "service other defines no action no-action")
	wantFinding(t, report, mainFile, checkedService, `(frag "other" "no-frag")`, "service other defines no handler no-frag")
	if strings.Contains(report, `"exists"`) || strings.Contains(report, "other/exists") || strings.Contains(report, "no service other") {
		t.Errorf("a call to a query other defines is reported:\n%s", report)
	}
	wantFinding(t, report, mainFile, checkedService, "(frobnicate 1)", "Undefined symbol: frobnicate")

	// A clean file passes.
	code, out, report = sxhostCheck(cleanFile)
	if code != 0 || report != "" {
		t.Errorf("check of a clean file: exit %d, stderr %q", code, report)
	}
	if !strings.HasPrefix(out, "ok: 1 service(s)") {
		t.Errorf("check of a clean file printed %q", out)
	}

	// A file that does not load is reported with its position.
	broken := writeFile(t, dir, "broken.sx", "(defservice broken)\n(defquery q ()\n  (list 1 2)\n")
	code, _, report = sxhostCheck(broken)
	if code == 0 || !strings.Contains(report, broken+":2:1") || !strings.Contains(report, "unterminated list") {
		t.Errorf("check of an unloadable file: exit %d, stderr %q", code, report)
	}
}

// Calls to other services nearly always pass arguments; they are checked
// like calls without.
const checkedCallsWithArguments = `(defservice caller)
(defroute r1 :path "/r1" () (query "other" "nope-kw" :id 1))
(defroute r2 :path "/r2" () (action "other" "no-action-kw" :x 1 :y 2))
(defroute r3 :path "/r3" () (frag "other" "no-frag-kw" :title "t"))
(defroute r4 :path "/r4" () (query "elsewhere" "anything" :id 1))
(defroute r5 :path "/r5" () (query "other" "exists" :id 1))
`

func TestSxhostCheckCallsWithArguments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeFile(t, dir, "caller.sx", checkedCallsWithArguments)
	otherFile := writeFile(t, dir, "other.sx", otherService)
	code, _, report := sxhostCheck(file, otherFile)
	if code != 1 {
		t.Errorf("check exited %d, want 1; stderr:\n%s", code, report)
	}
	src := checkedCallsWithArguments
	wantFinding(t, report, file, src, `(query "other" "nope-kw" :id 1)`, "service other defines no query nope-kw")
	wantFinding(t, report, file, src, `(action "other" "no-action-kw" :x 1 :y 2)`, "service other defines no action no-action-kw")
	wantFinding(t, report, file, src, `(frag "other" "no-frag-kw" :title "t")`, "service other defines no handler no-frag-kw")
	wantFinding(t, report, file, src, `(query "elsewhere" "anything" :id 1)`, "no service elsewhere is loaded")
	if strings.Contains(report, "other/exists") {
		t.Errorf("a call to a query other defines is reported:\n%s", report)
	}
}
