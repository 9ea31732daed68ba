package client

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/rose-ash/sxhost/prims/core"
	"github.com/rose-ash/sxhost/prims/signing"
	"github.com/rose-ash/sxhost/runtime"
)

// serverOnly is the browser-availability mark of the primitive tables.
var serverOnly = ServerOnlyPrimitives

// TestPrimitiveTables checks sx.js's primitives against the Go tables.
func TestPrimitiveTables(t *testing.T) {
	env := runtime.NewEnv()
	env.DefinePrimitives(core.Primitives()...)
	env.DefinePrimitives(signing.Primitives()...)
	goPrims := map[string]bool{}
	for _, name := range env.Globals() {
		if v, _ := env.Lookup(name); v != nil {
			if _, ok := v.(*runtime.Primitive); ok {
				goPrims[name] = true
			}
		}
	}
	vm := newVM(t)
	out, err := jsCall(vm, `function () { return JSON.stringify(SX.primitives()); }`)
	if err != nil {
		t.Fatal(err)
	}
	var js []string
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	jsPrims := map[string]bool{}
	for _, n := range js {
		jsPrims[n] = true
		if !goPrims[n] {
			t.Errorf("sx.js defines %s, which the Go runtime does not have", n)
		}
	}
	var missing []string
	for n := range goPrims {
		reason, listed := serverOnly[n]
		switch {
		case jsPrims[n] && listed:
			t.Errorf("%s is marked server-only (%s) but sx.js defines it", n, reason)
		case !jsPrims[n] && !listed:
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	for _, n := range missing {
		t.Errorf("primitive %s is neither in sx.js nor marked server-only in client/prims_test.go", n)
	}
	for n := range serverOnly {
		if !goPrims[n] {
			t.Errorf("serverOnly lists %s, which the Go runtime no longer has", n)
		}
	}
	t.Logf("%d primitives in the browser, %d server-only", len(jsPrims), len(goPrims)-len(jsPrims))
}
