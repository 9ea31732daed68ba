package sitetest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/cli"
)

// The market admin (issue 16, services/market/admin.sx): markets,
// categories and products over HTTP, the catalogue import (admin upload
// and sxhost import-products) and the product-sync API with a device-flow
// token.

func TestMarketAdminRefusesOutsiders(t *testing.T) {
	t.Parallel()
	market := scalar[int](t, `select id from market_places where slug = 'suma-market'`)
	top := scalar[int](t, `select id from nav_tops where slug = 'pantry'`)
	sub := scalar[int](t, `select id from nav_subs where slug = 'grains'`)
	product := scalar[int](t, `select id from products where slug = 'organic-oats-1kg'`)
	m, tp, sb, p := fmt.Sprint(market), fmt.Sprint(top), fmt.Sprint(sub), fmt.Sprint(product)
	shopRefuses(t, "market", []shopRoute{
		{"GET", "/admin/"}, {"GET", "/admin/markets/new/"}, {"POST", "/admin/markets/new"},
		{"GET", "/admin/markets/" + m + "/"}, {"POST", "/admin/markets/" + m}, {"POST", "/admin/markets/" + m + "/listed"},
		{"GET", "/admin/markets/" + m + "/categories/new/"}, {"POST", "/admin/markets/" + m + "/categories/new"},
		{"GET", "/admin/categories/top/" + tp + "/"}, {"POST", "/admin/categories/top/" + tp}, {"POST", "/admin/categories/sub/" + sb + "/delete"},
		{"GET", "/admin/markets/" + m + "/products/new/"}, {"POST", "/admin/markets/" + m + "/products/new"},
		{"GET", "/admin/products/" + p + "/"}, {"POST", "/admin/products/" + p}, {"POST", "/admin/products/" + p + "/listed"},
		{"GET", "/admin/markets/" + m + "/import/"}, {"POST", "/admin/markets/" + m + "/import"},
	})
	// The market is the administrators': an organiser may not.
	if st := shopStaff(t, "orgm", false, "organiser").get(t, "market", "/admin/").Status; st != 403 {
		t.Fatalf("organiser: %d, want 403", st)
	}
	as("ada").get(t, "market", "/admin/").want(t, "admin", 200, "<h1>Market</h1>", "Suma market")
}

// refusedMarkets counts the markets the refused forms below would have made:
// other tests running in parallel create markets of their own.
const refusedMarkets = `select count(*) from market_places where trim(name) in ('', 'Admin', 'Suma again')`

func TestMarketAdminLifecycle(t *testing.T) {
	t.Parallel()
	ada := shopStaff(t, "shopkeeper", true)
	before := scalar[int](t, refusedMarkets)
	ada.post(t, "market", "/admin/markets/new", url.Values{"name": {" "}}).want(t, "blank name", 400, "name: must not be empty")
	ada.post(t, "market", "/admin/markets/new", url.Values{"name": {"Admin"}}).want(t, "reserved", 400, "slug: admin is a reserved address")
	ada.post(t, "market", "/admin/markets/new", url.Values{"name": {"Suma again"}, "slug": {"suma-market"}}).
		want(t, "taken", 400, "slug: another market is called suma-market")
	if n := scalar[int](t, refusedMarkets); n != before {
		t.Fatalf("refused forms wrote %d markets", n-before)
	}
	slug := fmt.Sprintf("farm-gate-%d", time.Now().UnixNano())
	shop := scalar[int](t, `select id from posts where slug = 'shop'`)
	id := shopCreated(t, ada.post(t, "market", "/admin/markets/new", url.Values{"name": {"Farm gate"}, "slug": {slug},
		"page-id": {fmt.Sprint(shop)}}), "create market")
	m := fmt.Sprint(id)
	if shopAudits(t, "market", id, "market.create") != 1 ||
		scalar[int](t, `select count(*) from container_relations where parent_id = $1 and child_type = 'market' and child_id = $2 and deleted_at is null`, shop, id) != 1 {
		t.Fatal("market not audited or not attached to its page")
	}
	v1 := shopVersion(t, ada.get(t, "market", "/admin/markets/"+m+"/").want(t, "market page", 200, `value="Farm gate"`, "Categories", "Products (0)"))
	ada.post(t, "market", "/admin/markets/"+m, url.Values{"version": {v1}, "name": {"Farm gate shop"}, "slug": {slug}, "page-id": {fmt.Sprint(shop)}}).want(t, "save", 303)
	ada.post(t, "market", "/admin/markets/"+m, url.Values{"version": {v1}, "name": {"Lost"}, "slug": {slug}}).want(t, "stale", 409, "changed by someone else")
	if got := scalar[string](t, `select name from market_places where id = $1`, id); got != "Farm gate shop" {
		t.Fatalf("name %q", got)
	}

	// Categories.
	ada.post(t, "market", "/admin/markets/"+m+"/categories/new", url.Values{"label": {""}}).want(t, "blank label", 400, "label: must not be empty")
	ada.post(t, "market", "/admin/markets/"+m+"/categories/new", url.Values{"label": {"Veg"}}).want(t, "top", 303)
	ada.post(t, "market", "/admin/markets/"+m+"/categories/new", url.Values{"label": {"Veg!"}, "slug": {"veg"}}).want(t, "same slug", 400, "slug: a category beside it is called veg")
	top := scalar[int](t, `select id from nav_tops where market_id = $1 and slug = 'veg'`, id)
	ada.post(t, "market", fmt.Sprintf("/admin/markets/%s/categories/new?parent=%d", m, top), url.Values{"label": {"Roots"}}).want(t, "sub", 303)
	sub := scalar[int](t, `select s.id from nav_subs s where s.top_id = $1 and s.slug = 'roots'`, top)
	tv := shopVersion(t, ada.get(t, "market", fmt.Sprintf("/admin/categories/top/%d/", top)).want(t, "category page", 200, `value="Veg"`))
	ada.post(t, "market", fmt.Sprintf("/admin/categories/top/%d", top), url.Values{"version": {tv}, "label": {"Vegetables"}, "slug": {"veg"}}).want(t, "save category", 303)
	ada.post(t, "market", fmt.Sprintf("/admin/categories/top/%d", top), url.Values{"version": {tv}, "label": {"Lost"}, "slug": {"veg"}}).want(t, "stale category", 409)
	if shopAudits(t, "category-top", top, "category.update") != 1 {
		t.Fatal("category update not audited")
	}

	// Products.
	newProduct := func(form url.Values) page {
		return ada.post(t, "market", "/admin/markets/"+m+"/products/new", form)
	}
	psl := fmt.Sprintf("carrots-%d", time.Now().UnixNano())
	newProduct(url.Values{"title": {"Carrots"}, "price": {"1.999"}}).want(t, "three decimals", 400, "price: must be an amount")
	newProduct(url.Values{"title": {"Carrots"}, "vat-rate": {"120"}}).want(t, "vat", 400, "vat-rate: must be a number from 0 to 100")
	newProduct(url.Values{"title": {"Carrots"}, "slug": {"organic-oats-1kg"}}).want(t, "slug taken", 400, "slug: another product is called organic-oats-1kg")
	newProduct(url.Values{"title": {"Carrots"}, "category": {"top:999999"}}).want(t, "foreign category", 400, "category: is not one of the choices")
	if n := scalar[int](t, `select count(*) from products where market_id = $1`, id); n != 0 {
		t.Fatalf("refused forms wrote %d products", n)
	}
	pid := shopCreated(t, newProduct(url.Values{"title": {"Carrots"}, "slug": {psl}, "sku": {"CAR-1"}, "price": {"1.20"},
		"category": {fmt.Sprintf("sub:%d", sub)}, "in-stock": {"true"}, "unit": {"1kg"}, "image-url": {"https://example.org/carrot.jpg"}}), "product")
	if got := scalar[string](t, `select price || ' ' || nav_top_id || ' ' || nav_sub_id || ' ' || in_stock || ' ' || images::text from products where id = $1`, pid); got != fmt.Sprintf(`1.20 %d %d true ["https://example.org/carrot.jpg"]`, top, sub) {
		t.Fatalf("product row: %s", got)
	}
	anon.get(t, "market", "/"+slug+"/product/"+psl+"/").want(t, "on the site", 200, "Carrots", "£1.20")
	pv := shopVersion(t, ada.get(t, "market", fmt.Sprintf("/admin/products/%d/", pid)).want(t, "product page", 200, `value="Carrots"`, `value="1.20"`, "carrot.jpg"))
	ada.post(t, "market", fmt.Sprintf("/admin/products/%d", pid), url.Values{"version": {pv}, "title": {"Carrots"}, "slug": {psl}, "price": {"1.35"},
		"category": {fmt.Sprintf("sub:%d", sub)}, "in-stock": {"false"}}).want(t, "save product", 303)
	ada.post(t, "market", fmt.Sprintf("/admin/products/%d", pid), url.Values{"version": {pv}, "title": {"Lost"}, "slug": {psl}}).want(t, "stale product", 409)
	if got := scalar[string](t, `select title || ' ' || price || ' ' || in_stock from products where id = $1`, pid); got != "Carrots 1.35 false" {
		t.Fatalf("product: %s", got)
	}
	pv2 := shopVersion(t, ada.get(t, "market", fmt.Sprintf("/admin/products/%d/", pid)).want(t, "product page", 200))
	ada.post(t, "market", fmt.Sprintf("/admin/products/%d/listed", pid), url.Values{"version": {pv}, "listed": {"false"}}).want(t, "stale unlist", 409)
	ada.post(t, "market", fmt.Sprintf("/admin/products/%d/listed", pid), url.Values{"version": {pv2}, "listed": {"false"}}).want(t, "unlist", 303)
	anon.get(t, "market", "/"+slug+"/product/"+psl+"/").want(t, "unlisted product", 404)
	pv3 := shopVersion(t, ada.get(t, "market", fmt.Sprintf("/admin/products/%d/", pid)).want(t, "product page", 200, "Unlisted"))
	ada.post(t, "market", fmt.Sprintf("/admin/products/%d/listed", pid), url.Values{"version": {pv3}, "listed": {"true"}}).want(t, "list again", 303)
	anon.get(t, "market", "/"+slug+"/product/"+psl+"/").want(t, "listed again", 200)
	if shopAudits(t, "product", pid, "product.unlist") != 1 || shopAudits(t, "product", pid, "product.list") != 1 || shopAudits(t, "product", pid, "product.update") != 1 {
		t.Fatal("product writes not audited")
	}
	// Deleting the sub keeps the product, without its sub.
	sv := shopVersion(t, ada.get(t, "market", fmt.Sprintf("/admin/categories/sub/%d/", sub)).want(t, "sub page", 200))
	ada.post(t, "market", fmt.Sprintf("/admin/categories/sub/%d/delete", sub), url.Values{"version": {sv}}).want(t, "delete sub", 303)
	if scalar[bool](t, `select nav_sub_id is not null or deleted_at is not null from products where id = $1`, pid) {
		t.Fatal("product lost or still in the deleted sub")
	}
	// Unlisting the market takes it off the site.
	mv := shopVersion(t, ada.get(t, "market", "/admin/markets/"+m+"/").want(t, "market page", 200))
	ada.post(t, "market", "/admin/markets/"+m+"/listed", url.Values{"version": {v1}, "listed": {"false"}}).want(t, "stale market unlist", 409)
	ada.post(t, "market", "/admin/markets/"+m+"/listed", url.Values{"version": {mv}, "listed": {"false"}}).want(t, "market unlist", 303)
	anon.get(t, "market", "/"+slug+"/").want(t, "unlisted market", 404)
}

// shopMarket makes a market of its own for an import test.
func shopMarket(t *testing.T, ada *visitor) (int, string) {
	t.Helper()
	slug := fmt.Sprintf("imports-%d", time.Now().UnixNano())
	return shopCreated(t, ada.post(t, "market", "/admin/markets/new", url.Values{"name": {"Imports"}, "slug": {slug}}), "market"), slug
}

func TestMarketAdminImportUpsertsBySKU(t *testing.T) {
	t.Parallel()
	ada := shopStaff(t, "importer", true)
	id, _ := shopMarket(t, ada)
	path := fmt.Sprintf("/admin/markets/%d/import", id)
	sfx := fmt.Sprint(time.Now().UnixNano())
	csv1 := "sku,title,brand,price,in_stock,category,subcategory\n" +
		"OAT" + sfx + ",Jumbo oats " + sfx + ",Mornflake,2.10,yes,Pantry,Grains\n" +
		"RIC" + sfx + ",\"Rice, brown " + sfx + "\",Suma,3.40,,Pantry,Grains\n"
	// A preview writes nothing and says what would happen.
	ada.post(t, "market", path, url.Values{"format": {"csv"}, "text": {csv1}, "dry-run": {"true"}}).want(t, "preview", 200,
		"Preview: nothing was written yet", "2 new, 0 changed, 0 unchanged", "new categories: Pantry, Pantry › Grains", "OAT"+sfx)
	if n := scalar[int](t, `select count(*) from products where market_id = $1`, id); n != 0 {
		t.Fatalf("the preview wrote %d products", n)
	}
	ada.post(t, "market", path, url.Values{"format": {"csv"}, "text": {csv1}, "dry-run": {"false"}}).want(t, "import", 200,
		"Imported", "2 new, 0 changed, 0 unchanged")
	if got := scalar[string](t, `select string_agg(p.sku || ':' || p.price || ':' || p.in_stock || ':' || t.slug || '/' || s.slug, ' ' order by p.sku)
		from products p join nav_tops t on t.id = p.nav_top_id join nav_subs s on s.id = p.nav_sub_id where p.market_id = $1`, id); got != fmt.Sprintf("OAT%s:2.10:true:pantry/grains RIC%s:3.40:true:pantry/grains", sfx, sfx) {
		t.Fatalf("imported: %s", got)
	}
	// The same SKUs again, one price and stock changed: an update, not a copy.
	json2 := fmt.Sprintf(`{"products": [{"sku": "OAT%s", "title": "Jumbo oats %s", "price": 2.35, "in_stock": false},
		{"sku": "RIC%s", "title": "Rice, brown %s", "price": "3.40"},
		{"sku": "LEN%s", "title": "Red lentils %s", "price": 1.8, "case_size": 6}]}`, sfx, sfx, sfx, sfx, sfx, sfx)
	r := ada.post(t, "market", path, url.Values{"format": {"json"}, "text": {json2}, "dry-run": {"false"}}).want(t, "re-import", 200,
		"1 new, 1 changed, 1 unchanged", "<td>price</td><td>2.10</td><td>2.35</td>", "<td>in-stock</td><td>true</td><td>false</td>")
	r.lacks(t, "re-import", "<td>brand</td>") // a column the file lacks is left as it was
	if got := scalar[string](t, `select string_agg(sku || ':' || price || ':' || in_stock || ':' || coalesce(brand, '-'), ' ' order by sku) from products where market_id = $1`, id); got != fmt.Sprintf("LEN%s:1.80:true:- OAT%s:2.35:false:Mornflake RIC%s:3.40:true:Suma", sfx, sfx, sfx) {
		t.Fatalf("after the re-import: %s", got)
	}
	if n := scalar[int](t, `select count(*) from audit_log where object_type = 'market' and object_id = $1 and action = 'catalogue.import'`, fmt.Sprint(id)); n != 2 {
		t.Fatalf("%d imports audited", n)
	}
	// A bad row refuses the whole file: 400 naming row and field, nothing written.
	bad := "sku,title,price\nNEW" + sfx + ",New thing,1.00\nOAT" + sfx + ",Oats,cheap\n"
	ada.post(t, "market", path, url.Values{"format": {"csv"}, "text": {bad}, "dry-run": {"false"}}).want(t, "bad row", 400, "row 3: price: must be an amount")
	ada.post(t, "market", path, url.Values{"format": {"csv"}, "text": {bad}, "dry-run": {"true"}}).want(t, "bad row preview", 400, "1 problem", "row 3: price")
	ada.post(t, "market", path, url.Values{"format": {"csv"}, "text": {"sku,title\nA,One\nA,Two\n"}}).want(t, "duplicate sku", 400, "row 3: sku: A is also on row 2")
	ada.post(t, "market", path, url.Values{"format": {"csv"}, "text": {"name,price\nx,1\n"}, "dry-run": {"false"}}).want(t, "no sku column", 400, "the first line must name the columns")
	ada.post(t, "market", path, url.Values{"format": {"json"}, "text": {"{nope"}, "dry-run": {"false"}}).want(t, "bad json", 400, "text: not JSON")
	if n := scalar[int](t, `select count(*) from products where market_id = $1`, id); n != 3 {
		t.Fatalf("refused imports wrote: %d products", n)
	}
}

// sxhost import-products, as an operator runs it, against the test
// database.
func TestMarketImportCommand(t *testing.T) {
	ada := shopStaff(t, "cmd", true)
	_, slug := shopMarket(t, ada)
	dir := t.TempDir()
	file := filepath.Join(dir, "catalogue.csv")
	sfx := fmt.Sprint(time.Now().UnixNano())
	os.WriteFile(file, []byte("sku,title,price\nBEA"+sfx+",Butter beans,1.10\n"), 0o644)
	t.Setenv("DATABASE_URL", db.Config().ConnString())
	var out, errb bytes.Buffer
	run := func(args ...string) int {
		out.Reset()
		errb.Reset()
		return cli.SxhostMain(append([]string{"import-products", "--services", ".."}, args...), &out, &errb)
	}
	if code := run("--market", slug, "--dry-run", file); code != 0 || !strings.Contains(out.String(), "1 new, 0 changed, 0 unchanged (dry run: nothing written)") {
		t.Fatalf("dry run: %d\n%s%s", code, out.String(), errb.String())
	}
	if code := run("--market", slug, file); code != 0 || !strings.Contains(out.String(), "new      BEA"+sfx+"  Butter beans") {
		t.Fatalf("import: %d\n%s%s", code, out.String(), errb.String())
	}
	os.WriteFile(file, []byte("sku,title,price\nBEA"+sfx+",Butter beans,1.25\n"), 0o644)
	if code := run("--market", slug, file); code != 0 || !strings.Contains(out.String(), "changed  BEA"+sfx+"  Butter beans: price 1.10 -> 1.25") {
		t.Fatalf("update: %d\n%s%s", code, out.String(), errb.String())
	}
	os.WriteFile(file, []byte("sku,title,price\nBEA"+sfx+",Butter beans,free\n"), 0o644)
	if code := run("--market", slug, file); code != 1 || !strings.Contains(errb.String(), "row 2: price") {
		t.Fatalf("bad file: %d\n%s%s", code, out.String(), errb.String())
	}
	if got := scalar[string](t, `select price::text from products where sku = $1`, "BEA"+sfx); got != "1.25" {
		t.Fatalf("price %s", got)
	}
}

func shopJSON(t *testing.T, method, u, auth string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// shopDeviceToken runs federation's device flow (RFC 8628) for a
// registered CLI client: device authorization, the user's approval, the
// token poll. Returns the access token.
func shopDeviceToken(t *testing.T, clientID, scope string, userID int) string {
	t.Helper()
	form := func(path string, v url.Values) map[string]any {
		resp, err := client.PostForm(urls["federation"]+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	d := form("/oauth/device/authorize", url.Values{"client_id": {clientID}, "scope": {scope}})
	// The person approves the code (what POST /device does for a signed-in user).
	if st, out := shopJSON(t, "POST", urls["federation"]+"/internal/actions/approve-device-code", "",
		map[string]any{"user-code": d["user_code"], "user-id": userID}); st != 200 {
		t.Fatalf("approve: %d %v", st, out)
	}
	tok := form("/oauth/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {d["device_code"].(string)}, "client_id": {clientID}})
	return tok["access_token"].(string)
}

func TestMarketProductSyncAPI(t *testing.T) {
	t.Parallel()
	ada := shopStaff(t, "scraper", true)
	id, slug := shopMarket(t, ada)
	clientID := fmt.Sprintf("suma-scraper-%d", time.Now().UnixNano())
	if st, out := shopJSON(t, "POST", urls["federation"]+"/internal/actions/register-oauth-client", "", map[string]any{
		"client-id": clientID, "name": "Suma scraper", "client-type": "public",
		"redirect-uris": []string{"http://127.0.0.1/unused"}, "allowed-scopes": "market:sync profile"}); st != 200 {
		t.Fatalf("register client: %d %v", st, out)
	}
	adaID := scalar[int](t, `select id from users where email = $1`, ada.who+"@test.example")
	ben := scalar[int](t, `select id from users where slug = 'ben'`)
	sfx := fmt.Sprint(time.Now().UnixNano())
	body := map[string]any{"market": slug, "products": []map[string]any{
		{"sku": "SYN" + sfx, "title": "Synced tea " + sfx, "price": 4.5, "category": "Drinks"}}}
	api := urls["market"] + "/api/products/sync"
	// Refused without a live token, and with one lacking the scope or an administrator.
	if st, _ := shopJSON(t, "POST", api, "", body); st != 401 {
		t.Fatalf("no token: %d", st)
	}
	if st, out := shopJSON(t, "POST", api, "Bearer not-a-token-at-all-1234567890", body); st != 401 || out["error"] != "invalid_token" {
		t.Fatalf("bad token: %d %v", st, out)
	}
	if st, out := shopJSON(t, "POST", api, "Bearer "+shopDeviceToken(t, clientID, "profile", adaID), body); st != 403 || out["error"] != "insufficient_scope" {
		t.Fatalf("token without the scope: %d %v", st, out)
	}
	if st, _ := shopJSON(t, "POST", api, "Bearer "+shopDeviceToken(t, clientID, "market:sync", ben), body); st != 403 {
		t.Fatalf("a member's token: %d", st)
	}
	if n := scalar[int](t, `select count(*) from products where market_id = $1`, id); n != 0 {
		t.Fatalf("refused syncs wrote %d products", n)
	}
	token := shopDeviceToken(t, clientID, "market:sync", adaID)
	st, out := shopJSON(t, "POST", api, "Bearer "+token, body)
	if st != 200 || len(out["created"].([]any)) != 1 {
		t.Fatalf("sync: %d %v", st, out)
	}
	body["products"] = []map[string]any{{"sku": "SYN" + sfx, "title": "Synced tea " + sfx, "price": 4.75}}
	st, out = shopJSON(t, "POST", api, "Bearer "+token, body)
	if st != 200 || len(out["updated"].([]any)) != 1 || !strings.Contains(fmt.Sprint(out["updated"]), "after:4.75") {
		t.Fatalf("second sync: %d %v", st, out)
	}
	if got := scalar[string](t, `select price::text from products where sku = $1`, "SYN"+sfx); got != "4.75" {
		t.Fatalf("price %s", got)
	}
	if who := scalar[string](t, `select user_email from audit_log where object_type = 'market' and object_id = $1 order by id desc limit 1`, fmt.Sprint(id)); who != ada.who+"@test.example" {
		t.Fatalf("audited as %q", who)
	}
	// A bad product: 400 naming it, nothing written.
	body["products"] = []map[string]any{{"sku": "SYN" + sfx, "title": "Synced tea", "price": -1}}
	if st, out := shopJSON(t, "POST", api, "Bearer "+token, body); st != 400 || !strings.Contains(fmt.Sprint(out["error"]), "products[0]: price") {
		t.Fatalf("bad product: %d %v", st, out)
	}
	// A revoked token is refused.
	exec(t, `update oauth_grants set revoked_at = now() where client_id = $1`, clientID)
	if st, _ := shopJSON(t, "POST", api, "Bearer "+token, body); st != 401 {
		t.Fatalf("revoked token: %d", st)
	}
}
