package runtime

import (
	"strconv"
	"strings"
	"testing"
)

// TestBlocksHandOutIndependentValues fills strings, value slices and
// decimals from one Blocks across several blocks of each kind and checks
// that nothing handed out earlier changes as later values are made, and
// that the dicts NewDictsOf makes are independent of one another.
func TestBlocksHandOutIndependentValues(t *testing.T) {
	var b Blocks
	var strs []string
	var rows [][]Value
	var decs []*Decimal
	for i := range 2000 {
		s := strings.Repeat(strconv.Itoa(i), 1+i%7)
		if i%97 == 0 {
			s = strings.Repeat("x", sharedTextLimit+i%3) // its own allocation
		}
		p := []byte(s)
		strs = append(strs, b.String(p))
		p[0] = '#' // the string is a copy
		row := b.Values(3)
		if len(row) != 3 || cap(row) != 3 {
			t.Fatalf("Values(3): len %d cap %d", len(row), cap(row))
		}
		row[0], row[1], row[2] = int64(i), strs[i], nil
		rows = append(rows, row)
		decs = append(decs, b.Decimal(int64(i)*7, int32(i%4)))
	}
	for i := range 2000 {
		want := strings.Repeat(strconv.Itoa(i), 1+i%7)
		if i%97 == 0 {
			want = strings.Repeat("x", sharedTextLimit+i%3)
		}
		if strs[i] != want {
			t.Fatalf("string %d: %q, want %q", i, strs[i], want)
		}
		if rows[i][0] != int64(i) || rows[i][1] != want || rows[i][2] != nil {
			t.Fatalf("row %d: %v", i, rows[i])
		}
		if d := decs[i]; d.coef != int64(i)*7 || d.scale != int32(i%4) {
			t.Fatalf("decimal %d: %s", i, d)
		}
	}
	if b.String(nil) != "" {
		t.Error("String(nil) is not empty")
	}
	keys := []string{"a", "b", "c"}
	dicts := NewDictsOf(keys, rows[:10])
	d0, d1 := dicts[0].(*Dict), dicts[1].(*Dict)
	d0.Set("a", "changed")
	d0.Set("d", 1)
	if v, _ := d1.Get("a"); v != int64(1) {
		t.Errorf("a dict changed its neighbour: %v", v)
	}
	if got := Print(d1); got != `{:a 1 :b "11" :c nil}` {
		t.Errorf("dict 1 prints %s", got)
	}
	if dup := NewDictsOf([]string{"a", "a", "b"}, rows[:2]); Print(dup[1]) != `{:a "11" :b nil}` {
		t.Errorf("repeated keys: %s", Print(dup[1]))
	}
}
