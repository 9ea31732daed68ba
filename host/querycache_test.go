package host_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// cachedShopService caches a query and changes its table four ways: an action, an
// action that reads back through the cached query, a route's statement
// outside any action, and sql/transaction.
const cachedShopService = `
(defservice shop)

(defquery item-name :cache 60 (&key (id :int))
  "The item's name, kept for a minute."
  (sql/value "select name from %[1]s where id = $1" id))

(defquery item-brief :cache 1 (&key (id :int))
  "The item's name, kept for a second."
  (sql/value "select name from %[1]s where id = $1" id))

(defpage item :path "/item/<id>" :params ((id :int))
  :content (p :class "name" (item-name :id id)))

(defpage brief :path "/brief/<id>" :params ((id :int))
  :content (p :class "name" (item-brief :id id)))

(defaction rename (&key (id :int) (name :str))
  "Renames an item."
  (sql/exec "update %[1]s set name = $2 where id = $1" id name))

(defaction rename-and-read (&key (id :int) (name :str))
  "Renames an item and reads the name back through the cached query."
  (sql/exec "update %[1]s set name = $2 where id = $1" id name)
  {:read (item-name :id id)})

(defroute rename-raw :path "/raw/<id>" :method :post :csrf false (&key (id :int) (name :str))
  (sql/exec "update %[1]s set name = $2 where id = $1" id name)
  "ok")

(defroute rename-tx :path "/tx/<id>" :method :post :csrf false (&key (id :int) (name :str))
  (sql/transaction (fn () (sql/exec "update %[1]s set name = $2 where id = $1" id name)))
  "ok")
`

var nameRE = regexp.MustCompile(`<p class="name">([^<]*)</p>`)

// TestQueryCache: a defquery with :cache runs once for a page and the
// pages after it (a change made behind the process's back does not show
// until the TTL), and every write the process makes — an action, a route's
// statement, sql/transaction — shows on the very next request; an action
// reads its own write through the cached query.
func TestQueryCache(t *testing.T) {
	// Not parallel: writes of tests running beside it would empty the
	// cache, which the "stale" checks below rely on not happening.
	table := uniqueName("shop")
	execSQL(t, "create table "+table+" (id int primary key, name text not null)",
		"insert into "+table+" values (1, 'one'), (2, 'two')")
	s, _, _ := startService(t, fmt.Sprintf(cachedShopService, table), host.Options{DB: openPool(t, dbURL)})
	page := func(path string) string {
		t.Helper()
		r := get(t, s.URL+path)
		wantStatus(t, r, 200, path)
		m := nameRE.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("%s: no name in %q", path, r.Body)
		}
		return m[1]
	}
	data := func(id int) string {
		t.Helper()
		r := get(t, s.URL+"/internal/data/item-name?id="+strconv.Itoa(id))
		wantStatus(t, r, 200, "item-name over HTTP")
		return strings.Trim(r.Body, `"`)
	}
	behindTheBack := func(name string) {
		t.Helper()
		execSQL(t, fmt.Sprintf("update %s set name = '%s' where id = 1", table, name))
	}
	hits := func() float64 { return cacheCount(t, s.URL, "query", "hit") }

	if got := page("/item/1"); got != "one" {
		t.Fatalf("first page: %q, want one", got)
	}
	if got := data(1); got != "one" {
		t.Fatalf("first query over HTTP: %q, want one", got)
	}
	before := hits()
	behindTheBack("changed by psql")
	if got := page("/item/1"); got != "one" {
		t.Errorf("a cached page showed %q: the query ran again", got)
	}
	if got := data(1); got != "one" {
		t.Errorf("a cached query over HTTP answered %q: it ran again", got)
	}
	if h := hits(); h < before+2 {
		t.Errorf("query cache hits went from %v to %v, want +2", before, h)
	}
	if got := page("/item/2"); got != "two" {
		t.Errorf("another id: %q, want two (arguments are part of the key)", got)
	}

	wantStatus(t, postJSON(t, s.URL+"/internal/actions/rename", `{"id":1,"name":"by action"}`), 200, "rename")
	if got := page("/item/1"); got != "by action" {
		t.Errorf("after the action the page shows %q, want the new name", got)
	}
	if got := data(1); got != "by action" {
		t.Errorf("after the action the query answers %q, want the new name", got)
	}

	r := postJSON(t, s.URL+"/internal/actions/rename-and-read", `{"id":1,"name":"read back"}`)
	wantStatus(t, r, 200, "rename-and-read")
	if r.Body != `{"read":"read back"}` {
		t.Errorf("an action reading through the cached query got %s, want its own write", r.Body)
	}
	if got := page("/item/1"); got != "read back" {
		t.Errorf("after rename-and-read the page shows %q", got)
	}

	for _, w := range []struct{ path, name string }{{"/raw/1", "by route"}, {"/tx/1", "by sql/transaction"}} {
		r := do(t, "POST", s.URL+w.path+"?name="+strings.ReplaceAll(w.name, " ", "+"), nil)
		wantStatus(t, r, 200, w.path)
		if got := page("/item/1"); got != w.name {
			t.Errorf("after %s the page shows %q, want %q", w.path, got, w.name)
		}
	}

	// A change behind the process's back shows after the TTL.
	if got := page("/brief/1"); got != "by sql/transaction" {
		t.Fatalf("brief: %q", got)
	}
	behindTheBack("after a second")
	time.Sleep(1100 * time.Millisecond)
	if got := page("/brief/1"); got != "after a second" {
		t.Errorf("after its 1 s TTL the query answered %q", got)
	}
}

// cacheCount reads sxhost_cache_lookups_total{kind,result} from /metrics.
func cacheCount(t *testing.T, base, kind, result string) float64 {
	t.Helper()
	r := get(t, base+"/metrics")
	wantStatus(t, r, 200, "/metrics")
	re := regexp.MustCompile(`(?m)^sxhost_cache_lookups_total\{kind="` + kind + `",result="` + result + `"\} (\S+)$`)
	m := re.FindStringSubmatch(r.Body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("metric value %q", m[1])
	}
	return v
}

// TestQueryCacheOption: :cache belongs on queries, in whole seconds.
func TestQueryCacheOption(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ src, want string }{
		{`(defaction a :cache 5 () (sql/exec "select 1"))`, "only a defquery can have :cache"},
		{`(defquery q :cache 0 () 1)`, ":cache must be a whole number of seconds"},
		{`(defquery q :cache "5" () 1)`, ":cache must be a whole number of seconds"},
	} {
		file := filepath.Join(t.TempDir(), "svc.sx")
		if err := os.WriteFile(file, []byte(c.src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := host.New([]string{file}, host.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.src, err, c.want)
		}
	}
}
