package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rose-ash/sxhost/cli/sxcmd"
)

// printVersion prints "NAME VERSION" on stdout: what --version answers.
func printVersion(w io.Writer, name string) int { return sxcmd.PrintVersion(w, name) }

// parseFlags parses a subcommand's flags the way its neighbours do:
// --help (or -h) prints usage and the flags on stdout and exits 0,
// --version prints the version and exits 0, a bad flag prints the error and
// usage on stderr and exits 2. ok is false when the command must stop with
// status.
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (status int, ok bool) {
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, fs, usage)
			return 0, false
		}
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		printUsage(stderr, fs, usage)
		return 2, false
	}
	if *showVersion {
		return printVersion(stdout, "sxhost"), false
	}
	return 0, true
}

func printUsage(w io.Writer, fs *flag.FlagSet, usage string) {
	fmt.Fprint(w, usage)
	fs.SetOutput(w)
	fmt.Fprintln(w, "\nflags:")
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
