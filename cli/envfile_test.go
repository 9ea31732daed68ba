package cli

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLoadFileVariables(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("s3cret value\n"), 0o600)
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	got := map[string]string{}
	set := func(k, v string) error { got[k] = v; return nil }

	// Only the host's secret variables: TF_CLI_CONFIG_FILE and the like
	// belong to other programs.
	if err := loadFileVariables(env("SX_INTERNAL_SECRET_FILE", secret, "TF_CLI_CONFIG_FILE", "/nonexistent"), set); err != nil {
		t.Fatal(err)
	}
	if got["SX_INTERNAL_SECRET"] != "s3cret value" || len(got) != 1 {
		t.Errorf("got %v", got)
	}
	// The same value twice (a second start in one process) is fine.
	if err := loadFileVariables(env("SX_INTERNAL_SECRET_FILE", secret, "SX_INTERNAL_SECRET", "s3cret value"), set); err != nil {
		t.Errorf("variable already holding the file's value: %v", err)
	}
	err := loadFileVariables(env("SX_INTERNAL_SECRET_FILE", secret, "SX_INTERNAL_SECRET", "other"), set)
	if err == nil || !strings.Contains(err.Error(), "both SX_INTERNAL_SECRET and SX_INTERNAL_SECRET_FILE") {
		t.Errorf("both set: %v", err)
	}
	err = loadFileVariables(env("DATABASE_URL_FILE", filepath.Join(dir, "missing")), set)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE") {
		t.Errorf("missing file: %v", err)
	}

	// (env NAME) of the services: NAME_FILE for any declared name.
	t.Setenv("GHOST_ADMIN_API_KEY_FILE", secret)
	t.Setenv("GHOST_ADMIN_API_KEY", "")
	get := serviceGetenv(func(string, ...any) {})
	if v := get("GHOST_ADMIN_API_KEY"); v != "s3cret value" {
		t.Errorf("(env GHOST_ADMIN_API_KEY) from its file: %q", v)
	}
	t.Setenv("GHOST_ADMIN_API_KEY", "direct")
	if v := get("GHOST_ADMIN_API_KEY"); v != "direct" {
		t.Errorf("(env GHOST_ADMIN_API_KEY) set directly: %q", v)
	}
}

// The binary end to end: a production start takes its internal secret
// from SX_INTERNAL_SECRET_FILE (it refuses to start without one), and on
// SIGTERM with SX_SHUTDOWN_DELAY its /readyz fails while it still
// answers, then it exits cleanly.
func TestSxhostSecretFileAndDrain(t *testing.T) {
	bin := buildSxhost(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "svc.sx")
	os.WriteFile(file, []byte(`(defservice svc :port 1)`), 0o644)
	secret := filepath.Join(dir, "internal_secret")
	os.WriteFile(secret, []byte("from-a-docker-secret\n"), 0o600)
	smtp := filepath.Join(dir, "smtp_url")
	os.WriteFile(smtp, []byte("smtp://user:pass@127.0.0.1:1\n"), 0o600)
	addr := freeAddr(t)
	cmd := exec.Command(bin, "run", file)
	cmd.Env = append(os.Environ(), "DATABASE_URL=", "SX_ENV=prod", "SX_INTERNAL_SECRET=", "SX_INTERNAL_SECRET_FILE="+secret,
		"SMTP_URL=", "SMTP_URL_FILE="+smtp, "MAIL_FROM=noreply@example.org", "SX_SHUTDOWN_DELAY=1500ms", "SX_ADDR_SVC="+addr)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	status := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(15 * time.Second)
	for status("/readyz") != 200 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("sxhost did not start with SX_INTERNAL_SECRET_FILE:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	if s := status("/readyz"); s != 503 {
		t.Errorf("/readyz while draining: %d, want 503", s)
	}
	if s := status("/healthz"); s != 200 {
		t.Errorf("/healthz while draining: %d, want 200 (still answering)", s)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no exit after the drain:\n%s", logs.String())
	}
}
