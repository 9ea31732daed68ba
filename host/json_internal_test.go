package host

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// The fast path for plain strings must write exactly what encoding/json
// writes.
func TestWriteJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain text 123", "quote \" here", `back\slash`, "tab\tnew\nline",
		"<script>&amp;", "caf\u00e9", "line\u2028sep", "bad \xff byte", "\x00\x1f"} {
		var buf bytes.Buffer
		writeJSONString(&buf, s)
		want, _ := json.Marshal(s)
		if buf.String() != string(want) {
			t.Errorf("%q: wrote %s, want %s", s, buf.String(), want)
		}
	}
}

// TestJSONStringMatchesEncodingJSON: writeJSONString writes exactly what
// encoding/json writes, on random strings over every character class it
// treats specially (quotes, backslash, < > &, control characters, DEL,
// invalid UTF-8, U+2028 and U+2029, multi-byte text).
func TestJSONStringMatchesEncodingJSON(t *testing.T) {
	pieces := []string{"a", "Z", " ", "\"", "\\", "<", ">", "&", "\b", "\f", "\n", "\r", "\t", "\x00", "\x01", "\x1f",
		"\x7f", "é", "日本", "😀", "\u2028", "\u2029", "\xff", "\xe2\x80", "\xed\xa0\x80", "'", "/", "+"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		want, _ := json.Marshal(s)
		var got bytes.Buffer
		writeJSONString(&got, s)
		if got.String() != string(want) {
			t.Fatalf("%q: wrote %s, encoding/json %s", s, got.String(), want)
		}
	}
}
