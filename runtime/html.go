package runtime

import (
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Writer accumulates rendered output. Small output lives in one buffer that
// doubles as it fills; past outChunk bytes the writer seals the buffer and
// continues in a new chunk instead of copying everything written so far
// into a larger one, and large HTML values (a component's rendering passed
// as children) are kept by reference instead of copied. A large page thus
// costs its size once in chunks (pooled) and once in the final string,
// however large it is.
type Writer struct {
	b    []byte  // the chunk being written
	done []chunk // sealed chunks, in order
	size int     // bytes in done
}

// chunk is sealed output; pooled chunks go back to chunkPool when the
// writer is done, others (the bytes of a string) are only ever read.
type chunk struct {
	b      []byte
	pooled bool
}

// outChunk is the size of the chunks large output is written in; HTML
// values of at least refMin bytes are kept by reference.
const (
	outChunk = 64 << 10
	refMin   = 4 << 10
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, outChunk); return &b }}

func (w *Writer) str(s string) {
	if len(w.b)+len(s) > cap(w.b) {
		w.grow(len(s))
	}
	w.b = append(w.b, s...)
}

// html writes rendered HTML. A large piece that does not fit the current
// chunk is kept by reference: strings are immutable and sealed chunks are
// only read, so sharing is safe.
func (w *Writer) html(s string) {
	if len(s) < refMin || len(w.b)+len(s) <= cap(w.b) {
		w.str(s)
		return
	}
	if len(w.b) > 0 {
		w.done = append(w.done, chunk{b: w.b, pooled: cap(w.b) == outChunk})
		w.size += len(w.b)
	}
	w.done = append(w.done, chunk{b: unsafe.Slice(unsafe.StringData(s), len(s))})
	w.size += len(s)
	w.b = nil
}

// reserve makes room for n more bytes in the current chunk, for code that
// appends to w.b directly (strconv.Append…).
func (w *Writer) reserve(n int) {
	if len(w.b)+n > cap(w.b) {
		w.grow(n)
	}
}

func (w *Writer) grow(n int) {
	if w.size == 0 {
		if c := max(2*cap(w.b), len(w.b)+n, 256); c <= outChunk {
			b := make([]byte, len(w.b), c)
			copy(b, w.b)
			w.b = b
			return
		}
	}
	if len(w.b) > 0 {
		n := len(w.b)
		w.done = append(w.done, chunk{b: w.b, pooled: cap(w.b) == outChunk})
		w.size += n
	}
	if n <= outChunk {
		w.b = (*chunkPool.Get().(*[]byte))[:0]
	} else {
		w.b = make([]byte, 0, n)
	}
}

// Len returns the number of bytes written.
func (w *Writer) Len() int { return w.size + len(w.b) }

// last returns the last byte written, or 0.
func (w *Writer) last() byte {
	if n := len(w.b); n > 0 {
		return w.b[n-1]
	}
	if n := len(w.done); n > 0 {
		c := w.done[n-1].b
		return c[len(c)-1]
	}
	return 0
}

// String returns what was written.
func (w *Writer) String() string {
	if len(w.done) == 0 {
		return string(w.b)
	}
	var sb strings.Builder
	sb.Grow(w.Len())
	for _, c := range w.done {
		sb.Write(c.b)
	}
	sb.Write(w.b)
	return sb.String()
}

// hcode is compiled rendering code (HTML or wire).
type hcode func(f *frame, w *Writer)

type renderMode int

const (
	modeHTML renderMode = iota
	modeWire
)

var writerPool = sync.Pool{New: func() any { return &Writer{b: make([]byte, 0, 1024)} }}

func (th *Thread) writer() *Writer {
	w := writerPool.Get().(*Writer)
	w.b = w.b[:0]
	return w
}

// doneWriter returns what w holds and gives its buffers back to the pools.
func (th *Thread) doneWriter(w *Writer) string {
	s := w.String()
	releaseWriter(w)
	return s
}

// releaseWriter gives w and its chunks back to the pools.
func releaseWriter(w *Writer) {
	for i, c := range w.done {
		if c.pooled {
			b := c.b[:0]
			chunkPool.Put(&b)
		}
		w.done[i] = chunk{}
	}
	w.done, w.size = w.done[:0], 0
	if cap(w.b) <= outChunk {
		writerPool.Put(w)
	}
}

// finishTail completes a tail call that escaped into a rendering context.
func (th *Thread) finishTail(v Value) Value {
	for v == tailMarker {
		fn, args, kw, p := th.tailFn, th.tailArgs, th.tailKw, th.tailPos
		th.tailFn = nil
		v = th.apply(fn, args, kw, p)
	}
	return v
}

// RenderHTML renders form to HTML.
func (th *Thread) RenderHTML(form Value) (s string, err error) {
	return th.renderTop(form, nil, modeHTML)
}

// RenderWire renders form to the SX wire format (§13).
func (th *Thread) RenderWire(form Value) (s string, err error) {
	return th.renderTop(form, nil, modeWire)
}

// RenderHTMLAt renders a form read at p to HTML; errors that carry no
// position of their own report p.
func (th *Thread) RenderHTMLAt(form Value, p Pos) (string, error) {
	return th.renderTop(form, &p, modeHTML)
}

// RenderWireAt is RenderHTMLAt for the wire format.
func (th *Thread) RenderWireAt(form Value, p Pos) (string, error) {
	return th.renderTop(form, &p, modeWire)
}

// RenderHTMLOutput is RenderHTML leaving the page in the writer's chunks
// (Output), for a caller that writes it somewhere instead of keeping it.
func (th *Thread) RenderHTMLOutput(form Value) (o *Output, err error) {
	err = th.renderTopTo(form, nil, modeHTML, func(w *Writer) { o = &Output{w: w} })
	return o, err
}

func (th *Thread) renderTop(form Value, p *Pos, mode renderMode) (s string, err error) {
	err = th.renderTopTo(form, p, mode, func(w *Writer) { s = th.doneWriter(w) })
	return s, err
}

// renderTopTo renders form and hands the writer holding the result to done.
func (th *Thread) renderTopTo(form Value, p *Pos, mode renderMode, done func(*Writer)) (err error) {
	err = th.protect(func() { done(th.renderFormTo(form, p, mode)) })
	if e, ok := err.(*Error); ok && !e.Pos.IsValid() {
		if l, isList := form.(*List); isList && l.Pos.IsValid() {
			e.Pos = l.Pos
		} else if p != nil {
			e.Pos = *p
		}
	}
	return err
}

// renderForm compiles form at top level and renders it. A form that is not
// code (an evaluated value) is rendered as a value.
func (th *Thread) renderForm(form Value, p *Pos, mode renderMode) Value {
	return th.doneWriter(th.renderFormTo(form, p, mode))
}

// renderFormTo is renderForm returning the writer that holds the result.
func (th *Thread) renderFormTo(form Value, p *Pos, mode renderMode) *Writer {
	defer th.recordWire(mode == modeWire)()
	pr := th.compileTopAt(form, p)
	f := th.pushFrame("<render>", &pr.pos)
	m := th.mark()
	f.locals = th.alloc(pr.scope.nslots)
	clear(f.locals)
	f.free = nil
	f.self = nil
	pr.boxCaptured(f.locals)
	w := th.writer()
	pr.render(mode)(f, w)
	th.release(m)
	th.popFrame()
	return w
}

// recordWire sets whether markup values are recorded as wire source
// (Thread.wireRec) for a render; the function it returns restores the
// setting, and forgets the recorded markup when the outermost wire render
// ends.
func (th *Thread) recordWire(on bool) func() {
	old := th.wireRec
	th.wireRec = on
	return func() {
		th.wireRec = old
		if !old && on {
			clear(th.wireAlts)
		}
	}
}

// render returns the proto's body compiled for mode.
func (pr *proto) render(mode renderMode) hcode {
	pr.genOnce.Lock()
	defer pr.genOnce.Unlock()
	if mode == modeWire {
		if pr.wireCode == nil {
			pr.eval()
			pr.wireCode = genWire(pr.body)
		}
		return pr.wireCode
	}
	if pr.htmlCode == nil {
		pr.eval()
		pr.htmlCode = genHTML(pr.body)
	}
	return pr.htmlCode
}

// renderValue writes an evaluated value as HTML content. p is where the
// value was computed, for errors.
func (th *Thread) renderValue(w *Writer, v Value, p *Pos) { th.renderValueAt(w, v, p, 0) }

func (th *Thread) renderValueAt(w *Writer, v Value, p *Pos, depth int) {
	if depth > MaxValueDepth {
		panic(th.errorAt(p, "value nested too deeply to render"))
	}
	switch x := v.(type) {
	case nil, bool:
	case string:
		escapeText(w, x)
	case HTML:
		w.html(string(x))
	case int64:
		w.reserve(20)
		w.b = strconv.AppendInt(w.b, x, 10)
	case float64:
		w.reserve(32)
		w.b = AppendFloat(w.b, x)
	case *Decimal:
		w.str(x.String())
	case Keyword:
		escapeText(w, x.Name)
	case *Symbol:
		escapeText(w, x.Name)
	case *List:
		for _, it := range x.Items {
			th.renderValueAt(w, it, p, depth+1)
		}
	case time.Time:
		w.str(x.Format(time.RFC3339))
	case *Dict:
		escapeText(w, Print(x))
	default:
		panic(th.errorAt(p, "cannot render "+TypeOf(v)))
	}
}

// attrText is attrString for a value being rendered as an attribute:
// functions have no text and are an error.
func (th *Thread) attrText(v Value, p *Pos) string {
	switch v.(type) {
	case *Lambda, *Primitive, *Macro, *Component, *Definition:
		panic(th.errorAt(p, "cannot render "+TypeOf(v)+" as an attribute value"))
	}
	return attrString(v)
}

// attrString converts an attribute value to text.
func attrString(v Value) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return FormatFloat(x)
	case *Decimal:
		return x.String()
	case HTML:
		return string(x)
	case Keyword:
		return x.Name
	case *List:
		parts := make([]string, 0, len(x.Items))
		for _, it := range x.Items {
			if it == nil || it == false {
				continue
			}
			if _, nested := it.(*List); nested {
				parts = append(parts, Print(it))
				continue
			}
			parts = append(parts, attrString(it))
		}
		return strings.Join(parts, " ")
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return Print(v)
}

// staticHTML returns the rendering of n when it does not depend on any
// evaluation, so that it can be written once at compile time.
func staticHTML(n node) (string, bool) {
	var w Writer
	if !writeStatic(&w, n) {
		return "", false
	}
	return w.String(), true
}

func writeStatic(w *Writer, n node) bool {
	switch n := n.(type) {
	case *constNode:
		switch x := n.v.(type) {
		case nil, bool:
			return true
		case string:
			escapeText(w, x)
			return true
		case int64:
			w.reserve(20)
			w.b = strconv.AppendInt(w.b, x, 10)
			return true
		case float64:
			w.reserve(32)
			w.b = AppendFloat(w.b, x)
			return true
		}
		return false
	case *elemNode:
		if n.alt != nil {
			return false
		}
		w.str("<" + n.tag)
		for _, a := range n.attrs {
			c, ok := a.value.(*constNode)
			if !ok {
				return false
			}
			switch x := c.v.(type) {
			case nil:
			case bool:
				if x {
					w.str(" " + a.name)
				}
			case string, int64, float64:
				if isBooleanAttr(a.name) {
					w.str(" " + a.name)
					continue
				}
				text := attrString(x)
				if isURLAttr(a.name) {
					text = safeURLAttr(a.name, text)
				}
				w.str(" " + a.name + `="`)
				escapeAttr(w, text)
				w.str(`"`)
			default:
				return false
			}
		}
		w.str(">")
		if n.void {
			return len(n.children) == 0
		}
		for _, c := range n.children {
			if !writeStatic(w, c) {
				return false
			}
		}
		w.str("</" + n.tag + ">")
		return true
	case *fragNode:
		for _, c := range n.children {
			if !writeStatic(w, c) {
				return false
			}
		}
		return true
	}
	return false
}

// valueCode evaluates n for its value, finishing any tail call.
func valueCode(n node) code {
	c := genNode(n)
	return func(f *frame) Value {
		v := c(f)
		if v == tailMarker {
			v = f.th.finishTail(v)
		}
		return v
	}
}

func genHTMLNodes(ns []node) []hcode {
	hs := make([]hcode, len(ns))
	for i, n := range ns {
		hs[i] = genHTML(n)
	}
	return hs
}

func genHTML(n node) hcode {
	if s, ok := staticHTML(n); ok {
		return func(f *frame, w *Writer) { w.str(s) }
	}
	switch n := n.(type) {
	case *ifNode:
		test, then, els := genNode(n.test), genHTML(n.then), genHTML(n.els)
		return func(f *frame, w *Writer) {
			if Truthy(test(f)) {
				then(f, w)
			} else {
				els(f, w)
			}
		}
	case *seqNode:
		hs := genHTMLNodes(n.items)
		return func(f *frame, w *Writer) {
			for _, h := range hs {
				h(f, w)
			}
		}
	case *letNode:
		init := genLetInit(n)
		body := genHTML(n.body)
		return func(f *frame, w *Writer) {
			init(f)
			body(f, w)
		}
	case *callNode:
		return genRenderCall(n, modeHTML)
	case *elemNode:
		return withAlt(n, genElement(n), modeHTML)
	case *fragNode:
		hs := genHTMLNodes(n.children)
		return func(f *frame, w *Writer) {
			for _, h := range hs {
				h(f, w)
			}
		}
	case *rawNode:
		args := genNodes(n.args)
		return func(f *frame, w *Writer) {
			for _, a := range args {
				writeRaw(w, a(f))
			}
		}
	case *compNode:
		return genCompCall(n, modeHTML, true)
	}
	c, p := valueCode(n), n.pos()
	return func(f *frame, w *Writer) { f.th.renderValue(w, c(f), p) }
}

func writeRaw(w *Writer, v Value) {
	switch x := v.(type) {
	case nil:
	case string:
		w.str(x)
	case HTML:
		w.str(string(x))
	default:
		w.str(attrString(x))
	}
}

// genLetInit returns the binding half of a let, shared by every mode.
func genLetInit(n *letNode) code {
	whole := genLet(&letNode{basePos: n.basePos, vars: n.vars, inits: n.inits, body: &seqNode{}})
	return whole
}

// isCallable reports whether v can be called as a function.
func isCallable(v Value) bool {
	switch x := v.(type) {
	case *Lambda, *Primitive, *Component, *Macro:
		return true
	case *Definition:
		return x.Fn != nil
	}
	return false
}

// withAlt chooses between an element and a call at run time when the
// element's name is also a local variable.
func withAlt(n *elemNode, elem hcode, mode renderMode) hcode {
	if n.alt == nil {
		return elem
	}
	head, call := genNode(n.alt.fn), genRenderCall(n.alt, mode)
	return func(f *frame, w *Writer) {
		if isCallable(head(f)) {
			call(f, w)
			return
		}
		elem(f, w)
	}
}

type attrCode struct {
	name   string
	static string // pre-rendered ` name="value"` when constant
	isStat bool
	val    code
	isBool bool
	isURL  bool
	pos    *Pos // of the value, for errors
}

func genElement(n *elemNode) hcode {
	open := "<" + n.tag
	attrs := make([]attrCode, len(n.attrs))
	for i, a := range n.attrs {
		ac := attrCode{name: a.name, isBool: isBooleanAttr(a.name), isURL: isURLAttr(a.name), pos: a.value.pos()}
		if ac.pos == nil {
			ac.pos = n.p
		}
		if s, ok := staticHTML(&elemNode{tag: "x", attrs: []attrNode{a}, void: true}); ok {
			ac.static, ac.isStat = s[2:len(s)-1], true
		} else {
			ac.val = genNode(a.value)
		}
		attrs[i] = ac
	}
	children := genHTMLNodes(n.children)
	closeTag := "</" + n.tag + ">"
	void := n.void
	p := n.p
	return func(f *frame, w *Writer) {
		w.str(open)
		for i := range attrs {
			a := &attrs[i]
			if a.isStat {
				w.str(a.static)
				continue
			}
			v := a.val(f)
			switch x := v.(type) {
			case nil:
				continue
			case bool:
				if x {
					w.str(" " + a.name)
				}
				continue
			}
			if a.isBool {
				w.str(" " + a.name)
				continue
			}
			text := f.th.attrText(v, a.pos)
			if _, trusted := v.(HTML); a.isURL && !trusted {
				text = safeURLAttr(a.name, text)
			}
			w.str(" ")
			w.str(a.name)
			w.str(`="`)
			escapeAttr(w, text)
			w.str(`"`)
		}
		w.str(">")
		if void {
			// Children that render nothing (nil, a false when) are fine.
			end := w.Len()
			for _, c := range children {
				c(f, w)
			}
			if w.Len() != end {
				panic(f.th.errorAt(p, "void element "+open[1:]+" cannot have children"))
			}
			return
		}
		for _, c := range children {
			c(f, w)
		}
		w.str(closeTag)
	}
}

// isRenderHO reports whether fn is a built-in higher-order primitive that
// renders each result in place.
func isRenderHO(v Value) (string, bool) {
	p, ok := v.(*Primitive)
	if !ok {
		return "", false
	}
	switch p.Name {
	case "map", "map-indexed", "for-each":
		return p.Name, true
	}
	return "", false
}

// genRenderCall renders a call: map/map-indexed/for-each render each result
// in place, components and lambdas render their bodies, anything else is
// evaluated and its value rendered.
func genRenderCall(n *callNode, mode renderMode) hcode {
	fn := genNode(n.fn)
	args := genNodes(n.args)
	p, hasKw, tail := n.p, n.hasKw, n.tail
	na := len(args)
	return func(f *frame, w *Writer) {
		th := f.th
		fv := fn(f)
		if m, ok := fv.(*Macro); ok {
			th.renderLate(n.late, m, n.src, f, w, mode)
			return
		}
		mk := th.mark()
		buf := th.alloc(na)
		for i, a := range args {
			buf[i] = a(f)
		}
		if name, ok := isRenderHO(fv); ok && na == 2 {
			th.renderEach(name, buf[0], buf[1], w, mode, p)
		} else if _, isLambda := fv.(*Lambda); isLambda && tail {
			th.pend = pendingRender{fv, append([]Value(nil), buf...), p}
		} else {
			th.renderApply(fv, buf, hasKw, w, mode, p)
		}
		th.release(mk)
	}
}

// emit writes a value in the given mode; p is where it was computed.
func (th *Thread) emit(w *Writer, v Value, mode renderMode, p *Pos) {
	if mode == modeWire {
		th.wireValue(w, v, p)
	} else {
		th.renderValue(w, v, p)
	}
}

func (th *Thread) renderEach(name string, fn, coll Value, w *Writer, mode renderMode, p *Pos) {
	var items []Value
	switch c := coll.(type) {
	case *List:
		items = c.Items
	case nil:
	default:
		panic(th.errorAt(p, name+" expects a list, got "+TypeOf(coll)))
	}
	for i, it := range items {
		m := th.mark()
		var buf []Value
		if name == "map-indexed" {
			buf = th.alloc(2)
			buf[0], buf[1] = int64(i), it
		} else {
			buf = th.alloc(1)
			buf[0] = it
		}
		th.renderApply(fn, buf, false, w, mode, p)
		th.release(m)
	}
}

// renderApply calls fn and renders the result; lambdas and components
// render their bodies directly.
func (th *Thread) renderApply(fn Value, args []Value, hasKw bool, w *Writer, mode renderMode, p *Pos) {
	switch x := fn.(type) {
	case *Lambda:
		th.renderLambda(x, x.displayName(), args, hasKw, w, mode, p)
		return
	case *Component:
		if mode == modeWire && th.componentPure(x) && !anyFunction(args) {
			th.wireComponentCall(w, x, args, p)
			return
		}
		th.renderLambda(x.fn, x.Name, args, hasKw, w, mode, p)
		return
	}
	th.emit(w, th.apply(fn, args, hasKw, p), mode, p)
}

func (th *Thread) renderLambda(lam *Lambda, name string, args []Value, hasKw bool, w *Writer, mode renderMode, p *Pos) {
	pr := lam.proto
	h := pr.render(mode)
	f := th.pushFrame(name, p)
	m := th.mark()
	th.step()
	th.enterRender(f, lam, args, hasKw, p)
	h(f, w)
	th.renderPending(f, m, w, mode)
	th.release(m)
	th.popFrame()
}

// enterRender binds a frame for rendering lam's body. Render frames have no
// self: a self tail call inside them must not rebind in place, because no
// evaluation trampoline is running to restart the body.
func (th *Thread) enterRender(f *frame, lam *Lambda, args []Value, hasKw bool, p *Pos) {
	th.enter(f, lam, args, hasKw, p)
	f.self = nil
}

// pendingRender is a call in tail position of a body being rendered: it is
// rendered after that body returns, in the same frame, so that recursion
// through markup runs in constant Go stack like evaluation does.
type pendingRender struct {
	fn   Value // *Lambda or *Component
	args []Value
	pos  *Pos
}

// renderPending renders the tail calls left by the body that just ran in f.
func (th *Thread) renderPending(f *frame, m stackMark, w *Writer, mode renderMode) {
	for th.pend.fn != nil {
		pt := th.pend
		th.pend = pendingRender{}
		th.release(m)
		var lam *Lambda
		name := ""
		switch x := pt.fn.(type) {
		case *Lambda:
			lam, name = x, x.displayName()
		case *Component:
			if mode == modeWire && th.componentPure(x) && !anyFunction(pt.args) {
				th.wireComponentCall(w, x, pt.args, pt.pos)
				continue
			}
			lam, name = x.fn, x.Name
		}
		top := &th.calls[len(th.calls)-1]
		top.name, top.pos = name, pt.pos
		th.step()
		th.enterRender(f, lam, pt.args, true, pt.pos)
		lam.proto.render(mode)(f, w)
	}
}

// genCompCall renders a ~component call written in source. In tail
// position of a body being rendered (inBody), the call is left pending for
// the enclosing render loop.
func genCompCall(n *compNode, mode renderMode, inBody bool) hcode {
	kwVals := genNodes(n.kwVals)
	children := genNodes(n.children)
	var wireChildren []hcode
	if mode == modeWire {
		wireChildren = genWireNodes(n.children)
	}
	kwNames, c, p, name := n.kwNames, n.cell, n.p, n.name
	tail := n.tail && inBody
	return func(f *frame, w *Writer) {
		th := f.th
		cv := c.Value
		comp, ok := cv.(*Component)
		if !ok {
			th.renderOtherCallee(f, w, cv, n, mode)
			return
		}
		// vals holds the keyword values when the wire path had to evaluate
		// them first: a pure component is sent as a call unless a function
		// is among its arguments, which only the server can run.
		var vals []Value
		if mode == modeWire && th.componentPure(comp) {
			vals = make([]Value, len(kwVals))
			for i, kv := range kwVals {
				vals[i] = kv(f)
			}
			if !anyFunction(vals) {
				th.wireCompNode(f, w, comp, kwNames, vals, wireChildren, p)
				return
			}
		}
		if tail {
			th.pend = pendingRender{comp, th.compArgs(f, n, vals), p}
			return
		}
		pr := comp.fn.proto
		h := pr.render(mode)
		fr := th.pushFrame(name, p)
		m := th.mark()
		th.step()
		locals := th.alloc(pr.scope.nslots)
		clear(locals)
		for i, k := range kwNames {
			if idx := pr.keyIndex(k); idx >= 0 {
				if vals != nil {
					locals[pr.slots[idx]] = vals[i]
				} else {
					locals[pr.slots[idx]] = kwVals[i](f)
				}
			}
		}
		if pr.hasRest {
			items := make([]Value, len(children))
			for i, ch := range children {
				items[i] = ch(f)
			}
			for i, prm := range pr.params {
				if prm.Rest {
					locals[pr.slots[i]] = &List{Items: items}
				}
			}
		}
		fr.locals = locals
		fr.free = comp.fn.free
		fr.self = nil
		if pr.anyDefault {
			th.applyDefaults(pr, fr)
		}
		if pr.box {
			pr.boxCaptured(locals)
		}
		h(fr, w)
		th.renderPending(fr, m, w, mode)
		th.release(m)
		th.popFrame()
	}
}

// renderOtherCallee handles a ~name bound to something other than a
// component (a macro defined late, a lambda) or not bound at all.
func (th *Thread) renderOtherCallee(f *frame, w *Writer, cv Value, n *compNode, mode renderMode) {
	if cv == unbound {
		panic(th.errorAt(n.p, "Undefined symbol: "+n.name))
	}
	if m, ok := cv.(*Macro); ok {
		th.renderLate(n.late, m, n.src, f, w, mode)
		return
	}
	args := th.compArgs(f, n, nil)
	th.renderApply(cv, args, true, w, mode, n.p)
}

// compArgs evaluates a component call's arguments into keyword form;
// kwVals, when not nil, are the keyword values already evaluated. The
// slice comes from the thread's block for pending calls (one allocation
// per many rows of a table rendered through a tail call), and the
// keywords are boxed once per call site.
func (th *Thread) compArgs(f *frame, n *compNode, kwVals []Value) []Value {
	n.argsOnce.Do(func() {
		n.kwCode, n.childCode = genNodes(n.kwVals), genNodes(n.children)
		n.kwArgs = make([]Value, len(n.kwNames))
		for i, k := range n.kwNames {
			n.kwArgs[i] = KeywordArg{Name: k, str: k}
		}
	})
	args := th.pendArgs.Values(2*len(n.kwNames) + len(n.childCode))
	j := 0
	for i := range n.kwNames {
		args[j] = n.kwArgs[i]
		if kwVals != nil {
			args[j+1] = kwVals[i]
		} else {
			args[j+1] = n.kwCode[i](f)
		}
		j += 2
	}
	for _, ch := range n.childCode {
		args[j] = ch(f)
		j++
	}
	return args
}

// callComponentEval calls a component as a function: its rendering, as HTML.
func (th *Thread) callComponentEval(c *Component, args []Value, p *Pos) Value {
	defer th.recordWire(false)()
	w := th.writer()
	th.renderLambda(c.fn, c.Name, args, false, w, modeHTML, p)
	return HTML(th.doneWriter(w))
}

// RenderCall calls fn with args and renders the result to HTML; lambdas and
// components render their bodies directly. KeywordArg values in args mark
// keyword arguments.
func (th *Thread) RenderCall(fn Value, args ...Value) (s string, err error) {
	return th.renderCallMode(fn, args, modeHTML)
}

// RenderWireCall is RenderCall for the wire format.
func (th *Thread) RenderWireCall(fn Value, args ...Value) (s string, err error) {
	return th.renderCallMode(fn, args, modeWire)
}

// RenderCallOutput is RenderCall leaving the page in the writer's chunks
// (Output), for a caller that writes it somewhere instead of keeping it.
func (th *Thread) RenderCallOutput(fn Value, args ...Value) (o *Output, err error) {
	err = th.renderCallTo(fn, args, modeHTML, func(w *Writer) { o = &Output{w: w} })
	return o, err
}

func (th *Thread) renderCallMode(fn Value, args []Value, mode renderMode) (s string, err error) {
	err = th.renderCallTo(fn, args, mode, func(w *Writer) { s = th.doneWriter(w) })
	return s, err
}

// renderCallTo renders a call and hands the writer holding the result to
// done.
func (th *Thread) renderCallTo(fn Value, args []Value, mode renderMode, done func(*Writer)) (err error) {
	defer th.recordWire(mode == modeWire)()
	return th.protect(func() {
		w := th.writer()
		m := th.mark()
		buf := th.alloc(len(args))
		copy(buf, args)
		if def, ok := fn.(*Definition); ok && def.Fn != nil {
			fn = def.Fn
		}
		th.renderApply(fn, buf, hasKeywordArgs(buf), w, mode, th.curPos)
		th.release(m)
		done(w)
	})
}
