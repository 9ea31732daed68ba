package host

import (
	"github.com/rose-ash/sxhost/prims/htmlsafe"
	"github.com/rose-ash/sxhost/prims/markdown"
	mediaprims "github.com/rose-ash/sxhost/prims/media"

	"fmt"
	"strings"

	"github.com/rose-ash/sxhost/runtime"
)

// Reference renders a Markdown catalogue of the platform: each service's
// queries, actions, fragments, pages, routes and activity handlers with
// their parameters and docstrings (what /internal/schema serves), then the
// host's primitives. docs/services.md is this page for the six services.
func (p *Platform) Reference() string {
	var b strings.Builder
	b.WriteString("# The platform's services\n\n")
	b.WriteString("Generated from `services/*.sx` by `go generate ./host`; do not edit. Each service serves\n")
	b.WriteString("the same catalogue as JSON at `/internal/schema`. Parameters: `name: type` is required,\n")
	b.WriteString("`name?: type` optional, `= value` its default.\n")
	for _, s := range p.order {
		st := s.state.Load()
		fmt.Fprintf(&b, "\n## %s", s.Name)
		if s.Title != "" {
			fmt.Fprintf(&b, " — %s", s.Title)
		}
		if s.Port != 0 {
			fmt.Fprintf(&b, " (port %d)", s.Port)
		}
		b.WriteString("\n")
		schema := s.schema(st)
		for _, sec := range []struct{ key, title string }{
			{"queries", "Queries"}, {"actions", "Actions"}, {"activities", "Activity handlers"}, {"jobs", "Jobs"},
			{"fragments", "Fragments"}, {"pages", "Pages"}, {"routes", "Routes"},
		} {
			v, _ := schema.Get(sec.key)
			items, _ := v.(*runtime.List)
			if items == nil || len(items.Items) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n### %s (%d)\n\n| name | parameters | |\n|---|---|---|\n", sec.title, len(items.Items))
			for _, it := range items.Items {
				e := it.(*runtime.Dict)
				name, _ := e.Get("name")
				doc, _ := e.Get("doc")
				params, _ := e.Get("params")
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, paramsCell(params), cell(fmt.Sprint(doc)))
			}
		}
	}
	b.WriteString("\n## Host primitives\n\nBound in every service besides the standard library (`docs/reference.md`).\n\n| name | parameters | |\n|---|---|---|\n")
	// Per-service primitives are the same functions for every service.
	svc := &Service{plat: p}
	for _, pr := range append(append(append(append(p.ioPrimitives(), svc.primitives()...), svc.sitePrimitives()...), svc.authPrimitives()...), append(append(append(htmlsafe.Primitives(), p.apPrimitives()...), markdown.Primitives()...), mediaprims.Primitives(p.media())...)...) {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", pr.Name, pr.Params, cell(pr.Doc))
	}
	return b.String()
}

func paramsCell(v runtime.Value) string {
	l, _ := v.(*runtime.List)
	if l == nil || len(l.Items) == 0 {
		return ""
	}
	parts := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		p := it.(*runtime.Dict)
		name, _ := p.Get("name")
		typ, _ := p.Get("type")
		req, _ := p.Get("required")
		s := fmt.Sprint(name)
		if req != true {
			s += "?"
		}
		s += ": " + fmt.Sprint(typ)
		if def, ok := p.Get("default"); ok && def != nil {
			s += " = " + runtime.Print(def)
		}
		parts = append(parts, "`"+s+"`")
	}
	return strings.Join(parts, ", ")
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
