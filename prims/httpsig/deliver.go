package httpsig

import (
	"bytes"
	"context"
	"fmt"
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
	// Ref is the caller's, handed back in the job's Result.
	Ref any
}

// Result is what became of a Job: the HTTP status (0 when none came) and
// an error text for anything but a 2xx.
type Result struct {
	ID     int64
	Status int
	Err    string
	// Sent says the request was made (signed and sent, whatever came of
	// it); DeliverStream returns jobs it could not start unsent.
	Sent bool
	Ref  any
}

// Options bound a Deliver call.
type Options struct {
	// PerHost is the most requests in flight to one host (a remote server
	// is one host however many of its users follow us) from this process,
	// however many deliveries run in it: 4 by default.
	PerHost int
	// Concurrency is the most requests in flight overall: 64 by default.
	Concurrency int
	// Timeout bounds each request: 15 s by default.
	Timeout time.Duration
	// UserAgent names the sender; remote servers log it.
	UserAgent string
	// Hosts, when set, also holds PerHost across processes (RedisSlots).
	Hosts HostSlots
	// Yield, when set, is asked before each signature: the host's gate
	// that makes delivery give way to the pages the process serves.
	Yield Gate
	// local, when set, replaces the process's per-host slots (tests that
	// play two processes in one).
	local *localSlots
}

// Gate lets background work give way to foreground work in the same
// process.
type Gate interface {
	// Wait returns when one CPU-heavy step may run: at once when nothing
	// is in the foreground, else when it ends or after a bounded wait (so
	// background work always progresses), or with ctx's error.
	Wait(ctx context.Context) error
}

// Deliver POSTs every job with client (the platform's outbound client,
// which refuses non-public addresses), signing each with its key, at most
// PerHost at a time to one host (in this process, and across processes
// with Hosts) and Concurrency overall, and returns one Result per job in
// the jobs' order. It returns when every job has an answer, a failure or
// ctx is done.
func Deliver(ctx context.Context, client *http.Client, jobs []Job, opt Options) []Result {
	results := make([]Result, len(jobs))
	newSender(client, opt).run(ctx, jobs, time.Time{}, func(i int, r Result) { results[i] = r })
	return results
}

// DeliverStream delivers jobs as Deliver does and sends each job's Result
// on the channel it returns as soon as that job ends, closing it after the
// last: a caller records each result while the others are in flight. With
// startBy set, a job that has not started by then (its host's slots stayed
// taken) is not sent: its Result has Sent false, so whoever claimed it can
// release it before the claim runs out. The channel holds every result
// unread, so an abandoned stream does not block its senders.
func DeliverStream(ctx context.Context, client *http.Client, jobs []Job, opt Options, startBy time.Time) <-chan Result {
	out := make(chan Result, len(jobs))
	go func() {
		defer close(out)
		newSender(client, opt).run(ctx, jobs, startBy, func(_ int, r Result) { out <- r })
	}()
	return out
}

// sender holds the limits of one Deliver or DeliverStream call; the
// per-host slots in this process are shared by every call (hostSlots).
type sender struct {
	client *http.Client
	opt    Options
	global chan struct{}
}

func newSender(client *http.Client, opt Options) *sender {
	if opt.PerHost <= 0 {
		opt.PerHost = 4
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 64
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 15 * time.Second
	}
	return &sender{client: client, opt: opt, global: make(chan struct{}, opt.Concurrency)}
}

// run sends every job, host by host in turns so that a host with
// thousands of inboxes does not hold every global slot while others wait
// (one goroutine per job, each queued on its host's slots), calling done
// with each job's index and Result as it ends; it returns after the last.
func (s *sender) run(ctx context.Context, jobs []Job, startBy time.Time, done func(int, Result)) {
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
		for _, i := range byHost[h] {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				done(i, s.send(ctx, jobs[i], startBy))
			}(i)
		}
	}
	wg.Wait()
}

// localSlots are per-host limits in one process, shared by every delivery
// in it (several runs of a delivery job at once still send at most PerHost
// to a host), each host's dropped when its last user is done.
type localSlots struct {
	mu sync.Mutex
	m  map[string]*hostSlot
}

// processSlots are this process's.
var processSlots = &localSlots{m: map[string]*hostSlot{}}

type hostSlot struct {
	c     chan struct{}
	users int
}

// take returns host's slots for a limit of n, and a function to call when
// done with them.
func (l *localSlots) take(host string, n int) (chan struct{}, func()) {
	key := fmt.Sprintf("%d %s", n, host)
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.m[key]
	if h == nil {
		h = &hostSlot{c: make(chan struct{}, n)}
		l.m[key] = h
	}
	h.users++
	return h.c, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if h.users--; h.users == 0 {
			delete(l.m, key)
		}
	}
}

// send waits for a slot of the job's host (in process and, with Hosts,
// across processes) and a global one, then signs and sends the job. With
// startBy set, a job still waiting then is not sent (Result.Sent false):
// its sender's claim on it would run out before the request could end.
func (s *sender) send(ctx context.Context, j Job, startBy time.Time) Result {
	r := Result{ID: j.ID, Ref: j.Ref}
	wait := ctx
	if !startBy.IsZero() {
		var cancel context.CancelFunc
		wait, cancel = context.WithDeadline(ctx, startBy)
		defer cancel()
	}
	notStarted := func() Result {
		if ctx.Err() != nil {
			r.Err = ctx.Err().Error()
		} else {
			r.Err = "not started in time: the host's slots stayed taken"
		}
		return r
	}
	local := s.opt.local
	if local == nil {
		local = processSlots
	}
	sem, leave := local.take(HostOf(j.Inbox), s.opt.PerHost)
	defer leave()
	select {
	case sem <- struct{}{}:
	case <-wait.Done():
		return notStarted()
	}
	defer func() { <-sem }()
	select {
	case s.global <- struct{}{}:
	case <-wait.Done():
		return notStarted()
	}
	defer func() { <-s.global }()
	if s.opt.Hosts != nil {
		release, err := s.opt.Hosts.Acquire(wait, HostOf(j.Inbox), s.opt.PerHost, s.opt.Timeout+5*time.Second)
		if err == nil {
			defer release()
		} else if wait.Err() != nil {
			return notStarted()
		}
	}
	r.Sent = true
	r.Status, r.Err = deliverOne(ctx, s.client, j, s.opt)
	return r
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
	if err := signDelivery(ctx, opt.Yield, req, j.Body, j.PrivatePEM, j.KeyID); err != nil {
		return 0, err.Error()
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
