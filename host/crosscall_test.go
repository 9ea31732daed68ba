package host_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// Two services in one process: shop's action calls stock's action, which
// may abort; the outer action may fail after the inner one succeeded.
const (
	shopSrc = `
(defservice shop)
(defaction buy (&key (tag :str) (fail :bool false) (qty :int 1))
  "Writes an order row, takes stock through the stock service, then fails when asked to."
  (sql/exec "insert into %[1]s (tag, what) values ($1, 'order')" tag)
  (let ((r (action "stock" "take" :tag tag :qty qty)))
    (when fail (error "buy failed after taking stock"))
    {:took (get r :took) :seen (query "stock" "count" :tag tag)}))
(defaction pass-on (&key (qty :str))
  "Passes a request's value to stock unchecked."
  (action "stock" "take" :tag "passed" :qty qty))
(defquery wait (&key (ms :int))
  "Waits for stock's nap."
  (query "stock" "nap" :ms ms))
(defquery ask-missing ()
  "Asks stock for a query it does not have."
  (query "stock" "no-such-query"))
(defquery count-of (&key (tag :str))
  "Stock's count for a tag."
  (query "stock" "count" :tag tag))
(defaction relay (&key (url :str))
  "Asks stock to call an outside API."
  (action "stock" "ping-api" :url url))
`
	stockSrc = `
(defservice stock)
(defaction take (&key (tag :str) (qty :int))
  "Writes a stock row; refuses more than 5."
  (sql/exec "insert into %[1]s (tag, what) values ($1, 'stock')" tag)
  (when (> qty 5) (abort 409 (str "only 5 left, asked for " qty)))
  {:took qty})
(defaction ping-api (&key (url :str))
  "Calls an outside API."
  (http/request "GET" url))
(defquery nap (&key (ms :int))
  "Sleeps ms milliseconds in the database."
  (sql/value "select pg_sleep($1::float / 1000)::text" ms))
(defquery count (&key (tag :str))
  "Rows for tag, as this transaction sees them."
  (sql/value "select count(*) from %[1]s where tag = $1" tag))
`
)

func TestCrossServiceActionJoinsTheCallersTransaction(t *testing.T) {
	t.Parallel()
	table := uniqueName("cross")
	execSQL(t, "create table "+table+" (id serial primary key, tag text not null, what text not null)")
	dir := t.TempDir()
	files := []string{
		writeFile(t, dir, "shop.sx", fmt.Sprintf(shopSrc, table)),
		writeFile(t, dir, "stock.sx", fmt.Sprintf(stockSrc, table)),
	}
	p := newPlatform(t, files, host.Options{DB: openPool(t, dbURL), OutboundAllow: allowLoopback})
	shop := serve(t, p.Service("shop"))
	check := directConn(t)

	// Success: both rows commit, and the query inside the action saw the
	// uncommitted rows of both services.
	r := postJSON(t, shop.URL+"/internal/actions/buy", `{"tag":"ok"}`)
	wantStatus(t, r, 200, "a successful cross-service action")
	if !sameJSON(t, r.Body, `{"took":1,"seen":2}`) {
		t.Errorf("answer %s, want took 1 and seen 2", r.Body)
	}
	if n := countRows(t, check, table, "tag = 'ok'"); n != 2 {
		t.Errorf("%d rows committed, want 2", n)
	}

	// The outer action fails after the inner one succeeded: neither row
	// stays.
	wantStatus(t, postJSON(t, shop.URL+"/internal/actions/buy", `{"tag":"late-fail","fail":true}`), 500, "outer failure")
	if n := countRows(t, check, table, "tag = 'late-fail'"); n != 0 {
		t.Errorf("%d rows left after the outer action failed, want 0", n)
	}

	// The inner action aborts: the caller answers with its status and
	// message, and nothing stays.
	wantJSONError(t, postJSON(t, shop.URL+"/internal/actions/buy", `{"tag":"refused","qty":9}`), 409, "inner abort", "only 5 left, asked for 9")
	if n := countRows(t, check, table, "tag = 'refused'"); n != 0 {
		t.Errorf("%d rows left after the inner action aborted, want 0", n)
	}

	// A bad value passed on to the callee is still a bad request, naming
	// the call and the parameter.
	wantJSONError(t, postJSON(t, shop.URL+"/internal/actions/pass-on", `{"qty":"lots"}`), 400, "a bad value passed on", "stock/take", "parameter qty")

	// An outside API failing in the callee is a 502 for the caller too.
	wantJSONError(t, postJSON(t, shop.URL+"/internal/actions/relay", `{"url":"`+deadAddr(t)+`/x"}`), 502, "an outside API failing in the callee", "bad gateway")
}

// The same services in two processes: the callee's answer decides the
// caller's status just as in one process.
func TestCrossProcessCallsKeepTheCalleesStatus(t *testing.T) {
	t.Parallel()
	table := uniqueName("crossproc")
	execSQL(t, "create table "+table+" (id serial primary key, tag text not null, what text not null)")
	dir := t.TempDir()
	pool := openPool(t, dbURL)
	stockLn := listen(t)
	stockURL := "http://" + stockLn.Addr().String()
	stock := newPlatform(t, []string{writeFile(t, dir, "stock.sx", fmt.Sprintf(stockSrc, table))}, host.Options{DB: pool})
	serveOn(t, stock.Service("stock"), stockLn)
	shopP := newPlatform(t, []string{writeFile(t, dir, "shop.sx", fmt.Sprintf(shopSrc, table))},
		host.Options{DB: pool, Remote: map[string]string{"stock": stockURL}})
	shop := serve(t, shopP.Service("shop"))

	wantStatus(t, postJSON(t, shop.URL+"/internal/actions/buy", `{"tag":"remote-ok"}`), 200, "a call to another process")
	wantJSONError(t, postJSON(t, shop.URL+"/internal/actions/buy", `{"tag":"remote-refused","qty":9}`), 409,
		"the callee's 409 over HTTP", "only 5 left, asked for 9")
	wantJSONError(t, postJSON(t, shop.URL+"/internal/actions/pass-on", `{"qty":"lots"}`), 400,
		"the callee's 400 over HTTP", "stock/take", "qty")

	// Another process is its own transaction: the caller's failure after
	// the call does not undo the callee's write (docs/host.md).
	check := directConn(t)
	wantStatus(t, postJSON(t, shop.URL+"/internal/actions/buy", `{"tag":"remote-late","fail":true}`), 500, "failing after the call")
	if n := countRows(t, check, table, "tag = 'remote-late' and what = 'stock'"); n != 1 {
		t.Errorf("the callee's row: %d, want 1 (committed in its own process)", n)
	}

	// A call that outlives the caller's deadline is a 504, as in-process.
	impatient := newPlatform(t, []string{writeFile(t, t.TempDir(), "shop.sx", fmt.Sprintf(shopSrc, table))},
		host.Options{DB: pool, RequestTimeout: 300 * time.Millisecond, Remote: map[string]string{"stock": stockURL}})
	wantJSONError(t, get(t, serve(t, impatient.Service("shop")).URL+"/internal/data/wait?ms=1500"), 504,
		"a remote call past the caller's deadline", "deadline")

	// Asking another process for something it does not define is this
	// side's mistake: a 500 that names nothing to the outside.
	r := get(t, shop.URL+"/internal/data/ask-missing")
	wantJSONError(t, r, 500, "a remote query that does not exist")
	if strings.Contains(r.Body, "no-such-query") {
		t.Errorf("the 500 leaks the callee's answer: %s", r.Body)
	}

	// Arguments too long for a query string are a 400, not a broken call.
	wantJSONError(t, get(t, shop.URL+"/internal/data/count-of?tag="+strings.Repeat("x", 20000)), 400,
		"arguments too long to send", "too long")

	// A callee that does not answer is a bad gateway.
	down := newPlatform(t, []string{writeFile(t, t.TempDir(), "shop.sx", fmt.Sprintf(shopSrc, table))},
		host.Options{DB: pool, Remote: map[string]string{"stock": deadAddr(t)}})
	wantJSONError(t, postJSON(t, serve(t, down.Service("shop")).URL+"/internal/actions/buy", `{"tag":"nobody"}`), 502,
		"a callee that is down", "bad gateway")
}

// deadAddr is an http URL nothing listens on.
func deadAddr(t *testing.T) string {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}
