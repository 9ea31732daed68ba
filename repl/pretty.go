package repl

// The pretty printer: §0.13 syntax, wrapped to the terminal's width, with
// long and deep values elided.

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/rose-ash/sxhost/runtime"
)

// Printer formats values as the REPL shows them. Values that fit the width
// print as runtime.Print does; longer lists and dicts are wrapped and
// indented, and parts beyond the limits are replaced by an ellipsis (…), so
// printing is bounded even for huge or cyclic values. Output without an
// ellipsis reads back to an equal value.
type Printer struct {
	Width     int // columns to fit; 80 when 0
	MaxItems  int // items shown of one list or dict; 100 when 0
	MaxDepth  int // nesting shown; 16 when 0
	MaxString int // characters shown of one string; 2000 when 0
	MaxNodes  int // values shown in all; 5000 when 0
}

// Format returns the printed form of v, without a trailing newline.
func (p Printer) Format(v runtime.Value) string {
	if p.Width <= 0 {
		p.Width = 80
	}
	if p.MaxItems <= 0 {
		p.MaxItems = 100
	}
	if p.MaxDepth <= 0 {
		p.MaxDepth = 16
	}
	if p.MaxString <= 0 {
		p.MaxString = 2000
	}
	if p.MaxNodes <= 0 {
		p.MaxNodes = 5000
	}
	st := &layout{p: p, budget: p.MaxNodes, open: map[any]bool{}}
	d := st.build(v, 0)
	st.render(d, 0)
	return st.b.String()
}

// doc is a value laid out: an atom, or a list or dict with its parts.
type doc struct {
	text        string // an atom's printed form
	open, close string // "(" ")" or "{" "}" for collections
	items       []*doc // list items; for dicts keys and values alternate
	dict        bool
	more        string // the elision marker ending the items, if any
	width       int    // columns when printed on one line
}

func (d *doc) coll() bool { return d.open != "" }

type layout struct {
	p      Printer
	budget int
	open   map[any]bool // the lists and dicts being built: a cycle shows as …
	b      strings.Builder
}

func atom(s string) *doc { return &doc{text: s, width: runewidth.StringWidth(s)} }

// build turns v into a doc, applying the limits.
func (st *layout) build(v runtime.Value, depth int) *doc {
	st.budget--
	switch x := v.(type) {
	case string:
		return atom(st.str(x))
	case runtime.HTML:
		return atom("(raw! " + st.str(string(x)) + ")")
	case *runtime.List:
		if (depth >= st.p.MaxDepth || st.open[x]) && len(x.Items) > 0 {
			return atom("(…)")
		}
		st.open[x] = true
		defer delete(st.open, x)
		d := &doc{open: "(", close: ")"}
		for i, it := range x.Items {
			if i >= st.p.MaxItems || st.budget <= 0 {
				d.more = moreMarker(len(x.Items) - i)
				break
			}
			d.items = append(d.items, st.build(it, depth+1))
		}
		d.measure()
		return d
	case *runtime.Dict:
		if (depth >= st.p.MaxDepth || st.open[x]) && x.Len() > 0 {
			return atom("{…}")
		}
		st.open[x] = true
		defer delete(st.open, x)
		d := &doc{open: "{", close: "}", dict: true}
		for i, k := range x.Keys() {
			if i >= st.p.MaxItems || st.budget <= 0 {
				d.more = moreMarker(x.Len() - i)
				break
			}
			var kb strings.Builder
			runtime.WriteKey(&kb, k)
			val, _ := x.Get(k)
			d.items = append(d.items, atom(kb.String()), st.build(val, depth+1))
		}
		d.measure()
		return d
	case time.Time, nil, bool, int64, float64:
		return atom(runtime.Print(x))
	}
	// Symbols, keywords, functions, definitions: short and flat.
	return atom(runtime.Print(v))
}

// str prints a string, cut at MaxString characters.
func (st *layout) str(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= st.p.MaxString {
		return runtime.Print(s)
	}
	cut := s
	i := 0
	for j := range s {
		if i == st.p.MaxString {
			cut = s[:j]
			break
		}
		i++
	}
	return runtime.Print(cut) + "… (" + strconv.Itoa(n-st.p.MaxString) + " more characters)"
}

func moreMarker(n int) string { return "… " + strconv.Itoa(n) + " more" }

func (d *doc) measure() {
	w := len(d.open) + len(d.close)
	for i, it := range d.items {
		if i > 0 {
			w++
		}
		w += it.width
	}
	if d.more != "" {
		if len(d.items) > 0 {
			w++
		}
		w += runewidth.StringWidth(d.more)
	}
	d.width = w
}

// flat writes d on one line.
func (st *layout) flat(d *doc) {
	if !d.coll() {
		st.b.WriteString(d.text)
		return
	}
	st.b.WriteString(d.open)
	for i, it := range d.items {
		if i > 0 {
			st.b.WriteByte(' ')
		}
		st.flat(it)
	}
	if d.more != "" {
		if len(d.items) > 0 {
			st.b.WriteByte(' ')
		}
		st.b.WriteString(d.more)
	}
	st.b.WriteString(d.close)
}

func (st *layout) newline(indent int) {
	st.b.WriteByte('\n')
	st.b.WriteString(strings.Repeat(" ", indent))
}

// render writes d starting at column col, wrapping it when it does not fit
// on the line, and returns the column after the last character written.
func (st *layout) render(d *doc, col int) int {
	if !d.coll() || col+d.width <= st.p.Width {
		st.flat(d)
		return col + d.width
	}
	st.b.WriteString(d.open)
	inner := col + len(d.open)
	c := inner
	switch {
	case d.dict:
		// One entry a line: key, space, value (wrapped under itself).
		for i := 0; i < len(d.items); i += 2 {
			if i > 0 {
				st.newline(inner)
				c = inner
			}
			k, v := d.items[i], d.items[i+1]
			st.b.WriteString(k.text)
			c += k.width + 1
			st.b.WriteByte(' ')
			if v.coll() && c+v.width > st.p.Width && c > inner+st.p.Width/2 {
				// A long key leaves no room: put the value under it.
				st.newline(inner + 1)
				c = inner + 1
			}
			c = st.render(v, c)
		}
	case allAtoms(d.items):
		// Fill: as many items a line as fit.
		for i, it := range d.items {
			limit := st.p.Width
			if i == len(d.items)-1 && d.more == "" {
				limit -= len(d.close) // the last item keeps room for the bracket
			}
			if i > 0 {
				if c+1+it.width > limit && c > inner {
					st.newline(inner)
					c = inner
				} else {
					st.b.WriteByte(' ')
					c++
				}
			}
			st.flat(it)
			c += it.width
		}
	default:
		// One item a line.
		for i, it := range d.items {
			if i > 0 {
				st.newline(inner)
				c = inner
			}
			c = st.render(it, c)
		}
	}
	if d.more != "" {
		mw := runewidth.StringWidth(d.more)
		if len(d.items) > 0 {
			if c+1+mw > st.p.Width || !allAtoms(d.items) || d.dict {
				st.newline(inner)
				c = inner
			} else {
				st.b.WriteByte(' ')
				c++
			}
		}
		st.b.WriteString(d.more)
		c += mw
	}
	st.b.WriteString(d.close)
	return c + len(d.close)
}

func allAtoms(ds []*doc) bool {
	for _, d := range ds {
		if d.coll() {
			return false
		}
	}
	return true
}
