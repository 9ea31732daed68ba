package runtime

// Code generation for evaluation: each IR node becomes a Go closure.

import "sync"

func genSeq(s *seqNode) code {
	switch len(s.items) {
	case 0:
		return func(*frame) Value { return nil }
	case 1:
		return genNode(s.items[0])
	}
	cs := make([]code, len(s.items))
	for i, it := range s.items {
		cs[i] = genNode(it)
	}
	last := cs[len(cs)-1]
	init := cs[:len(cs)-1]
	return func(f *frame) Value {
		for _, c := range init {
			c(f)
		}
		return last(f)
	}
}

func genNodes(ns []node) []code {
	cs := make([]code, len(ns))
	for i, n := range ns {
		cs[i] = genNode(n)
	}
	return cs
}

// undefined fails with the §0.8 message for an unbound global.
func undefined(f *frame, c *Cell, p *Pos) Value {
	panic(f.th.errorAt(p, "Undefined symbol: "+c.Name))
}

func genNode(n node) code {
	switch n := n.(type) {
	case *constNode:
		v := n.v
		return func(*frame) Value { return v }
	case *varNode:
		return genVarRead(n)
	case *globalNode:
		c, p := n.cell, n.p
		return func(f *frame) Value {
			v := c.Value
			if v == unbound {
				return undefined(f, c, p)
			}
			return v
		}
	case *setNode:
		return genSet(n)
	case *defineNode:
		return genDefine(n)
	case *ifNode:
		test, then, els := genNode(n.test), genNode(n.then), genNode(n.els)
		return func(f *frame) Value {
			if Truthy(test(f)) {
				return then(f)
			}
			return els(f)
		}
	case *andNode:
		if len(n.items) == 0 {
			return func(*frame) Value { return true }
		}
		cs := genNodes(n.items)
		return func(f *frame) Value {
			var v Value
			for _, c := range cs {
				if v = c(f); !Truthy(v) {
					return v
				}
			}
			return v
		}
	case *orNode:
		if len(n.items) == 0 {
			return func(*frame) Value { return nil }
		}
		cs := genNodes(n.items)
		return func(f *frame) Value {
			var v Value
			for _, c := range cs {
				if v = c(f); Truthy(v) {
					return v
				}
			}
			return v
		}
	case *seqNode:
		return genSeq(n)
	case *letNode:
		return genLet(n)
	case *lambdaNode:
		return genLambda(n.proto)
	case *callNode:
		return genCall(n)
	case *dictNode:
		keys, vals := n.keys, genNodes(n.vals)
		return func(f *frame) Value {
			d := NewDict(len(keys))
			for i, k := range keys {
				d.Set(k, vals[i](f))
			}
			return d
		}
	case *qqNode:
		return genQuasi(n)
	case *elemNode:
		h := genHTML(n)
		elem := markupValue(h, func() hcode { return genWireElement(n) })
		if n.alt == nil {
			return elem
		}
		head, call := genNode(n.alt.fn), genCall(n.alt)
		return func(f *frame) Value {
			if isCallable(head(f)) {
				return call(f)
			}
			return elem(f)
		}
	case *compNode:
		return markupValue(genCompCall(n, modeHTML, false), func() hcode { return genCompCall(n, modeWire, false) })
	case *fragNode, *rawNode:
		// Markup evaluated as a value becomes rendered HTML.
		return markupValue(genHTML(n), func() hcode { return genWire(n) })
	case *defcompNode:
		return genDefcomp(n)
	case *defmacroNode:
		return genDefmacro(n)
	case *defFormNode:
		return genDefForm(n)
	}
	panic("runtime: no code generator for node")
}

// markupValue is the code of markup evaluated as a value: its HTML. Inside
// a wire render (an impure component's arguments) the markup is rendered
// to the wire instead, once, and its HTML made from that wire source
// (wireMarkup), so the client can be sent the source; wire makes the wire
// code, compiled the first time it is needed.
func markupValue(h hcode, wire func() hcode) code {
	var once sync.Once
	var wh hcode
	return func(f *frame) Value {
		th := f.th
		if !th.wireRec {
			w := th.writer()
			h(f, w)
			return HTML(th.doneWriter(w))
		}
		once.Do(func() { wh = wire() })
		w := th.writer()
		wh(f, w)
		return th.wireMarkup(th.doneWriter(w))
	}
}

// htmlValue turns rendering code into code that returns the HTML as a value.
func htmlValue(h hcode) code {
	return func(f *frame) Value {
		w := f.th.writer()
		h(f, w)
		return HTML(f.th.doneWriter(w))
	}
}

func genVarRead(n *varNode) code {
	v := n.v
	if v.fn == n.from {
		slot := v.slot
		if v.captured {
			return func(f *frame) Value { return f.locals[slot].(*Cell).Value }
		}
		return func(f *frame) Value { return f.locals[slot] }
	}
	idx := n.from.freeIdx[v]
	return func(f *frame) Value { return f.free[idx].Value }
}

// genStore returns a function that assigns to a variable.
func genStore(n *varNode) func(f *frame, x Value) {
	v := n.v
	if v.fn == n.from {
		slot := v.slot
		if v.captured {
			return func(f *frame, x Value) { f.locals[slot].(*Cell).Value = x }
		}
		return func(f *frame, x Value) { f.locals[slot] = x }
	}
	idx := n.from.freeIdx[v]
	return func(f *frame, x Value) { f.free[idx].Value = x }
}

func genSet(n *setNode) code {
	val := genNode(n.value)
	switch t := n.target.(type) {
	case *varNode:
		store := genStore(t)
		return func(f *frame) Value {
			x := val(f)
			store(f, x)
			return x
		}
	case *globalNode:
		c, p := t.cell, n.p
		return func(f *frame) Value {
			x := val(f)
			if c.Value == unbound {
				panic(f.th.errorAt(p, "set! of undefined variable "+c.Name))
			}
			c.Value = x
			return x
		}
	}
	panic("runtime: bad set! target")
}

func genDefine(n *defineNode) code {
	val := genNode(n.value)
	if n.cell != nil {
		c := n.cell
		return func(f *frame) Value {
			if d, ok := c.Value.(*Definition); ok {
				f.th.Env.noteClash(n.pos(), "define %s replaces def%s %s defined before it", c.Name, d.Kind, c.Name)
			}
			c.Value = val(f)
			return nil
		}
	}
	store := genStore(n.local)
	return func(f *frame) Value {
		store(f, val(f))
		return nil
	}
}

func genLet(n *letNode) code {
	type binding struct {
		init  code
		slot  int
		boxed bool
		store func(*frame, Value)
	}
	bs := make([]binding, len(n.vars))
	anyBoxed := false
	for i, v := range n.vars {
		bs[i] = binding{init: genNode(n.inits[i]), slot: v.v.slot, boxed: v.v.captured, store: genStore(v)}
		anyBoxed = anyBoxed || v.v.captured
	}
	body := genSeq(n.body)
	names := make([]string, len(n.vars))
	for i, v := range n.vars {
		names[i] = v.v.name
	}
	if !anyBoxed {
		return func(f *frame) Value {
			for i := range bs {
				f.locals[bs[i].slot] = bs[i].init(f)
			}
			return body(f)
		}
	}
	return func(f *frame) Value {
		// Fresh cells first, so that closures made by the inits (letrec,
		// named let) capture the cell that later receives the value.
		for i := range bs {
			if bs[i].boxed {
				f.locals[bs[i].slot] = &Cell{Name: names[i]}
			}
		}
		for i := range bs {
			bs[i].store(f, bs[i].init(f))
		}
		return body(f)
	}
}

// genLambda makes closure creation code: the captured cells are collected
// from the creating frame.
func genLambda(pr *proto) code {
	type capture struct {
		local bool
		index int
	}
	parent := pr.scope.parent
	caps := make([]capture, len(pr.scope.free))
	for i, v := range pr.scope.free {
		if v.fn == parent {
			caps[i] = capture{true, v.slot}
		} else {
			caps[i] = capture{false, parent.freeIdx[v]}
		}
	}
	pr.eval()
	if len(caps) == 0 {
		return func(*frame) Value { return &Lambda{proto: pr} }
	}
	return func(f *frame) Value {
		cells := make([]*Cell, len(caps))
		for i, c := range caps {
			if c.local {
				cells[i] = f.locals[c.index].(*Cell)
			} else {
				cells[i] = f.free[c.index]
			}
		}
		return &Lambda{proto: pr, free: cells}
	}
}

func genCall(n *callNode) code {
	fn := genNode(n.fn)
	args := genNodes(n.args)
	p, hasKw, tail, src := n.p, n.hasKw, n.tail, n.src
	if g, ok := n.fn.(*globalNode); ok && !hasKw {
		if fast := genFastArith(g.cell, args, p); fast != nil {
			return fast
		}
	}
	na := len(args)
	return func(f *frame) Value {
		th := f.th
		fv := fn(f)
		if m, ok := fv.(*Macro); ok {
			return th.evalLate(n.late, m, src, f)
		}
		if tail && fv == Value(f.self) && f.self.proto.selfLoop && na == f.self.proto.npos && na <= 4 && !hasKw {
			// A self tail call (a loop): rebind the parameters in place and
			// restart the body, without touching the value stack.
			var tmp [4]Value
			for i, a := range args {
				tmp[i] = a(f)
			}
			copy(f.locals, tmp[:na])
			clear(f.locals[na:])
			return selfTailMarker
		}
		if lam, ok := fv.(*Lambda); ok && !tail && !hasKw && lam.proto.direct && na == lam.proto.npos {
			// The common call: evaluate the arguments straight into the
			// callee's slots.
			pr := lam.proto
			mk := th.mark()
			locals := th.alloc(pr.scope.nslots)
			for i, a := range args {
				locals[i] = a(f)
			}
			clear(locals[na:])
			cf := th.pushFrame(pr.displayName(), p)
			cf.locals, cf.free, cf.self = locals, lam.free, lam
			if pr.box {
				pr.boxCaptured(locals)
			}
			return th.run(cf, lam, mk)
		}
		mk := th.mark()
		buf := th.alloc(na)
		for i, a := range args {
			buf[i] = a(f)
		}
		if tail {
			if _, ok := fv.(*Lambda); ok {
				th.tailFn, th.tailArgs, th.tailKw, th.tailPos = fv, buf, hasKw, p
				return tailMarker
			}
		}
		v := th.apply(fv, buf, hasKw, p)
		th.release(mk)
		return v
	}
}

func genQuasi(n *qqNode) code {
	parts := make([]code, len(n.parts))
	for i, p := range n.parts {
		parts[i] = genNode(p.n)
	}
	if n.isDict {
		keys := n.keys
		return func(f *frame) Value {
			d := NewDict(len(keys))
			for i, k := range keys {
				d.Set(k, parts[i](f))
			}
			return d
		}
	}
	splice := make([]bool, len(n.parts))
	for i, p := range n.parts {
		splice[i] = p.splice
	}
	pos := n.p
	return func(f *frame) Value {
		items := make([]Value, 0, len(parts))
		for i, c := range parts {
			v := c(f)
			if !splice[i] {
				items = append(items, v)
				continue
			}
			switch l := v.(type) {
			case *List:
				items = append(items, l.Items...)
			case nil:
			default:
				panic(f.th.errorAt(pos, "splice-unquote expects a list, got "+TypeOf(v)))
			}
		}
		return &List{Items: items}
	}
}

func genDefcomp(n *defcompNode) code {
	mk := genLambda(n.proto)
	c, name := n.cell, n.proto.name
	return func(f *frame) Value {
		c.Value = &Component{Name: name, fn: mk(f).(*Lambda)}
		return nil
	}
}

func genDefmacro(n *defmacroNode) code {
	mk := genLambda(n.proto)
	c, name := n.cell, n.proto.name
	return func(f *frame) Value {
		c.Value = &Macro{Name: name, fn: mk(f).(*Lambda)}
		return nil
	}
}
