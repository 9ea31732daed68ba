package client

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/rose-ash/sxhost/prims/core"
	"github.com/rose-ash/sxhost/runtime"
)

// serverOnly lists the primitives of the Go runtime and prims/core that
// sx.js leaves out, each with the reason. Every other primitive must exist
// in the browser, and sx.js must define no primitive the server lacks, so
// this list is the browser-availability mark of the primitive tables.
var serverOnly = map[string]string{
	"render-to-sx":        "the wire format is produced by the server",
	"sha256-hex":          "crypto stays on the server",
	"hmac-sha256-hex":     "crypto stays on the server",
	"hex-encode":          "crypto helper, server only",
	"hex-decode":          "crypto helper, server only",
	"base64url-encode":    "crypto helper, server only",
	"base64url-decode":    "crypto helper, server only",
	"secure-equal?":       "crypto stays on the server",
	"random-token":        "tokens are minted on the server",
	"rsa-keypair":         "keys never reach a browser",
	"jwt-hs256":           "keys never reach a browser",
	"jwt-hs256-verify":    "keys never reach a browser",
	"decimal-div":         "decimal division and rounding modes are not in the browser yet",
	"format-money":        "money formats (CLDR data) stay on the server",
	"format-money-locale": "money formats (CLDR data) stay on the server",
}

// TestPrimitiveTables checks sx.js's primitives against the Go tables.
func TestPrimitiveTables(t *testing.T) {
	env := runtime.NewEnv()
	env.DefinePrimitives(core.Primitives()...)
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
