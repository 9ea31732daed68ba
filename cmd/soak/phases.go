package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/host"
)

// client sends the run's own (well-formed) requests.
var client = &fasthttp.Client{
	Name:                      "soak",
	MaxConnsPerHost:           32,
	ReadTimeout:               15 * time.Second,
	WriteTimeout:              15 * time.Second,
	MaxIdemponentCallAttempts: 1,
	MaxConnWaitTimeout:        5 * time.Second,
}

// call sends one request to service; signed requests carry the internal
// signature. It returns the status (0 when no answer came) and the body.
func (s *soak) call(method, service, target string, body []byte, signed bool) (int, []byte) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + s.addrs[service] + target)
	req.Header.SetMethod(method)
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	if signed {
		host.SignRequest(req, s.secret, service, target)
	}
	if err := client.DoTimeout(req, resp, 15*time.Second); err != nil {
		return 0, nil
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...)
}

// record sends a request and counts its answer.
func (s *soak) record(method, service, target string, body []byte, signed bool) (int, []byte) {
	st, b := s.call(method, service, target, body, signed)
	s.stats.record(st, method+" "+service+" "+strings.SplitN(target, "?", 2)[0])
	return st, b
}

func (s *soak) dur(seconds float64) time.Duration {
	return time.Duration(seconds * s.phase * float64(time.Second))
}

// hostile values for every parameter of every query and fragment.
var payloads = []string{
	"' OR 1=1 --", "1; drop table users; --", "' UNION SELECT password FROM users --", "\x00", "%00",
	"../../etc/passwd", "<script>alert(1)</script>", strings.Repeat("A", 8000), "-1", "0",
	"99999999999999999999", "1e309", "NaN", "[1,2", `{"a":`, "\xff\xfe", "😀", "null", "true",
	"${jndi:ldap://127.0.0.1/x}", "2026-13-45T99:99:99Z", "[]", "{}", " ", "1,2,3,x",
}

// rawHeads are malformed requests sent as bytes.
var rawHeads = []string{
	"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
	"GET /" + strings.Repeat("a", 70000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	"BREW /coffee HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /internal/actions/x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
	"POST /internal/actions/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/9.9\r\n\r\n",
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	"GET /internal/data/x?a=%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n0123456789",
}

// sweep sends hostile values to every query, fragment and page, and
// malformed requests to every port.
func (s *soak) sweep() {
	s.stats.enter("hostile-input sweep")
	type job struct{ method, service, target string }
	jobs := make(chan job, 64)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s.record(j.method, j.service, j.target, nil, true)
			}
		}()
	}
	deadline := time.Now().Add(s.dur(40))
	for _, svc := range services {
		st, body := s.record("GET", svc, "/internal/schema", nil, true)
		if st != 200 {
			continue
		}
		var schema struct {
			Queries, Fragments, Pages []struct {
				Name, Path string
				Params     []struct{ Name string }
			}
		}
		json.Unmarshal(body, &schema)
		for _, kind := range []struct {
			prefix string
			defs   []struct {
				Name, Path string
				Params     []struct{ Name string }
			}
		}{{"/internal/data/", schema.Queries}, {"/internal/fragments/", schema.Fragments}} {
			for _, d := range kind.defs {
				for _, p := range d.Params {
					for _, v := range payloads {
						if time.Now().After(deadline) {
							break
						}
						jobs <- job{"GET", svc, kind.prefix + url.PathEscape(d.Name) + "?" + url.Values{p.Name: {v}}.Encode()}
					}
				}
			}
		}
		for _, pg := range schema.Pages {
			for _, v := range payloads[:12] {
				path := pg.Path
				for strings.Contains(path, "<") {
					i, j := strings.Index(path, "<"), strings.Index(path, ">")
					if j < i {
						break
					}
					path = path[:i] + url.PathEscape(v) + path[j+1:]
				}
				jobs <- job{"GET", svc, path + "?q=" + url.QueryEscape(v)}
			}
		}
		for _, raw := range rawHeads {
			s.stats.record(rawStatus(s.addrs[svc], raw), "raw request")
		}
	}
	close(jobs)
	wg.Wait()
}

// rawStatus sends bytes and returns the answer's status (0: none).
func rawStatus(addr, text string) int {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, text)
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(c, buf, 12)
	var st int
	if n >= 12 {
		fmt.Sscanf(string(buf[9:12]), "%d", &st)
	} else {
		return 400 // closed without an answer: a refusal, as good as a 400
	}
	return st
}

// prober requests /healthz every 20 ms from a process of its own (this
// command run as "soak -probe ADDR"), so the attack's goroutines in this
// one do not delay its measurements; it reads one latency a line.
type prober struct {
	lat     latencies
	failed  atomic.Int64
	cmd     *exec.Cmd
	stdin   io.Closer
	stopped chan struct{}
}

func (s *soak) startProber(service string) *prober {
	p := &prober{stopped: make(chan struct{})}
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	p.cmd = exec.Command(self, "-probe", s.addrs[service])
	in, _ := p.cmd.StdinPipe()
	out, _ := p.cmd.StdoutPipe()
	p.stdin = in
	if err := p.cmd.Start(); err != nil {
		step("probe: " + err.Error())
		close(p.stopped)
		return p
	}
	go func() {
		defer close(p.stopped)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			us, err := strconv.ParseInt(sc.Text(), 10, 64)
			if err != nil || us < 0 {
				p.failed.Add(1)
				us = (5 * time.Second).Microseconds()
			}
			p.lat.add(time.Duration(us) * time.Microsecond)
		}
		p.cmd.Wait()
	}()
	return p
}

func (p *prober) stop() {
	p.stdin.Close()
	<-p.stopped
}

// probe is the probing process: it requests addr's /healthz every 20 ms
// from 127.0.0.2 until its standard input closes, printing each latency in
// microseconds (-1 for a failure).
func probe(addr string) {
	var done atomic.Bool
	go func() {
		io.Copy(io.Discard, os.Stdin)
		done.Store(true)
	}()
	hc := &fasthttp.HostClient{Addr: addr, MaxConns: 1, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, Dial: probeDialer}
	w := bufio.NewWriter(os.Stdout)
	for !done.Load() {
		t := time.Now()
		st, _, err := hc.GetTimeout(nil, "http://"+addr+"/healthz", 5*time.Second)
		us := time.Since(t).Microseconds()
		if err != nil || st != 200 {
			us = -1
		}
		fmt.Fprintln(w, us)
		w.Flush()
		time.Sleep(20 * time.Millisecond)
	}
}

// flood holds n connections to addr until the phase ends, each started by
// head and then fed one more piece every interval; a connection the
// server closes is opened again a second later. It returns how many were
// opened.
func flood(addr string, n int, head string, piece string, interval time.Duration, until time.Time) int64 {
	var opened atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: time.Second, LocalAddr: attackerAddr(i)}
			for time.Now().Before(until) {
				c, err := d.Dial("tcp", addr)
				if err != nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				opened.Add(1)
				c.SetDeadline(until)
				_, err = io.WriteString(c, head)
				for err == nil && time.Now().Before(until) {
					time.Sleep(interval)
					_, err = io.WriteString(c, piece)
				}
				c.Close()
				time.Sleep(time.Second) // a cut-off trickler tries again
			}
		}()
	}
	wg.Wait()
	return opened.Load()
}

// attackerAddr spreads the attack over 40 loopback source addresses
// (127.0.0.10–49), standing for distinct clients: the target stays
// 127.0.0.1, and the per-address limit does not hide the total one.
func attackerAddr(i int) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(10+i%40))}
}

// probeDialer connects the /healthz probe from 127.0.0.2, a client the
// attack's addresses do not crowd out.
func probeDialer(addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	return d.Dial("tcp", addr)
}

// floods runs the big-body and slow-header attacks against blog.
func (s *soak) floods() (bigOpened, slowOpened int64) {
	addr := s.addrs["blog"]
	s.stats.enter("big-body flood (1,500 connections trickling 1 MiB bodies)", 503)
	half := s.dur(15)
	var wg sync.WaitGroup
	var a, b int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		a = flood(addr, 750, "POST /internal/actions/save-menu-node HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Internal-Timestamp: 1\r\nX-Internal-Nonce: 00000000000000000000000000000000\r\nX-Internal-Content-SHA256: 00\r\nX-Internal-Signature: forged\r\nContent-Length: 1048576\r\n\r\n{",
			strings.Repeat(" ", 1024), 200*time.Millisecond, time.Now().Add(half))
	}()
	go func() {
		defer wg.Done()
		b = flood(addr, 750, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1048576\r\n\r\na=",
			strings.Repeat("b", 1024), 200*time.Millisecond, time.Now().Add(half))
	}()
	wg.Wait()
	s.stats.enter("slow-header flood (3,000 connections sending a header line a second)", 503)
	slow := flood(addr, 3000, "GET / HTTP/1.1\r\nHost: x\r\n", "X-Slow: y\r\n", time.Second, time.Now().Add(half))
	return a + b, slow
}

// writeLoad is the read/write load on cart: each writer adds a product to
// a cart of its own session; every 200 answer is an acknowledged write.
type writeLoad struct {
	s       *soak
	product int64
	seq     atomic.Int64
	mu      sync.Mutex
	acked   []string
	stop    atomic.Bool
	wg      sync.WaitGroup
}

func (s *soak) startLoad(product int64) *writeLoad {
	l := &writeLoad{s: s, product: product}
	for i := 0; i < 6; i++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for !l.stop.Load() {
				session := fmt.Sprintf("soak-%d", l.seq.Add(1))
				body, _ := json.Marshal(map[string]any{"session-id": session, "product-id": l.product, "quantity": 1})
				if st, _ := s.record("POST", "cart", "/internal/actions/add-to-cart", body, true); st == 200 {
					l.mu.Lock()
					l.acked = append(l.acked, session)
					l.mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < 3; i++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for !l.stop.Load() {
				session := fmt.Sprintf("soak-%d", l.seq.Load()/2+1)
				s.record("GET", "cart", "/internal/data/cart-items?session-id="+session, nil, true)
				s.record("GET", "market", fmt.Sprintf("/internal/data/product-by-id?id=%d", l.product), nil, true)
			}
		}()
	}
	return l
}

func (l *writeLoad) halt() {
	l.stop.Store(true)
	l.wg.Wait()
}

// lost returns how many acknowledged writes have no row.
func (s *soak) lost(ctx context.Context, acked []string) (int, error) {
	c, err := pgx.Connect(ctx, s.dbURL)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var found int
	err = c.QueryRow(ctx, "select count(distinct session_id) from cart_items where session_id = any($1)", acked).Scan(&found)
	return len(acked) - found, err
}

// aProduct is a priced, listed product of the seed.
func (s *soak) aProduct(ctx context.Context) (int64, error) {
	c, err := pgx.Connect(ctx, s.dbURL)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var id int64
	err = c.QueryRow(ctx, "select id from products where deleted_at is null and price is not null order by id limit 1").Scan(&id)
	return id, err
}

// sigterm stops sxhost under load and reports its exit and how long it took.
func (s *soak) sigterm() (string, time.Duration) {
	t := time.Now()
	s.proc.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.proc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return "exit: " + err.Error(), time.Since(t)
		}
		return "exit 0", time.Since(t)
	case <-time.After(40 * time.Second):
		s.proc.Process.Kill()
		<-done
		return "did not stop in 40 s (killed)", time.Since(t)
	}
}
