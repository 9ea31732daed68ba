// Package reload holds BenchmarkReload, the hot-reload benchmark of issue
// 20: the time from writing a service file to the new answer.
//
// It is a package of its own, not part of package bench, because it links
// the host (fasthttp, pgx, goldmark …) and their package-level data: in the
// engine benchmarks' binary that data made the live heap 1 MB → 2–3 MB, and
// every GC cycle of an allocating program (Loop, Fib) marked it again
// (Loop's sx time +10 % in instructions, docs/benchmarks.md, issue 20
// session seven). bench/run builds and runs both test binaries.
package reload
