// Package upload is what the host and the primitives share about files
// uploaded in a multipart/form-data request. The host parses the body and
// leaves the files on the evaluating thread; SX code sees each file as a
// dict (Dict) whose :upload handle a primitive turns back into the bytes
// with Lookup, so an image never travels through an SX string.
package upload

import (
	"github.com/rose-ash/sxhost/runtime"
)

// File is one uploaded file, held in memory for the request's length.
type File struct {
	Field       string // the form field's name
	Filename    string // the name the browser gave (base name only; untrusted)
	ContentType string // the part's declared Content-Type (untrusted)
	Data        []byte
	Handle      string // what Dict's :upload carries, unique in the request
}

// Source gives the files of the current request.
type Source interface{ UploadedFiles() []*File }

// localKey is where the host leaves the request's Source on a thread.
const localKey = "sxhost.uploads"

// Attach makes src's files visible to primitives running on th (nil:
// none, for a thread that serves no request).
func Attach(th *runtime.Thread, src Source) {
	if src == nil {
		delete(th.Local, localKey)
		return
	}
	if th.Local == nil {
		th.Local = map[string]any{}
	}
	th.Local[localKey] = src
}

// Dict is f as SX sees it: {:field :filename :content-type :size :upload}.
func (f *File) Dict() *runtime.Dict {
	d := runtime.NewDict(5)
	d.Set("field", f.Field)
	d.Set("filename", f.Filename)
	d.Set("content-type", f.ContentType)
	d.Set("size", int64(len(f.Data)))
	d.Set("upload", f.Handle)
	return d
}

// Lookup returns the file v names in th's request: v is a file's dict or
// its :upload handle. A handle is only good in the request that made it,
// so a forged or stale one finds nothing.
func Lookup(th *runtime.Thread, v runtime.Value) (*File, bool) {
	if d, ok := v.(*runtime.Dict); ok {
		v, _ = d.Get("upload")
	}
	h, ok := v.(string)
	if !ok || h == "" {
		return nil, false
	}
	src, _ := th.Local[localKey].(Source)
	if src == nil {
		return nil, false
	}
	for _, f := range src.UploadedFiles() {
		if f.Handle == h {
			return f, true
		}
	}
	return nil, false
}
