package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

// The product scenario's two sides write the same bytes, on names that
// need escaping in text, attributes and JSON (quotes, <, >, &, UTF-8).
func TestProductPageIdentical(t *testing.T) {
	sx, peer := newBenchPair(t, productsSQL(30))
	for i, id := range []int{1, 3, 10, 20, 28, 30, 10, 20} {
		path := "/product/" + strconv.Itoa(id)
		if i%2 == 1 {
			path = "/product-uncached/" + strconv.Itoa(id)
		}
		a, b := serve(t, sx, path), serve(t, peer, path)
		a.body = stripRuntimeTags(a.body)
		if a.status != 200 || b.status != 200 {
			t.Fatalf("GET %s: sx %d, peer %d\n%s\n%s", path, a.status, b.status, a.body, b.body)
		}
		if msg := firstDifference(a.body, b.body); msg != "" {
			t.Fatalf("GET %s: %s", path, msg)
		}
		if id == 10 && (!strings.Contains(string(a.body), "<h1>Widget &quot;10&quot; &lt;Deluxe&gt; &amp; Co</h1>") ||
			!strings.Contains(string(a.body), `"name":"Widget \"10\" \u003cDeluxe> & Co"`)) {
			t.Errorf("GET %s: escaping: %s", path, a.body)
		}
	}
	if a, b := serve(t, sx, "/product/999"), serve(t, peer, "/product/999"); a.status != 404 || b.status != 404 {
		t.Errorf("unknown product: sx %d, peer %d", a.status, b.status)
	}
}

// productsSQL creates bench/http/run's products table with n rows: names
// that need escaping (quotes, <, >, &, UTF-8), numeric(10,2) prices.
func productsSQL(n int) string {
	return `create table products (id integer primary key, name text not null,
		price numeric(10,2) not null, sold integer not null default 0);
		insert into products select i, case when i % 10 = 0 then 'Widget "' || i || '" <Deluxe> & Co'
		                                    when i % 10 = 3 then 'Café ' || i else 'Product ' || i end,
		                            ((i * 7919) % 100000) / 100.0 from generate_series(1, ` + strconv.Itoa(n) + `) i;
		analyze products`
}

// newBenchPair creates a throwaway database with schema, and both servers
// over it, and sets componentsHash as a browser holding sxhost's bundle
// would send it (reset when the test ends).
func newBenchPair(t testing.TB, schema string) (sx, peer *fasthttp.Server) {
	t.Helper()
	url, drop, err := pgtest.Create("sx_httpbench")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(drop)
	ctx := context.Background()
	sxPool, err := openSXPool(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sxPool.Close)
	peerPool, err := openPeerPool(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peerPool.Close)
	if _, err := peerPool.Exec(ctx, schema); err != nil {
		t.Fatal(err)
	}
	if sx, err = newSXServer(t.TempDir(), sxPool, os.Stderr); err != nil {
		t.Fatal(err)
	}
	peer = newPeerServer(peerPool)
	m := hashAttr.FindSubmatch(serve(t, sx, "/hello").body)
	if m == nil {
		t.Fatal("no component bundle hash in /hello")
	}
	componentsHash = string(m[1])
	t.Cleanup(func() { componentsHash = "" })
	return sx, peer
}
