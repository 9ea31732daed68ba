package runtime

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestOutputSearch checks Output's searches, prefix and ranges against the
// same text as one string, on a writer whose pieces are as short as one
// byte, so that matches straddle one and several joins between pieces.
func TestOutputSearch(t *testing.T) {
	th := NewEnv().NewThread(nil)
	pats := []string{"</body>", "</head>", "<", "ab", "zz", "</body></body>"}
	for round := range 20 {
		r := rand.New(rand.NewPCG(uint64(round), 11))
		var text strings.Builder
		for text.Len() < 100<<10 {
			text.WriteString([]string{"</body>", "</head>", "ab", "</body></body>", "x", strings.Repeat("a", r.IntN(300))}[r.IntN(6)])
		}
		ws := text.String()
		// The text in pieces of 1 to 20 bytes, mostly as sealed chunks.
		w := th.writer()
		for i := 0; i < len(ws); {
			j := min(len(ws), i+1+r.IntN(20))
			if r.IntN(4) == 0 {
				w.str(ws[i:j])
			} else {
				if len(w.b) > 0 {
					w.done = append(w.done, chunk{b: w.b})
					w.size += len(w.b)
					w.b = nil
				}
				w.done = append(w.done, chunk{b: []byte(ws[i:j])})
				w.size += j - i
			}
			i = j
		}
		o := &Output{w: w}
		if o.Len() != len(ws) || o.String() != ws {
			t.Fatalf("round %d: output differs", round)
		}
		for _, p := range pats {
			if got, exp := o.Index(p), strings.Index(ws, p); got != exp {
				t.Fatalf("round %d: Index(%q) = %d, want %d", round, p, got, exp)
			}
			if got, exp := o.LastIndex(p), strings.LastIndex(ws, p); got != exp {
				t.Fatalf("round %d: LastIndex(%q) = %d, want %d", round, p, got, exp)
			}
		}
		if got := o.Prefix(9); got != ws[:9] {
			t.Fatalf("Prefix(9) = %q, want %q", got, ws[:9])
		}
		for range 50 {
			i := r.IntN(len(ws) + 1)
			j := i + r.IntN(len(ws)-i+1)
			if got := string(o.AppendRange([]byte("x"), i, j)); got != "x"+ws[i:j] {
				t.Fatalf("AppendRange(%d, %d) differs", i, j)
			}
			var b bytes.Buffer
			if n, err := o.WriteRange(&b, i, j); err != nil || int(n) != j-i || b.String() != ws[i:j] {
				t.Fatalf("WriteRange(%d, %d) = %d, %v", i, j, n, err)
			}
		}
		o.Release()
	}
}
