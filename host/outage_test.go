package host_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// cutProxy forwards TCP connections to a target until the test cuts it:
// then every open connection is closed and new ones are closed as soon as
// they are accepted, until it is restored.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	p := &cutProxy{ln: listen(t), target: target, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(func() {
		p.ln.Close()
		p.Cut()
	})
	return p
}

func (p *cutProxy) Addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// track registers conns unless the proxy is cut, in which case it closes
// them and reports false.
func (p *cutProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *cutProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *cutProxy) forward(client net.Conn) {
	if !p.track(client) {
		return
	}
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		p.untrack(client)
		return
	}
	if !p.track(server) {
		p.untrack(client)
		return
	}
	var once sync.Once
	done := func() { once.Do(func() { p.untrack(client, server) }) }
	go func() { io.Copy(server, client); done() }()
	io.Copy(client, server)
	done()
}

// Cut closes every connection and refuses new ones.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Restore accepts connections again.
func (p *cutProxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	table := uniqueName("outage")
	execSQL(t, "create table "+table+" (id text primary key)")
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.Addr()
	src := fmt.Sprintf(`
(defservice outage)
(defaction put (&key (id :str))
  (sql/exec "insert into %[1]s (id) values ($1)" id)
  {:id id})
(defpage tally :path "/tally" :content (div (sql/value "select count(*) from %[1]s")))
`, table)
	s, _, _ := startService(t, src, host.Options{DB: openPool(t, u.String()), RequestTimeout: 3 * time.Second})
	wantStatus(t, get(t, s.URL+"/readyz"), 200, "readyz before the outage")

	// Clients insert rows with ids of their own until told to stop.
	type outcome struct {
		id     string
		status int
		err    error
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		acked    atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("%s-%d", uniqueName("w"), i)
				r, err := tryDo("POST", s.URL+"/internal/actions/put", []byte(`{"id":"`+id+`"}`), "Content-Type", "application/json")
				mu.Lock()
				outcomes = append(outcomes, outcome{id, r.Status, err})
				mu.Unlock()
				if err == nil && r.Status == 200 {
					acked.Add(1)
				}
			}
		}()
	}
	stopClients := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopClients)

	// The write bounds are liveness checks, not timings: generous, since a
	// loaded machine (CI shares its cores) may take seconds for 20 writes.
	eventually(t, 20*time.Second, "writes before the outage", func() bool { return acked.Load() >= 20 })

	proxy.Cut()
	cutAt := time.Now()
	// Fresh requests during the outage: not ready, pages and actions fail
	// with 503 (or 500), quickly.
	eventually(t, 2*time.Second, "/readyz to report the outage", func() bool {
		return get(t, s.URL+"/readyz").Status == 503
	})
	r, d := timed(t, s.URL+"/tally")
	if r.Status != 503 && r.Status != 500 {
		t.Errorf("a page during the outage: %s, want 503 or 500", r)
	}
	if d > time.Second {
		t.Errorf("a page during the outage took %v", d)
	}
	r = postJSON(t, s.URL+"/internal/actions/put", `{"id":"during-the-outage"}`)
	if r.Status != 503 && r.Status != 500 {
		t.Errorf("an action during the outage: %s, want 503 or 500", r)
	}
	if r.Status == 503 {
		wantJSONError(t, r, 503, "an action during the outage")
	}
	wantStatus(t, get(t, s.URL+"/healthz"), 200, "healthz during the outage")
	time.Sleep(time.Until(cutAt.Add(time.Second))) // the outage lasts a second

	proxy.Restore()
	restoredAt := time.Now()
	eventually(t, 5*time.Second, "/readyz to recover without a restart", func() bool {
		return get(t, s.URL+"/readyz").Status == 200
	})
	t.Logf("ready again %v after the restore", time.Since(restoredAt))
	before := acked.Load()
	eventually(t, 20*time.Second, "writes after the outage", func() bool { return acked.Load() >= before+20 })
	wantStatus(t, get(t, s.URL+"/tally"), 200, "a page after the outage")
	stopClients()

	// Every acknowledged write is in the database.
	statuses := map[int]int{}
	var ackedIDs []string
	for _, o := range outcomes {
		if o.err != nil {
			t.Errorf("a client got no answer: %v", o.err)
			continue
		}
		statuses[o.status]++
		switch o.status {
		case 200:
			ackedIDs = append(ackedIDs, o.id)
		case 500, 503:
		default:
			t.Errorf("an action answered %d", o.status)
		}
	}
	t.Logf("statuses: %v", statuses)
	var present int
	check := directConn(t)
	if err := check.QueryRow(context.Background(), "select count(*) from "+table+" where id = any($1)", ackedIDs).Scan(&present); err != nil {
		t.Fatal(err)
	}
	if present != len(ackedIDs) {
		t.Errorf("%d writes acknowledged with 200, only %d in the database", len(ackedIDs), present)
	}
	if n := countRows(t, check, table, "id = 'during-the-outage'"); n != 0 {
		t.Errorf("the action refused during the outage wrote a row")
	}
}
