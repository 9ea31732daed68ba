package bench

import (
	"fmt"
	"math"
	"testing"

	"github.com/d5/tengo/v2"
	tengostdlib "github.com/d5/tengo/v2/stdlib"
	"github.com/dop251/goja"
	lua "github.com/yuin/gopher-lua"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// caller runs a loaded program once and returns its result normalised to
// int64 or string.
type caller func(n int) (any, error)

// source is one program in one language: its text and the function to call.
type source struct{ src, fn string }

// program is one benchmark program written for every engine.
type program struct {
	name                     string
	arg                      int
	want                     any // int64 or string
	sx, lua, js, star, tengo source
	native                   func(n int) any
}

var programs = []*program{
	{
		name: "fib", arg: FibN, want: FibWant,
		sx:     source{SXFib, "fib"},
		lua:    source{LuaFib, "fib"},
		js:     source{JSFib, "fib"},
		star:   source{StarFib, "fib"},
		tengo:  source{TengoFib, ""},
		native: func(n int) any { return int64(GoFib(n)) },
	},
	{
		name: "loop", arg: LoopN, want: LoopWant,
		sx:     source{SXLoop, "sum-loop"},
		lua:    source{LuaLoop, "sum_loop"},
		js:     source{JSLoop, "sumLoop"},
		star:   source{StarLoop, "sum_loop"},
		tengo:  source{TengoLoop, ""},
		native: func(n int) any { return GoLoop(n) },
	},
	{
		name: "list", arg: ListN, want: ListWant,
		sx:     source{SXList, "list-sum"},
		lua:    source{LuaList, "list_sum"},
		js:     source{JSList, "listSum"},
		star:   source{StarList, "list_sum"},
		tengo:  source{TengoList, ""},
		native: func(n int) any { return GoList(n) },
	},
	{
		name: "string", arg: StringN, want: StringWant,
		sx:     source{SXString, "build-string"},
		lua:    source{LuaString, "build_string"},
		js:     source{JSString, "buildString"},
		star:   source{StarString, "build_string"},
		tengo:  source{TengoString, ""},
		native: func(n int) any { return GoString(n) },
	},
}

// engine loads a program into a fresh interpreter, outside any timing.
type engine struct {
	name string
	load func(p *program) (caller, error)
}

// engines lists every engine in table order; sx comes first.
var engines = []engine{
	{"sx", loadSX},
	{"gopher-lua", loadLua},
	{"goja", loadGoja},
	{"starlark", loadStarlark},
	{"tengo", loadTengo},
	{"go", loadNative},
}

// integral converts a float result that must be a whole number to int64.
func integral(f float64) (any, error) {
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return nil, fmt.Errorf("non-integral result %v", f)
	}
	return int64(f), nil
}

func loadLua(p *program) (caller, error) {
	L := lua.NewState()
	if err := L.DoString(p.lua.src); err != nil {
		return nil, err
	}
	fn := L.GetGlobal(p.lua.fn)
	if fn.Type() != lua.LTFunction {
		return nil, fmt.Errorf("lua: %s is not a function", p.lua.fn)
	}
	return func(n int) (any, error) {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, lua.LNumber(n)); err != nil {
			return nil, err
		}
		ret := L.Get(-1)
		L.Pop(1)
		switch v := ret.(type) {
		case lua.LNumber:
			return integral(float64(v))
		case lua.LString:
			return string(v), nil
		}
		return nil, fmt.Errorf("lua: unexpected result %s", ret.Type())
	}, nil
}

func loadGoja(p *program) (caller, error) {
	vm := goja.New()
	prog, err := goja.Compile(p.name+".js", p.js.src, true)
	if err != nil {
		return nil, err
	}
	if _, err := vm.RunProgram(prog); err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(vm.Get(p.js.fn))
	if !ok {
		return nil, fmt.Errorf("goja: %s is not a function", p.js.fn)
	}
	return func(n int) (any, error) {
		v, err := fn(goja.Undefined(), vm.ToValue(n))
		if err != nil {
			return nil, err
		}
		switch x := v.Export().(type) {
		case int64:
			return x, nil
		case float64:
			return integral(x)
		case string:
			return x, nil
		}
		return nil, fmt.Errorf("goja: unexpected result %v", v)
	}, nil
}

func loadStarlark(p *program) (caller, error) {
	thread := &starlark.Thread{Name: p.name}
	opts := &syntax.FileOptions{Recursion: true}
	globals, err := starlark.ExecFileOptions(opts, thread, p.name+".star", p.star.src, nil)
	if err != nil {
		return nil, err
	}
	fn, ok := globals[p.star.fn].(starlark.Callable)
	if !ok {
		return nil, fmt.Errorf("starlark: %s is not callable", p.star.fn)
	}
	return func(n int) (any, error) {
		v, err := starlark.Call(thread, fn, starlark.Tuple{starlark.MakeInt(n)}, nil)
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case starlark.Int:
			if i, ok := x.Int64(); ok {
				return i, nil
			}
		case starlark.String:
			return string(x), nil
		}
		return nil, fmt.Errorf("starlark: unexpected result %v", v)
	}, nil
}

func loadTengo(p *program) (caller, error) {
	s := tengo.NewScript([]byte(p.tengo.src))
	s.SetImports(tengostdlib.GetModuleMap("text"))
	if err := s.Add("n", 0); err != nil {
		return nil, err
	}
	c, err := s.Compile()
	if err != nil {
		return nil, err
	}
	return func(n int) (any, error) {
		if err := c.Set("n", n); err != nil {
			return nil, err
		}
		if err := c.Run(); err != nil {
			return nil, err
		}
		switch x := c.Get("result").Value().(type) {
		case int64:
			return x, nil
		case string:
			return x, nil
		default:
			return nil, fmt.Errorf("tengo: unexpected result %v", x)
		}
	}, nil
}

func loadNative(p *program) (caller, error) {
	return func(n int) (any, error) { return p.native(n), nil }, nil
}

// check runs the program once and compares the result with the expected one.
func check(call caller, p *program) error {
	got, err := call(p.arg)
	if err != nil {
		return err
	}
	if got != p.want {
		g, w := fmt.Sprint(got), fmt.Sprint(p.want)
		if len(g) > 60 {
			g = g[:60] + "…"
		}
		if len(w) > 60 {
			w = w[:60] + "…"
		}
		return fmt.Errorf("got %s (%T), want %s (%T)", g, got, w, p.want)
	}
	return nil
}

// TestPrograms checks that every engine computes every program correctly.
func TestPrograms(t *testing.T) {
	for _, p := range programs {
		for _, e := range engines {
			t.Run(p.name+"/"+e.name, func(t *testing.T) {
				call, err := e.load(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := check(call, p); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func benchProgram(b *testing.B, name string) {
	var p *program
	for _, q := range programs {
		if q.name == name {
			p = q
		}
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			call, err := e.load(p)
			if err != nil {
				b.Fatal(err)
			}
			if err := check(call, p); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := call(p.arg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFib(b *testing.B)    { benchProgram(b, "fib") }
func BenchmarkLoop(b *testing.B)   { benchProgram(b, "loop") }
func BenchmarkList(b *testing.B)   { benchProgram(b, "list") }
func BenchmarkString(b *testing.B) { benchProgram(b, "string") }
