// Package client embeds sx.js, the browser runtime of SX: the reader, the
// evaluator with the browser-safe primitives, and the renderers to an HTML
// string and to DOM, plus the sx-* hypermedia engine. Hosts serve Script at
// /static/sx.js and at HashedPath, an immutable content-addressed URL.
//
// sx-ext.js (ExtScript, at ExtHashedPath) holds the primitives few
// components call (ExtPrimitives: datetimes, decimal rounding, JSON, rare
// list and string helpers); a page loads it only when its component bundle
// refers to one of them, so that sx.js stays within its size goal
// (SizeGoal bytes minified and gzipped, checked by TestScriptSize).
//
// The Go runtime is the reference: parity tests run sx.js in goja and
// require byte-identical HTML for every golden case and language script.
package client

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"regexp"
)

//go:embed sx.js sx.min.js sx-ext.js sx-ext.min.js
var files embed.FS

// SizeGoal is the most sx.min.js may weigh gzipped (issue 12: 20 KB).
const SizeGoal = 20480

// Source is sx.js as written: readable, and what the parity tests run.
var Source = mustRead("sx.js")

// Script is what browsers get: sx.min.js, made from Source by terser
// (make client-min; a test fails when it is stale).
var Script = mustRead("sx.min.js")

// Hash is the first 16 hex digits of the SHA-256 of Script; it names the
// immutable URL.
var Hash = func() string {
	sum := sha256.Sum256(Script)
	return hex.EncodeToString(sum[:])[:16]
}()

// HashedPath is the content-addressed URL of Script; responses for it may be
// cached forever.
var HashedPath = "/static/sx." + Hash + ".js"

// ExtSource is sx-ext.js as written; ExtScript its minified copy, made with
// sx.min.js by make client-min.
var (
	ExtSource = mustRead("sx-ext.js")
	ExtScript = mustRead("sx-ext.min.js")
)

// ExtHashedPath is the immutable URL of ExtScript.
var ExtHashedPath = func() string {
	sum := sha256.Sum256(ExtScript)
	return "/static/sx-ext." + hex.EncodeToString(sum[:])[:16] + ".js"
}()

// ExtPrimitives are the primitives sx-ext.js defines (read from its
// def, strFn and pred calls): a component bundle that
// refers to one makes the page load it.
var ExtPrimitives = func() map[string]bool {
	m := map[string]bool{}
	for _, g := range regexp.MustCompile(`(?m)^  (?:def|strFn|pred)\('([^']+)'`).FindAllSubmatch(ExtSource, -1) {
		m[string(g[1])] = true
	}
	return m
}()

// ServerOnlyPrimitives are the primitives of the Go runtime and prims/core
// that sx.js leaves out, with the reason; every other primitive exists in
// the browser (client tests check both directions). A component that calls
// one of these is rendered on the server.
var ServerOnlyPrimitives = map[string]string{
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
	"csv/parse":           "catalogue imports are read on the server",
	"csv/format":          "CSV exports are written on the server",
}

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		// The file is embedded at build time; a miss is a build defect.
		panic("client: " + err.Error())
	}
	return b
}
