package repl

// The session: one environment and thread, the input being assembled, the
// recent results, and what has been loaded.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/runtime"
)

// Session is one REPL session. Input is fed line by line; a line that
// completes an entry is evaluated at once.
type Session struct {
	env *runtime.Env
	th  *runtime.Thread
	out *trackWriter // standard output; the thread prints here too
	err io.Writer    // standard error

	interactive bool
	color       bool
	width       func() int // terminal columns, nil for a fixed 80
	file        string     // name of the input in positions
	line        int        // number of the next input line

	pending      []string // lines of an entry still incomplete
	pendingStart int      // line number of its first line
	pendingCmd   string   // a command whose expression argument is incomplete

	loaded       []loadItem
	services     map[string][]string // service name -> files loaded for it
	serviceOrder []string            // loaded services, in load order
	byName       map[string]bool     // services loaded by name, not only for calls

	plat    *host.Platform
	ws      *host.Service // the workspace, where the prompt evaluates by default
	cur     *host.Service // where the prompt evaluates: ws, or a service (:in)
	proxies map[*runtime.Primitive]callable

	remote *remoteConn // sx repl --connect: entries are evaluated there

	pool     *pgxpool.Pool
	tx       pgx.Tx // the :tx transaction, if open
	readOnly bool

	failed  bool        // some form or command failed (the script's exit status)
	quit    bool        // :quit or Ctrl-D
	stopped atomic.Bool // a signal stopped a script

	mu         sync.Mutex
	cancel     context.CancelFunc // of the evaluation running, if any
	interrupts int                // Ctrl-Cs during that evaluation
	onForce    func()             // restores the terminal before a forced exit
}

// loadItem is something :reload reads again: a file or a service.
type loadItem struct {
	service string // service name, or "" for a file
	path    string
}

// newSession starts a session on a platform with opts (its database, cache
// and remote services); a nil Logger logs warnings to stderr.
func newSession(stdout, stderr io.Writer, opts host.Options) (*Session, error) {
	s := &Session{
		out:      &trackWriter{w: stdout, atLineStart: true},
		err:      stderr,
		file:     "<stdin>",
		line:     1,
		services: map[string][]string{},
		byName:   map[string]bool{},
		proxies:  map[*runtime.Primitive]callable{},
		readOnly: opts.ReadOnly,
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.DB != nil {
		s.pool = opts.DB
	}
	var err error
	if s.plat, err = host.New(nil, opts); err != nil {
		return nil, err
	}
	if s.ws, err = s.plat.Workspace(workspaceName); err != nil {
		return nil, err
	}
	s.cur, s.env = s.ws, s.ws.Env()
	s.env.DefinePrimitives(s.docPrimitive())
	s.th = s.ws.NewThread(context.Background())
	s.th.Out = s.out
	if _, err := s.th.EvalString("<repl>", docMacro); err != nil {
		return nil, err
	}
	for _, n := range []string{"*1", "*2", "*3", "*e"} {
		s.env.Define(n, nil)
	}
	return s, nil
}

// printer is the pretty printer at the current width.
func (s *Session) printer() Printer {
	w := 80
	if s.width != nil {
		if c := s.width(); c > 20 {
			w = c - 1
		}
	}
	return Printer{Width: w}
}

// prompt is the primary prompt, which says when the database is read-only
// (ro) and when a :tx transaction is open (tx).
func (s *Session) prompt() string {
	at := ""
	switch {
	case s.remote != nil:
		return "sx@" + s.remote.service + "> "
	case s.cur != s.ws:
		at = "@" + s.cur.Name
	}
	var marks []string
	if s.readOnly {
		marks = append(marks, "ro")
	}
	if s.tx != nil {
		marks = append(marks, "tx")
	}
	if len(marks) == 0 {
		return "sx" + at + "> "
	}
	return "sx" + at + "[" + strings.Join(marks, ",") + "]> "
}

// contPrompt is the continuation prompt, as wide as the primary one.
func (s *Session) contPrompt() string {
	p := s.prompt()
	return strings.Repeat(" ", len(p)-4) + "... "
}

// Input takes one line of input. It reports whether the entry needs more
// lines (the continuation prompt).
func (s *Session) Input(line string) (more bool) {
	lineNo := s.line
	s.line++
	if len(s.pending) == 0 {
		if cmd, arg, ok := commandLine(line); ok {
			return s.command(cmd, arg, line, lineNo)
		}
		if strings.TrimSpace(line) == "" {
			return false
		}
		s.pendingStart = lineNo
	}
	s.pending = append(s.pending, line)
	src := strings.Join(s.pending, "\n")
	if s.pendingCmd != "" {
		return s.command(s.pendingCmd, src, line, s.pendingStart)
	}
	forms, poss, more, err := s.read(src, s.pendingStart)
	if err != nil {
		if more {
			return true
		}
		s.pending = nil
		s.report(err)
		return false
	}
	s.pending = nil
	if s.remote != nil {
		s.remoteEval(src, s.pendingStart, forms)
		return false
	}
	for i, f := range forms {
		if s.quit || s.stopped.Load() {
			break
		}
		s.evalTop(f, poss[i])
	}
	return false
}

// Pending reports whether an entry is incomplete.
func (s *Session) Pending() bool { return len(s.pending) > 0 }

// Discard drops an incomplete entry (Ctrl-C at the continuation prompt).
func (s *Session) Discard() {
	s.pending, s.pendingCmd = nil, ""
}

// Finish ends the input: an incomplete entry is an error.
func (s *Session) Finish() {
	if len(s.pending) == 0 {
		return
	}
	src := strings.Join(s.pending, "\n")
	if s.pendingCmd != "" {
		src = strings.TrimSpace(src)
	}
	_, _, _, err := s.read(src, s.pendingStart)
	s.Discard()
	if err == nil {
		err = errors.New("incomplete input")
	}
	s.report(err)
}

// read parses src, which starts at line first of the input, and numbers
// positions accordingly. more reports an error that more input may mend.
func (s *Session) read(src string, first int) (forms []runtime.Value, poss []runtime.Pos, more bool, err error) {
	forms, poss, err = runtime.ReadPositions(s.file, src)
	shift := first - 1
	if err != nil {
		more = incomplete(err, src)
		var e *runtime.Error
		if errors.As(err, &e) && e.Pos.IsValid() {
			e.Pos.Line += shift
		}
		return nil, nil, more, err
	}
	if shift != 0 {
		for i := range poss {
			poss[i].Line += shift
		}
		seen := map[*runtime.List]bool{}
		for _, f := range forms {
			shiftLines(f, s.file, shift, seen)
		}
	}
	return forms, poss, false, nil
}

// shiftLines moves the positions of every list read from file down by n
// lines.
func shiftLines(v runtime.Value, file string, n int, seen map[*runtime.List]bool) {
	switch x := v.(type) {
	case *runtime.List:
		if seen[x] {
			return
		}
		seen[x] = true
		if x.Pos.File == file && x.Pos.IsValid() {
			x.Pos.Line += n
		}
		for _, it := range x.Items {
			shiftLines(it, file, n, seen)
		}
	case *runtime.Dict:
		for _, k := range x.Keys() {
			it, _ := x.Get(k)
			shiftLines(it, file, n, seen)
		}
	}
}

// incomplete reports whether a read error means the input stopped inside a
// form. A quote followed by a closing bracket is an error more input cannot
// mend, though the reader words it like the end of input.
func incomplete(err error, src string) bool {
	if !runtime.IsIncomplete(err) {
		return false
	}
	var e *runtime.Error
	if errors.As(err, &e) && strings.HasPrefix(e.Msg, "expected a form after") && e.Pos.IsValid() {
		lines := strings.Split(src, "\n")
		if e.Pos.Line <= len(lines) {
			l := []rune(lines[e.Pos.Line-1])
			if e.Pos.Col-1 < len(l) && strings.ContainsRune(")]}", l[e.Pos.Col-1]) {
				return false
			}
		}
	}
	return true
}

// definitionForms print nothing at top level and leave *1 alone.
var definitionForms = map[string]bool{
	"define": true, "defcomp": true, "defmacro": true, "defquery": true, "defaction": true,
	"defhandler": true, "defpage": true, "defroute": true, "defservice": true, "defstyle": true,
	"defactivity": true, "defjob": true,
}

// headName returns the head symbol's name of a list form.
func headName(form runtime.Value) string {
	if l, ok := form.(*runtime.List); ok && len(l.Items) > 0 {
		if sym, ok := l.Items[0].(*runtime.Symbol); ok {
			return sym.Name
		}
	}
	return ""
}

// evalTop evaluates one top-level form typed at the prompt and shows the
// result or the error.
func (s *Session) evalTop(form runtime.Value, pos runtime.Pos) {
	if s.refuseReadOnly(form) {
		return
	}
	v, err := s.eval(form, pos)
	if err != nil {
		s.report(err)
		return
	}
	head := headName(form)
	if definitionForms[head] || head == "doc" {
		return
	}
	s.remember(v)
	s.show(v)
}

// eval evaluates form under a context that Ctrl-C cancels, inside the :tx
// transaction as a savepoint of its own. Queries and actions it defines
// become callable as requests call them.
func (s *Session) eval(form runtime.Value, pos runtime.Pos) (v runtime.Value, err error) {
	err = s.withCancel(func(ctx context.Context) error {
		s.th.Ctx = ctx
		return s.inSavepoint(ctx, func() error {
			v, err = s.th.EvalAt(form, pos)
			return err
		})
	})
	s.bindWorkspace()
	return v, err
}

// Interrupt cancels the evaluation running, if any (Ctrl-C). A third
// interrupt of an evaluation that does not stop ends the process. It
// reports whether an evaluation was running.
func (s *Session) Interrupt() bool {
	s.mu.Lock()
	c := s.cancel
	if c != nil {
		s.interrupts++
	}
	n := s.interrupts
	s.mu.Unlock()
	if c == nil {
		return false
	}
	c()
	if n >= 3 {
		fmt.Fprintln(s.err, "\nsx repl: the evaluation does not stop; quitting")
		if s.onForce != nil {
			s.onForce()
		}
		os.Exit(130)
	}
	return true
}

// remember shifts *1 *2 *3.
func (s *Session) remember(v runtime.Value) {
	v2, _ := s.env.Lookup("*2")
	v1, _ := s.env.Lookup("*1")
	s.env.Define("*3", v2)
	s.env.Define("*2", v1)
	s.env.Define("*1", v)
}

// show prints a result.
func (s *Session) show(v runtime.Value) {
	s.out.freshLine()
	fmt.Fprintln(s.out, s.printer().Format(v))
}

// info prints a remark as an SX comment line.
func (s *Session) info(format string, args ...any) {
	s.out.freshLine()
	msg := "; " + fmt.Sprintf(format, args...)
	if s.color {
		msg = "\x1b[2m" + msg + "\x1b[0m"
	}
	fmt.Fprintln(s.out, msg)
}

// report prints an error with its position and backtrace, binds *e and
// marks the session failed.
func (s *Session) report(err error) {
	s.failed = true
	if s.interactive {
		s.out.freshLine()
	}
	var e *runtime.Error
	var text string
	if errors.As(err, &e) {
		s.env.Define("*e", errorValue(e))
		text = e.Format()
	} else {
		d := runtime.NewDict(1)
		d.Set("message", err.Error())
		s.env.Define("*e", d)
		text = err.Error() + "\n"
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	first, rest, _ := strings.Cut(text, "\n")
	if s.color {
		first = "\x1b[31m" + first + "\x1b[0m"
	}
	fmt.Fprint(s.err, first+"\n"+rest)
	if s.readOnly && strings.Contains(text, "SQLSTATE 25006") {
		s.hint("this session is read-only (--read-only): writes are refused by the database")
	}
}

func (s *Session) hint(msg string) {
	if s.color {
		msg = "\x1b[2m" + msg + "\x1b[0m"
	}
	fmt.Fprintln(s.err, msg)
}

// errorValue is the error as the value of *e: a dict of the message, the
// position, the backtrace and the payload of (error v).
func errorValue(e *runtime.Error) *runtime.Dict {
	d := runtime.NewDict(6)
	d.Set("message", e.Msg)
	if e.Pos.File != "" {
		d.Set("file", e.Pos.File)
	}
	if e.Pos.IsValid() {
		d.Set("line", int64(e.Pos.Line))
		d.Set("col", int64(e.Pos.Col))
	}
	trace := make([]runtime.Value, len(e.Trace))
	for i, t := range e.Trace {
		trace[i] = t.Name + " (" + t.Pos.String() + ")"
	}
	d.Set("backtrace", runtime.NewList(trace...))
	if e.Value != nil {
		d.Set("value", e.Value)
	}
	return d
}

// loadFile reads and evaluates a file, stopping at its first error.
func (s *Session) loadFile(path string) (int, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	forms, poss, err := runtime.ReadPositions(path, string(text))
	if err != nil {
		return 0, err
	}
	for i, f := range forms {
		if _, err := s.eval(f, poss[i]); err != nil {
			return i, err
		}
	}
	return len(forms), nil
}

// noteLoaded records an item for :reload, once.
func (s *Session) noteLoaded(it loadItem) {
	for _, x := range s.loaded {
		if x == it {
			return
		}
	}
	s.loaded = append(s.loaded, it)
}

// names is every name completion and suggestions know: special forms,
// bound globals and registered definitions.
func (s *Session) names() []string {
	set := map[string]bool{}
	for n := range runtime.SpecialFormDocs {
		if runtime.IsSpecialForm(n) {
			set[n] = true
		}
	}
	for _, n := range s.env.Globals() {
		set[n] = true
	}
	for _, d := range s.env.Definitions("") {
		set[d.Name] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Close rolls back a transaction left open and releases the database.
func (s *Session) Close() {
	s.endSession()
	if s.remote != nil {
		s.remote.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
}

// trackWriter remembers whether the output ends a line, so results and
// prompts start on a fresh one after (print "no newline").
type trackWriter struct {
	mu          sync.Mutex
	w           io.Writer
	atLineStart bool
}

func (t *trackWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p) > 0 {
		t.atLineStart = p[len(p)-1] == '\n'
	}
	return t.w.Write(p)
}

func (t *trackWriter) freshLine() {
	t.mu.Lock()
	at := t.atLineStart
	t.mu.Unlock()
	if !at {
		_, _ = t.Write([]byte("\n"))
	}
}

// elapsed formats a duration for :time.
func elapsed(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3fs", d.Seconds())
}
