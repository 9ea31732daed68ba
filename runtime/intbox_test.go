package runtime

import "testing"

// TestFillInts checks the block-boxed sequences range builds: values on
// both sides of the pre-boxed small ints, negative steps, and the extremes.
func TestFillInts(t *testing.T) {
	for _, c := range []struct{ start, step, n int64 }{
		{0, 1, 3000}, {-500, 7, 400}, {5000, -3, 4000}, {1 << 62, 1 << 60, 3},
		{-(1 << 63), 1, 2}, {1<<63 - 3, 1, 3}, {1020, 1, 10},
	} {
		out := make([]Value, c.n)
		FillInts(out, c.start, c.step)
		v := c.start
		for i, x := range out {
			if x != Value(v) {
				t.Fatalf("FillInts(%d, %d)[%d] = %v, want %d", c.start, c.step, i, x, v)
			}
			if i < len(out)-1 {
				v += c.step
			}
		}
	}
}

// TestSmallInts: the static table behind smallInt holds each value at its
// place, and boxing one allocates nothing.
func TestSmallInts(t *testing.T) {
	for n := int64(-128); n < 1024; n++ {
		if v := boxInt(n); v != Value(n) {
			t.Fatalf("boxInt(%d) = %v", n, v)
		}
	}
	var sink Value
	if a := testing.AllocsPerRun(100, func() { sink = boxInt(1000); sink = boxInt(-5) }); a != 0 {
		t.Errorf("boxing a small int: %v allocations", a)
	}
	_ = sink
}
