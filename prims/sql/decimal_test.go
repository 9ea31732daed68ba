package sqlprims_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// Decimals travel between SX and PostgreSQL's numeric digit for digit.

func TestNumericKeepsItsScale(t *testing.T) {
	th := thread(t, open(t, sqlprims.Options{}))
	cases := map[string]string{
		`(sql/value "select 3.20::numeric(12,2)")`:                                    "3.20m",
		`(sql/value "select 3::numeric(12,2)")`:                                       "3.00m",
		`(sql/value "select 0::numeric(12,2)")`:                                       "0.00m",
		`(sql/value "select -0.05::numeric(12,2)")`:                                   "-0.05m",
		`(sql/value "select 9999999999.99::numeric(12,2)")`:                           "9999999999.99m",
		`(sql/value "select 123456789012345678901234567890::numeric")`:                "123456789012345678901234567890m",
		`(sql/value "select 42::numeric")`:                                            "42",
		`(sql/value "select sum(x) from (values (1), (2)) v(x)")`:                     "3",
		`(sql/value "select 'NaN'::numeric")`:                                         "nil",
		`(sql/value "select $1::numeric(12,2)" 3.20m)`:                                "3.20m",
		`(sql/value "select $1::numeric" 0.1m)`:                                       "0.1m",
		`(sql/value "select $1::numeric * 3" 0.10m)`:                                  "0.30m",
		`(sql/value "select $1::numeric = 3.2" 3.20m)`:                                "true",
		`(sql/value "select $1::numeric::text" 1234567890.123456789m)`:                `"1234567890.123456789"`,
		`(sql/value "select $1::numeric(12,2)" 1.005m)`:                               "1.01m",
		`(sql/value "select $1::float8" 2.50m)`:                                       "2.5",
		`(sql/value "select $1::int8 + 1" 41m)`:                                       "42",
		`(sql/value "select $1::numeric[]" (list 1.10m 2 3.333m))`:                    "(1.10m 2 3.333m)",
		`(sql/value "select sum(x) from unnest($1::numeric[]) x" (list 0.10m 0.20m))`: "0.30m",
		`(sql/value "select $1::jsonb" {:p 3.20m})`:                                   "{:p 3.20m}",
		`(sql/value "select 100.00::numeric(12,2)")`:                                  "100.00m",
		`(sql/value "select '{\"p\": 3.20}'::jsonb")`:                                 "{:p 3.20m}",
		`(sql/value "select to_json(3.20::numeric(12,2))")`:                           "3.20m",
	}
	for src, want := range cases {
		if got := eval(t, th, src); got != want {
			t.Errorf("%s\n got  %s\n want %s", src, got, want)
		}
	}
	if _, err := th.EvalString("t", `(sql/value "select $1::numeric(4,2)" 123.45m)`); err == nil ||
		!strings.Contains(err.Error(), "numeric field overflow") {
		t.Errorf("a decimal its column cannot hold: %v", err)
	}
}

// TestSumMatchesPostgreSQL adds 10,000 random prices in SX and in
// PostgreSQL: the two sums are the same decimal, digit for digit, where
// floats drift.
func TestSumMatchesPostgreSQL(t *testing.T) {
	th := thread(t, open(t, sqlprims.Options{}))
	if _, err := th.EvalString("t", `(sql/exec "create temporary table prices (price numeric(12,2) not null)")`); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(19, 2026))
	items := make([]runtime.Value, 10000)
	for i := range items {
		// Up to 99,999,999.99: totals pass 2^53 cents' float precision.
		cents := r.Int64N(10_000_000_000)
		d, err := runtime.ParseDecimal(centsText(cents))
		if err != nil {
			t.Fatal(err)
		}
		items[i] = d
	}
	env := th.Env
	env.Define("random-prices", runtime.NewList(items...))
	src := `(do (for-each (fn (chunk) (sql/exec "insert into prices select unnest($1::numeric[])" chunk))
	                      (chunk-every random-prices 1000))
	            (list (sum random-prices)
	                  (reduce + 0 random-prices)
	                  (sql/value "select sum(price) from prices")
	                  (sql/value "select count(*) from prices")
	                  (sum (map (fn (p) (parse-float (str p))) random-prices))))`
	v, err := th.EvalString("t", src)
	if err != nil {
		t.Fatal(err)
	}
	got := v.(*runtime.List).Items
	sxSum, reduced, pgSum := got[0].(*runtime.Decimal), got[1].(*runtime.Decimal), got[2].(*runtime.Decimal)
	if got[3] != int64(10000) {
		t.Fatalf("rows stored: %v", got[3])
	}
	if sxSum.String() != pgSum.String() || reduced.String() != pgSum.String() {
		t.Errorf("SX sum %s, reduce + %s, PostgreSQL sum %s", sxSum, reduced, pgSum)
	}
	if sxSum.Scale() != 2 {
		t.Errorf("sum scale %d, want 2", sxSum.Scale())
	}
	t.Logf("sum of 10,000 prices: %s (as floats: %s)", sxSum, runtime.Print(got[4]))
}

// centsText writes cents as a price with two decimals.
func centsText(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
