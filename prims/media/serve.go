package media

// Serving: GET /media/<name> answers a stored file with a year's immutable
// caching. A name is content-addressed, so its ETag is the name itself and
// a revalidation never needs the file.

import (
	"os"
	"strings"

	"github.com/valyala/fasthttp"
)

// CacheControl is what every stored file is served with: it never changes.
const CacheControl = "public, max-age=31536000, immutable"

// Serve answers ctx with the stored file name and reports true, or reports
// false (nothing written) when there is no such file, for the caller's 404.
// name comes from the URL: only a name the store could have written is
// looked up (Path), so "../" and other names are simply not found.
func (s *Store) Serve(ctx *fasthttp.RequestCtx, name string) bool {
	path := s.Path(name)
	if path == "" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return false
	}
	h := &ctx.Response.Header
	etag := `"` + name + `"`
	h.Set("Cache-Control", CacheControl)
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	// An image is never a document: nothing in it runs if it is opened.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.SetContentType(Mime(name))
	if inm := string(ctx.Request.Header.Peek("If-None-Match")); inm == "*" || strings.Contains(inm, etag) {
		f.Close()
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return true
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	if ctx.IsHead() {
		f.Close()
		h.SetContentLength(int(fi.Size()))
		return true
	}
	ctx.SetBodyStream(f, int(fi.Size())) // fasthttp closes f once sent
	return true
}
