package client

// skippedScripts are language scripts that test what only the server has.
var skippedScripts = map[string]string{
	"prims_crypto.sx": "hashing, HMAC, JWT and random tokens stay on the server (keys never reach a browser)",
	"render_wire.sx":  "the wire format is produced by the server; the browser reads it",
}

// Numbers: sx.js holds every number as one JS double, an integral value
// being an int. So int?/float? tell values apart by whether they are
// integral (3.0 is an int), ints beyond 2^53 lose precision, and the int64
// overflow checks of the server do not exist in the browser.
const numbersReason = "the browser holds numbers as JS doubles (no separate int64; see docs/client.md)"

// decimalReason: sx.js reads, prints, renders, compares and adds
// decimals exactly, but division and rounding modes are server-side so far.
const decimalReason = "decimal division and rounding modes are not in the browser yet"

// browserSkips are deftests whose subject the browser runtime leaves out on
// purpose; each says why. A failing deftest not listed here fails the test.
var browserSkips = []struct{ file, test, reason string }{
	{"definitions.sx", "defquery and defaction bodies run when called", "queries and actions run on the server"},
	{"definitions.sx", "defquery does not run its body at definition time", "queries and actions run on the server"},
	{"prims_numbers.sx", "inc and dec", numbersReason},
	{"prims_numbers.sx", "abs", numbersReason},
	{"prims_numbers.sx", "round with digits returns a float", numbersReason},
	{"prims_numbers.sx", "min max clamp", numbersReason},
	{"prims_numbers.sx", "sqrt and pow", numbersReason},
	{"prims_numbers.sx", "parse-float", numbersReason},
	{"prims_numbers.sx", "sum", numbersReason},
	{"prims_predicates.sx", "type predicates", numbersReason},
	{"printing.sx", "numbers", numbersReason},
	{"values.sx", "a float operand gives a float", numbersReason},
	{"values.sx", "division is exact when it can be", numbersReason},
	{"values.sx", "integer overflow is an error, never a wrap", numbersReason},
	{"prims_higher.sx", "reduce with + and * overflows like the calls", numbersReason},
	{"values.sx", "number literals", numbersReason},
}

func init() {
	browserSkips = append(browserSkips, []struct{ file, test, reason string }{
		{"prims_json_time.sx", "json-encode atoms", numbersReason},
		{"prims_numbers.sx", "int and float compare by exact value", numbersReason},
		{"prims_strings.sx", "attribute names never carry markup", "checked with render-to-sx, which is server-only"},
		{"render_html.sx", "an author marks a URL trusted with raw!", "the wire format is produced by the server"},
		{"render_html.sx", "the wire format neutralises URL attributes too", "the wire format is produced by the server"},
		{"decimals.sx", "+ - * are exact and keep the scale", numbersReason},
		{"decimals.sx", "floats join decimals as the decimal they print as", numbersReason},
		{"decimals.sx", "comparison and equality with ints, floats and decimals", numbersReason},
		{"decimals.sx", "division: / to 34 digits, decimal-div with a scale and a mode", decimalReason},
		{"decimals.sx", "rounding modes", decimalReason},
		{"decimals.sx", "rendering keeps the scale", "format-money stays on the server"},
		{"decimals.sx", "format-money by currency and locale", "format-money stays on the server"},
		{"decimals.sx", "the wire format sends decimals as decimal literals", "the wire format is produced by the server"},
		{"prims_json_time.sx", "json-decode", numbersReason},
		{"tail_calls.sx", "a tail-recursive function called inside wire rendering", "the wire format is produced by the server"},
		{"prims_json_time.sx", "json-decode errors", "sx.js decodes with the browser's JSON.parse, whose messages differ"},
	}...)
}
