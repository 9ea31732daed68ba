package core

import (
	"bytes"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rose-ash/sxhost/runtime"
)

//go:generate go run ./internal/moneycldr/gen money_tables.go

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
// half-up to the currency's standard minor digits (ISO 4217), digits are
// grouped and separated as the locale writes them, and the locale's symbol
// goes where its currency pattern puts it. The notation comes from CLDR
// through tables generated from golang.org/x/text (money_tables.go), which
// the sx binary does not link: its locale data cost every sx eval start-up
// page faults (docs/benchmarks.md, issue 20 item 5).
func money(th *Thread, name string, amount, cur Value, locale string) string {
	d := wantDecimal(th, name, amount)
	code := wantString(th, name, cur)
	c := moneyCurrencyFor(code)
	if c == nil {
		th.Fail("%s: unknown currency %s (an ISO 4217 code such as \"GBP\")", name, runtime.Print(code))
	}
	l := moneyLocaleFor(locale)
	if l == nil {
		th.Fail("%s: unknown locale %s (one of %s)", name, runtime.Print(locale), moneyLocaleList())
	}
	symbol := l.symbol(c.code)
	r := roundTo(th, name, d, int32(c.digits), "half-up")

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
	b.Grow(len(digits) + len(digits)/3*len(l.sep) + len(symbol) + 8)
	if neg {
		b.WriteByte('-')
	}
	if l.position == symbolBefore || l.position == symbolBeforeSpaced {
		b.WriteString(symbol)
		if last, _ := utf8.DecodeLastRuneInString(symbol); l.position == symbolBeforeSpaced || unicode.IsLetter(last) {
			b.WriteString("\u00a0")
		}
	}
	l.group(&b, intPart)
	if len(frac) > 0 {
		b.WriteString(l.point)
		b.Write(frac)
	}
	if l.position == symbolAfter {
		b.WriteString("\u00a0")
		b.WriteString(symbol)
	}
	return b.String()
}

// Where a locale's currency pattern (CLDR) puts the symbol.
const (
	symbolBefore       = iota // ¤#,##0.00 (en, ja, zh …)
	symbolBeforeSpaced        // ¤ #,##0.00 (nl, de-CH, pt-BR …)
	symbolAfter               // #,##0.00 ¤ (fr, de, es, it, the Nordic and Slavic languages …)
)

// moneyCurrency is an ISO 4217 currency and its standard minor digits.
type moneyCurrency struct {
	code   string
	digits int8
}

// moneyLocale is how a locale writes an amount: its decimal point, its
// grouping (sep between groups of primary digits, the last, and secondary
// digits, the others, only when there are at least primary+minGroup
// digits), where the symbol goes and its run of moneySymbols.
type moneyLocale struct {
	key, point, sep                        string
	primary, secondary, minGroup, position int8
	symbols, symbolsEnd                    int16
}

// moneySymbol is a currency's symbol in some locales.
type moneySymbol struct{ code, symbol string }

// moneyCurrencyFor finds an ISO 4217 code (any case), or nil.
func moneyCurrencyFor(code string) *moneyCurrency {
	if len(code) != 3 {
		return nil
	}
	up := strings.ToUpper(code)
	i, ok := slices.BinarySearchFunc(moneyCurrencies[:], up, func(c moneyCurrency, k string) int { return strings.Compare(c.code, k) })
	if !ok {
		return nil
	}
	return &moneyCurrencies[i]
}

// moneyLocaleFor finds a BCP 47 tag (any case, - or _), or nil.
func moneyLocaleFor(tag string) *moneyLocale {
	key := strings.ReplaceAll(strings.ToLower(tag), "_", "-")
	i, ok := slices.BinarySearchFunc(moneyLocales[:], key, func(l moneyLocale, k string) int { return strings.Compare(l.key, k) })
	if !ok {
		return nil
	}
	return &moneyLocales[i]
}

// moneyLocaleList names the locales format-money-locale knows.
func moneyLocaleList() string {
	keys := make([]string, len(moneyLocales))
	for i, l := range moneyLocales {
		keys[i] = l.key
	}
	return strings.Join(keys, ", ")
}

// symbol is code's symbol in l: the code itself unless CLDR gives another.
func (l *moneyLocale) symbol(code string) string {
	run := moneySymbols[l.symbols:l.symbolsEnd]
	if i, ok := slices.BinarySearchFunc(run, code, func(s moneySymbol, k string) int { return strings.Compare(s.code, k) }); ok {
		return run[i].symbol
	}
	return code
}

// group writes integer digits grouped as l groups them; beyond 18 digits
// (no amount of money) they stay plain, as x/text's int64 formatting did.
func (l *moneyLocale) group(b *strings.Builder, digits []byte) {
	p, s := int(l.primary), int(l.secondary)
	if p == 0 || len(digits) < p+int(l.minGroup) || len(digits) > 18 {
		b.Write(digits)
		return
	}
	head := len(digits) - p
	// The leading groups, of secondary digits, then the primary group.
	first := head % s
	if first == 0 {
		first = s
	}
	b.Write(digits[:first])
	for i := first; i < head; i += s {
		b.WriteString(l.sep)
		b.Write(digits[i : i+s])
	}
	b.WriteString(l.sep)
	b.Write(digits[head:])
}
