// command.go: `sxhost migrate up|down [N]|status` over the embedded FS, and
// `create NAME`, which writes a new pair of files into the source directory.

package migrations

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const usage = `usage: sxhost migrate up | down [N] | status | create [--dir DIR] NAME

  up           apply every pending migration, in version order
  down [N]     roll back the last N applied migrations (default 1), newest first
  status       list every migration: applied (and when), pending, changed or no file
  create NAME  write DIR/NNNN_NAME.up.sql and .down.sql (DIR: migrations), NNNN
               one above the highest version there; the new migration is applied
               by a build that embeds it

A file whose first line is "-- sx:no-transaction" runs outside a transaction,
for statements such as CREATE INDEX CONCURRENTLY; it must hold one statement.

The database is named by DATABASE_URL, e.g. postgres://user@host:5432/db.
`

// Command runs `sxhost migrate` with args being the words after "migrate",
// against DATABASE_URL and the product's migrations. It prints one line per
// migration applied or rolled back, or the status table, on stdout and
// errors on stderr, and returns the exit status: 0 success, 1 failure
// (including DATABASE_URL unset), 2 usage error.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return command(ctx, args, FS, stdout, stderr)
}

func command(ctx context.Context, args []string, source fs.FS, stdout, stderr io.Writer) int {
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sxhost migrate: "+format+"\n\n", a...)
		io.WriteString(stderr, usage)
		return 2
	}
	if len(args) == 0 {
		return bad("missing subcommand")
	}
	for _, a := range args {
		if a == "help" || a == "-h" || a == "-help" || a == "--help" {
			io.WriteString(stdout, usage)
			return 0
		}
	}
	steps := 0
	switch args[0] {
	case "create":
		dir, rest := "migrations", args[1:]
		if len(rest) > 0 && (rest[0] == "--dir" || rest[0] == "-dir") {
			if len(rest) < 2 {
				return bad("create: --dir needs a directory")
			}
			dir, rest = rest[1], rest[2:]
		}
		if len(rest) != 1 {
			return bad("create takes one NAME")
		}
		files, err := Create(dir, rest[0])
		if err != nil {
			fmt.Fprintln(stderr, "sxhost migrate:", err)
			return 1
		}
		for _, f := range files {
			fmt.Fprintf(stdout, "created %s\n", f)
		}
		return 0
	case "up", "status":
		if len(args) > 1 {
			return bad("%s takes no arguments", args[0])
		}
	case "down":
		steps = 1
		if len(args) > 2 {
			return bad("down takes at most one argument")
		}
		if len(args) == 2 {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return bad("down: N must be a positive integer, got %q", args[1])
			}
			steps = n
		}
	default:
		return bad("unknown subcommand %q", args[0])
	}

	url := os.Getenv("DATABASE_URL")
	if url == "" {
		fmt.Fprintln(stderr, "sxhost migrate: DATABASE_URL is not set; set it to the database to migrate, e.g. postgres://user@host:5432/db")
		return 1
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		fmt.Fprintf(stderr, "sxhost migrate: DATABASE_URL: %v\n", err)
		return 1
	}
	defer pool.Close()

	switch args[0] {
	case "up":
		applied, err := Up(ctx, pool, source)
		for _, m := range applied {
			fmt.Fprintf(stdout, "applied %s\n", m.UpFile)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "nothing to apply")
		}
	case "down":
		undone, err := Down(ctx, pool, source, steps)
		for _, m := range undone {
			fmt.Fprintf(stdout, "rolled back %s\n", m.DownFile)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if len(undone) == 0 {
			fmt.Fprintln(stdout, "nothing to roll back")
		}
	case "status":
		st, err := Status(ctx, pool, source)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		printStatus(stdout, st)
	}
	return 0
}

func printStatus(w io.Writer, st []State) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	for _, s := range st {
		state, at := "pending", ""
		if s.Applied {
			state, at = "applied", s.AppliedAt.UTC().Format(time.DateTime+" UTC")
		}
		switch {
		case s.Missing:
			state = "no file"
		case s.Changed:
			state = "CHANGED"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Version, s.Name, state, at)
	}
	tw.Flush()
}
