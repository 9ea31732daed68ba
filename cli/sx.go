// Package cli implements the sx command, kept out of package main so that
// its contract (output, errors, exit status) is tested in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

const usage = `usage:
  sx eval [FILE...]     evaluate, print the last value as SX (stdin when no FILE)
  sx render [FILE...]   evaluate, render the last form to HTML
  sx wire [FILE...]     evaluate, render the last form in the SX wire format
  sx run FILE [ARG...]  run a script for its effects
  sx repl               interactive REPL
`

// Repl, when set, runs the REPL for "sx repl". It lives in another package
// so that the line editor stays out of the one-shot commands.
var Repl func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Main runs the sx command and returns its exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, files := args[0], args[1:]
	switch cmd {
	case "eval", "render", "wire":
	case "run":
		if len(files) == 0 {
			fmt.Fprint(stderr, "sx run: missing FILE\n"+usage)
			return 2
		}
		files = files[:1]
	case "repl":
		if Repl == nil {
			fmt.Fprintln(stderr, "sx repl: not available in this build")
			return 2
		}
		return Repl(files, stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sx: unknown command %q\n%s", cmd, usage)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	env := stdlib.NewEnv()
	th := env.NewThread(ctx)
	th.Out = stdout

	type source struct{ name, text string }
	var sources []source
	if len(files) == 0 {
		text, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "<stdin>: %v\n", err)
			return 1
		}
		sources = append(sources, source{"<stdin>", string(text)})
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f, errors.Unwrap(err))
			return 1
		}
		sources = append(sources, source{f, string(text)})
	}

	// Read everything first: a syntax error anywhere stops before any effect.
	var forms []runtime.Value
	var poss []runtime.Pos
	for _, s := range sources {
		fs, ps, err := runtime.ReadPositions(s.name, s.text)
		if err != nil {
			return report(stderr, err)
		}
		forms = append(forms, fs...)
		poss = append(poss, ps...)
	}

	last := len(forms)
	if cmd == "render" || cmd == "wire" {
		last-- // the last form is rendered, not evaluated
	}
	var value runtime.Value
	for i := 0; i < last; i++ {
		v, err := th.EvalAt(forms[i], poss[i])
		if err != nil {
			return report(stderr, err)
		}
		value = v
	}
	switch cmd {
	case "eval":
		fmt.Fprintln(stdout, runtime.Print(value))
	case "render", "wire":
		if last < 0 {
			return 0
		}
		render := th.RenderHTML
		if cmd == "wire" {
			render = th.RenderWire
		}
		out, err := render(forms[last])
		if err != nil {
			return report(stderr, err)
		}
		fmt.Fprintln(stdout, out)
	}
	return 0
}

// report prints an error in the FILE:LINE:COL: message form with the
// backtrace, and returns the exit status 1.
func report(stderr io.Writer, err error) int {
	var e *runtime.Error
	if errors.As(err, &e) {
		fmt.Fprint(stderr, e.Format())
	} else {
		fmt.Fprintln(stderr, err)
	}
	return 1
}
