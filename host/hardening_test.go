package host_test

// Regression tests for the hardening review (issue 9): each fails on the
// code before its fix.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/host"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

// rawRequest sends request bytes as they are (a client library would
// refuse or normalise them) and returns the answer.
func rawRequest(t *testing.T, base, request string) response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", request, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&b)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b.String()}
}

const pathParamService = `
(defservice paths)
(defpage tag :path "/t/<name>" :content (span :id "name" name))
(defroute echo :path "/r/<name>" (&key name) name)
(defroute hook :path "/h/<name>" :method :post :csrf false (&key name) name)
`

// Finding 10: the path's parameters win over the query string and are
// percent-decoded exactly once.
func TestPathParametersWinAndAreDecodedOnce(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, pathParamService, host.Options{})
	r := get(t, s.URL+"/t/x?name=1")
	wantStatus(t, r, 200, "page with a query parameter of the same name")
	if !strings.Contains(r.Body, `<span id="name">x</span>`) {
		t.Errorf("the query string overrode the path: %s", r.Body)
	}
	if r := get(t, s.URL+"/r/x?name=1"); r.Body != "x" {
		t.Errorf("route: the query string overrode the path: %s", r)
	}
	if r := postJSON(t, s.URL+"/h/x", `{"name":"1"}`); r.Body != "x" {
		t.Errorf("route: the JSON body overrode the path: %s", r)
	}
	for path, want := range map[string]string{
		"/r/a%20b":      "a b",
		"/r/caf%C3%A9":  "café",
		"/r/100%2541":   "100%41", // decoded once, not twice
		"/r/a%2Fb":      "a/b",
		"/r/plain-word": "plain-word",
	} {
		if r := get(t, s.URL+path); r.Status != 200 || r.Body != want {
			t.Errorf("GET %s = %s, want %q", path, r, want)
		}
	}
	r = rawRequest(t, s.URL, "GET /r/a%zzb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if r.Status != 400 || !strings.Contains(r.Body, "name") || !strings.Contains(r.Body, "percent-encoding") {
		t.Errorf("a malformed escape: %s, want a 400 naming the parameter", r)
	}
}

const fetchService = `
(defservice fetcher)
(defaction fetch (&key (url :str) (follow :bool false) (method :str "POST"))
  "Calls url with credentials and a body."
  (let ((r (http/request method url {:headers {"Authorization" "Bearer s3cret" "X-Api-Key" "k3y" "Accept" "text/plain"}
                                      :body "payload" :follow-redirects follow})))
    {:status (get r :status) :body (get r :body) :location (get (get r :headers) "location")}))
`

// seenRequest is what a fake API saw of one request.
type seenRequest struct{ path, method, auth, apiKey, accept, body string }

// recordingAPI is a fake API on 127.0.0.1 that records what it is sent and
// counts connections; handle answers.
func recordingAPI(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, func() []seenRequest, *atomic.Int64) {
	t.Helper()
	var mu sync.Mutex
	var seen []seenRequest
	conns := &atomic.Int64{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, seenRequest{r.URL.Path, r.Method, r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), r.Header.Get("Accept"), string(b)})
		mu.Unlock()
		handle(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenRequest(nil), seen...)
	}, conns
}

// Finding 9: http/request follows no redirect unless asked, then only
// within the origin and without credentials.
func TestOutboundRedirects(t *testing.T) {
	t.Parallel()
	other, otherSeen, _ := recordingAPI(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "elsewhere") })
	api, apiSeen, _ := recordingAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/stolen", http.StatusTemporaryRedirect)
		case "/near":
			http.Redirect(w, r, "/landing", http.StatusTemporaryRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			io.WriteString(w, "landed")
		}
	})
	s, _, _ := startService(t, fetchService, host.Options{Dev: true, OutboundAllow: allowLoopback})
	fetch := func(url string, follow bool) map[string]any {
		t.Helper()
		r := postJSON(t, s.URL+"/internal/actions/fetch", fmt.Sprintf(`{"url":%q,"follow":%v}`, url, follow))
		wantStatus(t, r, 200, "fetch "+url)
		return r.Object(t)
	}

	// By default the redirect is the answer, whatever its target.
	for _, path := range []string{"/away", "/near"} {
		if m := fetch(api.URL+path, false); m["status"] != json.Number("307") || m["location"] == nil {
			t.Errorf("%s without :follow-redirects: %v, want the 307 itself", path, m)
		}
	}
	// Opted in, a redirect to another origin is still not followed.
	if m := fetch(api.URL+"/away", true); m["status"] != json.Number("307") {
		t.Errorf("a cross-origin redirect: %v, want the 307 itself", m)
	}
	if seen := otherSeen(); len(seen) != 0 {
		t.Errorf("the other origin was reached: %+v", seen)
	}
	// Within the origin it is followed, without the credentials.
	m := fetch(api.URL+"/near", true)
	if m["status"] != json.Number("200") || m["body"] != "landed" {
		t.Errorf("a same-origin redirect opted in: %v, want the landing page", m)
	}
	var landing *seenRequest
	for _, r := range apiSeen() {
		if r.path == "/landing" {
			landing = &r
		}
	}
	if landing == nil {
		t.Fatalf("the landing page was not requested: %+v", apiSeen())
	}
	if landing.auth != "" || landing.apiKey != "" || landing.accept != "text/plain" || landing.method != "POST" {
		t.Errorf("the followed request carried %+v: credentials must be dropped, Accept kept", *landing)
	}
	// A redirect loop ends with the redirect as the answer.
	if m := fetch(api.URL+"/loop", true); m["status"] != json.Number("302") {
		t.Errorf("a redirect loop: %v, want the 302", m)
	}
}

// Finding 9: addresses that are not public are refused at connect time,
// after name resolution, unless the configuration allows them.
func TestOutboundRefusesNonPublicAddresses(t *testing.T) {
	t.Parallel()
	api, _, conns := recordingAPI(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "reached") })
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(api.URL, "http://"))
	logger, log := newLogger()
	s, _, _ := startService(t, fetchService, host.Options{Dev: true, Logger: logger})
	for url, kind := range map[string]string{
		api.URL + "/x":                             "loopback",
		"http://localhost:" + port + "/x":          "loopback", // a name is checked by what it resolves to
		"http://[::ffff:127.0.0.1]:" + port + "/x": "loopback",
		"http://[::1]:" + port + "/x":              "loopback",
		"http://10.1.2.3:9/x":                      "private",
		"http://192.168.0.1:9/x":                   "private",
		"http://169.254.169.254/latest/meta-data":  "link-local",
		"http://0.0.0.0:" + port + "/x":            "unspecified",
		"http://100.64.0.1:9/x":                    "carrier-grade NAT",
	} {
		r := postJSON(t, s.URL+"/internal/actions/fetch", fmt.Sprintf(`{"url":%q}`, url))
		wantJSONError(t, r, 502, "fetch "+url, kind, "SX_OUTBOUND_ALLOW")
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the loopback API saw %d connections, want none", n)
	}
	if strings.Contains(log.String(), "s3cret") {
		t.Errorf("a credential reached the log")
	}
	// Allowed by configuration, the same API answers.
	allowed, _, _ := startService(t, fetchService, host.Options{OutboundAllow: allowLoopback})
	r := postJSON(t, allowed.URL+"/internal/actions/fetch", fmt.Sprintf(`{"url":%q}`, api.URL+"/x"))
	if wantStatus(t, r, 200, "an allowed address"); r.Object(t)["body"] != "reached" {
		t.Errorf("an allowed address: %s", r)
	}
}

func TestParseOutboundAllow(t *testing.T) {
	got, err := host.ParseOutboundAllow("127.0.0.1/32, ::1 10.0.0.0/8")
	if err != nil || len(got) != 3 || got[1].String() != "::1/128" {
		t.Errorf("ParseOutboundAllow = %v, %v", got, err)
	}
	if _, err := host.ParseOutboundAllow("localhost"); err == nil || !strings.Contains(err.Error(), "SX_OUTBOUND_ALLOW") {
		t.Errorf("a name: %v, want an error naming the variable", err)
	}
}

const dbFailService = `
(defservice dbfail)
(defaction slow (&key (marker :str))
  "Sleeps in the database."
  (sql/value (str "select pg_sleep(10)::text /* " marker " */")))
(defquery one ()
  "A trivial statement."
  (sql/value "select 1"))
`

// Finding 7: a server terminating the connection (SQLSTATE 57P01, what a
// restart or a failover does to every session) is a 503, not a 500.
func TestDatabaseTerminatedIs503(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, dbFailService, host.Options{DB: openPool(t, dbURL)})
	marker := uniqueName("terminate")
	answer := make(chan response, 1)
	go func() {
		r, err := tryDo("POST", s.URL+"/internal/actions/slow", []byte(`{"marker":"`+marker+`"}`), "Content-Type", "application/json")
		if err != nil {
			r = response{Status: -1, Body: err.Error()}
		}
		answer <- r
	}()
	c := directConn(t)
	waitForBackend(t, c, marker)
	if _, err := c.Exec(context.Background(), `select pg_terminate_backend(pid) from pg_stat_activity
		where datname = current_database() and pid <> pg_backend_pid() and position($1 in query) > 0`, marker); err != nil {
		t.Fatal(err)
	}
	r := <-answer
	wantJSONError(t, r, 503, "an action whose session was terminated", "database")
}

// fakePostgres is a server that answers every connection's start-up with
// a FATAL error of code, as PostgreSQL does while it starts up (57P03) or
// has too many clients (53300). It returns a database URL for it.
func fakePostgres(t *testing.T, code, message string) string {
	t.Helper()
	ln := listen(t)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				be := pgproto3.NewBackend(conn, conn)
				m, err := be.ReceiveStartupMessage()
				if _, ssl := m.(*pgproto3.SSLRequest); ssl && err == nil {
					conn.Write([]byte("N"))
					_, err = be.ReceiveStartupMessage()
				}
				if err != nil {
					return
				}
				be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: message})
				be.Flush()
			}()
		}
	}()
	return "postgres://postgres@" + ln.Addr().String() + "/x?sslmode=disable&connect_timeout=2"
}

// Finding 7: every "database unavailable" answer of the server is a 503,
// and an outage is logged once per few seconds, not once per request.
func TestDatabaseUnavailableClassesAre503AndLoggedOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ code, message string }{
		{"57P03", "the database system is starting up"},
		{"57P01", "terminating connection due to administrator command"},
		{"53300", "sorry, too many clients already"},
		{"08006", "connection failure"},
	} {
		logger, log := newLogger()
		s, _, _ := startService(t, dbFailService, host.Options{Logger: logger, DB: openPool(t, fakePostgres(t, c.code, c.message))})
		for i := 0; i < 20; i++ {
			wantJSONError(t, get(t, s.URL+"/internal/data/one"), 503, "a query while the server says "+c.code, "database")
		}
		var reports int
		for _, rec := range log.records(t) {
			if rec["level"] == "ERROR" {
				reports++
			}
		}
		if reports != 1 {
			t.Errorf("%s: %d error lines for 20 failed requests, want 1 (once per few seconds):\n%s", c.code, reports, log.String())
		}
	}
}

// Finding 5: the pool is sized for a web server unless configured.
func TestPoolSizeDefaultAndConfigured(t *testing.T) {
	t.Parallel()
	if got := openPool(t, dbURL).Config().MaxConns; got != sqlprims.DefaultMaxConns || got < 16 {
		t.Errorf("default pool size %d, want %d", got, sqlprims.DefaultMaxConns)
	}
	for in, want := range map[string]int32{"": 0, "50": 50, " 7 ": 7, "1000": 1000} {
		if got, err := sqlprims.ParsePoolMax(in); err != nil || got != want {
			t.Errorf("ParsePoolMax(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"0", "-3", "lots", "1001", "2.5"} {
		if _, err := sqlprims.ParsePoolMax(bad); err == nil || !strings.Contains(err.Error(), "DATABASE_POOL_MAX") {
			t.Errorf("ParsePoolMax(%q): %v, want an error naming DATABASE_POOL_MAX", bad, err)
		}
	}
}

// Finding 5: /readyz tells a busy pool (every connection lent out, the
// database fine) from a database that does not answer.
func TestReadinessTellsBusyPoolFromDatabaseDown(t *testing.T) {
	t.Parallel()
	pool, err := host.OpenDatabase(context.Background(), dbURL, sqlprims.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, _, _ := startService(t, dbFailService, host.Options{DB: pool})
	if r := get(t, s.URL+"/readyz"); r.Status != 200 || r.Body != "ready\n" {
		t.Fatalf("an idle pool: %s", r)
	}
	var held []*pgxpool.Conn
	for range 2 {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	r := get(t, s.URL+"/readyz")
	if r.Status != 200 || !strings.Contains(r.Body, "pool is busy (2 of 2") {
		t.Errorf("every connection lent out, the database fine: %s, want 200 saying the pool is busy", r)
	}
	for _, c := range held {
		c.Release()
	}
	if r := get(t, s.URL+"/readyz"); r.Status != 200 || r.Body != "ready\n" {
		t.Errorf("the pool free again: %s", r)
	}

	// A busy pool whose database does not answer is not ready.
	dead, err := host.OpenDatabase(context.Background(), fakePostgres(t, "57P03", "the database system is shutting down"), sqlprims.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	d, _, _ := startService(t, dbFailService, host.Options{DB: dead})
	wantJSONError(t, get(t, d.URL+"/readyz"), 503, "readyz, the database refusing", "database not reachable")
}

const headerService = `
(defservice headers)
(defpage home :path "/" :content
  (div (span :id "nonce" (csp-nonce))
       (script :nonce (csp-nonce) "window.__allowed = 1;")
       (script "window.__injected = 1;")))
(defpage secret :path "/admin" :auth :admin :content (p "no"))
(defroute snippet :path "/snippet" () (html (b "bold")))
(defquery data () "JSON." {:a 1})
(defroute framed :path "/framed" () (csp-frame-ancestors (list "http://provider.example:8080")) (html (p "framable")))
(defroute frames :path "/frames" () (csp-frame-src (list "https://a.example" "http://b.example:81")) (html (p "frames")))
(defroute badframes :path "/badframes" () (csp-frame-src (list "https://a.example; script-src *")) (html (p "no")))
`

// Finding 11: security headers on every HTML response, with a nonce-based
// script policy whose nonce the page can put on its script tags.
func TestSecurityHeadersOnHTML(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, headerService, host.Options{})
	nonceOf := func(r response) string {
		t.Helper()
		csp := r.Header.Get("Content-Security-Policy")
		i := strings.Index(csp, "'nonce-")
		if i < 0 {
			t.Fatalf("no script nonce in the policy %q", csp)
		}
		return csp[i+len("'nonce-") : i+strings.Index(csp[i+1:], "'")+1]
	}
	check := func(what string, r response) {
		t.Helper()
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: not HTML: %s", what, r)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
			"Referrer-Policy": "strict-origin-when-cross-origin"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", what, h, got, want)
			}
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "script-src 'self' 'nonce-", "object-src 'none'", "base-uri 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: the policy %q lacks %q", what, csp, want)
			}
		}
		for _, d := range strings.Split(csp, ";") {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src") && strings.Contains(d, "unsafe-") {
				t.Errorf("%s: the script policy %q allows inline or eval'd scripts", what, d)
			}
		}
	}
	page := get(t, s.URL+"/")
	check("a page", page)
	nonce := nonceOf(page)
	if !strings.Contains(page.Body, `<span id="nonce">`+nonce+`</span>`) || !strings.Contains(page.Body, `<script nonce="`+nonce+`">`) {
		t.Errorf("the page's (csp-nonce) is not the header's %q: %s", nonce, page.Body)
	}
	if again := nonceOf(get(t, s.URL+"/")); again == nonce || len(nonce) < 20 {
		t.Errorf("nonces %q and %q: want a fresh, long one per response", nonce, again)
	}
	check("an HTML error page", get(t, s.URL+"/admin"))
	check("an HTML route", get(t, s.URL+"/snippet"))
	data := get(t, s.URL+"/internal/data/data")
	if data.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("JSON without nosniff: %v", data.Header)
	}

	// Framing exceptions (front-channel logout): the origins a response
	// names, exactly, and nothing else loosened.
	framed := get(t, s.URL+"/framed")
	if csp := framed.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors http://provider.example:8080") ||
		strings.Contains(csp, "frame-src") || framed.Header.Get("X-Frame-Options") != "" {
		t.Errorf("a response framable by one origin: CSP %q, X-Frame-Options %q", csp, framed.Header.Get("X-Frame-Options"))
	}
	frames := get(t, s.URL+"/frames")
	if csp := frames.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "; frame-src 'self' https://a.example http://b.example:81; ") ||
		!strings.HasSuffix(csp, "frame-ancestors 'none'") || frames.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("a page loading frames of two origins: CSP %q, X-Frame-Options %q", csp, frames.Header.Get("X-Frame-Options"))
	}
	if bad := get(t, s.URL+"/badframes"); bad.Status != 500 || strings.Contains(bad.Header.Get("Content-Security-Policy"), "a.example") {
		t.Errorf("a policy widened through csp-frame-src: %s", bad)
	}
}

const stagedService = `
(defservice staged)
(defaction staged :transaction false (&key (tag :str) (fail :bool false))
  "One write on its own, then two in a transaction that aborts when asked."
  (sql/exec "insert into %[1]s (tag, n) values ($1, 1)" tag)
  (sql/transaction
    (fn ()
      (sql/exec "insert into %[1]s (tag, n) values ($1, 2)" tag)
      (sql/exec "insert into %[1]s (tag, n) values ($1, 3)" tag)
      (when fail (abort 409 "stopped"))))
  {:rows (sql/value "select count(*) from %[1]s where tag = $1" tag)})
(defaction twice :transaction false (&key (tag :str))
  "Inserts tag twice into the table with a deferred unique key: the commit fails."
  (sql/transaction
    (fn ()
      (sql/exec "insert into %[1]s_d (tag) values ($1)" tag)
      (sql/exec "insert into %[1]s_d (tag) values ($1)" tag))))
`

// Finding 5: an action declared :transaction false (one that waits on
// outside APIs) holds no transaction; (sql/transaction …) groups its
// writes, whole or not at all.
func TestActionWithoutTransactionGroupsWrites(t *testing.T) {
	t.Parallel()
	table := uniqueName("staged")
	execSQL(t, "create table "+table+" (tag text not null, n int not null)",
		"create table "+table+"_d (tag text not null unique deferrable initially deferred)")
	s, _, _ := startService(t, fmt.Sprintf(stagedService, table), host.Options{DB: openPool(t, dbURL)})
	check := directConn(t)
	if r := postJSON(t, s.URL+"/internal/actions/staged", `{"tag":"ok"}`); r.Status != 200 || r.Body != `{"rows":3}` {
		t.Errorf("staged: %s", r)
	}
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/staged", `{"tag":"stop","fail":true}`), 409, "a failing transaction", "stopped")
	if n := countRows(t, check, table, "tag = 'stop'"); n != 1 {
		t.Errorf("%d rows after the failed transaction, want 1: the first write stands, the group rolled back", n)
	}
	// A conflict found at the commit is a 409 like one found by a statement.
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/twice", `{"tag":"x"}`), 409, "a commit failing on a deferred unique key", "conflict")
}
