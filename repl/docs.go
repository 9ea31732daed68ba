package repl

// (doc name): signatures and docstrings of special forms, primitives and
// everything defined in the session.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rose-ash/sxhost/runtime"
)

// docMacro makes (doc name) quote its argument; the work is done by the
// primitive repl/doc, which documents a symbol, a name given as a string,
// or any value.
const docMacro = `(defmacro doc (name)
  "Shows the signature and docstring of NAME (not evaluated): a special form, primitive, function, macro, component or definition."
  (list (quote repl/doc) (list (quote quote) name)))`

// docPrimitive returns repl/doc, which writes the documentation to the
// thread's output and returns nil.
func (s *Session) docPrimitive() *runtime.Primitive {
	return &runtime.Primitive{
		Name: "repl/doc", Params: "(name)", MinArgs: 1, MaxArgs: 1,
		Doc: "Writes the documentation of name (a symbol, a string, or a value) to the output; (doc name) quotes name for you.",
		Fn: func(th *runtime.Thread, args []runtime.Value) runtime.Value {
			var text string
			switch x := args[0].(type) {
			case *runtime.Symbol:
				text = s.describeName(th, x.Name)
			case string:
				text = s.describeName(th, x)
			case runtime.Keyword:
				text = s.describeName(th, x.Name)
			default:
				text = s.describeValue("", x)
				if text == "" {
					th.Fail("doc expects a name, got %s", runtime.TypeOf(x))
				}
			}
			fmt.Fprint(th.Out, text)
			return nil
		},
	}
}

// describeName documents every meaning of name, or fails with suggestions.
func (s *Session) describeName(th *runtime.Thread, name string) string {
	var parts []string
	if d, ok := runtime.SpecialFormDocs[name]; ok {
		sig, text, found := strings.Cut(d, " — ")
		if !found {
			sig, text = "("+name+" ...)", d
		}
		parts = append(parts, s.docBlock(sig, "special form", text))
	} else if runtime.IsSpecialForm(name) {
		parts = append(parts, s.docBlock("("+name+" ...)", "special form", ""))
	}
	global, bound := s.env.Lookup(name)
	if bound {
		if t := s.describeValue(name, global); t != "" {
			parts = append(parts, t)
		}
	}
	// Pages, routes and services are registered but not bound; queries,
	// actions and handlers are both (the global is the definition, or a
	// primitive calling it).
	shown := map[*runtime.Definition]bool{}
	if d, ok := global.(*runtime.Definition); ok && bound {
		shown[d] = true
	}
	if p, ok := global.(*runtime.Primitive); ok && bound {
		shown[s.proxies[p].def] = true
	}
	for _, d := range s.env.Definitions("") {
		if d.Name == name && !shown[d] {
			parts = append(parts, s.describeDefinition(d))
		}
	}
	if len(parts) == 0 {
		msg := "doc: " + name + " is not defined"
		if sug := s.suggest(name); len(sug) > 0 {
			msg += "; did you mean " + strings.Join(sug, ", ") + "?"
		}
		th.Fail("%s", msg)
	}
	return strings.Join(parts, "\n")
}

// describeValue documents a value bound to name ("" when not known).
func (s *Session) describeValue(name string, v runtime.Value) string {
	switch x := v.(type) {
	case *runtime.Primitive:
		if c, ok := s.proxies[x]; ok {
			return s.describeDefinition(c.def)
		}
		return s.docBlock(primSignature(x), "primitive", x.Doc)
	case *runtime.Lambda:
		n := x.Name()
		if n == "" {
			n = name
		}
		if n == "" {
			n = "lambda"
		}
		kind := "function"
		if name != "" && x.Name() != "" && x.Name() != name {
			kind = "function " + x.Name()
		}
		return s.docBlock(signature(n, x.Params()), kind, x.Doc())
	case *runtime.Macro:
		return s.docBlock(signature(x.Name, x.Params()), "macro", x.Doc())
	case *runtime.Component:
		kind := "component"
		if l, ok := x.Source().(*runtime.List); ok && l.Pos.IsValid() {
			kind += ", defined at " + l.Pos.String()
		}
		return s.docBlock(signature(x.Name, x.Params()), kind, x.Doc())
	case *runtime.Definition:
		return s.describeDefinition(x)
	}
	if name == "" {
		return ""
	}
	p := s.printer()
	p.Width -= 2
	p.MaxItems, p.MaxDepth, p.MaxNodes = 10, 3, 50
	return name + "\n  global " + runtime.TypeOf(v) + "\n  " +
		strings.ReplaceAll(p.Format(v), "\n", "\n  ") + "\n"
}

func (s *Session) describeDefinition(d *runtime.Definition) string {
	kind := d.Kind
	if d.Pos.IsValid() {
		kind += ", defined at " + d.Pos.String()
	}
	sig := signature(d.Name, d.Params)
	if d.Kind == "page" || d.Kind == "service" {
		sig = d.Name
	}
	var b strings.Builder
	b.WriteString(s.docBlock(sig, kind, d.Doc))
	for _, o := range d.Options {
		if o.Key == "content" {
			continue // a page's body, too long to show
		}
		fmt.Fprintf(&b, "  :%s %s\n", o.Key, runtime.Print(o.Value))
	}
	if len(d.Params) > 0 {
		b.WriteString(paramTable(d.Params, "  "))
	}
	return b.String()
}

// docBlock lays out one entry: the signature, then the kind and the
// docstring indented under it.
func (s *Session) docBlock(sig, kind, text string) string {
	var b strings.Builder
	b.WriteString(sig)
	b.WriteString("\n  ")
	b.WriteString(kind)
	b.WriteString("\n")
	if text != "" {
		for _, line := range wrapText(text, s.printer().Width-2) {
			b.WriteString("  ")
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// primSignature turns a primitive's Params "(s sep)" into "(name s sep)".
func primSignature(p *runtime.Primitive) string {
	ps := strings.TrimSpace(p.Params)
	ps = strings.TrimSuffix(strings.TrimPrefix(ps, "("), ")")
	if ps == "" {
		return "(" + p.Name + ")"
	}
	return "(" + p.Name + " " + ps + ")"
}

// signature writes a call form from declared parameters:
// (name a b &key (user-id :int) (n :int 10) &rest children).
func signature(name string, ps []runtime.Param) string {
	if pl := paramList(ps); pl != "" {
		return "(" + name + " " + pl + ")"
	}
	return "(" + name + ")"
}

func paramList(ps []runtime.Param) string {
	var parts []string
	inKey := false
	for _, p := range ps {
		switch {
		case p.Rest:
			parts = append(parts, "&rest")
			inKey = false
		case p.Key && !inKey:
			parts = append(parts, "&key")
			inKey = true
		}
		parts = append(parts, paramSpec(p))
	}
	return strings.Join(parts, " ")
}

func paramSpec(p runtime.Param) string {
	if p.Type == "" && !p.HasDefault {
		return p.Name
	}
	s := "(" + p.Name
	if p.Type != "" {
		s += " :" + p.Type
	}
	if p.HasDefault {
		if p.Type == "" {
			s += " :any"
		}
		s += " " + runtime.Print(p.Default)
	}
	return s + ")"
}

// paramTable lists parameters one a line: name, type, required or default.
func paramTable(ps []runtime.Param, indent string) string {
	w := 0
	for _, p := range ps {
		w = max(w, len(p.Name))
	}
	tw := 0
	for _, p := range ps {
		tw = max(tw, len(paramType(p)))
	}
	var b strings.Builder
	for _, p := range ps {
		req := "required"
		switch {
		case p.Rest:
			req = "rest"
		case p.HasDefault:
			req = "default " + runtime.Print(p.Default)
		}
		fmt.Fprintf(&b, "%s%-*s  %-*s  %s\n", indent, w, p.Name, tw, paramType(p), req)
	}
	return b.String()
}

func paramType(p runtime.Param) string {
	if p.Type == "" {
		return "any"
	}
	return p.Type
}

// wrapText breaks text into lines of at most width columns at spaces.
func wrapText(text string, width int) []string {
	if width < 20 {
		width = 20
	}
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > width {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		out = append(out, line)
	}
	return out
}

// suggest returns up to five bound names close to name: sharing a prefix
// or a substring, or within two edits.
func (s *Session) suggest(name string) []string {
	type cand struct {
		name  string
		score int
	}
	var cs []cand
	for _, n := range s.names() {
		score := -1
		switch {
		case strings.HasPrefix(n, name) || strings.HasPrefix(name, n) && len(n) > 2:
			score = 0
		case len(name) > 2 && strings.Contains(n, name):
			score = 1
		default:
			if d := editDistance(n, name); d <= 2 && d < len(name) {
				score = 1 + d
			}
		}
		if score >= 0 {
			cs = append(cs, cand{n, score})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].score != cs[j].score {
			return cs[i].score < cs[j].score
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < 5; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
