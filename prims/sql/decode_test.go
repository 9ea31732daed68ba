package sqlprims_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// TestDecodeMatchesPgx checks that rows decoded from their bytes give the
// values pgx's generic decoding gave (same type, same printed form: a
// decimal's scale included) for every fast column type, their edges, NULLs,
// and 6,000 random numerics of random precision and scale, some beyond an
// int64 (those go through pgx and must still agree).
func TestDecodeMatchesPgx(t *testing.T) {
	pool := open(t, sqlprims.Options{})
	th := thread(t, pool)
	rng := rand.New(rand.NewPCG(20, 5))
	var nums []string
	for _, s := range []string{"0", "0.00", "-0.5", "1", "10000", "100000000", "0.0001", "0.00010",
		"12.50", "9223372036854775807", "-9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "92233720368547758.07", "1e20", "1.5e-30", "NaN", "Infinity", "-Infinity",
		"123456789012345678901234567890.123"} {
		nums = append(nums, s)
	}
	for range 6000 {
		var b strings.Builder
		if rng.IntN(3) == 0 {
			b.WriteByte('-')
		}
		n := 1 + rng.IntN(24)
		for i := range n {
			if i == 0 {
				b.WriteByte(byte('1' + rng.IntN(9)))
			} else {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		s := b.String()
		if k := rng.IntN(n + 3); k < n && rng.IntN(4) != 0 {
			s = s[:len(s)-k] + "." + s[len(s)-k:]
		}
		nums = append(nums, s)
	}
	queries := []struct {
		sql  string
		args []any
	}{
		{`select x::numeric, case when x like '%Infinity' then null else x::numeric(40,6) end, round(x::numeric, 2) from unnest($1::text[]) x`, []any{nums}},
		{`select 0::int2, (-32768)::int2, 32767::int2, (-2147483648)::int4, 2147483647::int4, 1023::int4, 1024::int8,
			(-9223372036854775808)::int8, 9223372036854775807::int8, (-129)::int8, null::int4`, nil},
		{`select 1.5::float4, 'NaN'::float4, '-Infinity'::float8, 1e308::float8, 0.1::float8, -0.0::float8,
			true, false, null::bool`, nil},
		{`select ''::text, 'Café <b> "q" & ☃'::text, 'ab'::char(5), 'v'::varchar(3), 'pg_class'::name,
			null::text, 'x'::citext`, nil},
	}
	if _, err := pool.Exec(context.Background(), "create extension if not exists citext"); err != nil {
		queries = queries[:3] // no citext: the rest still runs
		t.Logf("no citext: %v", err)
	}
	total := 0
	for _, q := range queries {
		rows, err := pool.Query(context.Background(), q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		got, want, fast, err := sqlprims.DecodeBothWays(th, rows)
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%s: %d rows, want %d", q.sql, len(got), len(want))
		}
		for r := range got {
			for c := range got[r] {
				g, w := show(got[r][c]), show(want[r][c])
				if g != w {
					t.Errorf("%.40s… row %d column %d: got %s, want %s", q.sql, r, c, g, w)
				}
			}
		}
		total += fast
	}
	if total < 12000 {
		t.Errorf("only %d values were read from their bytes", total)
	}
}

func show(v runtime.Value) string { return fmt.Sprintf("%T %s", v, runtime.Print(v)) }
