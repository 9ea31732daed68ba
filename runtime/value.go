// Package runtime implements the SX language: values, the reader and printer,
// the compiler to Go closures, the evaluator with its limits, and the HTML and
// wire renderers.
//
// Values are plain Go values held in Value (an alias of any):
//
//	nil          nil
//	bool         true, false
//	int64        integers (overflow is an error)
//	float64      floats
//	*Decimal     exact decimals: PostgreSQL numeric, literals like 3.20m
//	string       strings
//	*Symbol      symbols (interned; compare by pointer)
//	Keyword      quoted keywords (:a evaluates to the string "a")
//	*List        lists, also code; reader lists carry a source position
//	*Dict        string-keyed, insertion-ordered dicts
//	time.Time    datetimes
//	HTML         trusted markup produced by rendering or raw!
//	*Lambda, *Primitive, *Macro, *Component, *Definition
//
// Evaluation stops with a panic of *Error inside the package and is recovered
// at the public entry points, so a host never sees a Go panic.
package runtime

import (
	"iter"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Value is any SX value. See the package documentation for the representation.
type Value = any

// Symbol is an interned identifier. Two symbols are equal when their pointers are.
type Symbol struct{ Name string }

var symbols sync.Map // name -> *Symbol

// Intern returns the unique symbol with the given name.
func Intern(name string) *Symbol {
	if s, ok := symbols.Load(name); ok {
		return s.(*Symbol)
	}
	s, _ := symbols.LoadOrStore(name, &Symbol{Name: name})
	return s.(*Symbol)
}

// Keyword is a quoted keyword value such as (quote :a). Unquoted keywords
// evaluate to their name as a string.
type Keyword struct{ Name string }

// KeywordArg marks a keyword argument in a call: (f :name value) passes
// KeywordArg{"name"} then value. Functions with &key parameters bind by it;
// primitives and plain functions receive the name as a string (§0.2). It is
// distinct from Keyword so that a quoted keyword passed as a value is never
// mistaken for an argument name. Hosts pass keyword arguments with it.
type KeywordArg struct {
	Name string
	// str is Name already boxed as a Value, so that passing a keyword to a
	// primitive does not allocate on every call (set by the compiler).
	str Value
}

// HTML is markup that is already safe to emit verbatim.
type HTML string

// Pos is a position in source text. Line and Col count from 1.
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether the position was set by the reader.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	file := p.File
	if file == "" {
		file = "<input>"
	}
	if !p.IsValid() {
		return file
	}
	return file + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// List is an SX list. Lists read from source carry their position.
type List struct {
	Items []Value
	Pos   Pos
}

// NewList returns a list holding items (not copied).
func NewList(items ...Value) *List { return &List{Items: items} }

// Dict is a string-keyed map that remembers insertion order.
//
// A small dict (at most smallDict entries, the usual database row or
// keyword set) keeps its values in a slice beside the keys and looks keys
// up by scanning: no Go map, whose buckets cost more to build than a row's
// few keys cost to scan. Past smallDict entries it moves to a map. There,
// deleting leaves a stale key in keys (counted by dead) instead of shifting
// the rest, so that deletes cost O(1) amortised; the keys are compacted
// when half are stale, and Keys skips stale ones.
type Dict struct {
	keys []string // insertion order; with m, keys[i] is live when m[keys[i]].i == i
	vals []Value  // without m: vals[i] is the value of keys[i]
	m    map[string]dictEntry
	dead int // stale entries in keys (with m only)
}

type dictEntry struct {
	v Value
	i int // index in keys
}

// smallDict is the most entries a dict keeps without a map.
const smallDict = 8

// NewDict returns an empty dict with room for n entries.
func NewDict(n int) *Dict {
	if n <= smallDict {
		return &Dict{keys: make([]string, 0, n), vals: make([]Value, 0, n)}
	}
	return &Dict{keys: make([]string, 0, n), m: make(map[string]dictEntry, n)}
}

// NewDictOf returns a dict of keys[i] → vals[i] that adopts both slices:
// database rows share their column names and keep their values where they
// were decoded. Neither slice may be written by the caller afterwards; the
// dict copies before it grows or deletes, so dicts sharing keys stay
// independent. A repeated key (two columns of one name) keeps its first
// position and its last value, as Set does.
func NewDictOf(keys []string, vals []Value) *Dict {
	n := len(keys)
	if n <= smallDict && distinct(keys) {
		return &Dict{keys: keys[:n:n], vals: vals[:n:n]}
	}
	d := NewDict(n)
	for i, k := range keys {
		d.Set(k, vals[i])
	}
	return d
}

func distinct(keys []string) bool {
	for i := 1; i < len(keys); i++ {
		for _, k := range keys[:i] {
			if k == keys[i] {
				return false
			}
		}
	}
	return true
}

// Len is the number of entries.
func (d *Dict) Len() int {
	if d.m == nil {
		return len(d.keys)
	}
	return len(d.m)
}

// Get returns the value stored under key.
func (d *Dict) Get(key string) (Value, bool) {
	if d.m == nil {
		for i, k := range d.keys {
			if k == key {
				return d.vals[i], true
			}
		}
		return nil, false
	}
	e, ok := d.m[key]
	return e.v, ok
}

// val is Get without the presence flag, for keys known to be there.
func (d *Dict) val(key string) Value {
	v, _ := d.Get(key)
	return v
}

// Set stores v under key, keeping the key's first insertion position.
func (d *Dict) Set(key string, v Value) {
	if d.m == nil {
		for i, k := range d.keys {
			if k == key {
				d.vals[i] = v
				return
			}
		}
		if len(d.keys) < smallDict {
			d.keys = append(d.keys, key)
			d.vals = append(d.vals, v)
			return
		}
		d.m = make(map[string]dictEntry, 2*smallDict)
		for i, k := range d.keys {
			d.m[k] = dictEntry{d.vals[i], i}
		}
		d.vals = nil
	}
	if e, ok := d.m[key]; ok {
		d.m[key] = dictEntry{v, e.i}
		return
	}
	d.m[key] = dictEntry{v, len(d.keys)}
	d.keys = append(d.keys, key)
}

// Delete removes key if present.
func (d *Dict) Delete(key string) {
	if d.m == nil {
		for i, k := range d.keys {
			if k == key {
				// New slices: a caller iterating an earlier Keys result
				// keeps its snapshot.
				d.keys = append(append(make([]string, 0, len(d.keys)-1), d.keys[:i]...), d.keys[i+1:]...)
				d.vals = append(append(make([]Value, 0, len(d.vals)-1), d.vals[:i]...), d.vals[i+1:]...)
				return
			}
		}
		return
	}
	if _, ok := d.m[key]; !ok {
		return
	}
	delete(d.m, key)
	d.dead++
	if d.dead > 32 && d.dead > len(d.keys)/2 {
		d.compact() // bound the memory stale keys hold
	}
}

// compact rebuilds keys without stale entries, in a new slice: a caller
// iterating an earlier Keys result keeps its snapshot.
func (d *Dict) compact() {
	d.keys = d.liveKeys()
	for i, k := range d.keys {
		d.m[k] = dictEntry{d.m[k].v, i}
	}
	d.dead = 0
}

// liveKeys returns the keys without stale entries, in a new slice.
func (d *Dict) liveKeys() []string {
	keys := make([]string, 0, len(d.m))
	for i, k := range d.keys {
		if e, ok := d.m[k]; ok && e.i == i {
			keys = append(keys, k)
		}
	}
	return keys
}

// Keys returns the keys in insertion order. The caller must not modify it.
// It only reads d (dicts may be read from several threads at once).
func (d *Dict) Keys() []string {
	if d.dead > 0 {
		return d.liveKeys()
	}
	return d.keys
}

// All yields the entries in insertion order, without Keys and a Get per
// key (encoders). Like Keys it only reads d.
func (d *Dict) All() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		if d.m == nil {
			for i, k := range d.keys {
				if !yield(k, d.vals[i]) {
					return
				}
			}
			return
		}
		for i, k := range d.keys {
			if e, ok := d.m[k]; ok && e.i == i && !yield(k, e.v) {
				return
			}
		}
	}
}

// Copy returns a shallow copy.
func (d *Dict) Copy() *Dict {
	keys := d.Keys()
	c := NewDict(len(keys))
	for _, k := range keys {
		c.Set(k, d.val(k))
	}
	return c
}

// Cell holds a global binding or a local variable captured by a closure.
type Cell struct {
	Value Value
	Name  string
}

// unbound marks a global cell that was referenced but never defined.
type unboundMarker struct{}

var unbound Value = unboundMarker{}

// Primitive is a function implemented in Go.
type Primitive struct {
	Name    string
	Params  string // as shown by (doc name), e.g. "(s sep)"
	Doc     string
	MinArgs int
	MaxArgs int // -1 for variadic
	// IO marks primitives that reach outside the process; components that
	// call them are expanded on the server in wire mode.
	IO bool
	Fn func(th *Thread, args []Value) Value
}

// Truthy reports whether v counts as true: everything but nil and false.
func Truthy(v Value) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	}
	return true
}

// TypeOf returns the name of v's type as (type-of v) reports it.
func TypeOf(v Value) string {
	switch v.(type) {
	case nil:
		return "nil"
	case bool:
		return "boolean"
	case int64, float64, *Decimal:
		return "number"
	case string:
		return "string"
	case *Symbol:
		return "symbol"
	case Keyword, KeywordArg:
		return "keyword"
	case *List:
		return "list"
	case *Dict:
		return "dict"
	case time.Time:
		return "datetime"
	case HTML:
		return "html"
	case *Lambda, *Primitive:
		return "lambda"
	case *Macro:
		return "macro"
	case *Component:
		return "component"
	case *Definition:
		return "definition"
	}
	return "unknown"
}

// Equal is structural equality as = defines it.
func Equal(a, b Value) bool { return equal(a, b, 0) }

func equal(a, b Value, depth int) bool {
	if depth > MaxValueDepth {
		return false // too deep to compare: treated as different
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return y == y && cmpIntFloat(x, y) == 0
		case *Decimal:
			return decimalEqual(y, x)
		}
		return false
	case float64:
		switch y := b.(type) {
		case int64:
			return x == x && cmpIntFloat(y, x) == 0
		case float64:
			return x == y
		case *Decimal:
			return decimalEqual(y, x)
		}
		return false
	case *Decimal:
		return decimalEqual(x, b)
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case Keyword:
			return x == y.Name
		}
		return false
	case Keyword:
		switch y := b.(type) {
		case string:
			return x.Name == y
		case Keyword:
			return x == y
		}
		return false
	case HTML:
		y, ok := b.(HTML)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !equal(x.Items[i], y.Items[i], depth+1) {
				return false
			}
		}
		return true
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.Keys() {
			yv, ok := y.Get(k)
			if !ok || !equal(x.val(k), yv, depth+1) {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}

// Identical is eq?: the same object for reference types, equal for atoms.
func Identical(a, b Value) bool {
	switch a.(type) {
	case *List, *Dict:
		return a == b
	}
	return Equal(a, b)
}

// ToFloat converts a number to float64.
func ToFloat(v Value) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// Compare orders two numbers, two strings or two datetimes. ok is false for
// other pairs. An int and a float compare by their exact values (through
// float64 the int could round). NaN compares as 0 with everything; the
// ordering primitives treat it as unordered.
func Compare(a, b Value) (c int, ok bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpOrdered(x, y), true
		case float64:
			return cmpIntFloat(x, y), true
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmpOrdered(x, y), true
		case int64:
			return -cmpIntFloat(y, x), true
		}
	case string:
		if y, isStr := b.(string); isStr {
			return strings.Compare(x, y), true
		}
	case time.Time:
		if y, isTime := b.(time.Time); isTime {
			return x.Compare(y), true
		}
	}
	return decimalCompare(a, b)
}

// cmpIntFloat orders i and f exactly: -1, 0 or 1 (0 for NaN).
func cmpIntFloat(i int64, f float64) int {
	switch {
	case f != f:
		return 0
	case f >= 1<<63:
		return -1
	case f < -(1 << 63):
		return 1
	}
	// -2^63 <= f < 2^63, so its integral part fits an int64 exactly.
	t := math.Trunc(f)
	if c := cmpOrdered(i, int64(t)); c != 0 {
		return c
	}
	return cmpOrdered(t, f) // same integral part: f's fraction decides
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// NormalizeFloat turns a float with an integral value that fits an int64
// into an int64, as floor, ceil and round require.
func NormalizeFloat(f float64) (Value, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < -9.2233720368547e18 || f > 9.2233720368547e18 {
		return f, false
	}
	return int64(f), true
}

// SortedKeys returns the dict's keys sorted; useful for deterministic output.
func (d *Dict) SortedKeys() []string {
	ks := append([]string(nil), d.Keys()...)
	sort.Strings(ks)
	return ks
}
