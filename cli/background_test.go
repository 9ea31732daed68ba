package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

// TestRunBackgroundApartFromPages: a web process started with
// --background=false serves its pages and runs no job, and a worker
// (--serve none) listens for nothing and runs the jobs — ActivityPub
// delivery's way out of the pages' process (docs/federation.md).
func TestRunBackgroundApartFromPages(t *testing.T) {
	url, drop, err := pgtest.Create("sx_cli_background")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	bin := buildSxhost(t)
	env := append(os.Environ(), "DATABASE_URL="+url, "REDIS_URL=")
	if out, err := (&exec.Cmd{Path: bin, Args: []string{bin, "migrate", "up"}, Env: env}).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "w.sx")
	os.WriteFile(file, []byte(`(defservice w :port 1)
(defquery hello () "hello")
(defjob tick :every 1 () "A job that only records its runs." 1)`), 0o644)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	runs := func() (n int) {
		conn.QueryRow(ctx, "select count(*) from job_runs where service = 'w' and job = 'tick'").Scan(&n)
		return n
	}
	start := func(args ...string) (*exec.Cmd, *bytes.Buffer, string) {
		addr := freeAddr(t)
		cmd := exec.Command(bin, append(append([]string{"run"}, args...), file)...)
		cmd.Env = append(env, "SX_ADDR_W="+addr)
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, &logs, addr
	}

	web, logs, addr := start("--background=false")
	if got := waitBody(t, "http://"+addr+"/internal/data/hello"); got != `"hello"` {
		t.Fatalf("web: %s", got)
	}
	time.Sleep(2 * time.Second) // the job, due at once, would have run by now
	if n := runs(); n != 0 {
		t.Errorf("the web process with --background=false ran the job (%d runs)", n)
	}
	stopWithSIGTERM(t, web, logs)

	_, logs, addr = start("--serve", "none")
	for deadline := time.Now().Add(15 * time.Second); runs() == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the worker never ran the job:\n%s", logs)
		}
	}
	if _, err := http.Get("http://" + addr + "/internal/data/hello"); err == nil {
		t.Errorf("the worker (--serve none) serves its service at %s", addr)
	}

	var out, errb bytes.Buffer
	for _, args := range [][]string{{"--serve", "none", "--background=false"}, {"--serve", "none,w"}} {
		errb.Reset()
		if st := SxhostMain(append(append([]string{"run"}, args...), file), &out, &errb); st != 2 || !strings.Contains(errb.String(), "--serve none is a background worker") {
			t.Errorf("run %v: status %d, stderr %q", args, st, errb.String())
		}
	}
}
