package main

import (
	"strings"
	"testing"
)

const input = `goos: linux
cpu: Test CPU
BenchmarkFib/sx-2         	      30	  40000000 ns/op	   100 B/op	      5 allocs/op
BenchmarkFib/gopher-lua-2 	      26	  50000000 ns/op	 20683 B/op	     82 allocs/op
BenchmarkFib/sx-2         	      30	  30000000 ns/op	   100 B/op	      5 allocs/op
BenchmarkFib/gopher-lua-2 	      26	  60000000 ns/op	 20683 B/op	     82 allocs/op
BenchmarkFib/sx-2         	      30	  20000000 ns/op	   100 B/op	      5 allocs/op
BenchmarkFib/gopher-lua-2 	      26	  40000000 ns/op	 20683 B/op	     82 allocs/op
--- FAIL: BenchmarkPage/sx
    page_test.go:1: broken
PASS
`

func TestReadAndWrite(t *testing.T) {
	r, err := read(strings.NewReader(input), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.tables) != 1 || len(r.tables[0].engines) != 2 {
		t.Fatalf("tables = %+v", r.tables)
	}
	if len(r.fails) != 2 {
		t.Errorf("fails = %q", r.fails)
	}
	var b strings.Builder
	write(&b, r, "sx")
	out := b.String()
	for _, want := range []string{
		"### Fib: fib(27), recursive",
		"| sx | 30.00 ms | ±33% | 100 | 5 | — |",
		"| gopher-lua | 50.00 ms | ±20% | 20.7k | 82 | 0.50 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRatioOfMedians(t *testing.T) {
	ref := &series{samples: []sample{{ns: 10}, {ns: 30}}}
	peer := &series{samples: []sample{{ns: 40}}}
	if r := ratioOf(ref, peer); r != 0.5 {
		t.Errorf("ratio = %v, want 0.5", r)
	}
}

func TestParseLineNoMem(t *testing.T) {
	p, e, s, ok := parseLine("BenchmarkLoop/go 	 1584	 762670 ns/op")
	if !ok || p != "Loop" || e != "go" || s.ns != 762670 || s.allocs != 0 {
		t.Fatalf("got %q %q %+v %v", p, e, s, ok)
	}
}
