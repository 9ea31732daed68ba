package runtime

import "sync"

// Late macros: a macro defined after the code that calls it was compiled.
// The call site kept its scope, so the expansion is compiled then, as a
// block that sees the caller's locals: their current values are copied into
// the block's frame, and copied back after it runs so that set! inside the
// expansion reaches them.

// lateSite is what a call site keeps for late expansion.
type lateSite struct {
	sc   *scope
	mu   sync.Mutex
	last *lateExpansion
}

type lateExpansion struct {
	macro  *Macro
	fs     *fnScope
	body   node
	reads  []code
	stores []func(*frame, Value)
	slots  []int
	eval   code
	html   hcode
	wire   hcode
}

// lateExpand compiles the expansion of m at src in the site's scope, reusing
// the last one while the macro is unchanged.
func (th *Thread) lateExpand(site *lateSite, m *Macro, src *List) *lateExpansion {
	site.mu.Lock()
	defer site.mu.Unlock()
	if le := site.last; le != nil && le.macro == m {
		return le
	}
	form := th.callMacro(m, src)
	fs := &fnScope{}
	inner := &scope{fn: fs}
	le := &lateExpansion{macro: m, fs: fs}
	seen := map[string]bool{}
	for sc := site.sc; sc != nil; sc = sc.parent {
		for i := len(sc.vars) - 1; i >= 0; i-- {
			v := sc.vars[i]
			if seen[v.name] || sc.top {
				continue
			}
			seen[v.name] = true
			ref := &varNode{v: v, from: site.sc.fn}
			if v.fn != site.sc.fn {
				// Only the caller's own frame is reachable; locals of
				// enclosing functions are reachable when captured.
				if _, ok := site.sc.fn.freeIdx[v]; !ok {
					continue
				}
			}
			le.reads = append(le.reads, genVarRead(ref))
			le.stores = append(le.stores, genStore(ref))
			le.slots = append(le.slots, inner.bind(v.name).slot)
		}
	}
	a := &analyzer{th: th, env: th.Env, cur: listPos(src)}
	le.body = a.analyze(form, inner, false)
	le.eval = genNode(le.body)
	site.last = le
	return le
}

// runLate runs an expansion against the caller's frame f; run does the work
// in the expansion's own frame.
func (th *Thread) runLate(le *lateExpansion, f *frame, p *Pos, run func(nf *frame)) {
	nf := th.pushFrame("<macro "+le.macro.Name+">", p)
	m := th.mark()
	nf.locals = th.alloc(le.fs.nslots)
	clear(nf.locals)
	nf.free, nf.self = nil, nil
	for i, read := range le.reads {
		nf.locals[le.slots[i]] = read(f)
	}
	for _, v := range le.fs.vars {
		if v.captured {
			nf.locals[v.slot] = &Cell{Value: nf.locals[v.slot], Name: v.name}
		}
	}
	run(nf)
	for i, store := range le.stores {
		v := nf.locals[le.slots[i]]
		if c, ok := v.(*Cell); ok && le.fs.vars[i].captured {
			v = c.Value
		}
		store(f, v)
	}
	th.release(m)
	th.popFrame()
}

// evalLate evaluates a late macro call.
func (th *Thread) evalLate(site *lateSite, m *Macro, src *List, f *frame) Value {
	le := th.lateExpand(site, m, src)
	var v Value
	th.runLate(le, f, listPos(src), func(nf *frame) { v = th.finishTail(le.eval(nf)) })
	return v
}

// renderLate renders a late macro call.
func (th *Thread) renderLate(site *lateSite, m *Macro, src *List, f *frame, w *Writer, mode renderMode) {
	le := th.lateExpand(site, m, src)
	site.mu.Lock()
	h := le.html
	if mode == modeWire {
		h = le.wire
	}
	if h == nil {
		if mode == modeWire {
			le.wire = genWire(le.body)
			h = le.wire
		} else {
			le.html = genHTML(le.body)
			h = le.html
		}
	}
	site.mu.Unlock()
	th.runLate(le, f, listPos(src), func(nf *frame) { h(nf, w) })
}
