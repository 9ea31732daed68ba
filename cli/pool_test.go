package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// A pool size that is not one stops the start with a message naming the
// variable, before anything listens.
func TestRunRefusesABadPoolSize(t *testing.T) {
	t.Setenv("DATABASE_POOL_MAX", "lots")
	file := filepath.Join(t.TempDir(), "svc.sx")
	var stdout, stderr bytes.Buffer
	if code := SxhostMain([]string{"run", "--addr", "127.0.0.1:0", file}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "DATABASE_POOL_MAX") {
		t.Errorf("exit %d, stderr %q: want 1 and a message naming DATABASE_POOL_MAX", code, stderr.String())
	}
}
