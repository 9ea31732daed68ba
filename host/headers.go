package host

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
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

// The user values of a response's framing exceptions (csp-frame-src,
// csp-frame-ancestors): the origins, space-separated.
const (
	cspFrameSrcKey       = "sxhost.csp-frame-src"
	cspFrameAncestorsKey = "sxhost.csp-frame-ancestors"
)

// contentSecurityPolicy is the policy of HTML responses for a nonce.
// Styles may be inline (the renderer writes style attributes); images may
// come from any https origin (Ghost's and products' images live
// elsewhere); <base> cannot redirect relative URLs. Frames: only of this
// origin, and nothing may frame the page — unless the page named other
// origins (frameSrc: the iframes it loads, the end-session page's
// front-channel logout; ancestors: the pages that may frame it, a
// front-channel logout URI framed by the provider).
func contentSecurityPolicy(nonce, frameSrc, ancestors string) string {
	p := "default-src 'self'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: https:; font-src 'self' data: https:; connect-src 'self'; object-src 'none'; " +
		"base-uri 'self'; "
	if frameSrc != "" {
		p += "frame-src 'self' " + frameSrc + "; "
	}
	if ancestors == "" {
		ancestors = "'none'"
	}
	return p + "frame-ancestors " + ancestors
}

// cspOrigins checks a list of origins for a framing directive: each
// exactly scheme://host[:port] of http or https (no path, wildcard, quote
// or separator that could widen the policy); returns them space-separated
// or the first bad one.
func cspOrigins(origins []string) (string, string) {
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || o != u.Scheme+"://"+u.Host ||
			strings.ContainsAny(u.Host, "*;,' \t\r\n") {
			return "", o
		}
	}
	return strings.Join(origins, " "), ""
}

// cspValue is a framing exception of the request, "" when none.
func (r *requestCtx) cspValue(key string) string {
	s, _ := r.ctx.UserValue(key).(string)
	return s
}

// setSecurityHeaders adds the security headers to r's response, by its
// content type; called once the handler has answered.
func setSecurityHeaders(r *requestCtx) {
	h := &r.ctx.Response.Header
	h.Set("X-Content-Type-Options", "nosniff")
	if !bytes.HasPrefix(h.ContentType(), []byte("text/html")) {
		return
	}
	ancestors := r.cspValue(cspFrameAncestorsKey)
	h.Set("Content-Security-Policy", contentSecurityPolicy(r.cspNonce(), r.cspValue(cspFrameSrcKey), ancestors))
	if ancestors == "" {
		h.Set("X-Frame-Options", "DENY") // frame-ancestors for older browsers
	}
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}
