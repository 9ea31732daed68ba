package runtime

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestWriterChunks writes a few MiB of mixed pieces (plain strings,
// escaped text, numbers, pieces larger than a chunk, HTML values kept by
// reference) and checks that the
// chunked writer returns exactly what a strings.Builder holds, with Len and
// the last byte right all the way.
func TestWriterChunks(t *testing.T) {
	th := NewEnv().NewThread(nil)
	for round := range 3 {
		r := rand.New(rand.NewPCG(uint64(round), 7))
		w := th.writer()
		var want strings.Builder
		for want.Len() < 3<<20 {
			switch r.IntN(6) {
			case 0:
				s := strings.Repeat("ab<c>&\"", r.IntN(40))
				escapeText(w, s)
				want.WriteString(EscapeHTML(s))
			case 1:
				n := r.Int64()
				w.reserve(20)
				w.b = strconv.AppendInt(w.b, n, 10)
				want.WriteString(strconv.FormatInt(n, 10))
			case 2:
				s := strings.Repeat("x", r.IntN(3*outChunk))
				w.str(s)
				want.WriteString(s)
			case 3:
				s := strings.Repeat("<p>"+strconv.Itoa(r.IntN(100))+"</p>", r.IntN(2*refMin/8))
				w.html(s)
				want.WriteString(s)
			default:
				s := "<li>" + strconv.Itoa(r.IntN(1000)) + "</li>"
				w.str(s)
				want.WriteString(s)
			}
			if w.Len() != want.Len() {
				t.Fatalf("Len %d, want %d", w.Len(), want.Len())
			}
			if got, ws := w.last(), want.String(); ws != "" && got != ws[len(ws)-1] {
				t.Fatalf("last byte %q, want %q", got, ws[len(ws)-1])
			}
		}
		if len(w.done) == 0 {
			t.Fatal("the writer never sealed a chunk")
		}
		if got := th.doneWriter(w); got != want.String() {
			t.Fatalf("round %d: output differs (lengths %d and %d)", round, len(got), want.Len())
		}
	}
}
