// Package media stores the images editors upload (issue 16, docs/admin.md
// "Media") and serves them back. An image is kept in a directory
// (MEDIA_DIR) under the sha256 of its bytes: <hash>.<ext> is the original
// as uploaded, <hash>-<width>.<ext> a narrower copy for listings, made with
// golang.org/x/image/draw and never wider than the original. Names are
// content-addressed, so a file never changes once written: it is served
// with a year's immutable caching, and the same bytes uploaded twice give
// the same names and no second copy.
//
// What is accepted is decided by the bytes, never by the browser's file
// name or Content-Type: JPEG, PNG, GIF and WebP (decoded by Go's image
// packages and golang.org/x/image/webp). The pixel dimensions are read from
// the header and refused above the limits before anything is decoded, so a
// small file declaring a huge image (a decompression bomb) costs nothing.
//
// Why a Go primitive: decoding, resizing and encoding images is work for
// compiled code, and the bytes reach it through the upload handle
// (internal/upload) without passing through an SX string.
package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// DefaultDir is where images are kept when MEDIA_DIR is not set: data/media
// under the working directory (`make run` runs from the repository's root).
const DefaultDir = "data/media"

// Config is a store's directory and limits.
type Config struct {
	Dir       string // MEDIA_DIR
	MaxBytes  int    // MEDIA_MAX_BYTES: the largest file accepted
	MaxPixels int    // MEDIA_MAX_PIXELS: width × height
	MaxSide   int    // the longest side, in pixels
	Widths    []int  // the variants' widths, narrowest first
}

// DefaultConfig is 10 MiB, 40 megapixels, 12,000 pixels a side, and
// variants 480 and 960 pixels wide (a listing's card and a post's page on
// a high-density phone).
var DefaultConfig = Config{Dir: DefaultDir, MaxBytes: 10 << 20, MaxPixels: 40_000_000, MaxSide: 12_000, Widths: []int{480, 960}}

// ConfigFromEnv reads MEDIA_DIR, MEDIA_MAX_BYTES and MEDIA_MAX_PIXELS
// through get (nil reads nothing), falling back to DefaultConfig for what
// is unset; a malformed number is reported to warn and left at its default.
func ConfigFromEnv(get func(string) string, warn func(msg string, args ...any)) Config {
	c := DefaultConfig
	c.Widths = append([]int(nil), DefaultConfig.Widths...)
	if get == nil {
		return c
	}
	if d := get("MEDIA_DIR"); d != "" {
		c.Dir = d
	}
	for _, v := range []struct {
		name string
		to   *int
	}{{"MEDIA_MAX_BYTES", &c.MaxBytes}, {"MEDIA_MAX_PIXELS", &c.MaxPixels}} {
		if s := get(v.name); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				*v.to = n
			} else if warn != nil {
				warn("ignoring a malformed media limit", "variable", v.name, "value", s)
			}
		}
	}
	return c
}

// Store keeps images in a directory; safe for concurrent use (every file
// is written under a temporary name and renamed into place).
type Store struct {
	cfg Config
	// decoding admits one image at a time: a 40-megapixel PNG is 160 MB
	// decoded (320 MB at 16 bits a channel), and a task has 512 MiB.
	decoding chan struct{}
}

// New returns a store with cfg (its Widths sorted); the directory is made
// on the first upload.
func New(cfg Config) *Store {
	cfg.Widths = append([]int(nil), cfg.Widths...)
	sort.Ints(cfg.Widths)
	if cfg.Dir == "" {
		cfg.Dir = DefaultDir
	}
	return &Store{cfg: cfg, decoding: make(chan struct{}, 1)}
}

// Config is the store's configuration.
func (s *Store) Config() Config { return s.cfg }

// Error is an upload refused: Status is the HTTP status to answer (400,
// 413 or 415) and Msg says what is wrong and which limit, for the person
// uploading.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func refuse(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Variant is a resized copy of an image.
type Variant struct {
	Name          string // its file name in the directory
	Width, Height int
	Bytes         int
}

// Image is an image stored.
type Image struct {
	Hash          string // sha256 of the original's bytes, hex
	Mime          string // image/jpeg, image/png, image/gif or image/webp
	Name          string // the original's file name: <hash>.<ext>
	Width, Height int
	Bytes         int
	Variants      []Variant // narrowest first; none for an image already narrow
}

// format is an accepted image type.
type format struct {
	mime, ext, label string
	magic            func([]byte) bool
	config           func([]byte) (image.Config, error)
	decode           func([]byte) (image.Image, error)
}

var formats = []format{
	{"image/jpeg", "jpg", "JPEG", func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) },
		func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) },
		func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }},
	{"image/png", "png", "PNG", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) },
		func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) },
		func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }},
	{"image/gif", "gif", "GIF", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	},
		func(b []byte) (image.Config, error) { return gif.DecodeConfig(bytes.NewReader(b)) },
		// The first frame: a listing shows a still.
		func(b []byte) (image.Image, error) { return gif.Decode(bytes.NewReader(b)) }},
	{"image/webp", "webp", "WebP", func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	},
		func(b []byte) (image.Config, error) { return webp.DecodeConfig(bytes.NewReader(b)) },
		func(b []byte) (image.Image, error) { return webp.Decode(bytes.NewReader(b)) }},
}

// Types names the accepted types, for messages and forms.
const Types = "JPEG, PNG, GIF or WebP"

// sniff is the accepted format data is in, by its first bytes.
func sniff(data []byte) (format, bool) {
	for _, f := range formats {
		if f.magic(data) {
			return f, true
		}
	}
	return format{}, false
}

// Put checks data (an uploaded file's bytes) and stores it with its
// variants; a refusal is an *Error and writes nothing. Storing bytes that
// are already stored writes nothing and returns the same Image.
func (s *Store) Put(data []byte) (*Image, error) {
	c := s.cfg
	if len(data) == 0 {
		return nil, refuse(400, "image: the file is empty")
	}
	if len(data) > c.MaxBytes {
		return nil, refuse(413, "image: the file is %s, over the %s limit for an image (MEDIA_MAX_BYTES, %d bytes)",
			size(len(data)), size(c.MaxBytes), c.MaxBytes)
	}
	f, ok := sniff(data)
	if !ok {
		// What it looks like, so the person knows why (a PDF, an SVG …).
		seen := strings.TrimSuffix(strings.SplitN(http.DetectContentType(data), ";", 2)[0], " ")
		return nil, refuse(415, "image: the file is not a %s image (its content is %s)", Types, seen)
	}
	cfg, err := f.config(data)
	if err != nil {
		return nil, refuse(400, "image: the %s file cannot be read: %v", f.label, err)
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 {
		return nil, refuse(400, "image: the %s file says it is %d×%d pixels", f.label, w, h)
	}
	// Checked on the header, before decoding allocates width × height.
	if w > c.MaxSide || h > c.MaxSide || int64(w)*int64(h) > int64(c.MaxPixels) {
		return nil, refuse(413, "image: %d×%d pixels is over the limit of %d pixels a side and %d pixels in all (MEDIA_MAX_PIXELS)",
			w, h, c.MaxSide, c.MaxPixels)
	}
	s.decoding <- struct{}{}
	defer func() { <-s.decoding }()
	src, err := f.decode(data)
	if err != nil {
		return nil, refuse(400, "image: the %s file cannot be decoded: %v", f.label, err)
	}
	sum := sha256.Sum256(data)
	img := &Image{Hash: hex.EncodeToString(sum[:]), Mime: f.mime, Width: w, Height: h, Bytes: len(data)}
	img.Name = img.Hash + "." + f.ext
	type file struct {
		name string
		data []byte
	}
	files := []file{{img.Name, data}}
	// Widest first, each copy made from the one before (or the original):
	// a 960 from a 4000-pixel photo, then the 480 from the 960.
	from := image.Image(src)
	for i := len(c.Widths) - 1; i >= 0; i-- {
		vw := c.Widths[i]
		if vw >= w {
			continue // never upscale
		}
		vh := max(1, (h*vw+w/2)/w)
		v := Variant{Width: vw, Height: vh}
		scaled := scale(from, vw, vh)
		from = scaled
		out, ext, err := encode(scaled, f.mime == "image/jpeg")
		if err != nil {
			return nil, fmt.Errorf("media: resizing %s to %d: %w", img.Name, vw, err)
		}
		v.Name, v.Bytes = fmt.Sprintf("%s-%d.%s", img.Hash, vw, ext), len(out)
		if old, err := os.Stat(filepath.Join(c.Dir, v.Name)); err == nil {
			v.Bytes = int(old.Size()) // made before (by this code, so the same)
		} else {
			files = append(files, file{v.Name, out})
		}
		img.Variants = append([]Variant{v}, img.Variants...)
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	// Variants first: once the original is there, the image is complete.
	for i := len(files) - 1; i >= 0; i-- {
		if err := writeOnce(c.Dir, files[i].name, files[i].data); err != nil {
			return nil, fmt.Errorf("media: %w", err)
		}
	}
	return img, nil
}

// scale is src resized to w×h with Catmull-Rom. A source over twice as
// wide is first halved-or-more with a bilinear pass to 2w×2h: Catmull-Rom's
// kernel widens with the ratio, so a photo straight to 960 costs ten times
// as much, for no difference at that size.
func scale(src image.Image, w, h int) *image.RGBA {
	if b := src.Bounds(); b.Dx() > 2*w && b.Dy() > 2*h {
		mid := image.NewRGBA(image.Rect(0, 0, 2*w, 2*h))
		draw.ApproxBiLinear.Scale(mid, mid.Bounds(), src, b, draw.Src, nil)
		src = mid
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// encode writes a copy: JPEG (quality 85) for a JPEG original or an opaque
// image, else PNG (it keeps transparency). It returns the bytes and their
// extension.
func encode(m *image.RGBA, fromJPEG bool) ([]byte, string, error) {
	var buf bytes.Buffer
	if fromJPEG || m.Opaque() {
		err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 85})
		return buf.Bytes(), "jpg", err
	}
	err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, m)
	return buf.Bytes(), "png", err
}

// writeOnce writes data to dir/name unless it exists: to a temporary file
// in dir, synced, then renamed, so a reader never sees half a file and two
// uploads of the same bytes at once leave one.
func writeOnce(dir, name string, data []byte) error {
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// size writes n bytes for a person: 12.5 MiB, 300 KiB, 900 bytes.
func size(n int) string {
	switch {
	case n >= 1<<20:
		return strings.TrimSuffix(strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64), ".0") + " MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}

// nameRE is a stored file's name: the hash, a variant's width, a type's
// extension. Nothing else is ever served (no dots, slashes or other names).
var nameRE = regexp.MustCompile(`^[0-9a-f]{64}(-[1-9][0-9]{0,4})?\.(jpg|png|gif|webp)$`)

// Mime is the Content-Type of a stored file's name, or "" when name is not
// one the store could have written.
func Mime(name string) string {
	m := nameRE.FindStringSubmatch(name)
	if m == nil {
		return ""
	}
	for _, f := range formats {
		if f.ext == m[2] {
			return f.mime
		}
	}
	return ""
}

// Path is where the file name is, or "" when name is not a stored file's
// name (so a path from a URL can never leave the directory).
func (s *Store) Path(name string) string {
	if Mime(name) == "" {
		return ""
	}
	return filepath.Join(s.cfg.Dir, name)
}
