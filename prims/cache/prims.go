package cacheprims

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rose-ash/sxhost/runtime"
)

// DefaultPrefix is put before every key SX code uses.
const DefaultPrefix = "sx:"

const bindingKey = "cacheprims.cache"

type binding struct {
	cache  Cache
	prefix string
}

// Bind makes th's cache primitives use c, with keys under DefaultPrefix.
func Bind(th *runtime.Thread, c Cache) { BindPrefix(th, c, DefaultPrefix) }

// BindPrefix makes th's cache primitives use c, with keys under prefix.
func BindPrefix(th *runtime.Thread, c Cache, prefix string) { Binder(c, prefix)(th) }

// Binder returns what Bind does for c, made once: a host that binds every
// thread it hands out reuses it instead of allocating a binding each time.
func Binder(c Cache, prefix string) func(th *runtime.Thread) {
	b := &binding{cache: c, prefix: prefix}
	return func(th *runtime.Thread) {
		if th.Local == nil {
			th.Local = map[string]any{}
		}
		th.Local[bindingKey] = b
	}
}

// Bound returns the cache bound to th, if any.
func Bound(th *runtime.Thread) Cache {
	if b, ok := th.Local[bindingKey].(*binding); ok {
		return b.cache
	}
	return nil
}

// Primitives returns the cache primitives.
func Primitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "cache/get", Params: "(key)", Doc: "The value cached under key, or nil when there is none (or it expired).", MinArgs: 1, MaxArgs: 1, IO: true, Fn: cacheGet},
		{Name: "cache/set", Params: "(key value ttl-seconds?)", Doc: "Caches value (printable data: no functions) under key, for ttl-seconds when given, and returns value.", MinArgs: 2, MaxArgs: 3, IO: true, Fn: cacheSet},
		{Name: "cache/add", Params: "(key value ttl-seconds?)", Doc: "Caches value under key, as cache/set does, only if key holds nothing (Redis SET NX); returns true when it stored it. A reader filling a cache that writers update with cache/set: a value read before a write and added after it loses to the write's.", MinArgs: 2, MaxArgs: 3, IO: true, Fn: cacheAdd},
		{Name: "cache/delete", Params: "(key)", Doc: "Removes key from the cache; returns nil.", MinArgs: 1, MaxArgs: 1, IO: true, Fn: cacheDelete},
		{Name: "cache/shared?", Params: "()", Doc: "True when the cache is shared by every instance of the platform (Redis), false when it is this process's memory: keep a copy that other instances' writes must update only in a shared cache.", IO: true, Fn: cacheShared},
	}
}

// prepare returns the bound cache and the full key.
func prepare(th *runtime.Thread, name string, key runtime.Value) (Cache, string) {
	b, _ := th.Local[bindingKey].(*binding)
	if b == nil {
		th.Fail("%s: no cache bound to this thread", name)
	}
	k, ok := key.(string)
	if !ok {
		th.Fail("%s expects a string key, got %s", name, runtime.TypeOf(key))
	}
	return b.cache, b.prefix + k
}

func cacheGet(th *runtime.Thread, args []runtime.Value) runtime.Value {
	c, key := prepare(th, "cache/get", args[0])
	b, ok, err := c.Get(th.Ctx, key)
	if err != nil {
		th.Fail("cache/get: %v", err)
	}
	if !ok {
		return nil
	}
	v, err := runtime.ReadOne("cache:"+key, string(b))
	if err != nil {
		// Not written by cache/set (or by an older format): as good as
		// absent, and the next cache/set replaces it.
		return nil
	}
	return v
}

func cacheSet(th *runtime.Thread, args []runtime.Value) runtime.Value {
	c, key, value, ttl := setArgs(th, "cache/set", args)
	if err := c.Set(th.Ctx, key, value, ttl); err != nil {
		th.Fail("cache/set: %v", err)
	}
	return args[1]
}

func cacheAdd(th *runtime.Thread, args []runtime.Value) runtime.Value {
	c, key, value, ttl := setArgs(th, "cache/add", args)
	added, err := c.Add(th.Ctx, key, value, ttl)
	if err != nil {
		th.Fail("cache/add: %v", err)
	}
	return added
}

// setArgs checks the (key value ttl-seconds?) of cache/set and cache/add
// and returns the cache, the full key, the printed value and the TTL (0:
// none).
func setArgs(th *runtime.Thread, name string, args []runtime.Value) (Cache, string, []byte, time.Duration) {
	c, key := prepare(th, name, args[0])
	var ttl time.Duration
	if len(args) > 2 && args[2] != nil {
		s, ok := runtime.ToFloat(args[2])
		if !ok {
			th.Fail("%s expects ttl-seconds to be a number, got %s", name, runtime.TypeOf(args[2]))
		}
		if !(s > 0) || s > math.MaxInt64/float64(time.Second) {
			th.Fail("%s: ttl-seconds must be positive and finite, got %s", name, runtime.Print(args[2]))
		}
		ttl = time.Duration(s * float64(time.Second))
	}
	if msg := storable(args[1], 1); msg != "" {
		th.Fail("%s: cannot cache %s; only printable data (nil, booleans, numbers, strings, keywords, symbols, lists, dicts, datetimes) reads back", name, msg)
	}
	return c, key, []byte(runtime.Print(args[1])), ttl
}

func cacheShared(th *runtime.Thread, _ []runtime.Value) runtime.Value {
	b, _ := th.Local[bindingKey].(*binding)
	return b != nil && b.cache.Shared()
}

func cacheDelete(th *runtime.Thread, args []runtime.Value) runtime.Value {
	c, key := prepare(th, "cache/delete", args[0])
	if err := c.Delete(th.Ctx, key); err != nil {
		th.Fail("cache/delete: %v", err)
	}
	return nil
}

// storable returns "" when v prints to text that reads back as an equal
// value, else a description of the first part that would not. depth counts
// as the reader does (1 for the top form), so the reader's nesting limit is
// checked here rather than discovered on the way back.
func storable(v runtime.Value, depth int) string {
	if depth > runtime.MaxReadDepth {
		return "a value nested deeper than " + itoa(runtime.MaxReadDepth)
	}
	switch x := v.(type) {
	case nil, bool, int64, time.Time, *runtime.Decimal:
		return ""
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "nan or an infinite number"
		}
		return ""
	case string:
		if !utf8.ValidString(x) {
			return "a string that is not valid UTF-8"
		}
		return ""
	case runtime.Keyword:
		if !runtime.IsKeywordName(x.Name) {
			return "the keyword " + runtime.Print(x.Name)
		}
		return ""
	case *runtime.Symbol:
		// A symbol reads back only if its name is read as that symbol
		// (not a number, nil, a keyword …).
		if r, err := runtime.ReadOne("", x.Name); err != nil || r != x {
			return "the symbol " + runtime.Print(x.Name)
		}
		return ""
	case *runtime.List:
		for _, it := range x.Items {
			if msg := storable(it, depth+1); msg != "" {
				return msg
			}
		}
		return ""
	case *runtime.Dict:
		for _, k := range x.Keys() {
			if !utf8.ValidString(k) {
				return "a dict key that is not valid UTF-8"
			}
			val, _ := x.Get(k)
			if msg := storable(val, depth+1); msg != "" {
				return msg
			}
		}
		return ""
	case runtime.HTML:
		return "html (cache the string it was rendered from)"
	}
	return "a " + runtime.TypeOf(v) + " (" + runtime.Print(v) + ")"
}

func itoa(n int) string { return strconv.Itoa(n) }
