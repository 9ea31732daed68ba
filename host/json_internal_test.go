package host

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
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

// BenchmarkJSONRows24 encodes a 24-row answer (id, name with some escaping,
// numeric price) as sxhost does (sx) and as encoding/json does from
// structs (peer), for the query-path figures in docs/benchmarks.md.
func BenchmarkJSONRows24(b *testing.B) {
	type product struct {
		ID    int64       `json:"id"`
		Name  string      `json:"name"`
		Price json.Number `json:"price"`
	}
	var ps []product
	var rows []runtime.Value
	for i := range 24 {
		name := "Product " + strconv.Itoa(i)
		if i%10 == 0 {
			name = `Widget "` + strconv.Itoa(i) + `" <Deluxe> & Co`
		}
		price := strconv.Itoa(i*37%1000) + ".20"
		ps = append(ps, product{int64(i), name, json.Number(price)})
		d, _ := runtime.ParseDecimal(price)
		rows = append(rows, runtime.NewDictOf([]string{"id", "name", "price"}, []runtime.Value{int64(i), name, d}))
	}
	list := runtime.NewList(rows...)
	want, _ := json.Marshal(ps)
	var buf bytes.Buffer
	if err := toJSON(&buf, list); err != nil || buf.String() != string(want) {
		b.Fatalf("%v\n%s\n%s", err, buf.String(), want)
	}
	b.Run("sx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			toJSON(&buf, list)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(ps)
		}
	})
}
