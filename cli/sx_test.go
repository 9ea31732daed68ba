package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/cli/sxcmd"
	"github.com/rose-ash/sxhost/prims/signing"
)

func runSX(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = Main(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), status
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvalPrintsLastValueAsSX(t *testing.T) {
	out, errs, st := runSX(t, "(define x 20)\n(list x \"a\\nb\" {:k (+ x 1)} (quote :kw))", "eval")
	if st != 0 || errs != "" {
		t.Fatalf("status %d, stderr %q", st, errs)
	}
	if want := "(20 \"a\\nb\" {:k 21} :kw)\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}

func TestEvalFilesInOrder(t *testing.T) {
	a := writeFile(t, "a.sx", "(define greeting \"hi\")")
	b := writeFile(t, "b.sx", "(str greeting \" there\")")
	out, _, st := runSX(t, "", "eval", a, b)
	if st != 0 || out != "\"hi there\"\n" {
		t.Errorf("status %d, stdout %q", st, out)
	}
}

func TestRenderAndWire(t *testing.T) {
	src := "(defcomp ~item (&key label) (li :class \"i\" label))\n(ul (~item :label \"<a>\"))"
	out, errs, st := runSX(t, src, "render")
	if st != 0 || out != "<ul><li class=\"i\">&lt;a&gt;</li></ul>\n" {
		t.Errorf("render: status %d, stdout %q, stderr %q", st, out, errs)
	}
	out, errs, st = runSX(t, src, "wire")
	if st != 0 || out != "(ul (~item :label \"<a>\"))\n" {
		t.Errorf("wire: status %d, stdout %q, stderr %q", st, out, errs)
	}
}

func TestRunIsForEffects(t *testing.T) {
	f := writeFile(t, "script.sx", "(println \"one\")\n(println (+ 1 1))\n42")
	out, errs, st := runSX(t, "", "run", f)
	if st != 0 || out != "one\n2\n" {
		t.Errorf("status %d, stdout %q, stderr %q", st, out, errs)
	}
}

func TestErrorsNamePositionAndExitOne(t *testing.T) {
	cases := []struct{ src, want string }{
		{"(+ 1\n  (undefined-fn 2))", "<stdin>:2:3: Undefined symbol: undefined-fn\n"},
		{"(list 1 \"abc", "<stdin>:1:9: unterminated string\n"},
		{"(list 1 2", "<stdin>:1:1: unterminated list\n"},
		{"(+ 1 2))", "<stdin>:1:8: unexpected )\n"},
		{"\n\n  (/ 1 0)", "<stdin>:3:3: division by zero\n"},
	}
	for _, c := range cases {
		out, errs, st := runSX(t, c.src, "eval")
		if st != 1 || out != "" {
			t.Errorf("%q: status %d, stdout %q", c.src, st, out)
		}
		if !strings.HasPrefix(errs, c.want) {
			t.Errorf("%q: stderr %q, want prefix %q", c.src, errs, c.want)
		}
	}
}

func TestErrorBacktraceNamesFunctions(t *testing.T) {
	f := writeFile(t, "bt.sx", "(define (inner x) (/ x 0))\n(define (outer x) (+ 1 (inner x)))\n(outer 5)")
	_, errs, st := runSX(t, "", "eval", f)
	if st != 1 {
		t.Fatalf("status %d", st)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) < 3 || !strings.HasSuffix(lines[0], "bt.sx:1:19: division by zero") {
		t.Fatalf("stderr %q", errs)
	}
	if !strings.Contains(lines[1], "at inner (") || !strings.Contains(lines[1], "bt.sx:2:24") {
		t.Errorf("first frame %q, want inner called at bt.sx:2:24", lines[1])
	}
	if !strings.Contains(lines[2], "at outer (") || !strings.Contains(lines[2], "bt.sx:3:1") {
		t.Errorf("second frame %q, want outer called at bt.sx:3:1", lines[2])
	}
}

func TestSyntaxErrorStopsBeforeAnyEffect(t *testing.T) {
	a := writeFile(t, "a.sx", "(println \"side effect\")")
	b := writeFile(t, "b.sx", "(oops")
	out, _, st := runSX(t, "", "eval", a, b)
	if st != 1 || out != "" {
		t.Errorf("status %d, stdout %q: a later file's syntax error must stop before effects", st, out)
	}
}

func TestUsageErrors(t *testing.T) {
	if _, _, st := runSX(t, ""); st != 2 {
		t.Errorf("no command: status %d, want 2", st)
	}
	if _, errs, st := runSX(t, "", "frobnicate"); st != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: status %d, stderr %q", st, errs)
	}
	if _, errs, st := runSX(t, "", "eval", "/nonexistent/file.sx"); st != 1 || !strings.Contains(errs, "/nonexistent/file.sx") {
		t.Errorf("missing file: status %d, stderr %q", st, errs)
	}
}

// Render and wire errors name FILE:LINE:COL like every other error.
func TestRenderErrorsNamePosition(t *testing.T) {
	cases := []struct{ cmd, src, want string }{
		{"render", "(div (fn (x) x))", "<stdin>:1:6: cannot render lambda\n"},
		{"wire", "(div (fn (x) x))", "<stdin>:1:6: cannot render lambda\n"},
		{"render", "(div\n  :title (fn (x) x))", "<stdin>:2:10: cannot render lambda as an attribute value\n"},
		{"render", "\n(div (reduce (fn (acc x) (list acc)) 1 (range 10010)))", "<stdin>:2:6: value nested too deeply to render\n"},
		{"wire", "(defcomp ~c (&key x) (div x))\n(~c :x (reduce (fn (acc x) (list acc)) 1 (range 10010)))", "<stdin>:2:1: value nested too deeply to send\n"},
		{"wire", "(div {:f (fn (x) x)})", "<stdin>:1:1: cannot send lambda to the client"},
		{"render", "(+ 1 2)\n  car", "<stdin>:2:3: Undefined symbol: car\n"},
	}
	for _, c := range cases {
		out, errs, st := runSX(t, c.src, c.cmd)
		if st != 1 || out != "" {
			t.Errorf("%s %q: status %d, stdout %q", c.cmd, c.src, st, out)
		}
		if !strings.HasPrefix(errs, c.want) {
			t.Errorf("%s %q: stderr %q, want prefix %q", c.cmd, c.src, errs, c.want)
		}
	}
}

// TestSxNamesPlatformOnlyPrimitives: sx does not link prims/signing (for its
// start-up), so a script calling one of its primitives learns where it is,
// and sx's list of such names is exactly that package's.
func TestSxNamesPlatformOnlyPrimitives(t *testing.T) {
	var names []string
	for _, p := range signing.Primitives() {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	if got := slices.Sorted(slices.Values(sxcmd.PlatformOnly)); !slices.Equal(got, names) {
		t.Errorf("sxcmd.PlatformOnly %v, prims/signing defines %v", got, names)
	}
	_, errs, st := runSX(t, `(jwt-hs256 {:a 1} "k")`, "eval")
	if st != 1 || !strings.Contains(errs, "jwt-hs256 is not in sx (it links the platform's signing code): use sxhost repl") {
		t.Errorf("status %d, stderr %q", st, errs)
	}
}
