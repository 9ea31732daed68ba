package cli

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// writes records each Write call.
type writes struct {
	mu    sync.Mutex
	calls []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, string(p))
	return len(p), nil
}

func (w *writes) snapshot() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.calls...)
}

// TestLineBufferBatchesEveryLine: a production log's lines reach the output
// whole, in order, all of them, in one write per flush instead of one per
// line; the timer flushes without being asked, a full buffer at once, and
// Close flushes and writes later lines through.
func TestLineBufferBatchesEveryLine(t *testing.T) {
	var out writes
	lb := newLineBuffer(&out)
	log := slog.New(slog.NewJSONHandler(lb, nil))
	for i := range 100 {
		log.Info("request", "n", i)
	}
	if n := len(out.snapshot()); n > 1 {
		t.Fatalf("100 lines took %d writes before any flush; want them batched", n)
	}
	// The timer flushes them, once.
	deadline := time.Now().Add(10 * time.Second)
	for len(out.snapshot()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	calls := out.snapshot()
	if len(calls) != 1 {
		t.Fatalf("the timer's flush made %d writes, want 1", len(calls))
	}
	lines := strings.Split(strings.TrimSuffix(calls[0], "\n"), "\n")
	if len(lines) != 100 {
		t.Fatalf("%d lines written, want 100", len(lines))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.Contains(l, fmt.Sprintf(`"n":%d}`, i)) {
			t.Fatalf("line %d is %q", i, l)
		}
	}
	// A full buffer is written at once.
	big := strings.Repeat("x", logBufferSize)
	log.Info("big", "pad", big)
	if calls := out.snapshot(); len(calls) != 2 || !strings.Contains(calls[1], big) {
		t.Fatalf("a line over the buffer's size was not written at once (%d writes)", len(calls))
	}
	// Close writes what is left; later lines go straight through.
	log.Warn("last before close")
	if err := lb.Close(); err != nil {
		t.Fatal(err)
	}
	log.Error("after close")
	calls = out.snapshot()
	if len(calls) != 4 || !strings.Contains(calls[2], "last before close") || !strings.Contains(calls[3], "after close") {
		t.Fatalf("writes after Close: %q", calls[2:])
	}
	var all bytes.Buffer
	for _, c := range calls {
		all.WriteString(c)
	}
	if n := strings.Count(all.String(), "\n"); n != 103 {
		t.Fatalf("%d lines in all, want 103", n)
	}
}
