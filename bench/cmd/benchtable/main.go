// Command benchtable turns `go test -bench -benchmem` output into one table
// per benchmarked program: engine, median ns/op with its median absolute
// deviation, B/op, allocs/op and the ratio of the reference engine (sx) to
// every peer, all computed from the same run. With -sx it also measures the
// start-up time of `sx eval`.
//
// When the reference and a peer have the same number of samples, the i-th
// samples are taken to come from the same round (bench/run runs the whole
// suite once per round) and the ratio is the median of the per-round ratios;
// otherwise it is the ratio of the medians.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem -count 10 | benchtable [-ref sx] [-sx path/to/sx] [-runs 20] [-echo]
//
// Benchmark names must have the form Benchmark<Program>/<engine>. The exit
// status is 1 when the input reports a failure or holds no benchmarks.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rose-ash/sxhost/bench"
)

// titles describes the programs of the bench package.
var titles = map[string]string{
	"Fib":    "fib(27), recursive",
	"Loop":   "1,000,000-iteration arithmetic loop: sum of (i*i) mod 7",
	"List":   "10,000-element list: map double, then reduce +",
	"String": "string building: join 1,000 pieces",
	"Page":   "complex page: layout, nested components, 50 rows, escaped text",
}

// sample is one benchmark result line.
type sample struct {
	ns, bytes, allocs float64
}

// series collects the samples of one engine for one program.
type series struct {
	engine  string
	samples []sample
}

// table is one program with its engines in order of first appearance.
type table struct {
	program string
	engines []*series
}

func (t *table) series(engine string) *series {
	for _, s := range t.engines {
		if s.engine == engine {
			return s
		}
	}
	s := &series{engine: engine}
	t.engines = append(t.engines, s)
	return s
}

// result is everything read from the benchmark output.
type result struct {
	tables []*table
	header []string // goos, goarch, cpu lines
	fails  []string
}

func (r *result) table(program string) *table {
	for _, t := range r.tables {
		if t.program == program {
			return t
		}
	}
	t := &table{program: program}
	r.tables = append(r.tables, t)
	return t
}

var benchLine = regexp.MustCompile(`^Benchmark([^/\s]+)/(\S+?)(?:-\d+)?\s+\d+\s+([0-9.e+]+) ns/op(?:\s+([0-9.e+]+) B/op)?(?:\s+([0-9.e+]+) allocs/op)?`)

// parseLine parses one benchmark line into its program, engine and sample.
func parseLine(line string) (program, engine string, s sample, ok bool) {
	m := benchLine.FindStringSubmatch(line)
	if m == nil {
		return "", "", sample{}, false
	}
	num := func(x string) float64 {
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return m[1], m[2], sample{ns: num(m[3]), bytes: num(m[4]), allocs: num(m[5])}, true
}

// read parses benchmark output, echoing it to echo when that is not nil.
func read(in io.Reader, echo io.Writer) (*result, error) {
	r := &result{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if echo != nil {
			fmt.Fprintln(echo, line)
		}
		switch {
		case strings.HasPrefix(line, "cpu:"), strings.HasPrefix(line, "goos:"), strings.HasPrefix(line, "goarch:"):
			if !slices.Contains(r.header, line) {
				r.header = append(r.header, line)
			}
		case strings.HasPrefix(line, "--- FAIL"), strings.HasPrefix(line, "FAIL"), strings.HasPrefix(line, "panic:"):
			r.fails = append(r.fails, line)
		case strings.HasPrefix(line, "    ") && len(r.fails) > 0:
			r.fails = append(r.fails, line) // the message under a failure
		default:
			if p, e, s, ok := parseLine(line); ok {
				t := r.table(p)
				t.series(e).samples = append(t.series(e).samples, s)
			}
		}
	}
	return r, sc.Err()
}

// median returns the median of the values picked from samples.
func median(samples []sample, pick func(sample) float64) float64 {
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = pick(s)
	}
	return bench.Median(v)
}

// spread is the median absolute deviation of ns/op as a percentage of the
// median: robust against the odd sample slowed down by other work.
func spread(samples []sample) float64 {
	med := median(samples, func(s sample) float64 { return s.ns })
	if med == 0 || len(samples) < 2 {
		return 0
	}
	dev := make([]sample, len(samples))
	for i, s := range samples {
		dev[i].ns = math.Abs(s.ns - med)
	}
	return 100 * median(dev, func(s sample) float64 { return s.ns }) / med
}

// ratioOf returns ref/peer in ns/op: the median of the per-round ratios when
// both have one sample per round, otherwise the ratio of the medians.
func ratioOf(ref, peer *series) float64 {
	if len(ref.samples) == len(peer.samples) {
		rs := make([]sample, len(ref.samples))
		for i := range rs {
			rs[i].ns = ref.samples[i].ns / peer.samples[i].ns
		}
		return median(rs, func(s sample) float64 { return s.ns })
	}
	return median(ref.samples, func(s sample) float64 { return s.ns }) /
		median(peer.samples, func(s sample) float64 { return s.ns })
}

// formatNs prints a duration in ns/op with a readable unit.
func formatNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

// formatCount prints a byte or allocation count compactly.
func formatCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.1fk", x/1e3)
	default:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
}

// write prints one markdown table per program.
func write(w io.Writer, r *result, ref string) {
	for _, t := range r.tables {
		title := t.program
		if d, ok := titles[t.program]; ok {
			title += ": " + d
		}
		fmt.Fprintf(w, "### %s\n\n", title)
		var refSeries *series
		for _, s := range t.engines {
			if s.engine == ref {
				refSeries = s
			}
		}
		fmt.Fprintf(w, "| engine | ns/op (median) | ±MAD | B/op | allocs/op | %s/engine |\n", ref)
		fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|\n")
		for _, s := range t.engines {
			ns := median(s.samples, func(s sample) float64 { return s.ns })
			ratio := "—"
			if refSeries != nil && s != refSeries {
				ratio = fmt.Sprintf("%.2f", ratioOf(refSeries, s))
			}
			fmt.Fprintf(w, "| %s | %s | ±%.0f%% | %s | %s | %s |\n", s.engine, formatNs(ns), spread(s.samples),
				formatCount(median(s.samples, func(s sample) float64 { return s.bytes })),
				formatCount(median(s.samples, func(s sample) float64 { return s.allocs })), ratio)
		}
		fmt.Fprintln(w)
	}
}

// startup runs `sx eval` with (+ 1 2) on stdin runs times after one warm-up
// run and returns the sorted wall-clock durations.
func startup(sx string, runs int) ([]time.Duration, error) {
	one := func() (time.Duration, error) {
		cmd := exec.Command(sx, "eval")
		cmd.Stdin = strings.NewReader("(+ 1 2)\n")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("%s eval: %v: %s", sx, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "3" {
			return 0, fmt.Errorf("%s eval printed %q, want 3", sx, got)
		}
		return d, nil
	}
	if _, err := one(); err != nil {
		return nil, err
	}
	ds := make([]time.Duration, 0, runs)
	for range runs {
		d, err := one()
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func main() {
	ref := flag.String("ref", "sx", "engine the ratio column compares with every peer")
	sx := flag.String("sx", "", "path to an sx binary: measure `sx eval` start-up")
	runs := flag.Int("runs", 20, "number of timed start-up runs")
	echo := flag.Bool("echo", false, "copy the benchmark output to stderr while reading it")
	flag.Parse()

	var e io.Writer
	if *echo {
		e = os.Stderr
	}
	r, err := read(os.Stdin, e)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	for _, h := range r.header {
		fmt.Printf("    %s\n", h)
	}
	if len(r.header) > 0 {
		fmt.Println()
	}
	write(os.Stdout, r, *ref)

	status := 0
	if *sx != "" {
		fmt.Printf("### Startup: `echo '(+ 1 2)' | sx eval`\n\n")
		ds, err := startup(*sx, *runs)
		if err != nil {
			fmt.Printf("failed: %v\n\n", err)
			status = 1
		} else {
			med := ds[len(ds)/2]
			if len(ds)%2 == 0 {
				med = (ds[len(ds)/2-1] + med) / 2
			}
			fmt.Printf("median %s over %d runs (min %s, max %s)\n\n", ms(med), len(ds), ms(ds[0]), ms(ds[len(ds)-1]))
		}
	}
	if len(r.fails) > 0 {
		fmt.Println("### Failures")
		fmt.Println()
		for _, f := range r.fails {
			fmt.Println("    " + f)
		}
		status = 1
	}
	if len(r.tables) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark lines in the input")
		status = 1
	}
	os.Exit(status)
}
