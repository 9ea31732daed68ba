// Command scaletest proves sxhost stateless (make scale-test): three
// instances of deploy/scaletest/scale.sx behind HAProxy on 127.0.0.1,
// sharing one PostgreSQL database and one Redis, under a read/write load of
// signed-in sessions, while one instance is stopped (SIGTERM) and started
// again mid-load. It checks that
//
//   - a session signed in through one instance works on every instance;
//   - a fragment rendered by one instance is served from the shared cache
//     by the others (one render), and a cache/set is seen by all;
//   - no request fails, the rolling restart included;
//   - every write acknowledged to a client is in the database (no lost
//     writes);
//   - each activity is handled exactly once;
//   - the periodic job runs once per period, not once per instance;
//
// and prints the figures. It needs the sxhost binary, haproxy, a database
// server (SX_TEST_DATABASE_URL; it creates and drops its own database) and
// REDIS_URL. scripts/scale-test provides them. Only 127.0.0.1 is used.
//
//	go run ./scripts/scaletest -sxhost bin/sxhost [-duration 20s] [-workers 12]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/migrations"
)

var (
	sxhostBin = flag.String("sxhost", "bin/sxhost", "the sxhost binary")
	service   = flag.String("service", "deploy/scaletest/scale.sx", "the service file")
	duration  = flag.Duration("duration", 20*time.Second, "how long the load runs")
	workers   = flag.Int("workers", 12, "concurrent clients")
	users     = flag.Int("users", 24, "signed-in users")
	haproxy   = flag.String("haproxy", "haproxy", "the haproxy binary")
	drain     = flag.Duration("drain", 1500*time.Millisecond, "SX_SHUTDOWN_DELAY of the instances (0 shows what the drain is for)")
)

func main() {
	flag.Parse()
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale-test:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Println("scale-test: FAILED")
		os.Exit(1)
	}
	fmt.Println("scale-test: passed")
}

type cluster struct {
	dir       string
	env       []string
	ports     []int
	procs     []*exec.Cmd
	exited    []chan struct{}
	lbPort    int
	haproxy   *exec.Cmd
	haproxyCh chan struct{}
}

func run() (bool, error) {
	ctx := context.Background()
	if os.Getenv("REDIS_URL") == "" {
		return false, fmt.Errorf("REDIS_URL is not set")
	}
	dbURL, drop, err := pgtest.Create("sx_scale")
	if err != nil {
		return false, err
	}
	defer drop()
	db, err := pxPool(ctx, dbURL)
	if err != nil {
		return false, err
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db, migrations.FS); err != nil {
		return false, fmt.Errorf("migrations: %w", err)
	}
	// The platform's schema admits only the six services as origins of
	// activities; this throwaway database admits the test's service too.
	for _, stmt := range []string{
		"alter table ap_activities drop constraint if exists ap_activities_origin_app_check",
		"create table scale_notes (id serial primary key, user_id int not null, body text not null)",
		"create table scale_seen (note_id int not null)",
		"create table scale_job_runs (id serial primary key, at timestamptz not null default clock_timestamp())",
		"create table scale_renders (version int not null)",
	} {
		if _, err := db.Exec(ctx, stmt); err != nil {
			return false, fmt.Errorf("%s: %w", stmt, err)
		}
	}

	c, err := start(dbURL)
	if err != nil {
		return false, err
	}
	defer c.stop()
	lb := fmt.Sprintf("http://127.0.0.1:%d", c.lbPort)
	if err := waitReady(lb+"/readyz", 20*time.Second); err != nil {
		return false, fmt.Errorf("haproxy: %w", err)
	}

	var failures []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}

	// Sessions: sign in through the balancer, then use each session on
	// every instance directly.
	clients := make([]*userClient, *users)
	for i := range clients {
		uc, err := signIn(lb, i+1)
		if err != nil {
			return false, err
		}
		clients[i] = uc
	}
	sessionsOK := 0
	for _, uc := range clients {
		for _, p := range c.ports {
			var me struct{ User int }
			status, err := uc.getJSON(fmt.Sprintf("http://127.0.0.1:%d/me", p), &me)
			if err == nil && status == 200 && me.User == uc.id {
				sessionsOK++
			}
		}
	}
	check(sessionsOK == len(clients)*len(c.ports), "sessions: %d of %d session uses on other instances worked", sessionsOK, len(clients)*len(c.ports))

	// The fragment cache: each instance asks for the same fragment; one
	// renders it, the others are served the cached HTML.
	version := int(time.Now().UnixNano() % 1e9)
	htmls := map[string]bool{}
	for _, p := range c.ports {
		var b struct{ HTML string }
		if _, err := clients[0].getJSON(fmt.Sprintf("http://127.0.0.1:%d/banner?version=%d", p, version), &b); err != nil {
			return false, err
		}
		htmls[b.HTML] = true
	}
	var renders int
	db.QueryRow(ctx, "select count(*) from scale_renders where version = $1", version).Scan(&renders)
	check(renders == 1 && len(htmls) == 1, "fragment cache: %d renders, %d distinct answers across 3 instances (want 1, 1)", renders, len(htmls))
	// A cache change made on one instance is seen by the others.
	word := fmt.Sprintf("w%d", version)
	post(clients[0].http, fmt.Sprintf("http://127.0.0.1:%d/cache", c.ports[0]), "", map[string]any{"key": "k", "value": word})
	seen := 0
	for _, p := range c.ports {
		var v struct{ Value string }
		clients[0].getJSON(fmt.Sprintf("http://127.0.0.1:%d/cache?key=k", p), &v)
		if v.Value == word {
			seen++
		}
	}
	check(seen == 3, "cache: a value set on one instance seen by %d of 3", seen)

	// The load, with a rolling restart of instance 2 in its middle.
	var (
		total, failed, writes, restartReqs, restartFailed atomic.Int64
		inRestart                                         atomic.Bool
		mu                                                sync.Mutex
		acked                                             []int
		failSamples                                       []string
		perInstance                                       = map[string]int{}
	)
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(version)))
			for time.Now().Before(deadline) {
				uc := clients[rng.IntN(len(clients))]
				var err error
				var status int
				var inst string
				switch r := rng.IntN(10); {
				case r < 4:
					var me struct {
						User     int
						Instance string
					}
					status, err = uc.getJSON(lb+"/me", &me)
					inst = me.Instance
					if err == nil && status == 200 && me.User != uc.id {
						err = fmt.Errorf("/me answered user %d for user %d", me.User, uc.id)
					}
				case r < 7:
					var n struct{ ID int }
					status, err = uc.postJSON(lb+"/notes", map[string]any{"body": fmt.Sprintf("note of %d", uc.id)}, &n)
					if err == nil && status == 200 {
						writes.Add(1)
						mu.Lock()
						acked = append(acked, n.ID)
						mu.Unlock()
					}
				default:
					var n struct{ Count int }
					status, err = uc.getJSON(lb+"/notes", &n)
				}
				total.Add(1)
				during := inRestart.Load()
				if during {
					restartReqs.Add(1)
				}
				if err != nil || status != 200 {
					failed.Add(1)
					if during {
						restartFailed.Add(1)
					}
					mu.Lock()
					if len(failSamples) < 5 {
						failSamples = append(failSamples, fmt.Sprintf("status %d err %v", status, err))
					}
					mu.Unlock()
				}
				if inst != "" {
					mu.Lock()
					perInstance[inst]++
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(*duration / 3)
	inRestart.Store(true)
	restartStart := time.Now()
	stopped, err := c.restart(1)
	if err != nil {
		return false, err
	}
	back := time.Since(restartStart)
	time.Sleep(2 * time.Second) // the balancer takes it back (rise)
	inRestart.Store(false)
	wg.Wait()

	// The activities drain, then the checks.
	// The processors take one row per transaction: under this load they
	// fall behind and catch up after it.
	var pending, backlog int
	loadEnd := time.Now()
	db.QueryRow(ctx, "select count(*) from ap_activities where process_state <> 'done'").Scan(&backlog)
	for end := time.Now().Add(120 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		db.QueryRow(ctx, "select count(*) from ap_activities where process_state <> 'done'").Scan(&pending)
		if pending == 0 {
			break
		}
	}
	drained := time.Since(loadEnd)
	var lost int
	db.QueryRow(ctx, "select count(*) from unnest($1::int[]) a(id) where not exists (select 1 from scale_notes n where n.id = a.id)", acked).Scan(&lost)
	var notes, handledOnce, dup, missing int
	db.QueryRow(ctx, `select count(*),
		count(*) filter (where seen = 1), count(*) filter (where seen > 1), count(*) filter (where seen = 0)
		from (select n.id, (select count(*) from scale_seen s where s.note_id = n.id) seen from scale_notes n) x`).
		Scan(&notes, &handledOnce, &dup, &missing)
	var runs int
	var minGap, span float64
	db.QueryRow(ctx, `select count(*), coalesce(min(gap), 0), coalesce(extract(epoch from max(at) - min(at)), 0) from
		(select at, extract(epoch from at - lag(at) over (order by at)) gap from scale_job_runs) x`).Scan(&runs, &minGap, &span)

	check(failed.Load() == 0, "requests: %d of %d failed (%v)", failed.Load(), total.Load(), failSamples)
	check(lost == 0, "writes: %d acknowledged writes missing", lost)
	check(int(writes.Load()) == len(acked), "writes: bookkeeping")
	check(pending == 0, "activities: %d not done 120 s after the load", pending)
	check(dup == 0 && missing == 0 && handledOnce == notes, "activities: %d handled twice or more, %d never, of %d", dup, missing, notes)
	// Period 2 s: two runs closer than that mean two instances ran one
	// period (scheduling jitter is well under half a period).
	check(runs >= 2 && minGap >= 1.5, "job: %d runs, smallest gap %.2f s (period 2 s)", runs, minGap)

	var inst []string
	for k, v := range perInstance {
		inst = append(inst, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(inst)
	fmt.Printf(`
scale-test: 3 sxhost instances behind HAProxy on 127.0.0.1, %d clients, %d signed-in users, %s
  requests                      %d (%.0f/s)
  failed requests               %d
  during the rolling restart    %d requests, %d failed (instance 2 drained and stopped in %s, serving again %s after SIGTERM)
  /me answers per instance      %s
  writes acknowledged           %d, lost %d
  activities                    %d, handled once %d, twice or more %d, never %d (backlog %d at the end of the load, done %s later)
  job (every 2 s)               %d runs in %.1f s, smallest gap between runs %.2f s (one run per period)
  sessions on other instances   %d of %d worked
  fragment cache                %d render(s) for 3 instances; cache/set seen by %d of 3
`, *workers, *users, duration.String(), total.Load(), float64(total.Load())/duration.Seconds(), failed.Load(),
		restartReqs.Load(), restartFailed.Load(), stopped.Round(time.Millisecond), back.Round(time.Millisecond),
		strings.Join(inst, " "), writes.Load(), lost, notes, handledOnce, dup, missing, backlog, drained.Round(100*time.Millisecond), runs, span, minGap,
		sessionsOK, len(clients)*len(c.ports), renders, seen)
	for _, f := range failures {
		fmt.Println("FAIL:", f)
	}
	return len(failures) == 0, nil
}

// start launches the three instances and HAProxy.
func start(dbURL string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "sxhost-scale.")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	// Secrets come from files, as Docker secrets do.
	secret := filepath.Join(dir, "internal_secret")
	keys := filepath.Join(dir, "session_keys")
	os.WriteFile(secret, []byte(fmt.Sprintf("scale-%d-internal\n", time.Now().UnixNano())), 0o600)
	os.WriteFile(keys, []byte(fmt.Sprintf("scale-%d-session-key-0123456789abcdef\n", time.Now().UnixNano())), 0o600)
	c.env = append(os.Environ(),
		"DATABASE_URL="+dbURL, "SX_INTERNAL_SECRET=", "SX_SESSION_KEYS=",
		"SX_INTERNAL_SECRET_FILE="+secret, "SX_SESSION_KEYS_FILE="+keys,
		"SX_SHUTDOWN_DELAY="+drain.String(), "SX_ENV=", "SX_LOG_LEVEL=warn")
	for i := 0; i < 3; i++ {
		c.ports = append(c.ports, freePort())
		c.procs = append(c.procs, nil)
		c.exited = append(c.exited, nil)
		if err := c.startInstance(i); err != nil {
			c.stop()
			return nil, err
		}
	}
	for _, p := range c.ports {
		if err := waitReady(fmt.Sprintf("http://127.0.0.1:%d/readyz", p), 20*time.Second); err != nil {
			c.stop()
			return nil, err
		}
	}
	c.lbPort = freePort()
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(c.lbPort, c.ports)), 0o644); err != nil {
		return nil, err
	}
	c.haproxy = exec.Command(*haproxy, "-db", "-f", cfg)
	logf, _ := os.Create(filepath.Join(dir, "haproxy.log"))
	c.haproxy.Stdout, c.haproxy.Stderr = logf, logf
	if err := c.haproxy.Start(); err != nil {
		c.stop()
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	c.haproxyCh = make(chan struct{})
	go func() { c.haproxy.Wait(); close(c.haproxyCh) }()
	return c, nil
}

// haproxyConfig is the balancer: round robin, /readyz checked every
// 250 ms (one failure takes an instance out, two successes bring it back),
// and a request that found no connection or no answer retried on another
// instance.
func haproxyConfig(front int, ports []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 4096
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
frontend front
    bind 127.0.0.1:%d
    default_backend sx
backend sx
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 250ms fall 1 rise 2
`, front)
	for i, p := range ports {
		fmt.Fprintf(&b, "    server s%d 127.0.0.1:%d check\n", i+1, p)
	}
	return b.String()
}

func (c *cluster) startInstance(i int) error {
	cmd := exec.Command(*sxhostBin, "run", *service)
	cmd.Env = append(append([]string(nil), c.env...),
		fmt.Sprintf("SX_ADDR_SCALE=127.0.0.1:%d", c.ports[i]), fmt.Sprintf("SCALE_INSTANCE=%d", i+1))
	logf, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("sxhost-%d.log", i+1)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	c.procs[i], c.exited[i] = cmd, done
	return nil
}

// restart stops instance i with SIGTERM (drain, then finish in-flight
// requests), waits for it to exit and starts it again; it returns how long
// the stop took.
func (c *cluster) restart(i int) (time.Duration, error) {
	t := time.Now()
	c.procs[i].Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited[i]:
	case <-time.After(40 * time.Second):
		return 0, fmt.Errorf("instance %d did not stop", i+1)
	}
	stopped := time.Since(t)
	if err := c.startInstance(i); err != nil {
		return 0, err
	}
	return stopped, waitReady(fmt.Sprintf("http://127.0.0.1:%d/readyz", c.ports[i]), 20*time.Second)
}

func (c *cluster) stop() {
	for i, p := range c.procs {
		if p != nil && p.Process != nil {
			p.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.exited[i]:
			case <-time.After(10 * time.Second):
				p.Process.Kill()
			}
		}
	}
	if c.haproxy != nil && c.haproxy.Process != nil {
		c.haproxy.Process.Kill()
		<-c.haproxyCh
	}
	if os.Getenv("SCALE_KEEP") == "" {
		os.RemoveAll(c.dir)
	} else {
		fmt.Println("logs kept in", c.dir)
	}
}

type userClient struct {
	id   int
	csrf string
	http *http.Client
}

func signIn(lb string, id int) (*userClient, error) {
	jar, _ := cookiejar.New(nil)
	uc := &userClient{id: id, http: &http.Client{Jar: jar, Timeout: 15 * time.Second}}
	var out struct{ CSRF string }
	status, err := decode(post(uc.http, lb+"/sign-in", "", map[string]any{"user-id": id}))(&out)
	if err != nil || status != 200 {
		return nil, fmt.Errorf("sign in %d: status %d: %v", id, status, err)
	}
	uc.csrf = out.CSRF
	return uc, nil
}

func (uc *userClient) getJSON(url string, v any) (int, error) {
	return decode(uc.http.Get(url))(v)
}

func (uc *userClient) postJSON(url string, body map[string]any, v any) (int, error) {
	return decode(post(uc.http, url, uc.csrf, body))(v)
}

func post(c *http.Client, url, csrf string, body map[string]any) (*http.Response, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	return c.Do(req)
}

func decode(resp *http.Response, err error) func(v any) (int, error) {
	return func(v any) (int, error) {
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return resp.StatusCode, fmt.Errorf("%s", bytes.TrimSpace(b))
		}
		return 200, json.Unmarshal(b, v)
	}
}

func waitReady(url string, within time.Duration) error {
	end := time.Now().Add(within)
	for time.Now().Before(end) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %s", url, within)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func pxPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return pgxpool.New(ctx, url)
}
