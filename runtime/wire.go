package runtime

import (
	"strings"
	"time"
)

// The wire format (§13): control flow and I/O run on the server, tags and
// pure components are sent as SX source for the browser to render, and
// components that reach I/O are expanded here.

// sep writes the space that separates items of a list being emitted.
func sep(w *Writer) {
	if n := len(w.b); n > 0 && w.b[n-1] != '(' && w.b[n-1] != ' ' {
		w.b = append(w.b, ' ')
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
			w.str("(raw! ")
			writeQuoted(w, string(raw.b))
			w.str(")")
		}
	case *compNode:
		return genCompCall(n, modeWire, true)
	case *defineNode, *defcompNode, *defmacroNode, *defFormNode:
		c := genNode(n)
		return func(f *frame, w *Writer) { c(f) }
	}
	c := valueCode(n)
	return func(f *frame, w *Writer) { f.th.wireValue(w, c(f), true) }
}

func genWireElement(n *elemNode) hcode {
	names := make([]string, len(n.attrs))
	vals := make([]code, len(n.attrs))
	for i, a := range n.attrs {
		names[i] = a.name
		vals[i] = genNode(a.value)
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
			wireAttr(w, v)
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

func wireAttr(w *Writer, v Value) {
	switch x := v.(type) {
	case bool:
		w.str("true")
	case int64, float64, *Decimal:
		w.str(Print(x))
	case *Dict:
		wireData(w, x)
	default:
		writeQuoted(w, attrString(v))
	}
}

// wireValue writes an evaluated value as wire content. In child position
// nil writes nothing and lists are spliced.
func (th *Thread) wireValue(w *Writer, v Value, child bool) { th.wireValueAt(w, v, child, 0) }

func (th *Thread) wireValueAt(w *Writer, v Value, child bool, depth int) {
	if depth > MaxValueDepth {
		panic(th.Errorf("value nested too deeply to render"))
	}
	switch x := v.(type) {
	case nil:
		if !child {
			sep(w)
			w.str("nil")
		}
	case *List:
		if child {
			for _, it := range x.Items {
				th.wireValueAt(w, it, true, depth+1)
			}
			return
		}
		sep(w)
		wireData(w, x)
	case *Lambda, *Primitive, *Macro, *Component, *Definition:
		panic(th.Errorf("cannot render %s", TypeOf(v)))
	default:
		sep(w)
		wireData(w, v)
	}
}

// wireData writes v as an SX expression that evaluates to v.
func wireData(w *Writer, v Value) { wireDataAt(w, v, 0) }

func wireDataAt(w *Writer, v Value, depth int) {
	if depth > MaxValueDepth {
		w.str("nil") // elided: too deep to send
		return
	}
	switch x := v.(type) {
	case nil:
		w.str("nil")
	case bool, int64, float64, *Decimal:
		w.str(Print(x))
	case string:
		writeQuoted(w, x)
	case Keyword:
		writeQuoted(w, x.Name)
	case *Symbol:
		w.str("(quote " + x.Name + ")")
	case HTML:
		w.str("(raw! ")
		writeQuoted(w, string(x))
		w.str(")")
	case time.Time:
		writeQuoted(w, x.Format(time.RFC3339Nano))
	case *List:
		w.str("(list")
		for _, it := range x.Items {
			w.str(" ")
			wireDataAt(w, it, depth+1)
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
			wireDataAt(w, val, depth+1)
		}
		w.str("}")
	default:
		w.str("nil")
	}
}

// wireCompNode emits a pure component call written in source.
func (th *Thread) wireCompNode(f *frame, w *Writer, name string, kwNames []string, kwVals []code, children []hcode) {
	sep(w)
	w.str("(" + name)
	for i, k := range kwNames {
		v := kwVals[i](f)
		if v == nil {
			continue
		}
		w.str(" :" + k + " ")
		wireData(w, v)
	}
	for _, c := range children {
		c(f, w)
	}
	w.str(")")
}

// wireComponentCall emits a pure component called with evaluated args.
func (th *Thread) wireComponentCall(w *Writer, name string, args []Value) {
	sep(w)
	w.str("(" + name)
	for i := 0; i < len(args); i++ {
		if k, ok := args[i].(KeywordArg); ok && i+1 < len(args) {
			w.str(" :" + k.Name + " ")
			wireData(w, args[i+1])
			i++
			continue
		}
		th.wireValue(w, args[i], true)
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
