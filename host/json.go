package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

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
		buf.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			buf.WriteString("null")
		} else {
			buf.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case *runtime.Decimal:
		buf.WriteString(x.String())
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

// writeJSONString writes s as a JSON string. Plain text (the usual case)
// is copied as is; anything that needs escaping goes through encoding/json,
// which also escapes < > & for safe embedding in HTML.
func writeJSONString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			buf.Write(b)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

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
