package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rose-ash/sxhost/runtime"
)

// toJSON writes an SX value as JSON: dicts keep their key order, datetimes
// are RFC 3339 strings, keywords and symbols their names, HTML its text,
// decimals numbers with their digits (3.20, as PostgreSQL's to_json).
func toJSON(buf *bytes.Buffer, v runtime.Value) error {
	b, err := appendJSON(buf.AvailableBuffer(), v, 0)
	if err == nil {
		buf.Write(b)
	}
	return err
}

// appendJSON appends v as JSON to b. Appending to a slice, rather than
// writing to a bytes.Buffer byte by byte, keeps a 24-row answer's encoding
// close to encoding/json's on structs.
func appendJSON(b []byte, v runtime.Value, depth int) ([]byte, error) {
	if depth > runtime.MaxValueDepth {
		return b, fmt.Errorf("value nested too deeply for JSON")
	}
	switch x := v.(type) {
	case nil:
		b = append(b, "null"...)
	case bool:
		b = strconv.AppendBool(b, x)
	case int64:
		b = strconv.AppendInt(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		}
	case *runtime.Decimal:
		b = x.Append(b)
	case string:
		b = appendJSONString(b, x)
	case runtime.Keyword:
		b = appendJSONString(b, x.Name)
	case *runtime.Symbol:
		b = appendJSONString(b, x.Name)
	case runtime.HTML:
		b = appendJSONString(b, string(x))
	case time.Time:
		b = appendJSONString(b, x.Format(time.RFC3339Nano))
	case *runtime.List:
		b = append(b, '[')
		for i, it := range x.Items {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, it, depth+1); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	case *runtime.Dict:
		b = append(b, '{')
		first := true
		for k, val := range x.All() {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, val, depth+1); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	default:
		return b, fmt.Errorf("cannot encode a %s as JSON", runtime.TypeOf(v))
	}
	return b, nil
}

// writeJSONString writes s as a JSON string (appendJSONString).
func writeJSONString(buf *bytes.Buffer, s string) {
	buf.Write(appendJSONString(buf.AvailableBuffer(), s))
}

// appendJSONString appends s as a JSON string, byte for byte as
// encoding/json writes it (which also escapes < > & for safe embedding in
// HTML): plain text, the usual case, is copied as is; the rest is escaped
// here rather than through json.Marshal, which allocated on every call.
// TestJSONStringMatchesEncodingJSON compares the two.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but line terminators in JavaScript source.
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// fromJSON decodes JSON into SX values: objects become dicts in document
// order, integral numbers ints, other numbers the decimals of exactly their
// digits, so that a price sent as 3.20 arrives as 3.20 (docs/language.md,
// "Numbers").
func fromJSON(data []byte) (runtime.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeJSON(dec *json.Decoder, depth int) (runtime.Value, error) {
	if depth > 1000 {
		return nil, fmt.Errorf("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			d := runtime.NewDict(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				val, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				d.Set(kt.(string), val)
			}
			_, err := dec.Token()
			return d, err
		case '[':
			items := []runtime.Value{}
			for dec.More() {
				val, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				items = append(items, val)
			}
			_, err := dec.Token()
			return runtime.NewList(items...), err
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, nil
		}
		if d, err := runtime.ParseDecimal(string(t)); err == nil {
			return d, nil
		}
		f, err := t.Float64()
		return f, err
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}
