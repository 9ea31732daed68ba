package cli

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

// --serve listens only for the named services (cart's Swarm tasks load
// events and blog for its transactions without serving them), and
// `sxhost probe SERVICE` checks the /readyz of SX_ADDR_SERVICE, the health
// check of an image without a shell.
func TestServeOnlyAndProbe(t *testing.T) {
	bin := buildSxhost(t)
	dir := t.TempDir()
	a := filepath.Join(dir, "a.sx")
	b := filepath.Join(dir, "b.sx")
	os.WriteFile(a, []byte(`(defservice a :port 1) (defquery hi () (query "b" "there"))`), 0o644)
	os.WriteFile(b, []byte(`(defservice b :port 1) (defquery there () "from b")`), 0o644)
	addrA, addrB := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "run", "--serve", "a", a, b)
	cmd.Env = append(os.Environ(), "DATABASE_URL=", "SX_ENV=", "SX_ADDR_A="+addrA, "SX_ADDR_B="+addrB)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopWithSIGTERM(t, cmd, &logs)

	t.Setenv("SX_ADDR_A", strings.Replace(addrA, "127.0.0.1", "0.0.0.0", 1))
	var out, errs bytes.Buffer
	deadline := time.Now().Add(15 * time.Second)
	for probe([]string{"a"}, &out, &errs) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("probe a never succeeded: %s\n%s", errs.String(), logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "ready") {
		t.Errorf("probe printed %q", out.String())
	}
	if c, err := net.DialTimeout("tcp", addrB, time.Second); err == nil {
		c.Close()
		t.Error("b is served although --serve names only a")
	}
	// b is still loaded: a's query calls it in-process.
	resp, err := http.Get("http://" + addrA + "/internal/data/hi")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "from b") {
		t.Errorf("a's call to the unserved b: %s", body)
	}
	t.Setenv("SX_ADDR_B", addrB)
	if probe([]string{"b"}, &out, &errs) == 0 {
		t.Error("probe of a service that is not served succeeded")
	}
	if probe([]string{"http://" + addrA + "/healthz"}, &out, &errs) != 0 {
		t.Errorf("probe URL: %s", errs.String())
	}
}
