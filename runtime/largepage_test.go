package runtime_test

import (
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// TestLargePageAllocation renders a table of 100 and of 20,000 rows (about
// 1.3 MB, past the old pooled buffer's 1 MiB) and checks that the bytes
// allocated per render stay within twice the output and per row stay flat:
// a page larger than the pooled buffer must not regrow it from the start.
func TestLargePageAllocation(t *testing.T) {
	env := stdlib.NewEnv()
	th := env.NewThread(nil)
	// The rows are strings made outside the timed renders, so that what
	// is measured is the page, not boxing the ids of a long range.
	if _, err := th.EvalString("t", `(defcomp ~rows (&key items)
	  (table (map (fn (s) (tr (td s) (td "row <" s ">") (td :class "n" (str s "!")))) items)))`); err != nil {
		t.Fatal(err)
	}
	comp, _ := env.Lookup("~rows")
	perRow := map[int64]float64{}
	for _, n := range []int64{100, 20000} {
		ids := make([]runtime.Value, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%05d", i)
		}
		items := runtime.NewList(ids...)
		out, err := th.RenderCall(comp, runtime.KeywordArg{Name: "items"}, items)
		if err != nil || !strings.HasPrefix(out, `<table><tr><td>00000</td><td>row &lt;00000&gt;</td><td class="n">00000!</td></tr>`) {
			t.Fatalf("%.80q %v", out, err)
		}
		var m0, m1 goruntime.MemStats
		goruntime.ReadMemStats(&m0)
		const runs = 5
		for range runs {
			th.RenderCall(comp, runtime.KeywordArg{Name: "items"}, items)
		}
		goruntime.ReadMemStats(&m1)
		bytes := float64(m1.TotalAlloc-m0.TotalAlloc) / runs
		perRow[n] = bytes / float64(n)
		t.Logf("%d rows: %d bytes of output, %.0f bytes allocated (%.2fx the output)", n, len(out), bytes, bytes/float64(len(out)))
		if bytes > 2*float64(len(out)) {
			t.Errorf("%d rows: %.0f bytes allocated for %d bytes of output", n, bytes, len(out))
		}
	}
	if perRow[20000] > 1.2*perRow[100] {
		t.Errorf("bytes per row grow with the page: %.0f at 100 rows, %.0f at 20,000", perRow[100], perRow[20000])
	}
}
