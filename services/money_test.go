package services_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/migrations"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

// Prices and totals are exact decimals from the database to the JSON
// answer: 3.20 stays 3.20 (docs/language.md, "Numbers").

// A product priced 3.20 answers 3.20, not 3.2, through /internal/data, and
// its price round-trips through upsert-product whether sent as a number or
// as text.
func TestProductPriceKeepsItsDigits(t *testing.T) {
	t.Parallel()
	e := ctPlatform(t)
	id, _ := ctProduct(t, e, "Cider vinegar", json.Number("3.20"))
	c := query(t, e.market, "product-by-id", "id="+itoa(id))
	wantStatus(t, c, 200)
	if !strings.Contains(c.Body, `"price":3.20,`) {
		t.Errorf("product-by-id answers %s, want the price 3.20", c.Body)
	}
	text, _ := ctProduct(t, e, "Oats", "2.35")
	if c := query(t, e.market, "product-by-id", "id="+itoa(text)); !strings.Contains(c.Body, `"price":2.35,`) {
		t.Errorf("a price sent as text answers %s", c.Body)
	}
	// numeric(12,2) would round 3.205 silently: it is refused instead.
	c = action(t, e.market, "upsert-product", map[string]any{"market-id": e.marketID, "slug": uniq(t),
		"title": "Too precise", "price": json.Number("3.205")})
	wantBadParam(t, c, "price")
	wantError(t, c, 400, "at most two decimals")
}

// Cart lines and totals are exact: 3 × 3.20 is 9.60 and 0.10 + 0.20 is
// 0.30, with both digits, in the cart summary and the order.
func TestCartTotalsAreExact(t *testing.T) {
	t.Parallel()
	e := ctPlatform(t)
	owner := ctUser()
	vinegar, _ := ctProduct(t, e, "Cider vinegar", json.Number("3.20"))
	dime, _ := ctProduct(t, e, "Dime bag", json.Number("0.10"))
	twenty, _ := ctProduct(t, e, "Twenty bag", json.Number("0.20"))
	line := ctAdd(t, e, owner, vinegar, 3)
	if got := line["unit_price"]; got != json.Number("3.20") {
		t.Errorf("line unit_price %v, want 3.20", got)
	}
	ctAdd(t, e, owner, dime, 1)
	ctAdd(t, e, owner, twenty, 1)
	c := query(t, e.cart, "cart-summary", "user-id="+itoa(owner["user-id"].(int64)))
	wantStatus(t, c, 200)
	for _, want := range []string{`"total":9.90`, `"grand_total":9.90`, `"ticket_total":0.00`} {
		if !strings.Contains(c.Body, want) {
			t.Errorf("cart-summary %s lacks %s", c.Body, want)
		}
	}
	o := action(t, e.cart, "create-order", ctWith(owner, "email", "exact@coop.example"))
	wantStatus(t, o, 200)
	if !strings.Contains(o.Body, `"total_amount":9.90`) || !strings.Contains(o.Body, `"line_total":9.60`) {
		t.Errorf("order %s: want total_amount 9.90 and a line_total 9.60", o.Body)
	}
}

// The seed's prices read back exactly as the seed writes them.
func TestSeedPricesRoundTrip(t *testing.T) {
	t.Parallel()
	url, drop, err := pgtest.Create("sx_seed_money")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	ctx := context.Background()
	seedDB, err := host.OpenDatabase(ctx, url, sqlprims.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(seedDB.Close)
	if _, err := migrations.Up(ctx, seedDB, migrations.FS); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, n := range []string{"blog", "market", "cart", "events", "federation", "account"} {
		files = append(files, n+".sx")
	}
	p, err := host.New(files, host.Options{DB: seedDB, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if _, err := p.RunScript(ctx, filepath.Join("..", "seed", "demo.sx"), &out); err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	src, err := os.ReadFile(filepath.Join("..", "seed", "demo.sx"))
	if err != nil {
		t.Fatal(err)
	}
	// (product! "slug" "title" "brand" PRICE top sub) in the seed.
	written := regexp.MustCompile(`\(product! "([^"]+)" "[^"]*" "[^"]*" ([0-9.]+)m `).FindAllStringSubmatch(string(src), -1)
	if len(written) != 6 {
		t.Fatalf("found %d seeded products in the seed, want 6", len(written))
	}
	for _, w := range written {
		var stored string
		if err := seedDB.QueryRow(ctx, "select price::text from products where slug = $1", w[1]).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != w[2] {
			t.Errorf("%s: the seed writes %s, the database holds %s", w[1], w[2], stored)
		}
	}
	// Ben's paid order: 2 × 2.35 + 6.75.
	var total string
	if err := seedDB.QueryRow(ctx, `select o.total_amount::text from orders o join users u on u.id = o.user_id
		where u.slug = 'ben' and exists (select 1 from order_items i where i.order_id = o.id)`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total != "11.45" {
		t.Errorf("ben's order totals %s, want 11.45", total)
	}
}
