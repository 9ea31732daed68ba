package host_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/host"
)

// sign computes an internal call's signature from the scheme documented in
// hmac.go: hex(HMAC-SHA256(secret, "sx2" "\n" SERVICE "\n" METHOD "\n"
// PATH?QUERY "\n" ts "\n" nonce "\n" hex(sha256(body)))).
func sign(secret, service, method, target string, ts int64, nonce string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "sx2\n%s\n%s\n%s\n%d\n%s\n%s", service, method, target, ts, nonce, sha256Hex(body))
	return hex.EncodeToString(mac.Sum(nil))
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// testNonce returns a fresh nonce (32 hex characters).
func testNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// signedHeaders are the headers of a call to service signed as given.
func signedHeaders(secret, service, method, target string, ts int64, nonce string, body []byte) []string {
	h := []string{
		"X-Internal-Service", "tester",
		"X-Internal-Timestamp", strconv.FormatInt(ts, 10),
		"X-Internal-Nonce", nonce,
		"X-Internal-Content-SHA256", sha256Hex(body),
		"X-Internal-Signature", sign(secret, service, method, target, ts, nonce, body),
	}
	if body != nil {
		h = append(h, "Content-Type", "application/json")
	}
	return h
}

// signedDo sends a request to the "guarded" service with a fresh nonce,
// signed for signTarget and signBody (which the test may make differ from
// what is sent).
func signedDo(t *testing.T, method, base, target string, body []byte, secret string, ts int64, signTarget string, signBody []byte) response {
	t.Helper()
	h := signedHeaders(secret, "guarded", method, signTarget, ts, testNonce(), signBody)
	if body != nil && signBody == nil {
		h = append(h, "Content-Type", "application/json")
	}
	return do(t, method, base+target, body, h...)
}

func TestHMACOnInternalEndpoints(t *testing.T) {
	t.Parallel()
	const secret = "correct horse battery staple"
	table := uniqueName("signed")
	execSQL(t, "create table "+table+" (note text)")
	src := fmt.Sprintf(`
(defservice guarded)
(defquery double (&key (n :int)) (* 2 n))
(defaction note (&key (text :str))
  (sql/exec "insert into %[1]s (note) values ($1)" text)
  {:saved text})
(defhandler hello (&key name) (b "hi " name))
(defpage home :path "/" :content (p "public"))
(defroute inbox :path "/internal/inbox" :method :post (&key (text :str))
  "Another service's write."
  (sql/exec "insert into %[1]s (note) values ($1)" text)
  {:inboxed text})
`, table)
	s, _, _ := startService(t, src, host.Options{Secret: secret, DB: openPool(t, dbURL)})
	check := directConn(t)
	now := time.Now().Unix()

	// Unsigned calls are refused, on every internal endpoint.
	wantJSONError(t, get(t, s.URL+"/internal/schema"), 403, "unsigned schema")
	wantJSONError(t, get(t, s.URL+"/internal/data/double?n=2"), 403, "unsigned query")
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/note", `{"text":"unsigned"}`), 403, "unsigned action")
	wantJSONError(t, get(t, s.URL+"/internal/fragments/hello?name=x"), 403, "unsigned fragment")
	wantJSONError(t, postJSON(t, s.URL+"/internal/inbox", `{"text":"unsigned"}`), 403, "an unsigned post to a route under /internal/")
	// Public endpoints need no signature.
	wantStatus(t, get(t, s.URL+"/"), 200, "public page")
	wantStatus(t, get(t, s.URL+"/healthz"), 200, "healthz")

	// Correctly signed calls pass.
	r := signedDo(t, "GET", s.URL, "/internal/data/double?n=21", nil, secret, now, "/internal/data/double?n=21", nil)
	wantStatus(t, r, 200, "signed query")
	if r.Body != "42" {
		t.Errorf("signed query = %s", r.Body)
	}
	wantStatus(t, signedDo(t, "GET", s.URL, "/internal/schema", nil, secret, now, "/internal/schema", nil), 200, "signed schema")
	r = signedDo(t, "GET", s.URL, "/internal/fragments/hello?name=x", nil, secret, now, "/internal/fragments/hello?name=x", nil)
	if r.Status != 200 || r.Body != "<b>hi x</b>" {
		t.Errorf("signed fragment: %s", r)
	}
	body := []byte(`{"text":"signed"}`)
	r = signedDo(t, "POST", s.URL, "/internal/actions/note", body, secret, now, "/internal/actions/note", body)
	if r.Status != 200 || r.Body != `{"saved":"signed"}` {
		t.Errorf("signed action: %s", r)
	}
	// A route under /internal/ takes signed calls, with no CSRF token.
	inboxBody := []byte(`{"text":"inboxed"}`)
	r = signedDo(t, "POST", s.URL, "/internal/inbox", inboxBody, secret, now, "/internal/inbox", inboxBody)
	if r.Status != 200 || r.Body != `{"inboxed":"inboxed"}` {
		t.Errorf("signed route: %s", r)
	}
	// A timestamp a little off is within the allowed skew.
	wantStatus(t, signedDo(t, "GET", s.URL, "/internal/data/double?n=1", nil, secret, now-30, "/internal/data/double?n=1", nil), 200, "a call signed 30 s ago")

	// Tampering, a wrong secret or a stale timestamp is refused.
	tampered := []byte(`{"text":"tampered"}`)
	wantJSONError(t, signedDo(t, "POST", s.URL, "/internal/actions/note", tampered, secret, now, "/internal/actions/note", body), 403, "tampered body")
	wantJSONError(t, signedDo(t, "GET", s.URL, "/internal/data/double?n=22", nil, secret, now, "/internal/data/double?n=21", nil), 403, "tampered query string")
	wantJSONError(t, signedDo(t, "GET", s.URL, "/internal/data/double?n=21", nil, secret, now, "/internal/data/other?n=21", nil), 403, "signature for another path")
	wantJSONError(t, signedDo(t, "POST", s.URL, "/internal/actions/note", body, "wrong secret", now, "/internal/actions/note", body), 403, "wrong secret")
	wantJSONError(t, signedDo(t, "GET", s.URL, "/internal/data/double?n=1", nil, secret, now-61-5, "/internal/data/double?n=1", nil), 403, "a call signed over 60 s ago", "stale")
	wantJSONError(t, signedDo(t, "GET", s.URL, "/internal/data/double?n=1", nil, secret, now+61+5, "/internal/data/double?n=1", nil), 403, "a call signed over 60 s in the future", "stale")
	wantJSONError(t, do(t, "GET", s.URL+"/internal/data/double?n=1", nil,
		"X-Internal-Timestamp", "soon", "X-Internal-Nonce", testNonce(), "X-Internal-Signature", sign(secret, "guarded", "GET", "/internal/data/double?n=1", now, testNonce(), nil)), 403, "a timestamp that is not a number")
	wantJSONError(t, do(t, "GET", s.URL+"/internal/data/double?n=1", nil,
		"X-Internal-Timestamp", strconv.FormatInt(now, 10)), 403, "a timestamp without a signature")

	// Only the signed action wrote.
	if n := countRows(t, check, table, ""); n != 2 {
		t.Errorf("%d rows written, want 2 (only the signed action and route)", n)
	}
	if n := countRows(t, check, table, "note = 'signed'"); n != 1 {
		t.Errorf("the signed call's row is missing")
	}
}

func TestNoSecretAcceptsUnsignedCalls(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, `(defservice open) (defquery double (&key (n :int)) (* 2 n)) (defaction echo (&key x) x)`, host.Options{})
	r := get(t, s.URL+"/internal/data/double?n=4")
	if r.Status != 200 || r.Body != "8" {
		t.Errorf("unsigned query without a secret: %s", r)
	}
	r = postJSON(t, s.URL+"/internal/actions/echo", `{"x":"y"}`)
	if r.Status != 200 || r.Body != `"y"` {
		t.Errorf("unsigned action without a secret: %s", r)
	}
	wantStatus(t, get(t, s.URL+"/internal/schema"), 200, "unsigned schema without a secret")
}

// Services a and b call each other's queries, actions and fragments.
const serviceA = `
(defservice a)

(defquery greet (&key (name :str)) (str "hello " name " from a"))

(defroute via-b :path "/via-b" ()
  {:double (query "b" "double" :n 21)
   :sum (query "b" "sum-ids" :ids (list 1 2 3))
   :saved (action "b" "record" :note "from a")
   :card (frag "b" "card" :title "T<>")})

(defroute echo-b :path "/echo-b" ()
  (query "b" "echo-args" :text "a b&c=d/é+?%" :at (parse-datetime "2026-03-04T10:00:00.5Z")
         :flag false :ratio 0.25 :ids (list 3 4)))

(defroute dict-query-b :path "/dict-query-b" () {:got (query "b" "dict-arg" :opts {:k "v" :n 1})})

(defroute list-query-b :path "/list-query-b" () {:got (query "b" "list-arg" :xs (list "p" "q"))})

(defroute json-query-b :path "/json-query-b" () {:got (query "b" "json-arg" :v {:k 1})})

(defroute dict-action-b :path "/dict-action-b" () (action "b" "dict-action" :opts {:k "v" :n 1}))

(defroute frag-only :path "/frag-only" () (frag "b" "card" :title "alone"))

(defpage b-page :path "/page" :content
  (div (frag "b" "card" :title "P") (span (query "b" "double" :n 2))))
`

const serviceB = `
(defservice b)

(defquery double (&key (n :int)) (* 2 n))

(defquery sum-ids (&key (ids :ids)) (reduce + 0 ids))

(defaction record (&key (note :str))
  (sql/exec "insert into %s (note) values ($1)" note)
  {:saved note})

(defhandler card (&key title) (div :class "card" title))

(defquery echo-args (&key (text :str) (at :datetime) (flag :bool) (ratio :float) (ids :ids))
  {:text text :at at :flag flag :ratio ratio :ids ids})

(defquery dict-arg (&key (opts :dict)) (get opts :k))

(defquery list-arg (&key (xs :list)) (len xs))

(defquery json-arg (&key v) (if (dict? v) (get v :k) (str "not a dict: " (type-of v))))

(defaction dict-action (&key (opts :dict)) (get opts :n))

(defroute via-a :path "/via-a" () (query "a" "greet" :name "b"))
`

// The same arguments must arrive alike in-process and over HTTP.
const wantEchoB = `{"text":"a b&c=d/é+?%","at":"2026-03-04T10:00:00.5Z","flag":false,"ratio":0.25,"ids":[3,4]}`

// checkArgumentsArrive checks a's calls of b with typed arguments.
func checkArgumentsArrive(t *testing.T, base, how string) {
	t.Helper()
	r := get(t, base+"/echo-b")
	if r.Status != 200 || !sameJSON(t, r.Body, wantEchoB) {
		t.Errorf("a passing typed arguments to b %s:\n got %s\nwant 200 %s", how, r, wantEchoB)
	}
	r = get(t, base+"/dict-action-b")
	if r.Status != 200 || r.Body != "1" {
		t.Errorf("a passing a dict to b's action %s: got %s, want 200 1", how, r)
	}
}

// checkStructuredQueryArgs checks a's queries of b with a dict, a list
// and an untyped dict argument.
func checkStructuredQueryArgs(t *testing.T, base, how string) {
	t.Helper()
	for path, want := range map[string]string{
		"/dict-query-b": `{"got":"v"}`,
		"/list-query-b": `{"got":2}`,
		"/json-query-b": `{"got":1}`,
	} {
		r := get(t, base+path)
		if r.Status != 200 || r.Body != want {
			t.Errorf("%s (a passing structured data to b's query %s): got %s, want 200 %s", path, how, r, want)
		}
	}
}

const wantViaB = `{"double":42,"sum":6,"saved":{"saved":"from a"},"card":"<div class=\"card\">T&lt;&gt;</div>"}`

// twoProcesses is a and b served by two platforms that call each other
// over signed HTTP.
type twoProcesses struct {
	a, b  *served
	table string
	pool  *pgxpool.Pool
}

func startTwoProcesses(t *testing.T, secret string) twoProcesses {
	t.Helper()
	table := uniqueName("records")
	execSQL(t, "create table "+table+" (note text)")
	dir := t.TempDir()
	fileA := writeFile(t, dir, "a.sx", serviceA)
	fileB := writeFile(t, dir, "b.sx", fmt.Sprintf(serviceB, table))
	lnA, lnB := listen(t), listen(t)
	urlA, urlB := "http://"+lnA.Addr().String(), "http://"+lnB.Addr().String()
	pool := openPool(t, dbURL)
	pa := newPlatform(t, []string{fileA}, host.Options{Secret: secret, DB: pool, Remote: map[string]string{"b": urlB}})
	pb := newPlatform(t, []string{fileB}, host.Options{Secret: secret, DB: pool, Remote: map[string]string{"a": urlA}})
	return twoProcesses{a: serveOn(t, pa.Service("a"), lnA), b: serveOn(t, pb.Service("b"), lnB), table: table, pool: pool}
}

func TestCallsBetweenTwoProcesses(t *testing.T) {
	t.Parallel()
	const secret = "shared between a and b"
	pp := startTwoProcesses(t, secret)
	a, b, table := pp.a, pp.b, pp.table
	check := directConn(t)

	r := get(t, a.URL+"/via-b")
	wantStatus(t, r, 200, "a calling b")
	if !sameJSON(t, r.Body, wantViaB) {
		t.Errorf("a calling b:\n got %s\nwant %s", r.Body, wantViaB)
	}
	if n := countRows(t, check, table, "note = 'from a'"); n != 1 {
		t.Errorf("b's action over HTTP wrote %d rows, want 1", n)
	}
	r = get(t, a.URL+"/page")
	wantStatus(t, r, 200, "a's page with b's fragment")
	if want := `<div><div class="card">P</div><span>4</span></div>`; !strings.Contains(r.Body, want) {
		t.Errorf("a's page lacks %s: %s", want, r.Body)
	}
	r = get(t, b.URL+"/via-a")
	if r.Status != 200 || r.Body != "hello b from a" {
		t.Errorf("b calling a: %s", r)
	}

	// The calls went over signed HTTP: b counted them.
	m := scrape(t, b.URL)
	for route, n := range map[string]float64{"/internal/data/{query}": 3, "/internal/actions/{action}": 1, "/internal/fragments/{type}": 2} {
		method := "GET"
		if route == "/internal/actions/{action}" {
			method = "POST"
		}
		series := fmt.Sprintf(`sxhost_requests_total{method=%q,route=%q,service="b",status="200"}`, method, route)
		if m[series] != n {
			t.Errorf("%s = %v, want %v", series, m[series], n)
		}
	}

	checkArgumentsArrive(t, a.URL, "over HTTP")

	// A caller with the wrong secret is refused: queries fail, fragments
	// render empty, nothing is written.
	wrong := newPlatform(t, []string{writeFile(t, t.TempDir(), "a.sx", serviceA)},
		host.Options{Secret: "not the secret", DB: pp.pool, Remote: map[string]string{"b": b.URL}})
	wa := serve(t, wrong.Service("a"))
	wantStatus(t, get(t, wa.URL+"/via-b"), 500, "a with the wrong secret calling b")
	if r := get(t, wa.URL+"/frag-only"); r.Status != 200 || r.Body != "" {
		t.Errorf("a refused fragment: %s, want an empty 200", r)
	}
	if n := countRows(t, check, table, ""); n != 1 {
		t.Errorf("%d rows after a refused call, want 1", n)
	}
}

func TestCallsInOneProcess(t *testing.T) {
	t.Parallel()
	table := uniqueName("records")
	execSQL(t, "create table "+table+" (note text)")
	dir := t.TempDir()
	fileA := writeFile(t, dir, "a.sx", serviceA)
	fileB := writeFile(t, dir, "b.sx", fmt.Sprintf(serviceB, table))
	// No Remote: a call that left the process would fail.
	p := newPlatform(t, []string{fileA, fileB}, host.Options{Secret: "unused in-process", DB: openPool(t, dbURL)})
	if len(p.Services()) != 2 || p.Service("a") == nil || p.Service("b") == nil {
		t.Fatalf("services loaded: %v", p.Services())
	}
	a := serve(t, p.Service("a"))
	b := serve(t, p.Service("b"))
	check := directConn(t)

	r := get(t, a.URL+"/via-b")
	wantStatus(t, r, 200, "a calling b in-process")
	if !sameJSON(t, r.Body, wantViaB) {
		t.Errorf("a calling b in-process:\n got %s\nwant %s", r.Body, wantViaB)
	}
	if n := countRows(t, check, table, "note = 'from a'"); n != 1 {
		t.Errorf("b's action in-process wrote %d rows, want 1", n)
	}
	r = get(t, b.URL+"/via-a")
	if r.Status != 200 || r.Body != "hello b from a" {
		t.Errorf("b calling a in-process: %s", r)
	}
	checkArgumentsArrive(t, a.URL, "in-process")
	checkStructuredQueryArgs(t, a.URL, "in-process")
	// No HTTP request reached b's internal endpoints.
	for series, v := range scrape(t, b.URL) {
		if strings.Contains(series, `route="/internal/`) && v > 0 {
			t.Errorf("in-process calls went over HTTP: %s = %v", series, v)
		}
	}
}

// TestStructuredQueryArgumentsOverHTTP: queries taking a dict or a list
// work in-process (TestCallsInOneProcess) and must work alike over HTTP.
func TestStructuredQueryArgumentsOverHTTP(t *testing.T) {
	t.Parallel()
	pp := startTwoProcesses(t, "")
	checkStructuredQueryArgs(t, pp.a.URL, "over HTTP")
}

// Rotating the internal secret without refused calls: SX_INTERNAL_SECRET
// may be a list, "signing,other". The first signs; a call signed with any
// is accepted, so the rotation is old → "old,new" → "new,old" → new, each
// step a rolling update whose old and new tasks accept each other.
func TestInternalSecretRotation(t *testing.T) {
	t.Parallel()
	table := uniqueName("records")
	execSQL(t, "create table "+table+" (note text)")
	dir := t.TempDir()
	fileA := writeFile(t, dir, "a.sx", serviceA)
	fileB := writeFile(t, dir, "b.sx", fmt.Sprintf(serviceB, table))
	pool := openPool(t, dbURL)
	serveB := func(secret string) *served {
		pb := newPlatform(t, []string{fileB}, host.Options{Secret: secret, DB: pool})
		return serve(t, pb.Service("b"))
	}
	callFrom := func(secretA string, b *served) int {
		pa := newPlatform(t, []string{fileA}, host.Options{Secret: secretA, DB: pool, Remote: map[string]string{"b": b.URL}})
		return get(t, serve(t, pa.Service("a")).URL+"/via-b").Status
	}
	steps := []struct{ a, b string }{
		{"old", "old,new"}, {"old,new", "old"}, // step 1: tasks on either side of the update
		{"old,new", "new,old"}, {"new,old", "old,new"}, // step 2
		{"new,old", "new"}, {"new", "new,old"}, // step 3
	}
	for _, st := range steps {
		if s := callFrom(st.a, serveB(st.b)); s != 200 {
			t.Errorf("a with %q calling b with %q: %d, want 200", st.a, st.b, s)
		}
	}
	for _, st := range []struct{ a, b string }{{"new", "old"}, {"other", "old,new"}, {"new,old", "old"}} {
		if s := callFrom(st.a, serveB(st.b)); s == 200 {
			t.Errorf("a with %q calling b with %q was accepted", st.a, st.b)
		}
	}
}
