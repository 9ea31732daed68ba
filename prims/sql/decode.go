package sqlprims

import (
	"encoding/binary"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rose-ash/sxhost/runtime"
)

// rowDecoder turns rows into SX values. The common column types in pgx's
// binary format (ints, floats, booleans, text, numeric that fits an int64)
// are read straight from the row's bytes into values from one result's
// blocks, without pgx's generic Values (a []any, a boxed Go value and, for
// numeric, a big.Int per column); every other column goes through pgx's
// codec for its type and fromColumn, as before. TestDecodeMatchesPgx checks
// both ways give the same values.
type rowDecoder struct {
	th     *runtime.Thread
	name   string
	rows   pgx.Rows
	fds    []pgconn.FieldDescription
	fast   uint64 // bit i: column i is read from its bytes (the first 64)
	tm     *pgtype.Map
	blocks runtime.Blocks
}

func (d *rowDecoder) init(th *runtime.Thread, name string, rows pgx.Rows) {
	d.th, d.name, d.rows, d.fds = th, name, rows, rows.FieldDescriptions()
	for i, fd := range d.fds {
		if i < 64 && fastOID(fd.DataTypeOID, fd.Format) {
			d.fast |= 1 << i
		}
	}
}

// fastOID reports whether decodeFast reads a column of this type and
// format. Text types are the same bytes in either format (pgx asks for
// text); the others are read in binary.
func fastOID(oid uint32, format int16) bool {
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		return true
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.Float4OID, pgtype.Float8OID, pgtype.BoolOID,
		pgtype.NumericOID:
		return format == pgtype.BinaryFormatCode
	}
	return false
}

// row decodes the current row into a slice from the blocks.
func (d *rowDecoder) row() []runtime.Value {
	raw := d.rows.RawValues()
	vals := d.blocks.Values(len(d.fds))
	for i, b := range raw {
		if b == nil {
			continue // NULL
		}
		if d.fast&(1<<i) != 0 {
			if v, ok := d.decodeFast(d.fds[i].DataTypeOID, b); ok {
				vals[i] = v
				continue
			}
		}
		vals[i] = d.decodeSlow(i, b)
	}
	return vals
}

// decodeFast reads a binary column of a fastOID type; ok is false for
// values it leaves to pgx (malformed lengths, numerics that are NaN,
// infinite or beyond an int64 coefficient).
func (d *rowDecoder) decodeFast(oid uint32, b []byte) (runtime.Value, bool) {
	switch oid {
	case pgtype.Int2OID:
		if len(b) == 2 {
			return d.th.Int(int64(int16(binary.BigEndian.Uint16(b)))), true
		}
	case pgtype.Int4OID:
		if len(b) == 4 {
			return d.th.Int(int64(int32(binary.BigEndian.Uint32(b)))), true
		}
	case pgtype.Int8OID:
		if len(b) == 8 {
			return d.th.Int(int64(binary.BigEndian.Uint64(b))), true
		}
	case pgtype.Float4OID:
		if len(b) == 4 {
			return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), true
		}
	case pgtype.Float8OID:
		if len(b) == 8 {
			return math.Float64frombits(binary.BigEndian.Uint64(b)), true
		}
	case pgtype.BoolOID:
		if len(b) == 1 {
			return b[0] == 1, true
		}
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		return d.blocks.String(b), true
	case pgtype.NumericOID:
		return d.numeric(b)
	}
	return nil, false
}

// Binary numeric: ndigits, weight, sign, dscale (16 bits each), then
// ndigits base-10000 digits, most significant first; the value is
// Σ digit[i] × 10000^(weight-i).
const (
	numericPos = 0x0000
	numericNeg = 0x4000
)

// numeric reads a binary numeric as pgx and fromColumn do — an int when it
// shows no digits after the point (dscale 0), else a decimal of dscale
// digits after the point — when its coefficient fits an int64.
func (d *rowDecoder) numeric(b []byte) (runtime.Value, bool) {
	if len(b) < 8 {
		return nil, false
	}
	ndigits := int(binary.BigEndian.Uint16(b[0:]))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(int16(binary.BigEndian.Uint16(b[6:])))
	if (sign != numericPos && sign != numericNeg) || dscale < 0 || dscale > runtime.MaxDecimalScale || len(b) != 8+2*ndigits {
		return nil, false
	}
	var coef uint64
	for i := range ndigits {
		digit := uint64(binary.BigEndian.Uint16(b[8+2*i:]))
		if digit >= 10000 || coef > (math.MaxInt64-digit)/10000 {
			return nil, false
		}
		coef = coef*10000 + digit
	}
	// coef × 10^exp is the value × 10^dscale. pgx truncates digits beyond
	// dscale (PostgreSQL sends none but zeros).
	exp := 4*(weight-ndigits+1) + dscale
	if ndigits == 0 {
		exp = 0
	}
	for ; exp > 0; exp-- {
		if coef > math.MaxInt64/10 {
			return nil, false
		}
		coef *= 10
	}
	for ; exp < 0 && coef != 0; exp++ {
		coef /= 10
	}
	c := int64(coef)
	if sign == numericNeg {
		c = -c
	}
	if dscale == 0 {
		return d.th.Int(c), true
	}
	return d.blocks.Decimal(c, int32(dscale)), true
}

// decodeSlow decodes column i with pgx's codec for its type, as
// rows.Values does, and converts the result with fromColumn.
func (d *rowDecoder) decodeSlow(i int, b []byte) runtime.Value {
	fd := d.fds[i]
	if d.tm == nil {
		d.tm = typeMap(d.rows)
	}
	dt, ok := d.tm.TypeForOID(fd.DataTypeOID)
	if !ok {
		// An unknown type (an enum, citext): its text, or its bytes.
		return string(b)
	}
	v, err := dt.Codec.DecodeValue(d.tm, fd.DataTypeOID, fd.Format, b)
	if err != nil {
		fail(d.th, d.name, err)
	}
	return fromColumn(fd, b, v)
}

// typeMap is the type map rows were decoded with: their connection's, or
// pgx's default one.
func typeMap(rows pgx.Rows) *pgtype.Map {
	if c := rows.Conn(); c != nil {
		return c.TypeMap()
	}
	return pgtype.NewMap()
}
