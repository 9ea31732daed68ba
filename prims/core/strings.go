package core

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/rose-ash/sxhost/runtime"
)

// String primitives. Indices and lengths count characters (code points), not
// bytes; ASCII strings take a fast path.

var stringPrims = []*runtime.Primitive{
	{Name: "str", Params: "(&rest xs)", Doc: "Concatenates the string forms of xs: nil adds nothing, booleans give true/false, other data is printed.", MinArgs: 0, MaxArgs: -1, Fn: str},
	stringFn("upper", "Upper-cases s.", strings.ToUpper),
	stringFn("lower", "Lower-cases s.", strings.ToLower),
	stringFn("upcase", "Upper-cases s (alias of upper).", strings.ToUpper),
	stringFn("downcase", "Lower-cases s (alias of lower).", strings.ToLower),
	stringFn("trim", "Removes leading and trailing whitespace from s.", strings.TrimSpace),
	stringFn("capitalize", "s with its first character upper-cased.", capitalize),
	{Name: "split", Params: "(s sep?)", Doc: "Splits s at every sep; without sep, at runs of whitespace; with \"\", into characters.", MinArgs: 1, MaxArgs: 2, Fn: split},
	{Name: "join", Params: "(sep coll)", Doc: "The str forms of coll's items separated by sep.", MinArgs: 2, MaxArgs: 2, Fn: join},
	{Name: "replace", Params: "(s old new)", Doc: "s with every occurrence of old replaced by new.", MinArgs: 3, MaxArgs: 3, Fn: replace},
	{Name: "substring", Params: "(s start end?)", Doc: "Characters start (included) to end (excluded, default the end) of s. Negative indices count from the end; indices beyond the string are clamped.", MinArgs: 2, MaxArgs: 3, Fn: substring},
	{Name: "string-length", Params: "(s)", Doc: "Number of characters in s.", MinArgs: 1, MaxArgs: 1, Fn: stringLength},
	{Name: "index-of", Params: "(coll x)", Doc: "Character index of substring x in string coll, or index of item x in list coll; -1 when absent.", MinArgs: 2, MaxArgs: 2, Fn: indexOf},
	{Name: "slice", Params: "(coll start end?)", Doc: "Items or characters start (included) to end (excluded, default the end) of a list or string. Negative indices count from the end; indices beyond it are clamped.", MinArgs: 2, MaxArgs: 3, Fn: slice},
	{Name: "pluralize", Params: "(n singular? plural?)", Doc: "singular when n is 1, else plural (default singular + \"s\"). With n only: \"\" or \"s\".", MinArgs: 1, MaxArgs: 3, Fn: pluralize},
	{Name: "url-encode", Params: "(s)", Doc: "s percent-encoded for a URL query value (RFC 3986: everything but letters, digits and - _ . ~, as UTF-8 bytes).", MinArgs: 1, MaxArgs: 1, Fn: urlEncode},
	{Name: "escape", Params: "(x)", Doc: "The str form of x with & < > \" ' escaped for HTML.", MinArgs: 1, MaxArgs: 1, Fn: escape},
	{Name: "strip-tags", Params: "(s)", Doc: "s with every <…> tag removed; nil gives \"\".", MinArgs: 1, MaxArgs: 1, Fn: stripTags},
	{Name: "char-from-code", Params: "(n)", Doc: "The one-character string for code point n.", MinArgs: 1, MaxArgs: 1, Fn: charFromCode},
	{Name: "char-code", Params: "(s)", Doc: "The code point of the first character of s.", MinArgs: 1, MaxArgs: 1, Fn: charCode},
	{Name: "string-repeat", Params: "(s n)", Doc: "s repeated n times.", MinArgs: 2, MaxArgs: 2, Fn: stringRepeat},
	{Name: "symbol-name", Params: "(sym)", Doc: "The name of a symbol, as a string.", MinArgs: 1, MaxArgs: 1, Fn: symbolName},
	{Name: "keyword-name", Params: "(k)", Doc: "The name of a keyword (or the string an unquoted keyword evaluates to).", MinArgs: 1, MaxArgs: 1, Fn: keywordName},
	{Name: "string->symbol", Params: "(s)", Doc: "The symbol named s.", MinArgs: 1, MaxArgs: 1, Fn: toSymbol},
	{Name: "keyword", Params: "(s)", Doc: "The keyword named s, as a value that prints :s.", MinArgs: 1, MaxArgs: 1, Fn: toKeyword},
	{Name: "sx-parse", Params: "(src)", Doc: "Reads SX source into a list of its top-level forms, unevaluated.", MinArgs: 1, MaxArgs: 1, Fn: sxParse},
	{Name: "repr", Params: "(x)", Doc: "x printed as SX source: strings quoted, data readable back.", MinArgs: 1, MaxArgs: 1, Fn: repr},
	{Name: "split-ids", Params: "(s)", Doc: "Comma-separated integer ids as a list of ints, blanks dropped: \"1, 2,,3\" gives (1 2 3); nil or \"\" give ().", MinArgs: 1, MaxArgs: 1, Fn: splitIDs},
}

func str(_ *Thread, args []Value) Value {
	switch len(args) {
	case 0:
		return ""
	case 1:
		return toStr(args[0])
	}
	// Short results are built on the stack and allocated once, at their
	// size (a strings.Builder grows piece by piece: class names and hrefs
	// built per row were a fifth of a large page's garbage, issue 20).
	var buf [128]byte
	b := buf[:0]
	for _, a := range args {
		b = appendStr(b, a)
	}
	return string(b)
}

// stringFn builds a primitive of one string from a Go string function.
func stringFn(name, doc string, f func(string) string) *runtime.Primitive {
	return &runtime.Primitive{Name: name, Params: "(s)", Doc: doc, MinArgs: 1, MaxArgs: 1,
		Fn: func(th *Thread, args []Value) Value { return f(wantString(th, name, args[0])) }}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// runeLen counts characters.
func runeLen(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// bounds turns Python-style slice indices into a clamped [i, j) within n.
func bounds(i, j, n int) (int, int) {
	if i < 0 {
		i += n
		if i < 0 {
			i = 0
		}
	}
	if j < 0 {
		j += n
		if j < 0 {
			j = 0
		}
	}
	if i > n {
		i = n
	}
	if j > n {
		j = n
	}
	if j < i {
		j = i
	}
	return i, j
}

// runeSlice returns characters [i, j) of s, indices already clamped.
func runeSlice(s string, i, j int) string {
	if isASCII(s) {
		return s[i:j]
	}
	start, end, k := len(s), len(s), 0
	for pos := range s {
		if k == i {
			start = pos
		}
		if k == j {
			end = pos
			break
		}
		k++
	}
	return s[start:end]
}

// sliceString is substring and slice on a string.
func sliceString(th *Thread, name string, s string, args []Value) string {
	n := runeLen(s)
	i, j := wantIndex(th, name, args[1]), n
	if len(args) > 2 && args[2] != nil {
		j = wantIndex(th, name, args[2])
	}
	i, j = bounds(i, j, n)
	return runeSlice(s, i, j)
}

func split(th *Thread, args []Value) Value {
	s := wantString(th, "split", args[0])
	var parts []string
	if len(args) < 2 || args[1] == nil {
		parts = strings.Fields(s)
	} else {
		parts = strings.Split(s, wantString(th, "split", args[1]))
	}
	items := make([]Value, len(parts))
	for i, p := range parts {
		items[i] = p
	}
	return list(items)
}

func join(th *Thread, args []Value) Value {
	sep, ok := args[0].(string)
	if !ok {
		th.Fail("join expects a string separator, got %s", runtime.TypeOf(args[0]))
	}
	items := wantItems(th, "join", args[1])
	switch len(items) {
	case 0:
		return ""
	case 1:
		return toStr(items[0])
	}
	var b []byte
	for i, it := range items {
		if i > 0 {
			b = append(b, sep...)
		}
		b = appendStr(b, it)
	}
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not used again
}

func replace(th *Thread, args []Value) Value {
	return strings.ReplaceAll(wantString(th, "replace", args[0]), wantString(th, "replace", args[1]), wantString(th, "replace", args[2]))
}

func substring(th *Thread, args []Value) Value {
	return sliceString(th, "substring", wantString(th, "substring", args[0]), args)
}

func stringLength(th *Thread, args []Value) Value {
	return int64(runeLen(wantString(th, "string-length", args[0])))
}

func indexOf(th *Thread, args []Value) Value {
	switch c := args[0].(type) {
	case string:
		i := strings.Index(c, wantString(th, "index-of", args[1]))
		if i <= 0 {
			return int64(i)
		}
		return int64(runeLen(c[:i]))
	case *runtime.List:
		for i, it := range c.Items {
			if runtime.Equal(it, args[1]) {
				return int64(i)
			}
		}
		return int64(-1)
	case nil:
		return int64(-1)
	}
	th.Fail("index-of expects a string or list, got %s", runtime.TypeOf(args[0]))
	return nil
}

func slice(th *Thread, args []Value) Value {
	switch c := args[0].(type) {
	case string:
		return sliceString(th, "slice", c, args)
	case *runtime.List, nil:
		items := wantItems(th, "slice", c)
		n := len(items)
		i, j := wantIndex(th, "slice", args[1]), n
		if len(args) > 2 && args[2] != nil {
			j = wantIndex(th, "slice", args[2])
		}
		i, j = bounds(i, j, n)
		return share(items, i, j)
	}
	th.Fail("slice expects a string or list, got %s", runtime.TypeOf(args[0]))
	return nil
}

func pluralize(th *Thread, args []Value) Value {
	n := wantNumber(th, "pluralize", args[0])
	one := runtime.Equal(n, int64(1))
	if len(args) == 1 {
		if one {
			return ""
		}
		return "s"
	}
	singular := wantString(th, "pluralize", args[1])
	if one {
		return singular
	}
	if len(args) > 2 {
		return wantString(th, "pluralize", args[2])
	}
	return singular + "s"
}

// htmlEscaper escapes text for both element content and quoted attributes.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

func escape(_ *Thread, args []Value) Value {
	s := toStr(args[0])
	if strings.ContainsAny(s, `&<>"'`) {
		return htmlEscaper.Replace(s)
	}
	return s
}

func stripTags(th *Thread, args []Value) Value {
	if args[0] == nil {
		return ""
	}
	s := wantString(th, "strip-tags", args[0])
	i := strings.IndexByte(s, '<')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		// A tag opens with '<' and a letter, '/', '!' or '?' and runs to the
		// next '>'; any other '<' (as in "a < b") is text.
		end := -1
		if i+1 < len(s) && isTagStart(s[i+1]) {
			if end = strings.IndexByte(s[i+1:], '>'); end < 0 {
				break // no '>' anywhere after: the rest is text
			}
		}
		if end < 0 {
			b.WriteString(s[:i+1])
			s = s[i+1:]
		} else {
			b.WriteString(s[:i])
			s = s[i+1+end+1:]
		}
		i = strings.IndexByte(s, '<')
	}
	b.WriteString(s)
	return b.String()
}

func isTagStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '!' || c == '?'
}

func charFromCode(th *Thread, args []Value) Value {
	n := wantInt(th, "char-from-code", args[0])
	if n < 0 || n > unicode.MaxRune || (n >= 0xD800 && n < 0xE000) {
		th.Fail("char-from-code: invalid code point %d", n)
	}
	return string(rune(n))
}

func charCode(th *Thread, args []Value) Value {
	s := wantString(th, "char-code", args[0])
	if s == "" {
		th.Fail("char-code expects a non-empty string, got \"\"")
	}
	r, _ := utf8.DecodeRuneInString(s)
	return int64(r)
}

func stringRepeat(th *Thread, args []Value) Value {
	s := wantString(th, "string-repeat", args[0])
	n := wantInt(th, "string-repeat", args[1])
	if n <= 0 || s == "" {
		return ""
	}
	th.Charge(min(n, maxBuild+1))
	if n > maxBuild || int64(len(s))*n > maxBuild {
		th.Fail("string-repeat: result too long (%d characters)", int64(len(s))*n)
	}
	return strings.Repeat(s, int(n))
}

func symbolName(th *Thread, args []Value) Value {
	if s, ok := args[0].(*runtime.Symbol); ok {
		return s.Name
	}
	th.Fail("symbol-name expects a symbol, got %s", runtime.TypeOf(args[0]))
	return nil
}

func keywordName(th *Thread, args []Value) Value {
	switch k := args[0].(type) {
	case runtime.Keyword:
		return k.Name
	case string:
		return k
	}
	th.Fail("keyword-name expects a keyword, got %s", runtime.TypeOf(args[0]))
	return nil
}

// toSymbol refuses names that would not print and read back as the same
// symbol, so a symbol made from data cannot inject syntax into printed or
// wire output.
func toSymbol(th *Thread, args []Value) Value {
	var name string
	switch s := args[0].(type) {
	case *runtime.Symbol:
		return s
	case string:
		name = s
	case runtime.Keyword:
		name = s.Name
	default:
		th.Fail("string->symbol expects a string, got %s", runtime.TypeOf(args[0]))
	}
	if !runtime.IsSymbolName(name) {
		badName(th, "string->symbol", "symbol", name)
	}
	return runtime.Intern(name)
}

// toKeyword refuses names that would not read back as the same keyword.
func toKeyword(th *Thread, args []Value) Value {
	var name string
	switch s := args[0].(type) {
	case runtime.Keyword:
		return s
	case string:
		name = s
	case *runtime.Symbol:
		name = s.Name
	default:
		th.Fail("keyword expects a string, got %s", runtime.TypeOf(args[0]))
	}
	if !runtime.IsKeywordName(name) {
		badName(th, "keyword", "keyword", name)
	}
	return runtime.Keyword{Name: name}
}

// badName fails with the error for a refused symbol or keyword name.
func badName(th *Thread, prim, kind, name string) {
	if name == "" {
		th.Fail("%s: empty name", prim)
	}
	th.Fail("%s: %s is not a valid %s name", prim, runtime.Print(name), kind)
}

func sxParse(th *Thread, args []Value) Value {
	src := wantString(th, "sx-parse", args[0])
	forms, err := runtime.Read("sx-parse", src)
	if err != nil {
		if e, ok := err.(*runtime.Error); ok && e.Pos.IsValid() {
			th.Fail("sx-parse: %s at line %d, column %d", e.Msg, e.Pos.Line, e.Pos.Col)
		}
		th.Fail("sx-parse: %v", err)
	}
	if forms == nil {
		forms = []Value{}
	}
	return list(forms)
}

func repr(_ *Thread, args []Value) Value { return runtime.Print(args[0]) }

func splitIDs(th *Thread, args []Value) Value {
	if args[0] == nil {
		return list([]Value{})
	}
	s := wantString(th, "split-ids", args[0])
	ids := make([]Value, 0, strings.Count(s, ",")+1)
	for s != "" {
		part, rest, _ := strings.Cut(s, ",")
		s = rest
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			th.Fail("split-ids: invalid id %s", runtime.Print(part))
		}
		ids = append(ids, n)
	}
	return list(ids)
}

// urlEncode percent-encodes every byte but RFC 3986's unreserved ones
// (what url.QueryEscape does, with %20 for a space, which reads the same
// everywhere). Written out rather than calling net/url, which brings
// net/netip and its initialisers into sx's start-up (docs/benchmarks.md).
func urlEncode(th *Thread, args []Value) Value {
	s := wantString(th, "url-encode", args[0])
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreservedURLByte(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; unreservedURLByte(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// unreservedURLByte reports whether c stands for itself in a URL (RFC 3986
// §2.3: letters, digits and - _ . ~).
func unreservedURLByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}
