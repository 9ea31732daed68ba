package sumupprims_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rose-ash/sxhost/internal/sumupfake"
	sumupprims "github.com/rose-ash/sxhost/prims/sumup"
	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// eval runs src with the SumUp primitives pointed at base.
func eval(t *testing.T, base, src string) *runtime.Dict {
	t.Helper()
	env := stdlib.NewEnv()
	env.DefinePrimitives(sumupprims.Primitives(func(string) string { return base })...)
	th := env.NewThread(context.Background())
	v, err := th.EvalString("t.sx", src)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := v.(*runtime.Dict)
	if !ok {
		t.Fatalf("%s: %v", src, v)
	}
	return d
}

func get(d *runtime.Dict, k string) any { v, _ := d.Get(k); return v }

func fake(t *testing.T) *sumupfake.Server {
	s, err := sumupfake.Start("127.0.0.1:0", sumupfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

const create = `(sumup/create-checkout :api-key "%s" :merchant-code "MTEST0001" :reference "%s"
  :amount (decimal "%s") :currency "GBP" :description "Order" :return-url "http://127.0.0.1:1/hook" :redirect-url "http://127.0.0.1:1/back")`

func TestCreateGetAndErrors(t *testing.T) {
	s := fake(t)
	src := func(key, ref, amount string) string {
		return fmt.Sprintf(create, key, ref, amount)
	}
	c := eval(t, s.URL(), src("sup_sk_test", "order-1", "12.50"))
	if get(c, "status") != "PENDING" || !strings.HasPrefix(get(c, "hosted_checkout_url").(string), s.URL()+"/pay/") ||
		get(c, "amount").(*runtime.Decimal).String() != "12.5" {
		t.Fatalf("create: %v", c)
	}
	id := get(c, "id").(string)
	// The same reference again, same amount: the existing checkout (a retry).
	again := eval(t, s.URL(), src("sup_sk_test", "order-1", "12.50"))
	if get(again, "id") != id || len(s.Checkouts()) != 1 {
		t.Fatalf("a repeated create made another checkout: %v", again)
	}
	// Another amount with that reference is SumUp's duplicate.
	if d := eval(t, s.URL(), src("sup_sk_test", "order-1", "13.00")); get(d, "code") != "duplicate" {
		t.Fatalf("duplicate: %v", d)
	}
	if err := s.SetStatus(id, sumupfake.Paid, false); err != nil {
		t.Fatal(err)
	}
	g := eval(t, s.URL(), `(sumup/get-checkout "sup_sk_test" "`+id+`")`)
	if get(g, "status") != "PAID" || get(g, "transaction_code") == nil {
		t.Fatalf("get: %v", g)
	}
	bad := eval(t, s.URL(), src("sk_live_SECRET123", "order-2", "1.00"))
	if get(bad, "code") != "bad-key" || get(bad, "status") != int64(401) || strings.Contains(runtime.Print(bad), "SECRET123") {
		t.Fatalf("bad key: %v", bad)
	}
	if d := eval(t, s.URL(), src("sup_sk_test", "order-3", "0")); get(d, "code") != "invalid" || get(d, "param") != "amount" ||
		!strings.Contains(get(d, "error").(string), "the amount") {
		t.Fatalf("zero amount: %v", d)
	}
	if d := eval(t, s.URL(), `(sumup/get-checkout "sup_sk_test" "nope")`); get(d, "code") != "not-found" {
		t.Fatalf("unknown checkout: %v", d)
	}
	// Deactivating: a pending checkout expires; a settled one cannot.
	d9 := eval(t, s.URL(), src("sup_sk_test", "order-9", "2.00"))
	id9 := get(d9, "id").(string)
	if d := eval(t, s.URL(), `(sumup/deactivate-checkout "sup_sk_test" "`+id9+`")`); get(d, "status") != "EXPIRED" {
		t.Fatalf("deactivate: %v", d)
	}
	if d := eval(t, s.URL(), `(sumup/deactivate-checkout "sup_sk_test" "`+id+`")`); get(d, "status") != int64(409) {
		t.Fatalf("deactivating a paid checkout: %v", d)
	}
	p := eval(t, s.URL(), `(sumup/merchant-profile "sup_sk_test")`)
	if get(p, "merchant_code") != "MTEST0001" {
		t.Fatalf("profile: %v", p)
	}
}

// A server that fails twice (a 503, then a dropped connection) and then
// answers is retried; one that never answers is "unavailable", without
// the key in the message.
func TestRetriesAndUnavailable(t *testing.T) {
	s := fake(t)
	var n atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := s.Handler()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(503)
		case 2:
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		default:
			target.ServeHTTP(w, r)
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	flaky := "http://" + ln.Addr().String()
	if p := eval(t, flaky, `(sumup/merchant-profile "sup_sk_test")`); get(p, "merchant_code") != "MTEST0001" || n.Load() != 3 {
		t.Fatalf("after retries: %v (%d calls)", p, n.Load())
	}
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln2.Addr().String()
	ln2.Close()
	d := eval(t, dead, `(sumup/get-checkout "sk_live_SECRET123" "x")`)
	if get(d, "code") != "unavailable" || strings.Contains(runtime.Print(d), "SECRET123") {
		t.Fatalf("dead server: %v", d)
	}
}
