package runtime

import "testing"

// lookupTag searches tagTable by halves, so the table must stay sorted and
// free of duplicates: an entry out of order would make its element (and
// others) unknown, rendering them as calls.
func TestTagTableSorted(t *testing.T) {
	for i := 1; i < len(tagTable); i++ {
		if tagTable[i-1].name >= tagTable[i].name {
			t.Fatalf("tagTable: %q before %q", tagTable[i-1].name, tagTable[i].name)
		}
	}
	for i := range tagTable {
		if got, ok := lookupTag(tagTable[i].name); !ok || got != &tagTable[i] {
			t.Errorf("lookupTag(%q) misses its entry", tagTable[i].name)
		}
	}
	for _, name := range []string{"", "A", "Div", "zz", "feturbulence", "~card", "+"} {
		if _, ok := lookupTag(name); ok {
			t.Errorf("lookupTag(%q) found an element", name)
		}
	}
	voids := 0
	for _, tg := range tagTable {
		if tg.void {
			voids++
		}
	}
	if voids != 14 {
		t.Errorf("%d void elements, want 14 (area base br col embed hr img input link meta param source track wbr)", voids)
	}
}
