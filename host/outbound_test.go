package host_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

const outboundSrc = `
(defservice outbound :env ("API_URL" "API_TOKEN"))
(defquery config (&key (name :str))
  "A configuration value, or the default."
  (env name "unset"))
(defaction call-api (&key (path :str) (method :str "POST"))
  "Calls the configured API with a bearer token and a JSON body."
  (let ((r (http/request method (str (env "API_URL") path)
                         {:headers {:Authorization (str "Bearer " (env "API_TOKEN"))}
                          :json {:hello "world" :n 2}})))
    {:status (get r :status) :json (get r :json) :type (get (get r :headers) "content-type")}))
`

func TestEnvReadsOnlyDeclaredNames(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"API_URL": "http://example.invalid", "HOME": "/secret"}
	s, _, _ := startService(t, outboundSrc, host.Options{Dev: true, Getenv: func(k string) string { return vars[k] }})
	r := get(t, s.URL+"/internal/data/config?name=API_URL")
	if r.Status != 200 || r.Body != `"http://example.invalid"` {
		t.Errorf("declared and set: %s", r)
	}
	if r := get(t, s.URL+"/internal/data/config?name=API_TOKEN"); r.Body != `"unset"` {
		t.Errorf("declared, not set: %s, want the default", r)
	}
	wantJSONError(t, get(t, s.URL+"/internal/data/config?name=HOME"), 500, "an undeclared name", "HOME is not declared")
}

func TestHTTPRequestToAnOutsideAPI(t *testing.T) {
	t.Parallel()
	var gotAuth, gotType, gotBody, gotMethod string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotType, gotMethod = r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Method
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if strings.HasSuffix(r.URL.Path, "/missing") {
			w.WriteHeader(404)
			io.WriteString(w, `{"errors":[{"message":"Resource not found"}]}`)
			return
		}
		io.WriteString(w, `{"posts":[{"id":"abc","title":"T"}]}`)
	}))
	defer api.Close()
	vars := map[string]string{"API_URL": api.URL, "API_TOKEN": "tok"}
	s, _, _ := startService(t, outboundSrc, host.Options{Getenv: func(k string) string { return vars[k] }, OutboundAllow: allowLoopback})

	r := postJSON(t, s.URL+"/internal/actions/call-api", `{"path":"/posts"}`)
	wantStatus(t, r, 200, "a call to the API")
	if !sameJSON(t, r.Body, `{"status":200,"json":{"posts":[{"id":"abc","title":"T"}]},"type":"application/json; charset=utf-8"}`) {
		t.Errorf("answer %s", r.Body)
	}
	if gotMethod != "POST" || gotAuth != "Bearer tok" || gotType != "application/json" {
		t.Errorf("the API saw %s, Authorization %q, Content-Type %q", gotMethod, gotAuth, gotType)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(gotBody), &sent); err != nil || sent["hello"] != "world" || sent["n"] != 2.0 {
		t.Errorf("the API got body %q", gotBody)
	}

	// An HTTP error status is an answer, not a failure.
	r = postJSON(t, s.URL+"/internal/actions/call-api", `{"path":"/missing"}`)
	if !sameJSON(t, r.Body, `{"status":404,"json":{"errors":[{"message":"Resource not found"}]},"type":"application/json; charset=utf-8"}`) {
		t.Errorf("404 answer %s", r.Body)
	}

	// A network failure is an error naming the request, without its query.
	api.Close()
	logger, log := newLogger()
	s, _, _ = startService(t, outboundSrc, host.Options{Logger: logger, Getenv: func(k string) string { return vars[k] }, OutboundAllow: allowLoopback})
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/call-api", `{"path":"/posts?key=secret"}`), 502, "an unreachable API", "bad gateway")
	if l := log.String(); !strings.Contains(l, "http/request POST "+api.URL+"/posts?…") || strings.Contains(l, "secret") {
		t.Errorf("the log should name the request without its query string: %s", l)
	}
}
