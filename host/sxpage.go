package host

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"path/filepath"
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
	src, ok := runtime.BrowserDefinitions(env, func(name string) bool {
		if client.ExtPrimitives[name] && !slices.Contains(names, name) {
			names = append(names, name)
		}
		_, serverOnly := client.ServerOnlyPrimitives[name]
		return !serverOnly
	})
	sum := sha256.Sum256([]byte(src))
	slices.Sort(names)
	b := &browserBundle{src: src, hash: hex.EncodeToString(sum[:])[:12], ok: ok, ext: len(names) > 0, extNames: strings.Join(names, " ")}
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
	if bundle.ok && bundle.ext {
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
	var parts [documentParts]string
	return strings.Join(s.documentParts(r, title, out, parts[:0]), "")
}

// documentParts is the most pieces documentParts splits a document into.
const documentParts = 7

// documentParts appends the document of out, in pieces whose concatenation
// is the document, to parts: the shell around out, or out cut where the
// runtime's tags go into it. A page is then copied once, into the
// response, instead of once per insertion.
func (s *Service) documentParts(r *requestCtx, title, out string, parts []string) []string {
	head, tail := s.runtimeTags(r)
	return splitDocument(title, out, head, tail, parts)
}

// splitDocument is documentParts once the runtime's tags are known.
func splitDocument(title, out, head, tail string, parts []string) []string {
	isDoctype := len(out) >= 9 && strings.EqualFold(out[:9], "<!doctype")
	if !strings.HasPrefix(out, "<html") && !isDoctype {
		return append(parts, "<!doctype html><html><head><meta charset=\"utf-8\"><title>"+runtime.EscapeHTML(title)+"</title>"+
			head+"</head><body><div id=\"sx-root\">", out, "</div>"+tail+"</body></html>")
	}
	if strings.HasPrefix(out, "<html") {
		parts = append(parts, "<!doctype html>")
	}
	// head goes before the first </head>, tail before the last </body>
	// (after the head: the body follows it).
	i := strings.Index(out, "</head>")
	j := strings.LastIndex(out, "</body>")
	switch {
	case i >= 0 && j >= i:
		return append(parts, out[:i], head, out[i:j], tail, out[j:])
	case i >= 0 && j >= 0:
		return append(parts, out[:j], tail, out[j:i], head, out[i:])
	case i >= 0:
		return append(parts, out[:i], head, out[i:])
	case j >= 0:
		return append(parts, out[:j], tail, out[j:])
	}
	return append(parts, out)
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
	if b.ok && b.ext {
		// sx.js waits for it before booting (data-sx-ext), or boots without
		// it, naming these primitives, when it fails to load.
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
		s.plat.log.Warn("error page failed", "service", s.Name, "request_id", r.id, "error", err.Error())
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
