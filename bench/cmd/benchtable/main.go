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
	"syscall"
	"time"

	"github.com/rose-ash/sxhost/bench"
)

// titles describes the programs of the bench package.
var titles = map[string]string{
	"Fib":       "fib(27), recursive",
	"Loop":      "1,000,000-iteration arithmetic loop: sum of (i*i) mod 7",
	"List":      "10,000-element list: map double, then reduce +",
	"String":    "string building: join 1,000 pieces",
	"Page":      "complex page: layout, nested components, 50 rows, escaped text",
	"Rows100":   "the complex page with 100 order rows",
	"Rows1000":  "the complex page with 1,000 order rows",
	"Rows10000": "the complex page with 10,000 order rows (past 1 MiB)",
	"Reload":    "hot reload: from writing a service file to the new answer (development mode)",
}

// natives are the engines that are plain Go, not embeddable languages: a
// floor to compare with, not a peer sx must beat; and sx-stream, sx itself
// writing the page from its chunks as sxhost serves one.
var natives = map[string]bool{"go": true, "builder": true, "sx-stream": true}

// sample is one benchmark result line.
type sample struct {
	ns, bytes, allocs float64
	extra             map[string]float64 // other metrics (b.ReportMetric): out-B, reloads/op
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

var (
	benchLine = regexp.MustCompile(`^Benchmark([^/\s]+)/(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)
	metric    = regexp.MustCompile(`([0-9.e+-]+) (\S+)`)
)

// parseLine parses one benchmark line into its program, engine and sample.
func parseLine(line string) (program, engine string, s sample, ok bool) {
	m := benchLine.FindStringSubmatch(line)
	if m == nil {
		return "", "", sample{}, false
	}
	for _, mm := range metric.FindAllStringSubmatch(m[3], -1) {
		f, err := strconv.ParseFloat(mm[1], 64)
		if err != nil {
			continue
		}
		switch mm[2] {
		case "ns/op":
			s.ns, ok = f, true
		case "B/op":
			s.bytes = f
		case "allocs/op":
			s.allocs = f
		default:
			if s.extra == nil {
				s.extra = map[string]float64{}
			}
			s.extra[mm[2]] = f
		}
	}
	return m[1], m[2], s, ok
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

// run is one process's cost: wall time, CPU time (user + system, from
// rusage) and minor page faults, which on a VM are most of a short
// process's kernel time (docs/benchmarks.md, start-up).
type run struct {
	wall, cpu time.Duration
	faults    float64
}

// runOnce runs a command, checks its output and returns its cost.
func runOnce(want string, name string, args ...string) (run, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader("(+ 1 2)\n")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return run{}, fmt.Errorf("%s: %v: %s", name, err, out)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		return run{}, fmt.Errorf("%s printed %q, want %q", name, got, want)
	}
	r := run{wall: d, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.faults = float64(ru.Minflt)
	}
	return r, nil
}

// startup runs `sx eval` with (+ 1 2) on stdin runs times after one warm-up
// run and returns each run's cost. With hello (a Go hello-world binary) it
// runs that too, alternately (hello, sx, hello, sx …), so that both see the
// same load, and also returns its runs.
func startup(sx, hello string, runs int) (sxs, hellos []run, err error) {
	if _, err := runOnce("3", sx, "eval"); err != nil {
		return nil, nil, err
	}
	if hello != "" {
		if _, err := runOnce("hello, world", hello); err != nil {
			return nil, nil, err
		}
	}
	for range runs {
		if hello != "" {
			r, err := runOnce("hello, world", hello)
			if err != nil {
				return nil, nil, err
			}
			hellos = append(hellos, r)
		}
		r, err := runOnce("3", sx, "eval")
		if err != nil {
			return nil, nil, err
		}
		sxs = append(sxs, r)
	}
	return sxs, hellos, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// writeTargets prints the targets of issue 20 that the micro-benchmarks
// measure, each with its figure from this run.
func writeTargets(w io.Writer, r *result, ref string, startupRatio float64) {
	find := func(program, engine string) *series {
		for _, t := range r.tables {
			if t.program == program {
				for _, s := range t.engines {
					if s.engine == engine {
						return s
					}
				}
			}
		}
		return nil
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	fmt.Fprintln(w, "### Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | |")
	fmt.Fprintln(w, "|---|---:|---|")
	if sx, star := find("List", ref), find("List", "starlark"); sx != nil && star != nil {
		rt := ratioOf(sx, star)
		fmt.Fprintf(w, "| list: %s/starlark ≤ 0.8 | %.2f | %s |\n", ref, rt, verdict(rt <= 0.8))
	}
	// No embeddable peer may be faster than sx on any program.
	worst, worstName := 0.0, ""
	for _, t := range r.tables {
		var refS *series
		for _, s := range t.engines {
			if s.engine == ref {
				refS = s
			}
		}
		for _, s := range t.engines {
			if refS == nil || s == refS || natives[s.engine] {
				continue
			}
			if rt := ratioOf(refS, s); rt > worst {
				worst, worstName = rt, t.program+" vs "+s.engine
			}
		}
	}
	if worstName != "" {
		fmt.Fprintf(w, "| no peer engine faster: highest %s/peer < 1 (%s) | %.2f | %s |\n", ref, worstName, worst, verdict(worst < 1))
	}
	var perRow []float64
	for _, n := range []int{100, 1000, 10000} {
		prog := fmt.Sprintf("Rows%d", n)
		// The page as served (written from the writer's chunks) when the
		// run has it, else as a string.
		name, sx, b := ref+"-stream", find(prog, ref+"-stream"), find(prog, "builder")
		if sx == nil {
			name, sx = ref, find(prog, ref)
		}
		if sx == nil || b == nil || len(sx.samples) == 0 {
			continue
		}
		bytes := median(sx.samples, func(s sample) float64 { return s.bytes })
		out := median(sx.samples, func(s sample) float64 { return s.extra["out-B"] })
		bb := median(b.samples, func(s sample) float64 { return s.bytes })
		perRow = append(perRow, bytes/float64(n))
		fmt.Fprintf(w, "| %d rows: %s bytes allocated ≤ 2 × output (%s of %s) | %.2f | %s |\n", n, name, formatCount(bytes), formatCount(out), bytes/out, verdict(bytes <= 2*out))
		fmt.Fprintf(w, "| %d rows: %s bytes allocated ≤ 1.5 × strings.Builder's | %.2f | %s |\n", n, name, bytes/bb, verdict(bytes <= 1.5*bb))
	}
	if len(perRow) > 1 {
		lo, hi := slices.Min(perRow), slices.Max(perRow)
		fmt.Fprintf(w, "| pages: bytes per row flat from 100 to 10,000 rows (largest ÷ smallest ≤ 1.2; %.0f–%.0f B/row) | %.2f | %s |\n", lo, hi, hi/lo, verdict(hi <= 1.2*lo))
	}
	if rl := find("Reload", ref); rl != nil && len(rl.samples) > 0 {
		ns := median(rl.samples, func(s sample) float64 { return s.ns })
		n := median(rl.samples, func(s sample) float64 { return s.extra["reloads/op"] })
		fmt.Fprintf(w, "| hot reload: write to new answer ≤ 20 ms | %s | %s |\n", formatNs(ns), verdict(ns <= 20e6))
		fmt.Fprintf(w, "| hot reload: one reload per save | %.2f reloads/save | %s |\n", n, verdict(n == 1))
	}
	if startupRatio > 0 {
		fmt.Fprintf(w, "| start-up: `sx eval '(+ 1 2)'` ≤ 1.2 × a Go hello-world | %.2f | %s |\n", startupRatio, verdict(startupRatio <= 1.2))
	}
	fmt.Fprintln(w)
}

func main() {
	ref := flag.String("ref", "sx", "engine the ratio column compares with every peer")
	sx := flag.String("sx", "", "path to an sx binary: measure `sx eval` start-up")
	hello := flag.String("hello", "", "path to a Go hello-world binary: time it alternately with `sx eval`")
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
	var startupRatio float64
	if *sx != "" {
		fmt.Printf("### Startup: `echo '(+ 1 2)' | sx eval`\n\n")
		sxs, hellos, err := startup(*sx, *hello, *runs)
		if err != nil {
			fmt.Printf("failed: %v\n\n", err)
			status = 1
		} else {
			// The ratios pair each sx run with the hello-world run next to it.
			var walls, rs, cpus []float64
			var faults, helloFaults []float64
			for i, r := range sxs {
				walls = append(walls, float64(r.wall))
				faults = append(faults, r.faults)
				if i < len(hellos) {
					rs = append(rs, float64(r.wall)/float64(hellos[i].wall))
					cpus = append(cpus, float64(r.cpu)/float64(hellos[i].cpu))
					helloFaults = append(helloFaults, hellos[i].faults)
				}
			}
			slices.Sort(walls)
			fmt.Printf("median %s over %d runs (min %s, max %s)", ms(time.Duration(bench.Median(walls))), len(sxs), ms(time.Duration(walls[0])), ms(time.Duration(walls[len(walls)-1])))
			if len(hellos) > 0 {
				startupRatio = bench.Median(rs)
				hw := make([]float64, len(hellos))
				for i, h := range hellos {
					hw[i] = float64(h.wall)
				}
				slices.Sort(hw)
				fmt.Printf("; a Go hello-world, run alternately: median %s (min %s); sx/hello %.2f", ms(time.Duration(bench.Median(hw))), ms(time.Duration(hw[0])), startupRatio)
				fmt.Printf("; CPU (user + system) sx/hello %.2f; minor page faults %.0f against %.0f (medians)", bench.Median(cpus), bench.Median(faults), bench.Median(helloFaults))
			}
			fmt.Printf("\n\n")
		}
	}
	writeTargets(os.Stdout, r, *ref, startupRatio)
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
