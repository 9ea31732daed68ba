// Package sxcmd implements the sx command, kept out of package main so that
// its contract (output, errors, exit status) is tested in-process (package
// cli runs those tests).
//
// It links only the runtime and the standard library: no HTTP server, no
// database driver, no compression, whose package initialisers would run
// before every `sx eval` (docs/benchmarks.md, start-up). The REPL, which
// needs the platform, lives in sxhost: `sx repl` runs `sxhost repl` in its
// place.
package sxcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

const usage = `usage:
  sx eval [FILE...]     evaluate, print the last value as SX (stdin when no FILE)
  sx render [FILE...]   evaluate, render the last form to HTML
  sx wire [FILE...]     evaluate, render the last form in the SX wire format
  sx run FILE [ARG...]  run a script for its effects
  sx repl [FILE...]     interactive REPL (sx repl --help lists its flags)
  sx version            print the version (also --version)

Every command answers --help and --version. Errors print FILE:LINE:COL: message
and the SX backtrace on standard error, with exit status 1.
`

// commandUsage is each one-shot command's --help.
var commandUsage = map[string]string{
	"eval":   "usage: sx eval [FILE...]\n\nEvaluates the files in order (standard input when none) and prints the\nvalue of the last form as SX.\n",
	"render": "usage: sx render [FILE...]\n\nEvaluates every form but the last, then renders the last one to HTML.\n",
	"wire":   "usage: sx wire [FILE...]\n\nEvaluates every form but the last, then renders the last one in the SX\nwire format.\n",
	"run":    "usage: sx run FILE [ARG...]\n\nRuns a script for its effects.\n",
}

// Repl, when set, runs the REPL for "sx repl" in this process (tests set
// it). Otherwise "sx repl" replaces the process with "sxhost repl".
var Repl func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Main runs the sx command and returns its exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, files := args[0], args[1:]
	switch cmd {
	case "eval", "render", "wire", "run":
		var status int
		var stop bool
		if files, status, stop = commandOptions(cmd, files, stdout, stderr); stop {
			return status
		}
	}
	switch cmd {
	case "eval", "render", "wire":
	case "run":
		if len(files) == 0 {
			fmt.Fprint(stderr, "sx run: missing FILE\n"+usage)
			return 2
		}
		files = files[:1]
	case "repl":
		for _, a := range files {
			if a == "--" {
				break
			}
			if IsVersionFlag(a) {
				return PrintVersion(stdout, "sx")
			}
		}
		if Repl == nil {
			return execRepl(files, stderr)
		}
		return Repl(files, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version", "-version", "--version":
		return PrintVersion(stdout, "sx")
	default:
		fmt.Fprintf(stderr, "sx: unknown command %q\n%s", cmd, usage)
		return 2
	}

	ctx, stop := interruptible(interruptAfter)
	defer stop()
	env := stdlib.NewLazyEnv()
	env.DefinePrimitives(platformOnly()...)
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
			return Report(stderr, err)
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
			return Report(stderr, err)
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
		render := th.RenderHTMLAt
		if cmd == "wire" {
			render = th.RenderWireAt
		}
		out, err := render(forms[last], poss[last])
		if err != nil {
			return Report(stderr, err)
		}
		fmt.Fprintln(stdout, out)
	}
	return 0
}

// interruptAfter is how long a command runs before Ctrl-C cancels its
// evaluation (an error and status 1) instead of ending the process.
const interruptAfter = 100 * time.Millisecond

// interruptible returns a context that Ctrl-C cancels once after has
// passed, and the function that releases it. os/signal starts a goroutine
// that waits for signals on a thread of its own: with the threads it
// starts, 18 of the ~150 page faults a one-shot `sx eval` took beyond a Go
// hello-world (docs/benchmarks.md, start-up). A command that ends sooner
// never pays for them, and Ctrl-C in its first moments ends the process as
// it would any other.
func interruptible(after time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var sigs chan os.Signal
	released := false
	t := time.AfterFunc(after, func() {
		mu.Lock()
		defer mu.Unlock()
		if released {
			return
		}
		sigs = make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt)
		go func() {
			select {
			case <-sigs:
				cancel()
			case <-ctx.Done():
			}
		}()
	})
	return ctx, func() {
		t.Stop()
		mu.Lock()
		released = true
		if sigs != nil {
			signal.Stop(sigs)
		}
		mu.Unlock()
		cancel()
	}
}

// commandOptions takes the options before a one-shot command's files:
// --help and --version answer and stop (status 0), "--" ends the options
// (so a file may start with "-"), and any other option is a usage error
// rather than a file name.
func commandOptions(cmd string, args []string, stdout, stderr io.Writer) (files []string, status int, stop bool) {
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		switch a := args[0]; {
		case a == "--":
			return args[1:], 0, false
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprint(stdout, commandUsage[cmd])
			return nil, 0, true
		case IsVersionFlag(a):
			return nil, PrintVersion(stdout, "sx"), true
		default:
			fmt.Fprintf(stderr, "sx %s: unknown option %s\n%s", cmd, a, commandUsage[cmd])
			return nil, 2, true
		}
	}
	return args, 0, false
}

// Report prints an error in the FILE:LINE:COL: message form with the
// backtrace, and returns the exit status 1.
func Report(stderr io.Writer, err error) int {
	var e *runtime.Error
	if errors.As(err, &e) {
		fmt.Fprint(stderr, e.Format())
	} else {
		fmt.Fprintln(stderr, err)
	}
	return 1
}

// execRepl replaces the process with "sxhost repl ARGS…": the sxhost next
// to this executable (make build puts both in bin/), else the one on PATH.
// The terminal, environment and exit status carry over.
func execRepl(args []string, stderr io.Writer) int {
	path := ""
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "sxhost")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			path = p
		}
	}
	if path == "" {
		if p, err := exec.LookPath("sxhost"); err == nil {
			path = p
		}
	}
	if path == "" {
		fmt.Fprintln(stderr, "sx repl: the REPL is `sxhost repl`, and sxhost is neither next to sx nor on PATH (make build builds both)")
		return 1
	}
	err := syscall.Exec(path, append([]string{"sxhost", "repl"}, args...), os.Environ())
	fmt.Fprintf(stderr, "sx repl: running %s: %v\n", path, err)
	return 1
}

// PlatformOnly names the primitives sx does not link (prims/signing: JWTs
// and RSA key pairs, which bring golang-jwt and crypto/x509 and their
// start-up cost). sx defines each as a primitive that fails saying where it
// is; sxhost, its REPL and the services have them.
var PlatformOnly = []string{"jwt-hs256", "jwt-hs256-verify", "rsa-keypair"}

// platformOnlyDoc is their doc: one constant, because building a string
// per name at every start cost 3–4 page faults (the first strings of their
// size class; docs/benchmarks.md, start-up).
const platformOnlyDoc = "In sxhost (sxhost repl, the services), not in sx: it links the platform's signing code."

func platformOnly() []*runtime.Primitive {
	ps := make([]*runtime.Primitive, len(PlatformOnly))
	for i, name := range PlatformOnly {
		ps[i] = &runtime.Primitive{Name: name, Params: "(&rest args)", MaxArgs: -1,
			Doc: platformOnlyDoc,
			Fn: func(th *runtime.Thread, _ []runtime.Value) runtime.Value {
				th.Fail("%s is not in sx (it links the platform's signing code): use sxhost repl", name)
				return nil
			}}
	}
	return ps
}
