// Command gendocs writes docs/reference.md from the primitive tables (go
// generate ./stdlib) and, with -services, docs/services.md from the service
// files (go generate ./host).
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/rose-ash/sxhost/host"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	oidcprims "github.com/rose-ash/sxhost/prims/oidc"
	"github.com/rose-ash/sxhost/prims/signing"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	sumupprims "github.com/rose-ash/sxhost/prims/sumup"
	"github.com/rose-ash/sxhost/stdlib"
)

func main() {
	var page, out string
	switch {
	case len(os.Args) == 2:
		out = os.Args[1]
		page = stdlib.Reference(sqlprims.Primitives(), cacheprims.Primitives(), oidcprims.Primitives(), sumupprims.Primitives(nil), signing.Primitives())
	case len(os.Args) > 3 && os.Args[1] == "-services":
		out = os.Args[2]
		p, err := host.New(os.Args[3:], host.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		page = p.Reference()
	default:
		fmt.Fprintln(os.Stderr, "usage: gendocs OUTPUT | gendocs -services OUTPUT FILE...")
		os.Exit(2)
	}
	if err := os.WriteFile(out, []byte(page), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
