package core

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/rose-ash/sxhost/prims/core/internal/moneycldr"
	"github.com/rose-ash/sxhost/runtime"
)

// The generated tables hold every locale of moneycldr.Locales and every
// currency x/text knows (go generate was run after either changed).
func TestMoneyTablesCurrent(t *testing.T) {
	codes, digits := moneycldr.Currencies()
	if len(codes) != len(moneyCurrencies) {
		t.Fatalf("%d currencies in the tables, x/text knows %d: run go generate ./prims/core", len(moneyCurrencies), len(codes))
	}
	for i, c := range codes {
		if got := moneyCurrencyFor(c); got == nil || int(got.digits) != digits[i] {
			t.Errorf("%s: %v in the tables, x/text has %d digits", c, got, digits[i])
		}
	}
	if len(moneycldr.Locales) != len(moneyLocales) {
		t.Fatalf("%d locales in the tables, moneycldr.Locales has %d: run go generate ./prims/core", len(moneyLocales), len(moneycldr.Locales))
	}
	for _, l := range moneycldr.Locales {
		if moneyLocaleFor(l) == nil {
			t.Errorf("%s: not in the tables", l)
		}
	}
}

// moneyAmounts are the amounts every locale and currency is checked on:
// zero, negative, rounding up and down at every scale, carries into a new
// group, more decimals than any currency, the largest int64 coefficients
// and beyond 18 integer digits (written plain).
var moneyAmounts = []string{
	"0", "-0.001", "0.5", "-0.5", "0.004", "0.005", "0.0049", "0.0005", "1", "-1", "3.2", "9.995", "-9.9995",
	"12.3456789", "999.9999", "-999.5", "1000", "1234.5", "-1234.567", "99999.995", "100000", "123456.789",
	"-1234567.891", "12345678.9", "999999999.9999", "-12345678901234.5678", "123456789012345678",
	"-922337203685477580.7", "1234567890123456789012.345",
}

// xtextMoney is what x/text says of a locale and a currency: its minor
// digits, symbol, decimal point and printer (for grouping), with the symbol
// placed by moneycldr.Position (CLDR's currency pattern, which x/text lacks).
type xtextMoney struct {
	scale         int
	symbol, point string
	pos           int
	p             *message.Printer
}

func xtextMoneyFor(code, locale string) xtextMoney {
	unit := currency.MustParseISO(code)
	tag := language.MustParse(locale)
	scale, _ := currency.Standard.Rounding(unit)
	p := message.NewPrinter(tag)
	return xtextMoney{scale, p.Sprint(currency.Symbol(unit)), moneycldr.Point(tag), moneycldr.Position(tag), p}
}

// format writes d as x/text does.
func (x xtextMoney) format(th *Thread, d *runtime.Decimal) string {
	r := roundTo(th, "ref", d, int32(x.scale), "half-up")
	intPart, frac, _ := strings.Cut(r.Abs().String(), ".")
	var b strings.Builder
	if r.Sign() < 0 {
		b.WriteByte('-')
	}
	if x.pos == moneycldr.SymbolBefore || x.pos == moneycldr.SymbolBeforeSpaced {
		b.WriteString(x.symbol)
		if last, _ := utf8.DecodeLastRuneInString(x.symbol); x.pos == moneycldr.SymbolBeforeSpaced || unicode.IsLetter(last) {
			b.WriteString("\u00a0")
		}
	}
	if len(intPart) <= 18 {
		b.WriteString(moneycldr.Group(x.p, intPart))
	} else {
		b.WriteString(intPart)
	}
	if frac != "" {
		b.WriteString(x.point)
		b.WriteString(frac)
	}
	if x.pos == moneycldr.SymbolAfter {
		b.WriteString("\u00a0")
		b.WriteString(x.symbol)
	}
	return b.String()
}

// format-money-locale from the generated tables writes what x/text writes,
// for every locale it knows × every currency × moneyAmounts; format-money
// is the "en" locale.
func TestFormatMoneyMatchesXText(t *testing.T) {
	th := &runtime.Thread{}
	var amounts []*runtime.Decimal
	for _, s := range moneyAmounts {
		d, err := runtime.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		amounts = append(amounts, d)
	}
	codes, _ := moneycldr.Currencies()
	n := 0
	for _, loc := range moneycldr.Locales {
		for _, code := range codes {
			ref := xtextMoneyFor(code, loc)
			for _, d := range amounts {
				got, err := call(findPrim("format-money-locale"), d, code, loc)
				if err != nil {
					t.Fatal(err)
				}
				if want := ref.format(th, d); got != want {
					t.Fatalf("(format-money-locale %s %q %q) = %q, x/text %q", d, code, loc, got, want)
				}
				n++
				if loc == "en" {
					if got, _ := call(findPrim("format-money"), d, code); got != ref.format(th, d) {
						t.Fatalf("(format-money %s %q) = %q", d, code, got)
					}
				}
			}
		}
	}
	t.Logf("%d amounts compared", n)
	if n == 0 {
		t.Fatal("nothing compared")
	}
}

// Tags and codes are matched as x/text parses them (any case, _ for -), and
// a locale the tables lack is an error naming the ones they hold.
func TestFormatMoneyLookups(t *testing.T) {
	for _, c := range [][3]string{{"gbp", "EN_gb", "£1,234.50"}, {"Eur", "FR-fr", "1\u00a0234,50\u00a0€"}} {
		if got, err := call(findPrim("format-money-locale"), mustDecimal(t, "1234.5"), c[0], c[1]); err != nil || got != c[2] {
			t.Errorf("(format-money-locale 1234.5m %q %q) = %q, %v; want %q", c[0], c[1], got, err, c[2])
		}
	}
	for _, loc := range []string{"not a locale", "xx", "fr-XX", ""} {
		_, err := call(findPrim("format-money-locale"), runtime.DecimalFromInt(1), "EUR", loc)
		if err == nil || !strings.Contains(err.Error(), "unknown locale") || !strings.Contains(err.Error(), "en-gb") {
			t.Errorf("locale %q: %v", loc, err)
		}
	}
	if !slices.Contains(moneycldr.Locales, "en") {
		t.Error("format-money's en is not among the locales")
	}
}

func mustDecimal(t *testing.T, s string) *runtime.Decimal {
	d, err := runtime.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
