package runtime

import (
	"strings"
)

type specialForm func(a *analyzer, l *List, sc *scope, tail bool) node

// specialForms maps each special form to its analyzer. Filled in init to
// break the initialization cycle through analyze.
var specialForms map[string]specialForm

// SpecialFormDocs documents every special form for (doc name) and the REPL.
var SpecialFormDocs = map[string]string{
	"if":             "(if test then else?) — then when test is truthy, else otherwise (nil when absent).",
	"when":           "(when test body...) — the body's last value when test is truthy, else nil.",
	"cond":           "(cond t1 e1 ... :else e) or (cond (t1 e1...) ... (else e)) — the first truthy test's expression.",
	"case":           "(case x v1 e1 ... :else e) — compares x with each v by =.",
	"and":            "(and e...) — the first falsy value, else the last value; (and) is true.",
	"or":             "(or e...) — the first truthy value, else the last value; (or) is nil.",
	"let":            "(let ((n v)...) body...) or (let (n v ...) body...) or named (let loop ((n v)...) body...).",
	"let*":           "(let* ((n v)...) body...) — the same as let, which is already sequential.",
	"letrec":         "(letrec ((n v)...) body...) — bindings that may refer to each other.",
	"do":             "(do e...) — evaluates in order, returns the last value.",
	"begin":          "(begin e...) — the same as do.",
	"fn":             "(fn (params...) body...) — a closure. Params: names, &key names, &rest name, (name :type default).",
	"lambda":         "(lambda (params...) body...) — the same as fn.",
	"define":         "(define name value) or (define (name params...) body...) — binds a global at top level, a local in a body.",
	"set!":           "(set! name value) — assigns an existing binding; closures see the change.",
	"quote":          "(quote x) or 'x — x unevaluated.",
	"quasiquote":     "(quasiquote x) or `x — a template with (unquote e) ,e and (splice-unquote e) ,@e.",
	"->":             "(-> x (f a) g) — threads x as the first argument through each step.",
	"defmacro":       "(defmacro name (params...) body...) — a macro, expanded at compile time.",
	"defcomp":        "(defcomp ~name (&key a b &rest children) body...) — a component.",
	"defquery":       "(defquery name (&key params...) \"doc\" body...) — a read-only query other services can call.",
	"defaction":      "(defaction name (&key params...) \"doc\" body...) — a write, run in one transaction.",
	"defhandler":     "(defhandler name :option v... (&key params...) body...) — a fragment handler.",
	"defpage":        "(defpage name :path \"/...\" :auth :public :content expr) — a page.",
	"defroute":       "(defroute name :path \"/...\" :method :post (&key params...) body...) — a non-page route.",
	"defactivity":    "(defactivity type (&key payload-fields...) \"doc\" body...) — handles activities of a type emitted by this service, in the activity's transaction.",
	"defjob":         "(defjob name :every seconds () \"doc\" body...) — periodic work of the service, run by its processor in a transaction, one instance at a time; with :transaction false, without one (each action it calls commits on its own) and runs may overlap.",
	"defservice":     "(defservice name :title \"...\" :port n) — declares the service a file belongs to.",
	"defstyle":       "(defstyle name value) — binds a style value (usually a class string).",
	"<>":             "(<> children...) — a fragment: children rendered with no wrapper.",
	"raw!":           "(raw! s...) — inserts s unescaped.",
	"unquote":        "(unquote e) — only inside quasiquote.",
	"splice-unquote": "(splice-unquote e) — only inside quasiquote.",
}

func init() {
	specialForms = map[string]specialForm{
		"if": analyzeIf, "when": analyzeWhen, "cond": analyzeCond, "case": analyzeCase,
		"and": analyzeAnd, "or": analyzeOr,
		"let": analyzeLet, "let*": analyzeLet, "letrec": analyzeLetrec,
		"do": analyzeDo, "begin": analyzeDo,
		"fn": analyzeFn, "lambda": analyzeFn,
		"define": analyzeDefine, "set!": analyzeSet,
		"quote": analyzeQuote, "quasiquote": analyzeQuasi, "->": analyzeThread,
		"defmacro": analyzeDefmacro, "defcomp": analyzeDefcomp,
		"defquery": analyzeDefForm, "defaction": analyzeDefForm, "defhandler": analyzeDefForm,
		"defpage": analyzeDefForm, "defroute": analyzeDefForm, "defservice": analyzeDefForm,
		"defactivity": analyzeDefForm, "defjob": analyzeDefForm,
		"defstyle": analyzeDefstyle,
		"<>":       analyzeFragment, "raw!": analyzeRaw,
		"unquote": analyzeStrayUnquote, "splice-unquote": analyzeStrayUnquote,
	}
}

// IsSpecialForm reports whether name is a special form.
func IsSpecialForm(name string) bool { _, ok := specialForms[name]; return ok }

func (a *analyzer) arity(l *List, min, max int) {
	n := len(l.Items) - 1
	if n >= min && (max < 0 || n <= max) {
		return
	}
	name := l.Items[0].(*Symbol).Name
	a.fail(listPos(l), "%s", arityMessage(name, min, max, n))
}

func analyzeIf(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 2, 3)
	n := &ifNode{basePos: basePos{listPos(l)}}
	n.test = a.analyze(l.Items[1], sc, false)
	n.then = a.analyze(l.Items[2], sc, tail)
	if len(l.Items) == 4 {
		n.els = a.analyze(l.Items[3], sc, tail)
	} else {
		n.els = &constNode{}
	}
	return n
}

func analyzeWhen(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, -1)
	return &ifNode{basePos{listPos(l)}, a.analyze(l.Items[1], sc, false),
		a.body(l.Items[2:], sc, tail, listPos(l)), &constNode{}}
}

func isElse(v Value) bool {
	switch x := v.(type) {
	case Keyword:
		return x.Name == "else"
	case *Symbol:
		return x.Name == "else" || x.Name == ":else"
	}
	return false
}

// schemeCond decides between (cond (t e) ...) and (cond t e ...).
func schemeCond(clauses []Value) bool {
	if len(clauses) == 0 {
		return false
	}
	for _, c := range clauses {
		if l, ok := c.(*List); !ok || len(l.Items) == 0 {
			return false
		}
	}
	if len(clauses)%2 == 1 {
		return true
	}
	first := clauses[0].(*List)
	if len(first.Items) != 2 {
		return false
	}
	if h, ok := first.Items[0].(*Symbol); ok && strings.HasSuffix(h.Name, "?") {
		return false
	}
	return true
}

func analyzeCond(a *analyzer, l *List, sc *scope, tail bool) node {
	p := listPos(l)
	clauses := l.Items[1:]
	var tests []Value
	var bodies [][]Value
	if schemeCond(clauses) {
		for _, c := range clauses {
			cl := c.(*List)
			tests = append(tests, cl.Items[0])
			bodies = append(bodies, cl.Items[1:])
		}
	} else {
		if len(clauses)%2 != 0 {
			a.fail(p, "cond needs pairs of test and expression")
		}
		for i := 0; i < len(clauses); i += 2 {
			tests = append(tests, clauses[i])
			bodies = append(bodies, clauses[i+1:i+2])
		}
	}
	var out node = &constNode{}
	for i := len(tests) - 1; i >= 0; i-- {
		body := a.body(bodies[i], sc, tail, p)
		if isElse(tests[i]) {
			out = body
			continue
		}
		test := a.analyze(tests[i], sc, false)
		if len(bodies[i]) == 0 {
			// (cond (x)) yields the test's value.
			out = &orNode{basePos{p}, []node{test, out}}
			continue
		}
		out = &ifNode{basePos{p}, test, body, out}
	}
	return out
}

func analyzeCase(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, -1)
	p := listPos(l)
	clauses := l.Items[2:]
	if len(clauses)%2 != 0 {
		a.fail(p, "case needs pairs of value and expression")
	}
	// The subject is evaluated once into a hidden local.
	inner := a.blockScope(sc)
	v := inner.bind(" case")
	subject := &varNode{basePos{p}, v, inner.fn}
	var out node = &constNode{}
	for i := len(clauses) - 2; i >= 0; i -= 2 {
		body := a.analyze(clauses[i+1], inner, tail)
		if isElse(clauses[i]) {
			out = body
			continue
		}
		eq := &callNode{basePos: basePos{p}, fn: &constNode{v: equalPrim},
			args: []node{subject, a.analyze(clauses[i], inner, false)}}
		out = &ifNode{basePos{p}, eq, body, out}
	}
	return &letNode{basePos{p}, []*varNode{subject}, []node{a.analyze(l.Items[1], sc, false)},
		&seqNode{basePos{p}, []node{out}}}
}

// blockScope opens a scope for new locals in the current function.
func (a *analyzer) blockScope(sc *scope) *scope {
	return &scope{fn: sc.fn, parent: sc}
}

func analyzeAnd(a *analyzer, l *List, sc *scope, tail bool) node {
	n := &andNode{basePos: basePos{listPos(l)}}
	for i, it := range l.Items[1:] {
		n.items = append(n.items, a.analyze(it, sc, tail && i == len(l.Items)-2))
	}
	return n
}

func analyzeOr(a *analyzer, l *List, sc *scope, tail bool) node {
	n := &orNode{basePos: basePos{listPos(l)}}
	for i, it := range l.Items[1:] {
		n.items = append(n.items, a.analyze(it, sc, tail && i == len(l.Items)-2))
	}
	return n
}

func analyzeDo(a *analyzer, l *List, sc *scope, tail bool) node {
	return a.body(l.Items[1:], sc, tail, listPos(l))
}

// letBindings accepts ((n v) ...) and (n v n v ...).
func (a *analyzer) letBindings(v Value, p *Pos) (names []string, inits []Value) {
	bl, ok := v.(*List)
	if !ok {
		a.fail(p, "let bindings must be a list")
	}
	if len(bl.Items) > 0 {
		if _, isList := bl.Items[0].(*List); isList {
			for _, b := range bl.Items {
				pair, ok := b.(*List)
				if !ok || len(pair.Items) < 1 || len(pair.Items) > 2 {
					a.fail(p, "let binding must be (name value)")
				}
				s, ok := pair.Items[0].(*Symbol)
				if !ok {
					a.fail(p, "let binding name must be a symbol")
				}
				names = append(names, s.Name)
				if len(pair.Items) == 2 {
					inits = append(inits, pair.Items[1])
				} else {
					inits = append(inits, nil)
				}
			}
			return
		}
	}
	if len(bl.Items)%2 != 0 {
		a.fail(p, "let bindings need pairs of name and value")
	}
	for i := 0; i < len(bl.Items); i += 2 {
		s, ok := bl.Items[i].(*Symbol)
		if !ok {
			a.fail(p, "let binding name must be a symbol")
		}
		names = append(names, s.Name)
		inits = append(inits, bl.Items[i+1])
	}
	return
}

func analyzeLet(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, -1)
	p := listPos(l)
	if name, ok := l.Items[1].(*Symbol); ok {
		return a.namedLet(name.Name, l, sc, tail)
	}
	names, inits := a.letBindings(l.Items[1], p)
	inner := a.blockScope(sc)
	n := &letNode{basePos: basePos{p}}
	for i, name := range names {
		// Each init sees the bindings before it (let is sequential).
		n.inits = append(n.inits, a.analyze(inits[i], inner, false))
		v := inner.bind(name)
		n.vars = append(n.vars, &varNode{basePos{p}, v, inner.fn})
	}
	n.body = a.body(l.Items[2:], inner, tail, p)
	return n
}

// namedLet compiles (let loop ((n v)...) body) as a local recursive function
// called with the initial values.
func (a *analyzer) namedLet(name string, l *List, sc *scope, tail bool) node {
	p := listPos(l)
	a.arity(l, 2, -1)
	names, inits := a.letBindings(l.Items[2], p)
	outer := a.blockScope(sc)
	loopVar := outer.bind(name)
	params := make([]Param, len(names))
	for i, nm := range names {
		params[i] = Param{Name: nm}
	}
	pr := a.function(name, params, l.Items[3:], outer, p)
	call := &callNode{basePos: basePos{p}, fn: &varNode{basePos{p}, loopVar, outer.fn}, tail: tail}
	for _, in := range inits {
		call.args = append(call.args, a.analyze(in, sc, false))
	}
	// Initial values are evaluated outside the loop's scope, but the frame
	// slot for the loop function lives in outer.
	lv := &varNode{basePos{p}, loopVar, outer.fn}
	return &letNode{basePos{p}, []*varNode{lv}, []node{&lambdaNode{basePos{p}, pr}},
		&seqNode{basePos{p}, []node{call}}}
}

func analyzeLetrec(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, -1)
	p := listPos(l)
	names, inits := a.letBindings(l.Items[1], p)
	inner := a.blockScope(sc)
	n := &letNode{basePos: basePos{p}}
	for _, name := range names {
		v := inner.bind(name)
		n.vars = append(n.vars, &varNode{basePos{p}, v, inner.fn})
	}
	for _, in := range inits {
		n.inits = append(n.inits, a.analyze(in, inner, false))
	}
	n.body = a.body(l.Items[2:], inner, tail, p)
	return n
}

func analyzeFn(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, -1)
	p := listPos(l)
	params := a.parseParams(l.Items[1], p)
	pr := a.function("", params, l.Items[2:], sc, p)
	pr.src = l
	return &lambdaNode{basePos{p}, pr}
}

func analyzeDefine(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, -1)
	p := listPos(l)
	var name string
	var valueForm Value
	switch target := l.Items[1].(type) {
	case *Symbol:
		name = target.Name
		if len(l.Items) > 3 {
			a.fail(p, "define expects 2 arguments, got %d", len(l.Items)-1)
		}
		if len(l.Items) == 3 {
			valueForm = l.Items[2]
		}
	case *List:
		// (define (f x) body...) shorthand.
		if len(target.Items) == 0 {
			a.fail(p, "define needs a name")
		}
		s, ok := target.Items[0].(*Symbol)
		if !ok {
			a.fail(p, "define needs a symbol name")
		}
		name = s.Name
		valueForm = &List{Items: append([]Value{Intern("fn"), &List{Items: target.Items[1:]}}, l.Items[2:]...), Pos: l.Pos}
	default:
		a.fail(p, "define needs a symbol name, got %s", TypeOf(l.Items[1]))
	}
	d := &defineNode{basePos: basePos{p}}
	if sc.top {
		d.cell = a.env.cell(name)
		if vl, ok := valueForm.(*List); ok && len(vl.Items) > 0 {
			if h, ok := vl.Items[0].(*Symbol); ok && (h.Name == "fn" || h.Name == "lambda") {
				if a.defining == nil {
					a.defining = map[string]bool{}
				}
				a.defining[name] = true
			}
		}
	} else {
		v := sc.lookup(name)
		if v == nil || v.fn != sc.fn {
			v = sc.bind(name)
			v.early = true
		}
		d.local = &varNode{basePos{p}, v, sc.fn}
	}
	if valueForm == nil {
		d.value = &constNode{}
	} else {
		d.value = a.analyze(valueForm, sc, false)
	}
	if ln, ok := d.value.(*lambdaNode); ok && ln.proto.name == "" {
		ln.proto.name = name
	}
	return d
}

func analyzeSet(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 2, 2)
	p := listPos(l)
	s, ok := l.Items[1].(*Symbol)
	if !ok {
		a.fail(p, "set! needs a symbol, got %s", TypeOf(l.Items[1]))
	}
	target := a.symbol(s, sc, p)
	return &setNode{basePos{p}, target, a.analyze(l.Items[2], sc, false)}
}

func analyzeQuote(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, 1)
	return &constNode{v: l.Items[1]}
}

func analyzeStrayUnquote(a *analyzer, l *List, sc *scope, tail bool) node {
	a.fail(listPos(l), "%s outside quasiquote", l.Items[0].(*Symbol).Name)
	return nil
}

func analyzeQuasi(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, 1)
	return a.quasi(l.Items[1], sc, 1, listPos(l))
}

// quasi builds the template v at nesting depth: unquote and splice-unquote
// lower the depth by one, a nested quasiquote raises it, and only at depth
// 1 are their operands evaluated.
func (a *analyzer) quasi(v Value, sc *scope, depth int, p *Pos) node {
	switch x := v.(type) {
	case *List:
		if len(x.Items) == 2 {
			if h, ok := x.Items[0].(*Symbol); ok {
				switch h.Name {
				case "unquote":
					if depth == 1 {
						return a.analyze(x.Items[1], sc, false)
					}
					return a.quasiWrap(h, a.quasi(x.Items[1], sc, depth-1, p), p)
				case "splice-unquote":
					if depth == 1 {
						a.fail(p, "splice-unquote outside a list")
					}
					return a.quasiWrap(h, a.quasi(x.Items[1], sc, depth-1, p), p)
				case "quasiquote":
					return a.quasiWrap(h, a.quasi(x.Items[1], sc, depth+1, p), p)
				}
			}
		}
		q := &qqNode{basePos: basePos{p}}
		constant := true
		for _, it := range x.Items {
			if il, ok := it.(*List); ok && len(il.Items) == 2 && depth == 1 {
				if h, ok := il.Items[0].(*Symbol); ok && h.Name == "splice-unquote" {
					q.parts = append(q.parts, qqPart{a.analyze(il.Items[1], sc, false), true})
					constant = false
					continue
				}
			}
			part := a.quasi(it, sc, depth, p)
			if _, ok := part.(*constNode); !ok {
				constant = false
			}
			q.parts = append(q.parts, qqPart{part, false})
		}
		if constant {
			// Every part is known now; an unquoted constant (,1 or ,'x)
			// contributes its value, not its unquote form.
			items := make([]Value, len(q.parts))
			for i, part := range q.parts {
				items[i] = part.n.(*constNode).v
			}
			return &constNode{v: &List{Items: items, Pos: x.Pos}}
		}
		return q
	case *Dict:
		q := &qqNode{basePos: basePos{p}, isDict: true}
		for _, k := range x.Keys() {
			q.keys = append(q.keys, k)
			q.parts = append(q.parts, qqPart{a.quasi(x.val(k), sc, depth, p), false})
		}
		return q
	}
	return &constNode{v: v}
}

func (a *analyzer) quasiWrap(head *Symbol, inner node, p *Pos) node {
	return &qqNode{basePos: basePos{p}, parts: []qqPart{{&constNode{v: head}, false}, {inner, false}}}
}

// analyzeThread rewrites (-> x (f a) g) into (g (f x a)).
func analyzeThread(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, -1)
	acc := l.Items[1]
	for _, step := range l.Items[2:] {
		if sl, ok := step.(*List); ok && len(sl.Items) > 0 {
			items := make([]Value, 0, len(sl.Items)+1)
			items = append(items, sl.Items[0], acc)
			items = append(items, sl.Items[1:]...)
			acc = &List{Items: items, Pos: sl.Pos}
		} else {
			acc = &List{Items: []Value{step, acc}, Pos: l.Pos}
		}
	}
	return a.analyze(acc, sc, tail)
}

func analyzeDefmacro(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 2, -1)
	p := listPos(l)
	name, ok := l.Items[1].(*Symbol)
	if !ok {
		a.fail(p, "defmacro needs a symbol name")
	}
	pr := a.function(name.Name, a.parseParams(l.Items[2], p), l.Items[3:], nil, p)
	pr.isMacro = true
	return &defmacroNode{basePos{p}, a.env.cell(name.Name), pr}
}

func analyzeDefcomp(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 2, -1)
	p := listPos(l)
	name, ok := l.Items[1].(*Symbol)
	if !ok || !strings.HasPrefix(name.Name, "~") {
		a.fail(p, "defcomp needs a name starting with ~")
	}
	params := a.parseParams(l.Items[2], p)
	for i := range params {
		// Every named parameter of a component is a keyword parameter.
		if !params[i].Rest {
			params[i].Key = true
		}
	}
	pr := a.function(name.Name, params, l.Items[3:], sc, p)
	pr.component = true
	pr.src = l
	return &defcompNode{basePos{p}, a.env.cell(name.Name), pr}
}

func analyzeDefstyle(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 2, 2)
	p := listPos(l)
	name, ok := l.Items[1].(*Symbol)
	if !ok {
		a.fail(p, "defstyle needs a symbol name")
	}
	return &defineNode{basePos: basePos{p}, cell: a.env.cell(name.Name), value: a.analyze(l.Items[2], sc, false)}
}

func analyzeFragment(a *analyzer, l *List, sc *scope, tail bool) node {
	f := &fragNode{basePos: basePos{listPos(l)}}
	for _, it := range l.Items[1:] {
		f.children = append(f.children, a.analyze(it, sc, false))
	}
	return f
}

func analyzeRaw(a *analyzer, l *List, sc *scope, tail bool) node {
	r := &rawNode{basePos: basePos{listPos(l)}}
	for _, it := range l.Items[1:] {
		r.args = append(r.args, a.analyze(it, sc, false))
	}
	return r
}
