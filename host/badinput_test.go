package host_test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

const fragileService = `
(defservice fragile)

(defquery needs (&key (user-id :int) (ids :ids) (at :datetime) (flag :bool false) (price :float 0))
  {:user-id user-id :ids ids})

(defquery fine () "fine")

(defquery named (&key (name :str) (ok :bool) (tags :list nil) (big :bigint 0))
  {:name name :ok ok :big big})

(defquery explode ()
  "Fails at run time."
  (let ((x 1))
    (error (str "kaboom " x))))

(defaction save (&key (qty :int) note)
  {:qty qty :note note})

(defaction explode-action () (error "kaboom-action"))

(defhandler bad-frag () (span (error "frag kaboom")))

(defhandler good-frag () (span "ok"))

(defpage broken :path "/broken" :content (div (error "page kaboom")))
`

func TestUnknownNamesAre404(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, fragileService, host.Options{})
	wantJSONError(t, get(t, s.URL+"/internal/data/nope"), 404, "unknown query", "nope")
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/nope", `{}`), 404, "unknown action", "nope")
	wantJSONError(t, get(t, s.URL+"/internal/fragments/nope"), 404, "unknown fragment", "nope")
	// A name of another kind is not found either.
	wantJSONError(t, get(t, s.URL+"/internal/data/save"), 404, "an action asked for as a query", "save")
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/fine", `{}`), 404, "a query asked for as an action", "fine")
	wantJSONError(t, get(t, s.URL+"/no/such/page"), 404, "unknown path")
}

func TestBadParametersAre400NamingThem(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, fragileService, host.Options{})
	base := s.URL + "/internal/data/needs?"
	ok := "user-id=1&ids=1,2&at=2026-01-01T00:00:00Z"
	wantStatus(t, get(t, base+ok), 200, "needs with good parameters")
	cases := []struct{ query, param string }{
		{"ids=1&at=2026-01-01T00:00:00Z", "user-id"},                              // missing int
		{"user-id=1&at=2026-01-01T00:00:00Z", "ids"},                              // missing ids
		{"user-id=1&ids=1", "at"},                                                 // missing datetime
		{"user-id=x1&ids=1&at=2026-01-01T00:00:00Z", "user-id"},                   // not an int
		{"user-id=1.5&ids=1&at=2026-01-01T00:00:00Z", "user-id"},                  // not an int
		{"user-id=1&ids=1,two,3&at=2026-01-01T00:00:00Z", "ids"},                  // not ids
		{"user-id=1&ids=1&at=yesterday", "at"},                                    // not a datetime
		{"user-id=1&ids=1&at=2026-01-01T00:00:00Z&flag=maybe", "flag"},            // not a bool
		{"user-id=99999999999999999999&ids=1&at=2026-01-01T00:00:00Z", "user-id"}, // out of range
		{"user-id=1&ids=1&at=", "at"},                                             // blank datetime
		{"user-id=1&ids=1&at=2026-01-01T00:00:00Z&price=NaN", "price"},            // not a finite number
		{"user-id=1&ids=1&at=2026-01-01T00:00:00Z&price=-Inf", "price"},           // not a finite number
	}
	for _, c := range cases {
		wantJSONError(t, get(t, base+c.query), 400, "needs?"+c.query, c.param)
	}

	named := s.URL + "/internal/data/named?"
	wantStatus(t, get(t, named+"name=x&ok=yes"), 200, "named with good parameters")
	for _, c := range []struct{ query, param, says string }{
		{"name=&ok=1", "name", "must not be blank"},               // blank required string
		{"name=%20%20&ok=1", "name", "must not be blank"},         // whitespace only
		{"name=x&ok=", "ok", "missing"},                           // blank required bool
		{"name=a%00b&ok=1", "name", "NUL"},                        // NUL in a string
		{"name=x&ok=1&tags=%5B%22a%00%22%5D", "tags", "NUL"},      // NUL inside a list
		{"name=x&ok=1&tags=%5B%22a%5Cu0000%22%5D", "tags", "NUL"}, // NUL escaped in JSON text
		{"name=%FF%FE&ok=1", "name", "UTF-8"},                     // invalid UTF-8
		{"name=x&ok=1&tags=" + strings.Repeat("%5B", 70) + strings.Repeat("%5D", 70), "tags", "nested"},
		{"name=x&ok=1&big=99999999999999999999", "big", "big"}, // beyond 64 bits
	} {
		wantJSONError(t, get(t, named+c.query), 400, "named?"+c.query, c.param, c.says)
	}
	if r := get(t, named+"name=x&ok=1&big=99999999999"); r.Status != 200 || !strings.Contains(r.Body, `"big":99999999999`) {
		t.Errorf(":bigint takes 64-bit values: %s", r)
	}
	// A blank optional value takes the parameter's default.
	if r := get(t, named+"name=x&ok=1&big="); r.Status != 200 || !strings.Contains(r.Body, `"big":0`) {
		t.Errorf("a blank optional :bigint should take its default 0: %s", r)
	}
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/save", `{"qty": 1, "note": "a\u0000b"}`), 400, "NUL in a JSON body", "note", "NUL")

	act := s.URL + "/internal/actions/save"
	wantStatus(t, postJSON(t, act, `{"qty": 2}`), 200, "save")
	wantJSONError(t, postJSON(t, act, `{"note": "x"}`), 400, "save without qty", "qty")
	wantJSONError(t, postJSON(t, act, `{"qty": "two"}`), 400, "save with a word for qty", "qty")
	wantJSONError(t, postJSON(t, act, `{"qty": 2.5}`), 400, "save with a fraction for qty", "qty")
	wantJSONError(t, postJSON(t, act, `{"qty": null}`), 400, "save with a null qty", "qty")
}

func TestMalformedBodiesAre400(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, fragileService, host.Options{})
	act := s.URL + "/internal/actions/save"
	for _, body := range []string{`{"qty": 2`, `{qty: 2}`, `{"qty": 2} {"qty": 3}`, `not json`} {
		wantJSONError(t, postJSON(t, act, body), 400, "body "+body, "JSON")
	}
	for _, body := range []string{`[1, 2]`, `"qty"`, `7`} {
		wantJSONError(t, postJSON(t, act, body), 400, "non-object body "+body, "object")
	}
}

// rawPost sends a POST with a body of n bytes on a plain TCP connection and
// reads the answer. The server may answer before reading the body (413), so
// the body is written from a goroutine whose write errors do not matter.
func rawPost(t *testing.T, base, path string, body []byte) (int, string) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", path, addr, len(body))
	go func() {
		conn.Write([]byte(head))
		conn.Write(body)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to a %d-byte body: %v", len(body), err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&sb)
	return resp.StatusCode, sb.String()
}

// jsonBodyOfSize is {"qty":1,"note":"xxx…"} of exactly n bytes.
func jsonBodyOfSize(n int) []byte {
	prefix, suffix := `{"qty":1,"note":"`, `"}`
	return []byte(prefix + strings.Repeat("x", n-len(prefix)-len(suffix)) + suffix)
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, fragileService, host.Options{})
	status, body := rawPost(t, s.URL, "/internal/actions/save", jsonBodyOfSize(host.MaxBodySize))
	if status != 200 || !strings.Contains(body, `"qty":1`) {
		t.Errorf("a body of exactly 1 MiB: %d %.100s", status, body)
	}
	status, body = rawPost(t, s.URL, "/internal/actions/save", jsonBodyOfSize(host.MaxBodySize+1))
	if status != 413 {
		t.Errorf("a body one byte over 1 MiB: %d %.200s, want 413", status, body)
	}
	status, _ = rawPost(t, s.URL, "/internal/actions/save", jsonBodyOfSize(4*host.MaxBodySize))
	if status != 413 {
		t.Errorf("a 4 MiB body: %d, want 413", status)
	}
	// Still serving.
	wantStatus(t, get(t, s.URL+"/internal/data/fine"), 200, "a query after refused bodies")
}

// A client sending "Expect: 100-continue" with a body over the limit gets
// the 413 before it sends a byte of the body, not "100 Continue" and then a
// closed connection mid-body.
func TestOversizedBodyRefusedBeforeContinue(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, fragileService, host.Options{})
	head := func(n int) string {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "POST /internal/actions/save HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", n)
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("no answer to the head of a %d-byte body: %v", n, err)
		}
		return strings.TrimSpace(line)
	}
	if got := head(host.MaxBodySize + 1); got != "HTTP/1.1 413 Request Entity Too Large" {
		t.Errorf("a body one byte over the limit, announced: %q, want the 413 at once", got)
	}
	if got := head(100); got != "HTTP/1.1 100 Continue" {
		t.Errorf("a small body, announced: %q, want 100 Continue", got)
	}
}

func TestWrongMethodIs405(t *testing.T) {
	t.Parallel()
	s, _, _ := startService(t, fragileService, host.Options{})
	wantJSONError(t, get(t, s.URL+"/internal/actions/save"), 405, "GET of an action")
	wantJSONError(t, do(t, "PUT", s.URL+"/internal/data/fine", []byte(`{}`), "Content-Type", "application/json"), 405, "PUT to a query")
	wantJSONError(t, do(t, "DELETE", s.URL+"/internal/schema", nil), 405, "DELETE of the schema")
	wantJSONError(t, postJSON(t, s.URL+"/internal/fragments/good-frag", `{}`), 405, "POST to a fragment")
}

// errorIDPattern is what an error id looks like.
var errorIDPattern = regexp.MustCompile(`^[0-9a-f]{8,}$`)

// loggedError finds the log record carrying error id; it fails the test
// when there is none.
func loggedError(t *testing.T, log *logBuffer, id string) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, 2*time.Second, "error "+id+" in the log", func() bool {
		for _, rec := range log.records(t) {
			if rec["error_id"] == id && rec["level"] == "ERROR" {
				found = rec
				return true
			}
		}
		return false
	})
	return found
}

func TestEvaluationErrorIs500WithLoggedErrorID(t *testing.T) {
	t.Parallel()
	logger, log := newLogger()
	s, _, _ := startService(t, fragileService, host.Options{Logger: logger})

	r := get(t, s.URL+"/internal/data/explode")
	obj := wantJSONError(t, r, 500, "a failing query")
	id, _ := obj["error_id"].(string)
	if !errorIDPattern.MatchString(id) {
		t.Fatalf("error_id %q in %s", id, r.Body)
	}
	if strings.Contains(r.Body, "kaboom") {
		t.Errorf("outside dev mode the answer shows the error: %s", r.Body)
	}
	rec := loggedError(t, log, id)
	if msg, _ := rec["error"].(string); !strings.Contains(msg, "kaboom 1") {
		t.Errorf("logged error = %q, want the message", msg)
	}
	if msg, _ := rec["error"].(string); !strings.Contains(msg, "svc.sx:"+posOf(t, fragileService, `(error (str "kaboom "`)+": ") {
		t.Errorf("logged error = %q, want the failing form's file:line:col", msg)
	}
	if bt, _ := rec["backtrace"].(string); !strings.Contains(bt, "at explode") {
		t.Errorf("logged backtrace = %q, want the query's frame", bt)
	}
	if rec["service"] != "fragile" || rec["request_id"] == nil || rec["request_id"] == "" {
		t.Errorf("log record lacks service or request id: %v", rec)
	}
	if rid := r.Header.Get("X-Request-Id"); rid == "" || rec["request_id"] != rid {
		t.Errorf("request id: header %q, log %v", rid, rec["request_id"])
	}

	// Actions and pages too; the ids differ per failure.
	r = postJSON(t, s.URL+"/internal/actions/explode-action", `{}`)
	obj = wantJSONError(t, r, 500, "a failing action")
	id2, _ := obj["error_id"].(string)
	if id2 == "" || id2 == id {
		t.Errorf("second error id %q (first %q)", id2, id)
	}
	if rec := loggedError(t, log, id2); !strings.Contains(fmt.Sprint(rec["error"]), "kaboom-action") {
		t.Errorf("logged action error: %v", rec)
	}

	r = get(t, s.URL+"/broken")
	wantStatus(t, r, 500, "a failing page")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("failing page content type %q", ct)
	}
	m := regexp.MustCompile(`<code>([0-9a-f]+)</code>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("failing page shows no error id: %s", r.Body)
	}
	if rec := loggedError(t, log, m[1]); !strings.Contains(fmt.Sprint(rec["error"]), "page kaboom") {
		t.Errorf("logged page error: %v", rec)
	}
	if strings.Contains(r.Body, "page kaboom") {
		t.Errorf("outside dev mode the page shows the error: %s", r.Body)
	}

	// A failing fragment is an empty 200, so the page including it renders.
	r = get(t, s.URL+"/internal/fragments/bad-frag")
	if r.Status != 200 || r.Body != "" {
		t.Errorf("failing fragment: %s, want an empty 200", r)
	}

	// The server keeps serving.
	for i := 0; i < 3; i++ {
		r = get(t, s.URL+"/internal/data/fine")
		if r.Status != 200 || r.Body != `"fine"` {
			t.Fatalf("after errors: %s", r)
		}
	}
}

func TestDevModeShowsErrorDetails(t *testing.T) {
	t.Parallel()
	logger, log := newLogger()
	s, _, _ := startService(t, fragileService, host.Options{Logger: logger, Dev: true})
	r := get(t, s.URL+"/internal/data/explode")
	obj := wantJSONError(t, r, 500, "a failing query in dev mode", "kaboom 1", "svc.sx:")
	id, _ := obj["error_id"].(string)
	loggedError(t, log, id)

	r = get(t, s.URL+"/broken")
	wantStatus(t, r, 500, "a failing page in dev mode")
	if !strings.Contains(r.Body, "page kaboom") || !strings.Contains(r.Body, "svc.sx:") {
		t.Errorf("dev page error lacks the message and position: %s", r.Body)
	}
}

func TestUnencodableResultIs500WithLoggedErrorID(t *testing.T) {
	t.Parallel()
	logger, log := newLogger()
	s, _, _ := startService(t, `(defservice odd) (defquery gives-fn () (fn (x) x))`, host.Options{Logger: logger})
	r := get(t, s.URL+"/internal/data/gives-fn", "X-Request-Id", "trace-odd-1")
	obj := wantJSONError(t, r, 500, "a query whose result is not JSON")
	id, _ := obj["error_id"].(string)
	if id == "" {
		t.Fatalf("a 500 without an error_id: %s", r.Body)
	}
	rec := loggedError(t, log, id)
	if rec["request_id"] != "trace-odd-1" {
		t.Errorf("logged request id %v, want the caller's trace-odd-1", rec["request_id"])
	}
}

func TestRequestIDComesFromTheCaller(t *testing.T) {
	t.Parallel()
	logger, log := newLogger()
	s, _, _ := startService(t, fragileService, host.Options{Logger: logger})
	r := get(t, s.URL+"/internal/data/explode", "X-Request-Id", "trace-abc-123")
	if got := r.Header.Get("X-Request-Id"); got != "trace-abc-123" {
		t.Errorf("X-Request-Id answered %q, want the caller's", got)
	}
	obj := wantJSONError(t, r, 500, "a failing query")
	if rec := loggedError(t, log, fmt.Sprint(obj["error_id"])); rec["request_id"] != "trace-abc-123" {
		t.Errorf("logged request id %v, want trace-abc-123", rec["request_id"])
	}
	// Without one, each request gets its own.
	a, b := get(t, s.URL+"/internal/data/fine"), get(t, s.URL+"/internal/data/fine")
	if ida, idb := a.Header.Get("X-Request-Id"), b.Header.Get("X-Request-Id"); ida == "" || ida == idb {
		t.Errorf("generated request ids %q and %q", ida, idb)
	}
}

func TestValuesTheDatabaseRefusesAre400(t *testing.T) {
	t.Parallel()
	table := uniqueName("narrow")
	execSQL(t, "create table "+table+" (id integer primary key, name text)", "create unique index on "+table+" (name)")
	s, _, _ := startService(t, fmt.Sprintf(`
(defservice narrow)
(defquery by-id (&key (id :int)) "A row or null." (sql/one "select id from %[1]s where id = $1" id))
(defquery by-big (&key (id :bigint)) "A row or null, for a 64-bit id." (sql/one "select id from %[1]s where id = $1" id))
(defaction add (&key (id :int) (name :str)) "Adds a named row." (sql/exec "insert into %[1]s (id, name) values ($1, $2)" id name))`, table),
		host.Options{DB: openPool(t, dbURL)})
	if r := get(t, s.URL+"/internal/data/by-id?id=7"); r.Status != 200 || r.Body != "null" {
		t.Errorf("an unknown id in range: %s, want null", r)
	}
	// :int checks the range itself, naming the parameter.
	wantJSONError(t, get(t, s.URL+"/internal/data/by-id?id=99999999999"), 400, "an id beyond int4", "parameter id", "out of range", "99999999999")
	// A :bigint the column cannot hold: the database's refusal is a 400.
	wantJSONError(t, get(t, s.URL+"/internal/data/by-big?id=99999999999"), 400, "a bigint beyond the int4 column", "bad parameter value", "99999999999")
	// Text too long for the column's index: a 400, not a 500.
	long := make([]byte, 12000)
	rand.Read(long)
	name := hex.EncodeToString(long)
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/add", fmt.Sprintf(`{"id":1,"name":%q}`, name)), 400, "a name over the index size limit", "bad parameter value")
	wantStatus(t, postJSON(t, s.URL+"/internal/actions/add", `{"id":1,"name":"short"}`), 200, "a short name")
}
