package host

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/runtime"
)

// Parameter types a definition may declare, e.g. (&key (id :int) (ids :ids)
// (at :datetime) (limit :int 20) name). A parameter with a type and no
// default is required; an untyped one, or one with a default, is optional.
// Values arrive as strings (query strings, form fields, path segments), as
// decoded JSON, or as SX values (in-process calls); all three coerce alike.
var paramTypes = map[string]string{
	"int":      "an integer",
	"bigint":   "an integer",
	"float":    "a number",
	"number":   "a number",
	"decimal":  "a decimal number",
	"bool":     "true or false",
	"string":   "a string",
	"str":      "a string",
	"ids":      "a list of integer ids",
	"datetime": "an RFC 3339 datetime or a date (YYYY-MM-DD, midnight UTC)",
	"date":     "a date (YYYY-MM-DD)",
	"json":     "JSON data",
	"dict":     "a JSON object",
	"list":     "a JSON array",
	"keyword":  "a name",
	"any":      "any value",
	"file":     "an uploaded file",
}

// paramError is a bad request naming the parameter.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func badParam(name, format string, args ...any) error {
	return &paramError{msg: "parameter " + name + ": " + fmt.Sprintf(format, args...)}
}

// required reports whether p must be given.
func required(p runtime.Param) bool { return p.Type != "" && !p.HasDefault && !p.Rest }

// coerce converts a raw value (string, JSON-decoded or SX) to p's type.
func coerce(p runtime.Param, v runtime.Value) (runtime.Value, error) {
	if v == nil {
		return nil, nil
	}
	want := paramTypes[p.Type]
	switch p.Type {
	case "", "any", "json":
		// Over HTTP, structured arguments arrive as JSON text; an untyped
		// parameter takes an object or array as data (declare :str to
		// receive such text verbatim).
		if s, ok := v.(string); ok && (p.Type == "json" || looksStructured(s)) {
			if d, err := fromJSON([]byte(s)); err == nil {
				return d, nil
			} else if p.Type == "json" {
				return nil, badParam(p.Name, "expected JSON, got %s", describe(v))
			}
		}
		return v, nil
	case "string", "str", "keyword":
		switch x := v.(type) {
		case string:
			return x, nil
		case int64, float64, bool:
			return runtime.Print(x), nil
		case *runtime.Decimal:
			return x.String(), nil
		}
	case "int", "bigint":
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case float64:
			i, ok := runtime.NormalizeFloat(x)
			if !ok || float64(i.(int64)) != x {
				return nil, badParam(p.Name, "expected %s, got %s", want, describe(v))
			}
			n = i.(int64)
		case *runtime.Decimal:
			i, ok := x.Int64()
			if !ok {
				return nil, badParam(p.Name, "expected %s, got %s", want, describe(v))
			}
			n = i
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, nil // blank: not given
			}
			i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, badParam(p.Name, "expected %s, got %s", want, describe(v))
			}
			n = i
		default:
			return nil, badParam(p.Name, "expected %s, got %s", want, describe(v))
		}
		// :int matches PostgreSQL's integer (every id and count of the
		// platform's schema); :bigint is for bigint columns.
		if p.Type == "int" && (n < math.MinInt32 || n > math.MaxInt32) {
			return nil, badParam(p.Name, "%d is out of range (a 32-bit integer; declare :bigint for more)", n)
		}
		return n, nil
	case "float", "number":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				return x, nil
			}
		case *runtime.Decimal:
			// JSON numbers with a fraction arrive as decimals: :number
			// keeps them exact, :float takes the nearest float.
			if p.Type == "number" {
				return x, nil
			}
			return x.Float64(), nil
		case string:
			s := strings.TrimSpace(x)
			if s == "" {
				return nil, nil // blank: not given
			}
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
			// Only finite numbers: ParseFloat also reads "NaN" and "Inf",
			// which no parameter means.
			if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f, nil
			}
		}
	case "decimal":
		return coerceDecimal(p, v)
	case "bool":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "1", "yes", "on":
				return true, nil
			case "false", "0", "no", "off":
				return false, nil
			case "":
				return nil, nil // blank: not given
			}
		}
	case "ids":
		return coerceIDs(p.Name, v)
	case "file":
		return coerceFile(p, v)
	case "datetime":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, nil
			}
			if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(x)); err == nil {
				return t.UTC(), nil
			}
			// A plain date is its midnight UTC.
			if t, err := time.Parse(time.DateOnly, strings.TrimSpace(x)); err == nil {
				return t, nil
			}
		}
	case "date":
		if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
			return nil, nil // blank: not given
		}
		if s, ok := v.(string); ok {
			if t, err := time.Parse("2006-01-02", strings.TrimSpace(s)); err == nil {
				return t, nil
			}
		}
		if t, ok := v.(time.Time); ok {
			return t, nil
		}
	case "dict":
		if d, ok := decodeText(v).(*runtime.Dict); ok {
			return d, nil
		}
	case "list":
		if l, ok := decodeText(v).(*runtime.List); ok {
			return l, nil
		}
	default:
		return nil, fmt.Errorf("parameter %s: unknown type :%s", p.Name, p.Type)
	}
	return nil, badParam(p.Name, "expected %s, got %s", want, describe(v))
}

// coerceDecimal reads a :decimal parameter exactly: decimal text keeps
// its digits and scale ("3.20" is 3.20), ints are exact and a float is the
// decimal it prints as. NaN, infinities and text such as "3,20" or "1e3x"
// are refused.
func coerceDecimal(p runtime.Param, v runtime.Value) (runtime.Value, error) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil // blank: not given
		}
		v = s
		if d, err := runtime.ParseDecimal(s); err == nil {
			return d, nil
		}
	} else if d, ok := runtime.AsDecimal(v); ok {
		return d, nil
	}
	return nil, badParam(p.Name, "expected %s, got %s", paramTypes[p.Type], describe(v))
}

// maxValueDepth bounds how deeply nested a parameter's value may be.
const maxValueDepth = 64

// badText says what is wrong with the text in a raw value — a NUL
// character, invalid UTF-8, nesting beyond maxValueDepth — or returns "".
func badText(v runtime.Value, depth int) string {
	if depth > maxValueDepth {
		return fmt.Sprintf("is nested more than %d levels deep", maxValueDepth)
	}
	check := func(s string) string {
		if strings.IndexByte(s, 0) >= 0 {
			return "contains a NUL character"
		}
		if !utf8.ValidString(s) {
			return "is not valid UTF-8"
		}
		return ""
	}
	switch x := v.(type) {
	case string:
		return check(x)
	case *runtime.List:
		for _, it := range x.Items {
			if why := badText(it, depth+1); why != "" {
				return why
			}
		}
	case *runtime.Dict:
		for _, k := range x.Keys() {
			it, _ := x.Get(k)
			if why := check(k); why != "" {
				return why
			}
			if why := badText(it, depth+1); why != "" {
				return why
			}
		}
	}
	return ""
}

func coerceIDs(name string, v runtime.Value) (runtime.Value, error) {
	var parts []runtime.Value
	switch x := decodeText(v).(type) {
	case string:
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				parts = append(parts, s)
			}
		}
	case *runtime.List:
		parts = x.Items
	case int64:
		parts = []runtime.Value{x}
	default:
		return nil, badParam(name, "expected a list of integer ids, got %s", describe(v))
	}
	out := make([]runtime.Value, 0, len(parts))
	for _, p := range parts {
		switch x := p.(type) {
		case int64:
			out = append(out, x)
			continue
		case string:
			if i, err := strconv.ParseInt(x, 10, 64); err == nil {
				out = append(out, i)
				continue
			}
		case float64:
			if x == float64(int64(x)) {
				out = append(out, int64(x))
				continue
			}
		case *runtime.Decimal:
			if i, ok := x.Int64(); ok {
				out = append(out, i)
				continue
			}
		}
		return nil, badParam(name, "expected a list of integer ids, got %s", describe(p))
	}
	// Ids are PostgreSQL integers: one beyond 32 bits is unknown by
	// construction, and lists skip unknown ids.
	kept := out[:0]
	for _, id := range out {
		if n := id.(int64); n >= math.MinInt32 && n <= math.MaxInt32 {
			kept = append(kept, id)
		}
	}
	return runtime.NewList(kept...), nil
}

// looksStructured reports whether text is a JSON object or array.
func looksStructured(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) > 1 && (s[0] == '{' && s[len(s)-1] == '}' || s[0] == '[' && s[len(s)-1] == ']')
}

// decodeText turns JSON text for an object or array into SX data; any
// other value is returned unchanged.
func decodeText(v runtime.Value) runtime.Value {
	if s, ok := v.(string); ok && looksStructured(s) {
		if d, err := fromJSON([]byte(s)); err == nil {
			return d
		}
	}
	return v
}

func describe(v runtime.Value) string {
	if s, ok := v.(string); ok {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return strconv.Quote(s)
	}
	return runtime.TypeOf(v)
}

// bindParams coerces raw values by the declared parameters and returns the
// keyword arguments for the definition's function. get returns a raw value
// and whether it was present.
func bindParams(params []runtime.Param, get func(name string) (runtime.Value, bool)) ([]runtime.Value, error) {
	args := make([]runtime.Value, 0, 2*len(params))
	for _, p := range params {
		v, ok, err := bindParam(p, get)
		if err != nil {
			return nil, err
		}
		if ok {
			args = append(args, runtime.KeywordArg{Name: p.Name}, v)
		}
	}
	return args, nil
}

// bindParam is bindParams for one parameter: its coerced value and true,
// or false when the request leaves it to its default (a rest parameter
// too).
func bindParam(p runtime.Param, get func(name string) (runtime.Value, bool)) (runtime.Value, bool, error) {
	if p.Rest {
		return nil, false, nil
	}
	raw, ok := get(p.Name)
	if pe, bad := raw.(*paramError); bad {
		return nil, false, pe // a value the request could not carry (requestArg)
	}
	if !ok || raw == nil {
		if required(p) {
			return nil, false, &paramError{msg: "missing parameter " + p.Name}
		}
		return nil, false, nil
	}
	if why := badText(raw, 0); why != "" {
		// PostgreSQL text holds neither, and no parameter means one.
		return nil, false, badParam(p.Name, "%s", why)
	}
	v, err := coerce(p, raw)
	if err != nil {
		return nil, false, err
	}
	if why := badText(v, 0); why != "" {
		// Also after decoding: JSON text escapes a NUL as \u0000.
		return nil, false, badParam(p.Name, "%s", why)
	}
	if v == nil {
		// A blank value (an empty form field): missing, so a required
		// parameter is a 400 and an optional one takes its default.
		if required(p) {
			return nil, false, &paramError{msg: "missing parameter " + p.Name}
		}
		return nil, false, nil
	}
	if str, ok := v.(string); ok && required(p) && strings.TrimSpace(str) == "" {
		return nil, false, badParam(p.Name, "must not be blank")
	}
	return v, true, nil
}

// requestArg returns a request's value for name: a path parameter (the
// page's <name> segment) first, so the query string cannot override what
// the path says, then the query string, then a form field (urlencoded
// or multipart; a multipart file field gives its dict, multipart.go).
func requestArg(ctx *fasthttp.RequestCtx, name string) (runtime.Value, bool) {
	if v, ok := pathArg(ctx, name); ok {
		return v, true
	}
	if v := ctx.QueryArgs().Peek(name); v != nil {
		return string(v), true
	}
	if v := ctx.PostArgs().Peek(name); v != nil {
		return string(v), true
	}
	return formValue(ctx, name) // a multipart body's field or file
}

// pathArg returns the path parameter name. Path segments reach the router
// still percent-encoded and are decoded here, once; a malformed escape is a
// *paramError, which bindParams reports as a 400.
func pathArg(ctx *fasthttp.RequestCtx, name string) (runtime.Value, bool) {
	v, ok := ctx.UserValue(name).(string)
	if !ok {
		return nil, false
	}
	s, err := url.PathUnescape(v)
	if err != nil {
		return badParam(name, "the path segment %s is not valid percent-encoding", describe(v)), true
	}
	return s, true
}
