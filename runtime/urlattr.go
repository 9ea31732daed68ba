package runtime

import "strings"

// UnsafeURL replaces the value of a URL attribute whose scheme could run
// code (javascript:, vbscript:, data: …). It is a fragment link, so a
// neutralised link goes nowhere, and a name that says why when found in a
// page.
const UnsafeURL = "#sx-unsafe-url"

// isURLAttr reports whether the attribute's value is checked by
// safeURLAttr: the attributes whose value the browser loads or follows as a
// URL (html/template's list plus SVG's xlink:href), and srcset.
func isURLAttr(name string) bool {
	switch name {
	case "action", "archive", "background", "cite", "classid", "codebase", "data", "formaction",
		"href", "icon", "longdesc", "manifest", "ping", "poster", "profile", "src", "usemap",
		"xlink:href", "xml:base", "srcset", "imagesrcset":
		return true
	}
	return false
}

// safeURLAttr returns value when every URL in it is relative or uses http,
// https, mailto or tel, and UnsafeURL otherwise. srcset lists
// "URL descriptor" entries separated by commas; each URL is checked.
func safeURLAttr(name, value string) string {
	if name != "srcset" && name != "imagesrcset" {
		if safeURL(value) {
			return value
		}
		return UnsafeURL
	}
	for _, entry := range strings.Split(value, ",") {
		fields := strings.Fields(entry)
		if len(fields) > 0 && !safeURL(fields[0]) {
			return UnsafeURL
		}
	}
	return value
}

// safeURL reports whether u is relative or has an allowed scheme, reading
// it as a browser does: leading spaces and control characters are skipped
// and tabs and newlines anywhere are ignored, so "java\tscript:" is caught.
func safeURL(u string) bool {
	u = strings.TrimLeft(u, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	colon := strings.IndexByte(u, ':')
	if colon < 0 || strings.ContainsAny(u[:colon], "/?#") {
		return true // no scheme: a relative URL
	}
	scheme := strings.ToLower(stripTabsNewlines.Replace(u[:colon]))
	switch scheme {
	case "http", "https", "mailto", "tel":
		return true
	}
	return false
}

var stripTabsNewlines = strings.NewReplacer("\t", "", "\n", "", "\r", "")
