package runtime

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Error is the one error type of SX evaluation: a message, the position of
// the form that failed and an SX backtrace (innermost call first).
type Error struct {
	Msg   string
	Pos   Pos
	Trace []TraceEntry
	// Value is the payload of (error v) when v is not a string.
	Value Value
	// GoStack is set for internal errors (a Go panic inside a primitive or
	// the runtime): the Go stack, for the log, never for users.
	GoStack string
}

// TraceEntry is one line of an SX backtrace: the function or component that
// was called and where it was called from.
type TraceEntry struct {
	Name string
	Pos  Pos
}

func (e *Error) Error() string {
	if e.Pos.IsValid() || e.Pos.File != "" {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Msg
}

// Backtrace formats the SX backtrace, one frame a line, innermost first.
func (e *Error) Backtrace() string {
	var b strings.Builder
	for i := 0; i < len(e.Trace); {
		t := e.Trace[i]
		j := i + 1
		for j < len(e.Trace) && e.Trace[j] == t {
			j++
		}
		fmt.Fprintf(&b, "  at %s (%s)\n", t.Name, t.Pos)
		if j-i > 1 {
			// Deep recursion repeats one frame; say so once.
			fmt.Fprintf(&b, "  ... the same frame %d more times\n", j-i-1)
		}
		i = j
	}
	return b.String()
}

// Format returns the error line followed by the backtrace, as the sx command
// prints it.
func (e *Error) Format() string {
	return e.Error() + "\n" + e.Backtrace()
}

// bug wraps a Go runtime panic that escaped a primitive so that it reaches the
// host as an error, not a crash.
func bugError(r any) *Error {
	return &Error{Msg: fmt.Sprintf("internal error: %v", r), GoStack: string(debug.Stack())}
}
