package repl_test

// The REPL running services as the host does: against the seeded demo
// database (sxhost seed) and purpose-built services, through the sx binary.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/pgtest"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

var (
	demoOnce sync.Once
	demoURL  string
	demoErr  error
	demoDrop func()
)

// demoDB is a database filled by `sxhost seed` (the migrations and
// seed/demo.sx through the six services), made once per test run.
func demoDB(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		var bin string
		if bin, demoErr = buildSxhost(); demoErr != nil {
			return
		}
		demoURL, demoDrop, demoErr = pgtest.Create("sx_repl_demo")
		if demoErr != nil {
			return
		}
		seed := exec.Command(bin, "seed")
		seed.Dir = ".."
		seed.Env = append(os.Environ(), "DATABASE_URL="+demoURL, "REDIS_URL=")
		if out, err := seed.CombinedOutput(); err != nil {
			demoErr = errors.New("sxhost seed: " + err.Error() + "\n" + string(out))
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoURL
}

var (
	sxhostOnce sync.Once
	sxhostBin  string
	sxhostErr  error
)

// buildSxhost builds the sxhost command once per test run.
func buildSxhost() (string, error) {
	sxhostOnce.Do(func() {
		sxhostBin = filepath.Join(tmpDir, "sxhost")
		build := exec.Command("go", "build", "-o", sxhostBin, "github.com/rose-ash/sxhost/cmd/sxhost")
		if out, err := build.CombinedOutput(); err != nil {
			sxhostErr = errors.New("building sxhost: " + err.Error() + "\n" + string(out))
		}
	})
	return sxhostBin, sxhostErr
}

// execOn runs statements on the database at url over a connection of its
// own.
func execOn(t *testing.T, url string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, s := range stmts {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// valueOn is the first column of the first row of query on url, as text.
func valueOn(t *testing.T, url, query string) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var s string
	if err := c.QueryRow(ctx, query).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

// repoEnv is the environment for sx run from the repository root.
func repoEnv(extra ...string) []string {
	return append([]string{"REDIS_URL="}, extra...)
}

// TestReadmeExample runs the README's REPL example as printed, from the
// repository root against the seeded demo database: the real cart-summary,
// whose (query "events" …) calls reach events, loaded for them.
func TestReadmeExample(t *testing.T) {
	url := demoDB(t)
	out, errOut, code := pipeEnv(t, "..", repoEnv(), ":service cart\n(cart-summary :user-id 3)\n", "--db", url, "--read-only")()
	want := `{:count 3
 :total 4.80m
 :ticket_count 0
 :ticket_total 0.00m
 :entry_count 0
 :entry_total 0.00m
 :grand_total 4.80m}
`
	if out != want || errOut != "" || code != 0 {
		t.Errorf("stdout %q (want %q)\nstderr %q status %d", out, want, errOut, code)
	}
	// The README's text is what the test ran.
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"sx[ro]> :service cart", "sx[ro]> (cart-summary :user-id 3)", " :grand_total 4.80m}"} {
		if !strings.Contains(string(readme), l) {
			t.Errorf("README lacks %q", l)
		}
	}
}

// TestActionFailingHalfwayLeavesDatabase calls account's real
// toggle-subscription, whose upsert succeeds and whose emit-activity then
// fails (a trigger refuses the activity): the upsert must not stay.
func TestActionFailingHalfwayLeavesDatabase(t *testing.T) {
	url := demoDB(t)
	const state = "select coalesce((select subscribed::text from user_newsletters where user_id = 1 and newsletter_id = 2), 'none')"
	before := valueOn(t, url, state)
	execOn(t, url, `create or replace function refuse_activity() returns trigger language plpgsql as
		$$ begin raise exception 'activity refused by the test'; end $$`,
		"create trigger refuse_activity before insert on ap_activities for each row execute function refuse_activity()")
	t.Cleanup(func() {
		execOn(t, url, "drop trigger if exists refuse_activity on ap_activities", "drop function if exists refuse_activity()")
	})
	in := ":service account\n(toggle-subscription :user-id 1 :newsletter-id 2)\n"
	_, errOut, code := pipeEnv(t, "..", repoEnv(), in, "--db", url)()
	if code != 1 || !strings.Contains(errOut, "activity refused by the test") {
		t.Fatalf("stderr %q status %d", errOut, code)
	}
	if after := valueOn(t, url, state); after != before {
		t.Errorf("subscription %s after the failed action, was %s", after, before)
	}
	// Without the trigger the same call changes the subscription: the
	// failure, not the call, left it alone.
	execOn(t, url, "drop trigger refuse_activity on ap_activities")
	out, errOut, code := pipeEnv(t, "..", repoEnv(), in+in, "--db", url)()
	if code != 0 || !strings.Contains(out, "{:subscribed true}") || !strings.Contains(out, "{:subscribed false}") {
		t.Errorf("without the trigger: stdout %q stderr %q status %d", out, errOut, code)
	}
}

// shopServices writes two small services under the platform's names (the
// schema allows only those as an activity's origin): cart, whose buy action
// writes an order and calls market's take action, and market, whose take
// fails after its update when the stock would go negative.
func shopServices(t *testing.T, url string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("services/cart.sx", `(defservice cart :title "Shop")
(defquery stock-of (&key (sku :str)) "The stock of sku, read here." (sql/value "select qty from t_stock where sku = $1" sku))
(defquery both (&key (sku :str)) (gather (fn () (query "market" "level" :sku sku)) (fn () (stock-of :sku sku))))
(defaction buy (&key (sku :str) (qty :int))
  "Orders qty of sku."
  (sql/exec "insert into t_orders (sku, qty) values ($1, $2)" sku qty)
  (action "market" "take" :sku sku :qty qty)
  {:ok true})
(defhandler badge :ttl 60 (&key (sku :str)) (span sku ":" (query "market" "level" :sku sku)))
`)
	write("services/market.sx", `(defservice market)
(defquery level (&key (sku :str)) (sql/value "select qty from t_stock where sku = $1" sku))
(defaction take (&key (sku :str) (qty :int))
  (sql/exec "update t_stock set qty = qty - $2 where sku = $1" sku qty)
  (when (< (level :sku sku) 0) (abort 409 "out of stock"))
  (emit-activity "stock.taken" {:sku sku :qty qty}))
`)
	execOn(t, url, "drop table if exists t_stock, t_orders",
		"create table t_stock (sku text primary key, qty int not null)",
		"create table t_orders (id serial primary key, sku text not null, qty int not null)",
		"insert into t_stock values ('a', 10), ('b', 10)")
	t.Cleanup(func() { execOn(t, url, "drop table if exists t_stock, t_orders") })
	return dir
}

// TestServicesRunAsInTheHost: an action calling another loaded service's
// action commits both writes and its activity, or, failing half-way in the
// callee, neither; gather, frag and its cache work as in the host.
func TestServicesRunAsInTheHost(t *testing.T) {
	url := demoDB(t)
	dir := shopServices(t, url)
	in := `:service cart
(buy :sku "a" :qty 2)
(buy :sku "a" :qty 100)
(both :sku "a")
(frag "cart" "badge" :sku "a")
(sql/exec "update t_stock set qty = 5 where sku = 'a'")
(frag "cart" "badge" :sku "a")
(market/level :sku "a")
(doc buy)
`
	out, errOut, code := pipeEnv(t, dir, repoEnv(), in, "--db", url)()
	for _, want := range []string{
		"{:ok true}\n(8 8)\n(raw! \"<span>a:8</span>\")\n1\n(raw! \"<span>a:8</span>\")\n5\n",
		"(buy &key (sku :str) (qty :int))\n  action, defined at services/cart.sx:4:1\n  Orders qty of sku.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if code != 1 || !strings.Contains(errOut, "services/cart.sx:7:3: out of stock\n  at buy (services/cart.sx:4:1)\n  at <toplevel> (<stdin>:3:1)") || !strings.Contains(errOut, "out of stock") {
		t.Errorf("stderr %q status %d", errOut, code)
	}
	// The failed buy left no order and no stock change; the good one left
	// one order, its stock change and stock's activity.
	if n := valueOn(t, url, "select count(*)::text from t_orders"); n != "1" {
		t.Errorf("%s orders, want 1", n)
	}
	if n := valueOn(t, url, "select count(*)::text from ap_activities where activity_type = 'stock.taken' and origin_app = 'market'"); n != "1" {
		t.Errorf("%s stock.taken activities, want 1", n)
	}
}

// TestReadOnlyRefusesActionsBeforeTheyStart: with --read-only an action,
// loaded or typed, does not begin (its first effect, a print, never
// happens), and queries still run.
func TestReadOnlyRefusesActionsBeforeTheyStart(t *testing.T) {
	url := demoDB(t)
	dir := shopServices(t, url)
	in := `:service cart
(defaction noisy () (println "noisy started") 1)
(noisy)
(buy :sku "a" :qty 1)
(action "cart" "buy" :sku "a" :qty 1)
(stock-of :sku "a")
`
	out, errOut, code := pipeEnv(t, dir, repoEnv(), in, "--db", url, "--read-only")()
	if out != "10\n" || code != 1 {
		t.Errorf("stdout %q status %d", out, code)
	}
	for _, want := range []string{
		"<stdin>:3:1: action repl/noisy: refused: the session is read-only",
		"<stdin>:4:1: action cart/buy: refused",
		"<stdin>:5:1: action cart/buy: refused",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// TestExplicitTransaction: :tx keeps what follows uncommitted until
// :commit or :rollback; an entry failing inside it undoes only itself.
func TestExplicitTransaction(t *testing.T) {
	url := demoDB(t)
	dir := shopServices(t, url)
	in := `:service cart
:tx
(buy :sku "b" :qty 1)
(sql/value "select count(*) from t_orders")
:rollback
(sql/value "select count(*) from t_orders")
:tx
(buy :sku "b" :qty 3)
(buy :sku "b" :qty 100)
(sql/exec "insert into t_orders (sku, qty) values ('b', 1)")
(sql/exec "insert into t_orders (id, sku, qty) select max(id), 'b', 1 from t_orders")
:sql select count(*) as n from t_orders
:commit
:commit
`
	out, errOut, code := pipeEnv(t, dir, repoEnv(), in, "--db", url)()
	want := "{:ok true}\n1\n0\n{:ok true}\n1\n n\n---\n 2\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("stdout %q, want it to start %q", out, want)
	}
	for _, w := range []string{"(<stdin>:9:1)", "out of stock", "duplicate key", ":commit: no transaction is open (:tx begins one)"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if code != 1 {
		t.Errorf("status %d", code)
	}
	if n := valueOn(t, url, "select count(*)::text from t_orders"); n != "2" {
		t.Errorf("%s orders committed, want 2", n)
	}
	if q := valueOn(t, url, "select qty::text from t_stock where sku = 'b'"); q != "7" {
		t.Errorf("stock of b %s, want 7", q)
	}
	// A transaction left open is rolled back at the end, and said so.
	_, errOut, _ = pipeEnv(t, dir, repoEnv(), ":tx\n(sql/exec \"delete from t_orders\")\n", "--db", url)()
	if !strings.Contains(errOut, "the open transaction was rolled back") {
		t.Errorf("stderr %q", errOut)
	}
	if n := valueOn(t, url, "select count(*)::text from t_orders"); n != "2" {
		t.Errorf("%s orders after an abandoned transaction, want 2", n)
	}
}

// TestTransactionPrompt: the prompt shows an open transaction, and
// another connection does not see its writes until :commit.
func TestTransactionPrompt(t *testing.T) {
	url := demoDB(t)
	dir := shopServices(t, url)
	s := startSession(t, dir, []string{"REDIS_URL="}, "--db", url)
	s.prompt()
	s.line(":service cart")
	s.prompt()
	s.line(":tx")
	s.promptText = "sx[tx]> "
	s.prompt()
	s.eval(`(buy :sku "a" :qty 1)`)
	if n := valueOn(t, url, "select count(*)::text from t_orders"); n != "0" {
		t.Errorf("another connection sees %s orders before :commit", n)
	}
	s.line(":commit")
	s.promptText = "sx> "
	s.prompt()
	if n := valueOn(t, url, "select count(*)::text from t_orders"); n != "1" {
		t.Errorf("%s orders after :commit, want 1", n)
	}
	// In a service's environment the prompt names it.
	s.line(":in cart")
	s.promptText = "sx@cart> "
	s.prompt()
	s.line(":tx")
	s.promptText = "sx@cart[tx]> "
	s.prompt()
	s.line(":rollback")
	s.promptText = "sx@cart> "
	s.prompt()
}

// TestRemoteServiceOverHTTP: a service named in SX_URL_<SERVICE> is called
// over HTTP at that address (a running host serving a different market),
// not loaded from the directory.
func TestRemoteServiceOverHTTP(t *testing.T) {
	url := demoDB(t)
	dir := shopServices(t, url)
	remoteFile := filepath.Join(t.TempDir(), "market.sx")
	if err := os.WriteFile(remoteFile, []byte(`(defservice market)
(defquery level (&key (sku :str)) (+ 1000 (sql/value "select qty from t_stock where sku = $1" sku)))
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pool, err := sqlprims.Open(ctx, url, sqlprims.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	p, err := host.New([]string{remoteFile}, host.Options{DB: pool, Secret: "s3cret", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := host.NewServer(p.Service("market"))
	go srv.Serve(ln)
	defer srv.Shutdown()

	env := repoEnv("SX_URL_MARKET=http://"+ln.Addr().String(), "SX_INTERNAL_SECRET=s3cret")
	out, errOut, code := pipeEnv(t, dir, env, ":service cart\n(both :sku \"a\")\n(query \"market\" \"level\" :sku \"b\")\n", "--db", url)()
	if out != "(1010 10)\n1010\n" || errOut != "" || code != 0 {
		t.Errorf("stdout %q stderr %q status %d", out, errOut, code)
	}
	// A wrong secret is refused by the remote host: the call really went
	// over signed HTTP.
	env = repoEnv("SX_URL_MARKET=http://"+ln.Addr().String(), "SX_INTERNAL_SECRET=wrong")
	_, errOut, code = pipeEnv(t, dir, env, ":service cart\n(both :sku \"a\")\n", "--db", url)()
	if code != 1 || !strings.Contains(errOut, "market") {
		t.Errorf("with a wrong secret: stderr %q status %d", errOut, code)
	}
}

// TestInService: :in evaluates in a loaded service's own environment (its
// helpers, its definitions: a query redefined there is what calls reach),
// each entry in one transaction; :in alone goes back.
func TestInService(t *testing.T) {
	url := demoDB(t)
	dir := shopServices(t, url)
	in := `:service cart
:in cart
(stock-of :sku "a")
(defquery stock-of (&key (sku :str)) (list "redefined" sku))
(do (sql/exec "insert into t_orders (sku, qty) values ('z', 1)") (error "boom"))
:in
(stock-of :sku "a")
(sql/value "select count(*) from t_orders")
:in nowhere
`
	out, errOut, code := pipeEnv(t, dir, repoEnv(), in, "--db", url)()
	if out != "10\n(\"redefined\" \"a\")\n0\n" || code != 1 {
		t.Errorf("stdout %q status %d", out, code)
	}
	for _, want := range []string{"<stdin>:5:", "boom", ":in nowhere: no service nowhere is loaded"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Read-only, an action typed in the service's environment is refused
	// before it starts too.
	_, errOut, _ = pipeEnv(t, dir, repoEnv(), ":service cart\n:in cart\n(buy :sku \"a\" :qty 1)\n", "--db", url, "--read-only")()
	if !strings.Contains(errOut, "action cart/buy: refused: the session is read-only") {
		t.Errorf("read-only: %q", errOut)
	}
}
