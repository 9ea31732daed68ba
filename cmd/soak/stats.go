package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stats counts answers by status, per phase, and the 5xx no phase explains.
type stats struct {
	mu         sync.Mutex
	requests   int
	byStatus   map[int]int
	transport  int            // requests that got no answer
	silent     map[string]int // of those, by phase
	unexpected map[string]int
	phase      string
	expect5xx  map[int]bool // 5xx statuses the current phase explains
}

func newStats() *stats {
	return &stats{byStatus: map[int]int{}, unexpected: map[string]int{}, silent: map[string]int{}}
}

// enter starts a phase; statuses in expected are explained by its faults.
func (s *stats) enter(phase string, expected ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase = phase
	s.expect5xx = map[int]bool{}
	for _, st := range expected {
		s.expect5xx[st] = true
	}
	step(phase)
}

// record counts one answer (status 0: none came).
func (s *stats) record(status int, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if status == 0 {
		s.transport++
		s.silent[s.phase]++
		return
	}
	s.byStatus[status]++
	if status >= 500 && !s.expect5xx[status] {
		s.unexpected[fmt.Sprintf("%s: %d %s", s.phase, status, what)]++
	}
}

func (s *stats) count5xx() (all, unexpected int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for st, n := range s.byStatus {
		if st >= 500 {
			all += n
		}
	}
	for _, n := range s.unexpected {
		unexpected += n
	}
	return
}

func (s *stats) statusLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var codes []int
	for st := range s.byStatus {
		codes = append(codes, st)
	}
	sort.Ints(codes)
	var parts []string
	for _, st := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", st, s.byStatus[st]))
	}
	if s.transport > 0 {
		parts = append(parts, fmt.Sprintf("no answer×%d", s.transport))
	}
	return strings.Join(parts, " ")
}

// silentLine lists the requests without an answer by phase.
func (s *stats) silentLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for phase, n := range s.silent {
		parts = append(parts, fmt.Sprintf("%d in %s", n, strings.SplitN(phase, " (", 2)[0]))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// latencies collects durations for percentiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) percentile(p float64) (time.Duration, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), l.d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p)
	return s[i], len(s)
}

// rssSampler reads a process's resident set every 100 ms.
type rssSampler struct {
	pid  int
	mu   sync.Mutex
	peak int64
	done chan struct{}
}

func newRSSSampler(pid int) *rssSampler {
	r := &rssSampler{pid: pid, done: make(chan struct{})}
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-r.done:
				return
			case <-t.C:
				if v := rssOf(pid); v > 0 {
					r.mu.Lock()
					if v > r.peak {
						r.peak = v
					}
					r.mu.Unlock()
				}
			}
		}
	}()
	return r
}

func (r *rssSampler) now() int64 { return rssOf(r.pid) }

func (r *rssSampler) max() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peak
}

func (r *rssSampler) stop() {
	select {
	case <-r.done:
	default:
		close(r.done)
	}
}

// rssOf is a process's VmRSS in bytes (0 when it is gone).
func rssOf(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
