package core

import (
	"math"
	"slices"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// List primitives. Results never alias the args slice; sublists may share
// the source list's elements (see share) since lists are only ever grown in
// place by append!.

var listPrims = []*runtime.Primitive{
	{Name: "list", Params: "(&rest xs)", Doc: "A new list of xs.", MinArgs: 0, MaxArgs: -1, Fn: listFn},
	{Name: "first", Params: "(coll)", Doc: "The first item of coll, or nil when it is empty.", MinArgs: 1, MaxArgs: 1, Fn: first},
	{Name: "second", Params: "(coll)", Doc: "The second item of coll, or nil.", MinArgs: 1, MaxArgs: 1, Fn: second},
	{Name: "last", Params: "(coll)", Doc: "The last item of coll, or nil when it is empty.", MinArgs: 1, MaxArgs: 1, Fn: last},
	{Name: "rest", Params: "(coll)", Doc: "coll without its first item; () when empty.", MinArgs: 1, MaxArgs: 1, Fn: rest},
	{Name: "nth", Params: "(coll i)", Doc: "Item i of coll, counting from 0; an error when out of range (see get for a lenient lookup).", MinArgs: 2, MaxArgs: 2, Fn: nth},
	{Name: "cons", Params: "(x coll)", Doc: "A new list of x followed by coll's items.", MinArgs: 2, MaxArgs: 2, Fn: cons},
	{Name: "append", Params: "(coll x)", Doc: "A new list of coll's items followed by x's items when x is a list, or by x itself otherwise.", MinArgs: 2, MaxArgs: 2, Fn: appendFn},
	{Name: "append!", Params: "(coll x)", Doc: "Adds x to the end of list coll in place and returns coll.", MinArgs: 2, MaxArgs: 2, Fn: appendBang},
	{Name: "concat", Params: "(&rest colls)", Doc: "A new list of the items of every list in order; nil counts as ().", MinArgs: 0, MaxArgs: -1, Fn: concat},
	{Name: "reverse", Params: "(coll)", Doc: "coll in reverse order: a new list, or a reversed string.", MinArgs: 1, MaxArgs: 1, Fn: reverse},
	{Name: "flatten", Params: "(coll)", Doc: "The items of coll with nested lists spliced in, at every depth.", MinArgs: 1, MaxArgs: 1, Fn: flatten},
	{Name: "range", Params: "(start? end step?)", Doc: "Ints from start (default 0) up to end, excluded, by step (default 1, may be negative).", MinArgs: 1, MaxArgs: 3, Fn: rangeFn},
	{Name: "len", Params: "(coll)", Doc: "Number of items of a list, characters of a string or entries of a dict; 0 for nil.", MinArgs: 1, MaxArgs: 1, Fn: length},
	{Name: "chunk-every", Params: "(coll n)", Doc: "coll cut into lists of n items; the last may be shorter.", MinArgs: 2, MaxArgs: 2, Fn: chunkEvery},
	{Name: "zip", Params: "(&rest colls)", Doc: "Lists of the i-th items of every coll, as long as the shortest coll.", MinArgs: 1, MaxArgs: -1, Fn: zip},
	{Name: "zip-pairs", Params: "(coll)", Doc: "Each item paired with the next: (1 2 3) gives ((1 2) (2 3)).", MinArgs: 1, MaxArgs: 1, Fn: zipPairs},
	{Name: "into", Params: "(to from)", Doc: "A new collection like to with from's items added: a list gets the items, a dict gets the entries of a dict or of a list of (key value) pairs.", MinArgs: 2, MaxArgs: 2, Fn: into},
	{Name: "take", Params: "(coll n)", Doc: "The first n items of coll. (take n coll) is accepted too.", MinArgs: 2, MaxArgs: 2, Fn: take},
	{Name: "drop", Params: "(coll n)", Doc: "coll without its first n items. (drop n coll) is accepted too.", MinArgs: 2, MaxArgs: 2, Fn: drop},
	{Name: "distinct", Params: "(coll)", Doc: "coll without repeated items (by =), keeping first occurrences.", MinArgs: 1, MaxArgs: 1, Fn: distinct},
	{Name: "sort", Params: "(coll)", Doc: "A new list of coll's numbers, strings or datetimes in ascending order (stable).", MinArgs: 1, MaxArgs: 1, Fn: sortFn},
}

func listFn(_ *Thread, args []Value) Value { return list(copyItems(args)) }

func first(th *Thread, args []Value) Value {
	if items := wantItems(th, "first", args[0]); len(items) > 0 {
		return items[0]
	}
	return nil
}

func second(th *Thread, args []Value) Value {
	if items := wantItems(th, "second", args[0]); len(items) > 1 {
		return items[1]
	}
	return nil
}

func last(th *Thread, args []Value) Value {
	if items := wantItems(th, "last", args[0]); len(items) > 0 {
		return items[len(items)-1]
	}
	return nil
}

func rest(th *Thread, args []Value) Value {
	items := wantItems(th, "rest", args[0])
	if len(items) == 0 {
		return list([]Value{})
	}
	return share(items, 1, len(items))
}

func nth(th *Thread, args []Value) Value {
	items := wantItems(th, "nth", args[0])
	i := wantInt(th, "nth", args[1])
	if i < 0 || i >= int64(len(items)) {
		th.Fail("nth: index %d out of range for list of length %d", i, len(items))
	}
	return items[i]
}

func cons(th *Thread, args []Value) Value {
	items := wantItems(th, "cons", args[1])
	out := make([]Value, len(items)+1)
	out[0] = args[0]
	copy(out[1:], items)
	return list(out)
}

func appendFn(th *Thread, args []Value) Value {
	items := wantItems(th, "append", args[0])
	if more, ok := args[1].(*runtime.List); ok {
		out := make([]Value, len(items)+len(more.Items))
		copy(out, items)
		copy(out[len(items):], more.Items)
		return list(out)
	}
	out := make([]Value, len(items)+1)
	copy(out, items)
	out[len(items)] = args[1]
	return list(out)
}

func appendBang(th *Thread, args []Value) Value {
	l, ok := args[0].(*runtime.List)
	if !ok {
		th.Fail("append! expects a list, got %s", runtime.TypeOf(args[0]))
	}
	l.Items = append(l.Items, args[1])
	return l
}

func concat(th *Thread, args []Value) Value {
	n := 0
	for _, a := range args {
		n += len(wantItems(th, "concat", a))
	}
	out := make([]Value, 0, n)
	for _, a := range args {
		out = append(out, wantItems(th, "concat", a)...)
	}
	return list(out)
}

func reverse(th *Thread, args []Value) Value {
	if s, ok := args[0].(string); ok {
		r := []rune(s)
		slices.Reverse(r)
		return string(r)
	}
	items := wantItems(th, "reverse", args[0])
	out := make([]Value, len(items))
	for i, it := range items {
		out[len(items)-1-i] = it
	}
	return list(out)
}

// maxNesting bounds flatten's recursion so a list that contains itself is
// an error, not a stack overflow.
const maxNesting = 10000

func flatten(th *Thread, args []Value) Value {
	items := wantItems(th, "flatten", args[0])
	return list(flattenInto(th, make([]Value, 0, len(items)), items, 0))
}

func flattenInto(th *Thread, out, items []Value, depth int) []Value {
	if depth > maxNesting {
		th.Fail("flatten: lists nested too deeply")
	}
	for _, it := range items {
		if l, ok := it.(*runtime.List); ok {
			out = flattenInto(th, out, l.Items, depth+1)
		} else {
			out = append(out, it)
		}
	}
	return out
}

func rangeFn(th *Thread, args []Value) Value {
	var start, end, step int64 = 0, 0, 1
	switch len(args) {
	case 1:
		end = wantInt(th, "range", args[0])
	default:
		start = wantInt(th, "range", args[0])
		end = wantInt(th, "range", args[1])
		if len(args) == 3 {
			step = wantInt(th, "range", args[2])
		}
	}
	// Count in uint64: end-start may not fit an int64.
	var count uint64
	switch {
	case step == 0:
		th.Fail("range: step must not be zero")
	case step > 0 && end > start:
		count = (uint64(end)-uint64(start)-1)/uint64(step) + 1
	case step < 0 && start > end:
		count = (uint64(start)-uint64(end)-1)/(uint64(-step)) + 1
	}
	// Building the list is work the step budget must see, before the size
	// cap that protects hosts without a budget.
	th.Charge(int64(min(count, 1<<62)))
	if count > maxBuild {
		th.Fail("range: too many items (%d)", count)
	}
	out := make([]Value, count)
	runtime.FillInts(out, start, step)
	return list(out)
}

func length(th *Thread, args []Value) Value {
	switch c := args[0].(type) {
	case *runtime.List:
		return int64(len(c.Items))
	case string:
		return int64(runeLen(c))
	case *runtime.Dict:
		return int64(c.Len())
	case nil:
		return int64(0)
	}
	th.Fail("len expects a list, string or dict, got %s", runtime.TypeOf(args[0]))
	return nil
}

func chunkEvery(th *Thread, args []Value) Value {
	items := wantItems(th, "chunk-every", args[0])
	n := wantInt(th, "chunk-every", args[1])
	if n <= 0 {
		th.Fail("chunk-every: size must be positive, got %d", n)
	}
	size := int(min(n, int64(len(items)+1)))
	out := make([]Value, 0, (len(items)+size-1)/size)
	for i := 0; i < len(items); i += size {
		out = append(out, share(items, i, min(i+size, len(items))))
	}
	return list(out)
}

func zip(th *Thread, args []Value) Value {
	n := math.MaxInt
	for _, a := range args {
		n = min(n, len(wantItems(th, "zip", a)))
	}
	out := make([]Value, n)
	for i := range out {
		row := make([]Value, len(args))
		for j, a := range args {
			row[j] = a.(*runtime.List).Items[i]
		}
		out[i] = list(row)
	}
	return list(out)
}

func zipPairs(th *Thread, args []Value) Value {
	items := wantItems(th, "zip-pairs", args[0])
	if len(items) < 2 {
		return list([]Value{})
	}
	out := make([]Value, len(items)-1)
	for i := range out {
		out[i] = list([]Value{items[i], items[i+1]})
	}
	return list(out)
}

func into(th *Thread, args []Value) Value {
	switch to := args[0].(type) {
	case *runtime.List, nil:
		a, b := wantItems(th, "into", to), wantItems(th, "into", args[1])
		return list(append(append(make([]Value, 0, len(a)+len(b)), a...), b...))
	case *runtime.Dict:
		d := to.Copy()
		switch from := args[1].(type) {
		case *runtime.Dict:
			for _, k := range from.Keys() {
				v, _ := from.Get(k)
				d.Set(k, v)
			}
		case *runtime.List, nil:
			for _, it := range wantItems(th, "into", from) {
				pair, ok := it.(*runtime.List)
				if !ok || len(pair.Items) != 2 {
					th.Fail("into expects (key value) pairs, got %s", runtime.Print(it))
				}
				d.Set(wantKey(th, "into", pair.Items[0]), pair.Items[1])
			}
		default:
			th.Fail("into expects a dict or list to add, got %s", runtime.TypeOf(from))
		}
		return d
	}
	th.Fail("into expects a list or dict, got %s", runtime.TypeOf(args[0]))
	return nil
}

// countArgs unpacks (coll n), also accepting (n coll).
func countArgs(th *Thread, name string, args []Value) ([]Value, int) {
	c, n := args[0], args[1]
	switch n.(type) {
	case *runtime.List, nil:
		c, n = n, c
	}
	items := wantItems(th, name, c)
	k := wantInt(th, name, n)
	return items, int(max(0, min(k, int64(len(items)))))
}

func take(th *Thread, args []Value) Value {
	items, n := countArgs(th, "take", args)
	return share(items, 0, n)
}

func drop(th *Thread, args []Value) Value {
	items, n := countArgs(th, "drop", args)
	return share(items, n, len(items))
}

// hashKey maps values that = compares by value to a Go map key; ok is false
// for lists, dicts and the like, which distinct compares pairwise.
func hashKey(v Value) (any, bool) {
	switch x := v.(type) {
	case nil, bool, string, int64, *runtime.Symbol, runtime.HTML:
		return v, true
	case float64:
		if math.IsNaN(x) {
			return nil, false
		}
		// 1.0 = 1, so integral floats share the int's key.
		if i, ok := runtime.NormalizeFloat(x); ok && x == math.Trunc(x) {
			return i, true
		}
		return x, true
	case runtime.Keyword:
		return x.Name, true // (quote :a) = "a"
	case time.Time:
		return x.UTC(), true
	}
	return nil, false
}

func distinct(th *Thread, args []Value) Value {
	items := wantItems(th, "distinct", args[0])
	out := make([]Value, 0, len(items))
	seen := make(map[any]struct{}, len(items))
	var others []Value // items without a hash key
outer:
	for _, it := range items {
		if k, ok := hashKey(it); ok {
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
		} else {
			for _, o := range others {
				if runtime.Equal(o, it) {
					continue outer
				}
			}
			others = append(others, it)
		}
		out = append(out, it)
	}
	return list(out)
}

// compareValues orders two values for sorting, failing on values that have
// no order between them.
func compareValues(th *Thread, name string, a, b Value) int {
	c, ok := runtime.Compare(a, b)
	if !ok {
		th.Fail("%s: cannot compare %s and %s", name, runtime.TypeOf(a), runtime.TypeOf(b))
	}
	return c
}

func sortFn(th *Thread, args []Value) Value {
	out := copyItems(wantItems(th, "sort", args[0]))
	if len(out) == 1 {
		compareValues(th, "sort", out[0], out[0]) // still reject unsortable items
	}
	slices.SortStableFunc(out, func(a, b Value) int { return compareValues(th, "sort", a, b) })
	return list(out)
}
