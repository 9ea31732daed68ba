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
		b.WriteString(FormatFloat(x))
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
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(' ')
			}
			WriteKey(b, k)
			b.WriteByte(' ')
			writeValue(b, x.m[k], depth+1)
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

// FormatFloat prints a float in the shortest form that reads back; integral
// values print without a fraction.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		// Integral values print as plain digits (§0.3: 3.0 prints 3); they
		// read back as an int of equal value. Larger ones keep an exponent
		// so that they read back as floats.
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
