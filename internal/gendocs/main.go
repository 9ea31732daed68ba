// Command gendocs writes docs/reference.md from the primitive tables. Run it
// with go generate ./stdlib.
package main

import (
	"fmt"
	"os"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/stdlib"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendocs OUTPUT")
		os.Exit(2)
	}
	page := stdlib.Reference(sqlprims.Primitives(), cacheprims.Primitives())
	if err := os.WriteFile(os.Args[1], []byte(page), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
