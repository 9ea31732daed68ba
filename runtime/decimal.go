package runtime

import (
	"errors"
	"math/big"
	"strconv"

	"github.com/cockroachdb/apd/v3"
)

// Decimal is an exact decimal number: PostgreSQL's numeric, and literals
// written with an m suffix (3.20m). It is an unscaled coefficient and a
// scale (the digits after the point). The scale is kept: 3.20m prints 3.20.
// Arithmetic on decimals is exact (docs/language.md, "Numbers").
//
// A *Decimal is never modified after it is made, so values may share it.
// Invariants: finite, scale >= 0, no negative zero, at most
// MaxDecimalDigits digits and a scale of at most MaxDecimalScale.
type Decimal struct{ d apd.Decimal }

// Bounds on decimals, so that a product of products or a JSON number such as
// 1e999999999 cannot take unbounded memory or time. They are far beyond any
// amount of money and within PostgreSQL's numeric (131072 digits before the
// point, 16383 after).
const (
	MaxDecimalDigits = 1000
	MaxDecimalScale  = 1000
)

// errDecimalRange reports a result beyond the bounds above.
var errDecimalRange = errors.New("decimal out of range (more than 1000 digits)")

// exact is the context of exact arithmetic: precision 0 never rounds.
var exact = apd.Context{MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Traps: apd.DefaultTraps}

// divContext gives / on decimals 34 significant digits, as IEEE 754
// decimal128, rounding half to even.
var divContext = apd.Context{Precision: 34, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent,
	Traps: apd.DefaultTraps &^ (apd.Inexact | apd.Rounded), Rounding: apd.RoundHalfEven}

// finish checks r against the invariants and returns it as a Decimal. A
// positive exponent (1E+3) becomes scale 0 (1000).
func finish(r *apd.Decimal) (*Decimal, error) {
	d := &Decimal{d: *r}
	if err := normalize(&d.d); err != nil {
		return nil, err
	}
	return d, nil
}

// normalize establishes the invariants of Decimal on r in place.
func normalize(r *apd.Decimal) error {
	if r.Form != apd.Finite {
		return errors.New("decimal is not a finite number")
	}
	if r.Exponent > 0 {
		if int64(r.NumDigits())+int64(r.Exponent) > MaxDecimalDigits {
			return errDecimalRange
		}
		var p apd.BigInt
		p.Exp(apd.NewBigInt(10), apd.NewBigInt(int64(r.Exponent)), nil)
		r.Coeff.Mul(&r.Coeff, &p)
		r.Exponent = 0
	}
	if r.NumDigits() > MaxDecimalDigits || -int64(r.Exponent) > MaxDecimalScale {
		return errDecimalRange
	}
	if r.Coeff.Sign() == 0 {
		r.Negative = false
	}
	return nil
}

// DecimalFromInt returns n as a decimal with scale 0.
func DecimalFromInt(n int64) *Decimal {
	d := &Decimal{}
	d.d.SetInt64(n)
	return d
}

// NewDecimal returns coef × 10^-scale. A negative scale multiplies by a
// power of ten.
func NewDecimal(coef *big.Int, scale int32) (*Decimal, error) {
	var r apd.Decimal
	r.Coeff.SetMathBigInt(new(big.Int).Abs(coef))
	r.Negative = coef.Sign() < 0
	r.Exponent = -scale
	return finish(&r)
}

// ParseDecimal reads [+-]digits[.digits][e[+-]digits], the text of a
// PostgreSQL numeric or a JSON number, keeping its scale: "3.20" has scale 2.
func ParseDecimal(s string) (*Decimal, error) {
	if !isDecimalText(s, true) {
		return nil, errors.New("invalid decimal " + strconv.Quote(s))
	}
	// apd reads exponents of any size; bound them first so that finish
	// never scales by a huge power of ten.
	if e := exponentOf(s); e > MaxDecimalDigits || e < -2*MaxDecimalScale {
		return nil, errDecimalRange
	}
	var r apd.Decimal
	if _, _, err := r.SetString(s); err != nil {
		return nil, err
	}
	return finish(&r)
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
func (x *Decimal) String() string { return x.d.Text('f') }

// Scale is the number of digits after the point.
func (x *Decimal) Scale() int32 { return -x.d.Exponent }

// Sign is -1, 0 or 1.
func (x *Decimal) Sign() int { return x.d.Sign() }

// Coefficient returns the unscaled value: 320 for 3.20.
func (x *Decimal) Coefficient() *big.Int {
	c := x.d.Coeff.MathBigInt()
	if x.d.Negative {
		c.Neg(c)
	}
	return c
}

// Float64 returns the nearest float.
func (x *Decimal) Float64() float64 {
	f, _ := x.d.Float64()
	return f
}

// Int64 returns the value as an int when it is integral and fits.
func (x *Decimal) Int64() (int64, bool) {
	c := x.Coefficient()
	if x.Scale() > 0 {
		var r big.Int
		c.QuoRem(c, pow10(x.Scale()), &r)
		if r.Sign() != 0 {
			return 0, false
		}
	}
	if !c.IsInt64() {
		return 0, false
	}
	return c.Int64(), true
}

// Cmp compares x and y by value (3.20 equals 3.2): -1, 0 or 1.
func (x *Decimal) Cmp(y *Decimal) int { return x.d.Cmp(&y.d) }

// Neg returns -x.
func (x *Decimal) Neg() *Decimal {
	r := &Decimal{}
	r.d.Neg(&x.d)
	if r.d.Coeff.Sign() == 0 {
		r.d.Negative = false
	}
	return r
}

// Abs returns |x|.
func (x *Decimal) Abs() *Decimal {
	r := &Decimal{}
	r.d.Abs(&x.d)
	return r
}

// DecimalAdd returns the exact sum; its scale is the larger of the two.
func DecimalAdd(x, y *Decimal) (*Decimal, error) { return binary('+', x, y) }

// DecimalSub returns the exact difference.
func DecimalSub(x, y *Decimal) (*Decimal, error) { return binary('-', x, y) }

// DecimalMul returns the exact product; its scale is the sum of the two.
func DecimalMul(x, y *Decimal) (*Decimal, error) { return binary('*', x, y) }

// binary computes x op y exactly into a new Decimal (one allocation).
func binary(op byte, x, y *Decimal) (*Decimal, error) {
	r := &Decimal{}
	var err error
	switch op {
	case '+':
		_, err = exact.Add(&r.d, &x.d, &y.d)
	case '-':
		_, err = exact.Sub(&r.d, &x.d, &y.d)
	default:
		_, err = exact.Mul(&r.d, &x.d, &y.d)
	}
	if err == nil {
		err = normalize(&r.d)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// errDivZero is the language's division error (§0.8).
var errDivZero = errors.New("division by zero")

// DecimalQuo is / on decimals: the exact quotient with the scale of the
// dividend less the divisor's (10.00 / 4 = 2.50) or more when needed,
// when it has at most 34 significant digits; otherwise the quotient
// rounded half to even to 34 significant digits (1 / 3m =
// 0.3333333333333333333333333333333333). Use DecimalDiv for money.
func DecimalQuo(x, y *Decimal) (*Decimal, error) {
	if y.Sign() == 0 {
		return nil, errDivZero
	}
	var r apd.Decimal
	cond, err := divContext.Quo(&r, &x.d, &y.d)
	if err != nil {
		return nil, err
	}
	if !cond.Inexact() {
		// Drop the padding zeros down to the ideal scale, as the General
		// Decimal Arithmetic specification does for exact quotients.
		ideal := x.d.Exponent - y.d.Exponent
		var ten, q, m apd.BigInt
		ten.SetInt64(10)
		for r.Exponent < ideal && r.Coeff.Sign() != 0 {
			q.QuoRem(&r.Coeff, &ten, &m)
			if m.Sign() != 0 {
				break
			}
			r.Coeff.Set(&q)
			r.Exponent++
		}
		if r.Coeff.Sign() == 0 && r.Exponent < ideal {
			r.Exponent = ideal
		}
	}
	return finish(&r)
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
		var away bool
		switch mode {
		case "half-up":
			away = half >= 0
		case "half-even":
			away = half > 0 || half == 0 && q.Bit(0) == 1
		case "half-down":
			away = half > 0
		case "up":
			away = true
		case "down":
			away = false
		case "ceiling":
			away = !neg
		case "floor":
			away = neg
		default:
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

// DecimalRound returns x with exactly scale digits after the point,
// rounded by mode when digits are dropped.
func DecimalRound(x *Decimal, scale int32, mode string) (*Decimal, error) {
	return DecimalDiv(x, decimalOne, scale, mode)
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
