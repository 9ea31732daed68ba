package runtime

import (
	"cmp"
	"errors"
	"math/big"
	"math/bits"
	"strconv"
)

// Decimal is an exact decimal number: PostgreSQL's numeric, and literals
// written with an m suffix (3.20m). It is an unscaled coefficient and a
// scale (the digits after the point). The scale is kept: 3.20m prints 3.20.
// Arithmetic on decimals is exact (docs/language.md, "Numbers").
//
// The coefficient is an int64 while it fits, which covers every amount of
// money, and a big.Int beyond. A *Decimal is never modified after it is
// made, so values may share it. Invariants: scale >= 0, big is nil whenever
// the coefficient fits an int64, at most about MaxDecimalDigits digits and
// a scale of at most MaxDecimalScale.
type Decimal struct {
	coef  int64
	big   *big.Int
	scale int32
}

// Bounds on decimals, so that a product of products or a JSON number such as
// 1e999999999 cannot take unbounded memory or time. They are far beyond any
// amount of money and within PostgreSQL's numeric (131072 digits before the
// point, 16383 after).
const (
	MaxDecimalDigits = 1000
	MaxDecimalScale  = 1000
)

// maxDecimalBits is the bit length of a 1000-digit coefficient.
const maxDecimalBits = 3322

// errDecimalRange reports a result beyond the bounds above.
var errDecimalRange = errors.New("decimal out of range (more than 1000 digits)")

// makeDecimal returns c × 10^-scale, scaling a negative scale away and
// checking the bounds. c is not retained.
func makeDecimal(c *big.Int, scale int64) (*Decimal, error) {
	if scale < 0 {
		if -scale > MaxDecimalDigits {
			return nil, errDecimalRange
		}
		c = new(big.Int).Mul(c, pow10(int32(-scale)))
		scale = 0
	}
	if scale > MaxDecimalScale || c.BitLen() > maxDecimalBits {
		return nil, errDecimalRange
	}
	if c.IsInt64() {
		return &Decimal{coef: c.Int64(), scale: int32(scale)}, nil
	}
	return &Decimal{big: new(big.Int).Set(c), scale: int32(scale)}, nil
}

// bigCoef returns the coefficient as a new big.Int.
func (x *Decimal) bigCoef() *big.Int {
	if x.big != nil {
		return new(big.Int).Set(x.big)
	}
	return big.NewInt(x.coef)
}

// DecimalFromInt returns n as a decimal with scale 0.
func DecimalFromInt(n int64) *Decimal { return &Decimal{coef: n} }

// NewDecimal returns coef × 10^-scale. A negative scale multiplies by a
// power of ten.
func NewDecimal(coef *big.Int, scale int32) (*Decimal, error) {
	return makeDecimal(coef, int64(scale))
}

// ParseDecimal reads [+-]digits[.digits][e[+-]digits], the text of a
// PostgreSQL numeric or a JSON number, keeping its scale: "3.20" has scale 2.
func ParseDecimal(s string) (*Decimal, error) {
	if !isDecimalText(s, true) {
		return nil, errors.New("invalid decimal " + strconv.Quote(s))
	}
	mant, exp := s, int64(0)
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			mant = s[:i]
			exp = exponentOf(s)
			break
		}
	}
	if exp > MaxDecimalDigits || exp < -2*MaxDecimalScale {
		return nil, errDecimalRange
	}
	digits := make([]byte, 0, len(mant))
	scale := int64(0)
	for i := 0; i < len(mant); i++ {
		switch c := mant[i]; {
		case c == '.':
			scale = int64(len(mant) - i - 1)
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		}
	}
	scale -= exp
	neg := mant[0] == '-'
	if len(digits) <= 18 {
		n, _ := strconv.ParseInt(string(digits), 10, 64)
		if neg {
			n = -n
		}
		if scale >= 0 && scale <= MaxDecimalScale {
			return &Decimal{coef: n, scale: int32(scale)}, nil
		}
		return makeDecimal(big.NewInt(n), scale)
	}
	if len(digits) > 2*MaxDecimalDigits {
		return nil, errDecimalRange
	}
	c, _ := new(big.Int).SetString(string(digits), 10)
	if neg {
		c.Neg(c)
	}
	return makeDecimal(c, scale)
}

// isDecimalText reports whether s is [+-]digits[.digits] with, when
// withExponent, an optional [eE][+-]digits.
func isDecimalText(s string, withExponent bool) bool {
	i, n := 0, len(s)
	if i < n && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if digits() == 0 {
		return false
	}
	if i < n && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if withExponent && i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == n
}

// exponentOf returns the exponent written in s (0 when none), clamped to
// ±1e9 so that it fits; s is valid decimal text.
func exponentOf(s string) int64 {
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			e, err := strconv.ParseInt(s[i+1:], 10, 64)
			if err != nil || e > 1e9 {
				return 1e9
			}
			if e < -1e9 {
				return -1e9
			}
			return e
		}
	}
	return 0
}

// parseDecimalLiteral reads a decimal literal, digits[.digits] followed by
// m (3.20m); it returns an error message like parseNumber.
func parseDecimalLiteral(tok string) (Value, string) {
	body := tok[:len(tok)-1]
	if !isDecimalText(body, false) {
		return nil, "invalid number " + tok
	}
	d, err := ParseDecimal(body)
	if err != nil {
		return nil, "number out of range: " + tok
	}
	return d, ""
}

// DecimalFromFloat returns the decimal that f prints as: the shortest
// decimal that reads back to f (0.1 gives 0.1, not the binary expansion).
// NaN and infinities have none.
func DecimalFromFloat(f float64) (*Decimal, bool) {
	if f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308 {
		return nil, false
	}
	d, err := ParseDecimal(strconv.FormatFloat(f, 'e', -1, 64))
	return d, err == nil
}

// AsDecimal converts an int, a float (as DecimalFromFloat) or a decimal to
// a decimal.
func AsDecimal(v Value) (*Decimal, bool) {
	switch x := v.(type) {
	case *Decimal:
		return x, true
	case int64:
		return DecimalFromInt(x), true
	case float64:
		return DecimalFromFloat(x)
	}
	return nil, false
}

// String returns the decimal in plain notation with its scale: "3.20".
func (x *Decimal) String() string {
	var buf [40]byte
	return string(x.Append(buf[:0]))
}

// Append appends String's text to b: encoders write it without a string
// per number.
func (x *Decimal) Append(b []byte) []byte {
	var buf [24]byte
	var digits []byte
	if x.big != nil {
		digits = x.big.Append(buf[:0], 10)
	} else {
		digits = strconv.AppendInt(buf[:0], x.coef, 10)
	}
	if x.scale == 0 {
		return append(b, digits...)
	}
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
		b = append(b, '-')
	}
	n := int(x.scale)
	if len(digits) <= n {
		b = append(b, '0', '.')
		for i := len(digits); i < n; i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:len(digits)-n]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-n:]...)
}

// Scale is the number of digits after the point.
func (x *Decimal) Scale() int32 { return x.scale }

// Sign is -1, 0 or 1.
func (x *Decimal) Sign() int {
	if x.big != nil {
		return x.big.Sign()
	}
	switch {
	case x.coef < 0:
		return -1
	case x.coef > 0:
		return 1
	}
	return 0
}

// Coefficient returns the unscaled value: 320 for 3.20.
func (x *Decimal) Coefficient() *big.Int { return x.bigCoef() }

// Float64 returns the nearest float.
func (x *Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(x.String(), 64)
	return f
}

// Int64 returns the value as an int when it is integral and fits.
func (x *Decimal) Int64() (int64, bool) {
	if x.big == nil && x.scale == 0 {
		return x.coef, true
	}
	c := x.bigCoef()
	if x.scale > 0 {
		var r big.Int
		c.QuoRem(c, pow10(x.scale), &r)
		if r.Sign() != 0 {
			return 0, false
		}
	}
	if !c.IsInt64() {
		return 0, false
	}
	return c.Int64(), true
}

// pow10s holds the powers of ten that fit an int64.
var pow10s = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// scaleUp returns c × 10^n when it fits an int64.
func scaleUp(c int64, n int32) (int64, bool) {
	if n == 0 {
		return c, true
	}
	if n >= int32(len(pow10s)) {
		return 0, false
	}
	return mul64(c, pow10s[n])
}

// mul64 returns a × b when it fits an int64.
func mul64(a, b int64) (int64, bool) {
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(uabs(a), uabs(b))
	if hi != 0 || lo > 1<<63 || lo == 1<<63 && !neg {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

func uabs(a int64) uint64 {
	if a < 0 {
		return uint64(-a)
	}
	return uint64(a)
}

// aligned returns the coefficients of x and y at the larger of their scales,
// as int64s when they fit (ok) and as big.Ints otherwise.
func aligned(x, y *Decimal) (a, b int64, ba, bb *big.Int, scale int32, ok bool) {
	scale = max(x.scale, y.scale)
	if x.big == nil && y.big == nil {
		a, okA := scaleUp(x.coef, scale-x.scale)
		b, okB := scaleUp(y.coef, scale-y.scale)
		if okA && okB {
			return a, b, nil, nil, scale, true
		}
	}
	ba, bb = x.bigCoef(), y.bigCoef()
	if d := scale - x.scale; d > 0 {
		ba.Mul(ba, pow10(d))
	}
	if d := scale - y.scale; d > 0 {
		bb.Mul(bb, pow10(d))
	}
	return 0, 0, ba, bb, scale, false
}

// Cmp compares x and y by value (3.20 equals 3.2): -1, 0 or 1.
func (x *Decimal) Cmp(y *Decimal) int {
	if sx, sy := x.Sign(), y.Sign(); sx != sy || sx == 0 {
		return cmpOrdered(int64(sx), int64(sy))
	}
	a, b, ba, bb, _, ok := aligned(x, y)
	if ok {
		return cmpOrdered(a, b)
	}
	return ba.Cmp(bb)
}

// Neg returns -x.
func (x *Decimal) Neg() *Decimal {
	if x.big == nil && x.coef != -1<<63 {
		return &Decimal{coef: -x.coef, scale: x.scale}
	}
	d, _ := makeDecimal(new(big.Int).Neg(x.bigCoef()), int64(x.scale))
	return d
}

// Abs returns |x|.
func (x *Decimal) Abs() *Decimal {
	if x.Sign() < 0 {
		return x.Neg()
	}
	return x
}

// DecimalAdd returns the exact sum; its scale is the larger of the two.
func DecimalAdd(x, y *Decimal) (*Decimal, error) {
	a, b, ba, bb, scale, ok := aligned(x, y)
	if ok {
		if s := a + b; (s > a) == (b > 0) {
			return &Decimal{coef: s, scale: scale}, nil
		}
		ba, bb = big.NewInt(a), big.NewInt(b)
	}
	return makeDecimal(ba.Add(ba, bb), int64(scale))
}

// DecimalSub returns the exact difference.
func DecimalSub(x, y *Decimal) (*Decimal, error) { return DecimalAdd(x, y.Neg()) }

// DecimalMul returns the exact product; its scale is the sum of the two.
func DecimalMul(x, y *Decimal) (*Decimal, error) {
	scale := int64(x.scale) + int64(y.scale)
	if x.big == nil && y.big == nil && scale <= MaxDecimalScale {
		if p, ok := mul64(x.coef, y.coef); ok {
			return &Decimal{coef: p, scale: int32(scale)}, nil
		}
	}
	c := x.bigCoef()
	return makeDecimal(c.Mul(c, y.bigCoef()), scale)
}

// errDivZero is the language's division error (§0.8).
var errDivZero = errors.New("division by zero")

// quoDigits is the precision of / on decimals, as IEEE 754 decimal128.
const quoDigits = 34

// DecimalQuo is / on decimals: the exact quotient when it has at most 34
// significant digits, with the scale of the dividend less the divisor's or
// more when needed (10.00 / 4 = 2.50); otherwise the quotient rounded half
// to even to 34 significant digits (1 / 3m =
// 0.3333333333333333333333333333333333). Use DecimalDiv for money.
func DecimalQuo(x, y *Decimal) (*Decimal, error) {
	if y.Sign() == 0 {
		return nil, errDivZero
	}
	if x.Sign() == 0 {
		return &Decimal{scale: max(x.scale-y.scale, 0)}, nil
	}
	// Divide at a scale that gives 35 or 36 significant digits, then round
	// once to 34, the remainder deciding ties.
	n, d := x.bigCoef(), y.bigCoef()
	n.Abs(n)
	d.Abs(d)
	mag := (len(n.Text(10)) - int(x.scale)) - (len(d.Text(10)) - int(y.scale))
	s := int64(quoDigits + 1 - mag)
	if e := s + int64(y.scale) - int64(x.scale); e >= 0 {
		n.Mul(n, pow10(int32(e)))
	} else {
		d.Mul(d, pow10(int32(-e)))
	}
	var q, r big.Int
	q.QuoRem(n, d, &r)
	exact := r.Sign() == 0
	if extra := len(q.Text(10)) - quoDigits; extra > 0 {
		var m big.Int
		p := pow10(int32(extra))
		q.QuoRem(&q, p, &m)
		if m.Sign() != 0 {
			exact = false
		}
		half := new(big.Int).Lsh(&m, 1).Cmp(p)
		if half > 0 || half == 0 && (r.Sign() != 0 || q.Bit(0) == 1) {
			q.Add(&q, big.NewInt(1))
		}
		s -= int64(extra)
	}
	if exact {
		// Drop the zeros below the ideal scale, as the General Decimal
		// Arithmetic specification does for exact quotients.
		ideal := max(int64(x.scale)-int64(y.scale), 0)
		ten, m := big.NewInt(10), new(big.Int)
		for s > ideal {
			var t big.Int
			t.QuoRem(&q, ten, m)
			if m.Sign() != 0 {
				break
			}
			q.Set(&t)
			s--
		}
	}
	if (x.Sign() < 0) != (y.Sign() < 0) {
		q.Neg(&q)
	}
	return makeDecimal(&q, s)
}

// RoundingModes lists the modes DecimalDiv and DecimalRound accept.
var RoundingModes = []string{"half-up", "half-even", "half-down", "up", "down", "ceiling", "floor"}

// DecimalDiv returns x / y rounded once, by mode, to exactly scale digits
// after the point. Modes: half-up (ties away from zero), half-even (ties to
// the even digit, banker's rounding), half-down (ties toward zero), up (away
// from zero), down (toward zero, truncation), ceiling, floor.
func DecimalDiv(x, y *Decimal, scale int32, mode string) (*Decimal, error) {
	if y.Sign() == 0 {
		return nil, errDivZero
	}
	if scale < 0 || scale > MaxDecimalScale {
		return nil, errors.New("scale must be between 0 and " + strconv.Itoa(MaxDecimalScale))
	}
	// x / y × 10^scale = cx × 10^(scale + sy - sx) / cy: shift the side
	// that keeps both integral, divide, and round on the remainder.
	n, d := x.Coefficient(), y.Coefficient()
	if e := scale + y.Scale() - x.Scale(); e >= 0 {
		n.Mul(n, pow10(e))
	} else {
		d.Mul(d, pow10(-e))
	}
	var q, r big.Int
	q.QuoRem(n, d, &r)
	if r.Sign() != 0 {
		neg := (n.Sign() < 0) != (d.Sign() < 0)
		// half compares the remainder with half the divisor: 2|r| - |d|.
		var twice big.Int
		half := twice.Abs(twice.Lsh(&r, 1)).CmpAbs(d)
		away, ok := awayFromZero(mode, half, q.Bit(0) == 1, neg)
		if !ok {
			return nil, errors.New("unknown rounding mode " + strconv.Quote(mode))
		}
		if away {
			if neg {
				q.Sub(&q, big.NewInt(1))
			} else {
				q.Add(&q, big.NewInt(1))
			}
		}
	} else if !validMode(mode) {
		return nil, errors.New("unknown rounding mode " + strconv.Quote(mode))
	}
	return NewDecimal(&q, scale)
}

func validMode(mode string) bool {
	for _, m := range RoundingModes {
		if m == mode {
			return true
		}
	}
	return false
}

// awayFromZero tells whether a quotient with a nonzero remainder rounds
// away from zero under mode: half compares twice the remainder with the
// divisor (-1, 0, 1), odd is the quotient's last digit's parity, neg the
// result's sign; ok is false for an unknown mode.
func awayFromZero(mode string, half int, odd, neg bool) (away, ok bool) {
	switch mode {
	case "half-up":
		return half >= 0, true
	case "half-even":
		return half > 0 || half == 0 && odd, true
	case "half-down":
		return half > 0, true
	case "up":
		return true, true
	case "down":
		return false, true
	case "ceiling":
		return !neg, true
	case "floor":
		return neg, true
	}
	return false, false
}

// DecimalRound returns x with exactly scale digits after the point,
// rounded by mode when digits are dropped.
func DecimalRound(x *Decimal, scale int32, mode string) (*Decimal, error) {
	if r, ok := round64(x, scale, mode); ok {
		return r, nil
	}
	return DecimalDiv(x, decimalOne, scale, mode)
}

// round64 is DecimalRound on an int64 coefficient without math/big, the
// case of every price a page formats; ok is false when the result needs
// DecimalDiv (a big coefficient, an overflow, an unknown mode).
func round64(x *Decimal, scale int32, mode string) (*Decimal, bool) {
	if x.big != nil || scale < 0 || scale > MaxDecimalScale {
		return nil, false
	}
	if scale >= x.scale {
		if scale == x.scale {
			return x, validMode(mode) // decimals are immutable: share it
		}
		c, ok := scaleUp(x.coef, scale-x.scale)
		if !ok || !validMode(mode) {
			return nil, false
		}
		return &Decimal{coef: c, scale: scale}, true
	}
	drop := x.scale - scale
	if drop >= int32(len(pow10s)) {
		return nil, false
	}
	p := pow10s[drop]
	q, r := x.coef/p, x.coef%p
	if r != 0 {
		neg := x.coef < 0
		// half compares 2|r| with p; |r| < p <= 10^18, so 2|r| fits.
		away, ok := awayFromZero(mode, cmp.Compare(2*uabs(r), uint64(p)), q&1 != 0, neg)
		if !ok {
			return nil, false
		}
		if away { // |q| <= MaxInt64/10: no overflow
			if neg {
				q--
			} else {
				q++
			}
		}
	} else if !validMode(mode) {
		return nil, false
	}
	return &Decimal{coef: q, scale: scale}, true
}

var decimalOne = DecimalFromInt(1)

// DecimalMod is x mod y with the sign of the divisor, exact.
func DecimalMod(x, y *Decimal) (*Decimal, error) {
	q, err := DecimalDiv(x, y, 0, "floor")
	if err != nil {
		return nil, err
	}
	p, err := DecimalMul(y, q)
	if err != nil {
		return nil, err
	}
	return DecimalSub(x, p)
}

func pow10(n int32) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// decimalOperand converts an operand of name to a decimal, failing for
// non-numbers and for NaN and infinities, which no decimal holds.
func decimalOperand(th *Thread, name string, v Value) *Decimal {
	if d, ok := AsDecimal(v); ok {
		return d
	}
	if _, isFloat := v.(float64); isFloat {
		th.Fail("%s: %s cannot be combined with a decimal", name, FormatFloat(v.(float64)))
	}
	numTypeError(th, name, v)
	return nil
}

// DecimalArith computes a op b for op + - * / or mod, the slow path of the
// arithmetic built-ins once an operand is not an int or a float: with a
// decimal operand the others convert to decimals (a float as the decimal it
// prints as) and the result is exact. Any other operand is the usual type
// error.
func DecimalArith(th *Thread, name string, a, b Value) Value {
	x := decimalOperand(th, name, a)
	y := decimalOperand(th, name, b)
	// (+ d) and (* d) start from the int 0 and 1: the decimal itself.
	if n, isInt := a.(int64); isInt && (n == 0 && name == "+" || n == 1 && name == "*") {
		return y
	}
	var r *Decimal
	var err error
	switch name {
	case "+":
		r, err = DecimalAdd(x, y)
	case "-":
		r, err = DecimalSub(x, y)
	case "*":
		r, err = DecimalMul(x, y)
	case "/":
		r, err = DecimalQuo(x, y)
	case "mod":
		if y.Sign() == 0 {
			err = errDivZero
		} else {
			r, err = DecimalMod(x, y)
		}
	default:
		th.Fail("DecimalArith: unknown operator %s", name)
	}
	if err == errDivZero {
		th.Fail("division by zero")
	}
	if err != nil {
		th.Fail("%s: %v", name, err)
	}
	return r
}

// decimalCompare orders a and b when one is a decimal and the other a
// number; ok is false otherwise, and for NaN, which has no order.
func decimalCompare(a, b Value) (int, bool) {
	x, ok1 := AsDecimal(a)
	y, ok2 := AsDecimal(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return x.Cmp(y), true
}

// decimalEqual is = between a decimal and another value: equal numbers
// whatever their scale or representation (3.20m = 3.2m = 3.2).
func decimalEqual(x *Decimal, v Value) bool {
	y, ok := AsDecimal(v)
	return ok && x.Cmp(y) == 0
}
