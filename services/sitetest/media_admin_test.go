package sitetest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/prims/media/mediatest"
)

// The blog's media library (services/blog/admin_media.sx, prims/media) over
// HTTP: uploads stored under their hash with their variants, every refusal
// (size, type, a bomb's header, no CSRF token) writing nothing, who may use
// it, alt text and delete with their audit rows, and how every service
// serves the files.

// mediaPNG is a w×h opaque gradient, different for every call (so tests
// running side by side never upload the same bytes).
func mediaPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	seed := uint8(time.Now().UnixNano())
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), seed, 255})
		}
	}
	m.SetNRGBA(0, 0, color.NRGBA{uint8(time.Now().UnixNano() >> 8), uint8(time.Now().UnixNano() >> 16), 1, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts fields and one file (field image) as multipart/form-data,
// with the visitor's CSRF token unless fields has csrf_token ("" sends
// none).
func (v *visitor) upload(t testing.TB, path string, fields map[string]string, filename, contentType string, data []byte, headers ...string) page {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if _, ok := fields["csrf_token"]; !ok && v.csrf["blog"] != "" {
		w.WriteField("csrf_token", v.csrf["blog"])
	}
	for k, val := range fields {
		if val != "" || k != "csrf_token" {
			w.WriteField(k, val)
		}
	}
	if filename != "" || data != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="image"; filename=%q`, filename))
		h.Set("Content-Type", contentType)
		part, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data)
	}
	w.Close()
	req, err := http.NewRequest("POST", urls["blog"]+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	if c := v.cookies["blog"]; c != "" {
		req.Header.Set("Cookie", c)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return v.shopKeep("blog", page{Status: resp.StatusCode, Header: resp.Header, Body: string(b)})
}

var mediaCreatedRE = regexp.MustCompile(`/admin/media/#media-(\d+)$`)

// mediaUploaded is the id of the image an upload's redirect points at.
func mediaUploaded(t testing.TB, p page) int {
	t.Helper()
	if p.Status != 303 {
		t.Fatalf("upload: status %d, want 303\n%s", p.Status, clip(p.Body))
	}
	m := mediaCreatedRE.FindStringSubmatch(p.Header.Get("Location"))
	if m == nil {
		t.Fatalf("upload: redirect to %q", p.Header.Get("Location"))
	}
	return mustAtoi(t, m[1])
}

// mediaStored counts the files in MEDIA_DIR made from data (named by its
// sha256) and the rows with its hash: other tests upload at the same time,
// so what one test wrote is told by its bytes.
func mediaStored(t testing.TB, data []byte) (files, rows int) {
	t.Helper()
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	es, err := os.ReadDir(mediaDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.HasPrefix(e.Name(), hash) {
			files++
		}
	}
	return files, scalar[int](t, `select count(*) from media where hash = $1`, hash)
}

func TestMediaAdminRefusesOutsiders(t *testing.T) {
	t.Parallel()
	ed := shopStaff(t, "mediaout", false, "editor")
	id := mediaUploaded(t, ed.upload(t, "/admin/media/upload", map[string]string{"alt": "A field"}, "field.png", "image/png", mediaPNG(t, 200, 100)))
	shopRefuses(t, "blog", []shopRoute{
		{"GET", "/admin/media/"}, {"POST", "/admin/media/upload"},
		{"GET", fmt.Sprintf("/admin/media/%d/", id)}, {"POST", fmt.Sprintf("/admin/media/%d", id)},
		{"POST", fmt.Sprintf("/admin/media/%d/delete", id)},
	})
	// An organiser is not an editor; an anonymous upload goes to sign in
	// and writes nothing.
	if st := shopStaff(t, "mediaorg", false, "organiser").get(t, "blog", "/admin/media/").Status; st != 403 {
		t.Fatalf("organiser: %d, want 403", st)
	}
	anonData, memberData := mediaPNG(t, 300, 200), mediaPNG(t, 310, 200)
	a := shopAnon().upload(t, "/admin/media/upload", nil, "x.png", "image/png", anonData)
	if a.Status != 303 || !strings.Contains(a.Header.Get("Location"), "/auth/login?next=") {
		t.Fatalf("anonymous upload: %d %q", a.Status, a.Header.Get("Location"))
	}
	as("ben").upload(t, "/admin/media/upload", nil, "x.png", "image/png", memberData).want(t, "member upload", 403)
	for _, d := range [][]byte{anonData, memberData} {
		if files, rows := mediaStored(t, d); files != 0 || rows != 0 {
			t.Fatalf("a refused visitor's upload wrote %d files, %d rows", files, rows)
		}
	}
}

func TestMediaUpload(t *testing.T) {
	t.Parallel()
	ed := shopStaff(t, "mediaup", false, "editor")
	mine := func() int {
		return scalar[int](t, `select count(*) from media where uploaded_by = (select id from users where slug = $1)`, ed.who)
	}
	data := mediaPNG(t, 1200, 800)
	id := mediaUploaded(t, ed.upload(t, "/admin/media/upload", map[string]string{"alt": "Bean rows in June"}, "beans.png", "image/png", data))
	var hash, mime, fileName, variants, alt, orig string
	var w, h, n int
	if err := db.QueryRow(t.Context(), `select hash, mime, file_name, width, height, bytes, variants::text, alt_text, original_filename
		from media where id = $1`, id).Scan(&hash, &mime, &fileName, &w, &h, &n, &variants, &alt, &orig); err != nil {
		t.Fatal(err)
	}
	if mime != "image/png" || fileName != hash+".png" || w != 1200 || h != 800 || n != len(data) || alt != "Bean rows in June" || orig != "beans.png" {
		t.Fatalf("row: %s %s %d×%d %d %q %q", mime, fileName, w, h, n, alt, orig)
	}
	// The original under its hash, byte for byte; the variants decode to
	// the sizes the row says (an opaque PNG's copies are JPEGs).
	if got, err := os.ReadFile(filepath.Join(mediaDir, fileName)); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("original on disk: %v", err)
	}
	for _, v := range []struct{ w, h int }{{480, 320}, {960, 640}} {
		name := fmt.Sprintf("%s-%d.jpg", hash, v.w)
		if !strings.Contains(variants, `"name": "`+name+`"`) {
			t.Errorf("variants %s lack %s", variants, name)
		}
		f, err := os.Open(filepath.Join(mediaDir, name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := jpeg.Decode(f)
		f.Close()
		if err != nil || m.Bounds().Dx() != v.w || m.Bounds().Dy() != v.h {
			t.Fatalf("%s: %v %v", name, err, m.Bounds())
		}
	}
	if shopAudits(t, "media", id, "media.create") != 1 {
		t.Fatal("upload not audited")
	}
	ed.get(t, "blog", "/admin/media/").want(t, "the library", 200, `id="media-`+fmt.Sprint(id)+`"`, "/media/"+hash+"-480.jpg",
		"/media/"+hash+"-960.jpg", `alt="Bean rows in June"`, "1200×800 PNG", "Uploaded: 1200×800 PNG.")

	ed.get(t, "blog", "/admin/media/?page=9999").want(t, "past the end", 200, "No images on this page", "Newer")

	// The post editor offers it for the feature image.
	ed.get(t, "blog", "/admin/posts/new/").want(t, "the editor's picker", 200, `list="media-choices"`,
		`<option value="/media/`+hash+`-960.jpg">Bean rows in June (1200×800)</option>`, `href="/admin/media/"`)

	// A post published with it: its page shows the copy, and the fediverse
	// gets an absolute address.
	writer := blogEditor(t, "mediawriter")
	slug := fmt.Sprintf("beans-%d", time.Now().UnixNano())
	post := shopCreated(t, writer.post(t, "blog", "/admin/posts/new", url.Values{"title": {"Beans"}, "slug": {slug},
		"feature-image": {"/media/" + hash + "-960.jpg"}, "body": {"Rows."}, "intent": {"publish"}}), "post")
	anon.get(t, "blog", "/"+slug+"/").want(t, "the post", 200, `src="/media/`+hash+`-960.jpg"`)
	anon.get(t, "blog", fmt.Sprintf("/ap/posts/%d", post), "Accept", "application/activity+json").
		want(t, "the Article", 200, `"url":"`+urls["blog"]+`/media/`+hash+`-960.jpg"`)

	// The same bytes again: the same image, no second row or file.
	if files, rows := mediaStored(t, data); files != 3 || rows != 1 {
		t.Fatalf("after the upload: %d files, %d rows", files, rows)
	}
	again := ed.upload(t, "/admin/media/upload", map[string]string{"alt": "Again"}, "copy.png", "image/png", data)
	if files, rows := mediaStored(t, data); mediaUploaded(t, again) != id || files != 3 || rows != 1 || mine() != 1 {
		t.Fatalf("a second upload of the same bytes: %d files, %d rows", files, rows)
	}
	ed.get(t, "blog", "/admin/media/").want(t, "already", 200, "That image is already in the library")

	// Refusals: a 4xx naming what is wrong, and nothing written.
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 11<<20)...)
	var refused [][]byte
	refuse := func(b []byte) []byte { refused = append(refused, b); return b }
	ed.upload(t, "/admin/media/upload", nil, "huge.png", "image/png", refuse(big)).
		want(t, "too big", 413, "over the 10 MiB limit for an image (MEDIA_MAX_BYTES, 10485760 bytes)")
	ed.upload(t, "/admin/media/upload", nil, "photo.png", "image/png", refuse([]byte("%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"))).
		want(t, "a PDF called photo.png", 415, "not a JPEG, PNG, GIF or WebP image (its content is application/pdf)")
	ed.upload(t, "/admin/media/upload", nil, "logo.svg", "image/svg+xml", refuse([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))).
		want(t, "svg", 415, "not a JPEG, PNG, GIF or WebP image")
	ed.upload(t, "/admin/media/upload", nil, "bomb.png", "image/png", refuse(mediatest.BombPNG(60000, 60000))).
		want(t, "a bomb's header", 413, "60000×60000 pixels is over the limit of 12000 pixels a side and 40000000 pixels in all (MEDIA_MAX_PIXELS)")
	ed.upload(t, "/admin/media/upload", map[string]string{"alt": "nothing"}, "", "", nil).
		want(t, "no file", 400, "image: choose a file to upload")
	ed.upload(t, "/admin/media/upload", map[string]string{"alt": strings.Repeat("a", 501)}, "long.png", "image/png", refuse(mediaPNG(t, 300, 200))).
		want(t, "long alt", 400, "alt: must be at most 500 characters")
	ed.upload(t, "/admin/media/upload", map[string]string{"csrf_token": ""}, "nocsrf.png", "image/png", refuse(mediaPNG(t, 600, 400))).
		want(t, "no CSRF token", 403, "CSRF")
	// The runtime (sx.js) gets the refusal as JSON, for its error target.
	js := ed.upload(t, "/admin/media/upload", nil, "photo.gif", "image/gif", refuse([]byte("GIF89a\x01\x00")), "SX-Request", "true", "Accept", "*/*").
		want(t, "runtime refusal", 400, `"error":"image: the GIF file cannot be read`)
	if !strings.HasPrefix(js.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("runtime refusal: %s", js.Header.Get("Content-Type"))
	}
	for i, b := range refused {
		if files, rows := mediaStored(t, b); files != 0 || rows != 0 {
			t.Fatalf("refused upload %d wrote %d files, %d rows", i, files, rows)
		}
	}
	if mine() != 1 {
		t.Fatalf("%d rows after the refusals", mine())
	}
}

func TestMediaAltTextAndDelete(t *testing.T) {
	t.Parallel()
	ed := shopStaff(t, "mediaalt", false, "editor")
	id := mediaUploaded(t, ed.upload(t, "/admin/media/upload", nil, "hall.png", "image/png", mediaPNG(t, 700, 300)))
	path := fmt.Sprintf("/admin/media/%d", id)
	item := ed.get(t, "blog", path+"/").want(t, "the image", 200, "No alt text yet.", "Delete image", "media.create")
	v1 := shopVersion(t, item)
	ed.post(t, "blog", path, url.Values{"version": {v1}, "alt": {strings.Repeat("x", 501)}}).want(t, "long alt", 400, "alt: must be at most 500 characters")
	ed.shopKeep("blog", ed.post(t, "blog", path, url.Values{"version": {v1}, "alt": {"The village hall at dusk"}})).want(t, "save alt", 303)
	ed.post(t, "blog", path, url.Values{"version": {v1}, "alt": {"Stale"}}).want(t, "stale", 409, "changed by someone else")
	if got := scalar[string](t, `select alt_text from media where id = $1`, id); got != "The village hall at dusk" {
		t.Fatalf("alt %q", got)
	}
	if shopAudits(t, "media", id, "media.update") != 1 {
		t.Fatal("alt text not audited once")
	}
	v2 := shopVersion(t, ed.get(t, "blog", path+"/").want(t, "saved", 200, "Alt text saved.", `alt="The village hall at dusk"`))
	ed.post(t, "blog", path+"/delete", url.Values{"version": {v1}}).want(t, "stale delete", 409)
	ed.shopKeep("blog", ed.post(t, "blog", path+"/delete", url.Values{"version": {v2}})).want(t, "delete", 303)
	if !scalar[bool](t, `select deleted_at is not null from media where id = $1`, id) || shopAudits(t, "media", id, "media.delete") != 1 {
		t.Fatal("not deleted, or not audited")
	}
	ed.get(t, "blog", "/admin/media/").want(t, "after delete", 200, "Image deleted from the library.").
		lacks(t, "after delete", fmt.Sprintf(`id="media-%d"`, id))
	ed.get(t, "blog", path+"/").want(t, "deleted image", 404)
	// Its files stay: a post that uses the address still shows it.
	hash := scalar[string](t, `select hash from media where id = $1`, id)
	anon.get(t, "blog", "/media/"+hash+"-480.jpg").want(t, "a deleted image's file", 200)
}

func TestMediaServing(t *testing.T) {
	t.Parallel()
	ed := shopStaff(t, "mediaserve", false, "editor")
	data := mediaPNG(t, 640, 480)
	id := mediaUploaded(t, ed.upload(t, "/admin/media/upload", nil, "serve.png", "image/png", data))
	hash := scalar[string](t, `select hash from media where id = $1`, id)
	os.WriteFile(filepath.Join(mediaDir, "notes.txt"), []byte("not an image"), 0o644)
	// Every service serves them: a blog card shows on market and events
	// pages too.
	for _, service := range []string{"blog", "market", "events"} {
		p := anon.get(t, service, "/media/"+hash+".png").want(t, service+" original", 200)
		if p.Body != string(data) || p.Header.Get("Content-Type") != "image/png" ||
			p.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			p.Header.Get("ETag") != `"`+hash+`.png"` || p.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %d bytes, headers %v", service, len(p.Body), p.Header)
		}
	}
	v := anon.get(t, "blog", "/media/"+hash+"-480.jpg").want(t, "variant", 200)
	if v.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("variant type %q", v.Header.Get("Content-Type"))
	}
	if h := anon.do(t, "HEAD", "blog", "/media/"+hash+".png", nil); h.Status != 200 || h.Body != "" ||
		h.Header.Get("Content-Length") != fmt.Sprint(len(data)) || h.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("HEAD: %d %v", h.Status, h.Header)
	}
	if st := anon.get(t, "blog", "/media/"+hash+".png", "If-None-Match", `"`+hash+`.png"`).Status; st != 304 {
		t.Fatalf("revalidation: %d", st)
	}
	// Unknown names and every way out of the directory are 404s.
	for _, p := range []string{
		"/media/" + strings.Repeat("0", 64) + ".png", "/media/" + hash + "-960.jpg", "/media/" + hash + ".jpg",
		"/media/notes.txt", "/media/..%2fmain_test.go", "/media/%2e%2e%2f%2e%2e%2fgo.mod", "/media/..%5c..%5cgo.mod",
		"/media/" + hash + ".png%00.txt", "/media/.." + "/" + "sitetest/main_test.go",
	} {
		r := anon.get(t, "blog", p)
		if r.Status == 200 || strings.Contains(r.Body, "package sitetest") || strings.Contains(r.Body, "not an image") {
			t.Errorf("%s: %d %s", p, r.Status, clip(r.Body))
		}
	}
}

// mediaScene is a small landscape for the library's screenshots: a sky
// from top to horizon, a sun and two rows of hills, in a palette.
func mediaScene(t testing.TB, w, h int, sky, glow, sun, near, far color.NRGBA) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	mix := func(a, b color.NRGBA, f float64) color.NRGBA {
		l := func(x, y uint8) uint8 { return uint8(float64(x)*(1-f) + float64(y)*f) }
		return color.NRGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := mix(sky, glow, fy/0.7)
			if dx, dy := fx-0.68, (fy-0.42)*float64(h)/float64(w); dx*dx+dy*dy < 0.006 {
				c = sun
			}
			if fy > 0.62-0.08*math.Sin(fx*5.5) {
				c = mix(far, near, (fy-0.55)*0.8)
			}
			if fy > 0.78-0.06*math.Sin(fx*3.1+1.7) {
				c = mix(near, far, (1-fy)*0.6)
			}
			m.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mediaAdminPages are the media library's pages for the accessibility
// test and make screenshots, with three images uploaded by ada (the same
// bytes every time, so a second call adds nothing).
func mediaAdminPages(t *testing.T) []sitePage {
	t.Helper()
	ada := as("ada")
	rgb := func(r, g, b uint8) color.NRGBA { return color.NRGBA{r, g, b, 255} }
	scenes := []struct {
		alt  string
		data []byte
	}{
		{"Sunrise over the allotments, the hills still blue", mediaScene(t, 1280, 800, rgb(70, 110, 170), rgb(250, 200, 140), rgb(255, 240, 200), rgb(47, 93, 80), rgb(90, 120, 150))},
		{"Evening light on the market field", mediaScene(t, 1000, 750, rgb(60, 50, 110), rgb(240, 140, 90), rgb(255, 210, 150), rgb(60, 80, 50), rgb(140, 100, 120))},
		{"", mediaScene(t, 640, 640, rgb(150, 200, 230), rgb(230, 240, 245), rgb(255, 250, 220), rgb(80, 130, 60), rgb(120, 170, 110))},
	}
	id := 0
	for _, s := range scenes {
		p := ada.upload(t, "/admin/media/upload", map[string]string{"alt": s.alt}, "scene.png", "image/png", s.data)
		id = mediaUploaded(t, p)
	}
	return []sitePage{
		{"admin-media", "blog", "/admin/media/", "ada"},
		{"admin-media-image", "blog", fmt.Sprintf("/admin/media/%d/", id), "ada"},
	}
}
