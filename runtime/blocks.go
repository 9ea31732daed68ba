package runtime

import "unsafe"

// Blocks hands out the values of one decoded result (a query's rows): value
// slices, strings and decimals come from shared blocks, one allocation per
// block instead of one per value. A block stays alive while any value made
// from it does, so a Blocks serves one result, whose values are kept or
// dropped together; nothing handed out is ever written again. The zero
// Blocks is ready to use.
type Blocks struct {
	vals []Value
	text []byte
	decs []Decimal
	// the sizes of the last value and decimal blocks
	valBlock, decBlock int
}

// Block sizes: the first block of each kind is small (sql/one makes one
// row: its first value block is exactly that row), the next ones grow up to
// the cap.
const (
	maxValueBlock   = 512
	firstTextBlock  = 64
	maxTextBlock    = 4096
	sharedTextLimit = 512 // longer strings get an allocation of their own
	firstDecBlock   = 8
	maxDecBlock     = 64
)

// Values returns a slice of n values (nil), from the current block or a
// new one.
func (b *Blocks) Values(n int) []Value {
	if n > len(b.vals) {
		if b.valBlock == 0 {
			b.valBlock = n // sql/one's single row: no more
		} else {
			b.valBlock = max(n, min(max(2*b.valBlock, 64), maxValueBlock))
		}
		b.vals = make([]Value, b.valBlock)
	}
	out := b.vals[:n:n]
	b.vals = b.vals[n:]
	return out
}

// String returns p as a string, copied into the current text block.
func (b *Blocks) String(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if len(p) > sharedTextLimit {
		return string(p)
	}
	if len(p) > cap(b.text)-len(b.text) {
		size := max(len(p), min(2*cap(b.text), maxTextBlock), firstTextBlock)
		b.text = make([]byte, 0, size)
	}
	start := len(b.text)
	b.text = append(b.text, p...) // within capacity: the block does not move
	return unsafe.String(&b.text[start], len(p))
}

// Decimal returns coef × 10^-scale (0 ≤ scale ≤ MaxDecimalScale) from the
// current decimal block.
func (b *Blocks) Decimal(coef int64, scale int32) *Decimal {
	if len(b.decs) == 0 {
		if b.decBlock == 0 {
			b.decBlock = 1 // the first decimal: perhaps sql/one's only one
		} else {
			b.decBlock = min(max(2*b.decBlock, firstDecBlock), maxDecBlock)
		}
		b.decs = make([]Decimal, b.decBlock)
	}
	d := &b.decs[0]
	d.coef, d.scale = coef, scale
	b.decs = b.decs[1:]
	return d
}

// NewDictsOf returns a dict per row, as NewDictOf(keys, row) would, the
// dicts made in one allocation: the rows of a query share their column
// names. The rows' slices are adopted as NewDictOf adopts them.
func NewDictsOf(keys []string, rows [][]Value) []Value {
	out := make([]Value, len(rows))
	n := len(keys)
	if n > smallDict || !distinct(keys) {
		for i, r := range rows {
			out[i] = NewDictOf(keys, r)
		}
		return out
	}
	dicts := make([]Dict, len(rows))
	for i, r := range rows {
		dicts[i] = Dict{keys: keys[:n:n], vals: r[:n:n]}
		out[i] = &dicts[i]
	}
	return out
}
