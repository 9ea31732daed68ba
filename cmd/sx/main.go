// Command sx evaluates, renders and runs SX programs.
//
//	sx eval [FILE...]     evaluate the files (standard input when none) and
//	                      print the value of the last form as SX
//	sx render [FILE...]   evaluate all forms, render the last one to HTML
//	sx wire [FILE...]     the same, printing the SX wire format
//	sx run FILE           run a script for its effects
//	sx repl [FILE...]     the interactive REPL (see package repl for flags)
//
// Errors print as FILE:LINE:COL: message followed by the SX backtrace on
// standard error, and the exit status is 1. This output is a contract that
// editors and other tools rely on.
package main

import (
	"os"

	"github.com/rose-ash/sxhost/cli"
	"github.com/rose-ash/sxhost/repl"
)

func main() {
	cli.Repl = repl.Main
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
