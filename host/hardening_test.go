package host_test

// Regression tests for the hardening review (issue 9): each fails on the
// code before its fix.

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
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
