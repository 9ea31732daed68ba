package sxcmd

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version is set at link time for releases:
//
//	go build -ldflags "-X github.com/rose-ash/sxhost/cli/sxcmd.version=v1.2.3" ./cmd/...
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

// PrintVersion prints "NAME VERSION" on stdout: what --version answers.
func PrintVersion(w io.Writer, name string) int {
	fmt.Fprintf(w, "%s %s\n", name, Version())
	return 0
}

// IsVersionFlag reports whether arg asks for the version.
func IsVersionFlag(arg string) bool { return arg == "--version" || arg == "-version" }
