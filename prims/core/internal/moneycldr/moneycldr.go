// Package moneycldr reads from golang.org/x/text what format-money needs of
// a locale and a currency, for the generator of prims/core's money tables
// (gen/) and for the test that checks those tables against x/text. The sx
// binary does not link it: x/text's CLDR data would cost every sx eval
// page faults at start-up (docs/benchmarks.md, issue 20 item 5).
package moneycldr

import (
	"fmt"
	"strings"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Locales are the BCP 47 tags format-money-locale knows: the languages of
// the European Union, the other languages the CLDR currency patterns below
// name, and the regions whose notation differs or that callers name.
var Locales = []string{
	"en", "en-US", "en-GB", "en-IE", "en-AU", "en-NZ", "en-CA", "en-IN", "en-ZA", "en-SG",
	"fr", "fr-FR", "fr-BE", "fr-CA", "fr-CH", "fr-LU",
	"de", "de-DE", "de-AT", "de-CH", "de-LI", "de-LU",
	"es", "es-ES", "es-MX", "es-AR", "es-US",
	"it", "it-IT", "it-CH",
	"nl", "nl-NL", "nl-BE",
	"pt", "pt-BR", "pt-PT",
	"pl", "cs", "sk", "sv", "fi", "da", "nb", "nn", "no", "is",
	"ru", "uk", "be", "hu", "ro", "bg", "hr", "sl", "sr", "lt", "lv", "et", "el", "ca",
	"ga", "cy", "mt", "tr",
	"hi", "ja", "zh", "zh-TW", "ko",
}

// Where a locale's currency pattern (CLDR) puts the symbol.
const (
	SymbolBefore       = iota // ¤#,##0.00 (en, ja, zh …)
	SymbolBeforeSpaced        // ¤ #,##0.00 (nl, de-CH, pt-BR …)
	SymbolAfter               // #,##0.00 ¤ (fr, de, es, it, the Nordic and Slavic languages …)
)

// symbolAfterLanguages, symbolSpaced and symbolAfterTags hold the CLDR
// currency patterns that differ from English; x/text formats numbers by
// locale but not currency patterns.
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

// Position is where tag's currency pattern puts the symbol.
func Position(tag language.Tag) int {
	base, _ := tag.Base()
	region, _ := tag.Region()
	lr := base.String() + "-" + region.String()
	switch {
	case symbolAfterTags[lr]:
		return SymbolAfter
	case symbolSpaced[lr] || symbolSpaced[base.String()]:
		return SymbolBeforeSpaced
	case symbolAfterLanguages[base.String()]:
		return SymbolAfter
	}
	return SymbolBefore
}

// Point is tag's decimal separator, as x/text prints one half.
func Point(tag language.Tag) string {
	half := message.NewPrinter(tag).Sprint(number.Decimal(0.5, number.Scale(1)))
	return strings.TrimSuffix(strings.TrimPrefix(half, "0"), "5")
}

// Group is the integer digits (at most 18) as x/text writes them in tag.
func Group(p *message.Printer, digits string) string {
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	return p.Sprint(number.Decimal(v))
}

// Grouping is how a locale groups integer digits: sep between groups of
// primary digits (the last) and secondary digits (the others), only when
// there are at least primary+MinGroup digits.
type Grouping struct {
	Sep                string
	Primary, Secondary int
	MinGroup           int
}

// ReadGrouping reads tag's grouping from how x/text writes numbers; it
// fails when the digits are not ASCII or the separators are mixed.
func ReadGrouping(tag language.Tag) (Grouping, error) {
	p := message.NewPrinter(tag)
	long := Group(p, "123456789012345")
	var runs, seps []string
	for i := 0; i < len(long); {
		j := i
		for j < len(long) && long[j] >= '0' && long[j] <= '9' {
			j++
		}
		if j == i {
			return Grouping{}, fmt.Errorf("%s: digits beyond ASCII in %q", tag, long)
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
	g := Grouping{MinGroup: 1}
	if len(seps) == 0 {
		return g, nil
	}
	for _, s := range seps {
		if s != seps[0] {
			return Grouping{}, fmt.Errorf("%s: mixed separators in %q", tag, long)
		}
	}
	g.Sep = seps[0]
	g.Primary = len(runs[len(runs)-1])
	g.Secondary = g.Primary
	if len(runs) > 2 {
		g.Secondary = len(runs[len(runs)-2])
	}
	for g.MinGroup < 4 && Group(p, "123456789"[:g.Primary+g.MinGroup]) == "123456789"[:g.Primary+g.MinGroup] {
		g.MinGroup++
	}
	return g, nil
}

// Currencies are the ISO 4217 codes x/text knows, in order, each with its
// standard minor digits.
func Currencies() (codes []string, digits []int) {
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				code := string([]rune{a, b, c})
				unit, err := currency.ParseISO(code)
				if err != nil || unit.String() != code {
					continue
				}
				scale, _ := currency.Standard.Rounding(unit)
				codes = append(codes, code)
				digits = append(digits, scale)
			}
		}
	}
	return codes, digits
}

// Symbol is code's symbol in tag (the code itself when the locale has none).
func Symbol(tag language.Tag, code string) string {
	return message.NewPrinter(tag).Sprint(currency.Symbol(currency.MustParseISO(code)))
}
