package host_test

// Regression tests for the findings of issue 9 about the server itself:
// the internal API without a secret, replayed signed calls, connection and
// body limits, secrets in logs, idle connections.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
	cacheprims "github.com/rose-ash/sxhost/prims/cache"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

// farListener accepts real connections on 127.0.0.1 but reports each
// client as 192.0.2.7 (a documentation address): a client on another
// machine, as far as the server can tell.
type farListener struct{ net.Listener }

type farConn struct{ net.Conn }

func (l farListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return farConn{c}, nil
}

func (farConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40000} }

const openService = `
(defservice open)
(defquery double (&key (n :int)) (* 2 n))
(defaction echo (&key x) x)
(defpage home :path "/" :content (p "public"))
(defroute inbox :path "/internal/inbox" :method :post (&key x) {:got x})
`

// Finding 1: without SX_INTERNAL_SECRET the internal API answered anyone.
func TestWithoutSecretInternalEndpointsAnswerOnlyLoopback(t *testing.T) {
	t.Parallel()
	log, buf := newLogger()
	dir := t.TempDir()
	a := writeFile(t, dir, "open.sx", openService)
	b := writeFile(t, dir, "other.sx", `(defservice other) (defquery hi () "hi")`)
	p := newPlatform(t, []string{a, b}, host.Options{Logger: log})
	far := serveOn(t, p.Service("open"), farListener{listen(t)})
	near := serve(t, p.Service("open"))
	serve(t, p.Service("other"))

	wantJSONError(t, get(t, far.URL+"/internal/data/double?n=2"), 403, "a query from another machine", "loopback", "SX_INTERNAL_SECRET")
	wantJSONError(t, postJSON(t, far.URL+"/internal/actions/echo", `{"x":1}`), 403, "an action from another machine", "loopback")
	wantJSONError(t, postJSON(t, far.URL+"/internal/inbox", `{"x":1}`), 403, "a route under /internal/ from another machine")
	wantJSONError(t, get(t, far.URL+"/internal/schema"), 403, "the schema from another machine")
	wantStatus(t, get(t, far.URL+"/"), 200, "a public page from another machine")
	if r := get(t, near.URL+"/internal/data/double?n=2"); r.Status != 200 || r.Body != "4" {
		t.Errorf("a query from loopback: %s", r)
	}

	warnings := 0
	for _, rec := range buf.records(t) {
		if msg, _ := rec["msg"].(string); strings.Contains(msg, "loopback") && strings.Contains(msg, "SX_INTERNAL_SECRET") {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("%d start-up warnings about the missing secret for three servers, want 1:\n%s", warnings, buf.String())
	}
}

// Finding 1: production refuses to start without the secret.
func TestProductionNeedsTheSecret(t *testing.T) {
	err := host.RequireSecret("prod", "")
	if err == nil || !strings.Contains(err.Error(), "SX_INTERNAL_SECRET") {
		t.Errorf("prod without a secret: %v", err)
	}
	for _, c := range [][2]string{{"prod", "s3cret"}, {"dev", ""}, {"", ""}} {
		if err := host.RequireSecret(c[0], c[1]); err != nil {
			t.Errorf("SX_ENV=%q secret %q: %v", c[0], c[1], err)
		}
	}
}

// Finding 1: a text/plain or form body crosses origins without a CORS
// preflight; internal endpoints take JSON only.
func TestInternalBodiesMustBeJSON(t *testing.T) {
	t.Parallel()
	const secret = "json only"
	open, _, _ := startService(t, openService, host.Options{})
	guarded, _, _ := startService(t, `(defservice guarded) (defaction echo (&key x) x)`, host.Options{Secret: secret})
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		body := []byte(`{"x":1}`)
		wantJSONError(t, do(t, "POST", open.URL+"/internal/actions/echo", body, "Content-Type", ct), 415, "an action as "+ct, "application/json")
		wantJSONError(t, do(t, "POST", open.URL+"/internal/inbox", body, "Content-Type", ct), 415, "a signed route as "+ct)
		h := signedHeaders(secret, "guarded", "POST", "/internal/actions/echo", time.Now().Unix(), testNonce(), body)
		h = append(h[:len(h)-2], "Content-Type", ct)
		wantJSONError(t, do(t, "POST", guarded.URL+"/internal/actions/echo", body, h...), 415, "a signed action as "+ct)
	}
	if r := do(t, "POST", open.URL+"/internal/actions/echo", []byte(`{"x":1}`), "Content-Type", "application/json; charset=utf-8"); r.Status != 200 {
		t.Errorf("JSON with a charset: %s", r)
	}
}

// Finding 2: the same signed bytes were accepted again and again, and a
// signature made for one service by every other.
func TestSignedCallsAreAcceptedOnce(t *testing.T) {
	t.Parallel()
	const secret = "once only"
	table := uniqueName("replays")
	execSQL(t, "create table "+table+" (n int)")
	pool := openPool(t, dbURL)
	dir := t.TempDir()
	src := `(defaction add (&key (n :int)) (sql/exec "insert into ` + table + ` (n) values ($1)" n) n)`
	fa := writeFile(t, dir, "blog.sx", "(defservice blog) "+src)
	fb := writeFile(t, dir, "market.sx", "(defservice market) "+src)
	p := newPlatform(t, []string{fa, fb}, host.Options{Secret: secret, DB: pool})
	blog, market := serve(t, p.Service("blog")), serve(t, p.Service("market"))

	body := []byte(`{"n":1}`)
	h := signedHeaders(secret, "blog", "POST", "/internal/actions/add", time.Now().Unix(), testNonce(), body)
	wantStatus(t, do(t, "POST", blog.URL+"/internal/actions/add", body, h...), 200, "the first call")
	for i := 0; i < 3; i++ {
		wantJSONError(t, do(t, "POST", blog.URL+"/internal/actions/add", body, h...), 403, "a replay", "replay")
	}
	wantJSONError(t, do(t, "POST", market.URL+"/internal/actions/add", body, h...), 403, "blog's signature sent to market", "signature")
	fresh := signedHeaders(secret, "market", "POST", "/internal/actions/add", time.Now().Unix(), testNonce(), body)
	wantStatus(t, do(t, "POST", market.URL+"/internal/actions/add", body, fresh...), 200, "a call signed for market")
	if n := countRows(t, directConn(t), table, ""); n != 2 {
		t.Errorf("%d rows added, want 2 (one per distinct signed call)", n)
	}
}

// testRedisURL is the Redis the tests share: SX_TEST_REDIS_URL (make test
// sets it to the running or private server), else the local default.
func testRedisURL() string {
	return pgtest.RedisURL()
}

// Finding 2: instances sharing Redis share the nonces, so a call accepted
// by one is refused by the other.
func TestNoncesSharedThroughRedis(t *testing.T) {
	t.Parallel()
	const secret = "shared"
	dir := t.TempDir()
	file := writeFile(t, dir, "svc.sx", `(defservice twin) (defquery one () 1)`)
	var urls []string
	for i := 0; i < 2; i++ {
		c := cacheprims.New(testRedisURL(), nil)
		p := newPlatform(t, []string{file}, host.Options{Secret: secret, Cache: c})
		urls = append(urls, serve(t, p.Services()[0]).URL)
	}
	h := signedHeaders(secret, "twin", "GET", "/internal/data/one", time.Now().Unix(), testNonce(), nil)
	wantStatus(t, get(t, urls[0]+"/internal/data/one", h...), 200, "first instance")
	wantJSONError(t, get(t, urls[1]+"/internal/data/one", h...), 403, "the same call at the second instance", "replay")
}

// Finding 6: bearer tokens never travel in query strings.
func TestCredentialsRefusedInQueryStrings(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, `(defservice auth) (defquery verify (&key (token :str)) (len token)) (defhandler f (&key api-token) "x")`, host.Options{})
	wantJSONError(t, get(t, s.URL+"/internal/data/verify?token=abc"), 400, "a token in the query string", "token", "body")
	wantJSONError(t, get(t, s.URL+"/internal/fragments/f?api-token=abc"), 400, "a token in a fragment's query string", "api-token")
	if r := postJSON(t, s.URL+"/internal/data/verify", `{"token":"abcd"}`); r.Status != 200 || r.Body != "4" {
		t.Errorf("a token in a POST body: %s", r)
	}
}

// Finding 6: a query called with a credential from another process sends
// it in a body.
func TestRemoteQueryWithATokenUsesABody(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fa := writeFile(t, dir, "fed.sx", `(defservice fed) (defquery verify (&key (token :str)) (str "ok " token))`)
	fb := writeFile(t, dir, "app.sx", `(defservice app) (defroute check :path "/check" () (query "fed" "verify" :token "t0k"))`)
	pa := newPlatform(t, []string{fa}, host.Options{Secret: "s"})
	fed := serve(t, pa.Services()[0])
	pb := newPlatform(t, []string{fb}, host.Options{Secret: "s", Remote: map[string]string{"fed": fed.URL}})
	app := serve(t, pb.Services()[0])
	if r := get(t, app.URL+"/check"); r.Status != 200 || r.Body != `ok t0k` {
		t.Errorf("remote query with a token: %s", r)
	}
}

// Finding 6: fasthttp's message for a malformed request quoted its head
// (cookies, Authorization, ?token=) into the log.
func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	log, buf := newLogger()
	s, _, _ := startService(t, openService, host.Options{Logger: log, Secret: "k"})
	addr := strings.TrimPrefix(s.URL, "http://")
	const marker = "MARKERx9q"
	heads := []string{
		"GET /?token=" + marker + " HTTP/1.1\r\nHost: x\r\nCookie: sx_session=" + marker + "\r\nAuthorization: Bearer " + marker + "\r\nBad Header Line\r\n\r\n",
		"GET /?token=" + marker + " HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\nAuthorization: Bearer " + marker + "\r\n\r\n",
		"G\x00T /" + marker + " HTTP/1.1\r\nCookie: a=" + marker + "\r\n\r\n",
		"GET /?token=" + marker + " HTTP/9.9\r\nAuthorization: " + marker + "\r\n\r\n",
		"POST /internal/actions/echo?token=" + marker + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nCookie: s=" + marker + "\r\n\r\nzz\r\n" + marker + "\r\n",
	}
	for _, h := range heads {
		rawExchange(t, addr, h)
	}
	get(t, s.URL+"/?token="+marker, "Authorization", "Bearer "+marker, "Cookie", "sx_session="+marker)
	get(t, s.URL+"/internal/data/double?n=1&token="+marker, "Authorization", "Bearer "+marker,
		"X-Internal-Signature", marker, "X-Internal-Timestamp", "1", "X-Internal-Nonce", marker)
	if strings.Contains(buf.String(), marker) {
		t.Errorf("a secret reached the log:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "malformed request") {
		t.Errorf("malformed requests were not logged at all:\n%s", buf.String())
	}
}

// limitsEnv configures the server limits through Options.Getenv.
func limitsEnv(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// Finding 12: a connection that sends nothing was answered 400 after 30 s.
// Finding 4: a head that trickles in is cut off after the head timeout.
func TestIdleAndSlowConnectionsClosedQuietly(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, openService, host.Options{Getenv: limitsEnv("SX_HEADER_TIMEOUT", "500ms")})
	addr := strings.TrimPrefix(s.URL, "http://")
	for _, first := range []string{"", "GET / HTTP/1.1\r\nHost: x\r\n"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, first)
		c.SetReadDeadline(time.Now().Add(4 * time.Second))
		got, err := io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("after %q the connection stayed open past the head timeout", first)
		} else if len(got) != 0 {
			t.Errorf("after %q the server sent %q, want a quiet close", first, got)
		}
	}
	// A keep-alive connection is still served, request after request.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := 0; i < 2; i++ {
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(4 * time.Second))
		if line, err := readStatusLine(br); err != nil || !strings.Contains(line, " 200 ") {
			t.Fatalf("keep-alive request %d: %q %v", i, line, err)
		}
		for { // skip the rest of the answer
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if l == "\r\n" {
				break
			}
		}
		br.Discard(3) // "ok\n"
	}
}

// Finding 4: connections per address and in total are bounded.
func TestConnectionLimits(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, openService, host.Options{Getenv: limitsEnv("SX_MAX_CONNS_PER_IP", "3")})
	addr := strings.TrimPrefix(s.URL, "http://")
	var held []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\n") // a head that never ends
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond) // let the server count them
	if line := rawStatus(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.Contains(line, " 429 ") {
		t.Errorf("a fourth connection from one address: %q, want 429", line)
	}
	for _, c := range held {
		c.Close()
	}
	eventually(t, 3*time.Second, "a slot to free up", func() bool {
		return strings.Contains(rawStatus(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), " 200 ")
	})

	total, _, _ := startService(t, openService, host.Options{Getenv: limitsEnv("SX_MAX_CONNS", "2")})
	taddr := strings.TrimPrefix(total.URL, "http://")
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", taddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\n")
	}
	time.Sleep(100 * time.Millisecond)
	if line := rawStatus(t, taddr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.Contains(line, " 503 ") {
		t.Errorf("a connection over the total: %q, want 503", line)
	}
}

// Finding 4: public bodies are capped lower than internal ones, decided
// before the body is read.
func TestPublicBodiesCappedLower(t *testing.T) {
	t.Parallel()
	src := openService + `(defroute hook :path "/hook" :method :post :csrf false (&key x) "ok")`
	s, _, _ := startService(t, src, host.Options{Getenv: limitsEnv("SX_MAX_PUBLIC_BODY", "1000")})
	big := []byte(`{"x":"` + strings.Repeat("a", 5000) + `"}`)
	wantJSONError(t, do(t, "POST", s.URL+"/hook", big, "Content-Type", "application/json"), 413, "a public body over its cap", "1000")
	if r := postJSON(t, s.URL+"/internal/actions/echo", string(big)); r.Status != 200 {
		t.Errorf("the same body to an internal action: %s", r)
	}
	guarded, _, _ := startService(t, `(defservice g) (defaction echo (&key x) x)`,
		host.Options{Secret: "k", Getenv: limitsEnv("SX_MAX_PUBLIC_BODY", "1000")})
	wantJSONError(t, postJSON(t, guarded.URL+"/internal/actions/echo", string(big)), 413, "an unsigned big body to a guarded action")
	// A forged signature does not buy the internal cap: the head's
	// signature is checked before the body is read.
	forged := signedHeaders("not the secret", "g", "POST", "/internal/actions/echo", time.Now().Unix(), testNonce(), big)
	wantJSONError(t, do(t, "POST", guarded.URL+"/internal/actions/echo", big, forged...), 413, "a forged signature on a big body")
	genuine := signedHeaders("k", "g", "POST", "/internal/actions/echo", time.Now().Unix(), testNonce(), big)
	if r := do(t, "POST", guarded.URL+"/internal/actions/echo", big, genuine...); r.Status != 200 {
		t.Errorf("a signed big body: %d %.200s", r.Status, r.Body)
	}
}

// Finding 4: with ReduceMemoryUsage the read buffers go back to their
// pools; a server still answers after a burst of bodies at its cap.
func TestBodiesAtTheCapLeaveTheServerServing(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, openService, host.Options{})
	body := []byte(`{"x":"` + strings.Repeat("b", 900<<10) + `"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			r, err := tryDoCtx(ctx, "POST", s.URL+"/internal/actions/echo", body, "Content-Type", "application/json")
			if err == nil && r.Status != 200 {
				err = fmt.Errorf("status %d", r.Status)
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Errorf("a body under the internal cap: %v", err)
		}
	}
	wantStatus(t, get(t, s.URL+"/healthz"), 200, "healthz after the bodies")
}
