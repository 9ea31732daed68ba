package host_test

import (
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

// directTypesService has defqueries the host answers without evaluating
// them (a body of one sql/one or sql/rows whose arguments are parameters or
// constants) over a table of every column type the decoder knows, and two
// three it must evaluate.
const directTypesService = `(defservice directq)

(defquery dq-one (&key (id :int))
  "One row of every type."
  (sql/one "select * from directq_types where id = $1" id))

(defquery dq-rows (&key (from :int 0) (limit :int 10))
  "Rows from an id on."
  (sql/rows "select * from directq_types where id >= $1 order by id limit $2" from limit))

(defquery dq-by-text (&key (t :str))
  (sql/rows "select id, t from directq_types where t = $1 order by id" t))

(defquery dq-by-price (&key (n :decimal))
  (sql/rows "select id, n from directq_types where n = $1 order by id" n))

(defquery dq-by-day (&key (d :date) (at :datetime nil))
  (sql/rows "select id, d, $2::timestamptz as at from directq_types where d = $1 order by id" d at))

(defquery dq-optional (&key q (flag :bool false) (x :float nil))
  (sql/one "select $1::text as q, $2::bool as flag, $3::float8 as x" q flag x))

(defquery dq-ids (&key (ids :ids))
  (sql/rows "select id from directq_types where id = any($1) order by id" ids))

(defquery dq-constants ()
  (sql/one "select $1::int as a, $2::text as b, $3::bool as c, $4::text as d" 7 "x<y>" true nil))

(defquery dq-duplicate-names ()
  (sql/rows "select 1 as a, 2 as a, 3 as b union all select 4, 5, 6"))

(defquery dq-wide ()
  (sql/one "select 1 as c1, 2 as c2, 3 as c3, 4 as c4, 5 as c5, 6 as c6, 7 as c7, 8 as c8, 9 as c9, 'ten' as c10"))

(defquery dq-none ()
  (sql/rows "select 1 as a where false"))

(defquery dq-broken ()
  (sql/one "select no_such_column from directq_types"))

(defquery dq-evaluated (&key (id :int))
  "Two forms: evaluated."
  (let ((row (sql/one "select id from directq_types where id = $1" id)))
    row))

(defquery dq-default-expression (&key (limit :int (+ 1 1)))
  "A default that is not a constant: evaluated."
  (sql/rows "select id from directq_types order by id limit $1" limit))

(defquery dq-cached :cache 30 (&key (id :int))
  "Cached: evaluated, its result kept."
  (sql/one "select id from directq_types where id = $1" id))
`

const directTypesTable = `create table if not exists directq_types (
  id integer primary key, i2 smallint, i8 bigint, f4 real, f8 double precision, b boolean,
  t text, v varchar(20), c char(3), n numeric(10,2), nw numeric, nbig numeric, nnan numeric,
  d date, ts timestamptz, tsn timestamp, j jsonb, arr integer[], u uuid, e text)`

const directTypesRows = `insert into directq_types values
  (1, 2, 9000000000, 1.5, 2.25, true, 'plain', 'v', 'abc', 3.20, 42, 123456789012345678901234567890.5, 'NaN',
   '2026-12-06', '2026-12-06 10:11:12.345678+00', '2026-12-06 10:11:12', '{"b": [1, 2.50, "x"], "a": null}',
   '{1,2,3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', null),
  (2, -2, -1, -0.5, 1e300, false, E'esc "q" \\ <a&b> \u2028 \t\n é', '', 'x', -0.05, 0, 0.00, 1,
   '1999-01-01', '1999-01-01 00:00:00+00', '1999-01-01 00:00:00', '[]', '{}', null, 'e'),
  (3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null),
  (4, 0, 0, 0, 0, true, 'plain', 'w', 'z', 3.20, 7, 1, 2, '2026-12-06', null, null, '1', '{-1}', null, null)
  on conflict do nothing`

// errorID hides the error id, which differs between any two answers.
var errorID = regexp.MustCompile(`"error_id":"[^"]*"`)

// answer is what a client sees of a data call.
type answer struct {
	Status                  int
	ContentType, Kind, Body string
}

func callBoth(t *testing.T, base, name string, q url.Values) (direct, evaluated answer) {
	t.Helper()
	u := base + "/internal/data/" + name
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	for _, on := range []bool{true, false} {
		host.SetDirectQueries(on)
		r := get(t, u)
		a := answer{r.Status, r.Header.Get("Content-Type"), r.Header.Get("X-Sx-Error"), errorID.ReplaceAllString(r.Body, `"error_id":"…"`)}
		if on {
			direct = a
		} else {
			evaluated = a
		}
	}
	host.SetDirectQueries(true)
	return direct, evaluated
}

// TestDirectQueriesMatchEvaluated answers every call both ways — the
// direct path (a defquery of one statement, run without evaluating its
// body) and the evaluator — and requires the same status, headers and
// bytes: every column type the decoder reads, NULLs, escaping, repeated
// column names, a row wider than a small dict, no rows, parameters of each
// type, constants, defaults, missing and malformed arguments (400), a value
// the column refuses (400) and a failing statement (500).
func TestDirectQueriesMatchEvaluated(t *testing.T) {
	execSQL(t, directTypesTable, directTypesRows)
	s, p, _ := startService(t, directTypesService, host.Options{DB: openPool(t, dbURL)})
	defer host.SetDirectQueries(true)
	want := []string{"dq-broken", "dq-by-day", "dq-by-price", "dq-by-text", "dq-constants", "dq-duplicate-names",
		"dq-ids", "dq-none", "dq-one", "dq-optional", "dq-rows", "dq-wide"}
	if got := p.Services()[0].DirectQueries(); !reflect.DeepEqual(got, want) {
		t.Fatalf("direct queries: %v, want %v", got, want)
	}
	v := func(kv ...string) url.Values {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	calls := []struct {
		name string
		q    url.Values
		// status is what the answer must be, so that a case cannot pass by
		// failing both ways alike when it means to succeed
		status int
	}{
		{"dq-one", v("id", "1"), 200},
		{"dq-one", v("id", "2"), 200},
		{"dq-one", v("id", "3"), 200},
		{"dq-one", v("id", "99"), 200},
		{"dq-one", v("id", " 4 "), 0},
		{"dq-one", nil, 400},
		{"dq-one", v("id", "abc"), 400},
		{"dq-one", v("id", ""), 400},
		{"dq-one", v("id", "1.5"), 400},
		{"dq-one", v("id", "99999999999"), 400},
		{"dq-rows", nil, 200},
		{"dq-rows", v("from", "2", "limit", "2"), 200},
		{"dq-rows", v("limit", "x"), 400},
		{"dq-by-text", v("t", "plain"), 200},
		{"dq-by-text", v("t", "nothing"), 200},
		{"dq-by-text", v("t", "a\x00b"), 400},
		{"dq-by-text", v("t", "   "), 400},
		{"dq-by-price", v("n", "3.20"), 200},
		{"dq-by-price", v("n", "3.2"), 200},
		{"dq-by-price", v("n", "-0.05"), 200},
		{"dq-by-price", v("n", "1e400"), 0},
		{"dq-by-price", v("n", "three"), 400},
		{"dq-by-day", v("d", "2026-12-06", "at", "2026-12-06T10:00:00+02:00"), 200},
		{"dq-by-day", v("d", "2026-12-06"), 200},
		{"dq-by-day", v("d", "06/12/2026"), 400},
		{"dq-optional", nil, 200},
		{"dq-optional", v("q", "text", "flag", "true", "x", "2.5"), 200},
		{"dq-optional", v("q", `{"a": [1, 2]}`), 0},
		{"dq-optional", v("flag", "maybe"), 400},
		{"dq-ids", v("ids", "1,2,3"), 200},
		{"dq-ids", v("ids", "1,x"), 400},
		{"dq-constants", nil, 200},
		{"dq-duplicate-names", nil, 200},
		{"dq-wide", nil, 200},
		{"dq-none", nil, 200},
		{"dq-broken", nil, 500},
		{"dq-evaluated", v("id", "1"), 200},
		{"dq-cached", v("id", "1"), 200},
		{"dq-default-expression", nil, 200},
		{"dq-nonesuch", nil, 404},
	}
	for _, c := range calls {
		direct, evaluated := callBoth(t, s.URL, c.name, c.q)
		if direct != evaluated {
			t.Errorf("%s?%s:\ndirect    %+v\nevaluated %+v", c.name, c.q.Encode(), direct, evaluated)
		}
		if c.status != 0 && direct.Status != c.status {
			t.Errorf("%s?%s: status %d, want %d: %s", c.name, c.q.Encode(), direct.Status, c.status, direct.Body)
		}
	}
	// A POST's JSON body takes the same way.
	for _, body := range []string{`{"id": 1}`, `{"id": "1"}`, `{}`, `{"id": null}`, `[1]`} {
		var got [2]response
		for i, on := range []bool{true, false} {
			host.SetDirectQueries(on)
			got[i] = postJSON(t, s.URL+"/internal/data/dq-one", body)
		}
		host.SetDirectQueries(true)
		if got[0].Status != got[1].Status || errorID.ReplaceAllString(got[0].Body, "") != errorID.ReplaceAllString(got[1].Body, "") {
			t.Errorf("POST %s: direct %v, evaluated %v", body, got[0], got[1])
		}
	}
}

// TestDirectQueriesOfTheServices calls every defquery of services/*.sx that
// the host answers directly, with arguments of their declared types (and
// without any, and malformed), both ways, over the migrated schema.
func TestDirectQueriesOfTheServices(t *testing.T) {
	files, err := filepath.Glob("../services/*.sx")
	if err != nil || len(files) == 0 {
		t.Fatalf("services: %v %v", files, err)
	}
	p := newPlatform(t, files, host.Options{DB: openPool(t, dbURL)})
	defer host.SetDirectQueries(true)
	args := map[string][]string{
		"int": {"1", "x", "99999999999"}, "str": {"someone@example.com", ""}, "string": {"x"},
		"ids": {"1,2", "1,x"}, "date": {"2026-12-06", "2026-13-40"}, "datetime": {"2026-12-06T10:00:00Z"},
		"bool": {"true"}, "decimal": {"1.50"}, "": {"x"},
	}
	n := 0
	for _, svc := range p.Services() {
		direct := svc.DirectQueries()
		if len(direct) == 0 {
			continue
		}
		s := serve(t, svc)
		for _, name := range direct {
			d := svc.Env().Definition("query", name)
			calls := []url.Values{nil}
			for _, prm := range d.Params {
				vals, ok := args[prm.Type]
				if !ok {
					t.Fatalf("%s: no test arguments for a parameter of type %q", name, prm.Type)
				}
				for _, a := range vals {
					// This parameter so, the others at their first value.
					q := url.Values{}
					for _, o := range d.Params {
						q.Set(o.Name, args[o.Type][0])
					}
					q.Set(prm.Name, a)
					calls = append(calls, q)
				}
			}
			for _, q := range calls {
				n++
				direct, evaluated := callBoth(t, s.URL, name, q)
				if direct != evaluated {
					t.Errorf("%s/%s?%s:\ndirect    %+v\nevaluated %+v", svc.Name, name, q.Encode(), direct, evaluated)
				}
				if direct.Status == 500 && !strings.Contains(direct.Body, "error_id") {
					t.Errorf("%s/%s: %+v", svc.Name, name, direct)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d calls to the services' direct queries", n)
	}
}

// TestDirectQueriesBeforeTheRouter: a direct query is found before the
// router, which must change nothing a caller sees: the internal check
// (unsigned calls refused), the request's metrics route, the SQL timer,
// and a page or route under /internal/data/ still taking its path.
func TestDirectQueriesBeforeTheRouter(t *testing.T) {
	src := `(defservice early)
(defquery special (&key (id :int)) (sql/one "select $1::int as id" id))
`
	pool := openPool(t, dbURL)
	s, p, _ := startService(t, src, host.Options{Secret: "early-secret", DB: pool})
	if got := p.Services()[0].DirectQueries(); !reflect.DeepEqual(got, []string{"special"}) {
		t.Fatalf("direct queries: %v", got)
	}
	wantJSONError(t, get(t, s.URL+"/internal/data/special?id=1"), 403, "an unsigned direct query")

	s, _, _ = startService(t, src, host.Options{DB: pool})
	before := scrape(t, s.URL)
	for i := 0; i < 2; i++ {
		if r := get(t, s.URL+"/internal/data/special?id=5"); r.Status != 200 || r.Body != `{"id":5}` {
			t.Fatalf("direct query: %s", r)
		}
	}
	wantStatus(t, get(t, s.URL+"/internal/data/special/?id=5"), 301, "a trailing slash (the router's redirect)")
	after := scrape(t, s.URL)
	series := `sxhost_requests_total{method="GET",route="/internal/data/{query}",service="early",status="200"}`
	if after[series] != 2 {
		t.Errorf("%s = %v, want 2", series, after[series])
	}
	if sql := `sxhost_sql_duration_seconds_count`; after[sql] < before[sql]+2 {
		t.Errorf("SQL statements timed: %v before, %v after two queries", before[sql], after[sql])
	}

	// A route of the service's own under /internal/data/ keeps its path.
	s, _, _ = startService(t, src+`(defroute special-route :path "/internal/data/special" () "the route")`, host.Options{DB: pool})
	if r := get(t, s.URL+"/internal/data/special?id=5"); r.Status != 200 || r.Body != "the route" {
		t.Errorf("a route under /internal/data/: %s", r)
	}
}
