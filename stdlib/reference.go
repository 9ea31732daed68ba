package stdlib

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rose-ash/sxhost/runtime"
)

// Reference renders the reference page of special forms and primitives
// (docs/reference.md) from the same tables (doc …) reads. extra adds
// primitive tables beyond the pure ones (the host's I/O primitives).
func Reference(extra ...[]*runtime.Primitive) string {
	var b strings.Builder
	b.WriteString("# SX reference: special forms and primitives\n\n")
	b.WriteString("Generated from the runtime's tables by `go generate ./stdlib` — do not edit by hand.\n\n")
	b.WriteString("## Special forms\n\n| form | |\n|---|---|\n")
	forms := make([]string, 0, len(runtime.SpecialFormDocs))
	for name := range runtime.SpecialFormDocs {
		forms = append(forms, name)
	}
	sort.Strings(forms)
	for _, name := range forms {
		fmt.Fprintf(&b, "| `%s` | %s |\n", name, cell(runtime.SpecialFormDocs[name]))
	}
	env := NewEnv()
	var prims []*runtime.Primitive
	for _, name := range env.Globals() {
		if p, ok := lookupPrimitive(env, name); ok {
			prims = append(prims, p)
		}
	}
	for _, table := range extra {
		prims = append(prims, table...)
	}
	sort.Slice(prims, func(i, j int) bool { return prims[i].Name < prims[j].Name })
	b.WriteString("\n## Primitives\n\n| primitive | parameters | |\n|---|---|---|\n")
	for _, p := range prims {
		io := ""
		if p.IO {
			io = " *(I/O)*"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s%s |\n", p.Name, p.Params, cell(p.Doc), io)
	}
	return b.String()
}

func lookupPrimitive(env *runtime.Env, name string) (*runtime.Primitive, bool) {
	v, ok := env.Lookup(name)
	if !ok {
		return nil, false
	}
	p, ok := v.(*runtime.Primitive)
	return p, ok && p.Name == name
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}
