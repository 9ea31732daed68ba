package core

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rose-ash/sxhost/runtime"
)

// JSON encoding and decoding. Dicts keep their key order both ways, which
// encoding/json cannot do for maps, so both directions are written here.

var jsonPrims = []*runtime.Primitive{
	{Name: "json-encode", Params: "(x indent?)", Doc: "x as compact JSON, or indented by indent spaces. Dicts keep their key order, datetimes become RFC 3339 strings, keywords and symbols their names, nil null.", MinArgs: 1, MaxArgs: 2, Fn: jsonEncode},
	{Name: "json-decode", Params: "(s)", Doc: "The value of JSON text s: objects become dicts in text order, integers ints, other numbers floats, null nil.", MinArgs: 1, MaxArgs: 1, Fn: jsonDecode},
}

// maxJSONDepth bounds nesting both ways: deeper input is refused and deeper
// (or cyclic) values cannot be encoded.
const maxJSONDepth = 1000

type jsonWriter struct {
	th     *Thread
	b      strings.Builder
	indent string
}

func jsonEncode(th *Thread, args []Value) Value {
	w := &jsonWriter{th: th}
	if len(args) > 1 && args[1] != nil {
		switch n := args[1].(type) {
		case bool:
			if n {
				w.indent = "  "
			}
		default:
			k := wantInt(th, "json-encode", n)
			if k < 0 || k > 16 {
				th.Fail("json-encode: indent must be between 0 and 16, got %d", k)
			}
			w.indent = strings.Repeat(" ", int(k))
		}
	}
	w.value(args[0], 0)
	return w.b.String()
}

func (w *jsonWriter) newline(depth int) {
	if w.indent == "" {
		return
	}
	w.b.WriteByte('\n')
	for i := 0; i < depth; i++ {
		w.b.WriteString(w.indent)
	}
}

func (w *jsonWriter) value(v Value, depth int) {
	if depth > maxJSONDepth {
		w.th.Fail("json-encode: value nested too deeply (or cyclic)")
	}
	switch x := v.(type) {
	case nil:
		w.b.WriteString("null")
	case bool:
		w.b.WriteString(strconv.FormatBool(x))
	case int64:
		var buf [24]byte
		w.b.Write(strconv.AppendInt(buf[:0], x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			w.th.Fail("json-encode: cannot encode %s", runtime.FormatFloat(x))
		}
		w.b.WriteString(runtime.FormatFloat(x))
	case *runtime.Decimal:
		w.b.WriteString(x.String()) // a number with its digits, as PostgreSQL's to_json
	case string:
		w.str(x)
	case runtime.Keyword:
		w.str(x.Name)
	case *runtime.Symbol:
		w.str(x.Name)
	case runtime.HTML:
		w.str(string(x))
	case time.Time:
		w.str(x.Format(time.RFC3339Nano))
	case *runtime.List:
		if len(x.Items) == 0 {
			w.b.WriteString("[]")
			return
		}
		w.b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.newline(depth + 1)
			w.value(it, depth+1)
		}
		w.newline(depth)
		w.b.WriteByte(']')
	case *runtime.Dict:
		if x.Len() == 0 {
			w.b.WriteString("{}")
			return
		}
		w.b.WriteByte('{')
		for i, k := range x.Keys() {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.newline(depth + 1)
			w.str(k)
			w.b.WriteByte(':')
			if w.indent != "" {
				w.b.WriteByte(' ')
			}
			val, _ := x.Get(k)
			w.value(val, depth+1)
		}
		w.newline(depth)
		w.b.WriteByte('}')
	default:
		w.th.Fail("json-encode: cannot encode a %s", runtime.TypeOf(v))
	}
}

const hexDigits = "0123456789abcdef"

// str writes s as a JSON string. Invalid UTF-8 becomes U+FFFD; U+2028 and
// U+2029 are escaped so the output is also safe inside a <script>.
func (w *jsonWriter) str(s string) {
	b := &w.b
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b.WriteString(s[start:i])
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// jsonReader is a recursive-descent JSON parser over a string.
type jsonReader struct {
	th  *Thread
	s   string
	pos int
}

func jsonDecode(th *Thread, args []Value) Value {
	if args[0] == nil {
		return nil
	}
	r := &jsonReader{th: th, s: wantString(th, "json-decode", args[0])}
	r.space()
	v := r.value(0)
	r.space()
	if r.pos < len(r.s) {
		r.fail("unexpected text after the value")
	}
	return v
}

func (r *jsonReader) fail(msg string) {
	r.th.Fail("json-decode: %s at offset %d", msg, r.pos)
}

func (r *jsonReader) space() {
	for r.pos < len(r.s) {
		switch r.s[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *jsonReader) value(depth int) Value {
	if depth > maxJSONDepth {
		r.fail("nesting too deep")
	}
	if r.pos >= len(r.s) {
		r.fail("unexpected end of input")
	}
	switch c := r.s[r.pos]; {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		return r.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	case strings.HasPrefix(r.s[r.pos:], "true"):
		r.pos += 4
		return true
	case strings.HasPrefix(r.s[r.pos:], "false"):
		r.pos += 5
		return false
	case strings.HasPrefix(r.s[r.pos:], "null"):
		r.pos += 4
		return nil
	}
	r.fail("unexpected character " + strconv.QuoteRune(r.peekRune()))
	return nil
}

func (r *jsonReader) peekRune() rune {
	c, _ := utf8.DecodeRuneInString(r.s[r.pos:])
	return c
}

// expect consumes c after optional whitespace, or fails.
func (r *jsonReader) expect(c byte, what string) {
	r.space()
	if r.pos >= len(r.s) || r.s[r.pos] != c {
		r.fail("expected " + what)
	}
	r.pos++
}

func (r *jsonReader) object(depth int) Value {
	r.pos++ // {
	d := runtime.NewDict(4)
	r.space()
	if r.pos < len(r.s) && r.s[r.pos] == '}' {
		r.pos++
		return d
	}
	for {
		r.space()
		if r.pos >= len(r.s) || r.s[r.pos] != '"' {
			r.fail("expected a string key")
		}
		k := r.str()
		r.expect(':', "':'")
		r.space()
		d.Set(k, r.value(depth+1))
		r.space()
		if r.pos < len(r.s) && r.s[r.pos] == ',' {
			r.pos++
			continue
		}
		r.expect('}', "',' or '}'")
		return d
	}
}

func (r *jsonReader) array(depth int) Value {
	r.pos++ // [
	items := []Value{}
	r.space()
	if r.pos < len(r.s) && r.s[r.pos] == ']' {
		r.pos++
		return list(items)
	}
	for {
		r.space()
		items = append(items, r.value(depth+1))
		r.space()
		if r.pos < len(r.s) && r.s[r.pos] == ',' {
			r.pos++
			continue
		}
		r.expect(']', "',' or ']'")
		return list(items)
	}
}

func (r *jsonReader) number() Value {
	start := r.pos
	s := r.s
	digits := func() int {
		n := 0
		for r.pos < len(s) && s[r.pos] >= '0' && s[r.pos] <= '9' {
			r.pos++
			n++
		}
		return n
	}
	if s[r.pos] == '-' {
		r.pos++
	}
	intStart := r.pos
	if digits() == 0 {
		r.fail("invalid number")
	}
	if s[intStart] == '0' && r.pos-intStart > 1 {
		r.pos = intStart
		r.fail("invalid number: leading zero")
	}
	isFloat := false
	if r.pos < len(s) && s[r.pos] == '.' {
		isFloat = true
		r.pos++
		if digits() == 0 {
			r.fail("invalid number: digits expected after '.'")
		}
	}
	if r.pos < len(s) && (s[r.pos] == 'e' || s[r.pos] == 'E') {
		isFloat = true
		r.pos++
		if r.pos < len(s) && (s[r.pos] == '+' || s[r.pos] == '-') {
			r.pos++
		}
		if digits() == 0 {
			r.fail("invalid number: digits expected in exponent")
		}
	}
	text := s[start:r.pos]
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
		// Too large for an int: fall back to a float, as JavaScript would.
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(f, 0) {
		r.fail("invalid number")
	}
	if math.IsInf(f, 0) {
		r.pos = start
		r.fail("number out of range")
	}
	return f
}

func (r *jsonReader) str() string {
	r.pos++ // opening quote
	start := r.pos
	// Fast path: no escapes and valid UTF-8.
	high := false
	for r.pos < len(r.s) {
		c := r.s[r.pos]
		if c == '"' {
			s := r.s[start:r.pos]
			if high && !utf8.ValidString(s) {
				break
			}
			r.pos++
			return s
		}
		if c == '\\' || c < 0x20 {
			break
		}
		high = high || c >= utf8.RuneSelf
		r.pos++
	}
	// Slow path from the start: only the escape-free, valid prefix may be
	// copied as is.
	prefix := r.s[start:r.pos]
	if high {
		prefix = prefix[:0]
	}
	r.pos = start + len(prefix)
	var b strings.Builder
	b.WriteString(prefix)
	for {
		if r.pos >= len(r.s) {
			r.fail("unterminated string")
		}
		c := r.s[r.pos]
		switch {
		case c == '"':
			r.pos++
			return b.String()
		case c < 0x20:
			r.fail("control character in string")
		case c >= utf8.RuneSelf:
			// Invalid UTF-8 becomes U+FFFD, as the encoder writes it.
			cp, size := utf8.DecodeRuneInString(r.s[r.pos:])
			b.WriteRune(cp)
			r.pos += size
			continue
		case c != '\\':
			b.WriteByte(c)
			r.pos++
			continue
		}
		r.pos++ // backslash
		if r.pos >= len(r.s) {
			r.fail("unterminated string")
		}
		e := r.s[r.pos]
		r.pos++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			cp := r.hex4()
			if utf16.IsSurrogate(cp) && strings.HasPrefix(r.s[r.pos:], `\u`) {
				save := r.pos
				r.pos += 2
				if lo := r.hex4(); utf16.DecodeRune(cp, lo) != utf8.RuneError {
					cp = utf16.DecodeRune(cp, lo)
				} else {
					r.pos = save
				}
			}
			b.WriteRune(cp) // a lone surrogate becomes U+FFFD
		default:
			r.pos -= 2
			r.fail("invalid escape in string")
		}
	}
}

func (r *jsonReader) hex4() rune {
	if r.pos+4 > len(r.s) {
		r.fail("invalid \\u escape")
	}
	n, err := strconv.ParseUint(r.s[r.pos:r.pos+4], 16, 32)
	if err != nil {
		r.fail("invalid \\u escape")
	}
	r.pos += 4
	return rune(n)
}

// EncodeJSON is json-encode without indentation, for primitives of other
// packages that sign or send JSON (prims/signing): the same bytes, the
// dict's key order kept.
func EncodeJSON(th *Thread, v Value) string {
	w := &jsonWriter{th: th}
	w.value(v, 0)
	return w.b.String()
}

// DecodeJSON is json-decode of s.
func DecodeJSON(th *Thread, s string) Value { return jsonDecode(th, []Value{s}) }
