// Package client embeds sx.js, the browser runtime of SX: the reader, the
// evaluator with the browser-safe primitives, and the renderers to an HTML
// string and to DOM, plus the sx-* hypermedia engine. Hosts serve Script at
// /static/sx.js and at HashedPath, an immutable content-addressed URL.
//
// The Go runtime is the reference: parity tests run sx.js in goja and
// require byte-identical HTML for every golden case and language script.
package client

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
)

//go:embed sx.js
var files embed.FS

// Script is the source of sx.js as served.
var Script = mustRead("sx.js")

// Hash is the first 16 hex digits of the SHA-256 of Script; it names the
// immutable URL.
var Hash = func() string {
	sum := sha256.Sum256(Script)
	return hex.EncodeToString(sum[:])[:16]
}()

// HashedPath is the content-addressed URL of Script; responses for it may be
// cached forever.
var HashedPath = "/static/sx." + Hash + ".js"

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		// The file is embedded at build time; a miss is a build defect.
		panic("client: " + err.Error())
	}
	return b
}
