package runtime

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestDictAgainstReference runs random sets and deletes on dicts that move
// between the small (slice) and the map representation and checks every
// read (Keys, Get, All) against a plain ordered reference, and that a Keys snapshot taken
// before a delete is left alone.
func TestDictAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		d := NewDict(r.IntN(2 * smallDict))
		var order []string
		ref := map[string]Value{}
		nkeys := 1 + r.IntN(3*smallDict)
		for range 300 {
			k := "k" + strconv.Itoa(r.IntN(nkeys))
			if r.IntN(3) == 0 {
				snap := d.Keys()
				before := slices.Clone(snap)
				d.Delete(k)
				if !slices.Equal(snap, before) {
					t.Fatalf("round %d: Delete(%s) changed an earlier Keys result", round, k)
				}
				if _, ok := ref[k]; ok {
					delete(ref, k)
					order = slices.DeleteFunc(order, func(s string) bool { return s == k })
				}
			} else {
				v := int64(r.IntN(1000))
				d.Set(k, v)
				if _, ok := ref[k]; !ok {
					order = append(order, k)
				}
				ref[k] = v
			}
			if d.Len() != len(ref) || !slices.Equal(d.Keys(), order) {
				t.Fatalf("round %d: keys %v (len %d), want %v", round, d.Keys(), d.Len(), order)
			}
			for _, k := range order {
				if v, ok := d.Get(k); !ok || v != ref[k] {
					t.Fatalf("round %d: Get(%s) = %v %v, want %v", round, k, v, ok, ref[k])
				}
			}
			if _, ok := d.Get("absent"); ok {
				t.Fatal("Get of an absent key succeeded")
			}
			var all []string
			for k, v := range d.All() {
				if v != ref[k] {
					t.Fatalf("round %d: All gives %s = %v, want %v", round, k, v, ref[k])
				}
				all = append(all, k)
			}
			if !slices.Equal(all, order) {
				t.Fatalf("round %d: All's keys %v, want %v", round, all, order)
			}
			if c := d.Copy(); !Equal(c, d) || !slices.Equal(c.Keys(), order) {
				t.Fatalf("round %d: Copy differs", round)
			}
		}
	}
}

// TestDictOfSharesKeysSafely: dicts made by NewDictOf over one keys slice
// (database rows) stay independent when one of them is set, grown past the
// small size, or has a key deleted.
func TestDictOfSharesKeysSafely(t *testing.T) {
	keys := []string{"id", "name", "price"}
	a := NewDictOf(keys, []Value{int64(1), "a", 1.5})
	b := NewDictOf(keys, []Value{int64(2), "b", 2.5})
	a.Set("extra", true)
	a.Set("name", "A")
	for i := range 10 {
		a.Set("k"+strconv.Itoa(i), int64(i))
	}
	b.Delete("name")
	c := NewDictOf(keys, []Value{int64(3), "c", 3.5})
	if !slices.Equal(keys, []string{"id", "name", "price"}) {
		t.Fatalf("shared keys changed: %v", keys)
	}
	if v, _ := a.Get("name"); v != "A" || a.Len() != 14 {
		t.Errorf("a: name %v, len %d", v, a.Len())
	}
	if !slices.Equal(b.Keys(), []string{"id", "price"}) {
		t.Errorf("b keys %v", b.Keys())
	}
	if !slices.Equal(c.Keys(), keys) || c.val("name") != "c" {
		t.Errorf("c: %v %v", c.Keys(), c.val("name"))
	}
}

func TestDictOfRepeatedKey(t *testing.T) {
	d := NewDictOf([]string{"a", "b", "a"}, []Value{int64(1), int64(2), int64(3)})
	if !slices.Equal(d.Keys(), []string{"a", "b"}) || d.val("a") != int64(3) {
		t.Errorf("keys %v, a = %v", d.Keys(), d.val("a"))
	}
}
