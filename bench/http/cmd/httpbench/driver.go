package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rose-ash/sxhost/bench"
)

// scenario is one pair of endpoints measured against each other.
type scenario struct {
	name   string
	site   string  // a site scenario's service (site.go): served on its own port
	title  string  // what the row shows
	peer   string  // the peer's name in the targets
	path   string  // the path wrk requests (query: the prefix the id follows)
	vary   bool    // cycle N through 1…products: appended to path, or the body's id
	post   bool    // POST a JSON body {"id":N} to path instead of GET
	target float64 // the lowest acceptable sx/peer throughput ratio
	// cpuTarget, when set, is also the lowest acceptable peer/sx ratio of
	// CPU per request (issue 20: the query path).
	cpuTarget float64
}

var scenarios = []scenario{
	{name: "query", title: "defquery product-by-id vs fasthttp + pgx", peer: "fasthttp + pgx",
		path: "/internal/data/product-by-id?id=", vary: true, target: 0.9, cpuTarget: 0.9},
	{name: "list", title: "defquery products-from (24 rows) vs fasthttp + pgx", peer: "fasthttp + pgx",
		path: "/internal/data/products-from?from=", vary: true, target: 0.9, cpuTarget: 0.9},
	{name: "hello", title: "trivial defpage vs raw fasthttp", peer: "raw fasthttp",
		path: "/hello", target: 0.5},
	{name: "page", title: "complex page vs fasthttp + html/template", peer: "html/template",
		path: "/orders", target: 1.0},
	{name: "product", title: "product page (2 defqueries with :cache 30, JSON-LD, money) vs fasthttp + pgx + html/template (2 queries)", peer: "html/template",
		path: "/product/", vary: true, target: 1.5},
	{name: "product-uncached", title: "product page, 2 queries each side, vs fasthttp + pgx + html/template", peer: "html/template",
		path: "/product-uncached/", vary: true, target: 1.0},
	{name: "blog", title: "blog home (3 header fragments cached per TTL + a 12-post listing, defquery :cache 30) vs fasthttp + pgx + html/template (3 queries)", peer: "html/template",
		path: "/blog", target: 1.5},
	{name: "blog-uncached", title: "blog home, fragments uncached (3 queries each side) vs fasthttp + pgx + html/template", peer: "html/template",
		path: "/blog-uncached", target: 1.0},
	{name: "action", title: "defaction order-product (a transaction: insert + update) vs fasthttp + pgx", peer: "fasthttp + pgx",
		path: "/internal/actions/order-product", vary: true, post: true, target: 0.8},
}

// config is the run command's settings.
type config struct {
	db, bin, dir, profile string
	siteDB, root          string // the site scenarios' database and the repository (site.go)
	withSite              bool   // servers started now also serve the site scenarios' pages
	serverCPU, wrkCPU     string
	sxPort, peerPort      int
	duration, warmup      time.Duration
	rounds, pool, np      int
	connections           []int // wrk connections: every scenario runs at each
	only                  *regexp.Regexp
}

// rssTarget is the highest acceptable sx/peer ratio of resident memory
// under load (issue 20).
const rssTarget = 1.5

// side is one running server.
type side struct {
	name  string // sx or peer
	base  string // http://127.0.0.1:port
	pprof string // host:port of its pprof server, when profiling
	cmd   *exec.Cmd
	// siteAddrs are the addresses of its site servers (site.go), by service.
	siteAddrs map[string]string
}

// sample is what one wrk run measured.
type sample struct {
	reqs     float64 // requests per second
	p50, p99 time.Duration
	cpu      float64 // the server's CPU time per request, in µs
	busy     float64 // the server's CPU time over the run's wall time (1 = one core)
	rss      float64 // the server's largest resident set during the run, in MiB
}

// group is one scenario at one number of connections: the unit the tables
// have a row for.
type group struct {
	sc scenario
	c  int
}

func (g group) key() string { return fmt.Sprintf("%s c=%d", g.sc.name, g.c) }

func (g group) title() string { return fmt.Sprintf("%s, c=%d", g.sc.title, g.c) }

func runCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("httpbench run", flag.ExitOnError)
	var c config
	fs.StringVar(&c.db, "db", "", "PostgreSQL URL of a database with the products table (required)")
	fs.StringVar(&c.siteDB, "site-db", "", "PostgreSQL URL of the seeded demo database (httpbench site-seed) for the site scenarios")
	fs.StringVar(&c.root, "root", "..", "the repository, for the site scenarios' service files")
	fs.StringVar(&c.bin, "bin", "", "httpbench binary the servers run from (default: this one)")
	fs.StringVar(&c.dir, "dir", "", "work directory for the service file and wrk scripts (default: a temporary one)")
	fs.StringVar(&c.profile, "profile", "", "after measuring, write CPU profiles of both servers under load to this directory")
	fs.StringVar(&c.serverCPU, "server-cpu", "0", "CPU list (taskset -c) for the servers")
	fs.StringVar(&c.wrkCPU, "wrk-cpu", "1", "CPU list (taskset -c) for wrk")
	fs.IntVar(&c.sxPort, "sx-port", 18101, "port of the sxhost server")
	fs.IntVar(&c.peerPort, "peer-port", 18102, "port of the peer server")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of one measured wrk run")
	fs.DurationVar(&c.warmup, "warmup", 3*time.Second, "length of the warm-up run per server and scenario")
	fs.IntVar(&c.rounds, "rounds", 3, "interleaved rounds per scenario")
	conns := fs.String("c", "64,256", "wrk connections (one wrk thread), a comma-separated list: every scenario runs at each")
	fs.IntVar(&c.pool, "pool", 8, "database connections per server")
	fs.IntVar(&c.np, "products", 1000, "rows in the products table: the query cycles through ids 1…products")
	only := fs.String("scenarios", ".", "regexp selecting scenarios by name (query, list, hello, page, action)")
	fs.Parse(args)
	for _, f := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("run: -c: %q is not a number of connections", f)
		}
		c.connections = append(c.connections, n)
	}
	if c.db == "" {
		return errors.New("run: -db is required")
	}
	if c.duration < time.Second || c.warmup < time.Second || c.rounds < 1 {
		return errors.New("run: -duration and -warmup must be at least 1s (wrk counts whole seconds), -rounds at least 1")
	}
	var err error
	if c.only, err = regexp.Compile(*only); err != nil {
		return err
	}
	if c.bin == "" {
		if c.bin, err = os.Executable(); err != nil {
			return err
		}
	}
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "httpbench"); err != nil {
			return err
		}
		defer os.RemoveAll(c.dir)
	}
	for _, tool := range []string{"wrk", "taskset"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("run: %s is not installed", tool)
		}
	}

	sx := &side{name: "sx", base: fmt.Sprintf("http://127.0.0.1:%d", c.sxPort)}
	peer := &side{name: "peer", base: fmt.Sprintf("http://127.0.0.1:%d", c.peerPort)}
	if c.profile != "" {
		sx.pprof = fmt.Sprintf("127.0.0.1:%d", c.sxPort+100)
		peer.pprof = fmt.Sprintf("127.0.0.1:%d", c.peerPort+100)
	}
	startBoth := func() error {
		for _, s := range []*side{sx, peer} {
			if err := s.start(ctx, &c); err != nil {
				return err
			}
		}
		return nil
	}
	stopBoth := func() {
		for _, s := range []*side{sx, peer} {
			if s.cmd != nil {
				s.stop()
				s.cmd = nil
			}
		}
	}
	defer stopBoth()

	var chosen []scenario
	for _, sc := range scenarios {
		if c.only.MatchString(sc.name) {
			chosen = append(chosen, sc)
		}
	}
	// Check every pair before measuring anything: a wrong answer fails the
	// run before it costs minutes.
	for _, sc := range chosen {
		c.withSite = c.withSite || sc.site != ""
	}
	if err := startBoth(); err != nil {
		return err
	}
	if err := learnComponentsHash(ctx, sx); err != nil {
		return err
	}
	for _, sc := range chosen {
		check := checkIdentical
		if sc.site != "" {
			if c.siteDB == "" {
				return fmt.Errorf("run: %s needs -site-db", sc.name)
			}
			check = checkSite
		}
		if err := check(ctx, &c, sc, sx, peer); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "httpbench: %s: sx and peer answer identically\n", sc.name)
	}

	// Each scenario at each number of connections gets freshly started
	// servers, so that the resident memory measured is that group's: a Go
	// process returns freed memory to the system only slowly.
	var groups []group
	results := map[string]map[string][]sample{}
	for _, sc := range chosen {
		for _, conns := range c.connections {
			g := group{sc, conns}
			groups = append(groups, g)
			stopBoth()
			c.withSite = sc.site != "" // only then: the six services' memory is not the other rows'
			if err := startBoth(); err != nil {
				return err
			}
			results[g.key()] = map[string][]sample{}
			for _, s := range []*side{sx, peer} {
				if _, err := runWrk(ctx, &c, g, s, c.warmup); err != nil {
					return fmt.Errorf("%s warm-up of %s: %w", g.key(), s.name, err)
				}
			}
			for r := 1; r <= c.rounds; r++ {
				for _, s := range []*side{sx, peer} {
					m, err := runWrk(ctx, &c, g, s, c.duration)
					if err != nil {
						return fmt.Errorf("%s round %d of %s: %w", g.key(), r, s.name, err)
					}
					fmt.Fprintf(os.Stderr, "httpbench: %s round %d/%d %-4s %8.0f req/s  p50 %s  p99 %s  server CPU %.1f µs/req, %.0f%% busy, RSS %.1f MiB\n",
						g.key(), r, c.rounds, s.name, m.reqs, formatLatency(m.p50), formatLatency(m.p99), m.cpu, 100*m.busy, m.rss)
					results[g.key()][s.name] = append(results[g.key()][s.name], m)
				}
			}
		}
	}
	stopBoth()
	writeTables(os.Stdout, &c, groups, results)

	if c.profile != "" {
		if err := os.MkdirAll(c.profile, 0o755); err != nil {
			return err
		}
		for _, g := range groups {
			c.withSite = c.withSite || g.sc.site != ""
		}
		if err := startBoth(); err != nil {
			return err
		}
		for _, g := range groups {
			for _, s := range []*side{sx, peer} {
				file := filepath.Join(c.profile, fmt.Sprintf("%s-%s-c%d.pprof", s.name, g.sc.name, g.c))
				if err := profileUnderLoad(ctx, &c, g, s, file); err != nil {
					return fmt.Errorf("profile %s of %s: %w", g.key(), s.name, err)
				}
				fmt.Fprintf(os.Stderr, "httpbench: wrote %s\n", file)
			}
		}
	}
	return nil
}

// start runs the side's server pinned to the server CPUs with GOMAXPROCS=1
// and waits until it answers /healthz.
func (s *side) start(ctx context.Context, c *config) error {
	args := []string{"-c", c.serverCPU, c.bin, "serve", "-side", s.name,
		"-addr", strings.TrimPrefix(s.base, "http://"), "-db", c.db, "-pool", strconv.Itoa(c.pool), "-dir", c.dir}
	if s.pprof != "" {
		args = append(args, "-pprof", s.pprof)
	}
	if c.siteDB != "" && c.withSite {
		addrs, err := s.siteAddrFlags()
		if err != nil {
			return err
		}
		args = append(append(args, "-site-db", c.siteDB, "-root", c.root), addrs...)
	}
	s.cmd = exec.Command("taskset", args...)
	s.cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GOGC=100")
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	// The server dies with this process even if it is killed.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("%s server exited: %v", s.name, err)
		case <-ctx.Done():
			s.cmd.Process.Kill()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := client.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil // the goroutine above reaps the process
			}
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Kill()
			return fmt.Errorf("%s server did not answer /healthz within 15 s", s.name)
		}
	}
}

// stop asks the server to shut down and kills it if it does not.
func (s *side) stop() {
	p := s.cmd.Process
	p.Signal(syscall.SIGTERM)
	for range 50 {
		if p.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.Kill()
}

// client talks to the servers; the timeout covers a profile request.
var client = &http.Client{Timeout: time.Minute}

// response is what the identity check compares.
type response struct {
	status      int
	contentType string
	body        []byte
}

func get(ctx context.Context, url string) (response, error) { return send(ctx, "GET", url, nil) }

// send makes one request; a body is sent as JSON.
func send(ctx context.Context, method, url string, body []byte) (response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if componentsHash != "" {
		req.Header.Set("SX-Components-Hash", componentsHash)
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), b}, err
}

// componentsHash is the hash of sxhost's component bundle for the bench
// service. Every request sends it (SX-Components-Hash), as a browser that
// has the bundle does, so that pages do not carry the bundle's source; the
// peer ignores it.
var componentsHash string

var (
	hashAttr      = regexp.MustCompile(`data-components data-hash="([0-9a-f]+)"`)
	runtimeScript = regexp.MustCompile(`<script src="/static/sx\.[0-9a-f]+\.js" defer nonce="[^"]*"></script>`)
	rootAndBundle = regexp.MustCompile(`(?s)<div id="sx-root">(.*)</div><script type="text/sx" data-components data-hash="[0-9a-f]*"></script>`)
	bundleScript  = regexp.MustCompile(`<script type="text/sx" data-components data-hash="[0-9a-f]*"></script>`)
)

// learnComponentsHash reads the bundle hash from one of sxhost's pages.
func learnComponentsHash(ctx context.Context, sx *side) error {
	r, err := get(ctx, sx.base+"/hello")
	if err != nil {
		return err
	}
	m := hashAttr.FindSubmatch(r.body)
	if m == nil {
		return fmt.Errorf("no component bundle hash in sxhost's /hello:\n%.400s", r.body)
	}
	componentsHash = string(m[1])
	return nil
}

// stripRuntimeTags removes from a page of sxhost what the host adds for
// its browser runtime and the peer does not write: the sx.js script tag
// (with a per-response CSP nonce), the #sx-root wrapper of the document
// shell, and the (empty, since the hash matched) component bundle.
func stripRuntimeTags(body []byte) []byte {
	body = runtimeScript.ReplaceAll(body, nil)
	body = rootAndBundle.ReplaceAll(body, []byte("$1"))
	return bundleScript.ReplaceAll(body, nil)
}

// request is one request of a scenario.
type request struct {
	method, path string
	body         []byte // nil for GET
}

// requests returns every request the scenario makes.
func (sc scenario) requests(products int) []request {
	n := 1
	if sc.vary {
		n = products
	}
	out := make([]request, n)
	for i := range out {
		switch {
		case sc.post:
			out[i] = request{"POST", sc.path, []byte(`{"id":` + strconv.Itoa(i+1) + `}`)}
		case sc.vary:
			out[i] = request{"GET", sc.path + strconv.Itoa(i+1), nil}
		default:
			out[i] = request{"GET", sc.path, nil}
		}
	}
	return out
}

// checkIdentical requests every path of the scenario from both sides and
// fails unless both answer 200 with the same content type and body.
func checkIdentical(ctx context.Context, c *config, sc scenario, sx, peer *side) error {
	for _, rq := range sc.requests(c.np) {
		p := rq.method + " " + rq.path + " " + string(rq.body)
		a, err := send(ctx, rq.method, sx.base+rq.path, rq.body)
		if err != nil {
			return fmt.Errorf("%s: sx: %w", sc.name, err)
		}
		b, err := send(ctx, rq.method, peer.base+rq.path, rq.body)
		if err != nil {
			return fmt.Errorf("%s: peer: %w", sc.name, err)
		}
		if a.status != 200 || b.status != 200 {
			return fmt.Errorf("%s: %s: sx answered %d, peer %d\n  sx:   %.300s\n  peer: %.300s", sc.name, p, a.status, b.status, a.body, b.body)
		}
		a.body = stripRuntimeTags(a.body)
		if a.contentType != b.contentType {
			return fmt.Errorf("%s: %s: content types differ: sx %q, peer %q", sc.name, p, a.contentType, b.contentType)
		}
		if msg := firstDifference(a.body, b.body); msg != "" {
			return fmt.Errorf("%s: %s: bodies differ: %s", sc.name, p, msg)
		}
		if len(a.body) == 0 || string(a.body) == "null" {
			return fmt.Errorf("%s: %s: empty answer %q (is the products table filled?)", sc.name, p, a.body)
		}
	}
	return nil
}

// firstDifference describes where got and want first differ, or returns "".
func firstDifference(sx, peer []byte) string {
	if bytes.Equal(sx, peer) {
		return ""
	}
	i := 0
	for i < len(sx) && i < len(peer) && sx[i] == peer[i] {
		i++
	}
	lo := max(i-60, 0)
	return fmt.Sprintf("at byte %d (lengths %d and %d)\n  sx:   …%s…\n  peer: …%s…",
		i, len(sx), len(peer), sx[lo:min(i+60, len(sx))], peer[lo:min(i+60, len(peer))])
}

// wrkScript is the Lua script of a scenario: a request function cycling
// the id when the path varies (otherwise wrk sends its fixed request), and
// a done function printing the numbers the driver reads.
func wrkScript(sc scenario, products int) string {
	var b strings.Builder
	b.WriteString("-- written by httpbench\n")
	if h := scenarioHash(sc); h != "" {
		fmt.Fprintf(&b, "wrk.headers[\"SX-Components-Hash\"] = %q\n", h)
	}
	switch {
	case sc.post:
		fmt.Fprintf(&b, `local n = 0
local headers = {["Content-Type"] = "application/json"}
request = function()
  n = n %% %d + 1
  return wrk.format("POST", %q, headers, '{"id":' .. n .. '}')
end
`, products, sc.path)
	case sc.vary:
		fmt.Fprintf(&b, `local n = 0
request = function()
  n = n %% %d + 1
  return wrk.format(nil, %q .. n)
end
`, products, sc.path)
	}
	b.WriteString(`done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("httpbench: requests=%d duration_us=%d errors=%d,%d,%d,%d,%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`)
	return b.String()
}

var wrkResult = regexp.MustCompile(`httpbench: requests=(\d+) duration_us=(\d+) errors=(\d+),(\d+),(\d+),(\d+),(\d+) p50_us=(\d+) p99_us=(\d+)`)

// parseWrk reads the line the done function printed and returns the
// throughput and latencies with the number of requests; any error (connect,
// read, write, non-2xx status, timeout) fails the run.
func parseWrk(out string) (sample, float64, error) {
	m := wrkResult.FindStringSubmatch(out)
	if m == nil {
		return sample{}, 0, fmt.Errorf("no result line in the wrk output:\n%s", out)
	}
	n := make([]float64, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.ParseFloat(m[i], 64)
	}
	if errs := n[3] + n[4] + n[5] + n[6] + n[7]; errs > 0 {
		return sample{}, 0, fmt.Errorf("wrk saw errors (connect %v, read %v, write %v, status %v, timeout %v):\n%s",
			n[3], n[4], n[5], n[6], n[7], out)
	}
	if n[1] == 0 || n[2] == 0 {
		return sample{}, 0, fmt.Errorf("wrk completed no requests:\n%s", out)
	}
	return sample{
		reqs: n[1] / (n[2] / 1e6),
		p50:  time.Duration(n[8]) * time.Microsecond,
		p99:  time.Duration(n[9]) * time.Microsecond,
	}, n[1], nil
}

// runWrk runs wrk, pinned to the wrk CPUs, against one side for d.
func runWrk(ctx context.Context, c *config, g group, s *side, d time.Duration) (sample, error) {
	sc := g.sc
	script := filepath.Join(c.dir, sc.name+".lua")
	if err := os.WriteFile(script, []byte(wrkScript(sc, c.np)), 0o644); err != nil {
		return sample{}, err
	}
	url := s.url(sc) + sc.path
	if sc.vary && !sc.post {
		url += "1"
	}
	cmd := exec.CommandContext(ctx, "taskset", "-c", c.wrkCPU, "wrk", "-t1", "-c"+strconv.Itoa(g.c),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "--timeout", "10s", "-s", script, url)
	cpu0, err := cpuTime(s.cmd.Process.Pid)
	if err != nil {
		return sample{}, err
	}
	start := time.Now()
	stopRSS := make(chan struct{})
	rss := make(chan float64, 1)
	go func() { rss <- peakRSS(s.cmd.Process.Pid, stopRSS) }()
	out, err := cmd.CombinedOutput()
	close(stopRSS)
	peak := <-rss
	if err != nil {
		return sample{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	wall := time.Since(start)
	cpu1, err := cpuTime(s.cmd.Process.Pid)
	if err != nil {
		return sample{}, err
	}
	m, n, err := parseWrk(string(out))
	if err != nil {
		return sample{}, err
	}
	m.cpu = float64(cpu1-cpu0) / float64(time.Microsecond) / n
	m.busy = float64(cpu1-cpu0) / float64(wall)
	m.rss = peak
	return m, nil
}

// peakRSS samples the process's resident set (VmRSS in /proc/PID/status)
// every 100 ms until stop is closed and returns the largest, in MiB.
func peakRSS(pid int, stop <-chan struct{}) float64 {
	var peak float64
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for line := range strings.Lines(string(b)) {
				if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
					kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
					peak = max(peak, kb/1024)
				}
			}
		}
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}

// cpuTime returns the user and system CPU time a process has used so far,
// all threads together (/proc/PID/stat, in clock ticks of 10 ms: USER_HZ is
// 100 on Linux, so a 10 s run is measured to about 0.1%).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest) // f[0] is field 3, so utime (14) is f[11]
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime or stime", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// profileUnderLoad takes a CPU profile of the side's server while wrk
// drives it for one measured duration.
func profileUnderLoad(ctx context.Context, c *config, g group, s *side, file string) error {
	type result struct {
		data []byte
		err  error
	}
	secs := max(int(c.duration.Seconds())-2, 1)
	got := make(chan result, 1)
	go func() {
		time.Sleep(time.Second) // past wrk's connection set-up
		r, err := get(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.pprof, secs))
		if err == nil && r.status != 200 {
			err = fmt.Errorf("pprof answered %d: %s", r.status, r.body)
		}
		got <- result{r.body, err}
	}()
	m, err := runWrk(ctx, c, g, s, c.duration)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "httpbench: %s profiled %-4s %8.0f req/s  server CPU %.1f µs/req, %.0f%% busy\n",
		g.key(), s.name, m.reqs, m.cpu, 100*m.busy)
	r := <-got
	if r.err != nil {
		return r.err
	}
	return os.WriteFile(file, r.data, 0o644)
}

func pick(samples []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = f(s)
	}
	return out
}

func formatLatency(d time.Duration) string {
	if d >= time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

// formatRate prints requests per second with a thousands separator.
func formatRate(r float64) string {
	s := strconv.FormatFloat(r, 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeTables prints the throughput table, the server CPU table, the
// resident memory table and the targets as markdown.
func writeTables(w io.Writer, c *config, groups []group, results map[string]map[string][]sample) {
	reqs := func(s sample) float64 { return s.reqs }
	p99 := func(s sample) float64 { return float64(s.p99) }
	cpu := func(s sample) float64 { return s.cpu }
	busy := func(s sample) float64 { return s.busy }
	rss := func(s sample) float64 { return s.rss }
	fmt.Fprintf(w, "    %s, %s/%s, %s\n", cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	ssl := os.Getenv("PGSSLMODE")
	if ssl == "" {
		ssl = "unset"
	}
	fmt.Fprintf(w, "    servers: taskset -c %s, GOMAXPROCS=1, %d database connections each (PGSSLMODE %s)\n",
		c.serverCPU, c.pool, ssl)
	conns := make([]string, len(c.connections))
	for i, n := range c.connections {
		conns[i] = strconv.Itoa(n)
	}
	fmt.Fprintf(w, "    wrk: taskset -c %s, 1 thread, %s connections, %d rounds of %s after a %s warm-up\n\n",
		c.wrkCPU, strings.Join(conns, " and "), c.rounds, c.duration, c.warmup)

	fmt.Fprintln(w, "| scenario | sx req/s | peer req/s | sx/peer | per round | sx p99 | peer p99 |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---:|---:|")
	for _, g := range groups {
		sx, peer := results[g.key()]["sx"], results[g.key()]["peer"]
		rs := ratios(sx, peer, reqs)
		fmt.Fprintf(w, "| %s | %s | %s | %.2f | %s | %s | %s |\n", g.title(),
			formatRate(bench.Median(pick(sx, reqs))), formatRate(bench.Median(pick(peer, reqs))), bench.Median(rs), joinRatios(rs),
			formatLatency(time.Duration(bench.Median(pick(sx, p99)))), formatLatency(time.Duration(bench.Median(pick(peer, p99)))))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Server CPU time per request (user + system, all threads), and how busy the server's core was:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | sx µs/req | peer µs/req | peer/sx | per round | sx busy | peer busy |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---:|---:|")
	for _, g := range groups {
		sx, peer := results[g.key()]["sx"], results[g.key()]["peer"]
		rs := ratios(peer, sx, cpu)
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.2f | %s | %.0f%% | %.0f%% |\n", g.title(),
			bench.Median(pick(sx, cpu)), bench.Median(pick(peer, cpu)), bench.Median(rs), joinRatios(rs),
			100*bench.Median(pick(sx, busy)), 100*bench.Median(pick(peer, busy)))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Largest resident set of the server during each run (VmRSS sampled every 100 ms; servers restarted for each row):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | sx MiB | peer MiB | sx/peer | per round |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|")
	for _, g := range groups {
		sx, peer := results[g.key()]["sx"], results[g.key()]["peer"]
		rs := ratios(sx, peer, rss)
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.2f | %s |\n", g.title(),
			bench.Median(pick(sx, rss)), bench.Median(pick(peer, rss)), bench.Median(rs), joinRatios(rs))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "| target | measured | |")
	fmt.Fprintln(w, "|---|---:|---|")
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	for _, g := range groups {
		sx, peer := results[g.key()]["sx"], results[g.key()]["peer"]
		r := bench.Median(ratios(sx, peer, reqs))
		fmt.Fprintf(w, "| %s c=%d: sx req/s ≥ %.1f × %s | %.2f | %s |\n", g.sc.name, g.c, g.sc.target, g.sc.peer, r, verdict(r >= g.sc.target))
		if g.sc.cpuTarget > 0 {
			r := bench.Median(ratios(peer, sx, cpu))
			fmt.Fprintf(w, "| %s c=%d: peer/sx CPU per request ≥ %.1f | %.2f | %s |\n", g.sc.name, g.c, g.sc.cpuTarget, r, verdict(r >= g.sc.cpuTarget))
		}
		if g.c >= 256 {
			r := bench.Median(ratios(sx, peer, rss))
			fmt.Fprintf(w, "| %s c=%d: sx/peer RSS ≤ %.1f | %.2f | %s |\n", g.sc.name, g.c, rssTarget, r, verdict(r <= rssTarget))
		}
	}
}

// ratios returns the per-round ratios a/b of the picked value.
func ratios(a, b []sample, f func(sample) float64) []float64 {
	n := min(len(a), len(b))
	out := make([]float64, n)
	for i := range n {
		out[i] = f(a[i]) / f(b[i])
	}
	return out
}

func joinRatios(rs []float64) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprintf("%.2f", r)
	}
	return strings.Join(s, ", ")
}

// cpuModel is the first model name in /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown cpu"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown cpu"
}
