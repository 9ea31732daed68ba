package runtime

import "unsafe"

// Boxing an int64 into an interface allocates 8 bytes each time. Arithmetic
// on large integers is common (loop counters, sums, ids), so each thread
// hands out boxes from blocks of 512: one allocation per 512 results. The
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

const intBlock = 512

type intArena struct {
	block []int64
	next  int
}

// box returns n as a Value, without allocating for small values and with
// one allocation per block for the rest.
func (a *intArena) box(n int64) Value {
	if n >= -128 && n < 1024 {
		return smallInts[n+128]
	}
	if a.next == len(a.block) {
		a.block = make([]int64, intBlock)
		a.next = 0
	}
	p := &a.block[a.next]
	a.next++
	*p = n
	var v Value
	e := (*eface)(unsafe.Pointer(&v))
	e.typ = int64Type
	e.data = unsafe.Pointer(p)
	return v
}
