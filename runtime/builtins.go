package runtime

import (
	"math"
	"unsafe"
)

// The runtime's own built-ins: arithmetic and comparison (with fast paths
// in the compiler), apply, error, try-call, eval and the renderers. All other
// pure primitives live in package prims/core.

var (
	addPrim   = &Primitive{Name: "+", Params: "(&rest numbers)", Doc: "Sum of the numbers; (+) is 0.", MaxArgs: -1, Fn: primAdd}
	subPrim   = &Primitive{Name: "-", Params: "(a &rest b)", Doc: "Negates one number, or subtracts the rest from a.", MinArgs: 1, MaxArgs: -1, Fn: primSub}
	mulPrim   = &Primitive{Name: "*", Params: "(&rest numbers)", Doc: "Product of the numbers; (*) is 1.", MaxArgs: -1, Fn: primMul}
	divPrim   = &Primitive{Name: "/", Params: "(a b)", Doc: "Division: an int when both are ints and it is exact, else a float.", MinArgs: 2, MaxArgs: 2, Fn: primDiv}
	modPrim   = &Primitive{Name: "mod", Params: "(a b)", Doc: "Remainder with the sign of the divisor.", MinArgs: 2, MaxArgs: 2, Fn: primMod}
	equalPrim = &Primitive{Name: "=", Params: "(a b &rest more)", Doc: "Structural equality; ints and floats of equal value are equal.", MinArgs: 1, MaxArgs: -1, Fn: primEq}
	ltPrim    = &Primitive{Name: "<", Params: "(a b &rest more)", Doc: "Strictly increasing (numbers, strings or datetimes).", MinArgs: 1, MaxArgs: -1, Fn: cmpPrim("<", func(c int) bool { return c < 0 })}
	gtPrim    = &Primitive{Name: ">", Params: "(a b &rest more)", Doc: "Strictly decreasing.", MinArgs: 1, MaxArgs: -1, Fn: cmpPrim(">", func(c int) bool { return c > 0 })}
	lePrim    = &Primitive{Name: "<=", Params: "(a b &rest more)", Doc: "Non-decreasing.", MinArgs: 1, MaxArgs: -1, Fn: cmpPrim("<=", func(c int) bool { return c <= 0 })}
	gePrim    = &Primitive{Name: ">=", Params: "(a b &rest more)", Doc: "Non-increasing.", MinArgs: 1, MaxArgs: -1, Fn: cmpPrim(">=", func(c int) bool { return c >= 0 })}
)

func builtins() []*Primitive {
	return []*Primitive{
		addPrim, subPrim, mulPrim, divPrim, modPrim, equalPrim, ltPrim, gtPrim, lePrim, gePrim,
		{Name: "!=", Params: "(a b)", Doc: "True when a and b are not equal.", MinArgs: 2, MaxArgs: 2,
			Fn: func(th *Thread, a []Value) Value { return !Equal(a[0], a[1]) }},
		{Name: "not", Params: "(x)", Doc: "True when x is falsy (nil or false).", MinArgs: 1, MaxArgs: 1,
			Fn: func(th *Thread, a []Value) Value { return !Truthy(a[0]) }},
		{Name: "apply", Params: "(f &rest args list)", Doc: "Calls f with args followed by the items of list.", MinArgs: 1, MaxArgs: -1, Fn: primApply},
		{Name: "error", Params: "(message)", Doc: "Raises an error with message.", MinArgs: 1, MaxArgs: 1, Fn: primError},
		{Name: "try-call", Params: "(thunk)", Doc: "Calls thunk; returns {:ok true :value v} or {:ok false :error message}, with :status when the error is a host's (abort status …).", MinArgs: 1, MaxArgs: 1, Fn: primTryCall},
		{Name: "eval", Params: "(form)", Doc: "Evaluates form at top level.", MinArgs: 1, MaxArgs: 1,
			Fn: func(th *Thread, a []Value) Value { return th.runTop(th.compileTop(a[0])) }},
		{Name: "macroexpand", Params: "(form)", Doc: "Expands form once if it is a macro call.", MinArgs: 1, MaxArgs: 1, Fn: primMacroexpand},
		{Name: "render-to-html", Params: "(form)", Doc: "Renders form (usually quoted) to an HTML string.", MinArgs: 1, MaxArgs: 1,
			Fn: func(th *Thread, a []Value) Value { return th.renderForm(a[0], th.curPos, modeHTML) }},
		{Name: "render-to-sx", Params: "(form)", Doc: "Renders form to the SX wire format.", MinArgs: 1, MaxArgs: 1,
			Fn: func(th *Thread, a []Value) Value { return th.renderForm(a[0], th.curPos, modeWire) }},
	}
}

func numTypeError(th *Thread, name string, v Value) {
	th.Fail("%s expects numbers, got %s", name, TypeOf(v))
}

func overflow(th *Thread, name string) {
	th.Fail("integer overflow in %s", name)
}

func add2(th *Thread, a, b Value) Value {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			s := x + y
			if (s > x) != (y > 0) {
				overflow(th, "+")
			}
			return th.ints.box(s)
		}
	}
	x, ok1 := ToFloat(a)
	y, ok2 := ToFloat(b)
	if !ok1 || !ok2 {
		return DecimalArith(th, "+", a, b)
	}
	return x + y
}

func sub2(th *Thread, a, b Value) Value {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			s := x - y
			if (s < x) != (y > 0) {
				overflow(th, "-")
			}
			return th.ints.box(s)
		}
	}
	x, ok1 := ToFloat(a)
	y, ok2 := ToFloat(b)
	if !ok1 || !ok2 {
		return DecimalArith(th, "-", a, b)
	}
	return x - y
}

func mul2(th *Thread, a, b Value) Value {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			r := x * y
			if x != 0 && (r/x != y || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64)) {
				overflow(th, "*")
			}
			return th.ints.box(r)
		}
	}
	x, ok1 := ToFloat(a)
	y, ok2 := ToFloat(b)
	if !ok1 || !ok2 {
		return DecimalArith(th, "*", a, b)
	}
	return x * y
}

func primAdd(th *Thread, a []Value) Value {
	var acc Value = int64(0)
	for _, v := range a {
		acc = add2(th, acc, v)
	}
	return acc
}

func primSub(th *Thread, a []Value) Value {
	if len(a) == 1 {
		return sub2(th, int64(0), a[0])
	}
	acc := a[0]
	for _, v := range a[1:] {
		acc = sub2(th, acc, v)
	}
	return acc
}

func primMul(th *Thread, a []Value) Value {
	var acc Value = int64(1)
	for _, v := range a {
		acc = mul2(th, acc, v)
	}
	return acc
}

func primDiv(th *Thread, a []Value) Value {
	if x, ok := a[0].(int64); ok {
		if y, ok := a[1].(int64); ok {
			if y == 0 {
				th.Fail("division by zero")
			}
			if x == math.MinInt64 && y == -1 {
				overflow(th, "/")
			}
			if x%y == 0 {
				return th.ints.box(x / y)
			}
			return float64(x) / float64(y)
		}
	}
	x, ok1 := ToFloat(a[0])
	y, ok2 := ToFloat(a[1])
	if !ok1 || !ok2 {
		return DecimalArith(th, "/", a[0], a[1])
	}
	if y == 0 {
		th.Fail("division by zero")
	}
	return x / y
}

func mod2(th *Thread, a, b Value) Value {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			if y == 0 {
				th.Fail("division by zero")
			}
			if y == -1 {
				return int64(0)
			}
			r := x % y
			if r != 0 && (r < 0) != (y < 0) {
				r += y
			}
			return th.ints.box(r)
		}
	}
	x, ok1 := ToFloat(a)
	y, ok2 := ToFloat(b)
	if !ok1 || !ok2 {
		return DecimalArith(th, "mod", a, b)
	}
	if y == 0 {
		th.Fail("division by zero")
	}
	r := math.Mod(x, y)
	if r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}

func primMod(th *Thread, a []Value) Value { return mod2(th, a[0], a[1]) }

func primEq(th *Thread, a []Value) Value {
	for i := 1; i < len(a); i++ {
		if !Equal(a[0], a[i]) {
			return false
		}
	}
	return true
}

func compare(th *Thread, name string, a, b Value) int {
	c, ok := Compare(a, b)
	if !ok {
		if TypeOf(a) != "number" {
			if _, isStr := a.(string); !isStr {
				th.Fail("%s expects numbers, got %s", name, TypeOf(a))
			}
		}
		th.Fail("%s cannot compare %s with %s", name, TypeOf(a), TypeOf(b))
	}
	return c
}

func isNaN(v Value) bool {
	f, ok := v.(float64)
	return ok && f != f
}

func cmpPrim(name string, ok func(int) bool) func(*Thread, []Value) Value {
	return func(th *Thread, a []Value) Value {
		result := true
		for i := 1; i < len(a); i++ {
			// NaN is unordered: every ordering with it is false (IEEE 754),
			// so a range check such as (>= price 0) cannot let it through.
			if !ok(compare(th, name, a[i-1], a[i])) || isNaN(a[i-1]) || isNaN(a[i]) {
				result = false
			}
		}
		if len(a) == 1 {
			compare(th, name, a[0], a[0])
		}
		return result
	}
}

func primApply(th *Thread, a []Value) Value {
	if len(a) == 1 {
		return th.Call(a[0])
	}
	last, ok := a[len(a)-1].(*List)
	if !ok && a[len(a)-1] != nil {
		th.Fail("apply expects a list as its last argument, got %s", TypeOf(a[len(a)-1]))
	}
	args := append([]Value(nil), a[1:len(a)-1]...)
	if last != nil {
		args = append(args, last.Items...)
	}
	return th.Call(a[0], args...)
}

func primError(th *Thread, a []Value) Value {
	msg, ok := a[0].(string)
	if !ok {
		e := th.Errorf("%s", Print(a[0]))
		e.Value = a[0]
		panic(e)
	}
	panic(th.Errorf("%s", msg))
}

func primTryCall(th *Thread, a []Value) Value {
	var v Value
	err := th.protect(func() { v = th.Call(a[0]) })
	d := NewDict(2)
	if err != nil {
		d.Set("ok", false)
		if e, ok := err.(*Error); ok {
			d.Set("error", e.Msg)
			// A host's (abort status …) keeps its status, so a form can
			// tell a refused field (400) from a conflict (409).
			if s, ok := e.Value.(interface{ HTTPStatus() int }); ok {
				d.Set("status", int64(s.HTTPStatus()))
			}
		} else {
			d.Set("error", err.Error())
		}
		return d
	}
	d.Set("ok", true)
	d.Set("value", v)
	return d
}

func primMacroexpand(th *Thread, a []Value) Value {
	l, ok := a[0].(*List)
	if !ok || len(l.Items) == 0 {
		return a[0]
	}
	s, ok := l.Items[0].(*Symbol)
	if !ok {
		return a[0]
	}
	v, _ := th.Env.Lookup(s.Name)
	m, ok := v.(*Macro)
	if !ok {
		return a[0]
	}
	return th.callMacro(m, l)
}

// genFastArith inlines the common two-argument integer cases of arithmetic
// and comparison while the global still holds the built-in.
func genFastArith(c *Cell, args []code, p *Pos) code {
	if len(args) != 2 {
		return nil
	}
	x, y := args[0], args[1]
	prim, _ := c.Value.(*Primitive)
	if prim == nil {
		return nil
	}
	slow := func(f *frame, a, b Value) Value {
		th := f.th
		fv := c.Value
		m := th.mark()
		buf := th.alloc(2)
		buf[0], buf[1] = a, b
		v := th.apply(fv, buf, false, p)
		th.release(m)
		return v
	}
	switch prim {
	case addPrim:
		return func(f *frame) Value {
			a, b := x(f), y(f)
			if c.Value == addPrim {
				if i, ok := a.(int64); ok {
					if j, ok := b.(int64); ok {
						s := i + j
						if (s > i) == (j > 0) {
							return f.th.ints.box(s)
						}
					}
				}
			}
			return slow(f, a, b)
		}
	case subPrim:
		return func(f *frame) Value {
			a, b := x(f), y(f)
			if c.Value == subPrim {
				if i, ok := a.(int64); ok {
					if j, ok := b.(int64); ok {
						s := i - j
						if (s < i) == (j > 0) {
							return f.th.ints.box(s)
						}
					}
				}
			}
			return slow(f, a, b)
		}
	case mulPrim:
		return func(f *frame) Value {
			a, b := x(f), y(f)
			if c.Value == mulPrim {
				if i, ok := a.(int64); ok {
					if j, ok := b.(int64); ok {
						if i > -3037000499 && i < 3037000499 && j > -3037000499 && j < 3037000499 {
							return f.th.ints.box(i * j)
						}
					}
				}
			}
			return slow(f, a, b)
		}
	case modPrim:
		return func(f *frame) Value {
			a, b := x(f), y(f)
			if c.Value == modPrim {
				if i, ok := a.(int64); ok {
					if j, ok := b.(int64); ok && j > 0 && i >= 0 {
						return f.th.ints.box(i % j)
					}
				}
			}
			return slow(f, a, b)
		}
	case ltPrim, gtPrim, lePrim, gePrim, equalPrim:
		return func(f *frame) Value {
			a, b := x(f), y(f)
			if c.Value == prim {
				if i, ok := a.(int64); ok {
					if j, ok := b.(int64); ok {
						switch prim {
						case ltPrim:
							return i < j
						case gtPrim:
							return i > j
						case lePrim:
							return i <= j
						case gePrim:
							return i >= j
						default:
							return i == j
						}
					}
				}
			}
			return slow(f, a, b)
		}
	}
	return nil
}

// smallInt returns n, which must be in [-128, 1024), as a Value without
// allocating: the interface points into the static smallIntValues, as
// intArena's boxes point into its blocks.
func smallInt(n int64) Value {
	var v Value
	e := (*eface)(unsafe.Pointer(&v))
	e.typ = int64Type
	e.data = unsafe.Pointer(&smallIntValues[n+128])
	return v
}

func boxInt(n int64) Value {
	if n >= -128 && n < 1024 {
		return smallInt(n)
	}
	return n
}

// Arith2 returns the two-operand form of the primitive fn when fn is + - or
// *, so that folds such as (reduce + 0 xs) add directly instead of making a
// general call per item. The result is the same as calling fn.
func Arith2(fn Value) (func(th *Thread, a, b Value) Value, bool) {
	switch fn {
	case addPrim:
		return add2, true
	case subPrim:
		return sub2, true
	case mulPrim:
		return mul2, true
	}
	return nil, false
}
