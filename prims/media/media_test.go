package media

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/prims/media/mediatest"
)

// testImage is a w×h gradient (so a resize has something to average).
func testImage(w, h int, alpha bool) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 40
			}
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 90, a})
		}
	}
	return m
}

func encodePNG(t testing.TB, m image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestPutJPEGMakesVariantsOnce(t *testing.T) {
	dir := t.TempDir()
	s := New(Config{Dir: dir, MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxSide: 4000, Widths: []int{960, 480}})
	data := encodeJPEG(t, testImage(1200, 800, false))
	img, err := s.Put(data)
	if err != nil {
		t.Fatal(err)
	}
	if img.Mime != "image/jpeg" || img.Width != 1200 || img.Height != 800 || img.Bytes != len(data) || len(img.Hash) != 64 {
		t.Fatalf("image %+v", img)
	}
	want := []string{img.Hash + "-480.jpg", img.Hash + "-960.jpg", img.Hash + ".jpg"}
	if got := files(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files %v, want %v", got, want)
	}
	for _, v := range img.Variants {
		b, err := os.ReadFile(filepath.Join(dir, v.Name))
		if err != nil {
			t.Fatal(err)
		}
		c, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil || c.Width != v.Width || c.Height != v.Height || len(b) != v.Bytes {
			t.Fatalf("variant %s: %+v %v, file %d×%d %d bytes", v.Name, v, err, c.Width, c.Height, len(b))
		}
	}
	if img.Variants[0].Width != 480 || img.Variants[0].Height != 320 || img.Variants[1].Height != 640 {
		t.Fatalf("variants %+v", img.Variants)
	}
	// The same bytes again: the same names, nothing new.
	again, err := s.Put(data)
	if err != nil || again.Name != img.Name || len(again.Variants) != 2 || again.Variants[1] != img.Variants[1] {
		t.Fatalf("again: %+v %v", again, err)
	}
	if got := files(t, dir); len(got) != 3 {
		t.Fatalf("after a second upload: %v", got)
	}
}

func TestPutNeverUpscalesAndKeepsTransparency(t *testing.T) {
	dir := t.TempDir()
	s := New(Config{Dir: dir, MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxSide: 4000, Widths: []int{480, 960}})
	// 600 wide: one variant (480); with transparency it stays PNG.
	img, err := s.Put(encodePNG(t, testImage(600, 300, true)))
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Variants) != 1 || img.Variants[0].Name != img.Hash+"-480.png" || img.Variants[0].Height != 240 {
		t.Fatalf("variants %+v", img.Variants)
	}
	b, _ := os.ReadFile(filepath.Join(dir, img.Variants[0].Name))
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := m.At(10, 10).RGBA(); a == 0xffff {
		t.Fatal("the variant lost its transparency")
	}
	// An opaque PNG's variant is a JPEG; a small image has none.
	opaque, err := s.Put(encodePNG(t, testImage(500, 500, false)))
	if err != nil || len(opaque.Variants) != 1 || !strings.HasSuffix(opaque.Variants[0].Name, "-480.jpg") {
		t.Fatalf("opaque: %+v %v", opaque, err)
	}
	small, err := s.Put(encodePNG(t, testImage(300, 200, false)))
	if err != nil || len(small.Variants) != 0 {
		t.Fatalf("small: %+v %v", small, err)
	}
	// A GIF: its first frame is resized.
	var g bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 800, 100), []color.Color{color.Black, color.White})
	if err := gif.Encode(&g, pal, nil); err != nil {
		t.Fatal(err)
	}
	gi, err := s.Put(g.Bytes())
	if err != nil || gi.Mime != "image/gif" || gi.Name != gi.Hash+".gif" || len(gi.Variants) != 1 || gi.Variants[0].Height != 60 {
		t.Fatalf("gif: %+v %v", gi, err)
	}
}

func TestPutRefuses(t *testing.T) {
	dir := t.TempDir()
	s := New(Config{Dir: dir, MaxBytes: 64 << 10, MaxPixels: 1_000_000, MaxSide: 2000, Widths: []int{480}})
	for _, c := range []struct {
		name   string
		data   []byte
		status int
		msg    string
	}{
		{"empty", nil, 400, "image: the file is empty"},
		{"too big", bytes.Repeat([]byte{0xFF}, 65<<10), 413, "over the 64 KiB limit for an image (MEDIA_MAX_BYTES, 65536 bytes)"},
		{"pdf", []byte("%PDF-1.4\n1 0 obj\n"), 415, "not a JPEG, PNG, GIF or WebP image (its content is application/pdf)"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 415, "not a JPEG, PNG, GIF or WebP image"},
		{"text named .png", []byte("hello"), 415, "its content is text/plain"},
		{"bomb", mediatest.BombPNG(50000, 50000), 413, "50000×50000 pixels is over the limit"},
		{"webp bomb", []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x7f\xfe\x9f\x1f\x07\x10\x11\x11\x88\x88\xfe\x07\x00"), 413, "16000×16000 pixels is over the limit"},
		{"wide bomb", mediatest.BombPNG(100000, 1), 413, "100000×1 pixels is over the limit"},
		{"damaged png", []byte("\x89PNG\r\n\x1a\nrubbish"), 400, "image: the PNG file cannot be read"},
		{"truncated data", mediatest.BombPNG(100, 100), 400, "image: the PNG file cannot be decoded"},
	} {
		_, err := s.Put(c.data)
		e, ok := err.(*Error)
		if !ok || e.Status != c.status || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%s: %v, want %d %q", c.name, err, c.status, c.msg)
		}
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("refused files wrote %v", got)
	}
}

// webp1x1 is a lossless WebP of one pixel (x/image decodes WebP; it has
// no encoder to make a larger one here).
const webp1x1 = "RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"

func TestPutWebP(t *testing.T) {
	dir := t.TempDir()
	s := New(Config{Dir: dir, MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxSide: 4000, Widths: []int{480}})
	img, err := s.Put([]byte(webp1x1))
	if err != nil || img.Mime != "image/webp" || img.Name != img.Hash+".webp" || img.Width != 1 || len(img.Variants) != 0 {
		t.Fatalf("%+v %v", img, err)
	}
	if got := files(t, dir); len(got) != 1 || got[0] != img.Name {
		t.Fatalf("files %v", got)
	}
}

func TestNames(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for name, want := range map[string]string{
		h + ".jpg": "image/jpeg", h + "-480.png": "image/png", h + ".webp": "image/webp", h + ".gif": "image/gif",
		h + ".svg": "", h + "-0.jpg": "", "../" + h + ".jpg": "", h[:63] + ".jpg": "", strings.ToUpper(h) + ".jpg": "",
		h + ".jpg/..": "", "..": "", "": "", h + "-480.jpg.png": "", h + "\x00.jpg": "",
	} {
		if got := Mime(name); got != want {
			t.Errorf("Mime(%q) = %q, want %q", name, got, want)
		}
	}
	s := New(Config{Dir: "/srv/media"})
	if s.Path("../etc/passwd") != "" || s.Path(h+".jpg") != "/srv/media/"+h+".jpg" {
		t.Fatal("Path")
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"MEDIA_DIR": "/var/media", "MEDIA_MAX_BYTES": "2048", "MEDIA_MAX_PIXELS": "lots"}
	var warned []string
	c := ConfigFromEnv(func(k string) string { return env[k] }, func(msg string, args ...any) { warned = append(warned, args[1].(string)) })
	if c.Dir != "/var/media" || c.MaxBytes != 2048 || c.MaxPixels != DefaultConfig.MaxPixels || len(warned) != 1 || warned[0] != "MEDIA_MAX_PIXELS" {
		t.Fatalf("%+v %v", c, warned)
	}
	if d := ConfigFromEnv(nil, nil); d.Dir != DefaultDir || d.MaxBytes != 10<<20 {
		t.Fatalf("%+v", d)
	}
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	s := New(Config{Dir: dir, MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxSide: 4000, Widths: []int{480}})
	img, err := s.Put(encodePNG(t, testImage(600, 400, false)))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("no"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if !s.Serve(ctx, strings.TrimPrefix(string(ctx.Path()), "/media/")) {
			ctx.Error("not found", 404)
		}
	}}
	go srv.Serve(ln)
	defer srv.Shutdown()
	base := "http://" + ln.Addr().String() + "/media/"
	get := func(name string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", base+name, nil)
		if len(hdr) == 2 {
			req.Header.Set(hdr[0], hdr[1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get(img.Variants[0].Name)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" || res.Header.Get("Cache-Control") != CacheControl ||
		res.Header.Get("ETag") != `"`+img.Variants[0].Name+`"` || res.Header.Get("X-Content-Type-Options") != "nosniff" || len(body) != img.Variants[0].Bytes {
		t.Fatalf("%d %v %d bytes", res.StatusCode, res.Header, len(body))
	}
	if res := get(img.Name, "If-None-Match", `"`+img.Name+`"`); res.StatusCode != 304 {
		t.Fatalf("revalidation: %d", res.StatusCode)
	}
	for _, name := range []string{"secret.txt", "../media_test.go", "%2e%2e%2fsecret.txt", strings.Repeat("0", 64) + ".png"} {
		if res := get(name); res.StatusCode != 404 {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
	}
}

// Uploads of the same bytes at once: each gets the image, and the
// directory holds its files once, with no temporary file left behind.
func TestPutConcurrently(t *testing.T) {
	dir := t.TempDir()
	s := New(Config{Dir: dir, MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxSide: 4000, Widths: []int{480, 960}})
	data := encodeJPEG(t, testImage(1000, 500, false))
	names := make(chan string, 8)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			img, err := s.Put(data)
			if err != nil {
				errs <- err
				return
			}
			names <- img.Name + " " + img.Variants[1].Name
		}()
	}
	first := ""
	for range 8 {
		select {
		case err := <-errs:
			t.Fatal(err)
		case n := <-names:
			if first == "" {
				first = n
			} else if n != first {
				t.Fatalf("%q and %q", first, n)
			}
		}
	}
	if got := files(t, dir); len(got) != 3 {
		t.Fatalf("files %v", got)
	}
}
