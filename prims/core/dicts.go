package core

import (
	"github.com/rose-ash/sxhost/runtime"
)

// Dict primitives. Keys are strings; a quoted keyword is accepted as its
// name. Only dict-set! and dict-delete! mutate; the rest return new dicts.

var dictPrims = []*runtime.Primitive{
	{Name: "dict", Params: "(&rest key-values)", Doc: "A new dict from alternating keys and values.", MinArgs: 0, MaxArgs: -1, Fn: dictFn},
	{Name: "get", Params: "(coll key default?)", Doc: "The value under key in a dict, or item key of a list or string; default (or nil) when missing.", MinArgs: 2, MaxArgs: 3, Fn: get},
	{Name: "get-in", Params: "(coll path default?)", Doc: "Follows the keys and indices of the list path through nested dicts and lists; default (or nil) when any step is missing.", MinArgs: 2, MaxArgs: 3, Fn: getIn},
	{Name: "keys", Params: "(d)", Doc: "The keys of d in insertion order.", MinArgs: 1, MaxArgs: 1, Fn: keys},
	{Name: "vals", Params: "(d)", Doc: "The values of d in insertion order.", MinArgs: 1, MaxArgs: 1, Fn: vals},
	{Name: "merge", Params: "(&rest dicts)", Doc: "A new dict with the entries of every dict; later dicts win. nil counts as {}.", MinArgs: 0, MaxArgs: -1, Fn: merge},
	{Name: "assoc", Params: "(d key value &rest key-values)", Doc: "A new dict like d with the given keys set.", MinArgs: 3, MaxArgs: -1, Fn: assoc},
	{Name: "dissoc", Params: "(d &rest keys)", Doc: "A new dict like d without the given keys.", MinArgs: 1, MaxArgs: -1, Fn: dissoc},
	{Name: "dict-set!", Params: "(d key value)", Doc: "Sets key to value in d in place; returns nil.", MinArgs: 3, MaxArgs: 3, Fn: dictSet},
	{Name: "dict-delete!", Params: "(d key)", Doc: "Removes key from d in place; returns nil.", MinArgs: 2, MaxArgs: 2, Fn: dictDelete},
	{Name: "update", Params: "(d key f &rest args)", Doc: "A new dict like d with key set to (f old-value args…).", MinArgs: 3, MaxArgs: -1, Fn: update},
	{Name: "select-keys", Params: "(d keys)", Doc: "A new dict with only the entries of d whose keys are in the list keys, in that order.", MinArgs: 2, MaxArgs: 2, Fn: selectKeys},
}

func dictFn(th *Thread, args []Value) Value {
	if len(args)%2 != 0 {
		th.Fail("dict expects an even number of arguments, got %d", len(args))
	}
	d := runtime.NewDict(len(args) / 2)
	for i := 0; i < len(args); i += 2 {
		d.Set(wantKey(th, "dict", args[i]), args[i+1])
	}
	return d
}

// lookup is one step of get: ok is false when coll has nothing at key.
func lookup(th *Thread, name string, coll, key Value) (Value, bool) {
	switch c := coll.(type) {
	case *runtime.Dict:
		if k, ok := dictKey(key); ok {
			return c.Get(k)
		}
		return nil, false
	case *runtime.List:
		if i, ok := indexKey(key); ok && i >= 0 && i < int64(len(c.Items)) {
			return c.Items[i], true
		}
		return nil, false
	case string:
		if i, ok := indexKey(key); ok && i >= 0 && i < int64(len(c)) {
			if isASCII(c) {
				return c[i : i+1], true
			}
			if r := []rune(c); i < int64(len(r)) {
				return string(r[i]), true
			}
		}
		return nil, false
	case nil:
		return nil, false
	}
	th.Fail("%s expects a dict or list, got %s", name, runtime.TypeOf(coll))
	return nil, false
}

// indexKey reports the list index key denotes, if it is an integral number.
func indexKey(key Value) (int64, bool) {
	switch n := key.(type) {
	case int64:
		return n, true
	case float64:
		if v, ok := runtime.NormalizeFloat(n); ok && float64(v.(int64)) == n {
			return v.(int64), true
		}
	}
	return 0, false
}

func get(th *Thread, args []Value) Value {
	if v, ok := lookup(th, "get", args[0], args[1]); ok {
		return v
	}
	return orDefault(args[1:])
}

func getIn(th *Thread, args []Value) Value {
	v := args[0]
	for _, k := range wantItems(th, "get-in", args[1]) {
		var ok bool
		if v, ok = lookup(th, "get-in", v, k); !ok {
			return orDefault(args[1:])
		}
	}
	return v
}

func keys(th *Thread, args []Value) Value {
	d := wantDict(th, "keys", args[0])
	if d == nil {
		return list([]Value{})
	}
	out := make([]Value, d.Len())
	for i, k := range d.Keys() {
		out[i] = k
	}
	return list(out)
}

func vals(th *Thread, args []Value) Value {
	d := wantDict(th, "vals", args[0])
	if d == nil {
		return list([]Value{})
	}
	out := make([]Value, d.Len())
	for i, k := range d.Keys() {
		out[i], _ = d.Get(k)
	}
	return list(out)
}

// copyDict returns a copy of d (nil gives an empty dict) with room to grow.
func copyDict(d *runtime.Dict) *runtime.Dict {
	if d == nil {
		return runtime.NewDict(4)
	}
	return d.Copy()
}

func merge(th *Thread, args []Value) Value {
	n := 0
	for _, a := range args {
		if d := wantDict(th, "merge", a); d != nil {
			n += d.Len()
		}
	}
	out := runtime.NewDict(n)
	for _, a := range args {
		if d, _ := a.(*runtime.Dict); d != nil {
			for _, k := range d.Keys() {
				v, _ := d.Get(k)
				out.Set(k, v)
			}
		}
	}
	return out
}

func assoc(th *Thread, args []Value) Value {
	d := wantDict(th, "assoc", args[0])
	if len(args)%2 != 1 {
		th.Fail("assoc expects key value pairs, got %d arguments after the dict", len(args)-1)
	}
	out := copyDict(d)
	for i := 1; i < len(args); i += 2 {
		out.Set(wantKey(th, "assoc", args[i]), args[i+1])
	}
	return out
}

func dissoc(th *Thread, args []Value) Value {
	out := copyDict(wantDict(th, "dissoc", args[0]))
	for _, k := range args[1:] {
		out.Delete(wantKey(th, "dissoc", k))
	}
	return out
}

// mutableDict unpacks the dict a mutating primitive changes; nil is refused.
func mutableDict(th *Thread, name string, v Value) *runtime.Dict {
	d, ok := v.(*runtime.Dict)
	if !ok {
		th.Fail("%s expects a dict, got %s", name, runtime.TypeOf(v))
	}
	return d
}

func dictSet(th *Thread, args []Value) Value {
	mutableDict(th, "dict-set!", args[0]).Set(wantKey(th, "dict-set!", args[1]), args[2])
	return nil
}

func dictDelete(th *Thread, args []Value) Value {
	mutableDict(th, "dict-delete!", args[0]).Delete(wantKey(th, "dict-delete!", args[1]))
	return nil
}

func update(th *Thread, args []Value) Value {
	out := copyDict(wantDict(th, "update", args[0]))
	k := wantKey(th, "update", args[1])
	old, _ := out.Get(k)
	callArgs := make([]Value, 0, len(args)-2)
	callArgs = append(callArgs, old)
	callArgs = append(callArgs, args[3:]...)
	out.Set(k, th.Call(args[2], callArgs...))
	return out
}

func selectKeys(th *Thread, args []Value) Value {
	d := wantDict(th, "select-keys", args[0])
	ks := wantItems(th, "select-keys", args[1])
	out := runtime.NewDict(len(ks))
	if d == nil {
		return out
	}
	for _, kv := range ks {
		k := wantKey(th, "select-keys", kv)
		if v, ok := d.Get(k); ok {
			out.Set(k, v)
		}
	}
	return out
}
