package services_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
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
	var got, bad atomic.Int64
	inFlight := make([]atomic.Int32, hosts)
	maxFlight := make([]atomic.Int32, hosts)
	var farm []string
	for i := 0; i < hosts; i++ {
		i := i
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight[i].Add(1)
			defer inFlight[i].Add(-1)
			for m := maxFlight[i].Load(); n > m && !maxFlight[i].CompareAndSwap(m, n); m = maxFlight[i].Load() {
			}
			body, _ := io.ReadAll(r.Body)
			if err := httpsig.Verify(httpsig.Request{Method: r.Method, Target: r.URL.RequestURI(), Host: r.Host, Header: r.Header, Body: body}, pub, time.Now(), httpsig.DefaultSkew); err != nil {
				bad.Add(1)
				http.Error(w, err.Error(), 401)
				return
			}
			got.Add(1)
			w.WriteHeader(202)
		}))
		t.Cleanup(srv.Close)
		farm = append(farm, srv.URL)
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
	for got.Load()+bad.Load() < inboxes && time.Since(start) < 5*time.Minute {
		p.Service("blog").ProcessActivities(ctx)
		p.Service("federation").ProcessActivities(ctx)
		if _, err := p.Service("federation").RunJob(ctx, "ap-deliver"); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	close(stop)
	worst := <-during
	most := int32(0)
	for i := range maxFlight {
		most = max(most, maxFlight[i].Load())
	}
	t.Logf("one post to %d inboxes on %d hosts through the pipeline: %v (%.0f/s); delivered %d, refused %d; most in flight on one host %d (limit 4); blog home p99 %v before, worst p99 of 100 during %v",
		inboxes, hosts, elapsed.Round(time.Millisecond), float64(got.Load())/elapsed.Seconds(), got.Load(), bad.Load(), most,
		before.Round(time.Microsecond), worst.Round(time.Microsecond))
	if got.Load() != inboxes || bad.Load() != 0 || most > 4 {
		t.Fatal(fmt.Sprintf("delivered %d, refused %d, most in flight %d", got.Load(), bad.Load(), most))
	}
}
