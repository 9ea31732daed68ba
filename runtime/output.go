package runtime

import (
	"bytes"
	"io"
	"unsafe"
)

// Output is rendered output left in the writer's chunks (RenderCallOutput,
// RenderHTMLOutput): a caller that writes a page to a connection writes it
// from the chunks, without first copying it into one string (issue 20: a
// large page then costs its size once less). Release gives the chunks back
// to their pools; an Output that is not released is only garbage. An
// Output is read by one goroutine at a time and not after Release.
type Output struct {
	w *Writer
}

// Len returns the output's size in bytes.
func (o *Output) Len() int { return o.w.Len() }

// String returns the output as one string.
func (o *Output) String() string { return o.w.String() }

// each calls f with the output's pieces in order until f returns false.
func (o *Output) each(f func(off int, seg []byte) bool) {
	off := 0
	for _, c := range o.w.done {
		if !f(off, c.b) {
			return
		}
		off += len(c.b)
	}
	if len(o.w.b) > 0 {
		f(off, o.w.b)
	}
}

// Prefix returns up to the first n bytes of the output.
func (o *Output) Prefix(n int) string {
	var b []byte
	o.each(func(_ int, seg []byte) bool {
		b = append(b, seg[:min(len(seg), n-len(b))]...)
		return len(b) < n
	})
	return string(b)
}

// Index returns the offset of the first s in the output, or -1.
func (o *Output) Index(s string) int {
	at := -1
	o.matches(s, func(i int) bool { at = i; return false })
	return at
}

// LastIndex returns the offset of the last s in the output, or -1.
func (o *Output) LastIndex(s string) int {
	at := -1
	o.matches(s, func(i int) bool { at = i; return true })
	return at
}

// matches calls found with the offset of each occurrence of s (non-empty),
// in order, while found returns true: per piece with bytes.Index, and
// across the joins of pieces from the last len(s)-1 bytes before a piece
// (carry) and the start of the piece.
func (o *Output) matches(s string, found func(int) bool) {
	pat := unsafe.Slice(unsafe.StringData(s), len(s))
	var carry, buf []byte
	o.each(func(off int, seg []byte) bool {
		if len(carry) > 0 {
			buf = append(append(buf[:0], carry...), seg[:min(len(seg), len(s)-1)]...)
			// Only matches that start in carry: later ones are seg's own.
			for i := 0; i < len(carry); {
				j := bytes.Index(buf[i:], pat)
				if j < 0 || i+j >= len(carry) {
					break
				}
				if !found(off - len(carry) + i + j) {
					return false
				}
				i += j + 1
			}
		}
		for i := 0; ; {
			j := bytes.Index(seg[i:], pat)
			if j < 0 {
				break
			}
			if !found(off + i + j) {
				return false
			}
			i += j + 1
		}
		carry = append(carry, seg[max(0, len(seg)-(len(s)-1)):]...)
		carry = carry[max(0, len(carry)-(len(s)-1)):]
		return true
	})
}

// WriteRange writes bytes from to to of the output to w.
func (o *Output) WriteRange(w io.Writer, from, to int) (n int64, err error) {
	o.each(func(off int, seg []byte) bool {
		if off >= to {
			return false
		}
		lo, hi := max(from-off, 0), min(to-off, len(seg))
		if lo < hi {
			var k int
			k, err = w.Write(seg[lo:hi])
			n += int64(k)
		}
		return err == nil
	})
	return n, err
}

// AppendRange appends bytes from to to of the output to b.
func (o *Output) AppendRange(b []byte, from, to int) []byte {
	o.each(func(off int, seg []byte) bool {
		if off >= to {
			return false
		}
		if lo, hi := max(from-off, 0), min(to-off, len(seg)); lo < hi {
			b = append(b, seg[lo:hi]...)
		}
		return true
	})
	return b
}

// Release gives the output's chunks back to their pools.
func (o *Output) Release() {
	if o.w != nil {
		releaseWriter(o.w)
		o.w = nil
	}
}
