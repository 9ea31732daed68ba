package runtime

import "strings"

// tagInfo describes an HTML or SVG element name.
type tagInfo struct {
	name string
	void bool
}

var htmlTags = func() map[string]*tagInfo {
	const html = `html head body title meta link script style noscript base template slot
header footer main nav section article aside address h1 h2 h3 h4 h5 h6 hgroup search
div p span a em strong b i u s small mark code pre kbd samp var sub sup br hr wbr
blockquote q cite abbr time data dfn bdi bdo ins del ruby rt rp
ul ol li dl dt dd menu
img picture source video audio track iframe embed object param canvas map area figure figcaption
table thead tbody tfoot tr th td caption colgroup col
form fieldset legend label input button select option optgroup textarea output datalist progress meter
details summary dialog`
	const svg = `svg g path circle ellipse rect line polyline polygon text tspan textPath defs use symbol
clipPath mask pattern linearGradient radialGradient stop filter foreignObject image marker desc
animate animateMotion animateTransform mpath set switch view metadata
feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset fePointLight
feSpecularLighting feSpotLight feTile feTurbulence`
	voids := map[string]bool{}
	for _, t := range strings.Fields("area base br col embed hr img input link meta param source track wbr") {
		voids[t] = true
	}
	m := map[string]*tagInfo{}
	for _, t := range strings.Fields(html + " " + svg) {
		m[t] = &tagInfo{name: t, void: voids[t]}
	}
	return m
}()

// tagIsAlsoForm lists element names that are also higher-order forms; in
// head position they are the forms (§12: forms are checked before tags).
var tagIsAlsoForm = map[string]bool{"map": true, "filter": true}

// IsTag reports whether name is a known HTML or SVG element.
func IsTag(name string) bool { _, ok := htmlTags[name]; return ok }

// booleanAttrs render as the bare attribute name when truthy.
var booleanAttrs = func() map[string]bool {
	m := map[string]bool{}
	for _, a := range strings.Fields(`allowfullscreen async autofocus autoplay checked controls default
defer disabled formnovalidate hidden inert ismap itemscope loop multiple muted nomodule novalidate
open playsinline readonly required reversed selected`) {
		m[a] = true
	}
	return m
}()

// escapeText escapes & < > " for text content.
func escapeText(w *Writer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		default:
			continue
		}
		w.str(s[last:i])
		w.str(rep)
		last = i + 1
	}
	w.str(s[last:])
}

// escapeAttr escapes & < > " ' for attribute values.
func escapeAttr(w *Writer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\'':
			rep = "&#39;"
		default:
			continue
		}
		w.str(s[last:i])
		w.str(rep)
		last = i + 1
	}
	w.str(s[last:])
}

// EscapeHTML returns s escaped for text content.
func EscapeHTML(s string) string {
	var w Writer
	escapeText(&w, s)
	return w.String()
}

// EscapeAttr returns s escaped for an attribute value.
func EscapeAttr(s string) string {
	var w Writer
	escapeAttr(&w, s)
	return w.String()
}
