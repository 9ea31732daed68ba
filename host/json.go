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
func toJSON(buf *bytes.Buffer, v runtime.Value) error { return writeJSON(buf, v, 0) }

func writeJSON(buf *bytes.Buffer, v runtime.Value, depth int) error {
	if depth > runtime.MaxValueDepth {
		return fmt.Errorf("value nested too deeply for JSON")
	}
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case int64:
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			buf.WriteString("null")
		} else {
			buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), x, 'g', -1, 64))
		}
	case *runtime.Decimal:
		buf.Write(x.Append(buf.AvailableBuffer()))
	case string:
		writeJSONString(buf, x)
	case runtime.Keyword:
		writeJSONString(buf, x.Name)
	case *runtime.Symbol:
		writeJSONString(buf, x.Name)
	case runtime.HTML:
		writeJSONString(buf, string(x))
	case time.Time:
		writeJSONString(buf, x.Format(time.RFC3339Nano))
	case *runtime.List:
		buf.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, it, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case *runtime.Dict:
		buf.WriteByte('{')
		for i, k := range x.Keys() {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, k)
			buf.WriteByte(':')
			val, _ := x.Get(k)
			if err := writeJSON(buf, val, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("cannot encode a %s as JSON", runtime.TypeOf(v))
	}
	return nil
}

// writeJSONString writes s as a JSON string, byte for byte as
// encoding/json writes it (which also escapes < > & for safe embedding in
// HTML): plain text, the usual case, is copied as is; the rest is escaped
// here rather than through json.Marshal, which allocated on every call.
// TestJSONStringMatchesEncodingJSON compares the two.
func writeJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case '\b':
				buf.WriteString(`\b`)
			case '\f':
				buf.WriteString(`\f`)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			default:
				buf.WriteString(`\u00`)
				buf.WriteByte(hexDigits[c>>4])
				buf.WriteByte(hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf.WriteString(s[start:i])
			buf.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but line terminators in JavaScript source.
			buf.WriteString(s[start:i])
			buf.WriteString(`\u202`)
			buf.WriteByte(hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
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
