package runtime

// tagInfo describes an HTML or SVG element name.
type tagInfo struct {
	name string
	void bool
}

// tagTable holds every HTML and SVG element name, sorted by byte order, with
// the void elements (area base br col embed hr img input link meta param
// source track wbr) marked. It is static data looked up by binary search
// rather than a map filled at start-up: every process, `sx eval` included,
// runs this package's initialisers (docs/benchmarks.md, start-up).
var tagTable = [...]tagInfo{
	{"a", false}, {"abbr", false}, {"address", false}, {"animate", false}, {"animateMotion", false},
	{"animateTransform", false}, {"area", true}, {"article", false}, {"aside", false},
	{"audio", false}, {"b", false}, {"base", true}, {"bdi", false}, {"bdo", false},
	{"blockquote", false}, {"body", false}, {"br", true}, {"button", false}, {"canvas", false},
	{"caption", false}, {"circle", false}, {"cite", false}, {"clipPath", false}, {"code", false},
	{"col", true}, {"colgroup", false}, {"data", false}, {"datalist", false}, {"dd", false},
	{"defs", false}, {"del", false}, {"desc", false}, {"details", false}, {"dfn", false},
	{"dialog", false}, {"div", false}, {"dl", false}, {"dt", false}, {"ellipse", false},
	{"em", false}, {"embed", true}, {"feBlend", false}, {"feColorMatrix", false},
	{"feComponentTransfer", false}, {"feComposite", false}, {"feConvolveMatrix", false},
	{"feDiffuseLighting", false}, {"feDisplacementMap", false}, {"feDistantLight", false},
	{"feDropShadow", false}, {"feFlood", false}, {"feFuncA", false}, {"feFuncB", false},
	{"feFuncG", false}, {"feFuncR", false}, {"feGaussianBlur", false}, {"feImage", false},
	{"feMerge", false}, {"feMergeNode", false}, {"feMorphology", false}, {"feOffset", false},
	{"fePointLight", false}, {"feSpecularLighting", false}, {"feSpotLight", false}, {"feTile", false},
	{"feTurbulence", false}, {"fieldset", false}, {"figcaption", false}, {"figure", false},
	{"filter", false}, {"footer", false}, {"foreignObject", false}, {"form", false}, {"g", false},
	{"h1", false}, {"h2", false}, {"h3", false}, {"h4", false}, {"h5", false}, {"h6", false},
	{"head", false}, {"header", false}, {"hgroup", false}, {"hr", true}, {"html", false},
	{"i", false}, {"iframe", false}, {"image", false}, {"img", true}, {"input", true}, {"ins", false},
	{"kbd", false}, {"label", false}, {"legend", false}, {"li", false}, {"line", false},
	{"linearGradient", false}, {"link", true}, {"main", false}, {"map", false}, {"mark", false},
	{"marker", false}, {"mask", false}, {"menu", false}, {"meta", true}, {"metadata", false},
	{"meter", false}, {"mpath", false}, {"nav", false}, {"noscript", false}, {"object", false},
	{"ol", false}, {"optgroup", false}, {"option", false}, {"output", false}, {"p", false},
	{"param", true}, {"path", false}, {"pattern", false}, {"picture", false}, {"polygon", false},
	{"polyline", false}, {"pre", false}, {"progress", false}, {"q", false}, {"radialGradient", false},
	{"rect", false}, {"rp", false}, {"rt", false}, {"ruby", false}, {"s", false}, {"samp", false},
	{"script", false}, {"search", false}, {"section", false}, {"select", false}, {"set", false},
	{"slot", false}, {"small", false}, {"source", true}, {"span", false}, {"stop", false},
	{"strong", false}, {"style", false}, {"sub", false}, {"summary", false}, {"sup", false},
	{"svg", false}, {"switch", false}, {"symbol", false}, {"table", false}, {"tbody", false},
	{"td", false}, {"template", false}, {"text", false}, {"textPath", false}, {"textarea", false},
	{"tfoot", false}, {"th", false}, {"thead", false}, {"time", false}, {"title", false},
	{"tr", false}, {"track", true}, {"tspan", false}, {"u", false}, {"ul", false}, {"use", false},
	{"var", false}, {"video", false}, {"view", false}, {"wbr", true},
}

// lookupTag returns the element called name.
func lookupTag(name string) (*tagInfo, bool) {
	lo, hi := 0, len(tagTable)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if tagTable[m].name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(tagTable) && tagTable[lo].name == name {
		return &tagTable[lo], true
	}
	return nil, false
}

// tagIsAlsoForm reports element names that are also higher-order forms; in
// head position they are the forms (§12: forms are checked before tags).
func tagIsAlsoForm(name string) bool { return name == "map" || name == "filter" }

// IsTag reports whether name is a known HTML or SVG element.
func IsTag(name string) bool { _, ok := lookupTag(name); return ok }

// isBooleanAttr reports the attributes that render as the bare attribute
// name when truthy.
func isBooleanAttr(name string) bool {
	switch name {
	case "allowfullscreen", "async", "autofocus", "autoplay", "checked", "controls", "default",
		"defer", "disabled", "formnovalidate", "hidden", "inert", "ismap", "itemscope", "loop",
		"multiple", "muted", "nomodule", "novalidate", "open", "playsinline", "readonly",
		"required", "reversed", "selected":
		return true
	}
	return false
}

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
