package host

import (
	"bytes"
	"encoding/json"
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
