package repl

// The colon commands: :load, :reload, :service, :schema, :sql, :time, :doc,
// :help and :quit.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/rose-ash/sxhost/runtime"
)

type commandInfo struct {
	name, args, help string
}

var commands = []commandInfo{
	{"load", "FILE...", "evaluate files (remembered for :reload)"},
	{"reload", "", "evaluate again every file and service loaded so far"},
	{"service", "NAME", "load services/NAME.sx as sxhost run does, and the services it calls; its queries and actions become callable by name"},
	{"schema", "[SERVICE]", "the queries, actions, handlers, routes and pages, with params and docs"},
	{"sql", "STATEMENT", "run a SQL statement on the database (--db) and print the rows as a table"},
	{"tx", "", "begin a transaction: what follows runs in it until :commit or :rollback"},
	{"commit", "", "commit the :tx transaction"},
	{"rollback", "", "roll back the :tx transaction"},
	{"time", "EXPR", "evaluate EXPR, print its value and the wall time"},
	{"doc", "NAME", "the same as (doc NAME)"},
	{"in", "[SERVICE]", "evaluate in a loaded service's environment (its helpers, each entry one transaction); alone: back"},
	{"help", "", "this list"},
	{"quit", "", "leave the REPL (Ctrl-D does too)"},
}

var commandAliases = map[string]string{"q": "quit", "exit": "quit", "h": "help", "?": "help", "l": "load", "r": "reload"}

// commandLine recognises ":name args" at the start of an entry. Every
// :word there is a command (an unknown one is reported): evaluating a bare
// keyword would only echo its name.
func commandLine(line string) (cmd, arg string, ok bool) {
	t := strings.TrimSpace(line)
	if len(t) < 2 || t[0] != ':' {
		return "", "", false
	}
	name, rest := t[1:], ""
	if i := strings.IndexFunc(name, unicode.IsSpace); i >= 0 {
		name, rest = name[:i], strings.TrimSpace(name[i:])
	}
	if a, ok := commandAliases[name]; ok {
		name = a
	}
	return name, rest, true
}

// command runs a colon command typed on line lineNo. It reports whether the
// command needs more lines (an incomplete :time expression).
func (s *Session) command(cmd, arg, line string, lineNo int) (more bool) {
	if s.remote != nil && !remoteCommands[cmd] {
		s.report(fmt.Errorf(":%s is not available with --connect (:in, :help and :quit are)", cmd))
		return false
	}
	switch cmd {
	case "in":
		s.cmdIn(arg)
	case "time":
		return s.cmdTime(arg, line, lineNo)
	case "load":
		if arg == "" {
			s.usage(cmd)
			return false
		}
		for _, f := range strings.Fields(arg) {
			if !s.cmdLoad(f) {
				break
			}
		}
	case "reload":
		s.cmdReload()
	case "service":
		if arg == "" || strings.ContainsAny(arg, " \t") {
			s.usage(cmd)
			return false
		}
		s.cmdService(arg, true)
	case "schema":
		s.cmdSchema(arg)
	case "tx", "begin":
		s.cmdTx()
	case "commit":
		s.cmdEndTx(true)
	case "rollback":
		s.cmdEndTx(false)
	case "sql":
		if arg == "" {
			s.usage(cmd)
			return false
		}
		s.cmdSQL(arg)
	case "doc":
		if arg == "" {
			s.usage(cmd)
			return false
		}
		sym := runtime.NewList(runtime.Intern("doc"), runtime.Intern(arg))
		if _, err := s.eval(sym, runtime.Pos{File: s.file, Line: lineNo, Col: 1}); err != nil {
			s.report(err)
		}
	case "help":
		s.cmdHelp()
	case "quit":
		s.quit = true
	default:
		s.report(fmt.Errorf(":%s: unknown command (:help lists them)", cmd))
	}
	return false
}

func (s *Session) usage(cmd string) {
	for _, c := range commands {
		if c.name == cmd {
			s.report(fmt.Errorf("usage: :%s %s", c.name, c.args))
			return
		}
	}
}

func (s *Session) cmdHelp() {
	var b strings.Builder
	b.WriteString("Type an SX expression to evaluate it; an entry goes on over several lines until its\n")
	b.WriteString("forms are complete. *1 *2 *3 hold the last results, *e the last error.\n")
	b.WriteString("(doc name) shows a signature and docstring. Tab completes names.\n")
	b.WriteString("Ctrl-C interrupts an evaluation or clears the line; Ctrl-D leaves.\n\nCommands:\n")
	w := 0
	for _, c := range commands {
		w = max(w, len(c.name)+1+len(c.args))
	}
	for _, c := range commands {
		fmt.Fprintf(&b, "  :%-*s  %s\n", w, strings.TrimSpace(c.name+" "+c.args), c.help)
	}
	s.out.freshLine()
	fmt.Fprint(s.out, b.String())
}

// cmdTime evaluates the expressions in arg, showing each value and the
// time all of them took.
func (s *Session) cmdTime(arg, line string, lineNo int) bool {
	if len(s.pending) == 0 {
		if strings.TrimSpace(arg) == "" {
			s.usage("time")
			return false
		}
		// Keep columns right: the expression is read where it was typed.
		s.pendingStart = lineNo
		s.pending = []string{blankCommand(line)}
	}
	src := strings.Join(s.pending, "\n")
	forms, poss, more, err := s.read(src, s.pendingStart)
	if err != nil {
		if more {
			s.pendingCmd = "time"
			return true
		}
		s.Discard()
		s.report(err)
		return false
	}
	s.Discard()
	start := time.Now()
	steps := s.th.Steps()
	var v runtime.Value
	for i, f := range forms {
		if v, err = s.eval(f, poss[i]); err != nil {
			break
		}
	}
	d := time.Since(start)
	if err != nil {
		s.report(err)
	} else {
		s.remember(v)
		s.show(v)
	}
	s.info("%s, %s", elapsed(d), plural(int(s.th.Steps()-steps), "step"))
	return false
}

// blankCommand replaces the leading :command with spaces.
func blankCommand(line string) string {
	i := strings.Index(line, ":")
	j := i + strings.IndexAny(line[i:]+" ", " \t")
	return line[:i] + strings.Repeat(" ", j-i) + line[j:]
}

// cmdLoad loads one file and reports it; false on error. A file that
// declares a service (defservice) is loaded as one, as :service does.
func (s *Session) cmdLoad(path string) bool {
	if _, err := os.Stat(path); err != nil {
		s.report(fmt.Errorf(":load %s: %w", path, errors.Unwrap(err)))
		return false
	}
	if declaresService(path) {
		return s.serviceFromFile(path, true)
	}
	s.noteLoaded(loadItem{path: path})
	n, err := s.loadFile(path)
	if err != nil {
		s.report(err)
		return false
	}
	if s.interactive {
		s.info("loaded %s (%s)", path, plural(n, "form"))
	}
	return true
}

func cwd() string {
	d, err := os.Getwd()
	if err != nil {
		return "."
	}
	return d
}

// cmdService loads a service by name; false on error.
func (s *Session) cmdService(name string, announce bool) bool {
	file, err := serviceFile(name)
	if err != nil {
		s.report(err)
		return false
	}
	return s.serviceFromFile(file, announce)
}

// serviceFromFile loads the service declared in file (see loadService)
// and reports what it loaded; false on error.
func (s *Session) serviceFromFile(file string, announce bool) bool {
	svc, deps, err := s.loadService(file, true)
	if svc != nil {
		s.noteLoaded(loadItem{service: svc.Name, path: file})
	}
	s.reenter()
	if err != nil {
		s.report(err)
		return false
	}
	if announce && s.interactive {
		s.info("%s", s.describeLoad(svc, deps))
	}
	return true
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, word[:len(word)-1])
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// cmdReload evaluates everything loaded so far again, in order: every
// service (those loaded for calls too) and every file.
func (s *Session) cmdReload() {
	if len(s.loaded) == 0 {
		s.info("nothing loaded yet (:load FILE or :service NAME)")
		return
	}
	ok, n := true, 0
	for _, name := range s.serviceOrder {
		files := s.services[name]
		svc, err := s.plat.Load(files[0])
		if err != nil {
			s.report(err)
			ok = false
			continue
		}
		s.noteService(svc, false)
		n += len(svc.Files)
	}
	for _, it := range s.loaded {
		if it.service != "" {
			// Calls added since the last load bring their services in.
			if svc := s.plat.Service(it.service); svc != nil {
				if _, err := s.loadCalls(svc, filepath.Dir(it.path)); err != nil {
					s.report(err)
					ok = false
				}
			}
			continue
		}
		if _, err := s.loadFile(it.path); err != nil {
			s.report(err)
			ok = false
		}
		n++
	}
	s.reenter()
	if ok && s.interactive {
		s.info("reloaded %s", plural(n, "file"))
	}
}

// definitionsOf returns the definitions of a loaded service, or of the
// workspace for "".
func (s *Session) definitionsOf(service string) []*runtime.Definition {
	if service == "" {
		return s.ws.Env().Definitions("")
	}
	if svc := s.plat.Service(service); svc != nil {
		return svc.Env().Definitions("")
	}
	return nil
}

// cmdSchema lists the definitions of one service, or of every one.
func (s *Session) cmdSchema(service string) {
	var groups []string
	var defs [][]*runtime.Definition
	if service != "" {
		if _, ok := s.services[service]; !ok {
			s.report(fmt.Errorf(":schema %s: service not loaded (:service %s loads it)", service, service))
			return
		}
		groups = []string{service}
		defs = append(defs, s.definitionsOf(service))
	} else {
		names := make([]string, 0, len(s.services))
		for n := range s.services {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			groups = append(groups, n)
			defs = append(defs, s.definitionsOf(n))
		}
		if rest := s.definitionsOf(""); len(rest) > 0 {
			groups = append(groups, "")
			defs = append(defs, rest)
		}
	}
	var b strings.Builder
	for i, g := range groups {
		if i > 0 {
			b.WriteString("\n")
		}
		writeSchema(&b, g, defs[i])
	}
	if b.Len() == 0 {
		b.WriteString("; no queries, actions, handlers or pages defined (:service NAME loads a service)\n")
	}
	s.out.freshLine()
	fmt.Fprint(s.out, b.String())
}

var schemaKinds = []struct{ kind, title string }{
	{"query", "queries"}, {"action", "actions"}, {"handler", "handlers"},
	{"route", "routes"}, {"page", "pages"},
}

func writeSchema(b *strings.Builder, service string, defs []*runtime.Definition) {
	header := "service " + service
	if service == "" {
		header = "defined outside services"
	}
	for _, d := range defs {
		if d.Kind == "service" {
			if t := d.OptionString("title"); t != "" {
				header += " — " + t
			}
		}
	}
	b.WriteString(header + "\n")
	found := false
	for _, k := range schemaKinds {
		var ds []*runtime.Definition
		for _, d := range defs {
			if d.Kind == k.kind {
				ds = append(ds, d)
			}
		}
		if len(ds) == 0 {
			continue
		}
		found = true
		fmt.Fprintf(b, "  %s\n", k.title)
		for _, d := range ds {
			line := "    " + d.Name
			if p := d.OptionString("path"); p != "" {
				if m := d.OptionString("method"); m != "" {
					line += "  " + strings.ToUpper(m)
				}
				line += "  " + p
			}
			b.WriteString(line + "\n")
			if d.Doc != "" {
				for _, l := range wrapText(d.Doc, 72) {
					b.WriteString("        " + l + "\n")
				}
			}
			b.WriteString(paramTable(d.Params, "      - "))
		}
	}
	if !found {
		b.WriteString("  (no queries, actions, handlers, routes or pages)\n")
	}
}
