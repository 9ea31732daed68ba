package media

// The SX primitives: media/store turns an uploaded file into stored files
// and a description; media/limits tells a form what is accepted.

import (
	"errors"

	"github.com/rose-ash/sxhost/internal/upload"
	"github.com/rose-ash/sxhost/runtime"
)

// URLPrefix is the path stored files are served under: /media/<name>.
const URLPrefix = "/media/"

// Dict is img as SX sees it: {:hash :mime :name :url :width :height :bytes
// :variants ({:name :url :width :height :bytes} …)}.
func (img *Image) Dict() *runtime.Dict {
	vs := make([]runtime.Value, len(img.Variants))
	for i, v := range img.Variants {
		d := runtime.NewDict(5)
		d.Set("name", v.Name)
		d.Set("url", URLPrefix+v.Name)
		d.Set("width", int64(v.Width))
		d.Set("height", int64(v.Height))
		d.Set("bytes", int64(v.Bytes))
		vs[i] = d
	}
	d := runtime.NewDict(8)
	d.Set("hash", img.Hash)
	d.Set("mime", img.Mime)
	d.Set("name", img.Name)
	d.Set("url", URLPrefix+img.Name)
	d.Set("width", int64(img.Width))
	d.Set("height", int64(img.Height))
	d.Set("bytes", int64(img.Bytes))
	d.Set("variants", runtime.NewList(vs...))
	return d
}

// Primitives are the package's SX primitives over store.
func Primitives(store *Store) []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "media/store", Params: "(file)", IO: true,
			Doc:     "Stores an uploaded image (file: a :file parameter's dict or its :upload handle) in MEDIA_DIR under the sha256 of its bytes, with narrower copies for listings (480 and 960 pixels wide, never wider than the original). The type is read from the bytes: JPEG, PNG, GIF or WebP. Returns {:hash :mime :name :url :width :height :bytes :variants ({:name :url :width :height :bytes} …)}; the same bytes give the same names and no second copy. A refused file writes nothing and returns {:error message :status n}: 400 (empty or damaged), 413 (over MEDIA_MAX_BYTES, or over MEDIA_MAX_PIXELS by its header, before decoding) or 415 (not an accepted type).",
			MinArgs: 1, MaxArgs: 1,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				f, ok := upload.Lookup(th, a[0])
				if !ok {
					th.Fail("media/store expects a file uploaded with this request, got %s", runtime.TypeOf(a[0]))
				}
				img, err := store.Put(f.Data)
				var refused *Error
				if errors.As(err, &refused) {
					d := runtime.NewDict(2)
					d.Set("error", refused.Msg)
					d.Set("status", int64(refused.Status))
					return d
				}
				if err != nil {
					th.Fail("%v", err)
				}
				return img.Dict()
			}},
		{Name: "media/limits", Params: "()",
			Doc: "What media/store accepts: {:types \"JPEG, PNG, GIF or WebP\" :accept (for a file input's accept) :max-bytes :max-pixels :max-side :widths (the variants' widths)}.",
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				c := store.Config()
				ws := make([]runtime.Value, len(c.Widths))
				for i, w := range c.Widths {
					ws[i] = int64(w)
				}
				d := runtime.NewDict(6)
				d.Set("types", Types)
				d.Set("accept", "image/jpeg,image/png,image/gif,image/webp")
				d.Set("max-bytes", int64(c.MaxBytes))
				d.Set("max-pixels", int64(c.MaxPixels))
				d.Set("max-side", int64(c.MaxSide))
				d.Set("widths", runtime.NewList(ws...))
				return d
			}},
	}
}
