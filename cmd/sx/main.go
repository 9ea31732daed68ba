// Command sx evaluates, renders and runs SX programs.
//
//	sx eval [FILE...]     evaluate the files (standard input when none) and
//	                      print the value of the last form as SX
//	sx render [FILE...]   evaluate all forms, render the last one to HTML
//	sx wire [FILE...]     the same, printing the SX wire format
//	sx run FILE           run a script for its effects
//	sx repl [FILE...]     the interactive REPL (see package repl for flags);
//	                      runs `sxhost repl`, which links the platform
//
// Errors print as FILE:LINE:COL: message followed by the SX backtrace on
// standard error, and the exit status is 1. This output is a contract that
// editors and other tools rely on.
//
// sx links only the runtime and the standard library (package sxcmd), so
// that start-up does not run the initialisers of the HTTP server, the
// database driver and the compressors.
package main

import (
	"os"

	"github.com/rose-ash/sxhost/cli/sxcmd"
)

func main() {
	os.Exit(sxcmd.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
