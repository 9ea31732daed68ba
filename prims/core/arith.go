package core

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/rose-ash/sxhost/runtime"
)

// Numeric primitives beyond the core arithmetic the runtime owns.

var arithPrims = []*runtime.Primitive{
	{Name: "inc", Params: "(n)", Doc: "Returns n + 1.", MinArgs: 1, MaxArgs: 1, Fn: inc},
	{Name: "dec", Params: "(n)", Doc: "Returns n - 1.", MinArgs: 1, MaxArgs: 1, Fn: dec},
	{Name: "abs", Params: "(n)", Doc: "Absolute value of n, keeping its representation.", MinArgs: 1, MaxArgs: 1, Fn: abs},
	{Name: "floor", Params: "(x)", Doc: "Largest integer not greater than x, as an int.", MinArgs: 1, MaxArgs: 1, Fn: floor},
	{Name: "ceil", Params: "(x)", Doc: "Smallest integer not less than x, as an int.", MinArgs: 1, MaxArgs: 1, Fn: ceil},
	{Name: "round", Params: "(x ndigits? mode?)", Doc: "Rounds half away from zero: to an int, or with ndigits to that many decimals (a decimal keeps exactly ndigits). mode is half-up (the default), half-even, half-down, up, down, ceiling or floor.", MinArgs: 1, MaxArgs: 3, Fn: round},
	{Name: "min", Params: "(x &rest xs)", Doc: "Smallest of the numbers; a single list argument gives the smallest of its items.", MinArgs: 1, MaxArgs: -1, Fn: minFn},
	{Name: "max", Params: "(x &rest xs)", Doc: "Largest of the numbers; a single list argument gives the largest of its items.", MinArgs: 1, MaxArgs: -1, Fn: maxFn},
	{Name: "clamp", Params: "(x lo hi)", Doc: "x limited to the range lo..hi.", MinArgs: 3, MaxArgs: 3, Fn: clamp},
	{Name: "sqrt", Params: "(x)", Doc: "Square root of x, as a float.", MinArgs: 1, MaxArgs: 1, Fn: sqrt},
	{Name: "pow", Params: "(base exp)", Doc: "base raised to exp: an int for ints with exp >= 0, else a float.", MinArgs: 2, MaxArgs: 2, Fn: pow},
	{Name: "random-int", Params: "(lo hi)", Doc: "A random int between lo and hi, both included.", MinArgs: 2, MaxArgs: 2, Fn: randomInt},
	{Name: "parse-int", Params: "(s default?)", Doc: "Parses a decimal integer from s (surrounding spaces allowed); on failure returns default, or nil.", MinArgs: 1, MaxArgs: 2, Fn: parseInt},
	{Name: "parse-float", Params: "(s default?)", Doc: "Parses a float from s; on failure returns default, or nil.", MinArgs: 1, MaxArgs: 2, Fn: parseFloat},
	{Name: "format-decimal", Params: "(x places?)", Doc: "x as a string with exactly places decimals (default 2), rounding half away from zero.", MinArgs: 1, MaxArgs: 2, Fn: formatDecimal},
	{Name: "sum", Params: "(coll)", Doc: "Sum of the numbers in coll; 0 when empty.", MinArgs: 1, MaxArgs: 1, Fn: sum},
}

func inc(th *Thread, args []Value) Value {
	switch n := wantNumber(th, "inc", args[0]).(type) {
	case int64:
		return addInt(th, "inc", n, 1)
	case float64:
		return n + 1
	case *runtime.Decimal:
		return runtime.DecimalArith(th, "+", n, int64(1))
	}
	return nil
}

func dec(th *Thread, args []Value) Value {
	switch n := wantNumber(th, "dec", args[0]).(type) {
	case int64:
		return subInt(th, "dec", n, 1)
	case float64:
		return n - 1
	case *runtime.Decimal:
		return runtime.DecimalArith(th, "-", n, int64(1))
	}
	return nil
}

func abs(th *Thread, args []Value) Value {
	switch n := wantNumber(th, "abs", args[0]).(type) {
	case int64:
		if n < 0 {
			if n == math.MinInt64 {
				overflow(th, "abs")
			}
			return -n
		}
		return n
	case float64:
		return math.Abs(n)
	case *runtime.Decimal:
		return n.Abs()
	}
	return nil
}

// toInt turns an integral float into an int, failing when it has no int form.
func toInt(th *Thread, name string, f float64) Value {
	v, ok := runtime.NormalizeFloat(f)
	if !ok {
		th.Fail("%s: %s has no integer value", name, runtime.FormatFloat(f))
	}
	return v
}

func floor(th *Thread, args []Value) Value {
	switch n := wantNumber(th, "floor", args[0]).(type) {
	case int64:
		return n
	case float64:
		return toInt(th, "floor", math.Floor(n))
	case *runtime.Decimal:
		return decimalToInt(th, "floor", n, "floor")
	}
	return nil
}

func ceil(th *Thread, args []Value) Value {
	switch n := wantNumber(th, "ceil", args[0]).(type) {
	case int64:
		return n
	case float64:
		return toInt(th, "ceil", math.Ceil(n))
	case *runtime.Decimal:
		return decimalToInt(th, "ceil", n, "ceiling")
	}
	return nil
}

func round(th *Thread, args []Value) Value {
	x := wantNumber(th, "round", args[0])
	if d, isDec := x.(*runtime.Decimal); isDec || len(args) == 3 {
		return roundDecimal(th, x, d, args)
	}
	if len(args) == 1 {
		if f, ok := x.(float64); ok {
			return toInt(th, "round", math.Round(f))
		}
		return x
	}
	places := wantInt(th, "round", args[1])
	f, _ := runtime.ToFloat(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	if places < 0 {
		// Rounding to tens, hundreds …: scale by an exact power of ten.
		if places < -308 {
			return 0.0
		}
		p := math.Pow(10, float64(-places))
		return math.Round(f/p) * p
	}
	if places > 20 {
		return f // beyond float precision: nothing to round
	}
	r, _ := strconv.ParseFloat(decimalString(f, int(places)), 64)
	return r
}

// decimalString formats f with exactly places decimals. It rounds the
// shortest decimal form of f half away from zero, so 2.675 gives "2.68" as a
// reader of the source expects, not "2.67" from the binary value.
func decimalString(f float64, places int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return runtime.FormatFloat(f)
	}
	neg := f < 0
	// Shortest digits and decimal exponent: f = 0.DIGITS × 10^point.
	e := strconv.FormatFloat(math.Abs(f), 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	digits := make([]byte, 0, len(mant)+places+2)
	for i := 0; i < len(mant); i++ {
		if mant[i] != '.' {
			digits = append(digits, mant[i])
		}
	}
	point := x + 1
	keep := point + places // digits to keep
	switch {
	case keep < 0:
		digits, point = digits[:0], 0
	case keep < len(digits):
		up := digits[keep] >= '5'
		digits = digits[:keep]
		if up {
			i := keep - 1
			for ; i >= 0 && digits[i] == '9'; i-- {
				digits[i] = '0'
			}
			if i >= 0 {
				digits[i]++
			} else {
				digits = append([]byte{'1'}, digits...)
				point++
			}
		}
	}
	var b strings.Builder
	b.Grow(len(digits) + places + 4)
	zero := true
	for _, d := range digits {
		if d != '0' {
			zero = false
			break
		}
	}
	if neg && !zero {
		b.WriteByte('-')
	}
	// Integer part.
	if point <= 0 {
		b.WriteByte('0')
	} else {
		for i := 0; i < point; i++ {
			if i < len(digits) {
				b.WriteByte(digits[i])
			} else {
				b.WriteByte('0')
			}
		}
	}
	if places == 0 {
		return b.String()
	}
	b.WriteByte('.')
	for i := 0; i < places; i++ {
		j := point + i // index into digits of this decimal place
		if j >= 0 && j < len(digits) {
			b.WriteByte(digits[j])
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// extreme returns the smallest (sign -1) or largest (sign 1) argument.
func extreme(th *Thread, name string, args []Value, sign int) Value {
	if len(args) == 1 {
		if l, ok := args[0].(*runtime.List); ok {
			if len(l.Items) == 0 {
				th.Fail("%s: empty list", name)
			}
			args = l.Items
		}
	}
	best := wantNumber(th, name, args[0])
	for _, v := range args[1:] {
		wantNumber(th, name, v)
		if c, _ := runtime.Compare(v, best); c == sign {
			best = v
		}
	}
	return best
}

func minFn(th *Thread, args []Value) Value { return extreme(th, "min", args, -1) }
func maxFn(th *Thread, args []Value) Value { return extreme(th, "max", args, 1) }

func clamp(th *Thread, args []Value) Value {
	x := wantNumber(th, "clamp", args[0])
	lo := wantNumber(th, "clamp", args[1])
	hi := wantNumber(th, "clamp", args[2])
	if c, _ := runtime.Compare(lo, hi); c > 0 {
		th.Fail("clamp: lower bound %s is above upper bound %s", runtime.Print(lo), runtime.Print(hi))
	}
	if c, _ := runtime.Compare(x, lo); c < 0 {
		return lo
	}
	if c, _ := runtime.Compare(x, hi); c > 0 {
		return hi
	}
	return x
}

func sqrt(th *Thread, args []Value) Value {
	f := wantFloat(th, "sqrt", args[0])
	if f < 0 {
		th.Fail("sqrt: negative argument %s", runtime.Print(args[0]))
	}
	return math.Sqrt(f)
}

func pow(th *Thread, args []Value) Value {
	base := wantNumber(th, "pow", args[0])
	exp := wantNumber(th, "pow", args[1])
	if b, ok := base.(int64); ok {
		if e, ok := exp.(int64); ok && e >= 0 {
			// Exponentiation by squaring with overflow checks.
			r := int64(1)
			for e > 0 {
				if e&1 == 1 {
					r = mulInt(th, "pow", r, b)
				}
				e >>= 1
				if e > 0 {
					b = mulInt(th, "pow", b, b)
				}
			}
			return r
		}
	}
	if d, ok := base.(*runtime.Decimal); ok {
		if e, ok := exp.(int64); ok && e >= 0 {
			return decimalPow(th, d, e)
		}
	}
	x := wantFloat(th, "pow", base)
	y := wantFloat(th, "pow", exp)
	if x == 0 && y < 0 {
		th.Fail("division by zero")
	}
	return math.Pow(x, y)
}

func randomInt(th *Thread, args []Value) Value {
	lo := wantInt(th, "random-int", args[0])
	hi := wantInt(th, "random-int", args[1])
	if lo > hi {
		th.Fail("random-int: lower bound %d is above upper bound %d", lo, hi)
	}
	span := uint64(hi-lo) + 1
	if span == 0 { // the whole int64 range
		return int64(rand.Uint64())
	}
	return lo + int64(rand.Uint64N(span))
}

// orDefault is the result of a failed parse: the default if given, else nil.
func orDefault(args []Value) Value {
	if len(args) > 1 {
		return args[1]
	}
	return nil
}

func parseInt(th *Thread, args []Value) Value {
	switch x := args[0].(type) {
	case int64:
		return x
	case float64:
		if v, ok := runtime.NormalizeFloat(math.Trunc(x)); ok {
			return v
		}
	case *runtime.Decimal:
		if t, err := runtime.DecimalRound(x, 0, "down"); err == nil {
			if i, ok := t.Int64(); ok {
				return i
			}
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n
		}
	}
	return orDefault(args)
}

func parseFloat(th *Thread, args []Value) Value {
	switch x := args[0].(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case *runtime.Decimal:
		return x.Float64()
	case string:
		s := strings.TrimSpace(x)
		// ParseFloat also takes "inf", "nan" and hex floats; only decimal
		// notation is a number in SX.
		if s != "" && isDecimalFloat(s) {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f
			}
		}
	}
	return orDefault(args)
}

// isDecimalFloat reports whether s is [+-]digits[.digits][e[+-]digits] with
// at least one digit in the mantissa.
func isDecimalFloat(s string) bool {
	i, n := 0, len(s)
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits := 0
	for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < n && s[i] == '.' {
		i++
		for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == start {
			return false
		}
	}
	return i == n
}

func formatDecimal(th *Thread, args []Value) Value {
	places := int64(2)
	if len(args) > 1 {
		places = wantInt(th, "format-decimal", args[1])
		if places < 0 || places > 100 {
			th.Fail("format-decimal: places must be between 0 and 100, got %d", places)
		}
	}
	switch x := args[0].(type) {
	case int64:
		s := strconv.FormatInt(x, 10)
		if places == 0 {
			return s
		}
		return s + "." + strings.Repeat("0", int(places))
	case float64:
		return decimalString(x, int(places))
	case *runtime.Decimal:
		return roundedString(th, "format-decimal", x, places)
	case string:
		// Database decimals often arrive as strings; read them exactly.
		if d, err := runtime.ParseDecimal(strings.TrimSpace(x)); err == nil {
			return roundedString(th, "format-decimal", d, places)
		}
		th.Fail("format-decimal expects numbers, got string %s", runtime.Print(x))
	default:
		th.Fail("format-decimal expects numbers, got %s", runtime.TypeOf(x))
	}
	return nil
}

func sum(th *Thread, args []Value) Value {
	var acc Value = int64(0)
	for _, v := range wantItems(th, "sum", args[0]) {
		acc = addNum(th, "sum", acc, wantNumber(th, "sum", v))
	}
	return acc
}
