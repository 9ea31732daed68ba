package runtime

import "unsafe"

// Boxing an int64 into an interface allocates 8 bytes each time. Arithmetic
// on large integers is common (loop counters, sums, ids), so each thread
// hands out boxes from blocks, growing from 32 to 512: one allocation per
// 512 results once a thread does arithmetic in earnest, and little memory
// held by pooled threads that never do. The
// boxes are never written after creation, as the Go runtime requires of
// interface data, and a block stays alive while any of its boxes does.

type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

var int64Type = func() unsafe.Pointer {
	var v any = int64(1 << 40)
	return (*eface)(unsafe.Pointer(&v)).typ
}()

const (
	firstIntBlock = 32
	intBlock      = 512
)

type intArena struct {
	block []int64
	next  int
}

// box returns n as a Value, without allocating for small values and with
// one allocation per block for the rest. The arithmetic fast paths call it
// for every result, so it is written to stay under the compiler's inlining
// budget (`go build -gcflags=-m ./runtime` says "can inline
// (*intArena).box"): one pointer chosen by the two cases, the interface
// made once, a new block out of line. Written as two returns it cost 99 and
// was a call per result.
func (a *intArena) box(n int64) Value {
	var p *int64
	if uint64(n+128) < uint64(len(smallIntValues)) {
		p = &smallIntValues[n+128]
	} else {
		if a.next == len(a.block) {
			a.grow()
		}
		p = &a.block[a.next]
		*p = n
		a.next++
	}
	e := eface{int64Type, unsafe.Pointer(p)}
	return *(*Value)(unsafe.Pointer(&e))
}

// grow starts a new block, twice the last one's size up to intBlock.
func (a *intArena) grow() {
	a.block = make([]int64, min(max(2*len(a.block), firstIntBlock), intBlock))
	a.next = 0
}

// Int returns n as a Value from the thread's boxes: primitives that return
// many ints (arithmetic, counting) use it instead of converting an int64,
// which allocates 8 bytes for each value outside the small ones.
func (th *Thread) Int(n int64) Value { return th.ints.box(n) }

// FillInts stores start, start+step, … into out, boxing every int outside
// the pre-boxed small ones into one shared block: one allocation for the
// whole list instead of one per item. The caller guarantees the sequence
// does not overflow.
func FillInts(out []Value, start, step int64) {
	var block []int64
	v := start
	for i := range out {
		if v >= -128 && v < 1024 {
			out[i] = smallInt(v)
		} else {
			if len(block) == 0 {
				block = make([]int64, len(out)-i)
			}
			p := &block[0]
			block = block[1:]
			*p = v
			var x Value
			e := (*eface)(unsafe.Pointer(&x))
			e.typ = int64Type
			e.data = unsafe.Pointer(p)
			out[i] = x
		}
		if i < len(out)-1 {
			v += step
		}
	}
}
