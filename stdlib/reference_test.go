package stdlib

import (
	"os"
	"strings"
	"testing"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	oidcprims "github.com/rose-ash/sxhost/prims/oidc"
	"github.com/rose-ash/sxhost/prims/signing"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	sumupprims "github.com/rose-ash/sxhost/prims/sumup"
	"github.com/rose-ash/sxhost/runtime"
)

// TestReferenceIsCurrent fails when docs/reference.md no longer matches the
// tables: run go generate ./stdlib.
func TestReferenceIsCurrent(t *testing.T) {
	got, err := os.ReadFile("../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != Reference(sqlprims.Primitives(), cacheprims.Primitives(), oidcprims.Primitives(), sumupprims.Primitives(nil), signing.Primitives()) {
		t.Fatal("docs/reference.md is stale: run go generate ./stdlib")
	}
	for _, name := range []string{"map", "split", "render-to-html", "sql/rows", "cache/get"} {
		if !strings.Contains(string(got), "| `"+name+"` |") {
			t.Errorf("docs/reference.md lacks %s: run go generate ./stdlib", name)
		}
	}
}

// TestEveryPrimitiveIsDocumented keeps (doc name) useful for every name.
func TestEveryPrimitiveIsDocumented(t *testing.T) {
	env := NewEnv()
	for _, name := range env.Globals() {
		v, _ := env.Lookup(name)
		if p, ok := v.(*runtime.Primitive); ok && (p.Doc == "" || p.Params == "") {
			t.Errorf("primitive %s has no doc or params", name)
		}
	}
}
