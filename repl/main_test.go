package repl_test

// The sx binary under a pseudo-terminal or a pipe, and a throwaway
// PostgreSQL database for the database tests.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

var (
	sxBin  string
	dbURL  string
	tmpDir string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	tmpDir, err = os.MkdirTemp("", "sx-repl-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmpDir)
	sxBin = filepath.Join(tmpDir, "sx")
	build := exec.Command("go", "build", "-o", sxBin, "github.com/rose-ash/sxhost/cmd/sx")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building sx:", err)
		return 1
	}
	u, drop, err := pgtest.Create("sx_repl_test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	dbURL = u
	defer func() {
		if demoDrop != nil {
			demoDrop()
		}
	}()
	return m.Run()
}

// session is the sx binary running under a pseudo-terminal.
type session struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	done chan struct{} // closed when the output ends

	mu   sync.Mutex
	raw  bytes.Buffer
	seen int // offset in the plain output consumed by expect

	promptText string // the primary prompt, "sx> " unless read-only
}

// startSession runs sx with args under a 120×40 terminal, with HOME and the
// history in dir.
func startSession(t *testing.T, dir string, env []string, args ...string) *session {
	t.Helper()
	cmd := exec.Command(sxBin, append([]string{"repl"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "TERM=xterm", "HOME=" + dir, "LANG=C.UTF-8",
		"SX_HISTORY=" + filepath.Join(dir, "history"),
	}, env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, cmd: cmd, pty: f, done: make(chan struct{}), promptText: "sx> "}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			s.mu.Lock()
			s.raw.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
	})
	return s
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\r|\a`)

// plain is the output so far without escape sequences and carriage returns.
func (s *session) plain() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.ReplaceAllString(s.raw.String(), "")
}

// expect waits until text appears in the output after what earlier expects
// consumed, consumes up to its end and returns the output before it.
func (s *session) expect(text string) string {
	s.t.Helper()
	before, ok := s.expectWithin(text, 10*time.Second)
	if !ok {
		s.t.Fatalf("timed out waiting for %q; output after the last match:\n%q", text, s.plain()[s.seen:])
	}
	return before
}

// expectWithin is expect that gives up after d, reporting whether text came.
func (s *session) expectWithin(text string, d time.Duration) (string, bool) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		out := s.plain()
		if i := strings.Index(out[s.seen:], text); i >= 0 {
			before := out[s.seen : s.seen+i]
			s.seen += i + len(text)
			return before, true
		}
		select {
		case <-s.done:
			s.t.Fatalf("output ended before %q; output:\n%s", text, out)
		default:
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// prompt waits for the primary prompt. Prompts follow a newline; liner's
// redraws of the line being edited repeat the prompt without one.
func (s *session) prompt() { s.t.Helper(); s.expect("\n" + s.promptText) }

// cont waits for the continuation prompt.
func (s *session) cont() { s.t.Helper(); s.expect("\n... ") }

func (s *session) send(text string) {
	s.t.Helper()
	if _, err := io.WriteString(s.pty, text); err != nil {
		s.t.Fatal(err)
	}
}

// line types text and Enter.
func (s *session) line(text string) { s.t.Helper(); s.send(text + "\r") }

// eval types an entry at the prompt and returns the output up to the next
// prompt (ending with a newline).
func (s *session) eval(text string) string {
	s.t.Helper()
	s.line(text)
	return s.expect("\n"+s.promptText) + "\n"
}

// wait waits for the process to exit and returns its status.
func (s *session) wait() int {
	s.t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- s.cmd.Wait() }()
	select {
	case err := <-ch:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			s.t.Fatal(err)
		}
		return 0
	case <-time.After(10 * time.Second):
		s.t.Fatalf("sx repl did not exit; output:\n%s", s.plain())
	}
	return -1
}

// runPipe runs sx repl in a new directory with input on a pipe and returns
// stdout, stderr and the exit status.
func runPipe(t *testing.T, input string, args ...string) (string, string, int) {
	t.Helper()
	return pipeCmd(t, t.TempDir(), input, args...)()
}

// pipeCmd returns a function that runs sx repl in dir with input on a pipe.
func pipeCmd(t *testing.T, dir, input string, args ...string) func() (string, string, int) {
	return pipeEnv(t, dir, nil, input, args...)
}

// pipeEnv is pipeCmd with more environment variables.
func pipeEnv(t *testing.T, dir string, env []string, input string, args ...string) func() (string, string, int) {
	return func() (string, string, int) {
		t.Helper()
		cmd := exec.Command(sxBin, append([]string{"repl"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
		cmd.Stdin = strings.NewReader(input)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), code
	}
}
