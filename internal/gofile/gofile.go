// Package gofile writes the Go source files the repository's go generate
// programs make (prims/core's money tables, stdlib's primitive index).
package gofile

import (
	"go/format"
	"log"
	"os"
)

// Write formats src with gofmt and writes it to the file named by the
// program's first argument, or def; a failure ends the program.
func Write(def string, src []byte) {
	out := def
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	formatted, err := format.Source(src)
	if err != nil {
		log.Fatalf("%s: %v", out, err)
	}
	if err := os.WriteFile(out, formatted, 0o644); err != nil {
		log.Fatal(err)
	}
}
