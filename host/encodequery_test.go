package host

import (
	"bytes"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// encodeQueryReference is encodeQuery as it was: through url.Values.
func encodeQueryReference(raw map[string]runtime.Value) string {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	q := url.Values{}
	for _, k := range keys {
		switch v := raw[k].(type) {
		case nil:
		case string:
			q.Set(k, v)
		case time.Time:
			q.Set(k, v.Format(time.RFC3339Nano))
		case *runtime.Decimal:
			q.Set(k, v.String())
		case *runtime.List, *runtime.Dict:
			var buf bytes.Buffer
			if err := toJSON(&buf, v); err == nil {
				q.Set(k, buf.String())
			}
		default:
			q.Set(k, runtime.Print(v))
		}
	}
	return q.Encode()
}

// encodeQuery (fragment cache keys, internal calls) writes what url.Values
// wrote, for every kind of value and names that need escaping.
func TestEncodeQueryMatchesURLValues(t *testing.T) {
	d, _ := runtime.ParseDecimal("3.20")
	for _, raw := range []map[string]runtime.Value{
		{},
		{"next": "/blog?x=1&y=2", "user-id": int64(7), "email": nil},
		{"z": true, "a b": "é & ü", "m": d, "t": time.Date(2026, 12, 5, 1, 2, 3, 4, time.UTC)},
		{"ids": runtime.NewList(int64(1), int64(2)), "f": 2.5, "k": runtime.Keyword{Name: "x"}, "s": "+%="},
		{"1": "a", "10": "b", "2": "c", "a": "d", "A": "e", "b": "f", "c": "g", "d": "h", "e": "i"},
	} {
		if got, want := encodeQuery(raw), encodeQueryReference(raw); got != want {
			t.Errorf("%v:\n got  %q\n want %q", raw, got, want)
		}
	}
}
