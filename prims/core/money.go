package core

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/rose-ash/sxhost/runtime"
)

// Exact decimals (runtime.Decimal) and money formatting. Amounts are
// decimals: PostgreSQL numeric values, literals such as 3.20m, or the
// results of decimal and parse-decimal.

var moneyPrims = []*runtime.Primitive{
	{Name: "decimal", Params: "(x scale? mode?)", Doc: "x (an int, float, decimal or decimal text such as \"3.20\") as an exact decimal; with scale, rounded by mode (default half-up) to exactly scale digits after the point.", MinArgs: 1, MaxArgs: 3, Fn: decimalFn},
	{Name: "decimal?", Params: "(x)", Doc: "Is x a number held as an exact decimal?", MinArgs: 1, MaxArgs: 1,
		Fn: func(_ *Thread, args []Value) Value { _, ok := args[0].(*runtime.Decimal); return ok }},
	{Name: "parse-decimal", Params: "(s default?)", Doc: "Parses decimal text such as \"3.20\" exactly, keeping its scale; on failure returns default, or nil.", MinArgs: 1, MaxArgs: 2, Fn: parseDecimal},
	{Name: "decimal-scale", Params: "(x)", Doc: "The number of digits after the point of decimal x (2 for 3.20m); 0 for an int.", MinArgs: 1, MaxArgs: 1, Fn: decimalScale},
	{Name: "decimal-div", Params: "(a b scale mode?)", Doc: "a / b as an exact decimal with exactly scale digits after the point, rounded once by mode: half-up (the default), half-even, half-down, up, down, ceiling or floor.", MinArgs: 3, MaxArgs: 4, Fn: decimalDiv},
	{Name: "format-money", Params: "(amount currency)", Doc: "amount in an ISO 4217 currency, rounded half-up to the currency's minor digits, in English notation: (format-money 3.2m \"GBP\") is \"£3.20\", JPY has no minor digits, KWD three.", MinArgs: 2, MaxArgs: 2, Fn: formatMoney},
	{Name: "format-money-locale", Params: "(amount currency locale)", Doc: "As format-money, in the notation of a BCP 47 locale: (format-money-locale 3.2m \"EUR\" \"fr\") is \"3,20 €\" (with a no-break space).", MinArgs: 3, MaxArgs: 3, Fn: formatMoneyLocale},
}

// wantMode unpacks a rounding mode name.
func wantMode(th *Thread, name string, v Value) string {
	m := wantString(th, name, v)
	for _, ok := range runtime.RoundingModes {
		if m == ok {
			return m
		}
	}
	th.Fail("%s: unknown rounding mode %s (one of %s)", name, runtime.Print(m), strings.Join(runtime.RoundingModes, ", "))
	return ""
}

// wantScale unpacks a number of digits after the point.
func wantScale(th *Thread, name string, v Value) int32 {
	n := wantInt(th, name, v)
	if n < 0 || n > runtime.MaxDecimalScale {
		th.Fail("%s: scale must be between 0 and %d, got %d", name, runtime.MaxDecimalScale, n)
	}
	return int32(n)
}

// wantDecimal unpacks any number as a decimal (a float as the decimal it
// prints as).
func wantDecimal(th *Thread, name string, v Value) *runtime.Decimal {
	d, ok := runtime.AsDecimal(wantNumber(th, name, v))
	if !ok {
		th.Fail("%s: %s has no decimal value", name, runtime.Print(v))
	}
	return d
}

func decimalFn(th *Thread, args []Value) Value {
	var d *runtime.Decimal
	if s, ok := args[0].(string); ok {
		var err error
		if d, err = runtime.ParseDecimal(strings.TrimSpace(s)); err != nil {
			th.Fail("decimal: %v", err)
		}
	} else {
		d = wantDecimal(th, "decimal", args[0])
	}
	if len(args) == 1 {
		return d
	}
	mode := "half-up"
	if len(args) == 3 {
		mode = wantMode(th, "decimal", args[2])
	}
	return roundTo(th, "decimal", d, wantScale(th, "decimal", args[1]), mode)
}

// roundTo rounds d to scale digits by mode.
func roundTo(th *Thread, name string, d *runtime.Decimal, scale int32, mode string) *runtime.Decimal {
	r, err := runtime.DecimalRound(d, scale, mode)
	if err != nil {
		th.Fail("%s: %v", name, err)
	}
	return r
}

func parseDecimal(th *Thread, args []Value) Value {
	switch x := args[0].(type) {
	case *runtime.Decimal:
		return x
	case int64, float64:
		if d, ok := runtime.AsDecimal(x); ok {
			return d
		}
	case string:
		if d, err := runtime.ParseDecimal(strings.TrimSpace(x)); err == nil {
			return d
		}
	}
	return orDefault(args)
}

func decimalScale(th *Thread, args []Value) Value {
	if d, ok := wantNumber(th, "decimal-scale", args[0]).(*runtime.Decimal); ok {
		return int64(d.Scale())
	}
	if f, ok := args[0].(float64); ok {
		return int64(wantDecimal(th, "decimal-scale", f).Scale())
	}
	return int64(0)
}

func decimalDiv(th *Thread, args []Value) Value {
	a := wantDecimal(th, "decimal-div", args[0])
	b := wantDecimal(th, "decimal-div", args[1])
	scale := wantScale(th, "decimal-div", args[2])
	mode := "half-up"
	if len(args) == 4 {
		mode = wantMode(th, "decimal-div", args[3])
	}
	if b.Sign() == 0 {
		th.Fail("division by zero")
	}
	r, err := runtime.DecimalDiv(a, b, scale, mode)
	if err != nil {
		th.Fail("decimal-div: %v", err)
	}
	return r
}

// roundDecimal is round on a decimal, or on any number given a mode: to an
// int without ndigits, else to a number with exactly ndigits decimals (a
// float stays a float).
func roundDecimal(th *Thread, x Value, d *runtime.Decimal, args []Value) Value {
	if d == nil {
		d = wantDecimal(th, "round", x)
	}
	mode := "half-up"
	if len(args) == 3 {
		mode = wantMode(th, "round", args[2])
	}
	if len(args) == 1 {
		return decimalToInt(th, "round", d, mode)
	}
	r := roundTo(th, "round", d, wantScale(th, "round", args[1]), mode)
	switch x.(type) {
	case int64, float64:
		if i, ok := r.Int64(); ok && r.Scale() == 0 {
			if _, isInt := x.(int64); isInt {
				return i
			}
		}
		return r.Float64()
	}
	return r
}

// decimalToInt rounds d to an integer by mode, failing when no int holds it.
func decimalToInt(th *Thread, name string, d *runtime.Decimal, mode string) Value {
	i, ok := roundTo(th, name, d, 0, mode).Int64()
	if !ok {
		th.Fail("%s: %s has no integer value", name, d)
	}
	return i
}

// roundedString is d rounded half-up to places decimals, as text.
func roundedString(th *Thread, name string, d *runtime.Decimal, places int64) string {
	return roundTo(th, name, d, int32(places), "half-up").String()
}

// decimalPow raises d to a non-negative int power exactly.
func decimalPow(th *Thread, d *runtime.Decimal, e int64) Value {
	r := runtime.DecimalFromInt(1)
	for e > 0 {
		if e&1 == 1 {
			r = runtime.DecimalArith(th, "*", r, d).(*runtime.Decimal)
		}
		e >>= 1
		if e > 0 {
			d = runtime.DecimalArith(th, "*", d, d).(*runtime.Decimal)
		}
	}
	return r
}

func formatMoney(th *Thread, args []Value) Value {
	return money(th, "format-money", args[0], args[1], "en")
}

func formatMoneyLocale(th *Thread, args []Value) Value {
	return money(th, "format-money-locale", args[0], args[1], wantString(th, "format-money-locale", args[2]))
}

// money formats amount in currency for locale: the amount is rounded
// half-up to the currency's standard minor digits (CLDR, via
// golang.org/x/text/currency), digits are grouped and separated as the
// locale writes them, and the locale's symbol goes where its currency
// pattern puts it.
func money(th *Thread, name string, amount, cur Value, locale string) string {
	d := wantDecimal(th, name, amount)
	code := wantString(th, name, cur)
	st := moneyStyleFor(th, name, code, locale)
	r := roundTo(th, name, d, st.scale, "half-up")

	var buf [48]byte
	digits := r.Append(buf[:0])
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	intPart, frac := digits, []byte(nil)
	if i := bytes.IndexByte(digits, '.'); i >= 0 {
		intPart, frac = digits[:i], digits[i+1:]
	}
	var b strings.Builder
	b.Grow(len(digits) + len(digits)/3*len(st.group.sep) + len(st.symbol) + 8)
	if neg {
		b.WriteByte('-')
	}
	if st.n.position == symbolBefore || st.n.position == symbolBeforeSpaced {
		b.WriteString(st.symbol)
		if last := []rune(st.symbol); st.n.position == symbolBeforeSpaced || unicode.IsLetter(last[len(last)-1]) {
			b.WriteString("\u00a0")
		}
	}
	if st.group.ok {
		st.group.write(&b, intPart)
	} else {
		b.WriteString(st.n.group(message.NewPrinter(st.tag), string(intPart)))
	}
	if len(frac) > 0 {
		b.WriteString(st.n.point)
		b.Write(frac)
	}
	if st.n.position == symbolAfter {
		b.WriteString("\u00a0")
		b.WriteString(st.symbol)
	}
	return b.String()
}

// moneyStyle is what money needs to know of a currency in a locale, worked
// out once per pair (parsing the tag, CLDR look-ups and x/text printers
// cost more than the formatting itself: 13% of a product page's CPU when
// done per call).
type moneyStyle struct {
	scale  int32
	symbol string
	tag    language.Tag
	n      notation
	group  grouping
}

var moneyStyles sync.Map // currency code + "\x00" + locale → *moneyStyle

// moneyStyleFor returns the style of code in locale, failing (uncached) on
// an unknown currency or locale.
func moneyStyleFor(th *Thread, name, code, locale string) *moneyStyle {
	key := code + "\x00" + locale
	if st, ok := moneyStyles.Load(key); ok {
		return st.(*moneyStyle)
	}
	unit, err := currency.ParseISO(code)
	if err != nil || len(code) != 3 {
		th.Fail("%s: unknown currency %s (an ISO 4217 code such as \"GBP\")", name, runtime.Print(code))
	}
	tag, err := language.Parse(locale)
	if err != nil {
		th.Fail("%s: unknown locale %s (a BCP 47 tag such as \"fr\" or \"en-GB\")", name, runtime.Print(locale))
	}
	scale, _ := currency.Standard.Rounding(unit)
	p := message.NewPrinter(tag)
	st := &moneyStyle{scale: int32(scale), symbol: p.Sprint(currency.Symbol(unit)), tag: tag,
		n: notationFor(tag), group: groupingFor(tag)}
	if moneyStylesCount.Add(1) <= maxMoneyStyles { // locales come from callers: bound the cache
		moneyStyles.Store(key, st)
	}
	return st
}

var moneyStylesCount atomic.Int64

const maxMoneyStyles = 4096

// grouping writes integer digits as a locale groups them: sep between
// groups of primary digits (the last) and secondary digits (the others),
// only when there are at least primary+minGroup digits. ok is false when the
// locale's digits or grouping are beyond this (non-ASCII digits, mixed
// separators); money then asks x/text each time.
type grouping struct {
	ok                 bool
	sep                string
	primary, secondary int
	minGroup           int
}

func (g grouping) write(b *strings.Builder, digits []byte) {
	if g.primary == 0 || len(digits) < g.primary+g.minGroup || len(digits) > 18 { // notation.group's limit
		b.Write(digits)
		return
	}
	head := len(digits) - g.primary
	// The leading groups, of secondary digits, then the primary group.
	first := head % g.secondary
	if first == 0 {
		first = g.secondary
	}
	b.Write(digits[:first])
	for i := first; i < head; i += g.secondary {
		b.WriteString(g.sep)
		b.Write(digits[i : i+g.secondary])
	}
	b.WriteString(g.sep)
	b.Write(digits[head:])
}

func (g grouping) String(digits string) string {
	var b strings.Builder
	g.write(&b, []byte(digits))
	return b.String()
}

// groupingSamples are the integer parts groupingFor checks its reading of a
// locale against x/text on: every length up to 18 digits.
var groupingSamples = func() []string {
	var s []string
	for n := 1; n <= 18; n++ {
		s = append(s, "123456789012345678"[:n])
	}
	return append(s, "0", "1000", "10000", "100000")
}()

// groupingFor reads a locale's grouping from how x/text writes two numbers,
// then keeps it only if it writes every sample as x/text does.
func groupingFor(tag language.Tag) grouping {
	p := message.NewPrinter(tag)
	n := notation{}
	long := n.group(p, "123456789012345")
	var runs []string
	var seps []string
	i := 0
	for i < len(long) {
		j := i
		for j < len(long) && long[j] >= '0' && long[j] <= '9' {
			j++
		}
		if j == i {
			return grouping{}
		}
		runs = append(runs, long[i:j])
		k := j
		for k < len(long) && (long[k] < '0' || long[k] > '9') {
			k++
		}
		if k > j {
			seps = append(seps, long[j:k])
		}
		i = k
	}
	g := grouping{ok: true, minGroup: 1}
	if len(seps) > 0 {
		g.sep = seps[0]
		g.primary = len(runs[len(runs)-1])
		g.secondary = g.primary
		if len(runs) > 2 {
			g.secondary = len(runs[len(runs)-2])
		}
		if g.primary == 0 || g.secondary == 0 {
			return grouping{}
		}
		for g.minGroup < 4 && n.group(p, "123456789"[:g.primary+g.minGroup]) == "123456789"[:g.primary+g.minGroup] {
			g.minGroup++
		}
	}
	for _, s := range groupingSamples {
		if g.String(s) != n.group(p, s) {
			return grouping{}
		}
	}
	return g
}

// Where a locale's currency pattern (CLDR) puts the symbol.
const (
	symbolBefore       = iota // ¤#,##0.00 (en, ja, zh …)
	symbolBeforeSpaced        // ¤ #,##0.00 (nl, de-CH, pt-BR …)
	symbolAfter               // #,##0.00 ¤ (fr, de, es, it, the Nordic and Slavic languages …)
)

// symbolAfterLanguages and symbolSpacedRegions hold the CLDR currency
// patterns that differ from English; x/text formats numbers by locale but
// not currency patterns.
var (
	symbolAfterLanguages = map[string]bool{
		"fr": true, "de": true, "es": true, "it": true, "pl": true, "cs": true, "sk": true,
		"sv": true, "fi": true, "da": true, "nb": true, "nn": true, "no": true, "ru": true,
		"uk": true, "be": true, "hu": true, "ro": true, "bg": true, "hr": true, "sl": true,
		"sr": true, "lt": true, "lv": true, "et": true, "el": true, "ca": true, "is": true,
	}
	symbolSpaced    = map[string]bool{"nl": true, "pt": true, "de-CH": true, "de-AT": true, "de-LI": true, "it-CH": true}
	symbolAfterTags = map[string]bool{"pt-PT": true}
)

// notation is how a locale writes an amount.
type notation struct {
	position int
	point    string // the decimal separator
}

var notations sync.Map // language.Tag → notation

func notationFor(tag language.Tag) notation {
	if n, ok := notations.Load(tag); ok {
		return n.(notation)
	}
	base, _ := tag.Base()
	region, _ := tag.Region()
	lr := base.String() + "-" + region.String()
	n := notation{position: symbolBefore}
	switch {
	case symbolAfterTags[lr]:
		n.position = symbolAfter
	case symbolSpaced[lr] || symbolSpaced[base.String()]:
		n.position = symbolBeforeSpaced
	case symbolAfterLanguages[base.String()]:
		n.position = symbolAfter
	}
	// The decimal separator as the locale prints one half.
	half := message.NewPrinter(tag).Sprint(number.Decimal(0.5, number.Scale(1)))
	n.point = strings.TrimSuffix(strings.TrimPrefix(half, "0"), "5")
	notations.Store(tag, n)
	return n
}

// group writes the integer digits with the locale's grouping (by thousands,
// or as Indian locales group): x/text formats ints exactly, so digits that
// fit an int64 go through it.
func (n notation) group(p *message.Printer, digits string) string {
	if len(digits) <= 18 {
		var v int64
		for _, c := range digits {
			v = v*10 + int64(c-'0')
		}
		return p.Sprint(number.Decimal(v))
	}
	return digits // beyond any amount of money: plain digits
}
