package core

import (
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/rose-ash/sxhost/runtime"
)

// The grouping money reads from a locale once writes every integer part as
// x/text does (notation.group, what money called per amount before), or is
// not used for that locale.
func TestMoneyGroupingMatchesXText(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	fast := map[string]bool{}
	for _, loc := range []string{"en", "en-GB", "en-IN", "hi", "fr", "fr-CH", "de", "de-CH", "es", "it",
		"pt", "pt-PT", "nl", "sv", "nb", "pl", "ru", "ja", "zh", "ko", "ar", "ar-EG", "fa", "th", "bn", "mr"} {
		tag := language.MustParse(loc)
		g := groupingFor(tag)
		fast[loc] = g.ok
		if !g.ok {
			continue
		}
		p := message.NewPrinter(tag)
		for i := 0; i < 2000; i++ {
			digits := strconv.FormatUint(r.Uint64N(1_000_000_000_000_000_000), 10)
			digits = digits[:1+r.IntN(len(digits))]
			if got, want := g.String(digits), (notation{}).group(p, digits); got != want {
				t.Fatalf("%s: %s grouped %q, x/text %q", loc, digits, got, want)
			}
		}
	}
	for _, loc := range []string{"en", "en-IN", "fr", "de", "es"} {
		if !fast[loc] {
			t.Errorf("%s: grouping not read (money would ask x/text per amount)", loc)
		}
	}
}

// moneyReference is money as it was before the cached style: every
// look-up per call (the x/text printer, the tag, the symbol, the grouping).
func moneyReference(th *Thread, d *runtime.Decimal, code, locale string) string {
	unit := currency.MustParseISO(code)
	tag := language.MustParse(locale)
	scale, _ := currency.Standard.Rounding(unit)
	r := roundTo(th, "ref", d, int32(scale), "half-up")
	n := notationFor(tag)
	p := message.NewPrinter(tag)
	symbol := p.Sprint(currency.Symbol(unit))
	intPart, frac, _ := strings.Cut(r.Abs().String(), ".")
	var b strings.Builder
	if r.Sign() < 0 {
		b.WriteByte('-')
	}
	if n.position == symbolBefore || n.position == symbolBeforeSpaced {
		b.WriteString(symbol)
		if last := []rune(symbol); n.position == symbolBeforeSpaced || unicode.IsLetter(last[len(last)-1]) {
			b.WriteString("\u00a0")
		}
	}
	b.WriteString(n.group(p, intPart))
	if frac != "" {
		b.WriteString(n.point)
		b.WriteString(frac)
	}
	if n.position == symbolAfter {
		b.WriteString("\u00a0")
		b.WriteString(symbol)
	}
	return b.String()
}

// format-money with its style cached writes what the per-call look-ups
// wrote, on random amounts (large, negative, more digits than the
// currency's) in several currencies and locales.
func TestFormatMoneyMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	th := &runtime.Thread{}
	for i := 0; i < 3000; i++ {
		coef := r.Int64N(1_000_000_000_000) >> r.IntN(40)
		if i%7 == 0 {
			coef = r.Int64() // up to 19 digits
		}
		if r.IntN(3) == 0 {
			coef = -coef
		}
		d, err := runtime.NewDecimal(big.NewInt(coef), int32(r.IntN(5)))
		if err != nil {
			t.Fatal(err)
		}
		code := []string{"GBP", "EUR", "USD", "JPY", "KWD", "INR", "CHF"}[r.IntN(7)]
		loc := []string{"en", "en-GB", "en-IN", "fr", "fr-FR", "de", "de-CH", "es", "nl", "pt-PT", "ja", "ar"}[r.IntN(12)]
		got, err := call(findPrim("format-money-locale"), d, code, loc)
		if err != nil {
			t.Fatal(err)
		}
		if want := moneyReference(th, d, code, loc); got != want {
			t.Fatalf("(format-money-locale %s %q %q) = %q, want %q", d, code, loc, got, want)
		}
		if loc == "en" {
			if got, _ := call(findPrim("format-money"), d, code); got != moneyReference(th, d, code, "en") {
				t.Fatalf("(format-money %s %q) = %q", d, code, got)
			}
		}
	}
	if _, err := call(findPrim("format-money-locale"), runtime.DecimalFromInt(1), "EUR", "not a locale"); err == nil {
		t.Error("a bad locale after a good one: no error")
	}
}
