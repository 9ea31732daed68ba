package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

// version is set at link time for releases:
//
//	go build -ldflags "-X github.com/rose-ash/sxhost/cli.version=v1.2.3" ./cmd/...
var version = ""

// Version describes the build: the release (or the module version, or
// "devel"), the commit it was built from when known (with "+dirty" for
// uncommitted changes) and the Go version.
func Version() string {
	v, commit, dirty, goVersion := version, "", false, ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	out := v
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		out += " " + commit
		if dirty {
			out += "+dirty"
		}
	}
	if goVersion != "" {
		out += " " + goVersion
	}
	return out
}

// printVersion prints "NAME VERSION" on stdout: what --version answers.
func printVersion(w io.Writer, name string) int {
	fmt.Fprintf(w, "%s %s\n", name, Version())
	return 0
}

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
