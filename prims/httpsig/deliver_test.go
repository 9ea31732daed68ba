package httpsig

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Two deliveries at once in one process (two runs of a delivery job) share
// the per-host limit: a host never sees more than PerHost in flight.
func TestDeliverPerHostLimitIsPerProcess(t *testing.T) {
	a, _ := keys(t)
	f := newFarm(t, 3, a.pub, 20*time.Millisecond)
	defer f.close()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range Deliver(context.Background(), http.DefaultClient, f.jobs(30, a.priv), Options{PerHost: 2}) {
				if r.Status != 202 {
					t.Errorf("job %d: %d %s", r.ID, r.Status, r.Err)
				}
			}
		}()
	}
	wg.Wait()
	if f.got.Load() != 60 {
		t.Fatalf("delivered %d of 60", f.got.Load())
	}
	for i := range f.max {
		if m := f.max[i].Load(); m > 2 {
			t.Fatalf("host %d had %d requests in flight from two deliveries, limit 2 per process", i, m)
		}
	}
}

// holdingInbox answers 202 to each request once release is closed (or
// the request ends), telling held about each request it holds.
func holdingInbox(t *testing.T) (srv *httptest.Server, held chan string, release chan struct{}) {
	held, release = make(chan string, 16), make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held <- r.URL.Path
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(202)
	}))
	t.Cleanup(srv.Close)
	return srv, held, release
}

func next(t *testing.T, c <-chan Result, what string) Result {
	t.Helper()
	select {
	case r, ok := <-c:
		if !ok {
			t.Fatalf("%s: the stream ended", what)
		}
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no result in 10 s", what)
	}
	return Result{}
}

// DeliverStream hands each result over as its job ends: a fast inbox's
// result comes while a slow one still holds its request; with startBy, jobs
// whose host's slots stayed taken come back unsent.
func TestDeliverStream(t *testing.T) {
	a, _ := keys(t)
	fast := newFarm(t, 1, a.pub, 0)
	defer fast.close()
	slow, held, release := holdingInbox(t)
	jobs := append(fast.jobs(1, a.priv), Job{ID: 100, Inbox: slow.URL + "/slow/inbox", Body: []byte("{}"), KeyID: "k", PrivatePEM: a.priv})
	stream := DeliverStream(context.Background(), http.DefaultClient, jobs, Options{}, time.Time{})
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow inbox got no request")
	}
	if r := next(t, stream, "the fast inbox"); r.ID != 0 || r.Status != 202 || !r.Sent {
		t.Fatalf("first result while the slow inbox holds its request: %+v", r)
	}
	close(release)
	if r := next(t, stream, "the slow inbox"); r.ID != 100 || r.Status != 202 || !r.Sent {
		t.Fatalf("the slow inbox: %+v", r)
	}
	select {
	case _, ok := <-stream:
		if ok {
			t.Fatal("a third result for two jobs")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream was not closed after the last result")
	}

	// One slot per host, held: the two jobs queued behind it are not
	// started by startBy and come back unsent; the held one is sent.
	one, held1, release1 := holdingInbox(t)
	var queue []Job
	for i := range 3 {
		queue = append(queue, Job{ID: int64(i), Inbox: one.URL + "/inbox", Body: []byte("{}"), KeyID: "k", PrivatePEM: a.priv})
	}
	stream = DeliverStream(context.Background(), http.DefaultClient, queue, Options{PerHost: 1}, time.Now().Add(300*time.Millisecond))
	select {
	case <-held1:
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the host")
	}
	for range 2 {
		if r := next(t, stream, "a job not started in time"); r.Sent || !strings.Contains(r.Err, "not started in time") {
			t.Fatalf("a job queued past startBy: %+v", r)
		}
	}
	close(release1)
	if r := next(t, stream, "the held job"); !r.Sent || r.Status != 202 {
		t.Fatalf("the job that held the slot: %+v", r)
	}
	select {
	case <-held1:
		t.Fatal("a job was sent after startBy")
	default:
	}
}
