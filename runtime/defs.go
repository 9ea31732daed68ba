package runtime

import "fmt"

// Platform definition forms (defquery, defaction, defhandler, defpage,
// defroute, defservice, defactivity, defjob) evaluate into Definitions: plain data a host reads
// from the environment's registry.

// Option is one keyword option of a definition, as written (unevaluated).
type Option struct {
	Key   string
	Value Value
}

// Definition is a platform definition read from source.
type Definition struct {
	// Kind is the form without "def": "query", "action", "handler", "page",
	// "route", "service", "activity" or "job".
	Kind    string
	Name    string
	Params  []Param
	Doc     string
	Options []Option
	// Body is the body as written; for pages it is empty (see :content).
	Body []Value
	Pos  Pos
	// Fn runs the body with the parameters bound, for queries, actions,
	// handlers and routes; nil for pages and services.
	Fn *Lambda
	// Wrap, when set, runs the calls of a query, action or handler made
	// by its name, as a function: it gets the call's arguments and a
	// function that runs Fn with them. Hosts set it to cache a query's
	// results (defquery :cache).
	Wrap func(th *Thread, args []Value, call func() Value) Value
}

// Option returns the source form of the option key.
func (d *Definition) Option(key string) (Value, bool) {
	for _, o := range d.Options {
		if o.Key == key {
			return o.Value, true
		}
	}
	return nil, false
}

// OptionString returns an option that is a literal string or keyword.
func (d *Definition) OptionString(key string) string {
	v, _ := d.Option(key)
	switch x := v.(type) {
	case string:
		return x
	case Keyword:
		return x.Name
	case *Symbol:
		return x.Name
	}
	return ""
}

// Definitions returns the registered definitions of a kind ("" for all), in
// the order they were first defined.
func (e *Env) Definitions(kind string) []*Definition {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []*Definition
	for _, d := range e.defs {
		if kind == "" || d.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

// Definition returns the definition of kind and name.
func (e *Env) Definition(kind, name string) *Definition {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if i, ok := e.defIdx[kind+"/"+name]; ok {
		return e.defs[i]
	}
	return nil
}

// noteClash records a global name bound twice by different forms.
func (e *Env) noteClash(p *Pos, format string, args ...any) {
	f := Finding{Msg: fmt.Sprintf(format, args...)}
	if p != nil {
		f.Pos = *p
	}
	e.mu.Lock()
	e.clashes = append(e.clashes, f)
	e.mu.Unlock()
}

func (e *Env) register(d *Definition) {
	e.mu.Lock()
	key := d.Kind + "/" + d.Name
	if i, ok := e.defIdx[key]; ok {
		e.defs[i] = d
	} else {
		e.defIdx[key] = len(e.defs)
		e.defs = append(e.defs, d)
	}
	hook := e.OnDefine
	e.mu.Unlock()
	if hook != nil {
		hook(d)
	}
}

// analyzeDefForm reads (defX name :opt v ... (params) "doc" body...).
func analyzeDefForm(a *analyzer, l *List, sc *scope, tail bool) node {
	a.arity(l, 1, -1)
	p := listPos(l)
	kind := l.Items[0].(*Symbol).Name[3:]
	name, ok := l.Items[1].(*Symbol)
	if !ok {
		a.fail(p, "def%s needs a symbol name, got %s", kind, TypeOf(l.Items[1]))
	}
	d := &Definition{Kind: kind, Name: name.Name, Pos: l.Pos}
	rest := l.Items[2:]
	for len(rest) >= 2 {
		kw, ok := rest[0].(Keyword)
		if !ok {
			break
		}
		d.Options = append(d.Options, Option{kw.Name, rest[1]})
		rest = rest[2:]
	}
	hasParams := false
	if len(rest) > 0 {
		if pl, ok := rest[0].(*List); ok && looksLikeParams(pl, len(rest) == 1) {
			d.Params = a.parseParams(pl, p)
			hasParams = true
			rest = rest[1:]
		}
	}
	if len(rest) > 1 || (len(rest) == 1 && (kind == "page" || kind == "service")) {
		if doc, ok := rest[0].(string); ok {
			d.Doc = doc
			rest = rest[1:]
		}
	}
	if len(rest) > 0 && (kind == "page" || kind == "service") {
		a.fail(p, "def%s takes only keyword options", kind)
	}
	if len(rest) > 0 && !hasParams && kind != "page" && kind != "service" {
		// A body without a parameter list takes no parameters.
		hasParams = true
	}
	d.Body = rest
	n := &defFormNode{basePos: basePos{p}, def: d}
	if kind != "page" && kind != "service" {
		pr := a.function(name.Name, d.Params, rest, sc, p)
		pr.src = l
		n.proto = pr
	}
	if kind == "query" || kind == "action" || kind == "handler" {
		// Queries, actions and handlers can be called like functions.
		n.cell = a.env.cell(name.Name)
	}
	return n
}

// looksLikeParams reports whether a list is a parameter list rather than
// the first body form: its items are names and (name :type default) specs,
// and either a body follows or it is plainly a parameter list (empty, or
// starting with &key or &rest).
func looksLikeParams(l *List, last bool) bool {
	for _, it := range l.Items {
		switch x := it.(type) {
		case *Symbol, string:
		case *List:
			if len(x.Items) == 0 {
				return false
			}
			if _, ok := x.Items[0].(*Symbol); !ok {
				return false
			}
			if len(x.Items) > 1 {
				if _, ok := x.Items[1].(Keyword); !ok {
					return false
				}
			}
		default:
			return false
		}
	}
	if !last || len(l.Items) == 0 {
		return true
	}
	s, ok := l.Items[0].(*Symbol)
	return ok && (s.Name == "&key" || s.Name == "&rest")
}

func genDefForm(n *defFormNode) code {
	var mk code
	if n.proto != nil {
		mk = genLambda(n.proto)
	}
	d, c := n.def, n.cell
	return func(f *frame) Value {
		def := *d
		if mk != nil {
			def.Fn = mk(f).(*Lambda)
		}
		f.th.Env.register(&def)
		if c != nil {
			if old, ok := c.Value.(*Definition); !ok && c.Value != unbound && c.Value != nil {
				f.th.Env.noteClash(n.pos(), "def%s %s replaces the global %s defined before it", d.Kind, d.Name, d.Name)
			} else if ok && (old.Kind != d.Kind) {
				f.th.Env.noteClash(n.pos(), "def%s %s replaces def%s %s (they share one global name)", d.Kind, d.Name, old.Kind, d.Name)
			}
			c.Value = &def
		}
		return nil
	}
}
