package runtime

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxReadDepth bounds the nesting of lists the reader accepts, so hostile
// input cannot exhaust the Go stack.
const MaxReadDepth = 2000

// Read parses every form in src. file names the source in positions.
func Read(file, src string) ([]Value, error) {
	forms, _, err := readAll(file, src)
	return forms, err
}

// readAll parses every form and returns the position each started at.
func readAll(file, src string) ([]Value, []Pos, error) {
	r := &reader{file: file, src: src, line: 1, col: 1}
	// A leading byte-order mark (editors on Windows write one) is not text.
	r.pos = len(src) - len(strings.TrimPrefix(src, "\uFEFF"))
	var forms []Value
	var poss []Pos
	for {
		r.skipSpace()
		if r.err != nil {
			return nil, nil, r.err
		}
		if r.pos >= len(r.src) {
			return forms, poss, nil
		}
		start := r.here()
		v, ok := r.form()
		if r.err != nil {
			return nil, nil, r.err
		}
		if ok {
			forms = append(forms, v)
			poss = append(poss, start)
		}
	}
}

// ReadPositions parses every form and also returns where each started.
func ReadPositions(file, src string) ([]Value, []Pos, error) { return readAll(file, src) }

// ReadOne parses exactly one form; trailing text other than whitespace and
// comments is an error.
func ReadOne(file, src string) (Value, error) {
	forms, err := Read(file, src)
	if err != nil {
		return nil, err
	}
	if len(forms) != 1 {
		return nil, &Error{Msg: "expected exactly one form, got " + strconv.Itoa(len(forms)), Pos: Pos{File: file, Line: 1, Col: 1}}
	}
	return forms[0], nil
}

// IsIncomplete reports whether err means the input ended inside a form, so a
// REPL should keep reading.
func IsIncomplete(err error) bool {
	e, ok := err.(*Error)
	if !ok {
		return false
	}
	// Input that ended inside a form; not a form closed too early.
	return strings.HasPrefix(e.Msg, "unterminated ") ||
		(strings.HasPrefix(e.Msg, "expected a form after") && !strings.Contains(e.Msg, ", got "))
}

type reader struct {
	file      string
	src       string
	pos       int
	line, col int
	err       *Error
	depth     int // nesting of forms being read, datum comments included
}

func (r *reader) here() Pos { return Pos{File: r.file, Line: r.line, Col: r.col} }

func (r *reader) fail(p Pos, msg string) {
	if r.err == nil {
		r.err = &Error{Msg: msg, Pos: p}
	}
}

func (r *reader) peek() rune {
	if r.pos >= len(r.src) {
		return -1
	}
	c, _ := utf8.DecodeRuneInString(r.src[r.pos:])
	return c
}

func (r *reader) next() rune {
	if r.pos >= len(r.src) {
		return -1
	}
	c, n := utf8.DecodeRuneInString(r.src[r.pos:])
	r.pos += n
	if c == '\n' {
		r.line++
		r.col = 1
	} else {
		r.col++
	}
	return c
}

// skipSpace skips whitespace, ; comments and #; datum comments.
func (r *reader) skipSpace() {
	for r.pos < len(r.src) && r.err == nil {
		c := r.peek()
		switch {
		case c == ';':
			for r.pos < len(r.src) && r.peek() != '\n' {
				r.next()
			}
		case c == '#' && strings.HasPrefix(r.src[r.pos:], "#;"):
			p := r.here()
			r.next()
			r.next()
			r.skipSpace()
			if r.pos >= len(r.src) {
				r.fail(p, "expected a form after #;")
				return
			}
			r.form()
		case unicode.IsSpace(c):
			r.next()
		default:
			return
		}
	}
}

func isDelimiter(c rune) bool {
	switch c {
	case '(', ')', '[', ']', '{', '}', '"', ';', '\'', '`', ',', -1:
		return true
	}
	return unicode.IsSpace(c)
}

// form reads one form. ok is false when nothing was produced (end of a
// list reached by a datum comment at the end, handled by callers).
func (r *reader) form() (Value, bool) {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > MaxReadDepth {
		r.fail(r.here(), "nesting too deep")
		return nil, false
	}
	start := r.here()
	c := r.peek()
	switch c {
	case '(', '[':
		r.next()
		close := ')'
		if c == '[' {
			close = ']'
		}
		items := r.seq(close, start)
		if r.err != nil {
			return nil, false
		}
		return &List{Items: items, Pos: start}, true
	case '{':
		r.next()
		items := r.seq('}', start)
		if r.err != nil {
			return nil, false
		}
		return r.dictLiteral(items, start), r.err == nil
	case ')', ']', '}':
		r.next()
		r.unexpected(start, c)
		return nil, false
	case '"':
		return r.str(start), r.err == nil
	case '\'', '`', ',':
		return r.quoted(c, start)
	case '#':
		if strings.HasPrefix(r.src[r.pos:], "#|") || strings.HasPrefix(r.src[r.pos:], "#datetime") {
			return r.hashForm(start)
		}
	}
	return r.atom(start)
}

// The rarer forms are read in functions of their own, so that form's stack
// frame, which every nested list adds, stays small: the main goroutine of a
// one-shot `sx eval` then fits in its first grown stack instead of copying
// it again (docs/benchmarks.md, start-up).

// unexpected fails on a closing delimiter with nothing open.
//
//go:noinline
func (r *reader) unexpected(start Pos, c rune) {
	r.fail(start, "unexpected "+string(c))
}

// quoted reads 'x, `x, ,x and ,@x after their prefix character c.
//
//go:noinline
func (r *reader) quoted(c rune, start Pos) (Value, bool) {
	r.next()
	var name string
	switch c {
	case '\'':
		name = "quote"
	case '`':
		name = "quasiquote"
	default:
		name = "unquote"
	}
	if c == ',' && r.peek() == '@' {
		r.next()
		name = "splice-unquote"
	}
	r.skipSpace()
	if r.err != nil {
		return nil, false
	}
	if r.pos >= len(r.src) {
		r.fail(start, "expected a form after "+string(c))
		return nil, false
	}
	if p := r.peek(); p == ')' || p == ']' || p == '}' {
		r.fail(r.here(), "expected a form after "+string(c)+", got "+string(p))
		return nil, false
	}
	v, ok := r.form()
	if !ok {
		return nil, false
	}
	return &List{Items: []Value{Intern(name), v}, Pos: start}, true
}

// hashForm reads #|raw|# strings and #datetime literals.
//
//go:noinline
func (r *reader) hashForm(start Pos) (Value, bool) {
	if strings.HasPrefix(r.src[r.pos:], "#|") {
		return r.rawString(start), r.err == nil
	}
	for i := 0; i < len("#datetime"); i++ {
		r.next()
	}
	r.skipSpace()
	if r.peek() != '"' {
		r.fail(start, "#datetime expects a string")
		return nil, false
	}
	s := r.str(r.here())
	if r.err != nil {
		return nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.fail(start, "invalid datetime: "+s)
		return nil, false
	}
	return t, true
}

// seq reads forms until the closing delimiter.
func (r *reader) seq(close rune, start Pos) []Value {
	items := []Value{}
	for {
		r.skipSpace()
		if r.err != nil {
			return nil
		}
		c := r.peek()
		if c == -1 {
			r.fail(start, "unterminated list")
			return nil
		}
		if c == close {
			r.next()
			return items
		}
		if c == ')' || c == ']' || c == '}' {
			r.fail(r.here(), "unexpected "+string(c))
			return nil
		}
		v, ok := r.form()
		if r.err != nil {
			return nil
		}
		if ok {
			items = append(items, v)
		}
	}
}

func (r *reader) dictLiteral(items []Value, start Pos) Value {
	if len(items)%2 != 0 {
		r.fail(start, "dict literal needs an even number of forms")
		return nil
	}
	d := NewDict(len(items) / 2)
	for i := 0; i < len(items); i += 2 {
		var key string
		switch k := items[i].(type) {
		case Keyword:
			key = k.Name
		case string:
			key = k
		default:
			r.fail(start, "dict key must be a keyword or string, got "+TypeOf(k))
			return nil
		}
		d.Set(key, items[i+1])
	}
	return d
}

func (r *reader) str(start Pos) string {
	r.next() // opening quote
	var b strings.Builder
	for {
		c := r.next()
		switch c {
		case -1:
			r.fail(start, "unterminated string")
			return ""
		case '"':
			return b.String()
		case '\\':
			escPos := r.here()
			e := r.next()
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case '"', '\\', '/':
				b.WriteRune(e)
			case 'u':
				cp := r.hex4(escPos)
				if r.err != nil {
					return ""
				}
				// A surrogate pair written as two escapes is one code point.
				if cp >= 0xD800 && cp < 0xDC00 && strings.HasPrefix(r.src[r.pos:], "\\u") {
					save := *r
					r.next()
					r.next()
					lo := r.hex4(escPos)
					if r.err == nil && lo >= 0xDC00 && lo < 0xE000 {
						cp = 0x10000 + (cp-0xD800)<<10 + (lo - 0xDC00)
					} else {
						*r = save
					}
				}
				b.WriteRune(rune(cp))
			case -1:
				r.fail(start, "unterminated string")
				return ""
			default:
				r.fail(escPos, "invalid escape \\"+string(e)+" in string")
				return ""
			}
		default:
			b.WriteRune(c)
		}
	}
}

// rawString reads #|text|: a string taken verbatim up to the next |, with
// no escapes (for regexes, Windows paths, embedded code).
func (r *reader) rawString(start Pos) string {
	r.next()
	r.next()
	end := strings.IndexByte(r.src[r.pos:], '|')
	if end < 0 {
		r.fail(start, "unterminated raw string")
		return ""
	}
	s := strings.ToValidUTF8(r.src[r.pos:r.pos+end], "\uFFFD")
	for r.peek() != '|' {
		r.next()
	}
	r.next()
	return s
}

func (r *reader) hex4(escPos Pos) int {
	if r.pos+4 > len(r.src) {
		r.fail(escPos, "invalid \\u escape: expected 4 hex digits")
		return 0
	}
	n, err := strconv.ParseUint(r.src[r.pos:r.pos+4], 16, 32)
	if err != nil {
		r.fail(escPos, "invalid \\u escape: expected 4 hex digits")
		return 0
	}
	for i := 0; i < 4; i++ {
		r.next()
	}
	return int(n)
}

func (r *reader) atom(start Pos) (Value, bool) {
	begin := r.pos
	for !isDelimiter(r.peek()) {
		r.next()
	}
	// Invalid UTF-8 becomes U+FFFD, as in strings, so that names print and
	// read back unchanged.
	tok := strings.ToValidUTF8(r.src[begin:r.pos], "\uFFFD")
	if tok == "" {
		c := r.next()
		r.fail(start, "unexpected character "+strconv.QuoteRune(c))
		return nil, false
	}
	switch tok {
	case "true":
		return true, true
	case "false":
		return false, true
	case "nil":
		return nil, true
	}
	if looksNumeric(tok) {
		v, err := parseNumber(tok)
		if err != "" {
			r.fail(start, err)
			return nil, false
		}
		return v, true
	}
	if tok[0] == ':' {
		if len(tok) == 1 {
			r.fail(start, "keyword needs a name")
			return nil, false
		}
		return Keyword{Name: tok[1:]}, true
	}
	if tok[0] == '#' {
		switch tok {
		case "#inf":
			return math.Inf(1), true
		case "#-inf":
			return math.Inf(-1), true
		case "#nan":
			return math.NaN(), true
		}
		r.fail(start, "unknown reader syntax "+tok)
		return nil, false
	}
	return Intern(tok), true
}

// looksNumeric reports whether tok starts like a number: a digit, or a sign
// followed by a digit.
func looksNumeric(tok string) bool {
	i := 0
	if tok[0] == '-' || tok[0] == '+' {
		i = 1
	}
	return i < len(tok) && tok[i] >= '0' && tok[i] <= '9'
}

// parseNumber parses -?digits(.digits)?([eE][+-]?digits)? and returns an
// error message when tok is not such a number.
func parseNumber(tok string) (Value, string) {
	if tok[len(tok)-1] == 'm' {
		return parseDecimalLiteral(tok)
	}
	i, n := 0, len(tok)
	if tok[0] == '-' || tok[0] == '+' {
		i++
	}
	digits := func() int {
		s := i
		for i < n && tok[i] >= '0' && tok[i] <= '9' {
			i++
		}
		return i - s
	}
	digits()
	isFloat := false
	if i < n && tok[i] == '.' {
		isFloat = true
		i++
		if digits() == 0 {
			return nil, "invalid number " + tok
		}
	}
	if i < n && (tok[i] == 'e' || tok[i] == 'E') {
		isFloat = true
		i++
		if i < n && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, "invalid number " + tok
		}
	}
	if i != n {
		return nil, "invalid number " + tok
	}
	if !isFloat {
		v, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			// An integral float beyond int64 prints as plain digits
			// (100000000000000000000 for 1e20), so those digits read back
			// as that float; digits that no float prints so are refused
			// rather than rounded.
			if f, ferr := strconv.ParseFloat(tok, 64); ferr == nil && FormatFloat(f) == strings.TrimPrefix(tok, "+") {
				return f, ""
			}
			return nil, "integer literal out of range: " + tok
		}
		return v, ""
	}
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return nil, "number out of range: " + tok
	}
	return f, ""
}
