package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Goals from issue 9.
const (
	maxPeakRSS   = 300 << 20
	maxRSSGrowth = 50 << 20
	maxHealthP99 = 100 * time.Millisecond
)

// run runs every phase and prints the table; it reports whether every
// figure met its goal.
func (s *soak) run() bool {
	ctx := context.Background()
	s.stats = newStats()
	product, err := s.aProduct(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak: no product to add to carts:", err)
		return false
	}

	s.sweep()

	// Floods: RSS and /healthz on the attacked port.
	time.Sleep(2 * time.Second)
	rssBefore := s.rss.now()
	s.rss.mu.Lock()
	s.rss.peak = rssBefore
	s.rss.mu.Unlock()
	probe := s.startProber("blog")
	bigOpened, slowOpened := s.floods()
	probe.stop()
	rssPeak := s.rss.max()
	floodP99, probes := probe.lat.percentile(0.99)
	floodFailed := probe.failed.Load()
	s.stats.enter("recovery after the floods")
	rssAfter := s.rss.now()
	for deadline := time.Now().Add(s.dur(30)); time.Now().Before(deadline) && rssAfter-rssBefore > maxRSSGrowth; {
		time.Sleep(time.Second)
		rssAfter = s.rss.now()
	}

	// PostgreSQL stopped and started under a read/write load.
	probe = s.startProber("cart")
	s.stats.enter("read/write load")
	load := s.startLoad(product)
	time.Sleep(s.dur(5))
	s.stats.enter("PostgreSQL stopped under load", 503)
	pgErr := s.pgCtl("stop")
	time.Sleep(s.dur(5))
	if err := s.pgCtl("start"); err != nil && pgErr == nil {
		pgErr = err
	}
	s.stats.enter("PostgreSQL back, load continues", 503) // the pool's dead connections surface once each
	time.Sleep(s.dur(3))
	s.stats.enter("load after recovery")
	time.Sleep(s.dur(5))

	// Redis killed under the same load, then started again.
	s.stats.enter("Redis killed under load")
	s.killRedis()
	time.Sleep(s.dur(6))
	if err := s.startRedis(); err != nil {
		fmt.Fprintln(os.Stderr, "soak: Redis did not restart:", err)
	}
	s.stats.enter("Redis back")
	time.Sleep(s.dur(4))

	// SIGTERM under load: requests in flight finish, new ones are refused.
	probe.stop()
	allP99, allProbes := probe.lat.percentile(0.99)
	s.stats.enter("SIGTERM under load", 503)
	exit, took := s.sigterm()
	load.halt()
	s.rss.stop()
	lost, lostErr := s.lost(ctx, load.acked)
	panics := strings.Count(s.procLog.String(), `"msg":"panic"`)
	all5xx, unexpected := s.stats.count5xx()

	ok := true
	check := func(good bool) string {
		if good {
			return "ok"
		}
		ok = false
		return "MISSED"
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "\nfigure\tvalue\tgoal\t")
	fmt.Fprintf(w, "requests\t%d\t\t\n", s.stats.requests)
	fmt.Fprintf(w, "status counts\t%s\t\t\n", s.stats.statusLine())
	if line := s.stats.silentLine(); line != "" {
		fmt.Fprintf(w, "no answer\t%s\t\t\n", line)
	}
	fmt.Fprintf(w, "5xx\t%d (%d unexpected)\t0 unexpected\t%s\n", all5xx, unexpected, check(unexpected == 0))
	fmt.Fprintf(w, "panics\t%d\t0\t%s\n", panics, check(panics == 0))
	lostText := fmt.Sprintf("%d of %d acknowledged writes", lost, len(load.acked))
	if lostErr != nil {
		lostText = "not checked: " + lostErr.Error()
	}
	fmt.Fprintf(w, "lost writes\t%s\t0\t%s\n", lostText, check(lostErr == nil && lost == 0 && len(load.acked) > 0))
	fmt.Fprintf(w, "RSS before / peak / after floods\t%s / %s / %s\tpeak < %s, after within %s\t%s\n", mb(rssBefore), mb(rssPeak), mb(rssAfter),
		mb(maxPeakRSS), mb(maxRSSGrowth), check(rssPeak < maxPeakRSS && rssAfter-rssBefore < maxRSSGrowth))
	fmt.Fprintf(w, "/healthz p99 during floods\t%v (%d probes, %d failed)\t< %v\t%s\n", floodP99.Round(time.Microsecond), probes, floodFailed,
		maxHealthP99, check(floodP99 < maxHealthP99 && floodFailed == 0))
	fmt.Fprintf(w, "/healthz p99 during faults\t%v (%d probes)\t\t\n", allP99.Round(time.Microsecond), allProbes)
	fmt.Fprintf(w, "flood connections opened\t%d big-body, %d slow-header\t\t\n", bigOpened, slowOpened)
	fmt.Fprintf(w, "PostgreSQL stop/start\t%s\t\t%s\n", errText(pgErr), check(pgErr == nil))
	fmt.Fprintf(w, "SIGTERM\t%s after %v\texit 0\t%s\n", exit, took.Round(time.Millisecond), check(exit == "exit 0"))
	loadavg, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(w, "machine\t%d CPUs, %s/%s, load average %s\t\t\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, loadAverage(loadavg))
	w.Flush()
	if unexpected > 0 {
		fmt.Println("\nunexpected 5xx:")
		s.stats.mu.Lock()
		for k, n := range s.stats.unexpected {
			fmt.Printf("  %d× %s\n", n, k)
		}
		s.stats.mu.Unlock()
	}
	if panics > 0 {
		fmt.Println("\nsxhost log (panics):")
		for _, line := range strings.Split(s.procLog.String(), "\n") {
			if strings.Contains(line, `"msg":"panic"`) {
				fmt.Println("  " + line)
			}
		}
	}
	return ok
}

func errText(err error) string {
	if err != nil {
		return err.Error()
	}
	return "done"
}

// loadAverage is the 1, 5 and 15 minute load from /proc/loadavg: the
// machine's other work shares the cores with the server and the attack.
func loadAverage(procLoadavg []byte) string {
	f := strings.Fields(string(procLoadavg))
	return strings.Join(f[:min(3, len(f))], " ")
}
