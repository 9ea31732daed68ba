package services_test

import (
	"net/url"
	"testing"
)

// Every fixture of these tests lives in a market place made for the test,
// with slugs from uniq, so tests sharing the database never see each other.

// marketPlatform serves market with blog (marketplaces-for-container calls
// blog's get-children).
func marketPlatform(t *testing.T) (market, blog string) {
	t.Helper()
	urls := platform(t, "market", "blog")
	return urls["market"], urls["blog"]
}

// marketNew creates a market place through upsert-marketplace.
func marketNew(t *testing.T, m string) (id int64, slug string) {
	t.Helper()
	slug = uniq(t)
	mp := wantObj(t, action(t, m, "upsert-marketplace", map[string]any{"slug": slug, "name": "Market " + slug}))
	return num(t, mp["id"]), slug
}

// marketProduct upserts a product and returns it.
func marketProduct(t *testing.T, m string, fields map[string]any) map[string]any {
	t.Helper()
	c := action(t, m, "upsert-product", fields)
	wantStatus(t, c, 200)
	return wantObj(t, c)
}

// marketIDs is the "id" of each object of a JSON array.
func marketIDs(t *testing.T, rows []any) []int64 {
	t.Helper()
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = num(t, r.(map[string]any)["id"])
	}
	return out
}

func marketSameIDs(t *testing.T, what string, got []int64, want ...int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: ids %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: ids %v, want %v", what, got, want)
		}
	}
}

func TestMarketSchema(t *testing.T) {
	m, _ := marketPlatform(t)
	all := checkSchema(t, m, "market",
		[]string{"marketplace-by-id", "marketplace-by-slug", "marketplaces-by-ids", "marketplaces-for-container",
			"nav-tree", "product-by-id", "product-by-slug", "products-by-ids", "products-for-market",
			"brands-for-market", "listings-for-category", "admin-markets", "admin-products",
			// the public pages' cached reads (market/pages.sx)
			"market-directory", "public-market", "public-categories"},
		[]string{"upsert-marketplace", "ensure-nav-top", "ensure-nav-sub", "upsert-product", "upsert-products",
			"delete-product", "list-product", "unlist-product",
			// the admin (market/admin.sx)
			"market-save", "market-set-listed", "category-save", "category-delete", "product-save",
			"product-set-listed", "import-catalogue", "sync-products"})
	// The contract other services rely on: marketplaces-by-ids takes ids.
	params, _ := all["marketplaces-by-ids"]["params"].([]any)
	if len(params) != 1 || params[0].(map[string]any)["name"] != "ids" || params[0].(map[string]any)["required"] != true {
		t.Fatalf("marketplaces-by-ids params: %v", params)
	}
}

func TestMarketMarketplaces(t *testing.T) {
	m, _ := marketPlatform(t)
	slug := uniq(t)
	mp := wantObj(t, action(t, m, "upsert-marketplace", map[string]any{"slug": slug, "name": "Suma", "description": "Wholesale"}))
	id := num(t, mp["id"])
	if mp["slug"] != slug || mp["name"] != "Suma" || mp["description"] != "Wholesale" {
		t.Fatalf("upsert-marketplace: %v", mp)
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if _, ok := mp[k]; !ok {
			t.Errorf("market place lacks %s", k)
		}
	}

	// Upserting the same data is a no-op: same row, updated_at unchanged.
	again := wantObj(t, action(t, m, "upsert-marketplace", map[string]any{"slug": slug, "name": "Suma", "description": "Wholesale"}))
	if num(t, again["id"]) != id || again["updated_at"] != mp["updated_at"] {
		t.Fatalf("upsert again: %v vs %v", again, mp)
	}
	// New data replaces the old; an omitted description is cleared.
	renamed := wantObj(t, action(t, m, "upsert-marketplace", map[string]any{"slug": slug, "name": "Suma Two"}))
	if num(t, renamed["id"]) != id || renamed["name"] != "Suma Two" || renamed["description"] != nil ||
		renamed["updated_at"] == mp["updated_at"] {
		t.Fatalf("rename: %v", renamed)
	}
	if n := scalar[int64](t, "select count(*) from market_places where slug = $1", slug); n != 1 {
		t.Fatalf("%d market places for one slug", n)
	}

	got := wantObj(t, query(t, m, "marketplace-by-id", "id="+itoa(id)))
	if got["slug"] != slug || got["name"] != "Suma Two" {
		t.Fatalf("marketplace-by-id: %v", got)
	}
	got = wantObj(t, query(t, m, "marketplace-by-slug", "slug="+url.QueryEscape(slug)))
	if num(t, got["id"]) != id {
		t.Fatalf("marketplace-by-slug: %v", got)
	}

	other, _ := marketNew(t, m)
	gone, goneSlug := marketNew(t, m)
	exec(t, "update market_places set deleted_at = now() where id = $1", gone)

	rows := wantArr(t, query(t, m, "marketplaces-by-ids",
		"ids="+itoa(other)+","+itoa(gone)+",987654321,"+itoa(id)))
	marketSameIDs(t, "marketplaces-by-ids", marketIDs(t, rows), other, id)
	rows = wantArr(t, query(t, m, "marketplaces-by-ids", "ids="+url.QueryEscape("["+itoa(id)+","+itoa(other)+"]")))
	marketSameIDs(t, "marketplaces-by-ids JSON", marketIDs(t, rows), id, other)
	if rows := wantArr(t, query(t, m, "marketplaces-by-ids", "ids=987654321,99999999999")); len(rows) != 0 {
		t.Fatalf("unknown ids: %v", rows)
	}

	wantNull(t, query(t, m, "marketplace-by-id", "id=987654321"))
	wantBadParam(t, query(t, m, "marketplace-by-id", "id=99999999999"), "id") // beyond :int (32 bits)
	wantNull(t, query(t, m, "marketplace-by-id", "id="+itoa(gone)))
	wantNull(t, query(t, m, "marketplace-by-slug", "slug="+url.QueryEscape(goneSlug)))
	wantNull(t, query(t, m, "marketplace-by-slug", "slug=markettest-nope"))

	// A deleted market's slug can be taken by a new market place.
	reborn := wantObj(t, action(t, m, "upsert-marketplace", map[string]any{"slug": goneSlug, "name": "Again"}))
	if num(t, reborn["id"]) == gone {
		t.Fatalf("upsert revived the deleted market place: %v", reborn)
	}

	wantBadParam(t, query(t, m, "marketplace-by-id", ""), "id")
	wantBadParam(t, query(t, m, "marketplace-by-id", "id=x"), "id")
	wantBadParam(t, query(t, m, "marketplace-by-slug", ""), "slug")
	wantBadParam(t, query(t, m, "marketplaces-by-ids", ""), "ids")
	wantBadParam(t, query(t, m, "marketplaces-by-ids", "ids=1,x"), "ids")
	wantBadParam(t, action(t, m, "upsert-marketplace", map[string]any{"name": "No slug"}), "slug")
	wantBadParam(t, action(t, m, "upsert-marketplace", map[string]any{"slug": "  ", "name": "Blank"}), "slug")
	wantBadParam(t, action(t, m, "upsert-marketplace", map[string]any{"slug": uniq(t), "name": ""}), "name")
}

func TestMarketMarketplacesForContainer(t *testing.T) {
	m, b := marketPlatform(t)
	first, _ := marketNew(t, m)
	second, _ := marketNew(t, m)
	gone, _ := marketNew(t, m)
	exec(t, "update market_places set deleted_at = now() where id = $1", gone)
	page := 800000000 + first // a container id no other test uses

	attach := func(child int64, sortOrder int, childType string) {
		wantObj(t, action(t, b, "attach-child", map[string]any{"parent-type": "page", "parent-id": page,
			"child-type": childType, "child-id": child, "sort-order": sortOrder}))
	}
	attach(second, 0, "market")
	attach(gone, 1, "market")
	attach(first, 2, "market")
	attach(first, 3, "calendar") // another child type: not a market

	rows := wantArr(t, query(t, m, "marketplaces-for-container", "container-type=page&container-id="+itoa(page)))
	marketSameIDs(t, "marketplaces-for-container", marketIDs(t, rows), second, first)
	if rows[0].(map[string]any)["name"] == nil {
		t.Fatalf("market places lack their fields: %v", rows)
	}

	wantObj(t, action(t, b, "detach-child", map[string]any{"parent-type": "page", "parent-id": page,
		"child-type": "market", "child-id": second}))
	rows = wantArr(t, query(t, m, "marketplaces-for-container", "container-type=page&container-id="+itoa(page)))
	marketSameIDs(t, "after detach", marketIDs(t, rows), first)

	if rows := wantArr(t, query(t, m, "marketplaces-for-container", "container-type=post&container-id="+itoa(page))); len(rows) != 0 {
		t.Fatalf("other container type: %v", rows)
	}
	if rows := wantArr(t, query(t, m, "marketplaces-for-container", "container-type=page&container-id=987654321")); len(rows) != 0 {
		t.Fatalf("container with nothing: %v", rows)
	}
	wantBadParam(t, query(t, m, "marketplaces-for-container", "container-type=page"), "container-id")
	wantBadParam(t, query(t, m, "marketplaces-for-container", "container-type=page&container-id=x"), "container-id")
	wantBadParam(t, query(t, m, "marketplaces-for-container", "container-id=1"), "container-type")
	wantBadParam(t, query(t, m, "marketplaces-for-container", "container-type=%20&container-id=1"), "container-type")
	wantBadParam(t, query(t, m, "marketplaces-for-container", "container-type=page&container-id=0"), "container-id")
	wantBadParam(t, query(t, m, "marketplaces-for-container", "container-type=page&container-id=-5"), "container-id")
}

func TestMarketNav(t *testing.T) {
	m, _ := marketPlatform(t)
	mk, _ := marketNew(t, m)
	empty, _ := marketNew(t, m)

	top := func(slug, label string, sortOrder any) map[string]any {
		body := map[string]any{"market-id": mk, "slug": slug, "label": label}
		if sortOrder != nil {
			body["sort-order"] = sortOrder
		}
		return wantObj(t, action(t, m, "ensure-nav-top", body))
	}
	sub := func(topID int64, slug, label string, sortOrder any) map[string]any {
		body := map[string]any{"nav-top-id": topID, "slug": slug, "label": label}
		if sortOrder != nil {
			body["sort-order"] = sortOrder
		}
		return wantObj(t, action(t, m, "ensure-nav-sub", body))
	}

	drinks := top("drinks", "Drinks", nil)
	food := top("food", "Food", nil)
	first := top("first", "First", 0)
	if num(t, drinks["market_id"]) != mk || drinks["slug"] != "drinks" || drinks["label"] != "Drinks" ||
		num(t, drinks["sort_order"]) != 0 || num(t, food["sort_order"]) != 1 || num(t, first["sort_order"]) != 0 {
		t.Fatalf("ensure-nav-top: %v %v %v", drinks, food, first)
	}
	drinksID, foodID := num(t, drinks["id"]), num(t, food["id"])

	// Ensuring again returns the same top, keeping its place; a new label is taken.
	again := top("drinks", "Drinks", nil)
	if num(t, again["id"]) != drinksID || num(t, again["sort_order"]) != 0 || again["updated_at"] != drinks["updated_at"] {
		t.Fatalf("ensure again: %v vs %v", again, drinks)
	}
	relabelled := top("drinks", "Beverages", 7)
	if num(t, relabelled["id"]) != drinksID || relabelled["label"] != "Beverages" || num(t, relabelled["sort_order"]) != 7 {
		t.Fatalf("relabel: %v", relabelled)
	}
	if n := scalar[int64](t, "select count(*) from nav_tops where market_id = $1", mk); n != 3 {
		t.Fatalf("%d tops, want 3", n)
	}

	tea := sub(drinksID, "tea", "Tea", nil)
	coffee := sub(drinksID, "coffee", "Coffee", nil)
	juice := sub(drinksID, "juice", "Juice", 0)
	bread := sub(foodID, "bread", "Bread", nil)
	if num(t, tea["top_id"]) != drinksID || tea["slug"] != "tea" || tea["label"] != "Tea" ||
		num(t, tea["sort_order"]) != 0 || num(t, coffee["sort_order"]) != 1 || num(t, bread["sort_order"]) != 0 {
		t.Fatalf("ensure-nav-sub: %v %v %v", tea, coffee, bread)
	}
	if s := sub(drinksID, "tea", "Teas", nil); num(t, s["id"]) != num(t, tea["id"]) || s["label"] != "Teas" || num(t, s["sort_order"]) != 0 {
		t.Fatalf("ensure sub again: %v", s)
	}
	// The same slug under another top is another sub.
	if s := sub(foodID, "tea", "Tea cakes", nil); num(t, s["id"]) == num(t, tea["id"]) {
		t.Fatalf("sub slugs are per top: %v", s)
	}

	tree := wantArr(t, query(t, m, "nav-tree", "market-id="+itoa(mk)))
	// Tops by sort_order: first (0), food (1), drinks (7).
	marketSameIDs(t, "nav-tree tops", marketIDs(t, tree), num(t, first["id"]), foodID, drinksID)
	drinksNode := tree[2].(map[string]any)
	if drinksNode["slug"] != "drinks" || drinksNode["label"] != "Beverages" {
		t.Fatalf("nav-tree top: %v", drinksNode)
	}
	subs := drinksNode["subs"].([]any)
	// Subs by sort_order, then id: tea (0), juice (0), coffee (1).
	marketSameIDs(t, "nav-tree subs", marketIDs(t, subs), num(t, tea["id"]), num(t, juice["id"]), num(t, coffee["id"]))
	if s := subs[0].(map[string]any); s["slug"] != "tea" || s["label"] != "Teas" || num(t, s["top_id"]) != drinksID {
		t.Fatalf("nav-tree sub: %v", s)
	}
	if len(tree[1].(map[string]any)["subs"].([]any)) != 2 || len(tree[0].(map[string]any)["subs"].([]any)) != 0 {
		t.Fatalf("nav-tree subs per top: %v", tree)
	}

	if tree := wantArr(t, query(t, m, "nav-tree", "market-id="+itoa(empty))); len(tree) != 0 {
		t.Fatalf("empty market tree: %v", tree)
	}
	wantNull(t, query(t, m, "nav-tree", "market-id=987654321"))
	exec(t, "update market_places set deleted_at = now() where id = $1", empty)
	wantNull(t, query(t, m, "nav-tree", "market-id="+itoa(empty)))

	wantBadParam(t, query(t, m, "nav-tree", ""), "market-id")
	wantBadParam(t, query(t, m, "nav-tree", "market-id=x"), "market-id")
	wantBadParam(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": 987654321, "slug": "x", "label": "X"}), "market-id")
	wantBadParam(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": empty, "slug": "x", "label": "X"}), "market-id")
	wantBadParam(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "", "label": "X"}), "slug")
	wantBadParam(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "x"}), "label")
	wantBadParam(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "x", "label": "X", "sort-order": 1e12}), "sort-order")
	wantBadParam(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "x", "label": "X", "sort-order": -5}), "sort-order")
	wantBadParam(t, action(t, m, "ensure-nav-sub", map[string]any{"nav-top-id": drinksID, "slug": "x", "label": "X", "sort-order": -1}), "sort-order")
	wantBadParam(t, action(t, m, "ensure-nav-sub", map[string]any{"nav-top-id": 987654321, "slug": "x", "label": "X"}), "nav-top-id")
	wantBadParam(t, action(t, m, "ensure-nav-sub", map[string]any{"nav-top-id": drinksID, "slug": "x", "label": " "}), "label")
	if n := scalar[int64](t, "select count(*) from nav_tops where market_id = $1 and slug = 'x'", mk); n != 0 {
		t.Fatalf("a refused ensure-nav-top wrote %d rows", n)
	}
}

// sort-order and position are bounded, so that appending after the largest
// (max + 1) cannot overflow the column.
func TestMarketSortOrderBounds(t *testing.T) {
	m, _ := marketPlatform(t)
	mk, topID, subID := marketTree(t, m)
	tops := func() int64 { return scalar[int64](t, "select count(*) from nav_tops where market_id = $1", mk) }
	subs := func() int64 { return scalar[int64](t, "select count(*) from nav_subs where top_id = $1", topID) }
	listings := func() int64 { return scalar[int64](t, "select count(*) from listings where nav_top_id = $1", topID) }
	p1 := num(t, marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "P1"})["id"])
	p2 := num(t, marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "P2"})["id"])
	p3 := num(t, marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "P3"})["id"])
	nTops, nSubs, nListings := tops(), subs(), listings()
	for _, v := range []any{-1, 1000001, 2147483647} {
		wantBadParam(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "big", "label": "Big", "sort-order": v}), "sort-order")
		wantBadParam(t, action(t, m, "ensure-nav-sub", map[string]any{"nav-top-id": topID, "slug": "big", "label": "Big", "sort-order": v}), "sort-order")
		wantBadParam(t, action(t, m, "list-product", map[string]any{"product-id": p1, "nav-top-id": topID, "position": v}), "position")
	}
	// Existing ones are not moved by a refused value either.
	wantBadParam(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "top", "label": "Top", "sort-order": 2147483647}), "sort-order")
	if tops() != nTops || subs() != nSubs || listings() != nListings {
		t.Fatal("refused calls wrote rows")
	}
	if n := scalar[int64](t, "select sort_order from nav_tops where id = $1", topID); n != 0 {
		t.Fatalf("a refused sort-order moved the top to %d", n)
	}

	// The largest value is taken, and later appends still work.
	appendAfter := func(what string, largest, next map[string]any, key string) {
		t.Helper()
		if num(t, largest[key]) != 1000000 || num(t, next[key]) != 1000001 {
			t.Fatalf("%s: %s %v then %v, want 1000000 then 1000001", what, key, largest[key], next[key])
		}
	}
	appendAfter("top",
		wantObj(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "last", "label": "Last", "sort-order": 1000000})),
		wantObj(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "after", "label": "After"})),
		"sort_order")
	appendAfter("sub",
		wantObj(t, action(t, m, "ensure-nav-sub", map[string]any{"nav-top-id": topID, "slug": "last", "label": "Last", "sort-order": 1000000})),
		wantObj(t, action(t, m, "ensure-nav-sub", map[string]any{"nav-top-id": topID, "slug": "after", "label": "After"})),
		"sort_order")
	appendAfter("listing",
		wantObj(t, action(t, m, "list-product", map[string]any{"product-id": p1, "nav-top-id": topID, "position": 1000000})),
		wantObj(t, action(t, m, "list-product", map[string]any{"product-id": p2, "nav-top-id": topID})),
		"position")
	if r := wantObj(t, action(t, m, "list-product", map[string]any{"product-id": p3, "nav-top-id": topID, "nav-sub-id": subID, "position": 0})); num(t, r["position"]) != 0 {
		t.Fatalf("position 0: %v", r)
	}
}

// marketTree makes a market with a top and a sub; it returns their ids.
func marketTree(t *testing.T, m string) (mk, topID, subID int64) {
	t.Helper()
	mk, _ = marketNew(t, m)
	top := wantObj(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "top", "label": "Top"}))
	topID = num(t, top["id"])
	sub := wantObj(t, action(t, m, "ensure-nav-sub", map[string]any{"nav-top-id": topID, "slug": "sub", "label": "Sub"}))
	return mk, topID, num(t, sub["id"])
}

func TestMarketUpsertProduct(t *testing.T) {
	m, _ := marketPlatform(t)
	mk, topID, subID := marketTree(t, m)
	slug := uniq(t)
	full := map[string]any{
		"market-id": mk, "slug": slug, "title": "Oat Milk", "sku": "SKU-1", "brand": "Oatly",
		"description-html": "<p>Oats</p>", "image-url": "https://img/1.jpg", "images": []string{"https://img/1.jpg", "https://img/2.jpg"},
		"price": 12.5, "rrp": "15.99", "currency": "eur", "vat-rate": 20, "case-size": 6, "unit": "1l",
		"in-stock": false, "nav-sub-id": subID, "source-url": "https://suma/oat-milk",
	}
	p := marketProduct(t, m, full)
	id := num(t, p["id"])
	if num(t, p["market_id"]) != mk || p["slug"] != slug || p["title"] != "Oat Milk" || p["sku"] != "SKU-1" ||
		p["brand"] != "Oatly" || p["description_html"] != "<p>Oats</p>" || p["image_url"] != "https://img/1.jpg" ||
		numf(t, p["price"]) != 12.5 || numf(t, p["rrp"]) != 15.99 || p["currency"] != "EUR" ||
		numf(t, p["vat_rate"]) != 20 || num(t, p["case_size"]) != 6 || p["unit"] != "1l" ||
		p["in_stock"] != false || p["source_url"] != "https://suma/oat-milk" || p["scraped_at"] == nil {
		t.Fatalf("upsert-product: %v", p)
	}
	// The sub implies its top.
	if num(t, p["nav_sub_id"]) != subID || num(t, p["nav_top_id"]) != topID {
		t.Fatalf("nav columns: %v", p)
	}
	if imgs, _ := p["images"].([]any); len(imgs) != 2 || imgs[1] != "https://img/2.jpg" {
		t.Fatalf("images: %v", p["images"])
	}

	// Idempotent: the same data again is the same row, unchanged but for scraped_at.
	again := marketProduct(t, m, full)
	if num(t, again["id"]) != id || again["updated_at"] != p["updated_at"] || again["scraped_at"] == p["scraped_at"] {
		t.Fatalf("upsert again: %v vs %v", again, p)
	}
	if n := scalar[int64](t, "select count(*) from products where slug = $1", slug); n != 1 {
		t.Fatalf("%d products for one slug", n)
	}

	// Only the required fields: the rest are cleared or defaulted.
	minimal := marketProduct(t, m, map[string]any{"market-id": mk, "slug": slug, "title": "Oat Drink"})
	if num(t, minimal["id"]) != id || minimal["title"] != "Oat Drink" || minimal["price"] != nil || minimal["brand"] != nil ||
		minimal["currency"] != "GBP" || minimal["in_stock"] != true || minimal["nav_top_id"] != nil ||
		minimal["nav_sub_id"] != nil || minimal["updated_at"] == p["updated_at"] {
		t.Fatalf("minimal upsert: %v", minimal)
	}
	if imgs, ok := minimal["images"].([]any); !ok || len(imgs) != 0 {
		t.Fatalf("default images: %v", minimal["images"])
	}
	// A top alone is kept; a price of 0 is allowed.
	withTop := marketProduct(t, m, map[string]any{"market-id": mk, "slug": slug, "title": "Oat Drink", "nav-top-id": topID, "price": 0})
	if num(t, withTop["nav_top_id"]) != topID || withTop["nav_sub_id"] != nil || numf(t, withTop["price"]) != 0 {
		t.Fatalf("top only: %v", withTop)
	}

	// Upserting a deleted product undeletes it, keeping its id.
	exec(t, "update products set deleted_at = now() where id = $1", id)
	wantNull(t, query(t, m, "product-by-id", "id="+itoa(id)))
	back := marketProduct(t, m, map[string]any{"market-id": mk, "slug": slug, "title": "Oat Drink", "nav-top-id": topID, "price": 0})
	if num(t, back["id"]) != id || back["updated_at"] == withTop["updated_at"] {
		t.Fatalf("undelete: %v", back)
	}
	if deleted := scalar[bool](t, "select deleted_at is not null from products where id = $1", id); deleted {
		t.Fatal("upsert left the product deleted")
	}
	wantObj(t, query(t, m, "product-by-id", "id="+itoa(id)))

	// Bad input: nothing is written.
	bad := func(param string, change map[string]any) {
		t.Helper()
		s := uniq(t)
		body := map[string]any{"market-id": mk, "slug": s, "title": "Bad"}
		for k, v := range change {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		wantBadParam(t, action(t, m, "upsert-product", body), param)
		if n := scalar[int64](t, "select count(*) from products where slug = $1", s); n != 0 {
			t.Fatalf("a refused upsert (%s) wrote a product", param)
		}
	}
	other, otherTop, otherSub := marketTree(t, m)
	gone, _ := marketNew(t, m)
	exec(t, "update market_places set deleted_at = now() where id = $1", gone)
	bad("market-id", map[string]any{"market-id": nil})
	bad("market-id", map[string]any{"market-id": "x"})
	bad("market-id", map[string]any{"market-id": 987654321})
	bad("market-id", map[string]any{"market-id": gone})
	bad("title", map[string]any{"title": nil})
	bad("title", map[string]any{"title": "   "})
	bad("slug", map[string]any{"slug": ""})
	bad("price", map[string]any{"price": -0.01})
	bad("price", map[string]any{"price": "cheap"})
	bad("price", map[string]any{"price": "NaN"})
	bad("price", map[string]any{"price": "Inf"})
	bad("rrp", map[string]any{"rrp": "nan"})
	bad("vat-rate", map[string]any{"vat-rate": "NaN"})
	bad("price", map[string]any{"price": 1e12})
	bad("rrp", map[string]any{"rrp": -1})
	bad("vat-rate", map[string]any{"vat-rate": 100.5})
	bad("vat-rate", map[string]any{"vat-rate": -1})
	bad("case-size", map[string]any{"case-size": 0})
	bad("case-size", map[string]any{"case-size": 1.5})
	bad("currency", map[string]any{"currency": "GB"})
	bad("currency", map[string]any{"currency": "G1P"})
	bad("images", map[string]any{"images": "not a list"})
	bad("images", map[string]any{"images": []any{"a", 2}})
	bad("in-stock", map[string]any{"in-stock": "maybe"})
	bad("nav-top-id", map[string]any{"nav-top-id": otherTop})
	bad("nav-top-id", map[string]any{"nav-top-id": 987654321})
	bad("nav-sub-id", map[string]any{"nav-sub-id": otherSub})
	bad("nav-sub-id", map[string]any{"nav-top-id": topID, "nav-sub-id": 987654321})
	// A sub of another top of this market.
	top2 := wantObj(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "top2", "label": "Top 2"}))
	bad("nav-sub-id", map[string]any{"nav-top-id": num(t, top2["id"]), "nav-sub-id": subID})

	// Another market cannot take over the slug: 409, and the product is unchanged.
	wantError(t, action(t, m, "upsert-product", map[string]any{"market-id": other, "slug": slug, "title": "Hijack"}), 409, slug)
	if title := scalar[string](t, "select title from products where id = $1", id); title != "Oat Drink" {
		t.Fatalf("refused upsert changed the product: %q", title)
	}
}

func TestMarketProductLookups(t *testing.T) {
	m, _ := marketPlatform(t)
	mk, _ := marketNew(t, m)
	a := marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "A", "price": 1})
	b := marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "B", "price": 2})
	c := marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "C", "price": 3})
	aID, bID, cID := num(t, a["id"]), num(t, b["id"]), num(t, c["id"])

	got := wantObj(t, query(t, m, "product-by-id", "id="+itoa(bID)))
	if got["slug"] != b["slug"] || got["title"] != "B" || numf(t, got["price"]) != 2 || num(t, got["market_id"]) != mk {
		t.Fatalf("product-by-id: %v", got)
	}
	for _, k := range []string{"sku", "brand", "description_html", "image_url", "images", "rrp", "currency", "vat_rate",
		"case_size", "unit", "in_stock", "nav_top_id", "nav_sub_id", "source_url", "scraped_at", "created_at", "updated_at"} {
		if _, ok := got[k]; !ok {
			t.Errorf("product lacks %s", k)
		}
	}
	if _, ok := got["deleted_at"]; ok {
		t.Errorf("live products need no deleted_at: %v", got)
	}
	got = wantObj(t, query(t, m, "product-by-slug", "slug="+url.QueryEscape(c["slug"].(string))))
	if num(t, got["id"]) != cID {
		t.Fatalf("product-by-slug: %v", got)
	}
	rows := wantArr(t, query(t, m, "products-by-ids", "ids="+itoa(cID)+",987654321,"+itoa(aID)+","+itoa(bID)))
	marketSameIDs(t, "products-by-ids", marketIDs(t, rows), cID, aID, bID)

	// delete-product: by id, then by slug; again is false.
	if d := wantObj(t, action(t, m, "delete-product", map[string]any{"id": bID})); d["deleted"] != true {
		t.Fatalf("delete-product: %v", d)
	}
	if d := wantObj(t, action(t, m, "delete-product", map[string]any{"id": bID})); d["deleted"] != false {
		t.Fatalf("delete again: %v", d)
	}
	if d := wantObj(t, action(t, m, "delete-product", map[string]any{"slug": c["slug"]})); d["deleted"] != true {
		t.Fatalf("delete by slug: %v", d)
	}
	if d := wantObj(t, action(t, m, "delete-product", map[string]any{"id": 987654321})); d["deleted"] != false {
		t.Fatalf("delete unknown: %v", d)
	}
	// Soft: the rows are still there.
	if n := scalar[int64](t, "select count(*) from products where id = any($1) and deleted_at is not null", []int64{bID, cID}); n != 2 {
		t.Fatalf("%d soft-deleted rows, want 2", n)
	}

	wantNull(t, query(t, m, "product-by-id", "id="+itoa(bID)))
	wantNull(t, query(t, m, "product-by-slug", "slug="+url.QueryEscape(c["slug"].(string))))
	wantNull(t, query(t, m, "product-by-id", "id=987654321"))
	wantBadParam(t, query(t, m, "product-by-id", "id=99999999999"), "id") // beyond :int (32 bits)
	wantNull(t, query(t, m, "product-by-slug", "slug=markettest-nope"))
	rows = wantArr(t, query(t, m, "products-by-ids", "ids="+itoa(cID)+","+itoa(aID)+","+itoa(bID)))
	marketSameIDs(t, "products-by-ids after delete", marketIDs(t, rows), aID)

	wantBadParam(t, query(t, m, "product-by-id", ""), "id")
	wantBadParam(t, query(t, m, "product-by-id", "id=1.5"), "id")
	wantBadParam(t, query(t, m, "product-by-slug", ""), "slug")
	wantBadParam(t, query(t, m, "products-by-ids", "ids=x"), "ids")
	wantBadParam(t, action(t, m, "delete-product", map[string]any{}), "id")
	wantBadParam(t, action(t, m, "delete-product", map[string]any{"id": "x"}), "id")
}

func TestMarketBrowse(t *testing.T) {
	m, _ := marketPlatform(t)
	mk, topID, subID := marketTree(t, m)
	top2 := num(t, wantObj(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "t2", "label": "T2"}))["id"])
	type prod struct {
		title, brand string
		price        any
		top, sub     int64
	}
	// Created in this order, so newest is the reverse.
	fixtures := []prod{
		{"banana chips", "Suma", 2.5, topID, 0},
		{"Apple Juice", "Biona", 3, 0, subID},
		{"cherry jam", "Biona", 4.25, top2, 0},
		{"Dates 100%", "Suma", nil, 0, 0},
		{"Elderflower_Cordial", "Belvoir", 1, 0, 0},
	}
	ids := make([]int64, len(fixtures))
	for i, f := range fixtures {
		body := map[string]any{"market-id": mk, "slug": uniq(t), "title": f.title, "brand": f.brand, "price": f.price}
		if f.top != 0 {
			body["nav-top-id"] = f.top
		}
		if f.sub != 0 {
			body["nav-sub-id"] = f.sub
		}
		ids[i] = num(t, marketProduct(t, m, body)["id"])
	}
	banana, apple, cherry, dates, elder := ids[0], ids[1], ids[2], ids[3], ids[4]
	// A deleted product and a product of another market never show.
	gone := marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "Apple gone", "brand": "Suma"})
	wantObj(t, action(t, m, "delete-product", map[string]any{"id": gone["id"]}))
	otherMk, _ := marketNew(t, m)
	marketProduct(t, m, map[string]any{"market-id": otherMk, "slug": uniq(t), "title": "Apple elsewhere", "brand": "Suma"})
	// Elderflower is also listed under the sub, cherry (of top2) under the top itself.
	wantObj(t, action(t, m, "list-product", map[string]any{"product-id": elder, "nav-top-id": topID, "nav-sub-id": subID}))
	wantObj(t, action(t, m, "list-product", map[string]any{"product-id": cherry, "nav-top-id": topID}))

	browse := func(params string) (items []int64, res map[string]any) {
		t.Helper()
		c := query(t, m, "products-for-market", "market-id="+itoa(mk)+params)
		wantStatus(t, c, 200)
		res = wantObj(t, c)
		return marketIDs(t, res["items"].([]any)), res
	}

	got, res := browse("")
	marketSameIDs(t, "default (title)", got, apple, banana, cherry, dates, elder)
	if num(t, res["total"]) != 5 || num(t, res["page"]) != 1 || num(t, res["per-page"]) != 24 {
		t.Fatalf("browse envelope: %v", res)
	}
	if it := res["items"].([]any)[0].(map[string]any); it["title"] != "Apple Juice" || it["brand"] != "Biona" || numf(t, it["price"]) != 3 {
		t.Fatalf("browse item: %v", it)
	}
	got, _ = browse("&sort=price-asc")
	marketSameIDs(t, "price-asc (no price last)", got, elder, banana, apple, cherry, dates)
	got, _ = browse("&sort=price-desc")
	marketSameIDs(t, "price-desc (no price last)", got, cherry, apple, banana, elder, dates)
	got, _ = browse("&sort=newest")
	marketSameIDs(t, "newest", got, elder, dates, cherry, apple, banana)

	// Search: case-insensitive over title and brand; wildcards are literal.
	got, res = browse("&q=" + url.QueryEscape("APPLE"))
	marketSameIDs(t, "q=APPLE", got, apple)
	if num(t, res["total"]) != 1 {
		t.Fatalf("q total: %v", res)
	}
	got, _ = browse("&q=biona")
	marketSameIDs(t, "q by brand", got, apple, cherry)
	got, _ = browse("&q=" + url.QueryEscape("%"))
	marketSameIDs(t, "q=%", got, dates)
	got, _ = browse("&q=" + url.QueryEscape("_"))
	marketSameIDs(t, "q=_", got, elder)
	got, _ = browse("&q=" + url.QueryEscape(`\`))
	marketSameIDs(t, `q=\`, got)
	got, _ = browse("&q=" + url.QueryEscape("  "))
	marketSameIDs(t, "blank q", got, apple, banana, cherry, dates, elder)
	got, _ = browse("&brand=suma")
	marketSameIDs(t, "brand", got, banana, dates)
	got, _ = browse("&brand=Biona&q=jam")
	marketSameIDs(t, "brand and q", got, cherry)

	// Categories: by the product's own columns or by a listing.
	got, _ = browse("&nav-top-id=" + itoa(topID))
	marketSameIDs(t, "top", got, apple, banana, cherry, elder)
	got, _ = browse("&nav-sub-id=" + itoa(subID))
	marketSameIDs(t, "sub", got, apple, elder)
	got, _ = browse("&nav-top-id=" + itoa(top2))
	marketSameIDs(t, "top2", got, cherry)
	got, _ = browse("&nav-top-id=" + itoa(top2) + "&nav-sub-id=" + itoa(subID))
	marketSameIDs(t, "sub of another top", got)
	got, _ = browse("&nav-top-id=987654321")
	marketSameIDs(t, "unknown top", got)

	// Paging.
	got, res = browse("&per-page=2&page=2")
	marketSameIDs(t, "page 2", got, cherry, dates)
	if num(t, res["total"]) != 5 || num(t, res["page"]) != 2 || num(t, res["per-page"]) != 2 {
		t.Fatalf("page 2 envelope: %v", res)
	}
	got, _ = browse("&per-page=2&page=3")
	marketSameIDs(t, "last page", got, elder)
	got, res = browse("&per-page=2&page=4")
	marketSameIDs(t, "past the end", got)
	if num(t, res["total"]) != 5 {
		t.Fatalf("past the end total: %v", res)
	}
	got, _ = browse("&per-page=2&page=2147483647") // the largest :int
	marketSameIDs(t, "huge page", got)
	got, res = browse("&per-page=500")
	if num(t, res["per-page"]) != 100 || len(got) != 5 {
		t.Fatalf("per-page cap: %v", res)
	}

	if b := wantArr(t, query(t, m, "brands-for-market", "market-id="+itoa(mk))); len(b) != 3 ||
		b[0].(map[string]any)["brand"] != "Belvoir" || num(t, b[1].(map[string]any)["count"]) != 2 ||
		b[2].(map[string]any)["brand"] != "Suma" || num(t, b[2].(map[string]any)["count"]) != 2 {
		t.Fatalf("brands-for-market: %v", b)
	}
	wantNull(t, query(t, m, "brands-for-market", "market-id=987654321"))
	wantBadParam(t, query(t, m, "brands-for-market", ""), "market-id")
	wantBadParam(t, query(t, m, "brands-for-market", "market-id=x"), "market-id")
	wantBadParam(t, query(t, m, "brands-for-market", "market-id=1.5"), "market-id")

	wantNull(t, query(t, m, "products-for-market", "market-id=987654321"))
	exec(t, "update market_places set deleted_at = now() where id = $1", otherMk)
	wantNull(t, query(t, m, "products-for-market", "market-id="+itoa(otherMk)))

	base := "market-id=" + itoa(mk)
	wantBadParam(t, query(t, m, "products-for-market", ""), "market-id")
	wantBadParam(t, query(t, m, "products-for-market", base+"&sort=cheapest"), "sort")
	wantBadParam(t, query(t, m, "products-for-market", base+"&page=0"), "page")
	wantBadParam(t, query(t, m, "products-for-market", base+"&page=x"), "page")
	wantBadParam(t, query(t, m, "products-for-market", base+"&per-page=0"), "per-page")
	wantBadParam(t, query(t, m, "products-for-market", base+"&nav-top-id=x"), "nav-top-id")
	wantBadParam(t, query(t, m, "products-for-market", base+"&nav-sub-id=1.5"), "nav-sub-id")
}

func TestMarketListings(t *testing.T) {
	m, _ := marketPlatform(t)
	mk, topID, subID := marketTree(t, m)
	a := num(t, marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "A"})["id"])
	b := num(t, marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "B"})["id"])
	c := num(t, marketProduct(t, m, map[string]any{"market-id": mk, "slug": uniq(t), "title": "C"})["id"])

	list := func(body map[string]any) map[string]any {
		t.Helper()
		return wantObj(t, action(t, m, "list-product", body))
	}
	la := list(map[string]any{"product-id": a, "nav-top-id": topID})
	lb := list(map[string]any{"product-id": b, "nav-top-id": topID})
	if num(t, la["market_id"]) != mk || num(t, la["nav_top_id"]) != topID || la["nav_sub_id"] != nil ||
		num(t, la["product_id"]) != a || num(t, la["position"]) != 0 || num(t, lb["position"]) != 1 {
		t.Fatalf("list-product: %v %v", la, lb)
	}
	// Listing again keeps the listing and its place.
	again := list(map[string]any{"product-id": a, "nav-top-id": topID})
	if num(t, again["id"]) != num(t, la["id"]) || num(t, again["position"]) != 0 {
		t.Fatalf("list again: %v", again)
	}
	// An explicit position moves it.
	moved := list(map[string]any{"product-id": a, "nav-top-id": topID, "position": 5})
	if num(t, moved["id"]) != num(t, la["id"]) || num(t, moved["position"]) != 5 {
		t.Fatalf("move: %v", moved)
	}
	if n := scalar[int64](t, "select count(*) from listings where nav_top_id = $1", topID); n != 2 {
		t.Fatalf("%d listings under the top, want 2", n)
	}
	// The same product under the sub is a separate listing with its own positions.
	ls := list(map[string]any{"product-id": a, "nav-top-id": topID, "nav-sub-id": subID})
	lc := list(map[string]any{"product-id": c, "nav-top-id": topID, "nav-sub-id": subID})
	if num(t, ls["id"]) == num(t, la["id"]) || num(t, ls["nav_sub_id"]) != subID || num(t, ls["position"]) != 0 || num(t, lc["position"]) != 1 {
		t.Fatalf("sub listings: %v %v", ls, lc)
	}

	rows := wantArr(t, query(t, m, "listings-for-category", "nav-top-id="+itoa(topID)))
	marketSameIDs(t, "top listing", marketIDs(t, rows), b, a)
	if r := rows[1].(map[string]any); r["title"] != "A" || num(t, r["position"]) != 5 || num(t, r["market_id"]) != mk {
		t.Fatalf("listing row: %v", r)
	}
	rows = wantArr(t, query(t, m, "listings-for-category", "nav-top-id="+itoa(topID)+"&nav-sub-id="+itoa(subID)))
	marketSameIDs(t, "sub listing", marketIDs(t, rows), a, c)

	// Deleted products drop out of listings.
	wantObj(t, action(t, m, "delete-product", map[string]any{"id": a}))
	rows = wantArr(t, query(t, m, "listings-for-category", "nav-top-id="+itoa(topID)+"&nav-sub-id="+itoa(subID)))
	marketSameIDs(t, "sub listing after delete", marketIDs(t, rows), c)

	if u := wantObj(t, action(t, m, "unlist-product", map[string]any{"product-id": b, "nav-top-id": topID})); u["unlisted"] != true {
		t.Fatalf("unlist: %v", u)
	}
	if u := wantObj(t, action(t, m, "unlist-product", map[string]any{"product-id": b, "nav-top-id": topID})); u["unlisted"] != false {
		t.Fatalf("unlist again: %v", u)
	}
	// Unlisting from the top leaves the sub's listing.
	if u := wantObj(t, action(t, m, "unlist-product", map[string]any{"product-id": c, "nav-top-id": topID})); u["unlisted"] != false {
		t.Fatalf("unlist from the top: %v", u)
	}
	rows = wantArr(t, query(t, m, "listings-for-category", "nav-top-id="+itoa(topID)+"&nav-sub-id="+itoa(subID)))
	marketSameIDs(t, "sub listing after unlist", marketIDs(t, rows), c)
	if rows := wantArr(t, query(t, m, "listings-for-category", "nav-top-id=987654321")); len(rows) != 0 {
		t.Fatalf("unknown category: %v", rows)
	}

	_, otherTop, _ := marketTree(t, m)
	top2 := num(t, wantObj(t, action(t, m, "ensure-nav-top", map[string]any{"market-id": mk, "slug": "t2", "label": "T2"}))["id"])
	before := scalar[int64](t, "select count(*) from listings where product_id = any($1)", []int64{a, b, c})
	wantBadParam(t, action(t, m, "list-product", map[string]any{"nav-top-id": topID}), "product-id")
	wantBadParam(t, action(t, m, "list-product", map[string]any{"product-id": c}), "nav-top-id")
	wantBadParam(t, action(t, m, "list-product", map[string]any{"product-id": 987654321, "nav-top-id": topID}), "product-id")
	wantBadParam(t, action(t, m, "list-product", map[string]any{"product-id": a, "nav-top-id": topID}), "product-id") // deleted
	wantBadParam(t, action(t, m, "list-product", map[string]any{"product-id": c, "nav-top-id": otherTop}), "product-id")
	wantBadParam(t, action(t, m, "list-product", map[string]any{"product-id": c, "nav-top-id": 987654321}), "nav-top-id")
	wantBadParam(t, action(t, m, "list-product", map[string]any{"product-id": c, "nav-top-id": top2, "nav-sub-id": subID}), "nav-sub-id")
	wantBadParam(t, action(t, m, "list-product", map[string]any{"product-id": c, "nav-top-id": topID, "position": -1}), "position")
	wantBadParam(t, action(t, m, "unlist-product", map[string]any{"product-id": "x", "nav-top-id": topID}), "product-id")
	wantBadParam(t, query(t, m, "listings-for-category", ""), "nav-top-id")
	if after := scalar[int64](t, "select count(*) from listings where product_id = any($1)", []int64{a, b, c}); after != before {
		t.Fatalf("refused list-product calls changed listings: %d -> %d", before, after)
	}
}

// A batch that fails part-way leaves no rows: upsert-products runs in one
// transaction and a bad item rolls back the items before it.
func TestMarketBatchAllOrNothing(t *testing.T) {
	m, _ := marketPlatform(t)
	mk, topID, _ := marketTree(t, m)
	other, _ := marketNew(t, m)
	s1, s2, s3 := uniq(t), uniq(t), uniq(t)
	count := func() int64 {
		return scalar[int64](t, "select count(*) from products where slug = any($1)", []string{s1, s2, s3})
	}
	item := func(slug string, extra map[string]any) map[string]any {
		it := map[string]any{"market-id": mk, "slug": slug, "title": "T " + slug, "price": 1.5, "nav-top-id": topID}
		for k, v := range extra {
			it[k] = v
		}
		return it
	}

	// The third item has a negative price: the first two are rolled back.
	c := action(t, m, "upsert-products", map[string]any{"products": []any{item(s1, nil), item(s2, nil), item(s3, map[string]any{"price": -1})}})
	wantBadParam(t, c, "products[2].price")
	if n := count(); n != 0 {
		t.Fatalf("a failed batch left %d products", n)
	}
	// A JSON type the host cannot check is checked per item.
	wantBadParam(t, action(t, m, "upsert-products", map[string]any{"products": []any{item(s1, nil), item(s2, map[string]any{"case-size": "six"})}}), "products[1].case-size")
	wantBadParam(t, action(t, m, "upsert-products", map[string]any{"products": []any{item(s1, nil), 7}}), "products[1]")
	wantBadParam(t, action(t, m, "upsert-products", map[string]any{"products": []any{item(s1, map[string]any{"market-id": nil})}}), "products[0].market-id")
	wantBadParam(t, action(t, m, "upsert-products", map[string]any{"products": "nope"}), "products")
	if n := count(); n != 0 {
		t.Fatalf("failed batches left %d products", n)
	}

	// A good batch writes every item, in order, as upsert-product would.
	rows := wantArr(t, action(t, m, "upsert-products", map[string]any{"products": []any{item(s1, nil), item(s2, map[string]any{"in-stock": false})}}))
	if len(rows) != 2 || rows[0].(map[string]any)["slug"] != s1 || rows[1].(map[string]any)["in_stock"] != false ||
		numf(t, rows[0].(map[string]any)["price"]) != 1.5 || num(t, rows[0].(map[string]any)["nav_top_id"]) != topID {
		t.Fatalf("upsert-products: %v", rows)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d products after the batch, want 2", n)
	}

	// A 409 part-way (s3 created, then s1 claimed by another market) rolls back s3.
	c = action(t, m, "upsert-products", map[string]any{"products": []any{item(s3, nil), item(s1, map[string]any{"market-id": other, "nav-top-id": nil})}})
	wantError(t, c, 409, s1)
	if n := count(); n != 2 {
		t.Fatalf("%d products after a refused batch, want 2", n)
	}
	if title := scalar[string](t, "select title from products where slug = $1", s1); title != "T "+s1 {
		t.Fatalf("refused batch changed a product: %q", title)
	}
}
