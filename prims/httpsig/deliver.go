package httpsig

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// Job is one signed POST of an activity to one inbox.
type Job struct {
	ID         int64
	Inbox      string
	Body       []byte
	KeyID      string
	PrivatePEM string
}

// Result is what became of a Job: the HTTP status (0 when none came) and
// an error text for anything but a 2xx.
type Result struct {
	ID     int64
	Status int
	Err    string
}

// Options bound a Deliver call.
type Options struct {
	// PerHost is the most requests in flight to one host (a remote server
	// is one host however many of its users follow us): 4 by default.
	PerHost int
	// Concurrency is the most requests in flight overall: 64 by default.
	Concurrency int
	// Timeout bounds each request: 15 s by default.
	Timeout time.Duration
	// UserAgent names the sender; remote servers log it.
	UserAgent string
	// Hosts, when set, also holds PerHost across processes (RedisSlots).
	Hosts HostSlots
}

// Deliver POSTs every job with client (the platform's outbound client,
// which refuses non-public addresses), signing each with its key, at most
// PerHost at a time to one host (across processes too with Hosts) and
// Concurrency overall, and returns one
// Result per job in the jobs' order. It returns when every job has an
// answer, a failure or ctx is done.
func Deliver(ctx context.Context, client *http.Client, jobs []Job, opt Options) []Result {
	if opt.PerHost <= 0 {
		opt.PerHost = 4
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 64
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 15 * time.Second
	}
	results := make([]Result, len(jobs))
	global := make(chan struct{}, opt.Concurrency)
	var mu sync.Mutex
	hosts := map[string]chan struct{}{}
	hostSem := func(h string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		s := hosts[h]
		if s == nil {
			s = make(chan struct{}, opt.PerHost)
			hosts[h] = s
		}
		return s
	}
	// Jobs go out host by host in turns, so a host with thousands of
	// inboxes does not hold every global slot while others wait: one
	// goroutine per host, each running at most PerHost requests.
	byHost := map[string][]int{}
	var order []string
	for i, j := range jobs {
		h := HostOf(j.Inbox)
		if _, seen := byHost[h]; !seen {
			order = append(order, h)
		}
		byHost[h] = append(byHost[h], i)
	}
	var wg sync.WaitGroup
	for _, h := range order {
		sem := hostSem(h)
		for _, i := range byHost[h] {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i].ID = jobs[i].ID
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					results[i].Err = ctx.Err().Error()
					return
				}
				defer func() { <-sem }()
				select {
				case global <- struct{}{}:
				case <-ctx.Done():
					results[i].Err = ctx.Err().Error()
					return
				}
				defer func() { <-global }()
				if opt.Hosts != nil {
					release, err := opt.Hosts.Acquire(ctx, HostOf(jobs[i].Inbox), opt.PerHost, opt.Timeout+5*time.Second)
					if err == nil {
						defer release()
					} else if ctx.Err() != nil {
						results[i].Err = ctx.Err().Error()
						return
					}
				}
				results[i].Status, results[i].Err = deliverOne(ctx, client, jobs[i], opt)
			}(i)
		}
	}
	wg.Wait()
	return results
}

// deliverOne signs and sends one job.
func deliverOne(ctx context.Context, client *http.Client, j Job, opt Options) (int, string) {
	if HostOf(j.Inbox) == "" {
		return 0, "the inbox is not an http(s) URL"
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", j.Inbox, bytes.NewReader(j.Body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", `application/activity+json`)
	req.Header.Set("Accept", "application/activity+json, application/ld+json")
	if opt.UserAgent != "" {
		req.Header.Set("User-Agent", opt.UserAgent)
	}
	signers <- struct{}{}
	err = Sign(req, j.Body, j.PrivatePEM, j.KeyID, time.Now())
	<-signers
	if err != nil {
		return 0, "signing: " + err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, resp.Status + ": " + trimBody(body)
}
