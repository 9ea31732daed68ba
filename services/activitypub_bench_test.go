package services_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	osexec "os/exec"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/prims/httpsig"
)

// TestAPBenchDelivery10k: one published post to 10,000 follower inboxes on
// 100 hosts (a farm on 127.0.0.1 verifying every signature) through the
// whole pipeline — blog's activity, federation's fan-out, the ap-deliver
// job — with the blog's home page p99 measured before and during it. Runs
// only with SX_AP_BENCH=1 (docs/benchmarks.md).
func TestAPBenchDelivery10k(t *testing.T) {
	if os.Getenv("SX_AP_BENCH") == "" {
		t.Skip("set SX_AP_BENCH=1 to run the delivery figure")
	}
	p, urls := apPlatform(t, loopback)
	blog, fed := urls["blog"], urls["federation"]
	wantStatus(t, fedAction(t, fed, "ap-ensure-site-actor", map[string]any{}), 200)
	site := scalar[int](t, "select id from ap_actor_profiles where is_site")
	pub := scalar[string](t, "select public_key_pem from ap_actor_profiles where is_site")
	const hosts, inboxes = 100, 10000
	var farm []string
	var stats func() farmStats
	if os.Getenv("SX_AP_BENCH_FARM") == "process" {
		farm, stats = farmProcess(t, pub, hosts)
	} else {
		f := startFarm(pub, hosts)
		t.Cleanup(f.close)
		farm, stats = f.urls, f.stats
	}
	exec(t, "delete from ap_followers where actor_profile_id = $1 and app_domain = 'blog'", site)
	exec(t, `insert into ap_followers (actor_profile_id, app_domain, follower_actor_uri, follower_inbox, accepted_at)
		select $1, 'blog', f.u || '/users/u' || g, f.u || '/users/u' || g || '/inbox', now()
		  from generate_series(0, $3 - 1) g join unnest($2::text[]) with ordinality f(u, n) on f.n - 1 = g % cardinality($2::text[])`,
		site, farm, inboxes)
	defer exec(t, "delete from ap_followers where actor_profile_id = $1 and app_domain = 'blog'", site)

	p99 := func(n int) time.Duration {
		var ds []time.Duration
		for i := 0; i < n; i++ {
			start := time.Now()
			resp, err := http.Get(blog + "/")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			ds = append(ds, time.Since(start))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)*99/100]
	}
	before := p99(200)

	postID := scalar[int](t, `insert into posts (slug, title, status, html, published_at, visibility)
		values ($1, 'Bench', 'published', '<p>x</p>', now() - interval '1 minute', 'public') returning id`, uniq(t))
	start := time.Now()
	wantStatus(t, action(t, blog, "federate-post", map[string]any{"post-id": postID}), 200)
	during := make(chan time.Duration)
	stop := make(chan struct{})
	go func() {
		var worst time.Duration
		for {
			select {
			case <-stop:
				during <- worst
				return
			default:
			}
			if d := p99(100); d > worst {
				worst = d
			}
		}
	}()
	ctx := context.Background()
	for st := stats(); st.Got+st.Bad < inboxes && time.Since(start) < 5*time.Minute; st = stats() {
		p.Service("blog").ProcessActivities(ctx)
		p.Service("federation").ProcessActivities(ctx)
		if _, err := p.Service("federation").RunJob(ctx, "ap-deliver"); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	close(stop)
	worst := <-during
	st := stats()
	t.Logf("one post to %d inboxes on %d hosts through the pipeline (farm: %s): %v (%.0f/s); delivered %d, refused %d; most in flight on one host %d (limit 4); blog home p99 %v before, worst p99 of 100 during %v",
		inboxes, hosts, map[bool]string{true: "another process", false: "in process"}[os.Getenv("SX_AP_BENCH_FARM") == "process"],
		elapsed.Round(time.Millisecond), float64(st.Got)/elapsed.Seconds(), st.Got, st.Bad, st.Most,
		before.Round(time.Microsecond), worst.Round(time.Microsecond))
	if st.Got != inboxes || st.Bad != 0 || st.Most > 4 {
		t.Fatal(fmt.Sprintf("delivered %d, refused %d, most in flight %d", st.Got, st.Bad, st.Most))
	}
}

// farmStats is what the inbox farm saw.
type farmStats struct{ Got, Bad, Most int64 }

// benchFarm is hosts inbox servers verifying every signature with pub.
type benchFarm struct {
	urls              []string
	servers           []*httptest.Server
	got, bad          atomic.Int64
	inFlight, maxSeen []atomic.Int32
}

func startFarm(pub string, hosts int) *benchFarm {
	f := &benchFarm{inFlight: make([]atomic.Int32, hosts), maxSeen: make([]atomic.Int32, hosts)}
	for i := 0; i < hosts; i++ {
		i := i
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := f.inFlight[i].Add(1)
			defer f.inFlight[i].Add(-1)
			for m := f.maxSeen[i].Load(); n > m && !f.maxSeen[i].CompareAndSwap(m, n); m = f.maxSeen[i].Load() {
			}
			body, _ := io.ReadAll(r.Body)
			if err := httpsig.Verify(httpsig.Request{Method: r.Method, Target: r.URL.RequestURI(), Host: r.Host, Header: r.Header, Body: body}, pub, time.Now(), httpsig.DefaultSkew); err != nil {
				f.bad.Add(1)
				http.Error(w, err.Error(), 401)
				return
			}
			f.got.Add(1)
			w.WriteHeader(202)
		}))
		f.servers = append(f.servers, srv)
		f.urls = append(f.urls, srv.URL)
	}
	return f
}

func (f *benchFarm) stats() farmStats {
	s := farmStats{Got: f.got.Load(), Bad: f.bad.Load()}
	for i := range f.maxSeen {
		s.Most = max(s.Most, int64(f.maxSeen[i].Load()))
	}
	return s
}

func (f *benchFarm) close() {
	for _, s := range f.servers {
		s.Close()
	}
}

// farmProcess runs the farm in another process (this test binary, running
// TestAPBenchFarmProcess), so that its verifications do not share the
// scheduler with the pages measured: the figure is about sxhost. It
// answers its stats at the URL it prints.
func farmProcess(t *testing.T, pub string, hosts int) ([]string, func() farmStats) {
	cmd := osexec.Command(os.Args[0], "-test.run=^TestAPBenchFarmProcess$")
	cmd.Env = append(os.Environ(), "SX_AP_FARM_PUB="+pub, fmt.Sprintf("SX_AP_FARM_HOSTS=%d", hosts))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "FARM "); ok {
			urls := strings.Fields(rest)
			statsURL := urls[0]
			return urls[1:], func() farmStats {
				var s farmStats
				resp, err := http.Get(statsURL)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				json.NewDecoder(resp.Body).Decode(&s)
				return s
			}
		}
	}
	t.Fatal("the farm process printed no FARM line")
	return nil, nil
}

// TestAPBenchFarmProcess is the farm's process for farmProcess: it prints
// "FARM <stats URL> <inbox host URLs…>" and serves until stdin closes.
func TestAPBenchFarmProcess(t *testing.T) {
	pub := os.Getenv("SX_AP_FARM_PUB")
	if pub == "" {
		t.Skip("the farm process of TestAPBenchDelivery10k (SX_AP_BENCH_FARM=process)")
	}
	n, _ := strconv.Atoi(os.Getenv("SX_AP_FARM_HOSTS"))
	f := startFarm(pub, n)
	defer f.close()
	st := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(f.stats())
	}))
	defer st.Close()
	fmt.Println("FARM " + st.URL + " " + strings.Join(f.urls, " "))
	io.Copy(io.Discard, os.Stdin)
}
