// Command hello is a Go hello-world: bench/run times `sx eval` against it,
// alternately, for the start-up target of docs/benchmarks.md.
package main

import "fmt"

func main() { fmt.Println("hello, world") }
