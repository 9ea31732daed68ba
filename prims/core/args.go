package core

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// Argument checking shared by every area. Each helper returns the unpacked
// value or stops evaluation with "NAME expects WHAT, got TYPE".

type (
	// Value and Thread are short names for the runtime types used everywhere.
	Value  = runtime.Value
	Thread = runtime.Thread
)

// maxBuild bounds lists and strings built from a count (range, repeat …), so a
// typo such as (range 1e12) is an error instead of exhausting memory.
const maxBuild = 10_000_000

// wantString unpacks a string. A quoted keyword is accepted as its name, since
// unquoted keywords are strings anyway.
func wantString(th *Thread, name string, v Value) string {
	switch s := v.(type) {
	case string:
		return s
	case runtime.Keyword:
		return s.Name
	}
	th.Fail("%s expects a string, got %s", name, runtime.TypeOf(v))
	return ""
}

// wantInt unpacks an integer. A float with an integral value is accepted
// because (/ 10 2)-style results may reach index arguments as floats.
func wantInt(th *Thread, name string, v Value) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		if n == math.Trunc(n) && n >= -(1<<63) && n < 1<<63 {
			return int64(n)
		}
		th.Fail("%s expects an integer, got %s", name, runtime.FormatFloat(n))
	case *runtime.Decimal:
		if i, ok := n.Int64(); ok {
			return i
		}
		th.Fail("%s expects an integer, got %s", name, n)
	default:
		th.Fail("%s expects an integer, got %s", name, runtime.TypeOf(v))
	}
	return 0
}

// wantIndex is wantInt narrowed to int for indexing Go slices. Values beyond
// the int range cannot index anything, so they clamp to the extremes.
func wantIndex(th *Thread, name string, v Value) int {
	n := wantInt(th, name, v)
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	if n < math.MinInt32 {
		return math.MinInt32
	}
	return int(n)
}

// wantNumber checks that v is a number and returns it unchanged.
func wantNumber(th *Thread, name string, v Value) Value {
	switch v.(type) {
	case int64, float64, *runtime.Decimal:
		return v
	}
	th.Fail("%s expects numbers, got %s", name, runtime.TypeOf(v))
	return nil
}

// wantFloat unpacks any number as a float64 (a decimal as the nearest).
func wantFloat(th *Thread, name string, v Value) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	case *runtime.Decimal:
		return n.Float64()
	}
	th.Fail("%s expects numbers, got %s", name, runtime.TypeOf(v))
	return 0
}

// wantItems unpacks a list's items; nil is the empty list. The result is the
// list's own slice: read it, never write it.
func wantItems(th *Thread, name string, v Value) []Value {
	switch l := v.(type) {
	case *runtime.List:
		return l.Items
	case nil:
		return nil
	}
	th.Fail("%s expects a list, got %s", name, runtime.TypeOf(v))
	return nil
}

// wantDict unpacks a dict; nil is accepted as a missing dict and returns nil.
func wantDict(th *Thread, name string, v Value) *runtime.Dict {
	switch d := v.(type) {
	case *runtime.Dict:
		return d
	case nil:
		return nil
	}
	th.Fail("%s expects a dict, got %s", name, runtime.TypeOf(v))
	return nil
}

// wantKey unpacks a dict key: a string or a quoted keyword.
func wantKey(th *Thread, name string, v Value) string {
	if k, ok := dictKey(v); ok {
		return k
	}
	th.Fail("%s expects a string key, got %s", name, runtime.TypeOf(v))
	return ""
}

// dictKey reports the dict key that v denotes, if any.
func dictKey(v Value) (string, bool) {
	switch k := v.(type) {
	case string:
		return k, true
	case runtime.Keyword:
		return k.Name, true
	}
	return "", false
}

// list wraps items in a new list without copying them.
func list(items []Value) *runtime.List { return &runtime.List{Items: items} }

// share returns items[i:j] as a list whose capacity ends at j, so that an
// append! on either list can never write into the other's elements.
func share(items []Value, i, j int) *runtime.List {
	return &runtime.List{Items: items[i:j:j]}
}

// copyItems returns a fresh copy of items, never nil, so the result may be
// mutated or retained.
func copyItems(items []Value) []Value {
	out := make([]Value, len(items))
	copy(out, items)
	return out
}

// addInt, subInt and mulInt are int64 arithmetic that fails on overflow
// instead of wrapping.
func addInt(th *Thread, name string, a, b int64) int64 {
	c := a + b
	if (c > a) != (b > 0) {
		overflow(th, name)
	}
	return c
}

func subInt(th *Thread, name string, a, b int64) int64 {
	c := a - b
	if (c < a) != (b > 0) {
		overflow(th, name)
	}
	return c
}

func mulInt(th *Thread, name string, a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		overflow(th, name)
	}
	return c
}

func overflow(th *Thread, name string) {
	th.Fail("%s: integer overflow", name)
}

// addNum adds two numbers already checked by wantNumber.
func addNum(th *Thread, name string, a, b Value) Value {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			return addInt(th, name, x, y)
		}
	}
	x, ok1 := runtime.ToFloat(a)
	y, ok2 := runtime.ToFloat(b)
	if !ok1 || !ok2 {
		return runtime.DecimalArith(th, "+", a, b)
	}
	return x + y
}

// toStr is the string form str gives a value: nil is empty, strings are
// themselves and data is printed.
func toStr(v Value) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return runtime.FormatFloat(x)
	case *runtime.Decimal:
		return x.String()
	case runtime.Keyword:
		return x.Name
	case *runtime.Symbol:
		return x.Name
	case runtime.HTML:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return runtime.Print(v)
}

// appendStr appends the str form of v to b without an intermediate string
// for the common atoms.
func appendStr(b []byte, v Value) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case string:
		return append(b, x...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case *runtime.List, *runtime.Dict:
		var sb strings.Builder
		runtime.WriteValue(&sb, v)
		return append(b, sb.String()...)
	}
	return append(b, toStr(v)...)
}

// WantString, WantInt and WantDict are the argument checks of this package
// for primitives defined elsewhere (prims/signing), so their errors read the
// same.
func WantString(th *Thread, name string, v Value) string { return wantString(th, name, v) }

// WantInt: see WantString.
func WantInt(th *Thread, name string, v Value) int64 { return wantInt(th, name, v) }

// WantDict: see WantString.
func WantDict(th *Thread, name string, v Value) *runtime.Dict { return wantDict(th, name, v) }
