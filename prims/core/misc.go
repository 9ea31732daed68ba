package core

import (
	"strconv"
	"sync/atomic"

	"github.com/rose-ash/sxhost/runtime"
)

// Output, identity, gensym and assert.

var miscPrims = []*runtime.Primitive{
	{Name: "print", Params: "(&rest xs)", Doc: "Writes the str forms of xs, separated by spaces, to the thread's output; returns nil.", MinArgs: 0, MaxArgs: -1, Fn: printFn},
	{Name: "println", Params: "(&rest xs)", Doc: "Like print, then a newline.", MinArgs: 0, MaxArgs: -1, Fn: printlnFn},
	{Name: "identity", Params: "(x)", Doc: "Returns x.", MinArgs: 1, MaxArgs: 1, Fn: identity},
	{Name: "gensym", Params: "(prefix?)", Doc: "A new symbol that no other gensym call returns, for macros.", MinArgs: 0, MaxArgs: 1, Fn: gensym},
	{Name: "assert", Params: "(cond msg?)", Doc: "Fails with msg (default \"assertion failed\") unless cond is truthy; returns true.", MinArgs: 1, MaxArgs: 2, Fn: assert},
}

func write(th *Thread, args []Value, newline bool) {
	if th.Out == nil {
		return
	}
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendStr(b, a)
	}
	if newline {
		b = append(b, '\n')
	}
	// Output errors are the host's concern (a closed pipe, say); printing
	// is not a reason to stop evaluation.
	_, _ = th.Out.Write(b)
}

func printFn(th *Thread, args []Value) Value {
	write(th, args, false)
	return nil
}

func printlnFn(th *Thread, args []Value) Value {
	write(th, args, true)
	return nil
}

func identity(_ *Thread, args []Value) Value { return args[0] }

var gensymCounter atomic.Int64

func gensym(th *Thread, args []Value) Value {
	prefix := "G__"
	if len(args) > 0 && args[0] != nil {
		prefix = toStr(args[0])
	}
	name := prefix + strconv.FormatInt(gensymCounter.Add(1), 10)
	if !runtime.IsSymbolName(name) {
		th.Fail("gensym: prefix %s does not make a valid symbol name", runtime.Print(prefix))
	}
	return runtime.Intern(name)
}

func assert(th *Thread, args []Value) Value {
	if runtime.Truthy(args[0]) {
		return true
	}
	if len(args) > 1 {
		th.Fail("%s", toStr(args[1]))
	}
	th.Fail("assertion failed")
	return nil
}
