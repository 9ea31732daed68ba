package host

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/client"
	"github.com/rose-ash/sxhost/runtime"
)

// The browser protocol of pages (docs/client.md). A defpage answers three
// ways:
//
//   - a full HTML document for an ordinary request: the page rendered on
//     the server inside #sx-root, the CSRF token in a <meta>, sx.js by its
//     content-hashed URL with the response's CSP nonce, and the component
//     bundle (empty when the sx-comp-hash cookie shows the browser has it);
//   - for SX-Request: true, the page's content in the SX wire format
//     (text/sx), preceded by the definitions the browser lacks;
//   - for HX-Request: true, the same content as an HTML fragment.
//
// A redirect inside an engine request answers 200 with SX-Redirect (or
// HX-Redirect), which the runtime follows.

const (
	headerSXRequest  = "SX-Request"
	headerHXRequest  = "HX-Request"
	headerCompsHash  = "SX-Components-Hash"
	compHashCookie   = "sx-comp-hash"
	runtimeStaticURL = "/static/sx.js"
)

// browserBundle is what a generation of definitions ships to browsers.
type browserBundle struct {
	src  string // definitions of the pure components and what they use
	hash string // first 12 hex digits of its SHA-256
	ok   bool   // false: some pure component cannot travel; render on the server
}

var bundles sync.Map // *runtime.Env → *browserBundle

// bundleFor returns env's browser bundle, computed once per generation.
func bundleFor(env *runtime.Env) *browserBundle {
	if b, ok := bundles.Load(env); ok {
		return b.(*browserBundle)
	}
	src, ok := runtime.BrowserDefinitions(env, func(name string) bool {
		_, serverOnly := client.ServerOnlyPrimitives[name]
		return !serverOnly
	})
	sum := sha256.Sum256([]byte(src))
	b := &browserBundle{src: src, hash: hex.EncodeToString(sum[:])[:12], ok: ok}
	actual, _ := bundles.LoadOrStore(env, b)
	return actual.(*browserBundle)
}

// clientHash is the bundle hash the browser reports having.
func clientHash(ctx *fasthttp.RequestCtx) string {
	if h := ctx.Request.Header.Peek(headerCompsHash); len(h) > 0 {
		return string(h)
	}
	return string(ctx.Request.Header.Cookie(compHashCookie))
}

// serveRuntime answers /static/sx.js (revalidated) and its hashed URL
// (cached for good).
func serveRuntime(ctx *fasthttp.RequestCtx, immutable bool) {
	ctx.SetContentType("text/javascript; charset=utf-8")
	if immutable {
		ctx.Response.Header.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		ctx.Response.Header.Set("Cache-Control", "no-cache")
		ctx.Response.Header.Set("ETag", `"`+client.Hash+`"`)
		if string(ctx.Request.Header.Peek("If-None-Match")) == `"`+client.Hash+`"` {
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
	}
	ctx.SetBody(client.Script)
}

// answerEngineRequest answers SX-Request and HX-Request page requests; it
// reports false for ordinary requests, which get the document.
func (s *Service) answerEngineRequest(r *requestCtx, d *runtime.Definition, fn *runtime.Lambda, args []runtime.Value) bool {
	ctx := r.ctx
	sx := string(ctx.Request.Header.Peek(headerSXRequest)) == "true"
	hx := !sx && string(ctx.Request.Header.Peek(headerHXRequest)) == "true"
	if !sx && !hx {
		return false
	}
	ctx.Response.Header.Set("Vary", "SX-Request, HX-Request")
	var out string
	var err error
	var bundle *browserBundle
	s.evaluate(r, func(th *runtime.Thread) {
		bundle = bundleFor(th.Env)
		if sx && bundle.ok {
			out, err = th.RenderWireCall(fn, args...)
		} else {
			out, err = th.RenderCall(fn, args...)
		}
	})
	if err != nil {
		if a := abortOf(err); a != nil && a.Location != "" {
			name := "SX-Redirect"
			if hx {
				name = "HX-Redirect"
			}
			ctx.Response.Header.Set(name, a.Location)
			ctx.SetStatusCode(200)
			return true
		}
		s.fail(r, err, false)
		return true
	}
	// A boosted navigation replaces the main region only: the page's
	// title travels with it and the runtime hoists it into <head>.
	title := ""
	if string(ctx.Request.Header.Peek("SX-Boosted")) == "true" {
		if title = d.OptionString("title"); title == "" {
			title = s.Title
		}
	}
	if hx {
		ctx.SetContentType("text/html; charset=utf-8")
		if title != "" {
			out = "<title>" + runtime.EscapeHTML(title) + "</title>" + out
		}
		ctx.SetBodyString(out)
		return true
	}
	if title != "" {
		// One form: the runtime renders the last form of an answer.
		var b strings.Builder
		b.WriteString("(<> (title ")
		runtime.WriteString(&b, title)
		b.WriteString(") ")
		b.WriteString(out)
		b.WriteString(")")
		out = b.String()
	}
	ctx.SetContentType("text/sx; charset=utf-8")
	ctx.Response.Header.Set(headerCompsHash, bundle.hash)
	if !bundle.ok {
		// Something the page's components use cannot travel: the server's
		// HTML, which the runtime accepts as text/sx too.
		var b strings.Builder
		b.WriteString("(raw! ")
		runtime.WriteString(&b, out)
		b.WriteString(")")
		out = b.String()
	} else if clientHash(ctx) != bundle.hash {
		out = bundle.src + out
	}
	ctx.SetBodyString(out)
	return true
}

// pageDocument wraps a page's rendered content in the document shell, or,
// when the page rendered a whole document itself (a layout), adds the
// runtime's tags to it.
func (s *Service) pageDocument(r *requestCtx, d *runtime.Definition, out string) string {
	head, tail := s.runtimeTags(r)
	isDoctype := len(out) >= 9 && strings.EqualFold(out[:9], "<!doctype")
	if !strings.HasPrefix(out, "<html") && !isDoctype {
		title := d.OptionString("title")
		if title == "" {
			title = s.Title
		}
		return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + runtime.EscapeHTML(title) + "</title>" +
			head + "</head><body><div id=\"sx-root\">" + out + "</div>" + tail + "</body></html>"
	}
	if strings.HasPrefix(out, "<html") {
		out = "<!doctype html>" + out
	}
	if i := strings.Index(out, "</head>"); i >= 0 {
		out = out[:i] + head + out[i:]
	}
	if i := strings.LastIndex(out, "</body>"); i >= 0 {
		out = out[:i] + tail + out[i:]
	}
	return out
}

// runtimeTags returns what a document needs for the browser runtime: the
// CSRF meta and sx.js for <head>, the component bundle for the end of
// <body>.
func (s *Service) runtimeTags(r *requestCtx) (head, tail string) {
	// The CSRF token the runtime sends with its requests: present once the
	// visitor has a session token (a page with a form makes one), so plain
	// visits do not start sessions.
	if t, ok := r.session().Get(csrfKey); ok {
		if tok, isStr := t.(string); isStr {
			head = `<meta name="csrf-token" content="` + runtime.EscapeAttr(tok) + `">`
		}
	}
	head += `<script src="` + client.HashedPath + `" defer` + nonceAttr(r) + `></script>`
	st := s.state.Load()
	b := bundleFor(st.env)
	src := ""
	if clientHash(r.ctx) != b.hash {
		src = escapeScriptText(b.src)
	}
	tail = `<script type="text/sx" data-components data-hash="` + b.hash + `">` + src + `</script>`
	return head, tail
}

// escapeScriptText keeps SX source inside a <script> element: "</" cannot
// end it early (SX reads "<\/" as "</" in strings and the break only
// occurs inside strings or comments).
func escapeScriptText(src string) string {
	return strings.ReplaceAll(src, "</", `<\/`)
}

// nonceAttr is the nonce attribute for a script tag of this response: the
// nonce of its Content-Security-Policy (headers.go).
func nonceAttr(r *requestCtx) string { return ` nonce="` + r.cspNonce() + `"` }
