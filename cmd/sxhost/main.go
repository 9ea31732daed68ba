// Command sxhost serves SX service definitions over HTTP.
//
//	sxhost run [--addr HOST:PORT] [--dev] FILE...
//	sxhost check FILE...
//	sxhost migrate up|down [N]|status
package main

import (
	"os"

	"github.com/rose-ash/sxhost/cli"
)

func main() {
	os.Exit(cli.SxhostMain(os.Args[1:], os.Stdout, os.Stderr))
}
