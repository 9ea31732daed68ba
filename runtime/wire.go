package runtime

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The wire format (§13): control flow and I/O run on the server, tags and
// pure components are sent as SX source for the browser to render, and
// components that reach I/O are expanded here.

// sep writes the space that separates items of a list being emitted.
func sep(w *Writer) {
	if c := w.last(); c != 0 && c != '(' && c != ' ' {
		w.str(" ")
	}
}

func genWireNodes(ns []node) []hcode {
	hs := make([]hcode, len(ns))
	for i, n := range ns {
		hs[i] = genWire(n)
	}
	return hs
}

func genWire(n node) hcode {
	switch n := n.(type) {
	case *ifNode:
		test, then, els := genNode(n.test), genWire(n.then), genWire(n.els)
		return func(f *frame, w *Writer) {
			if Truthy(test(f)) {
				then(f, w)
			} else {
				els(f, w)
			}
		}
	case *seqNode:
		hs := genWireNodes(n.items)
		return func(f *frame, w *Writer) {
			for _, h := range hs {
				h(f, w)
			}
		}
	case *letNode:
		init := genLetInit(n)
		body := genWire(n.body)
		return func(f *frame, w *Writer) {
			init(f)
			body(f, w)
		}
	case *callNode:
		return genRenderCall(n, modeWire)
	case *elemNode:
		return withAlt(n, genWireElement(n), modeWire)
	case *fragNode:
		hs := genWireNodes(n.children)
		return func(f *frame, w *Writer) {
			sep(w)
			w.str("(<>")
			for _, h := range hs {
				h(f, w)
			}
			w.str(")")
		}
	case *rawNode:
		args := genNodes(n.args)
		return func(f *frame, w *Writer) {
			var raw Writer
			for _, a := range args {
				writeRaw(&raw, a(f))
			}
			sep(w)
			writeRawWire(w, raw.String())
		}
	case *compNode:
		return genCompCall(n, modeWire, true)
	case *defineNode, *defcompNode, *defmacroNode, *defFormNode:
		c := genNode(n)
		return func(f *frame, w *Writer) { c(f) }
	}
	c, p := valueCode(n), n.pos()
	return func(f *frame, w *Writer) { f.th.wireValue(w, c(f), p) }
}

func genWireElement(n *elemNode) hcode {
	names := make([]string, len(n.attrs))
	vals := make([]code, len(n.attrs))
	poss := make([]*Pos, len(n.attrs)) // of the values, for errors
	for i, a := range n.attrs {
		names[i] = a.name
		vals[i] = genNode(a.value)
		if poss[i] = a.value.pos(); poss[i] == nil {
			poss[i] = n.p
		}
	}
	children := genWireNodes(n.children)
	tag := n.tag
	return func(f *frame, w *Writer) {
		sep(w)
		w.str("(" + tag)
		for i, name := range names {
			v := vals[i](f)
			if v == nil || v == false {
				continue
			}
			w.str(" :" + name + " ")
			f.th.wireAttr(w, name, v, poss[i])
		}
		for _, c := range children {
			c(f, w)
		}
		w.str(")")
	}
}

func writeQuoted(w *Writer, s string) {
	var b strings.Builder
	WriteString(&b, s)
	w.str(b.String())
}

// writeRawWire writes markup the client inserts as it is: (raw! #|…|), a
// raw string, when the markup allows one (no "|", valid UTF-8, no control
// characters but newline, tab and return), so that HTML sent whole — a
// post's body, a fragment from another service — travels without a
// backslash before every quote; (raw! "…") otherwise.
func writeRawWire(w *Writer, html string) {
	if rawStringable(html) {
		w.str("(raw! #|")
		w.str(html)
		w.str("|)")
		return
	}
	w.str("(raw! ")
	writeQuoted(w, html)
	w.str(")")
}

func rawStringable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '|' || c == 0x7f || (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
			return false
		}
	}
	return utf8.ValidString(s)
}

// wireAttr writes an attribute value: what the client renders is what the
// HTML renderer would. URL attributes are checked here as in HTML; a
// trusted (raw!) value is sent as raw! so the client trusts it too.
func (th *Thread) wireAttr(w *Writer, name string, v Value, p *Pos) {
	switch x := v.(type) {
	case bool:
		w.str("true")
	case int64, float64, *Decimal:
		w.str(Print(x))
	case *Dict:
		th.wireData(w, x, p, 0)
	case HTML:
		th.wireData(w, x, p, 0)
	default:
		text := th.attrText(v, p)
		if isURLAttr(name) {
			text = safeURLAttr(name, text)
		}
		writeQuoted(w, text)
	}
}

// wireValue writes an evaluated value as wire content in child position:
// nil writes nothing and lists are spliced. p is where the value was
// computed, for errors.
func (th *Thread) wireValue(w *Writer, v Value, p *Pos) { th.wireChild(w, v, p, 0) }

func (th *Thread) wireChild(w *Writer, v Value, p *Pos, depth int) {
	if depth > MaxValueDepth {
		panic(th.errorAt(p, "value nested too deeply to render"))
	}
	switch x := v.(type) {
	case nil:
	case *List:
		for _, it := range x.Items {
			th.wireChild(w, it, p, depth+1)
		}
	case *Lambda, *Primitive, *Macro, *Component, *Definition:
		panic(th.errorAt(p, "cannot render "+TypeOf(v)))
	default:
		sep(w)
		th.wireData(w, v, p, depth)
	}
}

// wireMarkup returns the HTML of src, wire output of markup evaluated as a
// value, and notes src as that HTML's wire form. The HTML is rendered from
// src, not from the markup's code again, so nothing in it (queries,
// fragments, set!) runs twice; src holds only elements, pure components
// and data, which render the same here as in the browser.
func (th *Thread) wireMarkup(src string) Value {
	forms, err := Read("wire", src)
	if err != nil {
		panic(th.errorAt(th.curPos, "internal: wire output does not read: "+err.Error()))
	}
	var b strings.Builder
	for _, form := range forms {
		b.WriteString(th.renderForm(form, th.curPos, modeHTML).(string))
	}
	html := b.String()
	if th.wireAlts == nil {
		th.wireAlts = map[string]string{}
	}
	th.wireAlts[html] = src
	return HTML(html)
}

// wireData writes v as an SX expression that evaluates to v on the client
// (the wire forms are listed in docs/language.md). Functions have no wire
// form: sending one is an error, never a silent nil.
func (th *Thread) wireData(w *Writer, v Value, p *Pos, depth int) {
	if depth > MaxValueDepth {
		panic(th.errorAt(p, "value nested too deeply to send"))
	}
	switch x := v.(type) {
	case nil:
		w.str("nil")
	case bool, int64, float64, *Decimal:
		w.str(Print(x))
	case string:
		writeQuoted(w, x)
	case KeywordArg:
		writeQuoted(w, x.Name) // what a primitive would receive
	case Keyword:
		if !IsKeywordName(x.Name) {
			panic(th.errorAt(p, "cannot send keyword "+strconv.Quote(x.Name)+": not a valid keyword name"))
		}
		w.str("(quote :" + x.Name + ")")
	case *Symbol:
		if !IsSymbolName(x.Name) {
			panic(th.errorAt(p, "cannot send symbol "+strconv.Quote(x.Name)+": not a valid symbol name"))
		}
		w.str("(quote " + x.Name + ")")
	case HTML:
		if src, ok := th.wireAlts[string(x)]; ok {
			// Markup made in this render: its SX, which the browser
			// evaluates to the same HTML.
			w.str(src)
			return
		}
		writeRawWire(w, string(x))
	case time.Time:
		w.str("#datetime ")
		writeQuoted(w, x.Format(time.RFC3339Nano))
	case *List:
		w.str("(list")
		for _, it := range x.Items {
			w.str(" ")
			th.wireData(w, it, p, depth+1)
		}
		w.str(")")
	case *Dict:
		w.str("{")
		for i, k := range x.Keys() {
			if i > 0 {
				w.str(" ")
			}
			var b strings.Builder
			WriteKey(&b, k)
			w.str(b.String() + " ")
			val, _ := x.Get(k)
			th.wireData(w, val, p, depth+1)
		}
		w.str("}")
	default:
		panic(th.errorAt(p, "cannot send "+TypeOf(v)+" to the client: only data has a wire form"))
	}
}

// holdsFunction reports whether v is or contains (in lists and dicts) a
// function, which cannot be sent: a pure component given one is expanded
// on the server instead.
func holdsFunction(v Value, depth int) bool {
	if depth > MaxValueDepth {
		return false // wireData reports the depth
	}
	switch x := v.(type) {
	case *Lambda, *Primitive, *Macro, *Component, *Definition:
		return true
	case *List:
		for _, it := range x.Items {
			if holdsFunction(it, depth+1) {
				return true
			}
		}
	case *Dict:
		for _, k := range x.Keys() {
			if holdsFunction(x.val(k), depth+1) {
				return true
			}
		}
	}
	return false
}

// anyFunction reports whether any of vals holds a function.
func anyFunction(vals []Value) bool {
	for _, v := range vals {
		if holdsFunction(v, 0) {
			return true
		}
	}
	return false
}

// wireCompNode emits a pure component call written in source, with its
// keyword values already evaluated.
func (th *Thread) wireCompNode(f *frame, w *Writer, c *Component, kwNames []string, vals []Value, children []hcode, p *Pos) {
	sep(w)
	w.str("(" + c.Name)
	for i, k := range kwNames {
		if vals[i] == nil {
			continue
		}
		w.str(" :" + k + " ")
		th.wireArg(w, c, k, vals[i], p)
	}
	for _, c := range children {
		c(f, w)
	}
	w.str(")")
}

// wireComponentCall emits a pure component called with evaluated args.
func (th *Thread) wireComponentCall(w *Writer, c *Component, args []Value, p *Pos) {
	sep(w)
	w.str("(" + c.Name)
	for i := 0; i < len(args); i++ {
		if k, ok := args[i].(KeywordArg); ok && i+1 < len(args) {
			w.str(" :" + k.Name + " ")
			th.wireArg(w, c, k.Name, args[i+1], p)
			i++
			continue
		}
		th.wireValue(w, args[i], p)
	}
	w.str(")")
}

// componentPure reports whether c's body can reach no I/O primitive,
// directly or through other components and functions.
func (th *Thread) componentPure(c *Component) bool {
	switch c.pure.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	pure := !reachesIO(c.fn.proto, map[*proto]bool{})
	if pure {
		c.pure.Store(1)
	} else {
		c.pure.Store(2)
	}
	return pure
}

func reachesIO(pr *proto, seen map[*proto]bool) bool {
	if seen[pr] {
		return false
	}
	seen[pr] = true
	found := false
	walkIR(pr.body, func(n node) {
		if found {
			return
		}
		var cell *Cell
		switch x := n.(type) {
		case *globalNode:
			cell = x.cell
		case *compNode:
			cell = x.cell
		case *lambdaNode:
			found = reachesIO(x.proto, seen)
			return
		default:
			return
		}
		switch v := cell.Value.(type) {
		case *Primitive:
			found = v.IO
		case *Component:
			found = reachesIO(v.fn.proto, seen)
		case *Lambda:
			found = reachesIO(v.proto, seen)
		case *Definition:
			found = v.Kind == "query" || v.Kind == "action" || v.Kind == "handler"
		}
	})
	return found
}

// walkIR calls visit on n and every node below it (not into lambda bodies;
// visit sees the lambdaNode and may descend itself).
func walkIR(n node, visit func(node)) {
	if n == nil {
		return
	}
	visit(n)
	each := func(ns []node) {
		for _, c := range ns {
			walkIR(c, visit)
		}
	}
	switch x := n.(type) {
	case *setNode:
		walkIR(x.value, visit)
	case *defineNode:
		walkIR(x.value, visit)
	case *ifNode:
		walkIR(x.test, visit)
		walkIR(x.then, visit)
		walkIR(x.els, visit)
	case *andNode:
		each(x.items)
	case *orNode:
		each(x.items)
	case *seqNode:
		each(x.items)
	case *letNode:
		each(x.inits)
		walkIR(x.body, visit)
	case *callNode:
		walkIR(x.fn, visit)
		each(x.args)
	case *dictNode:
		each(x.vals)
	case *qqNode:
		for _, p := range x.parts {
			walkIR(p.n, visit)
		}
	case *elemNode:
		for _, a := range x.attrs {
			walkIR(a.value, visit)
		}
		each(x.children)
	case *fragNode:
		each(x.children)
	case *rawNode:
		each(x.args)
	case *compNode:
		each(x.kwVals)
		each(x.children)
	}
}
