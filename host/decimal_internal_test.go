package host

import (
	"bytes"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
)

// JSON written by the host reads back to the same values, decimals with
// their scale: what one service sends another receives.
func TestDecimalJSONRoundTrip(t *testing.T) {
	for _, src := range []string{
		`3.20m`, `0.10m`, `-0.05m`, `0.00m`, `100000.00m`,
		`123456789012345678901234567890.123456789m`,
		`{:price 3.20m :qty 2 :lines '(1.10m 2.25m) :rate 0.5}`,
	} {
		th := runtime.NewEnv().NewThread(nil)
		v, err := th.EvalString("t", src)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := toJSON(&buf, v); err != nil {
			t.Fatal(err)
		}
		back, err := fromJSON(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %s does not read back: %v", src, buf.String(), err)
		}
		// 0.5 was a float: it comes back as the decimal it printed as.
		want := runtime.Print(v)
		if src[0] == '{' {
			want = `{:price 3.20m :qty 2 :lines (1.10m 2.25m) :rate 0.5m}`
		}
		if got := runtime.Print(back); got != want {
			t.Errorf("%s: JSON %s read back as %s, want %s", src, buf.String(), got, want)
		}
	}
}

// Numbers with a fraction or an exponent read as decimals of their digits;
// integral ones stay ints, or decimals beyond int64; those beyond a
// decimal's bounds are refused as before.
func TestJSONNumbers(t *testing.T) {
	for text, want := range map[string]string{
		`3.20`:                 `3.20m`,
		`1e3`:                  `1000m`,
		`1.5E-3`:               `0.0015m`,
		`42`:                   `42`,
		`-0.0`:                 `0.0m`,
		`12345678901234567890`: `12345678901234567890m`,
	} {
		v, err := fromJSON([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got := runtime.Print(v); got != want {
			t.Errorf("%s read as %s, want %s", text, got, want)
		}
	}
	if _, err := fromJSON([]byte(`1e99999`)); err == nil {
		t.Error("1e99999 read without an error")
	}
}

// A :decimal parameter from a form, a query string or JSON.
func TestCoerceDecimal(t *testing.T) {
	p := runtime.Param{Name: "price", Type: "decimal"}
	d320, _ := runtime.ParseDecimal("3.20")
	for _, raw := range []runtime.Value{"3.20", " 3.20 ", d320} {
		v, err := coerce(p, raw)
		if err != nil || runtime.Print(v) != "3.20m" {
			t.Errorf("%#v: %v, %v", raw, v, err)
		}
	}
	if v, err := coerce(p, int64(7)); err != nil || runtime.Print(v) != "7m" {
		t.Errorf("7: %v %v", v, err)
	}
	if v, err := coerce(p, 0.1); err != nil || runtime.Print(v) != "0.1m" {
		t.Errorf("0.1: %v %v", v, err)
	}
	if v, err := coerce(p, "  "); err != nil || v != nil {
		t.Errorf("blank: %v %v", v, err)
	}
	for _, bad := range []runtime.Value{"3,20", "NaN", "inf", "1e99999", true} {
		if _, err := coerce(p, bad); err == nil {
			t.Errorf("%#v accepted", bad)
		}
	}
	// :int and :ids take integral decimals (JSON 3.0), :float the nearest float.
	d3, _ := runtime.ParseDecimal("3.0")
	if v, err := coerce(runtime.Param{Name: "n", Type: "int"}, d3); err != nil || v != int64(3) {
		t.Errorf(":int 3.0: %v %v", v, err)
	}
	if v, err := coerce(runtime.Param{Name: "x", Type: "float"}, d320); err != nil || v != 3.2 {
		t.Errorf(":float 3.20: %v %v", v, err)
	}
	if v, err := coerce(runtime.Param{Name: "s", Type: "str"}, d320); err != nil || v != "3.20" {
		t.Errorf(":str 3.20: %v %v", v, err)
	}
}
