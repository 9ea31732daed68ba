package cli

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildSxhost compiles the sxhost command once for the tests that run it as
// a process (signals and exit status are part of its contract).
func buildSxhost(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sxhost")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/sxhost")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// stopWithSIGTERM signals the process and checks that it exits cleanly
// within 10 s; logs is its standard error, shown on failure.
func stopWithSIGTERM(t *testing.T, cmd *exec.Cmd, logs *bytes.Buffer) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sxhost did not stop after SIGTERM")
	}
}

// waitBody polls url until it answers 200, returning the body.
func waitBody(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return string(b)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", url)
	return ""
}

func TestSxhostRunServesEachServiceAndStopsOnSIGTERM(t *testing.T) {
	bin := buildSxhost(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "alpha.sx"), []byte(`(defservice alpha :port 1)
(defquery hello () (str "alpha says " (query "beta" "name")))`), 0o644)
	os.WriteFile(filepath.Join(dir, "beta.sx"), []byte(`(defservice beta :port 1)
(defquery name () "beta")`), 0o644)
	addrA, addrB := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "run", filepath.Join(dir, "alpha.sx"), filepath.Join(dir, "beta.sx"))
	cmd.Env = append(os.Environ(), "DATABASE_URL=", "SX_ADDR_ALPHA="+addrA, "SX_ADDR_BETA="+addrB)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// alpha calls beta in-process: both files are served by this process.
	if got := waitBody(t, "http://"+addrA+"/internal/data/hello"); got != `"alpha says beta"` {
		t.Errorf("alpha: %s", got)
	}
	if got := waitBody(t, "http://"+addrB+"/internal/data/name"); got != `"beta"` {
		t.Errorf("beta: %s", got)
	}
	stopWithSIGTERM(t, cmd, &logs)
	for _, want := range []string{`"msg":"serving","service":"alpha"`, `"msg":"serving","service":"beta"`, `"msg":"request"`, "shutting down"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}

func TestSxhostRunAddrServesOneFile(t *testing.T) {
	var out, errb bytes.Buffer
	if st := SxhostMain([]string{"run", "--addr", "127.0.0.1:0", "a.sx", "b.sx"}, &out, &errb); st != 2 || !strings.Contains(errb.String(), "--addr serves one file") {
		t.Errorf("status %d, stderr %q", st, errb.String())
	}
}

func TestSxhostReportsLoadErrorsWithPosition(t *testing.T) {
	f := writeFile(t, "broken.sx", "(defservice broken :port 9)\n(defquery q () (list 1 2)")
	var out, errb bytes.Buffer
	if st := SxhostMain([]string{"check", f}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "broken.sx:2:1: unterminated list") {
		t.Errorf("status %d, stderr %q", st, errb.String())
	}
}

func TestSxhostUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if st := SxhostMain(nil, &out, &errb); st != 2 {
		t.Errorf("no command: status %d", st)
	}
	if st := SxhostMain([]string{"serve"}, &out, &errb); st != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: status %d, stderr %q", st, errb.String())
	}
}

// TestSxLinksNoPlatform guards the start-up of sx (docs/benchmarks.md):
// the one-shot commands must not link the HTTP server, the database driver
// or the compressors, whose package initialisers run before every sx eval,
// nor x/text (format-money uses tables generated from it: its locale data
// cost page faults).
func TestSxLinksNoPlatform(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../cmd/sx").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/rose-ash/sxhost/host", "github.com/rose-ash/sxhost/repl",
			"github.com/valyala/fasthttp", "github.com/jackc/pgx", "github.com/molecule-man/go-brrr",
			"github.com/klauspost/compress", "github.com/prometheus/",
			"github.com/rose-ash/sxhost/prims/signing", "github.com/golang-jwt/", "crypto/x509", "crypto/ecdsa", "crypto/ed25519",
			"net/url", "net/netip", "golang.org/x/text"} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("cmd/sx links %s", pkg)
			}
		}
	}
}

// TestSxReplRunsSxhostRepl builds sx and sxhost side by side, as make
// build does, and checks that sx repl hands over to sxhost repl with its
// arguments.
func TestSxReplRunsSxhostRepl(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"sx", "sxhost"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "../cmd/"+cmd).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", cmd, err, out)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "sx"), "repl", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "usage: sx repl") || !strings.Contains(string(out), "--db") {
		t.Fatalf("sx repl --help: %v\n%s", err, out)
	}
	// Without sxhost beside it or on PATH, sx repl says what is missing.
	lone := t.TempDir()
	if err := os.Rename(filepath.Join(dir, "sx"), filepath.Join(lone, "sx")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(lone, "sx"), "repl")
	cmd.Env = append(os.Environ(), "PATH="+lone)
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "sxhost is neither next to sx nor on PATH") {
		t.Fatalf("sx repl without sxhost: %v\n%s", err, out)
	}
}

// TestSxInterruptCancelsEvaluation: Ctrl-C stops a running sx eval with the
// cancelled evaluation's error and status 1. sx arms its handler only after
// its first moments (sxcmd.interruptible, for start-up), so this checks the
// handler is armed once a program runs on.
func TestSxInterruptCancelsEvaluation(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sx")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/sx").CombinedOutput(); err != nil {
		t.Fatalf("build sx: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "eval")
	cmd.Stdin = strings.NewReader("(let loop ((i 0)) (loop (+ i 1)))")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(time.Second) // well past the arming (100 ms)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "evaluation cancelled") {
			t.Fatalf("after Ctrl-C: %v, stderr %q (want status 1 and the cancelled evaluation)", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("sx eval still running 30 s after Ctrl-C")
	}
}
