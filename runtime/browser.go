package runtime

import (
	"slices"
	"sort"
	"strings"
)

// BrowserDefinitions returns the SX source of what a browser needs to
// render env's pure components itself: every pure component, and the
// global functions and constants they refer to, as definitions sx.js
// evaluates. ok is false when some pure component refers to something that
// cannot travel (a macro, whose source the runtime does not keep, a
// closure, or a primitive for which browserPrim is false); then the
// caller renders on the server instead. refs maps each definition in src
// to the global names (definitions and primitives) and the tags its source
// refers to, so that a caller can tell what a call to it may reach or
// render.
func BrowserDefinitions(env *Env, browserPrim func(name string) bool) (src string, refs map[string][]string, ok bool) {
	th := env.NewThread(nil)
	defs := map[string]string{}
	refs = map[string][]string{}
	ok = true
	var visit func(name string, v Value)
	seen := map[string]bool{}
	var walk func(owner string, v Value, inSVG bool)
	walk = func(owner string, v Value, inSVG bool) {
		switch x := v.(type) {
		case *Symbol:
			if IsSpecialForm(x.Name) {
				return
			}
			// Tags are recorded, not followed: a tag name that is also a
			// global (map, filter) is not visited as one. An SVG's title
			// is not the page's, and is left out.
			tag := IsTag(x.Name)
			g, bound := env.Lookup(x.Name)
			if !bound && !tag || tag && inSVG && x.Name == "title" {
				return
			}
			if !slices.Contains(refs[owner], x.Name) {
				refs[owner] = append(refs[owner], x.Name)
			}
			if !tag && !seen[x.Name] {
				seen[x.Name] = true
				visit(x.Name, g)
			}
		case *List:
			if len(x.Items) > 0 {
				if head, isSym := x.Items[0].(*Symbol); isSym && head.Name == "svg" {
					inSVG = true
				}
			}
			for _, it := range x.Items {
				walk(owner, it, inSVG)
			}
		case *Dict:
			for _, k := range x.Keys() {
				val, _ := x.Get(k)
				walk(owner, val, inSVG)
			}
		}
	}
	visit = func(name string, v Value) {
		switch x := v.(type) {
		case *Component:
			if !th.componentPure(x) {
				return // expanded on the server
			}
			defs[name] = Print(x.Source())
			walk(name, x.Source(), false)
		case *Lambda:
			if len(x.free) > 0 || x.proto.src == nil {
				ok = false
				return
			}
			defs[name] = "(define " + name + " " + Print(x.proto.src) + ")"
			walk(name, x.proto.src, false)
		case *Primitive:
			if !browserPrim(x.Name) {
				ok = false
			}
		case *Macro, *Definition:
			ok = false
		case *List, *Symbol, *Dict:
			// Printed data read back as code would be a call or a lookup
			// (a list of dicts is "not callable"): quote it to stay data.
			defs[name] = "(define " + name + " (quote " + Print(v) + "))"
		default:
			defs[name] = "(define " + name + " " + Print(v) + ")"
		}
	}
	for _, name := range env.Globals() {
		if c, isComp := mustLookup(env, name).(*Component); isComp && th.componentPure(c) {
			seen[name] = true
			visit(name, c)
		}
	}
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(defs[n])
		b.WriteByte('\n')
	}
	return b.String(), refs, ok
}

func mustLookup(env *Env, name string) Value {
	v, _ := env.Lookup(name)
	return v
}
