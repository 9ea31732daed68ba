package runtime

import (
	"strings"
)

// analyzer resolves one top-level form into IR.
type analyzer struct {
	th    *Thread
	env   *Env
	cur   *Pos // position of the innermost list being analyzed
	depth int  // nesting of analyze calls, bounded like the reader's
	// defining holds global names whose function definition is being
	// compiled, so that recursion inside it is a call even for tag names.
	defining map[string]bool
}

// maxAnalyzeDepth bounds form nesting (including what macros expand to),
// so that runaway expansion is an error, not a Go stack overflow.
const maxAnalyzeDepth = 5000

func (a *analyzer) fail(p *Pos, format string, args ...any) {
	e := a.th.Errorf(format, args...)
	if p != nil {
		e.Pos = *p
	}
	panic(e)
}

func listPos(l *List) *Pos {
	if l.Pos.IsValid() {
		return &l.Pos
	}
	return nil
}

// analyze resolves form in scope sc (nil at top level). tail says whether
// the form is in tail position of the enclosing function.
func (a *analyzer) analyze(form Value, sc *scope, tail bool) node {
	a.depth++
	defer func() { a.depth-- }()
	if a.depth > maxAnalyzeDepth {
		a.fail(a.cur, "form nested too deeply (or a macro expands without end)")
	}
	switch f := form.(type) {
	case *Symbol:
		return a.symbol(f, sc, nil)
	case Keyword:
		return &constNode{v: f.Name}
	case *List:
		if len(f.Items) == 0 {
			return &constNode{v: &List{}}
		}
		return a.list(f, sc, tail)
	case *Dict:
		d := &dictNode{}
		for _, k := range f.Keys() {
			d.keys = append(d.keys, k)
			d.vals = append(d.vals, a.analyze(f.val(k), sc, false))
		}
		return d
	}
	return &constNode{v: form}
}

func (a *analyzer) symbol(s *Symbol, sc *scope, p *Pos) node {
	if p == nil {
		p = a.cur
	}
	switch s.Name {
	case "true":
		return &constNode{v: true}
	case "false":
		return &constNode{v: false}
	case "nil":
		return &constNode{v: nil}
	}
	if sc != nil {
		if v := sc.lookup(s.Name); v != nil {
			if v.fn != sc.fn {
				v.captured = true
				sc.fn.freeIndex(v)
			}
			return &varNode{basePos{p}, v, sc.fn}
		}
	}
	return &globalNode{basePos{p}, a.env.cell(s.Name)}
}

// startsWithKeyword reports whether a form's first argument is a keyword:
// (filter :id "blur" …) is the SVG element, (filter pred xs) the function.
func startsWithKeyword(l *List) bool {
	if len(l.Items) < 2 {
		return false
	}
	_, ok := l.Items[1].(Keyword)
	return ok
}

// definesFunction reports whether a global name is, or is being, defined
// as something callable: such a global shadows an element of the same name
// for the code compiled after it.
func (a *analyzer) definesFunction(name string) bool {
	if a.defining[name] {
		return true
	}
	c := a.env.cell(name)
	switch c.Value.(type) {
	case *Lambda, *Primitive, *Definition, *Component:
		return true
	}
	return false
}

// isLocal reports whether name is bound by an enclosing scope.
func isLocal(sc *scope, name string) bool { return sc != nil && sc.lookup(name) != nil }

func (a *analyzer) list(l *List, sc *scope, tail bool) node {
	if p := listPos(l); p != nil {
		saved := a.cur
		a.cur = p
		defer func() { a.cur = saved }()
	}
	head, ok := l.Items[0].(*Symbol)
	if !ok {
		return a.call(l, sc, tail)
	}
	// Tag names win over variables in head position (§12), so a component
	// can take a parameter called title and still write (title title). The
	// few names that are both a tag and a higher-order form stay forms.
	if tag, ok := lookupTag(head.Name); ok && (!tagIsAlsoForm(head.Name) || startsWithKeyword(l)) {
		if isLocal(sc, head.Name) {
			// Decided at run time: a function in the variable is called,
			// any other value leaves the tag meaning.
			e := a.element(tag, l, sc).(*elemNode)
			e.alt = a.call(l, sc, tail).(*callNode)
			return e
		}
		if tagIsAlsoForm(head.Name) || !a.definesFunction(head.Name) {
			return a.element(tag, l, sc)
		}
	} else if isLocal(sc, head.Name) {
		return a.call(l, sc, tail)
	}
	if sf, ok := specialForms[head.Name]; ok {
		return sf(a, l, sc, tail)
	}
	cell := a.env.cell(head.Name)
	if m, ok := cell.Value.(*Macro); ok {
		return a.analyze(a.expand(m, l), sc, tail)
	}
	if strings.HasPrefix(head.Name, "~") {
		return a.component(head.Name, cell, l, sc, tail)
	}
	return a.call(l, sc, tail)
}

// expand runs a macro on the unevaluated arguments of l.
func (a *analyzer) expand(m *Macro, l *List) Value {
	out := a.th.callMacro(m, l)
	if ol, ok := out.(*List); ok && !ol.Pos.IsValid() {
		// Expanded code reports the position of the macro call.
		ol.Pos = l.Pos
	}
	return out
}

func (a *analyzer) call(l *List, sc *scope, tail bool) node {
	c := &callNode{basePos: basePos{listPos(l)}, tail: tail, src: l, late: &lateSite{sc: sc}}
	c.fn = a.analyze(l.Items[0], sc, false)
	if g, ok := c.fn.(*globalNode); ok && g.p == nil {
		g.p = c.p
	}
	for _, arg := range l.Items[1:] {
		if kw, ok := arg.(Keyword); ok {
			c.hasKw = true
			c.args = append(c.args, &constNode{v: KeywordArg{Name: kw.Name, str: kw.Name}})
			continue
		}
		c.args = append(c.args, a.analyze(arg, sc, false))
	}
	return c
}

func (a *analyzer) component(name string, cell *Cell, l *List, sc *scope, tail bool) node {
	c := &compNode{basePos: basePos{listPos(l)}, src: l, cell: cell, name: name, tail: tail, late: &lateSite{sc: sc}}
	items := l.Items[1:]
	for i := 0; i < len(items); i++ {
		if kw, ok := items[i].(Keyword); ok && i+1 < len(items) {
			if !IsKeywordName(kw.Name) {
				a.fail(listPos(l), "invalid keyword argument name %s", Print(kw.Name))
			}
			c.kwNames = append(c.kwNames, kw.Name)
			c.kwVals = append(c.kwVals, a.analyze(items[i+1], sc, false))
			i++
			continue
		}
		c.children = append(c.children, a.analyze(items[i], sc, false))
	}
	return c
}

func (a *analyzer) element(tag *tagInfo, l *List, sc *scope) node {
	e := &elemNode{basePos: basePos{listPos(l)}, tag: tag.name, void: tag.void}
	items := l.Items[1:]
	for i := 0; i < len(items); i++ {
		if kw, ok := items[i].(Keyword); ok && i+1 < len(items) {
			if !IsAttrName(kw.Name) {
				a.fail(listPos(l), "invalid attribute name %s", Print(kw.Name))
			}
			e.attrs = append(e.attrs, attrNode{kw.Name, a.analyze(items[i+1], sc, false)})
			i++
			continue
		}
		e.children = append(e.children, a.analyze(items[i], sc, false))
	}
	return e
}

// body analyzes a sequence of forms; internal defines bind locals visible to
// the forms after them.
func (a *analyzer) body(forms []Value, sc *scope, tail bool, p *Pos) *seqNode {
	s := &seqNode{basePos: basePos{p}}
	if !sc.top {
		// Bind internal defines up front so that functions defined in the
		// same body can call each other.
		for _, f := range forms {
			if name := defineName(f); name != "" && !isLocal(sc, "define") {
				if v := sc.lookup(name); v == nil || v.fn != sc.fn {
					sc.bind(name).early = true
				}
			}
		}
	}
	for i, f := range forms {
		s.items = append(s.items, a.analyze(f, sc, tail && i == len(forms)-1))
	}
	return s
}

// parseParams reads a parameter list: plain names, &key names, &rest name,
// and (name type? default?) or (name :as type) specs.
func (a *analyzer) parseParams(v Value, p *Pos) []Param {
	l, ok := v.(*List)
	if !ok {
		if v == nil {
			return nil
		}
		a.fail(p, "parameter list must be a list, got %s", TypeOf(v))
	}
	var ps []Param
	key, rest := false, false
	for _, it := range l.Items {
		var prm Param
		switch x := it.(type) {
		case *Symbol:
			switch x.Name {
			case "&key":
				key = true
				continue
			case "&rest", "&body":
				rest = true
				continue
			}
			prm.Name = x.Name
		case string:
			prm.Name = x
		case *List:
			if len(x.Items) == 0 {
				a.fail(p, "empty parameter spec")
			}
			name, ok := x.Items[0].(*Symbol)
			if !ok {
				a.fail(p, "parameter name must be a symbol")
			}
			prm.Name = name.Name
			spec := x.Items[1:]
			if len(spec) >= 2 {
				if kw, ok := spec[0].(Keyword); ok && kw.Name == "as" {
					spec = spec[1:]
				}
			}
			if len(spec) > 0 {
				switch t := spec[0].(type) {
				case Keyword:
					prm.Type = t.Name
				case *Symbol:
					prm.Type = t.Name
				default:
					a.fail(p, "parameter %s: type must be a keyword", prm.Name)
				}
			}
			if len(spec) > 1 {
				prm.Default, prm.HasDefault = spec[1], true
			}
			if len(spec) > 2 {
				a.fail(p, "parameter %s: too many parts in spec", prm.Name)
			}
		default:
			a.fail(p, "invalid parameter %s", Print(it))
		}
		if rest {
			prm.Rest = true
			ps = append(ps, prm)
			rest = false
			key = false
			continue
		}
		prm.Key = key
		ps = append(ps, prm)
	}
	if rest {
		a.fail(p, "&rest needs a name")
	}
	return ps
}

// function builds a proto for params and body inside scope sc.
func (a *analyzer) function(name string, params []Param, body []Value, sc *scope, p *Pos) *proto {
	pr := &proto{name: name, params: params}
	if p != nil {
		pr.pos = *p
	}
	if len(body) > 1 {
		if doc, ok := body[0].(string); ok {
			pr.doc = doc
			body = body[1:]
		}
	}
	fs := &fnScope{}
	if sc != nil {
		fs.parent = sc.fn
	}
	inner := &scope{fn: fs, parent: sc}
	seen := map[string]bool{}
	for _, prm := range params {
		if seen[prm.Name] {
			a.fail(p, "duplicate parameter %s", prm.Name)
		}
		seen[prm.Name] = true
		v := inner.bind(prm.Name)
		pr.slots = append(pr.slots, v.slot)
		switch {
		case prm.Rest:
			pr.hasRest = true
		case prm.Key:
			pr.hasKey = true
		default:
			pr.npos++
		}
	}
	// Defaults may refer to earlier parameters.
	pr.defaults = make([]node, len(params))
	for i, prm := range params {
		if prm.HasDefault {
			pr.defaults[i] = a.analyze(prm.Default, inner, false)
		}
	}
	pr.scope = fs
	pr.body = a.body(body, inner, true, p)
	return pr
}

// defineName returns the name a (define name ...) or (define (name ...) ...)
// form binds, or "".
func defineName(f Value) string {
	l, ok := f.(*List)
	if !ok || len(l.Items) < 2 {
		return ""
	}
	if h, ok := l.Items[0].(*Symbol); !ok || h.Name != "define" {
		return ""
	}
	switch t := l.Items[1].(type) {
	case *Symbol:
		return t.Name
	case *List:
		if len(t.Items) > 0 {
			if s, ok := t.Items[0].(*Symbol); ok {
				return s.Name
			}
		}
	}
	return ""
}
