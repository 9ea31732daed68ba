package host_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// shopService is a service with one of everything. %[1]s is its table.
const shopService = `
(defservice shop :title "Shop" :port 8099)

(defquery echo-types (&key (user-id :int) (ids :ids) (at :datetime) (flag :bool false) (limit :int 20) label)
  "Echoes its parameters, typed."
  {:user-id user-id :next-id (+ user-id 1) :ids ids :ids-sum (reduce + 0 ids)
   :at at :at-type (type-of at) :flag flag :flag-type (type-of flag)
   :limit limit :label label})

(defquery item-count ()
  "How many items there are."
  (sql/value "select count(*) from %[1]s"))

(defaction add-item (&key (name :str) (qty :int 1))
  "Inserts an item and returns the new count."
  (sql/exec "insert into %[1]s (name, qty) values ($1, $2)" name qty)
  {:ok true :name name :qty qty :count (sql/value "select count(*) from %[1]s")})

(defhandler badge (&key (count :int 0) label)
  "A badge with a count."
  (span :class "badge" label ": " (+ count 1)))

(defpage order :path "/orders/<id>/" :params (&key (id :int)) :title "Order" :auth :public
  :content (div :id "order" (str "order " (+ id 1)))
  "One order.")

(defpage home :path "/" :content (div :id "home" "Welcome & more"))

(defroute payment-hook :path "/hooks/pay" :method :post :csrf false (&key (amount :int) ref)
  "A payment webhook."
  {:received amount :doubled (* 2 amount) :ref ref})

(defroute old-place :path "/old" () (redirect "/new"))

(defroute gone-place :path "/gone" () (abort 404 "gone"))

(defroute plain :path "/plain" () "just text")
`

func startShop(t *testing.T, opts host.Options) (*served, string) {
	t.Helper()
	table := uniqueName("items")
	execSQL(t, "create table "+table+" (id serial primary key, name text not null, qty int not null)")
	if opts.DB == nil {
		opts.DB = openPool(t, dbURL)
	}
	s, _, _ := startService(t, fmt.Sprintf(shopService, table), opts)
	return s, table
}

// byName finds the entry named name in a schema list.
func byName(t *testing.T, schema map[string]any, key, name string) map[string]any {
	t.Helper()
	list, ok := schema[key].([]any)
	if !ok {
		t.Fatalf("schema has no list %q: %v", key, schema)
	}
	for _, it := range list {
		if m, ok := it.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	t.Fatalf("schema %s has no %s: %v", key, name, list)
	return nil
}

// paramSpec renders a schema parameter as "name type required default".
func paramSpec(p any) string {
	m := p.(map[string]any)
	s := fmt.Sprintf("%v %v %v", m["name"], m["type"], m["required"])
	if d, ok := m["default"]; ok {
		s += fmt.Sprintf(" default=%v", d)
	}
	return s
}

func paramSpecs(t *testing.T, entry map[string]any) []string {
	t.Helper()
	ps, ok := entry["params"].([]any)
	if !ok {
		t.Fatalf("entry %v has no params list", entry["name"])
	}
	var out []string
	for _, p := range ps {
		out = append(out, paramSpec(p))
	}
	return out
}

func TestSchemaDescribesEveryDefinition(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t, host.Options{})
	r := get(t, s.URL+"/internal/schema")
	wantStatus(t, r, 200, "schema")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	schema := r.Object(t)
	if schema["service"] != "shop" || schema["title"] != "Shop" {
		t.Errorf("service/title = %v/%v, want shop/Shop", schema["service"], schema["title"])
	}
	counts := map[string]int{"queries": 2, "actions": 1, "fragments": 1, "pages": 2, "routes": 4}
	for key, n := range counts {
		if got := len(schema[key].([]any)); got != n {
			t.Errorf("schema lists %d %s, want %d", got, key, n)
		}
	}

	q := byName(t, schema, "queries", "echo-types")
	if q["doc"] != "Echoes its parameters, typed." {
		t.Errorf("echo-types doc = %q", q["doc"])
	}
	wantParams := []string{
		"user-id int true", "ids ids true", "at datetime true",
		"flag bool false default=false", "limit int false default=20", "label string false",
	}
	if got := paramSpecs(t, q); strings.Join(got, "|") != strings.Join(wantParams, "|") {
		t.Errorf("echo-types params\n got %q\nwant %q", got, wantParams)
	}
	if got := paramSpecs(t, byName(t, schema, "queries", "item-count")); len(got) != 0 {
		t.Errorf("item-count params = %q, want none", got)
	}

	a := byName(t, schema, "actions", "add-item")
	if a["doc"] != "Inserts an item and returns the new count." {
		t.Errorf("add-item doc = %q", a["doc"])
	}
	if got, want := paramSpecs(t, a), []string{"name str true", "qty int false default=1"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("add-item params = %q, want %q", got, want)
	}

	f := byName(t, schema, "fragments", "badge")
	if f["doc"] != "A badge with a count." {
		t.Errorf("badge doc = %q", f["doc"])
	}
	if got, want := paramSpecs(t, f), []string{"count int false default=0", "label string false"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("badge params = %q, want %q", got, want)
	}

	pg := byName(t, schema, "pages", "order")
	if pg["path"] != "/orders/<id>/" || pg["method"] != "GET" || pg["auth"] != "public" {
		t.Errorf("order page = %v", pg)
	}
	if pg["doc"] != "One order." {
		t.Errorf("order page doc = %q", pg["doc"])
	}
	if got, want := paramSpecs(t, pg), []string{"id int true"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("order page params = %q, want %q", got, want)
	}
	if home := byName(t, schema, "pages", "home"); home["path"] != "/" {
		t.Errorf("home page = %v", home)
	}

	rt := byName(t, schema, "routes", "payment-hook")
	if rt["method"] != "POST" || rt["doc"] != "A payment webhook." {
		t.Errorf("payment-hook route = %v", rt)
	}
	if got, want := paramSpecs(t, rt), []string{"amount int true", "ref string false"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("payment-hook params = %q, want %q", got, want)
	}
	for _, name := range []string{"old-place", "gone-place", "plain"} {
		if m := byName(t, schema, "routes", name); m["method"] != "GET" {
			t.Errorf("route %s method = %v", name, m["method"])
		}
	}
}

func TestDataCoercesTypedParameters(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t, host.Options{})
	r := get(t, s.URL+"/internal/data/echo-types?user-id=41&ids=1,2,%203&at=2026-03-04T10:00:00%2B02:00&flag=yes&label=hi")
	wantStatus(t, r, 200, "echo-types")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	got := r.Object(t)
	want := map[string]string{
		"user-id": "41", "next-id": "42", "ids": "[1 2 3]", "ids-sum": "6",
		"at": "2026-03-04T08:00:00Z", "at-type": "datetime",
		"flag": "true", "flag-type": "boolean", "limit": "20", "label": "hi",
	}
	for k, w := range want {
		if g := fmt.Sprint(got[k]); g != w {
			t.Errorf("%s = %s, want %s (body %s)", k, g, w, r.Body)
		}
	}
	// Keys keep the dict's order.
	if !strings.HasPrefix(r.Body, `{"user-id":41,"next-id":42,"ids":[1,2,3]`) {
		t.Errorf("body order: %s", r.Body)
	}

	// Defaults give way to given values; false-ish bools are false.
	r = get(t, s.URL+"/internal/data/echo-types?user-id=-1&ids=7&at=2026-01-01T00:00:00Z&flag=0&limit=5")
	wantStatus(t, r, 200, "echo-types with limit")
	got = r.Object(t)
	for k, w := range map[string]string{"next-id": "0", "ids": "[7]", "flag": "false", "limit": "5", "label": "<nil>"} {
		if g := fmt.Sprint(got[k]); g != w {
			t.Errorf("%s = %s, want %s (body %s)", k, g, w, r.Body)
		}
	}
	if _, ok := got["label"]; !ok {
		t.Errorf("label missing from %s; want null", r.Body)
	}
}

func TestActionTakesJSONAndCommits(t *testing.T) {
	t.Parallel()
	s, table := startShop(t, host.Options{})
	r := postJSON(t, s.URL+"/internal/actions/add-item", `{"name":"pear","qty":3}`)
	wantStatus(t, r, 200, "add-item")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	if r.Body != `{"ok":true,"name":"pear","qty":3,"count":1}` {
		t.Errorf("add-item answered %s", r.Body)
	}
	// A default, and a number sent as a string is coerced.
	r = postJSON(t, s.URL+"/internal/actions/add-item", `{"name":"fig"}`)
	wantStatus(t, r, 200, "add-item with default")
	if r.Body != `{"ok":true,"name":"fig","qty":1,"count":2}` {
		t.Errorf("add-item answered %s", r.Body)
	}
	r = postJSON(t, s.URL+"/internal/actions/add-item", `{"name":"plum","qty":"4"}`)
	wantStatus(t, r, 200, "add-item with a string qty")
	c := directConn(t)
	if n := countRows(t, c, table, "name = 'plum' and qty = 4"); n != 1 {
		t.Errorf("plum rows = %d, want 1", n)
	}
	r = get(t, s.URL+"/internal/data/item-count")
	wantStatus(t, r, 200, "item-count")
	if r.Body != "3" {
		t.Errorf("item-count = %s, want 3", r.Body)
	}
}

func TestFragmentHTMLAndWire(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t, host.Options{})
	r := get(t, s.URL+"/internal/fragments/badge?count=4&label=Cart%20%3Citems%3E")
	wantStatus(t, r, 200, "badge")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q, want text/html", ct)
	}
	if r.Body != `<span class="badge">Cart &lt;items&gt;: 5</span>` {
		t.Errorf("badge HTML = %q", r.Body)
	}

	r = get(t, s.URL+"/internal/fragments/badge?count=4&label=Cart", "Accept", "text/sx")
	wantStatus(t, r, 200, "badge as SX")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/sx") {
		t.Errorf("content type %q, want text/sx", ct)
	}
	if !strings.HasPrefix(r.Body, "(span") || !strings.Contains(r.Body, `:class "badge"`) || !strings.Contains(r.Body, "5") || strings.Contains(r.Body, "<span") {
		t.Errorf("badge wire = %q", r.Body)
	}
}

func TestPagesWithPathParameters(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t, host.Options{})
	r := get(t, s.URL+"/orders/41/")
	wantStatus(t, r, 200, "order page")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{"<!doctype html>", "<title>Order</title>", `<div id="order">order 42</div>`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("order page lacks %q: %s", want, r.Body)
		}
	}
	r = get(t, s.URL+"/")
	wantStatus(t, r, 200, "home page")
	for _, want := range []string{"<title>Shop</title>", `<div id="home">Welcome &amp; more</div>`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("home page lacks %q: %s", want, r.Body)
		}
	}
	// The same page in the wire format.
	r = get(t, s.URL+"/orders/1/", "Accept", "text/sx")
	wantStatus(t, r, 200, "order page as SX")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/sx") || !strings.Contains(r.Body, `"order 2"`) {
		t.Errorf("order page as SX: %q %q", ct, r.Body)
	}
	// An ill-typed path segment names the parameter.
	wantJSONError(t, get(t, s.URL+"/orders/abc/"), 400, "order page with a bad id", "id")
	wantStatus(t, get(t, s.URL+"/orders/"), 404, "orders without an id")
}

func TestRoutesWebhookRedirectAbort(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t, host.Options{})
	r := postJSON(t, s.URL+"/hooks/pay", `{"amount": 250, "ref": "tx-1"}`)
	wantStatus(t, r, 200, "webhook")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
	if r.Body != `{"received":250,"doubled":500,"ref":"tx-1"}` {
		t.Errorf("webhook answered %s", r.Body)
	}
	wantJSONError(t, postJSON(t, s.URL+"/hooks/pay", `{"ref": "tx-1"}`), 400, "webhook without amount", "amount")
	wantJSONError(t, postJSON(t, s.URL+"/hooks/pay", `{"amount": "lots"}`), 400, "webhook with a bad amount", "amount")
	wantJSONError(t, postJSON(t, s.URL+"/hooks/pay", `{"amount": 1`), 400, "webhook with malformed JSON")
	wantStatus(t, get(t, s.URL+"/hooks/pay"), 405, "GET of a POST route")

	r = get(t, s.URL+"/old")
	wantStatus(t, r, 303, "redirect")
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/new") {
		t.Errorf("Location = %q, want …/new", loc)
	}

	wantJSONError(t, get(t, s.URL+"/gone"), 404, "abort", "gone")

	r = get(t, s.URL+"/plain")
	wantStatus(t, r, 200, "text route")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || r.Body != "just text" {
		t.Errorf("text route: %q %q", ct, r.Body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t, host.Options{})
	wantStatus(t, get(t, s.URL+"/healthz"), 200, "healthz")
	r := get(t, s.URL+"/readyz")
	wantStatus(t, r, 200, "readyz")

	// Without a database the service is still ready.
	nodb, _, _ := startService(t, `(defservice lone) (defpage p :path "/" :content (p "hi"))`, host.Options{})
	wantStatus(t, get(t, nodb.URL+"/readyz"), 200, "readyz without a database")

	// A database that cannot be reached makes it unready (port 1 refuses;
	// pgxpool connects on first use, so the pool opens).
	dead, _, _ := startService(t, `(defservice dead)`, host.Options{DB: openPool(t, "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=1")})
	wantStatus(t, get(t, dead.URL+"/healthz"), 200, "healthz without its database")
	wantJSONError(t, get(t, dead.URL+"/readyz"), 503, "readyz without its database")
}

// metricLine matches a sample line of the Prometheus text format.
var metricLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? ([-+0-9.eEInfa]+)$`)

// scrape reads /metrics into series "name{labels}" → value, checking every
// line is a comment or a well-formed sample.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	r := get(t, base+"/metrics")
	wantStatus(t, r, 200, "metrics")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("metrics content type %q", ct)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(strings.TrimRight(r.Body, "\n"), "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		m := metricLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("malformed metrics line %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[m[1]+m[2]] = v
	}
	return out
}

func TestMetricsCountRequestsAndSQL(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t, host.Options{})
	before := scrape(t, s.URL)
	sqlBefore := before[`sxhost_sql_duration_seconds_count`]
	for i := 0; i < 3; i++ {
		wantStatus(t, get(t, s.URL+"/internal/data/item-count"), 200, "item-count")
	}
	wantStatus(t, get(t, s.URL+"/internal/data/echo-types"), 400, "echo-types without parameters")
	wantStatus(t, get(t, s.URL+"/orders/7/"), 200, "order page")
	after := scrape(t, s.URL)
	want := map[string]float64{
		`sxhost_requests_total{method="GET",route="/internal/data/{query}",service="shop",status="200"}`: 3,
		`sxhost_requests_total{method="GET",route="/internal/data/{query}",service="shop",status="400"}`: 1,
		`sxhost_requests_total{method="GET",route="/orders/<id>/",service="shop",status="200"}`:          1,
		`sxhost_requests_total{method="GET",route="/metrics",service="shop",status="200"}`:               1,
	}
	for series, n := range want {
		if got, ok := after[series]; !ok || got != n {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, n)
		}
	}
	hist := `sxhost_request_duration_seconds_count{method="GET",route="/internal/data/{query}",service="shop",status="200"}`
	if after[hist] != 3 {
		t.Errorf("%s = %v, want 3", hist, after[hist])
	}
	inf := `sxhost_request_duration_seconds_bucket{method="GET",route="/internal/data/{query}",service="shop",status="200",le="+Inf"}`
	if after[inf] != 3 {
		t.Errorf("%s = %v, want 3", inf, after[inf])
	}
	if got := after[`sxhost_sql_duration_seconds_count`]; got < sqlBefore+3 {
		t.Errorf("SQL statements timed: %v before, %v after three queries", sqlBefore, got)
	}
	if after[`sxhost_sql_duration_seconds_sum`] <= 0 {
		t.Errorf("SQL duration sum is %v", after[`sxhost_sql_duration_seconds_sum`])
	}
}

func TestStaticFilesBesideTheService(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeFile(t, dir, "site.sx", `(defservice site) (defpage p :path "/" :content (p "hi"))`)
	writeFile(t, dir, "static/app.css", "body { color: red }\n")
	writeFile(t, dir, "static/img/logo.svg", "<svg></svg>")
	p := newPlatform(t, []string{file}, host.Options{})
	s := serve(t, p.Services()[0])

	r := get(t, s.URL+"/static/app.css")
	wantStatus(t, r, 200, "app.css")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") || r.Body != "body { color: red }\n" {
		t.Errorf("app.css: %q %q", ct, r.Body)
	}
	r = get(t, s.URL+"/static/img/logo.svg")
	wantStatus(t, r, 200, "logo.svg")
	if r.Body != "<svg></svg>" {
		t.Errorf("logo.svg = %q", r.Body)
	}
	if r := get(t, s.URL+"/static/missing.css"); r.Status != 404 {
		t.Errorf("missing file: %s", r)
	}
	// The service's own source beside static/ is not reachable.
	for _, path := range []string{"/static/../site.sx", "/static/..%2fsite.sx", "/static/%2e%2e/site.sx"} {
		r, err := tryDo("GET", s.URL+path, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if strings.Contains(r.Body, "defservice") {
			t.Errorf("GET %s served the service source: %s", path, r)
		}
	}
	// A service without a static directory has no /static/ route.
	bare, _, _ := startService(t, `(defservice bare)`, host.Options{})
	wantStatus(t, get(t, bare.URL+"/static/app.css"), 404, "static without a directory")
	// Files appear without a restart.
	if err := os.WriteFile(filepath.Join(dir, "static", "late.js"), []byte("1;"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := get(t, s.URL+"/static/late.js"); r.Status != 200 || r.Body != "1;" {
		t.Errorf("late.js: %s", r)
	}
}
