package runtime

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Print returns v as SX source (§0.13): data prints in a form that reads back
// to an equal value.
func Print(v Value) string {
	var b strings.Builder
	WriteValue(&b, v)
	return b.String()
}

// WriteValue writes the printed form of v to b.
func WriteValue(b *strings.Builder, v Value) { writeValue(b, v, 0) }

// MaxValueDepth bounds recursion over nested values (printing, equality,
// rendering), so that a value built deep at run time cannot exhaust the Go
// stack.
const MaxValueDepth = 10000

func writeValue(b *strings.Builder, v Value, depth int) {
	if depth > MaxValueDepth {
		// Elided: the printer is used outside evaluation too, where an
		// error has nowhere to go.
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("nil")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(PrintFloat(x))
	case *Decimal:
		b.WriteString(x.String())
		b.WriteByte('m')
	case string:
		WriteString(b, x)
	case *Symbol:
		b.WriteString(x.Name)
	case Keyword:
		b.WriteByte(':')
		b.WriteString(x.Name)
	case KeywordArg:
		b.WriteByte(':')
		b.WriteString(x.Name)
	case *List:
		b.WriteByte('(')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeValue(b, it, depth+1)
		}
		b.WriteByte(')')
	case *Dict:
		b.WriteByte('{')
		for i, k := range x.Keys() {
			if i > 0 {
				b.WriteByte(' ')
			}
			WriteKey(b, k)
			b.WriteByte(' ')
			writeValue(b, x.val(k), depth+1)
		}
		b.WriteByte('}')
	case time.Time:
		b.WriteString("#datetime ")
		WriteString(b, x.Format(time.RFC3339Nano))
	case HTML:
		b.WriteString("(raw! ")
		WriteString(b, string(x))
		b.WriteByte(')')
	case *Lambda:
		b.WriteString("<lambda " + x.displayName() + ">")
	case *Primitive:
		b.WriteString("<lambda " + x.Name + ">")
	case *Macro:
		b.WriteString("<macro " + x.Name + ">")
	case *Component:
		b.WriteString("<component " + x.Name + ">")
	case *Definition:
		b.WriteString("<" + x.Kind + " " + x.Name + ">")
	default:
		b.WriteString("<unknown>")
	}
}

// WriteKey writes a dict key: as a keyword when it is a valid keyword name,
// otherwise as a quoted string.
func WriteKey(b *strings.Builder, k string) {
	if IsKeywordName(k) {
		b.WriteByte(':')
		b.WriteString(k)
		return
	}
	WriteString(b, k)
}

// IsKeywordName reports whether ":"+s reads back as the keyword named s.
func IsKeywordName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if isDelimiter(c) || c == utf8.RuneError {
			return false
		}
	}
	return true
}

// IsSymbolName reports whether s printed bare reads back as the symbol
// named s: not empty, no delimiter, not a number, keyword, reader syntax or
// one of the literals true, false and nil.
func IsSymbolName(s string) bool {
	if !IsKeywordName(s) || s[0] == ':' || s[0] == '#' || looksNumeric(s) {
		return false
	}
	switch s {
	case "true", "false", "nil":
		return false
	}
	return true
}

// IsAttrName reports whether s may be written as an HTML attribute name:
// a keyword name without the characters HTML ends a name at (quotes, <, >,
// /, =) or control characters.
func IsAttrName(s string) bool {
	if !IsKeywordName(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || strings.ContainsRune("<>\"'/=`", c) {
			return false
		}
	}
	return true
}

// WriteString writes s double-quoted with escapes, so that it reads back.
func WriteString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if c < 0x20 || c == 0x7f || c == utf8.RuneError {
				b.WriteString(`\u`)
				h := strconv.FormatInt(int64(c), 16)
				b.WriteString(strings.Repeat("0", 4-len(h)))
				b.WriteString(h)
			} else {
				b.WriteRune(c)
			}
		}
	}
	b.WriteByte('"')
}

// FormatFloat is how a float shows as text (str, HTML, attributes): the
// shortest digits that read back to the same float, with no exponent when
// 1e-6 <= |f| < 1e21 and JavaScript's exponent form otherwise (1e-7,
// 1.5e+21), so that the browser runtime prints the same text. Integral
// values have no fraction (3.0 shows 3), -0 shows 0, and the non-finite
// values show as inf, -inf and nan.
func FormatFloat(f float64) string {
	return string(AppendFloat(nil, f))
}

// AppendFloat appends FormatFloat(f) to b.
func AppendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f == 0:
		return append(b, '0')
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	// Go writes at least two exponent digits (1e-07); JavaScript, and so
	// SX, writes as many as needed (1e-7) and always a sign.
	start := len(b)
	b = strconv.AppendFloat(b, f, 'e', -1, 64)
	e := start + strings.IndexByte(string(b[start:]), 'e')
	digits := e + 2 // after "e+" or "e-"
	if b[digits] == '0' && digits+1 < len(b) {
		b = append(b[:digits], b[digits+1:]...)
	}
	return b
}

// PrintFloat is a float as SX source (§0.3, §0.13): FormatFloat for finite
// values, which reads back to the same float (or to an equal int when
// integral), and #inf, #-inf and #nan, which the reader reads back.
func PrintFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "#nan"
	case math.IsInf(f, 1):
		return "#inf"
	case math.IsInf(f, -1):
		return "#-inf"
	}
	return FormatFloat(f)
}
