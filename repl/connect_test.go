package repl_test

// sx repl --connect against a running `sxhost run --dev --repl`, both as
// processes talking through real sockets.

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func httpBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startDevHost runs `sxhost run --dev --repl` on a one-query service and
// returns the service's and the REPL's addresses once both answer.
func startDevHost(t *testing.T) (web, repl string) {
	t.Helper()
	bin, err := buildSxhost()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "live.sx")
	if err := os.WriteFile(file, []byte(`(defservice live)
(defquery greeting (&key (name :str)) "Greets." (str "hello " name))
`), 0o644); err != nil {
		t.Fatal(err)
	}
	web, repl = freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "run", "--dev", "--repl", repl, "--addr", web, file)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", repl)
		if err == nil {
			c.Close()
			if _, err := http.Get("http://" + web + "/healthz"); err == nil {
				return web, repl
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("sxhost run --dev --repl did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConnectRedefinesLiveQuery: a query redefined through sx repl
// --connect answers the running host's next request.
func TestConnectRedefinesLiveQuery(t *testing.T) {
	web, repl := startDevHost(t)
	url := "http://" + web + "/internal/data/greeting?name=ada"
	if b := httpBody(t, url); b != `"hello ada"` {
		t.Fatalf("before: %s", b)
	}
	in := `(greeting :name "bo")
(defquery greeting (&key (name :str)) (str "bonjour " name))
(list (greeting :name "cy")
      (+ 1 2))
:in nowhere
:sql select 1
(undefined-here)
`
	out, errOut, code := pipeCmd(t, t.TempDir(), in, "--connect", repl)()
	if out != "\"hello bo\"\n(\"bonjour cy\" 3)\n" || code != 1 {
		t.Errorf("stdout %q status %d", out, code)
	}
	for _, want := range []string{
		":in nowhere: the host serves live",
		":sql is not available with --connect",
		"<stdin>:7:1: Undefined symbol: undefined-here",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if b := httpBody(t, url); b != `"bonjour ada"` {
		t.Errorf("after the redefinition the host answers %s", b)
	}
	// At a terminal the prompt names the service.
	s := startSession(t, t.TempDir(), nil, "--connect", repl)
	s.promptText = "sx@live> "
	s.prompt()
	if got := s.eval(`(greeting :name "di")`); !strings.Contains(got, `"bonjour di"`) {
		t.Errorf("at the terminal: %q", got)
	}
	// Ctrl-C stops an evaluation running on the host, not only the wait.
	s.eval(`(define spins 0)`)
	s.line(`(do (println "spinning") (define (spin) (set! spins (+ spins 1)) (spin)) (spin))`)
	s.expect("spinning")
	s.send("\x03")
	if out := s.expect("\n" + s.promptText); !strings.Contains(out, "interrupted: the evaluation on the host was stopped") {
		t.Errorf("after Ctrl-C: %q", out)
	}
	// The value is the last line before the prompt (the echo before it
	// may be redrawn).
	value := func() string {
		lines := strings.Split(strings.TrimSpace(s.eval("spins")), "\n")
		return lines[len(lines)-1]
	}
	first := value()
	time.Sleep(300 * time.Millisecond)
	if again := value(); again != first {
		t.Errorf("the loop goes on after Ctrl-C: spins %q then %q", first, again)
	}
}

// TestConnectIsOffByDefault: without --repl nothing listens, --repl needs
// --dev, and the client says what it could not reach.
func TestConnectIsOffByDefault(t *testing.T) {
	bin, err := buildSxhost()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "run", "--repl", "127.0.0.1:0", "--addr", "127.0.0.1:0", "x.sx").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "--repl needs --dev") {
		t.Errorf("--repl without --dev: %v %s", err, out)
	}
	_, errOut, code := runPipe(t, "1\n", "--connect", freeAddr(t))
	if code != 1 || !strings.Contains(errOut, "sx repl: --connect 127.0.0.1:") {
		t.Errorf("nothing listening: %q %d", errOut, code)
	}
	_, errOut, code = runPipe(t, "1\n", "--connect", "127.0.0.1:1", "--db", "postgres://x")
	if code != 2 || !strings.Contains(errOut, "--connect takes no --db") {
		t.Errorf("--connect with --db: %q %d", errOut, code)
	}
}
