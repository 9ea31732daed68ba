package core

import (
	"slices"

	"github.com/rose-ash/sxhost/runtime"
)

// Higher-order primitives. The function comes first (§9) and may be a lambda,
// a primitive or a component; collections are lists, with nil as ().
//
// The argument slices handed to th.Call are reused from item to item: the
// runtime copies arguments into the callee's frame, as it does for the
// evaluator's own reused slices.

var higherPrims = []*runtime.Primitive{
	{Name: "map", Params: "(f coll &rest colls)", Doc: "A new list of (f x) for each item x; with several lists, (f x y …) until the shortest ends.", MinArgs: 2, MaxArgs: -1, Fn: mapFn},
	{Name: "map-indexed", Params: "(f coll)", Doc: "A new list of (f i x) for each item x at index i.", MinArgs: 2, MaxArgs: 2, Fn: mapIndexed},
	{Name: "filter", Params: "(f coll)", Doc: "The items x of coll for which (f x) is truthy.", MinArgs: 2, MaxArgs: 2, Fn: filter},
	{Name: "remove", Params: "(f coll)", Doc: "The items x of coll for which (f x) is falsy.", MinArgs: 2, MaxArgs: 2, Fn: remove},
	{Name: "reduce", Params: "(f init coll)", Doc: "Left fold: (f (f init x1) x2) …; init when coll is empty. (reduce f coll) starts from the first item.", MinArgs: 2, MaxArgs: 3, Fn: reduce},
	{Name: "some", Params: "(f coll)", Doc: "The first truthy (f x), or nil.", MinArgs: 2, MaxArgs: 2, Fn: some},
	{Name: "every?", Params: "(f coll)", Doc: "True when (f x) is truthy for every item (and for an empty coll).", MinArgs: 2, MaxArgs: 2, Fn: every},
	{Name: "find", Params: "(f coll)", Doc: "The first item x for which (f x) is truthy, or nil.", MinArgs: 2, MaxArgs: 2, Fn: find},
	{Name: "for-each", Params: "(f coll &rest colls)", Doc: "Calls f on each item (or on the i-th items of several lists) for its effects; returns nil.", MinArgs: 2, MaxArgs: -1, Fn: forEach},
	{Name: "mapcat", Params: "(f coll)", Doc: "Concatenation of the lists (f x) returns for each item.", MinArgs: 2, MaxArgs: 2, Fn: mapcat},
	{Name: "take-while", Params: "(f coll)", Doc: "The leading items x of coll for which (f x) is truthy.", MinArgs: 2, MaxArgs: 2, Fn: takeWhile},
	{Name: "drop-while", Params: "(f coll)", Doc: "coll without the leading items x for which (f x) is truthy.", MinArgs: 2, MaxArgs: 2, Fn: dropWhile},
	{Name: "sort-by", Params: "(f coll)", Doc: "A new list of coll's items ordered by (f x), which must give numbers, strings or datetimes (stable).", MinArgs: 2, MaxArgs: 2, Fn: sortBy},
	{Name: "group-by", Params: "(f coll)", Doc: "A dict from each (str (f x)) to the list of items giving it, in order of first appearance.", MinArgs: 2, MaxArgs: 2, Fn: groupBy},
	{Name: "partial", Params: "(f &rest args)", Doc: "A function that calls f with args followed by its own arguments.", MinArgs: 1, MaxArgs: -1, Fn: partial},
	{Name: "comp", Params: "(&rest fs)", Doc: "The composition of fs: ((comp f g) x) is (f (g x)). (comp) is identity.", MinArgs: 0, MaxArgs: -1, Fn: comp},
}

// eachItem calls f on every item of coll, stopping when visit returns false.
// visit receives the index, the item and f's result.
func eachItem(th *Thread, name string, f, coll Value, visit func(i int, x, r Value) bool) {
	items := wantItems(th, name, coll)
	buf := make([]Value, 1)
	for i, x := range items {
		buf[0] = x
		if !visit(i, x, th.Call(f, buf...)) {
			return
		}
	}
}

// multiCall calls f on the i-th items of several lists, for map and for-each.
func multiCall(th *Thread, name string, args []Value, keep bool) []Value {
	f, colls := args[0], args[1:]
	n := -1
	lists := make([][]Value, len(colls))
	for j, c := range colls {
		lists[j] = wantItems(th, name, c)
		if n < 0 || len(lists[j]) < n {
			n = len(lists[j])
		}
	}
	var out []Value
	if keep {
		out = make([]Value, n)
	}
	buf := make([]Value, len(colls))
	for i := 0; i < n; i++ {
		for j := range lists {
			buf[j] = lists[j][i]
		}
		r := th.Call(f, buf...)
		if keep {
			out[i] = r
		}
	}
	return out
}

func mapFn(th *Thread, args []Value) Value {
	if len(args) > 2 {
		return list(multiCall(th, "map", args, true))
	}
	out := make([]Value, len(wantItems(th, "map", args[1])))
	eachItem(th, "map", args[0], args[1], func(i int, _, r Value) bool {
		out[i] = r
		return true
	})
	return list(out)
}

func mapIndexed(th *Thread, args []Value) Value {
	items := wantItems(th, "map-indexed", args[1])
	out := make([]Value, len(items))
	buf := make([]Value, 2)
	for i, x := range items {
		buf[0], buf[1] = int64(i), x
		out[i] = th.Call(args[0], buf...)
	}
	return list(out)
}

func filter(th *Thread, args []Value) Value {
	var out []Value
	eachItem(th, "filter", args[0], args[1], func(_ int, x, r Value) bool {
		if runtime.Truthy(r) {
			out = append(out, x)
		}
		return true
	})
	if out == nil {
		out = []Value{}
	}
	return list(out)
}

func remove(th *Thread, args []Value) Value {
	var out []Value
	eachItem(th, "remove", args[0], args[1], func(_ int, x, r Value) bool {
		if !runtime.Truthy(r) {
			out = append(out, x)
		}
		return true
	})
	if out == nil {
		out = []Value{}
	}
	return list(out)
}

func reduce(th *Thread, args []Value) Value {
	f := args[0]
	var acc Value
	var items []Value
	if len(args) == 2 {
		items = wantItems(th, "reduce", args[1])
		if len(items) == 0 {
			return nil
		}
		acc, items = items[0], items[1:]
	} else {
		acc, items = args[1], wantItems(th, "reduce", args[2])
	}
	if op, ok := runtime.Arith2(f); ok {
		for _, x := range items {
			acc = op(th, acc, x)
		}
		return acc
	}
	buf := make([]Value, 2)
	for _, x := range items {
		buf[0], buf[1] = acc, x
		acc = th.Call(f, buf...)
	}
	return acc
}

func some(th *Thread, args []Value) Value {
	var found Value
	eachItem(th, "some", args[0], args[1], func(_ int, _, r Value) bool {
		if runtime.Truthy(r) {
			found = r
			return false
		}
		return true
	})
	return found
}

func every(th *Thread, args []Value) Value {
	all := true
	eachItem(th, "every?", args[0], args[1], func(_ int, _, r Value) bool {
		all = runtime.Truthy(r)
		return all
	})
	return all
}

func find(th *Thread, args []Value) Value {
	var found Value
	eachItem(th, "find", args[0], args[1], func(_ int, x, r Value) bool {
		if runtime.Truthy(r) {
			found = x
			return false
		}
		return true
	})
	return found
}

func forEach(th *Thread, args []Value) Value {
	if len(args) > 2 {
		multiCall(th, "for-each", args, false)
		return nil
	}
	eachItem(th, "for-each", args[0], args[1], func(int, Value, Value) bool { return true })
	return nil
}

func mapcat(th *Thread, args []Value) Value {
	out := []Value{}
	eachItem(th, "mapcat", args[0], args[1], func(_ int, _, r Value) bool {
		switch l := r.(type) {
		case *runtime.List:
			out = append(out, l.Items...)
		case nil:
		default:
			th.Fail("mapcat expects the function to return lists, got %s", runtime.TypeOf(r))
		}
		return true
	})
	return list(out)
}

func takeWhile(th *Thread, args []Value) Value {
	items := wantItems(th, "take-while", args[1])
	n := len(items)
	eachItem(th, "take-while", args[0], args[1], func(i int, _, r Value) bool {
		if !runtime.Truthy(r) {
			n = i
			return false
		}
		return true
	})
	return share(items, 0, n)
}

func dropWhile(th *Thread, args []Value) Value {
	items := wantItems(th, "drop-while", args[1])
	n := len(items)
	eachItem(th, "drop-while", args[0], args[1], func(i int, _, r Value) bool {
		if !runtime.Truthy(r) {
			n = i
			return false
		}
		return true
	})
	return share(items, n, len(items))
}

func sortBy(th *Thread, args []Value) Value {
	items := wantItems(th, "sort-by", args[1])
	// Compute each key once, then sort indices by key.
	type keyed struct{ key, item Value }
	ks := make([]keyed, len(items))
	eachItem(th, "sort-by", args[0], args[1], func(i int, x, r Value) bool {
		ks[i] = keyed{r, x}
		return true
	})
	if len(ks) == 1 {
		compareValues(th, "sort-by", ks[0].key, ks[0].key)
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return compareValues(th, "sort-by", a.key, b.key) })
	out := make([]Value, len(ks))
	for i, k := range ks {
		out[i] = k.item
	}
	return list(out)
}

func groupBy(th *Thread, args []Value) Value {
	d := runtime.NewDict(8)
	eachItem(th, "group-by", args[0], args[1], func(_ int, x, r Value) bool {
		k := toStr(r)
		if g, ok := d.Get(k); ok {
			l := g.(*runtime.List)
			l.Items = append(l.Items, x)
		} else {
			d.Set(k, list([]Value{x}))
		}
		return true
	})
	return d
}

func partial(_ *Thread, args []Value) Value {
	f, bound := args[0], copyItems(args[1:])
	return &runtime.Primitive{Name: "partial", Params: "(&rest args)", Doc: "A partial application.", MinArgs: 0, MaxArgs: -1,
		Fn: func(th *Thread, more []Value) Value {
			all := make([]Value, 0, len(bound)+len(more))
			all = append(append(all, bound...), more...)
			return th.Call(f, all...)
		}}
}

func comp(_ *Thread, args []Value) Value {
	fs := copyItems(args)
	return &runtime.Primitive{Name: "comp", Params: "(&rest args)", Doc: "A composition of functions.", MinArgs: 0, MaxArgs: -1,
		Fn: func(th *Thread, more []Value) Value {
			if len(fs) == 0 {
				if len(more) == 0 {
					return nil
				}
				return more[0]
			}
			r := th.Call(fs[len(fs)-1], more...)
			buf := make([]Value, 1)
			for i := len(fs) - 2; i >= 0; i-- {
				buf[0] = r
				r = th.Call(fs[i], buf...)
			}
			return r
		}}
}
