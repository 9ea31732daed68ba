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

func TestExtraMetricsAndTargets(t *testing.T) {
	p, e, s, ok := parseLine("BenchmarkRows100/sx-2  	 20	 699885 ns/op	 29032 out-B	 96968 B/op	 1438 allocs/op")
	if !ok || p != "Rows100" || e != "sx" || s.ns != 699885 || s.bytes != 96968 || s.allocs != 1438 || s.extra["out-B"] != 29032 {
		t.Fatalf("got %q %q %+v %v", p, e, s, ok)
	}
	in := `BenchmarkList/sx-2 	 10	 700 ns/op	 10 B/op	 1 allocs/op
BenchmarkList/starlark-2 	 10	 1000 ns/op	 10 B/op	 1 allocs/op
BenchmarkRows100/sx-2 	 10	 700 ns/op	 100 out-B	 150 B/op	 1 allocs/op
BenchmarkRows100/builder-2 	 10	 100 ns/op	 100 out-B	 500 B/op	 1 allocs/op
BenchmarkReload/sx-2 	 10	 15000000 ns/op	 1.000 reloads/op
`
	r, err := read(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	writeTargets(&b, r, "sx", 1.5)
	for _, want := range []string{
		"| list: sx/starlark ≤ 0.8 | 0.70 | met |",
		"| no peer engine faster: highest sx/peer < 1 (List vs starlark) | 0.70 | met |",
		"| 100 rows: sx bytes allocated ≤ 2 × output (150 of 100) | 1.50 | met |",
		"| 100 rows: sx bytes allocated ≤ 1.5 × strings.Builder's | 0.30 | met |",
		"| hot reload: write to new answer ≤ 20 ms | 15.00 ms | met |",
		"| hot reload: one reload per save | 1.00 reloads/save | met |",
		"| start-up: `sx eval '(+ 1 2)'` ≤ 1.2 × a Go hello-world | 1.50 | **missed** |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("targets lack %q:\n%s", want, b.String())
		}
	}
}
