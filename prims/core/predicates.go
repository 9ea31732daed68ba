package core

import (
	"strings"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// Type predicates, numeric tests, membership tests and equality.

var predicatePrims = []*runtime.Primitive{
	{Name: "type-of", Params: "(x)", Doc: "The name of x's type: \"number\", \"string\", \"list\", \"dict\" …", MinArgs: 1, MaxArgs: 1, Fn: typeOf},
	typePred("nil?", "Is x nil?", func(v Value) bool { return v == nil }),
	typePred("boolean?", "Is x true or false?", func(v Value) bool { _, ok := v.(bool); return ok }),
	typePred("number?", "Is x a number (int, float or decimal)?", func(v Value) bool {
		switch v.(type) {
		case int64, float64, *runtime.Decimal:
			return true
		}
		return false
	}),
	typePred("int?", "Is x a number held as an integer?", func(v Value) bool { _, ok := v.(int64); return ok }),
	typePred("float?", "Is x a number held as a float?", func(v Value) bool { _, ok := v.(float64); return ok }),
	typePred("string?", "Is x a string?", func(v Value) bool { _, ok := v.(string); return ok }),
	typePred("list?", "Is x a list?", func(v Value) bool { _, ok := v.(*runtime.List); return ok }),
	typePred("dict?", "Is x a dict?", func(v Value) bool { _, ok := v.(*runtime.Dict); return ok }),
	typePred("symbol?", "Is x a symbol?", func(v Value) bool { _, ok := v.(*runtime.Symbol); return ok }),
	typePred("keyword?", "Is x a quoted keyword? (Unquoted keywords evaluate to strings.)", func(v Value) bool { _, ok := v.(runtime.Keyword); return ok }),
	typePred("datetime?", "Is x a datetime?", func(v Value) bool { _, ok := v.(time.Time); return ok }),
	typePred("lambda?", "Is x a function: a lambda or a primitive?", func(v Value) bool { return runtime.TypeOf(v) == "lambda" }),
	typePred("fn?", "Can x be called: a lambda, a primitive or a component?", isCallable),
	typePred("component?", "Is x a component?", func(v Value) bool { return runtime.TypeOf(v) == "component" }),
	typePred("macro?", "Is x a macro?", func(v Value) bool { return runtime.TypeOf(v) == "macro" }),
	{Name: "blank?", Params: "(x)", Doc: "True for nil and for a string that is empty or only whitespace; false for anything else (the test for a missing text value).", MinArgs: 1, MaxArgs: 1, Fn: isBlank},
	{Name: "empty?", Params: "(x)", Doc: "True for nil and for an empty list, string or dict; false for anything else.", MinArgs: 1, MaxArgs: 1, Fn: isEmpty},
	{Name: "odd?", Params: "(n)", Doc: "Is the integer n odd?", MinArgs: 1, MaxArgs: 1, Fn: isOdd},
	{Name: "even?", Params: "(n)", Doc: "Is the integer n even?", MinArgs: 1, MaxArgs: 1, Fn: isEven},
	numPred("zero?", "Is n zero?", func(c int) bool { return c == 0 }),
	numPred("pos?", "Is n greater than zero?", func(c int) bool { return c > 0 }),
	numPred("neg?", "Is n less than zero?", func(c int) bool { return c < 0 }),
	{Name: "contains?", Params: "(coll x)", Doc: "Is x an item of the list coll, a substring of the string coll, or a key of the dict coll? False for nil.", MinArgs: 2, MaxArgs: 2, Fn: contains},
	{Name: "has-key?", Params: "(d key)", Doc: "Does dict d hold key? False for nil.", MinArgs: 2, MaxArgs: 2, Fn: hasKey},
	{Name: "starts-with?", Params: "(s prefix)", Doc: "Does s start with prefix?", MinArgs: 2, MaxArgs: 2, Fn: startsWith},
	{Name: "ends-with?", Params: "(s suffix)", Doc: "Does s end with suffix?", MinArgs: 2, MaxArgs: 2, Fn: endsWith},
	{Name: "string-contains?", Params: "(s sub)", Doc: "Does s contain sub?", MinArgs: 2, MaxArgs: 2, Fn: stringContains},
	{Name: "eq?", Params: "(a b)", Doc: "Identity: the same list or dict, or equal atoms.", MinArgs: 2, MaxArgs: 2, Fn: eq},
	{Name: "eqv?", Params: "(a b)", Doc: "Like eq?: atoms by value, lists and dicts by identity.", MinArgs: 2, MaxArgs: 2, Fn: eqv},
	{Name: "equal?", Params: "(a b)", Doc: "Deep structural equality, as = compares.", MinArgs: 2, MaxArgs: 2, Fn: equal},
}

// typePred builds a one-argument predicate from a Go test.
func typePred(name, doc string, test func(Value) bool) *runtime.Primitive {
	return &runtime.Primitive{Name: name, Params: "(x)", Doc: doc, MinArgs: 1, MaxArgs: 1,
		Fn: func(_ *Thread, args []Value) Value { return test(args[0]) }}
}

// numPred builds a predicate on the sign of a number.
func numPred(name, doc string, test func(sign int) bool) *runtime.Primitive {
	return &runtime.Primitive{Name: name, Params: "(n)", Doc: doc, MinArgs: 1, MaxArgs: 1,
		Fn: func(th *Thread, args []Value) Value {
			switch n := wantNumber(th, name, args[0]).(type) {
			case int64:
				return test(sign(n > 0, n < 0))
			case float64:
				return test(sign(n > 0, n < 0))
			case *runtime.Decimal:
				return test(n.Sign())
			}
			return false
		}}
}

func sign(pos, neg bool) int {
	switch {
	case pos:
		return 1
	case neg:
		return -1
	}
	return 0
}

func isCallable(v Value) bool {
	switch runtime.TypeOf(v) {
	case "lambda", "component":
		return true
	}
	return false
}

func typeOf(_ *Thread, args []Value) Value { return runtime.TypeOf(args[0]) }

func isEmpty(_ *Thread, args []Value) Value {
	switch x := args[0].(type) {
	case nil:
		return true
	case string:
		return x == ""
	case *runtime.List:
		return len(x.Items) == 0
	case *runtime.Dict:
		return x.Len() == 0
	}
	return false
}

func isOdd(th *Thread, args []Value) Value  { return wantInt(th, "odd?", args[0])&1 == 1 }
func isEven(th *Thread, args []Value) Value { return wantInt(th, "even?", args[0])&1 == 0 }

func contains(th *Thread, args []Value) Value {
	switch c := args[0].(type) {
	case nil:
		return false
	case *runtime.List:
		for _, it := range c.Items {
			if runtime.Equal(it, args[1]) {
				return true
			}
		}
		return false
	case string:
		return strings.Contains(c, wantString(th, "contains?", args[1]))
	case *runtime.Dict:
		k, ok := dictKey(args[1])
		if !ok {
			return false
		}
		_, ok = c.Get(k)
		return ok
	}
	th.Fail("contains? expects a list, string or dict, got %s", runtime.TypeOf(args[0]))
	return nil
}

func hasKey(th *Thread, args []Value) Value {
	d := wantDict(th, "has-key?", args[0])
	if d == nil {
		return false
	}
	k, ok := dictKey(args[1])
	if !ok {
		return false
	}
	_, ok = d.Get(k)
	return ok
}

func startsWith(th *Thread, args []Value) Value {
	return strings.HasPrefix(wantString(th, "starts-with?", args[0]), wantString(th, "starts-with?", args[1]))
}

func endsWith(th *Thread, args []Value) Value {
	return strings.HasSuffix(wantString(th, "ends-with?", args[0]), wantString(th, "ends-with?", args[1]))
}

func stringContains(th *Thread, args []Value) Value {
	return strings.Contains(wantString(th, "string-contains?", args[0]), wantString(th, "string-contains?", args[1]))
}

func eq(_ *Thread, args []Value) Value    { return runtime.Identical(args[0], args[1]) }
func eqv(_ *Thread, args []Value) Value   { return runtime.Identical(args[0], args[1]) }
func equal(_ *Thread, args []Value) Value { return runtime.Equal(args[0], args[1]) }

func isBlank(_ *Thread, args []Value) Value {
	switch x := args[0].(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	}
	return false
}
