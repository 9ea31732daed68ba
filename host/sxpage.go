package host

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

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
	ext  bool   // it refers to a primitive of sx-ext.js: pages load that too
	// extUsers are the definitions whose calls may reach a primitive of
	// sx-ext.js (through the definitions they call), with those primitives:
	// an answer that names none of them does not make the browser load it.
	extUsers map[string]bool
	// titleMakers are the components and functions that may render a
	// <title> (and the tag itself): a boosted answer that calls one brings
	// its own title, and the host adds none.
	titleMakers map[string]bool
	// extNames are those primitives, named in the page's sx-ext.js tag so
	// that sx.js can say what is missing when that file fails to load.
	extNames string
}

var bundles sync.Map // *runtime.Env → *browserBundle

// bundleFor returns env's browser bundle, computed once per generation.
func bundleFor(env *runtime.Env) *browserBundle {
	if b, ok := bundles.Load(env); ok {
		return b.(*browserBundle)
	}
	var names []string
	src, refs, ok := runtime.BrowserDefinitions(env, func(name string) bool {
		if client.ExtPrimitives[name] && !slices.Contains(names, name) {
			names = append(names, name)
		}
		_, serverOnly := client.ServerOnlyPrimitives[name]
		return !serverOnly
	})
	sum := sha256.Sum256([]byte(src))
	slices.Sort(names)
	b := &browserBundle{src: src, hash: hex.EncodeToString(sum[:])[:12], ok: ok, ext: len(names) > 0, extNames: strings.Join(names, " "),
		extUsers: reaching(refs, client.ExtPrimitives), titleMakers: reaching(refs, map[string]bool{"title": true})}
	actual, _ := bundles.LoadOrStore(env, b)
	return actual.(*browserBundle)
}

// reaching is base and every definition in refs that refers to a name of
// base, directly or through other definitions.
func reaching(refs map[string][]string, base map[string]bool) map[string]bool {
	users := maps.Clone(base)
	state := map[string]int8{} // 1: being visited (a cycle adds nothing), 2: done
	var uses func(name string) bool
	uses = func(name string) bool {
		if users[name] || state[name] != 0 {
			return users[name]
		}
		state[name] = 1
		for _, r := range refs[name] {
			if uses(r) {
				users[name] = true
				break
			}
		}
		state[name] = 2
		return users[name]
	}
	for name := range refs {
		uses(name)
	}
	return users
}

// mentions reports whether a text/sx answer names something in set: for
// sx-ext.js's users, a call of a component or function that reaches one
// of its primitives, or one of them written in the answer. Outside strings
// every token counts; inside a string or a raw string (HTML, an sx-on:
// handler, a trigger filter) only a token right after "(" does, a call in
// the code a handler runs, so that prose naming a primitive ("into",
// "round") does not make the browser load the file.
func mentions(set map[string]bool, answer string) bool {
	start, inString, inRaw := -1, false, false
	hit := func(end int) bool {
		// Keywords and numbers name nothing: only a name is looked up.
		return start >= 0 && (!inString && !inRaw || start > 0 && answer[start-1] == '(') &&
			answer[start] != ':' && (answer[start] < '0' || answer[start] > '9') && set[answer[start:end]]
	}
	for i := 0; i < len(answer); i++ {
		c := answer[i]
		if inString && c == '\\' {
			if hit(i) {
				return true
			}
			start = -1
			i++ // the escaped character, a quote too
			continue
		}
		if !isSXDelimiter(c) {
			if start < 0 {
				start = i
			}
			continue
		}
		if hit(i) {
			return true
		}
		start = -1
		switch {
		case c == '"' && !inRaw:
			inString = !inString
		case c == '#' && !inString && !inRaw && i+1 < len(answer) && answer[i+1] == '|':
			inRaw = true
			i++
		case c == '|' && inRaw:
			inRaw = false
		}
	}
	return hit(len(answer))
}

// rendersTitle reports whether an engine answer begins with a <title>, as
// a layout's boosted answer does: as HTML, or in the wire format with a
// call of the tag or of a component that may render it (inside any
// fragments). Only the beginning counts: a title further in is some
// content's own, not the page's.
func rendersTitle(b *browserBundle, out string, wire bool) bool {
	if !wire {
		return strings.HasPrefix(strings.TrimSpace(out), "<title")
	}
	for strings.HasPrefix(out, "(<> ") {
		out = out[len("(<> "):]
	}
	if !strings.HasPrefix(out, "(") {
		return false
	}
	end := 1
	for end < len(out) && !isSXDelimiter(out[end]) {
		end++
	}
	return b.titleMakers[out[1:end]]
}

// isSXDelimiter reports whether c ends a token of an answer: the reader's
// delimiters (ASCII ones: answers' names are ASCII), and # and | that open
// and close raw strings, whose words mentions reads too.
func isSXDelimiter(c byte) bool { return sxDelimiters[c] }

var sxDelimiters = func() (t [256]bool) {
	for _, c := range []byte(" \t\n\r()[]{}\"'`,;|#") {
		t[c] = true
	}
	return t
}()

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

// serveExt answers sx-ext.js's hashed URL, cached for good.
func serveExt(ctx *fasthttp.RequestCtx) {
	ctx.SetContentType("text/javascript; charset=utf-8")
	ctx.Response.Header.Set("Cache-Control", "public, max-age=31536000, immutable")
	ctx.SetBody(client.ExtScript)
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
	// title travels with it and the runtime hoists it into <head>, unless
	// the answer renders a <title> of its own (a layout's, sent as a call
	// of the component that makes it).
	title := ""
	if string(ctx.Request.Header.Peek("SX-Boosted")) == "true" && !rendersTitle(bundle, out, sx && bundle.ok) {
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
	if bundle.ok && bundle.ext && mentions(bundle.extUsers, out) {
		// The runtime loads sx-ext.js before rendering, if it has not yet.
		ctx.Response.Header.Set("SX-Ext", client.ExtHashedPath)
	}
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
	return s.document(r, pageTitle(s, d), out)
}

// pageTitle is a page's :title, or its service's title.
func pageTitle(s *Service, d *runtime.Definition) string {
	if title := d.OptionString("title"); title != "" {
		return title
	}
	return s.Title
}

// documentOf is pageDocument for output that belongs to no page (an error
// page).
func (s *Service) documentOf(r *requestCtx, out string) string { return s.document(r, s.Title, out) }

func (s *Service) document(r *requestCtx, title, out string) string {
	var parts [documentParts]docPiece
	return joinDocument(s.documentParts(r, title, strText(out), parts[:0]), out)
}

// joinDocument is the document of pieces of out.
func joinDocument(parts []docPiece, out string) string {
	var b strings.Builder
	for _, p := range parts {
		if p.lit != "" {
			b.WriteString(p.lit)
		} else {
			b.WriteString(out[p.from:p.to])
		}
	}
	return b.String()
}

// documentParts is the most pieces documentParts splits a document into.
const documentParts = 7

// docText is a page's rendered content: a string (strText) or the
// runtime's chunks (runtime.Output).
type docText interface {
	Len() int
	Prefix(n int) string
	Index(s string) int
	LastIndex(s string) int
}

// strText is a string as docText.
type strText string

func (t strText) Len() int               { return len(t) }
func (t strText) Prefix(n int) string    { return string(t[:min(n, len(t))]) }
func (t strText) Index(s string) int     { return strings.Index(string(t), s) }
func (t strText) LastIndex(s string) int { return strings.LastIndex(string(t), s) }

// docPiece is one piece of a document: lit, or when lit is empty, the
// content's bytes from from to to.
type docPiece struct {
	lit      string
	from, to int
}

func (p docPiece) size() int {
	if p.lit != "" {
		return len(p.lit)
	}
	return p.to - p.from
}

// documentParts appends the document of out, in pieces whose concatenation
// is the document, to parts: the shell around out, or out cut where the
// runtime's tags go into it. A page is then copied once, into the
// response, instead of once per insertion.
func (s *Service) documentParts(r *requestCtx, title string, out docText, parts []docPiece) []docPiece {
	head, tail := s.runtimeTags(r, out)
	return splitDocument(title, out, head, tail, parts)
}

// splitDocument is documentParts once the runtime's tags are known.
func splitDocument(title string, out docText, head, tail string, parts []docPiece) []docPiece {
	n := out.Len()
	lit := func(s string) docPiece { return docPiece{lit: s} }
	span := func(from, to int) docPiece { return docPiece{from: from, to: to} }
	prefix := out.Prefix(9)
	isDoctype := len(prefix) == 9 && strings.EqualFold(prefix, "<!doctype")
	if !strings.HasPrefix(prefix, "<html") && !isDoctype {
		return append(parts, lit("<!doctype html><html><head><meta charset=\"utf-8\"><title>"+runtime.EscapeHTML(title)+"</title>"+
			head+"</head><body><div id=\"sx-root\">"), span(0, n), lit("</div>"+tail+"</body></html>"))
	}
	if strings.HasPrefix(prefix, "<html") {
		parts = append(parts, lit("<!doctype html>"))
	}
	// head goes before the first </head>, tail before the last </body>
	// (after the head: the body follows it).
	i := out.Index("</head>")
	j := out.LastIndex("</body>")
	switch {
	case i >= 0 && j >= i:
		return append(parts, span(0, i), lit(head), span(i, j), lit(tail), span(j, n))
	case i >= 0 && j >= 0:
		return append(parts, span(0, j), lit(tail), span(j, i), lit(head), span(i, n))
	case i >= 0:
		return append(parts, span(0, i), lit(head), span(i, n))
	case j >= 0:
		return append(parts, span(0, j), lit(tail), span(j, n))
	}
	return append(parts, span(0, n))
}

// streamMin is the size from which a page is written to the connection
// from the runtime's chunks (pageStream) instead of copied into the
// response body: past one chunk of the runtime's writer.
const streamMin = 64 << 10

// writeDocument answers with the document of a page's content o. A small
// page is copied into the response body; a large one is written to the
// connection from the runtime's chunks when the response is sent, so it
// costs no copy of itself (issue 20).
func (s *Service) writeDocument(r *requestCtx, title string, o *runtime.Output) {
	ctx := r.ctx
	var parts [documentParts]docPiece
	ps := s.documentParts(r, title, o, parts[:0])
	if o.Len() < streamMin {
		ctx.Response.ResetBody()
		for _, p := range ps {
			if p.lit != "" {
				ctx.Response.AppendBodyString(p.lit)
			} else {
				_, _ = o.WriteRange(ctx, p.from, p.to) // ctx.Write appends to the body; it does not fail
			}
		}
		o.Release()
		return
	}
	size := 0
	for _, p := range ps {
		size += p.size()
	}
	ctx.Response.SetBodyStream(&pageStream{parts: slices.Clone(ps), out: o}, size)
}

// pageStream is a page's document as a response body stream: fasthttp
// writes it with WriteTo once the handler has returned, and Close gives
// the runtime's chunks back.
type pageStream struct {
	parts []docPiece
	out   *runtime.Output
	pos   int // bytes read so far (Read)
}

// SupportsBodyWriteTo tells fasthttp to use WriteTo (fasthttp.BodyWriterTo).
func (p *pageStream) SupportsBodyWriteTo() bool { return true }

// WriteTo writes the document to w.
func (p *pageStream) WriteTo(w io.Writer) (n int64, err error) {
	for _, part := range p.parts {
		var k int64
		if part.lit != "" {
			var m int
			m, err = io.WriteString(w, part.lit)
			k = int64(m)
		} else {
			k, err = p.out.WriteRange(w, part.from, part.to)
		}
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Read reads the document from where the last Read stopped.
func (p *pageStream) Read(b []byte) (n int, err error) {
	at := 0 // the document offset of the part
	for _, part := range p.parts {
		size := part.size()
		if n < len(b) && p.pos+n < at+size {
			off := p.pos + n - at
			end := min(size, off+len(b)-n)
			if part.lit != "" {
				n += copy(b[n:], part.lit[off:end])
			} else {
				n += len(p.out.AppendRange(b[n:n], part.from+off, part.from+end))
			}
		}
		at += size
	}
	p.pos += n
	if n == 0 && len(b) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Close gives the runtime's chunks back to their pools.
func (p *pageStream) Close() error {
	p.out.Release()
	return nil
}

// runtimeTags returns what a document needs for the browser runtime: the
// CSRF meta and sx.js for <head>, the component bundle for the end of
// <body>.
func (s *Service) runtimeTags(r *requestCtx, out docText) (head, tail string) {
	// The CSRF token the runtime sends with its requests: present once the
	// visitor has a session token (a page with a form makes one), so plain
	// visits do not start sessions.
	if t, ok := r.session().Get(csrfKey); ok {
		if tok, isStr := t.(string); isStr {
			head = `<meta name="csrf-token" content="` + runtime.EscapeAttr(tok) + `">`
		}
	}
	// A page with no sx-on: handler nor mount tells sx.js so: its boot then
	// finds the elements to bind by CSS instead of an XPath search of every
	// attribute name (docs/client.md, "Boot").
	handlers := hasHandlers(out)
	scan := ""
	if !handlers {
		scan = ` data-sx-handlers="none"`
	}
	head += `<script src="` + client.HashedPath + `" defer` + scan + nonceAttr(r) + `></script>`
	st := s.state.Load()
	b := bundleFor(st.env)
	if b.ok && b.ext && runsSXOnPage(out, handlers) {
		// sx.js waits for it before booting (data-sx-ext), or boots without
		// it, naming these primitives, when it fails to load. A page that
		// runs no SX before an answer arrives does not load it: the answers
		// name it in SX-Ext and the runtime loads it before rendering them
		// (a 16 KB compile less on the page's load).
		head += `<script src="` + client.ExtHashedPath + `" defer data-sx-ext="` + runtime.EscapeAttr(b.extNames) + `"` + nonceAttr(r) + `></script>`
	}
	if b.src == "" {
		// No pure component: nothing to carry, nor to ask localStorage for
		// (an empty bundle would read as "the browser has it" and reload).
		return head, ""
	}
	src := ""
	if clientHash(r.ctx) != b.hash {
		src = escapeScriptText(b.src)
	}
	tail = `<script type="text/sx" data-components data-hash="` + b.hash + `">` + src + `</script>`
	return head, tail
}

// triggerFilter finds an sx-trigger whose value has a [filter], an SX
// expression the browser evaluates on the event.
var triggerFilter = regexp.MustCompile(`sx-trigger\s*=\s*(?:"[^"]*\[|'[^']*\[)`)

// hasHandlers reports whether a page's HTML has an sx-on: handler or a
// mount (whose client-rendered content may have one).
func hasHandlers(out docText) bool {
	return out.Index("sx-on:") >= 0 || out.Index("data-mount") >= 0
}

// runsSXOnPage reports whether a page's HTML can make the browser evaluate
// SX before any answer arrives, which may call a primitive of sx-ext.js: an
// sx-on: handler or a mount (handlers, hasHandlers's answer), a trigger
// filter or an sx-optimistic preview. A page over streamMin with any
// sx-trigger counts as having a filter (its text is not copied to look).
func runsSXOnPage(out docText, handlers bool) bool {
	if handlers || out.Index("sx-optimistic") >= 0 {
		return true
	}
	if out.Index("sx-trigger") < 0 {
		return false
	}
	return out.Len() > streamMin || triggerFilter.MatchString(out.Prefix(out.Len()))
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

// layoutOptions are the defpage options a :layout component receives besides
// :title and :page, when the page gives them: what a shared layout needs
// for the head (meta description, canonical URL, Open Graph image and type,
// JSON-LD, robots) and the page's aside.
var layoutOptions = []string{"description", "canonical", "image", "og-type", "json-ld", "robots", "aside"}

// sitePrimitives are the primitives the shared layout needs from the host:
// links between the services and content-hashed static files.
func (s *Service) sitePrimitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "site-url", Params: "(service &rest path)", Doc: "The public URL of a path of a service: SX_PUBLIC_URL_<SERVICE> when set; the path itself for this service; for another service loaded here, the request's host with that service's :port; else the path.", MinArgs: 1, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				path := "/"
				if len(a) > 1 {
					path = str(th, "site-url", a[1])
				}
				return s.plat.publicURL(requestOf(th), s, str(th, "site-url", a[0]), path)
			}},
		{Name: "absolute-url", Params: "(path)", Doc: "path as an absolute URL of this service (canonical links, feeds, Open Graph): on SX_PUBLIC_URL_<SERVICE> when set, else on the scheme and host of the request.", MinArgs: 1, MaxArgs: 1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				path := str(th, "absolute-url", a[0])
				s.plat.publicMu.RLock()
				base := s.plat.publicURLs[s.Name]
				s.plat.publicMu.RUnlock()
				if base != "" {
					return strings.TrimRight(base, "/") + path
				}
				r := requestOf(th)
				if r == nil {
					return path
				}
				scheme := "http"
				if r.ctx.IsTLS() {
					scheme = "https"
				}
				return scheme + "://" + string(r.ctx.Host()) + path
			}},
		{Name: "asset-url", Params: "(name)", Doc: "The content-hashed URL of a file of static/ (\"site.css\" → \"/static/site.3f2a9c1b0d4e.css\"), served with a year's immutable caching; the plain /static/ URL when the file is missing.", MinArgs: 1, MaxArgs: 1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				name := str(th, "asset-url", a[0])
				if h := s.assets().hashed(name); h != "" {
					return "/static/" + h
				}
				return "/static/" + name
			}},
	}
}

// publicURL resolves (site-url service path).
func (p *Platform) publicURL(r *requestCtx, from *Service, service, path string) string {
	p.publicMu.RLock()
	base := p.publicURLs[service]
	p.publicMu.RUnlock()
	if base != "" {
		return strings.TrimRight(base, "/") + path
	}
	// A path for the service the browser is on (r.svc: for a fragment
	// rendered in-process, the page's service, not the fragment's).
	if r == nil || r.svc.Name == service {
		return path
	}
	// Development: the services of one process listen on their :port of
	// the host the visitor used.
	if target := p.services[service]; target != nil && target.Port > 0 {
		host := string(r.ctx.Host())
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		scheme := "http"
		if r.ctx.IsTLS() {
			scheme = "https"
		}
		return scheme + "://" + host + ":" + strconv.Itoa(target.Port) + path
	}
	return path
}

// SetPublicURL sets the public base URL of a service's pages
// (SX_PUBLIC_URL_<SERVICE>), which (site-url …) links to. Call it before
// serving.
func (p *Platform) SetPublicURL(service, base string) {
	p.publicMu.Lock()
	defer p.publicMu.Unlock()
	if p.publicURLs == nil {
		p.publicURLs = map[string]string{}
	}
	p.publicURLs[service] = base
}

// PublicURLsFromEnv reads SX_PUBLIC_URL_<SERVICE> variables of environ (as
// os.Environ returns it).
func PublicURLsFromEnv(environ []string) map[string]string {
	return urlsFromEnv(environ, "SX_PUBLIC_URL_")
}

// staticAssets are the content-hashed names of the files of a service's
// static/ directory: name.HASH.ext, the hash being the first 12 hex digits
// of the file's SHA-256. A hashed URL names one version of a file for good,
// so it is cached immutably; an edit makes a new URL.
type staticAssets struct {
	dir     string
	byName  map[string]string // "site.css" → "site.3f2a9c1b0d4e.css"
	byHash  map[string]string // the reverse
	modTime map[string]time.Time
}

func (a *staticAssets) hashed(name string) string {
	if a == nil {
		return ""
	}
	return a.byName[name]
}

// original returns the file a hashed name stands for, or "".
func (a *staticAssets) original(hashed string) string {
	if a == nil {
		return ""
	}
	return a.byHash[hashed]
}

// scanStatic hashes the files under dir, leaving out hidden files and the
// compressed copies fasthttp.FS keeps beside them.
func scanStatic(dir string) *staticAssets {
	a := &staticAssets{dir: dir, byName: map[string]string{}, byHash: map[string]string{}, modTime: map[string]time.Time{}}
	if dir == "" {
		return a
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // WalkDir does not enter a root that is a link
	}
	filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), ".fasthttp.") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		sum := sha256.Sum256(b)
		ext := filepath.Ext(rel)
		h := strings.TrimSuffix(rel, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		a.byName[rel], a.byHash[h] = h, rel
		if fi, err := e.Info(); err == nil {
			a.modTime[rel] = fi.ModTime()
		}
		return nil
	})
	return a
}

// stale reports whether a file changed since the scan (development).
func (a *staticAssets) stale() bool {
	for rel, t := range a.modTime {
		fi, err := os.Stat(filepath.Join(a.dir, filepath.FromSlash(rel)))
		if err != nil || !fi.ModTime().Equal(t) {
			return true
		}
	}
	return false
}

// assets returns the service's hashed static files, rescanned in
// development when one changed.
func (s *Service) assets() *staticAssets {
	a := s.static.Load()
	if a == nil || (s.plat.opts.Dev && a.stale()) {
		a = scanStatic(s.staticDir())
		s.static.Store(a)
	}
	return a
}

// serveStatic answers /static/…: a hashed name is the file it names, cached
// for good; other names are served as they are.
func (s *Service) serveStatic(files fasthttp.RequestHandler) func(r *requestCtx) {
	return func(r *requestCtx) {
		name := r.ctx.UserValue("filepath").(string)
		if orig := s.assets().original(name); orig != "" {
			r.ctx.Request.SetRequestURI("/" + orig)
			files(r.ctx)
			if r.ctx.Response.StatusCode() == 200 {
				r.ctx.Response.Header.Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			return
		}
		r.ctx.Request.SetRequestURI("/" + name)
		files(r.ctx)
	}
}

// errorPageComponent is the component that draws a service's HTML error
// pages when its environment defines one (the shared layout does):
// (~site-error-page :status 404 :message "…" :error-id "…").
const errorPageComponent = "~site-error-page"

// errorPage renders the branded error page for an HTML answer, under a
// deadline of its own (the request's may be what ran out); ok is false
// when the service has none or it failed, and the plain page is used.
func (s *Service) errorPage(r *requestCtx, status int, msg, errorID string) (string, bool) {
	st := s.state.Load()
	comp, found := st.env.Lookup(errorPageComponent)
	if !found {
		return "", false
	}
	c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	th := st.thread(c, s.plat)
	defer st.release(th)
	setRequest(th, r)
	args := []runtime.Value{runtime.KeywordArg{Name: "status"}, int64(status), runtime.KeywordArg{Name: "message"}, msg}
	if errorID != "" {
		args = append(args, runtime.KeywordArg{Name: "error-id"}, errorID)
	}
	out, err := th.RenderCall(comp, args...)
	if err != nil {
		s.plat.log.Warn("error page failed", "service", s.Name, "request_id", r.ID(), "error", err.Error())
		return "", false
	}
	return s.documentOf(r, out), true
}

// writeHTMLError answers status with the branded error page, or a plain one.
func (s *Service) writeHTMLError(r *requestCtx, status int, msg, errorID, plain string) {
	body, ok := s.errorPage(r, status, msg, errorID)
	if !ok {
		body = plain
	}
	r.ctx.SetStatusCode(status)
	r.ctx.SetContentType("text/html; charset=utf-8")
	r.ctx.SetBodyString(body)
}

// wantsHTML reports whether a request is a browser's page request: a GET
// or HEAD accepting text/html, not one of the runtime's.
func wantsHTML(ctx *fasthttp.RequestCtx) bool {
	m := string(ctx.Method())
	return (m == "GET" || m == "HEAD") && bytes.Contains(ctx.Request.Header.Peek("Accept"), []byte("text/html"))
}

// acceptsHTML reports whether a browser sent the request (any method): its
// Accept names text/html.
func acceptsHTML(ctx *fasthttp.RequestCtx) bool {
	return bytes.Contains(ctx.Request.Header.Peek("Accept"), []byte("text/html"))
}

// VisitorSession returns a session cookie of service in which user (a dict
// such as {"id": 7, "name": "Ben", "admin": false}, nil for an anonymous
// visitor) is signed in, with a CSRF token: what a sign-in leaves behind.
// For tests and tools that visit the pages as someone (screenshots, axe).
func (p *Platform) VisitorSession(service string, user map[string]any) (name, value, csrf string) {
	var b [16]byte
	rand.Read(b[:])
	csrf = hex.EncodeToString(b[:])
	sess := map[string]any{csrfKey: csrf}
	if user != nil {
		sess["user"] = user
	}
	payload, _ := json.Marshal(sess)
	name = sessionCookie + "_" + service // as Service.sessionCookieName
	return name, p.sealSession(name, payload, time.Now().Add(sessionMaxAge)), csrf
}
