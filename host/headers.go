package host

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
)

// Security headers. Every response says nosniff, so a browser never reads
// JSON or text as HTML or script. HTML responses also get a referrer
// policy, a refusal to be framed (clickjacking) and a Content-Security-
// Policy whose scripts must come from this origin or carry the request's
// nonce: (csp-nonce) gives a page the value for its script tags, such as
// the browser runtime's (script :src "/static/sx.js" :nonce (csp-nonce)).
// An injected <script> without it does not run, and neither do inline
// event-handler attributes (onclick=…) or javascript: URLs.

// cspNonceKey is the request's user value holding its nonce.
const cspNonceKey = "sxhost.csp-nonce"

// cspNonce returns the request's script nonce, made on first use: 128
// random bits, base64 as CSP wants.
func (r *requestCtx) cspNonce() string {
	if n, ok := r.ctx.UserValue(cspNonceKey).(string); ok {
		return n
	}
	var b [16]byte
	rand.Read(b[:])
	n := base64.StdEncoding.EncodeToString(b[:])
	r.ctx.SetUserValue(cspNonceKey, n)
	return n
}

// contentSecurityPolicy is the policy of HTML responses for a nonce.
// Styles may be inline (the renderer writes style attributes); images may
// come from any https origin (Ghost's and products' images live
// elsewhere); nothing may frame the page, and <base> cannot redirect
// relative URLs.
func contentSecurityPolicy(nonce string) string {
	return "default-src 'self'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: https:; font-src 'self' data: https:; connect-src 'self'; object-src 'none'; " +
		"base-uri 'self'; frame-ancestors 'none'"
}

// setSecurityHeaders adds the security headers to r's response, by its
// content type; called once the handler has answered.
func setSecurityHeaders(r *requestCtx) {
	h := &r.ctx.Response.Header
	h.Set("X-Content-Type-Options", "nosniff")
	if !bytes.HasPrefix(h.ContentType(), []byte("text/html")) {
		return
	}
	h.Set("Content-Security-Policy", contentSecurityPolicy(r.cspNonce()))
	h.Set("X-Frame-Options", "DENY") // frame-ancestors for older browsers
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}
