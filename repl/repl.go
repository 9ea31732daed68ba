// Package repl implements "sx repl", the interactive SX read-eval-print loop.
//
// On a terminal it edits lines with peterh/liner: a history file kept
// between sessions, multi-line entries (an entry goes on until its forms
// are complete), and tab completion of special forms, primitives and every
// name bound in the session. Results are pretty-printed (wrapped to the
// terminal, with huge or deep values elided by …); *1, *2 and *3 hold the
// last results and *e the last error. (doc name) shows signatures and
// docstrings. Colon commands load files and services, list the service
// schema, run SQL, and time expressions (:help lists them). Ctrl-C
// interrupts an evaluation or clears the line; Ctrl-D leaves.
//
// :service NAME loads a service as sxhost run does (package host does the
// work): its queries and actions become callable by name and run as a
// request runs them — an action in one transaction — with query, action,
// frag, gather, emit-activity and the cache working as in the host;
// services it calls are loaded too, or reached over HTTP at
// SX_URL_<SERVICE>. :tx opens a transaction the user ends with :commit or
// :rollback.
//
// With --db URL (else SX_REPL_DATABASE_URL, else DATABASE_URL) the
// session's SQL primitives and services run on that PostgreSQL database;
// --read-only makes the server refuse every write and refuses actions
// before they start, and --statement-timeout bounds each statement.
//
// When standard input is not a terminal, the REPL evaluates each form as it
// is read and prints each result, with no prompt and no colour, and exits
// with status 1 when any form failed, so it can be scripted.
package repl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/peterh/liner"

	"github.com/rose-ash/sxhost/host"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

const usageText = `usage: sx repl [flags] [FILE...]

Evaluates the FILEs (remembered for :reload; a file with a defservice is
loaded as a service, as :service does), then reads SX from the terminal; from
a pipe or file it evaluates every form and prints each result.

flags:
  --db URL                  PostgreSQL for sql/* and the services (default
                            $SX_REPL_DATABASE_URL, else $DATABASE_URL)
  --read-only               the database refuses every write; actions are
                            refused before they start
  --statement-timeout DUR   cancel statements running longer (e.g. 30s)
  --history FILE            history file (default $SX_HISTORY, else
                            $XDG_STATE_HOME/sx/history, else ~/.sx_history)
  --no-history              keep no history file
  --connect HOST:PORT       evaluate inside a running sxhost run --dev
                            --repl HOST:PORT, in a service's live
                            environment (:in SERVICE chooses it)

environment: SX_URL_<SERVICE> (services called over HTTP instead of loaded),
SX_INTERNAL_SECRET (signs those calls), REDIS_URL (the cache; default
in-process), and what a service reads with (env NAME).
`

// Main runs the REPL with the arguments after "sx repl" and returns the exit
// status. Line editing needs stdin and stdout to be the process's terminal;
// any other reader is evaluated as a script.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sx repl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	defaultDB, dbSource := databaseFromEnv()
	dbURL := fs.String("db", defaultDB, "")
	readOnly := fs.Bool("read-only", false, "")
	timeout := fs.Duration("statement-timeout", 0, "")
	histFlag := fs.String("history", "", "")
	noHist := fs.Bool("no-history", false, "")
	connect := fs.String("connect", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			return 0
		}
		fmt.Fprintf(stderr, "sx repl: %v\n%s", err, usageText)
		return 2
	}
	if *timeout < 0 {
		fmt.Fprintf(stderr, "sx repl: --statement-timeout must not be negative\n")
		return 2
	}

	if *connect != "" {
		if *dbURL != defaultDB || *readOnly || *timeout > 0 || fs.NArg() > 0 {
			fmt.Fprintln(stderr, "sx repl: --connect takes no --db, --read-only, --statement-timeout or FILE (the host has its own)")
			return 2
		}
		*dbURL = ""
	}

	in, inTTY := isTerminal(stdin)
	out, outTTY := isTerminal(stdout)
	interactive := inTTY && outTTY && in == os.Stdin && out == os.Stdout

	var banner []string
	if interactive {
		banner = append(banner, "sx repl — :help for commands, (doc name) for docs, Ctrl-D to leave")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := host.Options{
		ReadOnly: *readOnly,
		Secret:   os.Getenv("SX_INTERNAL_SECRET"),
		Remote:   host.RemoteFromEnv(os.Environ()),
		Cache:    cacheprims.New(os.Getenv("REDIS_URL"), log),
		Getenv:   os.Getenv,
		Logger:   log,
	}
	if *dbURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		pool, err := sqlprims.Open(ctx, *dbURL, sqlprims.Options{ReadOnly: *readOnly, StatementTimeout: *timeout})
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "sx repl: database %s: %v\n", redact(*dbURL), err)
			return 1
		}
		opts.DB = pool
		desc := "database " + redact(*dbURL)
		if *dbURL == defaultDB && dbSource != "" {
			desc += " (from " + dbSource + ")"
		}
		if *readOnly {
			desc += ", read-only"
		}
		if *timeout > 0 {
			desc += ", statement timeout " + timeout.String()
		}
		banner = append(banner, desc)
	} else if *readOnly || *timeout > 0 {
		fmt.Fprintf(stderr, "sx repl: --read-only and --statement-timeout need --db URL (or SX_REPL_DATABASE_URL or DATABASE_URL)\n")
		return 2
	}

	s, err := newSession(stdout, stderr, opts)
	if err != nil {
		if opts.DB != nil {
			opts.DB.Close()
		}
		fmt.Fprintf(stderr, "sx repl: %v\n", err)
		return 1
	}
	defer s.Close()
	if *connect != "" {
		if s.remote, err = dialRemote(*connect); err != nil {
			fmt.Fprintf(stderr, "sx repl: --connect %s: %v\n", *connect, err)
			return 1
		}
		banner = append(banner, fmt.Sprintf("connected to %s: %s; evaluating in %s (:in SERVICE chooses another)",
			*connect, strings.Join(s.remote.services, ", "), s.remote.service))
	}
	s.interactive = interactive
	if interactive {
		s.file = "<repl>"
		s.width = terminalWidth(out)
		s.color = os.Getenv("NO_COLOR") == "" && liner.TerminalSupported()
	}

	if interactive {
		for _, l := range banner {
			s.info("%s", l)
		}
	}
	if !interactive {
		for _, f := range fs.Args() {
			if !s.cmdLoad(f) {
				return 1
			}
		}
		return s.runScript(stdin)
	}
	hist := ""
	if !*noHist {
		hist = historyPath(*histFlag)
	}
	return s.runTerminal(hist, fs.Args())
}

// databaseFromEnv is the database the REPL uses without --db, and the
// variable it came from: SX_REPL_DATABASE_URL (a REPL-only setting, so a
// shell configured for the host can point the REPL at a replica), else
// DATABASE_URL, which sxhost reads.
func databaseFromEnv() (url, source string) {
	for _, name := range []string{"SX_REPL_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(name); v != "" {
			return v, name
		}
	}
	return "", ""
}

// redact hides the password of a database URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.Index(raw, "password="); i >= 0 {
			return raw[:i] + "password=…"
		}
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
