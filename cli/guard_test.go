package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 9, finding 1: production does not start without the internal
// secret, and the message names the variable.
func TestSxhostRunRefusesProdWithoutSecret(t *testing.T) {
	bin := buildSxhost(t)
	file := filepath.Join(t.TempDir(), "svc.sx")
	os.WriteFile(file, []byte(`(defservice svc :port 1)`), 0o644)
	cmd := exec.Command(bin, "run", file)
	cmd.Env = append(os.Environ(), "DATABASE_URL=", "SX_ENV=prod", "SX_INTERNAL_SECRET=", "SX_ADDR_SVC="+freeAddr(t))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "SX_INTERNAL_SECRET must be set") {
		t.Errorf("prod without a secret: %v\n%s", err, out)
	}
}
