package runtime

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// The decimal arithmetic checked against math/big's exact rationals on
// random operands: small coefficients (the int64 fast paths), large ones
// (big.Int) and the boundary between them.

func randomDecimal(r *rand.Rand) *Decimal {
	var c *big.Int
	switch r.IntN(4) {
	case 0: // money-sized
		c = big.NewInt(r.Int64N(1_000_000_00))
	case 1: // near the int64 boundary
		c = big.NewInt(r.Int64())
	case 2: // beyond it
		c = new(big.Int).Mul(big.NewInt(r.Int64()), big.NewInt(r.Int64()))
	default:
		c = big.NewInt(r.Int64N(1000))
	}
	if r.IntN(2) == 0 {
		c.Neg(c)
	}
	d, err := NewDecimal(c, int32(r.IntN(25)))
	if err != nil {
		panic(err)
	}
	return d
}

func rat(d *Decimal) *big.Rat {
	return new(big.Rat).SetFrac(d.Coefficient(), pow10(d.Scale()))
}

func TestDecimalArithmeticIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 19))
	for i := 0; i < 20000; i++ {
		x, y := randomDecimal(r), randomDecimal(r)
		rx, ry := rat(x), rat(y)
		sum, _ := DecimalAdd(x, y)
		diff, _ := DecimalSub(x, y)
		prod, _ := DecimalMul(x, y)
		for _, c := range []struct {
			name  string
			got   *Decimal
			want  *big.Rat
			scale int32
		}{
			{"+", sum, new(big.Rat).Add(rx, ry), max(x.Scale(), y.Scale())},
			{"-", diff, new(big.Rat).Sub(rx, ry), max(x.Scale(), y.Scale())},
			{"*", prod, new(big.Rat).Mul(rx, ry), x.Scale() + y.Scale()},
		} {
			if rat(c.got).Cmp(c.want) != 0 || c.got.Scale() != c.scale {
				t.Fatalf("%s %s %s = %s (scale %d), want %s (scale %d)", x, c.name, y, c.got, c.got.Scale(), c.want.FloatString(30), c.scale)
			}
			if (c.got.big != nil) == c.got.Coefficient().IsInt64() {
				t.Fatalf("%s %s %s: representation of %s not canonical", x, c.name, y, c.got)
			}
		}
		if got, want := x.Cmp(y), rx.Cmp(ry); got != want {
			t.Fatalf("cmp %s %s = %d, want %d", x, y, got, want)
		}
		back, err := ParseDecimal(x.String())
		if err != nil || back.String() != x.String() || back.Scale() != x.Scale() {
			t.Fatalf("%s reads back as %v (%v)", x, back, err)
		}
	}
}

func TestDecimalDivRoundsOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 19))
	half := big.NewRat(1, 2)
	for i := 0; i < 20000; i++ {
		x, y := randomDecimal(r), randomDecimal(r)
		if y.Sign() == 0 {
			continue
		}
		scale := int32(r.IntN(12))
		exact := new(big.Rat).Quo(rat(x), rat(y))
		scaled := new(big.Rat).Mul(exact, new(big.Rat).SetInt(pow10(scale)))
		// floor and the fraction above it, from the rational.
		fl := new(big.Int).Div(scaled.Num(), scaled.Denom()) // Euclidean: floor for a positive divisor
		frac := new(big.Rat).Sub(scaled, new(big.Rat).SetInt(fl))
		neg := scaled.Sign() < 0
		for _, mode := range RoundingModes {
			got, err := DecimalDiv(x, y, scale, mode)
			if err != nil {
				t.Fatal(err)
			}
			up := false // to fl+1 rather than fl
			if frac.Sign() != 0 {
				c := frac.Cmp(half)
				awayIsUp := !neg
				switch mode {
				case "up":
					up = awayIsUp
				case "down":
					up = !awayIsUp
				case "ceiling":
					up = true
				case "floor":
					up = false
				case "half-up":
					up = c > 0 || c == 0 && awayIsUp
				case "half-down":
					up = c > 0 || c == 0 && !awayIsUp
				case "half-even":
					up = c > 0 || c == 0 && fl.Bit(0) == 1
				}
			}
			want := new(big.Int).Set(fl)
			if up {
				want.Add(want, big.NewInt(1))
			}
			if got.Coefficient().Cmp(want) != 0 || got.Scale() != scale {
				t.Fatalf("decimal-div %s %s %d %s = %s, want %s × 10^-%d", x, y, scale, mode, got, want, scale)
			}
		}
	}
}

// DecimalRound's int64 path (round64) gives what the general division by
// one gives, in every mode, rounding down, at the same scale and scaling up
// (also where scaling up overflows an int64 and the big path takes over).
func TestDecimalRoundMatchesDivision(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 31))
	for i := 0; i < 20000; i++ {
		x := randomDecimal(r)
		if i%3 == 0 { // halves and exact ties
			x, _ = NewDecimal(big.NewInt(r.Int64N(2000)-1000), 3)
			if i%2 == 0 {
				x, _ = NewDecimal(big.NewInt((r.Int64N(200)-100)*10+5), 1+int32(r.IntN(3)))
			}
		}
		scale := int32(r.IntN(26))
		for _, mode := range RoundingModes {
			got, err := DecimalRound(x, scale, mode)
			if err != nil {
				t.Fatal(err)
			}
			want, err := DecimalDiv(x, decimalOne, scale, mode)
			if err != nil {
				t.Fatal(err)
			}
			if got.Cmp(want) != 0 || got.Scale() != want.Scale() || got.String() != want.String() {
				t.Fatalf("round %s to %d %s = %s, want %s", x, scale, mode, got, want)
			}
		}
	}
	if _, err := DecimalRound(DecimalFromInt(5), 0, "sideways"); err == nil {
		t.Error("unknown mode: no error")
	}
	if _, err := DecimalRound(DecimalFromInt(5), 2, "sideways"); err == nil {
		t.Error("unknown mode while scaling up: no error")
	}
}

func TestDecimalQuo(t *testing.T) {
	for _, c := range [][3]string{
		{"10.00", "4", "2.50"},
		{"1", "3", "0." + strings.Repeat("3", 34)},
		{"2", "3", "0." + strings.Repeat("6", 33) + "7"},
		{"1", "0.01", "100"},
		{"-7.5", "2.5", "-3"},
		{"-7.50", "2.5", "-3.0"},
		{"0.00", "7", "0.00"},
		{"1", "8", "0.125"},
		{"123456789012345678901234567890123456789", "1", "123456789012345678901234567890123500000"},
	} {
		x, _ := ParseDecimal(c[0])
		y, _ := ParseDecimal(c[1])
		got, err := DecimalQuo(x, y)
		if err != nil || got.String() != c[2] {
			t.Errorf("%s / %s = %v (%v), want %s", c[0], c[1], got, err, c[2])
		}
	}
	// On random operands the quotient is within half a unit of its last
	// digit and has at most 34 significant digits.
	r := rand.New(rand.NewPCG(3, 19))
	for i := 0; i < 5000; i++ {
		x, y := randomDecimal(r), randomDecimal(r)
		if y.Sign() == 0 {
			continue
		}
		q, err := DecimalQuo(x, y)
		if err != nil {
			t.Fatal(err)
		}
		digits := len(strings.TrimLeft(new(big.Int).Abs(q.Coefficient()).String(), "0"))
		errAbs := new(big.Rat).Sub(rat(q), new(big.Rat).Quo(rat(x), rat(y)))
		errAbs.Abs(errAbs)
		// The last kept digit: the scale's, or higher for quotients of more
		// than 34 integer digits (padded with zeros).
		ulp := new(big.Rat).SetFrac(big.NewInt(1), pow10(q.Scale()))
		if digits > quoDigits {
			ulp.SetInt(pow10(int32(digits - quoDigits)))
		}
		if digits > quoDigits && q.Scale() > 0 || errAbs.Cmp(new(big.Rat).Mul(ulp, big.NewRat(1, 2))) > 0 {
			t.Fatalf("%s / %s = %s: %d digits, off by %s", x, y, q, digits, errAbs.FloatString(40))
		}
	}
}

func TestDecimalBounds(t *testing.T) {
	for _, s := range []string{"1e1001", "1e-2001", "1" + strings.Repeat("0", 2001), "0." + strings.Repeat("0", 1000) + "1"} {
		if _, err := ParseDecimal(s); err == nil {
			t.Errorf("%.30s… read without an error", s)
		}
	}
	big1, _ := ParseDecimal("9" + strings.Repeat("9", 600))
	if _, err := DecimalMul(big1, big1); err == nil {
		t.Error("a 1200-digit product was made")
	}
	if d, err := ParseDecimal("1e3"); err != nil || d.String() != "1000" {
		t.Errorf("1e3: %v %v", d, err)
	}
	if d, err := ParseDecimal("-0.00"); err != nil || d.String() != "0.00" {
		t.Errorf("-0.00: %v %v", d, err)
	}
	min, _ := NewDecimal(big.NewInt(-1<<63), 2)
	if got := min.Neg().String(); got != "92233720368547758.08" {
		t.Errorf("-(min int64 cents) = %s", got)
	}
}
