// Command soak reproduces the outside review's load and fault runs (issue
// 9) against the six services in one sxhost process, on 127.0.0.1 only,
// and prints one table: requests, status counts, 5xx, panics, lost writes,
// RSS before/peak/after and the /healthz p99.
//
//	go run ./cmd/soak            (make soak)
//
// It starts a private PostgreSQL (initdb/pg_ctl in a temporary directory)
// and a private redis-server, both on free ports, because it stops and
// kills them; it never touches the system's. Ports come from the
// environment when set: SOAK_PG_PORT, SOAK_REDIS_PORT, SOAK_PORT_BASE (the
// six services take SOAK_PORT_BASE+1 … +6). SOAK_PHASE scales each
// phase's length (default 1: about three minutes in all).
//
// The phases, in order: a hostile-input sweep; a big-body flood and a
// slow-header flood against blog's port while /healthz is probed; a
// read/write load on cart while PostgreSQL is stopped and started, every
// acknowledged write checked afterwards; the same load while Redis is
// killed; SIGTERM under load. It exits 1 when a figure misses its goal.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-probe" {
		probe(os.Args[2])
		return
	}
	start := time.Now()
	s, err := setUp()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		if s != nil {
			s.tearDown()
		}
		os.Exit(2)
	}
	ok := s.run()
	s.tearDown()
	fmt.Printf("\n(%s in all)\n", time.Since(start).Round(time.Second))
	if !ok {
		os.Exit(1)
	}
}
