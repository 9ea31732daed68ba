package httpsig

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Deliveries are signed by the signer process, every thread of which runs
// at nice 19; the farm verifies each signature.
func TestSignerProcessAtLowestPriority(t *testing.T) {
	a, _ := keys(t)
	f := newFarm(t, 2, a.pub, 0)
	defer f.close()
	before := signedApart.Load()
	for _, r := range Deliver(context.Background(), http.DefaultClient, f.jobs(20, a.priv), Options{}) {
		if r.Status != 202 {
			t.Fatalf("job %d: %d %s", r.ID, r.Status, r.Err)
		}
	}
	if n := signedApart.Load() - before; n != 20 {
		t.Fatalf("the signer process made %d of 20 signatures", n)
	}
	p := currentSigner()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", p.pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("the signer process's threads: %v", err)
	}
	for _, task := range tasks {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", p.pid, task.Name()))
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
		if n, _ := strconv.Atoi(f[16]); n != 19 { // field 19 of stat: nice
			t.Fatalf("a thread of the signer process at nice %d, want 19", n)
		}
	}
}
