package host_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// uploadService echoes what a multipart post brought: fields as
// parameters, the file as a :file parameter and through (request-files).
const uploadService = `
(defservice up :title "Uploads")
(defpage form :path "/" :content (p :id "tok" (csrf-token)))
(defroute upload :path "/upload" :method :post (&key (title :str) (image :file) note)
  (str title "|" (get image :field) "|" (get image :filename) "|" (get image :content-type) "|"
       (get image :size) "|" (len (request-files)) "|" (len (request-files "other")) "|" (or note "-")))
(defroute optional :path "/optional" :method :post (&key title image)
  (str title "|" (if image (get image :filename) "no file") "|" (len (request-files))))
(defpage page-post :path "/page" :method :post :content (p :id "got" (str "page " (request-arg "title"))))
(defroute hook :path "/hook" :method :post :csrf false (&key name (doc :file)) (str "hook " name " " (get doc :size)))
`

// session starts a session on s and returns its cookie header and CSRF
// token.
func uploadSession(t *testing.T, base string) (cookie, token string) {
	t.Helper()
	r := get(t, base+"/")
	m := regexp.MustCompile(`<p id="tok">([0-9a-f]+)</p>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no token: %s", r.Body)
	}
	var cookies []string
	for _, c := range r.Header.Values("Set-Cookie") {
		cookies = append(cookies, strings.SplitN(c, ";", 2)[0])
	}
	return strings.Join(cookies, "; "), m[1]
}

// formPart is one part of a multipart body: a field, or a file when
// filename is set.
type formPart struct {
	name, value string
	filename    string
	ctype       string
}

// multipartBody encodes parts; it returns the body and its Content-Type.
func multipartBody(t testing.TB, parts ...formPart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.filename == "" && p.ctype == "" {
			w.WriteField(p.name, p.value)
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
		if p.ctype != "" {
			h.Set("Content-Type", p.ctype)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write([]byte(p.value))
	}
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestMultipartFieldsAndFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // nothing may be written there
	s, _, _ := startService(t, uploadService, host.Options{})
	cookie, tok := uploadSession(t, s.URL)
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("x", 5000)

	body, ct := multipartBody(t, formPart{name: "csrf_token", value: tok}, formPart{name: "title", value: "Héllo"},
		formPart{name: "image", value: png, filename: "../../etc/cat.png", ctype: "image/png"},
		formPart{name: "other", value: "abc", filename: "b.txt"})
	r := do(t, "POST", s.URL+"/upload", body, "Content-Type", ct, "Cookie", cookie)
	wantStatus(t, r, 200, "a multipart upload")
	if want := "Héllo|image|cat.png|image/png|5008|2|1|-"; r.Body != want {
		t.Errorf("upload saw %q, want %q", r.Body, want)
	}

	// The token may travel as a header instead of a field.
	body, ct = multipartBody(t, formPart{name: "title", value: "h"}, formPart{name: "image", value: "x", filename: "x.bin"})
	r = do(t, "POST", s.URL+"/upload", body, "Content-Type", ct, "Cookie", cookie, "X-CSRF-Token", tok)
	if want := "h|image|x.bin|application/octet-stream|1|1|0|-"; r.Status != 200 || r.Body != want {
		t.Errorf("token in the header: %s, want %q", r, want)
	}

	// A page takes multipart fields too.
	body, ct = multipartBody(t, formPart{name: "csrf_token", value: tok}, formPart{name: "title", value: "on a page"})
	r = do(t, "POST", s.URL+"/page", body, "Content-Type", ct, "Cookie", cookie)
	if r.Status != 200 || !strings.Contains(r.Body, `<p id="got">page on a page</p>`) {
		t.Errorf("a page's multipart post: %s", r)
	}

	// An empty file input is no file; a required :file is then missing.
	body, ct = multipartBody(t, formPart{name: "csrf_token", value: tok}, formPart{name: "title", value: "t"},
		formPart{name: "image", value: "", filename: "", ctype: "application/octet-stream"})
	r = do(t, "POST", s.URL+"/upload", body, "Content-Type", ct, "Cookie", cookie)
	wantJSONError(t, r, 400, "an empty file input", "missing parameter image")
	r = do(t, "POST", s.URL+"/optional", body, "Content-Type", ct, "Cookie", cookie)
	if r.Status != 200 || r.Body != "t|no file|0" {
		t.Errorf("optional file left empty: %s", r)
	}

	// A text field cannot stand in for a file.
	body, ct = multipartBody(t, formPart{name: "csrf_token", value: tok}, formPart{name: "title", value: "t"},
		formPart{name: "image", value: "not a file"})
	r = do(t, "POST", s.URL+"/upload", body, "Content-Type", ct, "Cookie", cookie)
	wantJSONError(t, r, 400, "a text field for a :file parameter", "parameter image", "uploaded file")
	// Nor can a query-string value.
	r = do(t, "POST", s.URL+"/upload?image=x&title=t", nil, "Cookie", cookie, "X-CSRF-Token", tok)
	wantJSONError(t, r, 400, "a query value for a :file parameter", "parameter image")

	// :csrf false routes take multipart bodies without a token.
	body, ct = multipartBody(t, formPart{name: "name", value: "n"}, formPart{name: "doc", value: "12345", filename: "d"})
	r = do(t, "POST", s.URL+"/hook", body, "Content-Type", ct)
	if r.Status != 200 || r.Body != "hook n 5" {
		t.Errorf(":csrf false multipart: %s", r)
	}

	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("uploads left files in TMPDIR: %v", ents)
	}
}

func TestMultipartCSRF(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, uploadService, host.Options{})
	cookie, tok := uploadSession(t, s.URL)
	file := formPart{name: "image", value: "x", filename: "x"}
	for _, c := range []struct {
		what  string
		parts []formPart
		hdrs  []string
	}{
		{"no token", []formPart{{name: "title", value: "t"}, file}, []string{"Cookie", cookie}},
		{"a wrong token", []formPart{{name: "csrf_token", value: tok + "0"}, {name: "title", value: "t"}, file}, []string{"Cookie", cookie}},
		{"no session", []formPart{{name: "csrf_token", value: tok}, {name: "title", value: "t"}, file}, nil},
		{"the token as a file", []formPart{{name: "csrf_token", value: tok, filename: "t"}, {name: "title", value: "t"}, file}, []string{"Cookie", cookie}},
	} {
		body, ct := multipartBody(t, c.parts...)
		r := do(t, "POST", s.URL+"/upload", body, append([]string{"Content-Type", ct}, c.hdrs...)...)
		wantJSONError(t, r, 403, c.what, "CSRF")
	}
}

func TestMultipartLimits(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SX_MAX_UPLOAD": "200000", "SX_MAX_UPLOAD_FILE": "100000"}
	s, _, _ := startService(t, uploadService, host.Options{Getenv: func(k string) string { return env[k] }})
	cookie, tok := uploadSession(t, s.URL)
	post := func(size int) response {
		body, ct := multipartBody(t, formPart{name: "csrf_token", value: tok}, formPart{name: "title", value: "t"},
			formPart{name: "image", value: strings.Repeat("a", size), filename: "big.jpg"})
		return do(t, "POST", s.URL+"/upload", body, "Content-Type", ct, "Cookie", cookie)
	}
	if r := post(100000); r.Status != 200 || !strings.Contains(r.Body, "|100000|") {
		t.Errorf("a file of exactly the limit: %s", r)
	}
	wantJSONError(t, post(100001), 413, "a file one byte over", "file field image", "big.jpg", "100000")
	// A body over SX_MAX_UPLOAD is refused from its head: written on a raw
	// connection, since the server answers before reading it.
	body, ct := multipartBody(t, formPart{name: "image", value: strings.Repeat("a", 300000), filename: "big.jpg"})
	status, msg := rawPostWith(t, s.URL, "/upload", body, "Content-Type", ct, "Cookie", cookie)
	if status != 413 || !strings.Contains(msg, "200000") || !strings.Contains(msg, "SX_MAX_UPLOAD") {
		t.Errorf("a body over SX_MAX_UPLOAD: %d %s", status, msg)
	}
	// The public limit still holds for other bodies.
	r := do(t, "POST", s.URL+"/upload", []byte("title="+strings.Repeat("a", 100<<10)), "Content-Type", "application/x-www-form-urlencoded", "Cookie", cookie)
	wantJSONError(t, r, 413, "a large urlencoded body", "65536")
	// Too many parts.
	parts := []formPart{{name: "csrf_token", value: tok}}
	for i := 0; i < 1001; i++ {
		parts = append(parts, formPart{name: "f", value: "v"})
	}
	body, ct = multipartBody(t, parts...)
	wantJSONError(t, do(t, "POST", s.URL+"/upload", body, "Content-Type", ct, "Cookie", cookie), 413, "too many parts", "parts")
	// An HTML client gets the same refusal as a page.
	body, ct = multipartBody(t, formPart{name: "image", value: strings.Repeat("a", 100001), filename: "big.jpg"})
	r = do(t, "POST", s.URL+"/upload", body, "Content-Type", ct, "Cookie", cookie, "Accept", "text/html")
	if r.Status != 413 || !strings.Contains(r.Body, "file field image") {
		t.Errorf("HTML refusal: %s", r)
	}
}

// Malformed bodies are 400s saying what is wrong, never a 500 or a hang.
func TestMultipartMalformed(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, uploadService, host.Options{})
	cookie, tok := uploadSession(t, s.URL)
	good, goodCT := multipartBody(t, formPart{name: "csrf_token", value: tok}, formPart{name: "title", value: "t"},
		formPart{name: "image", value: "data", filename: "a.png"})
	ct, boundary := goodCT, strings.TrimPrefix(goodCT, "multipart/form-data; boundary=")
	for _, c := range []struct {
		what, ctype string
		body        []byte
		want        string
	}{
		{"no boundary", "multipart/form-data", good, "no boundary"},
		{"a bad media type", "multipart/form-data; boundary", good, "malformed multipart"},
		{"a wrong boundary", "multipart/form-data; boundary=nope", good, "malformed multipart"},
		{"truncated", ct, good[:len(good)-20], "malformed multipart"},
		{"no closing boundary", ct, bytes.TrimSuffix(good, []byte("--"+boundary+"--\r\n")), "malformed multipart"},
		{"garbage", ct, []byte("\x00\xff garbage"), "malformed multipart"},
		{"empty", ct, []byte{}, "malformed multipart"},
		{"a part without a blank line", ct, []byte("--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n" + "x"), "malformed multipart"},
	} {
		r := do(t, "POST", s.URL+"/upload", c.body, "Content-Type", c.ctype, "Cookie", cookie)
		wantJSONError(t, r, 400, c.what, c.want)
	}
	// Invalid UTF-8 in a field is a 400 naming the field.
	body, ct := multipartBody(t, formPart{name: "csrf_token", value: tok}, formPart{name: "title", value: "\xff\xfe"},
		formPart{name: "image", value: "d", filename: "a"})
	wantJSONError(t, do(t, "POST", s.URL+"/upload", body, "Content-Type", ct, "Cookie", cookie), 400, "bad UTF-8", "parameter title")
	// Still serving.
	wantStatus(t, do(t, "POST", s.URL+"/upload", good, "Content-Type", goodCT, "Cookie", cookie), 200, "a good upload after bad ones")
}

// rawPostWith posts body on a plain TCP connection with headers (name/value
// pairs) and reads the answer; the body is written from a goroutine, as
// the server may answer (413) before reading it (see rawPost).
func rawPostWith(t *testing.T, base, path string, body []byte, headers ...string) (int, string) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", path, addr, len(body))
	for i := 0; i+1 < len(headers); i += 2 {
		head += headers[i] + ": " + headers[i+1] + "\r\n"
	}
	go func() {
		conn.Write([]byte(head + "\r\n"))
		conn.Write(body)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to a %d-byte body: %v", len(body), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
