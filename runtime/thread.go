package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
)

// DefaultMaxDepth is the default limit on non-tail call depth.
const DefaultMaxDepth = 10000

// Env is a global environment: the cells of every global name, the registry
// of definition forms, and the macros visible to the compiler. An Env may be
// shared by many threads; definitions are guarded by a lock.
type Env struct {
	mu      sync.RWMutex
	globals map[string]*Cell
	defs    []*Definition
	defIdx  map[string]int // kind+"/"+name -> index into defs
	// OnDefine, when set, is told of every definition form evaluated.
	OnDefine func(*Definition)
	// clashes are global names a define and a definition form (defquery,
	// defaction, defhandler) both bound: one silently replaced the other,
	// which Check reports.
	clashes []Finding
	// spare holds threads for AcquireThread.
	spare sync.Pool
	// lazy holds, for each name DefineLazy deferred, the loader that
	// defines it.
	lazy map[string]*lazyLoad
	// indexed are primitives bound by DefineIndexedPrimitives whose cells
	// are made on first use; a name in globals hides its entry.
	indexed *PrimitiveIndex
}

// PrimitiveIndex is a table of primitives with their names in sorted
// order, made at build time (go generate) so that an Env binds them without
// hashing each name: Names[i] is Prims[Order[i]].Name, Names sorted.
type PrimitiveIndex struct {
	Prims []*Primitive
	Names []string
	Order []uint16
}

// find returns the primitive named name, or nil.
func (x *PrimitiveIndex) find(name string) *Primitive {
	if x == nil {
		return nil
	}
	lo, hi := 0, len(x.Names)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x.Names[m] < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(x.Names) && x.Names[lo] == name {
		return x.Prims[x.Order[lo]]
	}
	return nil
}

// DefineIndexedPrimitives binds every primitive of x as DefinePrimitives
// would, but makes each one's cell only when its name is first looked up:
// sx builds an environment per run and most programs use a few of the ~170
// primitives (docs/benchmarks.md, start-up). As with DefinePrimitives, a
// name already bound takes x's primitive. One index per Env, defined before
// any DefineLazy.
func (e *Env) DefineIndexedPrimitives(x *PrimitiveIndex) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.indexed != nil || e.lazy != nil {
		panic("runtime: DefineIndexedPrimitives after another or after DefineLazy")
	}
	e.indexed = x
	for n, c := range e.globals {
		if p := x.find(n); p != nil {
			c.Value = p
		}
	}
}

// lazyLoad is one DefineLazy call not yet run.
type lazyLoad struct {
	names []string
	load  func() error
}

// NewEnv returns an environment holding only the special forms and the
// runtime's own built-ins (arithmetic, comparison, higher-order forms,
// rendering). Add primitive tables with DefinePrimitives.
func NewEnv() *Env {
	// Sized for the built-ins and the names a short program uses (sx's
	// environment makes prims/core's cells on first use); an Env with
	// every primitive bound grows it once or twice.
	e := &Env{globals: make(map[string]*Cell, 64), defIdx: make(map[string]int)}
	e.DefinePrimitives(builtins()...)
	return e
}

// DefineLazy defers load, which defines names, until one of them is first
// looked up (compiled against, defined, or asked for by Lookup, Globals or
// Check): a library that few programs use then costs nothing until one
// does, and a program sees the same bindings as if load had run now. load
// runs on the goroutine that first asks, and another goroutine asking
// meanwhile may find the names unbound, so use it on an Env that one
// goroutine builds and uses (the sx command's). A load that fails panics:
// a library that does not load is a build defect.
func (e *Env) DefineLazy(names []string, load func() error) {
	l := &lazyLoad{names: names, load: load}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lazy == nil {
		e.lazy = make(map[string]*lazyLoad, len(names))
	}
	for _, n := range names {
		e.lazy[n] = l
	}
}

// runLazy runs l's loader once: its names leave e.lazy first, so that the
// loader's own definitions do not run it again.
func (e *Env) runLazy(l *lazyLoad) {
	e.mu.Lock()
	if e.lazy[l.names[0]] != l {
		e.mu.Unlock()
		return
	}
	for _, n := range l.names {
		delete(e.lazy, n)
	}
	e.mu.Unlock()
	if err := l.load(); err != nil {
		panic(fmt.Sprintf("runtime: loading %s: %v", l.names[0], err))
	}
}

// loadAllLazy runs every loader still deferred.
func (e *Env) loadAllLazy() {
	for {
		e.mu.RLock()
		var l *lazyLoad
		for _, l = range e.lazy {
			break
		}
		e.mu.RUnlock()
		if l == nil {
			return
		}
		e.runLazy(l)
	}
}

// cell returns the global cell for name, creating an unbound one if needed.
func (e *Env) cell(name string) *Cell {
	e.mu.RLock()
	c := e.globals[name]
	l := e.lazy[name]
	e.mu.RUnlock()
	if l != nil {
		e.runLazy(l)
		return e.cell(name)
	}
	if c != nil {
		return c
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c = e.globals[name]; c == nil {
		c = &Cell{Value: unbound, Name: name}
		if p := e.indexed.find(name); p != nil {
			c.Value = p
		}
		e.globals[name] = c
	}
	return c
}

// Define binds a global. Code compiled earlier sees the new value.
func (e *Env) Define(name string, v Value) { e.cell(name).Value = v }

// Lookup returns the value of a global.
func (e *Env) Lookup(name string) (Value, bool) {
	e.mu.RLock()
	c := e.globals[name]
	l := e.lazy[name]
	e.mu.RUnlock()
	if l != nil {
		e.runLazy(l)
		return e.Lookup(name)
	}
	if c == nil {
		if p := e.indexed.find(name); p != nil {
			return p, true
		}
	}
	if c == nil || c.Value == unbound {
		return nil, false
	}
	return c.Value, true
}

// Globals returns the names of every bound global, sorted.
func (e *Env) Globals() []string {
	e.loadAllLazy()
	e.mu.RLock()
	defer e.mu.RUnlock()
	names := make([]string, 0, len(e.globals))
	for n, c := range e.globals {
		if c.Value != unbound {
			names = append(names, n)
		}
	}
	if x := e.indexed; x != nil {
		for _, n := range x.Names {
			if e.globals[n] == nil {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

// DefinePrimitives binds each primitive under its name. The cells of new
// names share one block instead of one allocation each: every environment
// starts with some 190 primitives, and sx builds one per run.
func (e *Env) DefinePrimitives(ps ...*Primitive) {
	var block []Cell
	for i, p := range ps {
		e.mu.Lock()
		c := e.globals[p.Name]
		if c == nil && e.lazy[p.Name] == nil {
			if len(block) == 0 {
				block = make([]Cell, len(ps)-i)
			}
			c, block = &block[0], block[1:]
			c.Name = p.Name
			e.globals[p.Name] = c
		}
		e.mu.Unlock()
		if c == nil {
			c = e.cell(p.Name) // a deferred name: load it first, as Define does
		}
		c.Value = p
	}
}

// callRecord is one entry of the thread's call stack, for backtraces.
type callRecord struct {
	name string
	pos  *Pos
}

// Thread evaluates SX code. It is not safe for concurrent use; give each
// goroutine its own thread over a shared Env.
type Thread struct {
	Env *Env
	// Ctx cancels evaluation when done. Checked every few thousand steps.
	Ctx context.Context
	// StepBudget, when positive, is the number of steps (calls and loop
	// iterations) the thread may take before evaluation stops with an error.
	StepBudget int64
	// MaxDepth limits non-tail call depth.
	MaxDepth int
	// Out receives the output of print and friends.
	Out io.Writer
	// Local holds host values for I/O primitives (request, transaction …).
	Local map[string]any

	steps    int64
	tick     int
	depth    int
	calls    []callRecord
	curPos   *Pos
	chunks   [][]Value // the value stack, in chunks that never move
	ci, sp   int
	frames   []*frame
	tailFn   Value
	tailArgs []Value
	tailKw   bool
	tailPos  *Pos
	ints     intArena
	pend     pendingRender
	// wireRec is set while a wire render runs: markup evaluated as a value
	// there (an impure component's children and keyword values) is
	// rendered to the wire once, and wireAlts maps the HTML made from that
	// wire source back to it, so that where the value is rendered the
	// client gets the SX rather than (raw! "<html>") (wire.go).
	wireRec  bool
	wireAlts map[string]string
	// pendArgs: the block tail component calls take their arguments from
	// (compArgs); dropped by Reset so a pooled thread holds no values
	pendArgs Blocks
}

// NewThread returns a thread over e. ctx may be nil.
func (e *Env) NewThread(ctx context.Context) *Thread {
	if ctx == nil {
		ctx = context.Background()
	}
	return &Thread{Env: e, Ctx: ctx, MaxDepth: DefaultMaxDepth, Out: os.Stdout, chunks: [][]Value{make([]Value, firstChunk)}}
}

// AcquireThread returns a thread over e for ctx from e's pool of spare
// threads (a new one when it is empty): what a host takes for a short
// evaluation beside another thread's, such as one thunk of a gather. Give
// it back with ReleaseThread once nothing refers to it.
func (e *Env) AcquireThread(ctx context.Context) *Thread {
	if th, ok := e.spare.Get().(*Thread); ok {
		th.Reset(ctx)
		th.Out = os.Stdout
		th.StepBudget = 0
		th.MaxDepth = DefaultMaxDepth
		return th
	}
	return e.NewThread(ctx)
}

// ReleaseThread returns th, taken from AcquireThread, to e's pool; its
// host values are dropped (the map is kept).
func (e *Env) ReleaseThread(th *Thread) {
	if th.Env != e {
		return
	}
	clear(th.Local)
	th.Ctx = nil
	th.Out = nil
	e.spare.Put(th)
}

// Reset prepares a pooled thread for a new evaluation: a new context, no
// host values, and a fresh step count.
func (th *Thread) Reset(ctx context.Context) {
	if ctx == nil {
		ctx = context.Background()
	}
	th.Ctx = ctx
	clear(th.Local) // keep the map: hosts bind the same keys on every request
	th.steps, th.tick = 0, 0
	th.curPos = nil
	th.pend = pendingRender{}
	th.pendArgs = Blocks{}
	th.tailFn, th.tailArgs = nil, nil
}

// Steps returns the number of steps taken so far.
func (th *Thread) Steps() int64 { return th.steps }

// Errorf returns an error at the current call position with a backtrace.
func (th *Thread) Errorf(format string, args ...any) *Error {
	return th.errorAt(th.curPos, fmt.Sprintf(format, args...))
}

// Fail stops evaluation with an error at the current call position. Only
// primitives and code running inside an evaluation may call it.
func (th *Thread) Fail(format string, args ...any) {
	panic(th.Errorf(format, args...))
}

func (th *Thread) errorAt(p *Pos, msg string) *Error {
	e := &Error{Msg: msg}
	if p != nil {
		e.Pos = *p
	}
	e.Trace = th.backtrace()
	return e
}

func (th *Thread) backtrace() []TraceEntry {
	n := len(th.calls)
	if n > 50 {
		// Keep the innermost 50 frames: enough to read, bounded in size.
		n = 50
	}
	tr := make([]TraceEntry, 0, n)
	for i := len(th.calls) - 1; i >= 0 && len(tr) < n; i-- {
		e := TraceEntry{Name: th.calls[i].name}
		if p := th.calls[i].pos; p != nil {
			e.Pos = *p
		}
		tr = append(tr, e)
	}
	return tr
}

// guard converts a panic inside evaluation into an error and restores the
// thread's stacks to where they were.
func (th *Thread) guard(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(*Error); ok {
		*err = e
	} else {
		be := bugError(r)
		if th.curPos != nil {
			be.Pos = *th.curPos
		}
		be.Trace = th.backtrace()
		*err = be
	}
}

// protect runs f with recovery; thread state is restored on error.
func (th *Thread) protect(f func()) (err error) {
	depth, ncalls, m, pos := th.depth, len(th.calls), th.mark(), th.curPos
	defer func() {
		if err != nil {
			th.depth, th.calls, th.curPos = depth, th.calls[:ncalls], pos
			th.release(m)
			th.tailFn, th.tailArgs = nil, nil
			th.pend = pendingRender{}
		}
	}()
	defer th.guard(&err)
	f()
	return nil
}
