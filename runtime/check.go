package runtime

// Finding is a problem found by Check without running the code.
type Finding struct {
	Pos Pos
	Msg string
	// Call is set for (query|action|frag "service" "name" …) calls written
	// with literal names, so a host can check them against what it serves.
	Call *CallRef
}

// CallRef names another service's query, action or fragment.
type CallRef struct {
	Kind, Service, Name string
}

func (f Finding) String() string { return f.Pos.String() + ": " + f.Msg }

// Check walks the compiled code of every function, component, macro and
// definition bound in the environment, plus extra values, and reports
// undefined symbols, unknown components and calls with the wrong number of
// arguments. Calls to other services are reported as Findings with Call set
// and an empty Msg, for the host to resolve.
func (e *Env) Check(extra ...Value) []Finding {
	var out []Finding
	seen := map[*proto]bool{}
	var walkProto func(pr *proto)
	walkProto = func(pr *proto) {
		if pr == nil || seen[pr] {
			return
		}
		seen[pr] = true
		for _, d := range pr.defaults {
			if d != nil {
				walkIR(d, func(n node) { out = checkNode(n, out, walkProto) })
			}
		}
		walkIR(pr.body, func(n node) { out = checkNode(n, out, walkProto) })
	}
	values := append([]Value(nil), extra...)
	e.loadAllLazy()
	e.mu.RLock()
	out = append(out, e.clashes...)
	for _, c := range e.globals {
		if c.Value != unbound {
			values = append(values, c.Value)
		}
	}
	for _, d := range e.defs {
		values = append(values, d)
	}
	e.mu.RUnlock()
	for _, v := range values {
		switch x := v.(type) {
		case *Lambda:
			walkProto(x.proto)
		case *Component:
			walkProto(x.fn.proto)
		case *Macro:
			walkProto(x.fn.proto)
		case *Definition:
			if x.Fn != nil {
				walkProto(x.Fn.proto)
			}
		}
	}
	return out
}

func posOf(n node) Pos {
	if p := n.pos(); p != nil {
		return *p
	}
	return Pos{}
}

func checkNode(n node, out []Finding, walkProto func(*proto)) []Finding {
	switch x := n.(type) {
	case *lambdaNode:
		walkProto(x.proto)
	case *defcompNode:
		walkProto(x.proto)
	case *defFormNode:
		walkProto(x.proto)
	case *globalNode:
		if x.cell.Value == unbound {
			out = append(out, Finding{Pos: posOf(x), Msg: "Undefined symbol: " + x.cell.Name})
		}
	case *compNode:
		if x.cell.Value == unbound {
			out = append(out, Finding{Pos: posOf(x), Msg: "unknown component " + x.name})
		}
	case *callNode:
		g, ok := x.fn.(*globalNode)
		if !ok || g.cell.Value == unbound {
			break
		}
		nargs := len(x.args)
		switch f := g.cell.Value.(type) {
		case *Primitive:
			// Keyword arguments reach primitives as name strings, so the
			// count is the same.
			if nargs < f.MinArgs || (f.MaxArgs >= 0 && nargs > f.MaxArgs) {
				out = append(out, Finding{Pos: posOf(x), Msg: arityMessage(f.Name, f.MinArgs, f.MaxArgs, nargs)})
			}
			if f.Name == "query" || f.Name == "action" || f.Name == "frag" {
				if ref := literalCall(f.Name, x.args); ref != nil {
					out = append(out, Finding{Pos: posOf(x), Call: ref})
				}
			}
		case *Lambda:
			pr := f.proto
			if pr.direct && !x.hasKw && nargs != pr.npos {
				out = append(out, Finding{Pos: posOf(x), Msg: arityMessage(pr.displayName(), pr.npos, pr.npos, nargs)})
			}
		}
	}
	return out
}

// literalCall returns the service call a (query "svc" "name" …) makes when
// both names are written as literals.
func literalCall(kind string, args []node) *CallRef {
	if len(args) < 2 {
		return nil
	}
	svc, ok1 := args[0].(*constNode)
	name, ok2 := args[1].(*constNode)
	if !ok1 || !ok2 {
		return nil
	}
	s, ok1 := svc.v.(string)
	nm, ok2 := name.v.(string)
	if !ok1 || !ok2 {
		return nil
	}
	return &CallRef{Kind: kind, Service: s, Name: nm}
}
