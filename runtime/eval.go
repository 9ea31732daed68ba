package runtime

import (
	"strconv"
	"sync/atomic"
	"unsafe"
)

// frame is the activation of one function: its slots and its closure cells.
// Frames are pooled per depth on the thread; closures never point at them.
type frame struct {
	th     *Thread
	locals []Value
	free   []*Cell
	self   *Lambda // the closure running in this frame, if any
}

// code is compiled evaluation code.
type code func(f *frame) Value

// tailMarker is returned by a call in tail position after it has stashed
// the callee and arguments on the thread; the trampoline in callLambda runs
// it without growing the Go stack.
type tailCall struct{ kind byte } // not zero-size: each marker needs its own address

var tailMarker Value = &tailCall{1}

// selfTailMarker is returned by a self tail call that has already rebound
// the frame's parameters: the body simply runs again.
var selfTailMarker Value = &tailCall{2}

// Lambda is a closure.
type Lambda struct {
	proto *proto
	free  []*Cell
}

func (l *Lambda) displayName() string {
	if l.proto.name != "" {
		return l.proto.name
	}
	return "lambda"
}

// Name is the lambda's name ("" when anonymous).
func (l *Lambda) Name() string { return l.proto.name }

// Doc is the lambda's docstring.
func (l *Lambda) Doc() string { return l.proto.doc }

// Params returns the declared parameters.
func (l *Lambda) Params() []Param { return l.proto.params }

// Macro transforms unevaluated forms at compile time.
type Macro struct {
	Name string
	fn   *Lambda
}

// Doc is the macro's docstring.
func (m *Macro) Doc() string { return m.fn.proto.doc }

// Params returns the macro's parameters.
func (m *Macro) Params() []Param { return m.fn.proto.params }

// Component is a defcomp: keyword parameters and children, rendered.
type Component struct {
	Name string
	fn   *Lambda
	pure atomic.Int32 // 0 unknown, 1 pure, 2 reaches I/O
}

// Doc is the component's docstring.
func (c *Component) Doc() string { return c.fn.proto.doc }

// Params returns the component's parameters.
func (c *Component) Params() []Param { return c.fn.proto.params }

// Source returns the defcomp form as written.
func (c *Component) Source() Value { return c.fn.proto.src }

// ---- the value stack ----

// A thread's value stack starts with a small chunk and adds chunks twice as
// large as the last, up to chunkSize values, as evaluation goes deeper.
// Servers pool one thread per in-flight request, and most requests never
// need more than a few hundred values: a 64 KiB first chunk made threads
// most of a busy server's heap.
const (
	firstChunk = 128
	chunkSize  = 4096
)

type stackMark struct{ ci, sp int }

func (th *Thread) mark() stackMark { return stackMark{th.ci, th.sp} }

func (th *Thread) release(m stackMark) { th.ci, th.sp = m.ci, m.sp }

// alloc reserves n values on the stack. They are not zeroed: callers
// initialise what they use.
func (th *Thread) alloc(n int) []Value {
	c := th.chunks[th.ci]
	if th.sp+n > len(c) {
		th.ci++
		size := max(min(2*len(c), chunkSize), n)
		if th.ci == len(th.chunks) {
			th.chunks = append(th.chunks, make([]Value, size))
		} else if len(th.chunks[th.ci]) < n {
			th.chunks[th.ci] = make([]Value, size)
		}
		th.sp = 0
		c = th.chunks[th.ci]
	}
	r := c[th.sp : th.sp+n : th.sp+n]
	th.sp += n
	return r
}

// ---- steps, depth and frames ----

func (th *Thread) step() {
	th.steps++
	if th.StepBudget > 0 && th.steps > th.StepBudget {
		panic(th.errorAt(th.curPos, "step budget exhausted"))
	}
	th.tick++
	if th.tick&1023 == 0 {
		if err := th.Ctx.Err(); err != nil {
			panic(th.errorAt(th.curPos, "evaluation cancelled: "+err.Error()))
		}
	}
}

// Charge counts n steps of work done by a primitive (building a large list,
// say), so budgets also bound memory-hungry calls.
func (th *Thread) Charge(n int64) {
	th.steps += n
	if th.StepBudget > 0 && th.steps > th.StepBudget {
		panic(th.errorAt(th.curPos, "step budget exhausted"))
	}
}

func (th *Thread) pushFrame(name string, p *Pos) *frame {
	if th.depth >= th.MaxDepth {
		panic(th.errorAt(p, "maximum recursion depth exceeded"))
	}
	th.depth++
	th.calls = append(th.calls, callRecord{name, p})
	for len(th.frames) <= th.depth {
		th.frames = append(th.frames, &frame{th: th})
	}
	return th.frames[th.depth]
}

func (th *Thread) popFrame() {
	th.depth--
	th.calls = th.calls[:len(th.calls)-1]
}

// ---- compiling ----

func (th *Thread) compileTop(form Value) *proto {
	return th.compileTopAt(form, nil)
}

// compileTopAt compiles a top-level form read at p (used for the positions
// of forms that are not lists).
func (th *Thread) compileTopAt(form Value, p *Pos) *proto {
	fs := &fnScope{}
	sc := &scope{top: true, fn: fs}
	a := &analyzer{th: th, env: th.Env, cur: p}
	body := a.analyze(form, sc, false)
	var at Pos
	if l, ok := form.(*List); ok {
		at = l.Pos
	} else if p != nil {
		at = *p
	}
	return &proto{name: "<toplevel>", scope: fs, body: &seqNode{items: []node{body}}, pos: at}
}

// boxCaptured puts the captured variables of a new frame into cells: early
// cells for internal defines, and the captured parameters' values.
func (pr *proto) boxCaptured(locals []Value) {
	for _, v := range pr.scope.vars {
		if !v.captured {
			continue
		}
		if v.early {
			locals[v.slot] = &Cell{Name: v.name}
		}
	}
	for i, slot := range pr.slots {
		if pr.scope.vars[i].captured {
			locals[slot] = &Cell{Value: locals[slot], Name: pr.params[i].Name}
		}
	}
}

func (pr *proto) needsBoxing() bool {
	for _, v := range pr.scope.vars {
		if v.captured {
			return true
		}
	}
	return false
}

// eval returns the proto's evaluation code, generating it on first use.
// Closures are only made from protos whose code exists (genLambda generates
// it eagerly), so the call path reads evalCode directly.
func (pr *proto) eval() code {
	if c := pr.evalCode; c != nil {
		return c
	}
	pr.box = pr.needsBoxing()
	pr.anyDefault = pr.hasDefaults()
	pr.direct = !pr.anyDefault && !pr.hasKey && !pr.hasRest
	pr.selfLoop = pr.direct && !pr.box
	pr.defaultCode = make([]code, len(pr.defaults))
	for i, d := range pr.defaults {
		if d != nil {
			pr.defaultCode[i] = genNode(d)
		}
	}
	c := genSeq(pr.body)
	pr.evalCode = c
	return c
}

// runTop runs a compiled top-level form.
func (th *Thread) runTop(pr *proto) Value {
	f := th.pushFrame("<toplevel>", &pr.pos)
	m := th.mark()
	f.locals = th.alloc(pr.scope.nslots)
	clear(f.locals)
	f.free = nil
	f.self = nil
	run := pr.eval()
	pr.boxCaptured(f.locals)
	v := run(f)
	th.release(m)
	th.popFrame()
	return v
}

// ---- calling ----

// Call calls fn with args from inside an evaluation (a primitive calling
// back into SX). Errors propagate as panics of *Error.
func (th *Thread) Call(fn Value, args ...Value) Value {
	m := th.mark()
	buf := th.alloc(len(args))
	copy(buf, args)
	v := th.apply(fn, buf, hasKeywordArgs(buf), th.curPos)
	th.release(m)
	return v
}

// apply calls any callable with evaluated arguments. hasKw says the call
// site wrote keyword arguments (held as KeywordArg values in args).
func (th *Thread) apply(fn Value, args []Value, hasKw bool, p *Pos) Value {
	switch f := fn.(type) {
	case *Primitive:
		return th.callPrim(f, args, hasKw, p)
	case *Lambda:
		return th.callLambda(f, args, hasKw, p)
	case *Component:
		return th.callComponentEval(f, args, p)
	case *Definition:
		if f.Wrap != nil && f.Fn != nil {
			return f.Wrap(th, args, func() Value { return th.callLambda(f.Fn, args, hasKw, p) })
		}
		if f.Fn != nil {
			return th.callLambda(f.Fn, args, hasKw, p)
		}
	case *Macro:
		panic(th.errorAt(p, "macro "+f.Name+" used as a value"))
	}
	panic(th.errorAt(p, "Not callable: "+Print(fn)))
}

// keywordsToStrings turns keyword-argument markers into the strings that
// keywords evaluate to, for callees without keyword parameters.
func keywordsToStrings(args []Value) {
	for i, a := range args {
		if k, ok := a.(KeywordArg); ok {
			if k.str != nil {
				args[i] = k.str
			} else {
				args[i] = k.Name
			}
		}
	}
}

// hasKeywordArgs reports whether a host passed keyword arguments.
func hasKeywordArgs(args []Value) bool {
	for _, a := range args {
		if _, ok := a.(KeywordArg); ok {
			return true
		}
	}
	return false
}

func (th *Thread) callPrim(f *Primitive, args []Value, hasKw bool, p *Pos) Value {
	if hasKw {
		keywordsToStrings(args)
	}
	if len(args) < f.MinArgs || (f.MaxArgs >= 0 && len(args) > f.MaxArgs) {
		panic(th.errorAt(p, arityMessage(f.Name, f.MinArgs, f.MaxArgs, len(args))))
	}
	saved := th.curPos
	th.curPos = p
	v := f.Fn(th, args)
	th.curPos = saved
	return v
}

// arityMessage formats the §0.8 arity error.
func arityMessage(name string, min, max, got int) string {
	var want string
	switch {
	case max < 0:
		want = "at least " + plural(min, "argument")
	case min == max:
		want = plural(min, "argument")
	case max == min+1:
		want = strconv.Itoa(min) + " or " + plural(max, "argument")
	default:
		want = strconv.Itoa(min) + " to " + plural(max, "argument")
	}
	return name + " expects " + want + ", got " + strconv.Itoa(got)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// callLambda runs a closure; tail calls in its body loop here instead of
// growing the Go stack.
func (th *Thread) callLambda(lam *Lambda, args []Value, hasKw bool, p *Pos) Value {
	if p == nil {
		// Called by a host, not from SX: show where the function is defined.
		p = &lam.proto.pos
	}
	f := th.pushFrame(lam.proto.displayName(), p)
	m := th.mark()
	th.enter(f, lam, args, hasKw, p)
	return th.run(f, lam, m)
}

// enter binds args into a fresh set of slots for lam in frame f.
func (th *Thread) enter(f *frame, lam *Lambda, args []Value, hasKw bool, p *Pos) {
	pr := lam.proto
	f.locals = th.bind(pr, args, hasKw, p)
	f.free = lam.free
	f.self = lam
	if pr.anyDefault {
		th.applyDefaults(pr, f)
	}
	if pr.box {
		pr.boxCaptured(f.locals)
	}
}

// run runs lam's body in f, which the caller has pushed and bound, and
// follows tail calls in the same frame; then it releases the value stack to
// m and pops the frame.
func (th *Thread) run(f *frame, lam *Lambda, m stackMark) Value {
	for {
		th.step()
		run := lam.proto.evalCode
		v := run(f)
		for v == selfTailMarker {
			th.step()
			v = run(f)
		}
		if v != tailMarker {
			th.release(m)
			th.popFrame()
			return v
		}
		next, nargs, kw, tp := th.tailFn, th.tailArgs, th.tailKw, th.tailPos
		th.tailFn = nil
		th.release(m)
		nl, ok := next.(*Lambda)
		if !ok {
			// Only lambdas are stashed for tail calls; anything else is
			// called normally (keeps the frame accounting straight).
			v := th.apply(next, nargs, kw, tp)
			th.popFrame()
			return v
		}
		lam = nl
		top := &th.calls[len(th.calls)-1]
		top.name, top.pos = lam.proto.displayName(), tp
		th.enter(f, lam, nargs, kw, tp)
	}
}

func (pr *proto) hasDefaults() bool {
	for _, d := range pr.defaults {
		if d != nil {
			return true
		}
	}
	return false
}

// bind allocates the frame's slots and binds args to parameters. args may
// overlap the new slots (tail calls reuse the stack): a plain positional
// copy handles that, the general binding copies args first when they do.
// It never writes args.
func (th *Thread) bind(pr *proto, args []Value, hasKw bool, p *Pos) []Value {
	n := pr.scope.nslots
	if pr.direct {
		if len(args) != pr.npos {
			panic(th.errorAt(p, arityMessage(pr.displayName(), pr.npos, pr.npos, len(args))))
		}
		if hasKw {
			keywordsToStrings(args)
		}
		locals := th.alloc(n)
		copy(locals, args)
		clear(locals[len(args):])
		return locals
	}
	locals := th.alloc(n)
	if overlap(args, locals) {
		// A tail call's arguments, on the stack where the slots now are.
		args = append([]Value(nil), args...)
	}
	clear(locals)
	pi := 0
	var rest []Value
	for i := 0; i < len(args); i++ {
		a := args[i]
		if kw, ok := a.(KeywordArg); ok {
			if i+1 >= len(args) {
				panic(th.errorAt(p, pr.displayName()+": keyword :"+kw.Name+" needs a value"))
			}
			if idx := pr.keyIndex(kw.Name); idx >= 0 && pr.hasKey {
				v := args[i+1]
				if k, ok := v.(KeywordArg); ok {
					v = k.Name // (f :a :b) passes the string "b"
				}
				locals[pr.slots[idx]] = v
				i++
				continue
			} else if pr.hasKey || pr.component {
				i++
				continue
			}
			// A keyword given to a function without keyword parameters is
			// two positional strings: its name here, its value next.
			a = kw.Name
		}
		if idx := pr.positional(pi); idx >= 0 {
			locals[pr.slots[idx]] = a
			pi++
			continue
		}
		if pr.hasRest {
			rest = append(rest, a)
			continue
		}
		if pr.component {
			continue // extra children of a component without &rest are dropped
		}
		panic(th.errorAt(p, arityMessage(pr.displayName(), pr.npos, pr.npos, countPositional(keywordsRead(pr, args, i+1)))))
	}
	if pi < pr.npos && !pr.positionalDefaulted(pi) {
		max := pr.npos
		if pr.hasRest {
			max = -1
		}
		panic(th.errorAt(p, arityMessage(pr.displayName(), pr.npos, max, pi)))
	}
	if pr.hasRest {
		for i, prm := range pr.params {
			if prm.Rest {
				if rest == nil {
					rest = []Value{}
				}
				locals[pr.slots[i]] = &List{Items: rest}
			}
		}
	}
	return locals
}

// keywordsRead returns args with the keywords before index i as the
// positional strings bind read them as (functions without keyword
// parameters), for the arity message.
func keywordsRead(pr *proto, args []Value, i int) []Value {
	if pr.hasKey || pr.component {
		return args
	}
	args = append([]Value(nil), args...)
	for j := range args[:i] {
		if kw, ok := args[j].(KeywordArg); ok {
			args[j] = kw.Name
		}
	}
	return args
}

// overlap reports whether two value slices share memory.
func overlap(a, b []Value) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	size := unsafe.Sizeof(a[0])
	a0, b0 := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return a0 < b0+uintptr(len(b))*size && b0 < a0+uintptr(len(a))*size
}

func countPositional(args []Value) int {
	n := 0
	for i := 0; i < len(args); i++ {
		if _, ok := args[i].(KeywordArg); ok && i+1 < len(args) {
			i++
			continue
		}
		n++
	}
	return n
}

func (pr *proto) displayName() string {
	if pr.name != "" {
		return pr.name
	}
	return "lambda"
}

func (pr *proto) keyIndex(name string) int {
	for i := range pr.params {
		if pr.params[i].Name == name && !pr.params[i].Rest {
			return i
		}
	}
	return -1
}

// positional returns the index of the k-th positional parameter, or -1.
func (pr *proto) positional(k int) int {
	for i := range pr.params {
		if !pr.params[i].Key && !pr.params[i].Rest {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return -1
}

func (pr *proto) positionalDefaulted(from int) bool {
	for k := from; ; k++ {
		i := pr.positional(k)
		if i < 0 {
			return true
		}
		if !pr.params[i].HasDefault {
			return false
		}
	}
}

// applyDefaults evaluates the default of every parameter that is nil:
// missing or passed as nil, positional and keyword alike.
func (th *Thread) applyDefaults(pr *proto, f *frame) {
	for i, d := range pr.defaultCode {
		if d != nil && f.locals[pr.slots[i]] == nil {
			f.locals[pr.slots[i]] = d(f)
		}
	}
}

// callMacro expands a macro call at compile time.
func (th *Thread) callMacro(m *Macro, l *List) Value {
	m0 := th.mark()
	args := th.alloc(len(l.Items) - 1)
	copy(args, l.Items[1:])
	saved := th.curPos
	th.curPos = listPos(l)
	v := th.callLambda(m.fn, args, false, listPos(l))
	th.curPos = saved
	th.release(m0)
	return v
}

// ---- public entry points ----

// Eval compiles and evaluates one form.
func (th *Thread) Eval(form Value) (v Value, err error) {
	err = th.protect(func() {
		v = th.runTop(th.compileTop(form))
	})
	return v, err
}

// EvalString reads src and evaluates each form in turn, returning the last
// value.
func (th *Thread) EvalString(file, src string) (Value, error) {
	forms, poss, err := readAll(file, src)
	if err != nil {
		return nil, err
	}
	var v Value
	for i, f := range forms {
		if v, err = th.EvalAt(f, poss[i]); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// EvalAt evaluates a form read at position p; errors that carry no position
// of their own report p.
func (th *Thread) EvalAt(form Value, p Pos) (v Value, err error) {
	err = th.protect(func() {
		v = th.runTop(th.compileTopAt(form, &p))
	})
	if e, ok := err.(*Error); ok && !e.Pos.IsValid() {
		e.Pos = p
	}
	return v, err
}

// Apply calls fn with args from a host. KeywordArg values in args mark
// keyword arguments.
func (th *Thread) Apply(fn Value, args ...Value) (v Value, err error) {
	err = th.protect(func() {
		v = th.Call(fn, args...)
	})
	return v, err
}
