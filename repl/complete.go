package repl

// Tab completion: names (special forms, primitives, everything bound or
// defined in the session), keyword parameters of the call being written,
// commands, and the arguments of :load, :service, :schema and :doc.

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/rose-ash/sxhost/runtime"
)

// Complete is liner's word completer: line is the line being edited and
// pos the cursor (in runes). It returns the text before the word, the
// candidates for the word, and the text after the cursor.
func (s *Session) Complete(line string, pos int) (head string, cands []string, tail string) {
	rs := []rune(line)
	if pos > len(rs) {
		pos = len(rs)
	}
	before, after := string(rs[:pos]), string(rs[pos:])

	if len(s.pending) == 0 && strings.HasPrefix(strings.TrimLeft(before, " \t"), ":") {
		if h, c, ok := s.completeCommand(before); ok {
			return h, c, after
		}
	}

	start := len(before)
	for start > 0 {
		r := rune(before[start-1])
		if r < 0x80 && isDelim(r) {
			break
		}
		start--
	}
	word := before[start:]
	if word == "" || inString(s.pendingText()+before[:start]) {
		return before, nil, after
	}
	if strings.HasPrefix(word, ":") {
		return before[:start], s.keywordCandidates(s.pendingText()+before[:start], word), after
	}
	return before[:start], prefixed(s.names(), word), after
}

// isDelim reports whether r ends a symbol.
func isDelim(r rune) bool {
	return strings.ContainsRune("()[]{}\"';`,", r) || unicode.IsSpace(r)
}

func (s *Session) pendingText() string {
	if len(s.pending) == 0 {
		return ""
	}
	return strings.Join(s.pending, "\n") + "\n"
}

func prefixed(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// completeCommand completes a command name or its argument.
func (s *Session) completeCommand(before string) (string, []string, bool) {
	t := strings.TrimLeft(before, " \t")
	lead := before[:len(before)-len(t)]
	name, arg, hasArg := strings.Cut(t[1:], " ")
	if !hasArg {
		var out []string
		for _, c := range commands {
			if strings.HasPrefix(c.name, name) {
				out = append(out, ":"+c.name)
			}
		}
		return lead, out, true
	}
	if a, ok := commandAliases[name]; ok {
		name = a
	}
	// The word being completed is the argument's last field.
	i := strings.LastIndexAny(arg, " \t")
	word := arg[i+1:]
	head := before[:len(before)-len(word)]
	switch name {
	case "load":
		return head, completeFile(word), true
	case "service":
		return head, prefixed(availableServices(), word), true
	case "schema":
		var loaded []string
		for n := range s.services {
			loaded = append(loaded, n)
		}
		sort.Strings(loaded)
		return head, prefixed(loaded, word), true
	case "doc":
		return head, prefixed(s.names(), word), true
	}
	return "", nil, false // :time EXPR and :sql complete as code
}

// completeFile lists .sx files and directories starting with word.
func completeFile(word string) []string {
	dir, base := filepath.Split(word)
	entries, err := os.ReadDir(orDot(dir))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, base) || (strings.HasPrefix(n, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if st, err := os.Stat(filepath.Join(orDot(dir), n)); err == nil {
				isDir = st.IsDir()
			}
		}
		switch {
		case isDir:
			out = append(out, dir+n+"/")
		case strings.HasSuffix(n, ".sx"):
			out = append(out, dir+n)
		}
	}
	return out
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// availableServices lists the services under ./services.
func availableServices() []string {
	entries, err := os.ReadDir("services")
	if err != nil {
		return nil
	}
	set := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		switch {
		case e.IsDir():
			set[n] = true
		case strings.HasSuffix(n, ".sx"):
			set[strings.TrimSuffix(n, ".sx")] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// keywordCandidates completes :word with the keyword parameters of the
// function, component or definition at the head of the enclosing call.
func (s *Session) keywordCandidates(src, word string) []string {
	head := enclosingHead(src)
	if head == "" {
		return nil
	}
	v, ok := s.env.Lookup(head)
	if !ok {
		return nil
	}
	var ps []runtime.Param
	switch x := v.(type) {
	case *runtime.Lambda:
		ps = x.Params()
	case *runtime.Component:
		ps = x.Params()
	case *runtime.Definition:
		ps = x.Params
	case *runtime.Macro:
		ps = x.Params()
	case *runtime.Primitive:
		if c, ok := s.proxies[x]; ok {
			ps = c.def.Params
		}
	}
	var out []string
	for _, p := range ps {
		if p.Key && strings.HasPrefix(":"+p.Name, word) {
			out = append(out, ":"+p.Name)
		}
	}
	sort.Strings(out)
	return out
}

// enclosingHead returns the head symbol of the innermost list open at the
// end of src ("" when there is none or it is not a symbol).
func enclosingHead(src string) string {
	type open struct {
		head    string
		waiting bool // nothing read after the bracket yet
	}
	var stack []open
	// settle marks the innermost list as having its head (or none).
	settle := func(head string) {
		if n := len(stack); n > 0 && stack[n-1].waiting {
			stack[n-1].head, stack[n-1].waiting = head, false
		}
	}
	rs := []rune(src)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
		case c == ';':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case c == '"':
			settle("")
			for i++; i < len(rs) && rs[i] != '"'; i++ {
				if rs[i] == '\\' {
					i++
				}
			}
		case c == '(' || c == '[' || c == '{':
			settle("")
			stack = append(stack, open{waiting: c != '{'})
		case c == ')' || c == ']' || c == '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case c == '\'' || c == '`' || c == ',':
			settle("")
		default:
			j := i
			for j < len(rs) && !isDelim(rs[j]) {
				j++
			}
			settle(string(rs[i:j]))
			i = j - 1
		}
	}
	if len(stack) == 0 {
		return ""
	}
	return stack[len(stack)-1].head
}

// inString reports whether src ends inside a string literal.
func inString(src string) bool {
	in := false
	rs := []rune(src)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && c == ';':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		}
	}
	return in
}
