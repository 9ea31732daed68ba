// Package cli implements the sxhost command, kept out of package main so
// that its contract (output, errors, exit status) is tested in-process, and
// tests the sx command's (package sxcmd) the same way.
package cli

import (
	"io"

	"github.com/rose-ash/sxhost/cli/sxcmd"
)

// Main runs the sx command (sxcmd.Main).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return sxcmd.Main(args, stdin, stdout, stderr)
}

// Version describes the build (sxcmd.Version).
func Version() string { return sxcmd.Version() }

// report prints an error with its position and backtrace and returns 1.
func report(stderr io.Writer, err error) int { return sxcmd.Report(stderr, err) }

// isVersionFlag reports whether arg asks for the version.
func isVersionFlag(arg string) bool { return sxcmd.IsVersionFlag(arg) }
