package host

// multipart/form-data bodies (file uploads): parsed once, before CSRF and
// parameter binding, entirely from the body fasthttp already holds in
// memory — no temporary files. Fields then reach a page's or route's
// parameters like urlencoded ones (requestArg); files reach a :file
// parameter, (request-files) and primitives (internal/upload). See
// docs/host.md "Uploads".

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/internal/upload"
	"github.com/rose-ash/sxhost/runtime"
)

// maxFormParts bounds the parts of one multipart body: a form has tens,
// and each part costs a header parse.
const maxFormParts = 1000

// formKey is the request's parsed multipart form (a *multipartForm).
const formKey = "sxhost.form"

// multipartForm is a parsed multipart/form-data body.
type multipartForm struct {
	fields map[string][]string
	files  []*upload.File
}

// uploadError is a multipart body refused: status 400 or 413.
type uploadError struct {
	status int
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

// isMultipart reports whether a Content-Type is multipart/form-data.
func isMultipart(contentType []byte) bool {
	mt, _, _ := bytes.Cut(contentType, []byte(";"))
	return bytes.EqualFold(bytes.TrimSpace(mt), []byte("multipart/form-data"))
}

// parseMultipart reads body (Content-Type contentType) into fields and
// files; a file over maxFile bytes is a 413 naming its field, anything
// malformed a 400 saying what. A file input left empty (no filename, no
// bytes) is no file.
func parseMultipart(contentType string, body []byte, maxFile int) (*multipartForm, error) {
	bad := func(format string, args ...any) error {
		return &uploadError{400, "malformed multipart/form-data body: " + fmt.Sprintf(format, args...)}
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, bad("%v", err)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, bad("no boundary in the Content-Type")
	}
	f := &multipartForm{fields: map[string][]string{}}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for n := 0; ; n++ {
		if n == maxFormParts {
			return nil, &uploadError{413, fmt.Sprintf("multipart/form-data body has more than %d parts", maxFormParts)}
		}
		// NextRawPart: a part's bytes as sent (NextPart would decode a
		// quoted-printable transfer encoding no browser sends).
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bad("%v", err)
		}
		name := p.FormName()
		if name == "" {
			p.Close()
			continue // not a form field (RFC 7578 requires a name)
		}
		if !utf8.ValidString(name) {
			return nil, bad("a field name is not valid UTF-8")
		}
		// A file part is one with a filename parameter, even empty.
		_, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		_, isFile := dp["filename"]
		limit := len(body) // a field is bounded by the body itself
		if isFile {
			limit = maxFile
		}
		data, err := io.ReadAll(io.LimitReader(p, int64(limit)+1))
		p.Close()
		if err != nil {
			return nil, bad("field %s: %v", name, err)
		}
		if !isFile {
			f.fields[name] = append(f.fields[name], string(data))
			continue
		}
		filename := p.FileName() // base name only
		if len(data) > maxFile {
			return nil, &uploadError{413, fmt.Sprintf("file field %s: %q is over the %d-byte limit for one file", name, filename, maxFile)}
		}
		if filename == "" && len(data) == 0 {
			continue // an empty file input
		}
		if !utf8.ValidString(filename) {
			filename = strings.ToValidUTF8(filename, "\uFFFD")
		}
		ct := p.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		f.files = append(f.files, &upload.File{Field: name, Filename: filename, ContentType: ct, Data: data,
			Handle: "upload:" + strconv.Itoa(len(f.files)+1)})
	}
	return f, nil
}

// forms parses a multipart body before h (and its CSRF check) runs; a
// refused body answers 400 or 413 and h does not run.
func (s *Service) forms(h func(*requestCtx)) func(*requestCtx) {
	return func(r *requestCtx) {
		ct := r.ctx.Request.Header.ContentType()
		if !isMultipart(ct) || r.ctx.IsGet() || r.ctx.IsHead() {
			h(r)
			return
		}
		f, err := parseMultipart(string(ct), r.ctx.PostBody(), s.plat.limits().MaxUploadFile)
		if err != nil {
			var ue *uploadError
			if !errors.As(err, &ue) {
				ue = &uploadError{400, err.Error()}
			}
			if acceptsHTML(r.ctx) {
				s.writeHTMLError(r, ue.status, ue.msg, "", "<!doctype html><title>Upload refused</title><p>"+runtime.EscapeHTML(ue.msg)+"</p>")
			} else {
				writeError(r.ctx, ue.status, ue.msg, "")
			}
			return
		}
		r.ctx.SetUserValue(formKey, f)
		h(r)
	}
}

// formOf is the request's parsed multipart form, or nil.
func formOf(ctx *fasthttp.RequestCtx) *multipartForm {
	f, _ := ctx.UserValue(formKey).(*multipartForm)
	return f
}

// formValue is a multipart request's value for name: the first value of
// a field, else the first file of that name (its dict).
func formValue(ctx *fasthttp.RequestCtx, name string) (runtime.Value, bool) {
	f := formOf(ctx)
	if f == nil {
		return nil, false
	}
	if vs := f.fields[name]; len(vs) > 0 {
		return vs[0], true
	}
	for _, file := range f.files {
		if file.Field == name {
			return file.Dict(), true
		}
	}
	return nil, false
}

// UploadedFiles are the request's files (upload.Source).
func (r *requestCtx) UploadedFiles() []*upload.File {
	if f := formOf(r.ctx); f != nil {
		return f.files
	}
	return nil
}

// coerceFile reads a :file parameter: a file's dict from this request.
func coerceFile(p runtime.Param, v runtime.Value) (runtime.Value, error) {
	if d, ok := v.(*runtime.Dict); ok {
		if h, _ := d.Get("upload"); h != nil {
			return d, nil
		}
	}
	return nil, badParam(p.Name, "expected an uploaded file (a multipart/form-data file field), got %s", describe(v))
}
