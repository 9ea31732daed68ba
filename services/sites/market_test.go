package sites_test

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

func TestMarketHome(t *testing.T) {
	u := shared(t)
	// The first page lists the seed's catalogue by title: Aduki beans first.
	aduki := scalar[string](t, "select '£' || price::text from products where slug = 'aduki-beans-500g'")
	for _, v := range []*visitor{newVisitor(t), member(t, u, "market"), admin(t, u, "market")} {
		v.get(u["market"]+"/suma-market/").want(200).has(
			"<title>Suma market", "<h1>Suma market</h1>", `<link rel="canonical" href="http://127.0.0.1:`, `<meta property="og:url" content="http://127.0.0.1:`,
			`<meta name="description" content="The co-op&#39;s weekly wholesale order">`,
			`href="/suma-market/pantry/"`, `href="/suma-market/pantry/grains/">Grains and pulses</a>`,
			"Aduki beans 500g", aduki, `href="/suma-market/product/aduki-beans-500g/"`, " products</p>",
			`<label for="browse-q">Search</label>`, `<option value="Suma">Suma (10)</option>`)
	}
	newVisitor(t).get(u["market"] + "/no-such-market/").want(404)
}

func TestMarketCategoryListing(t *testing.T) {
	u := shared(t)
	v := newVisitor(t)
	v.get(u["market"]+"/suma-market/pantry/grains/").want(200).has(
		"<h1>Grains and pulses</h1>", "16 products", "Brown basmati rice 2kg", "£5.90",
		`aria-current="page">Grains and pulses</a>`).lacks("Extra virgin olive oil")
	v.get(u["market"]+"/suma-market/pantry/").want(200).has("<h1>Pantry</h1>", "104 products", "Apple cider vinegar")
	v.get(u["market"] + "/suma-market/pantry/nope/").want(404)
	v.get(u["market"] + "/suma-market/nope/").want(404)
}

func TestMarketBrowseFilters(t *testing.T) {
	u := shared(t)
	v := newVisitor(t)
	v.get(u["market"]+"/suma-market/?q=oil").want(200).lacks(`id="categories-title"`).has("15 products matching “oil”", "Extra virgin olive oil").
		lacks("Organic porridge oats")
	v.get(u["market"]+"/suma-market/?brand=Suma&sort=price-desc").want(200).has("10 products by Suma",
		`<option value="price-desc" selected>`)
	body := v.get(u["market"] + "/suma-market/?brand=Suma&sort=price-desc").Body
	if strings.Index(body, "Extra virgin olive oil") > strings.Index(body, "Red split lentils") {
		t.Errorf("price-desc: the oil (£6.75) should come before the lentils (£1.60)")
	}
	v.get(u["market"] + "/suma-market/?sort=cheapest").want(400).has("sort")
	v.get(u["market"] + "/suma-market/?page=0").want(400).has("page")
	// The runtime asks for the results region alone as the visitor types.
	r := v.get(u["market"]+"/suma-market/?q=lentil", "SX-Request", "true", "SX-Target", "results").want(200)
	r.has(`id=\"results\"`, "Red split lentils").lacks("<html", "browse-form", "Categories")
}

func TestMarketInfiniteScroll(t *testing.T) {
	u := shared(t)
	// A market of 30 products: the first page has 24 and a link to page 2.
	mk := "scroll-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	exec(t, "insert into market_places (slug, name) values ($1, 'Scroll market') on conflict do nothing", mk)
	exec(t, `insert into products (market_id, slug, title, price)
	         select (select id from market_places where slug = $1), $1 || '-p' || lpad(i::text, 2, '0'),
	                'Item ' || lpad(i::text, 2, '0'), 1.00 from generate_series(1, 30) i
	         on conflict do nothing`, mk)
	v := newVisitor(t)
	first := v.get(u["market"] + "/" + mk + "/").want(200)
	first.has("30 products", "Item 24", `id="more"`, `sx-trigger="revealed"`, `href="/`+mk+`/?page=2"`).lacks("Item 25")
	next := v.get(u["market"]+"/"+mk+"/?page=2", "SX-Request", "true", "SX-Target", "more").want(200)
	next.has("Item 25", "Item 30").lacks("Item 24", `id=\"more\"`, "<html")
	// Without JavaScript page 2 is a whole page.
	v.get(u["market"]+"/"+mk+"/?page=2").want(200).has("<h1>Scroll market</h1>", "Item 30")
}

func TestMarketProductPage(t *testing.T) {
	u := shared(t)
	p := u["market"] + "/suma-market/product/olive-oil-500ml/"
	for _, v := range []*visitor{newVisitor(t), member(t, u, "market"), admin(t, u, "market")} {
		v.get(p).want(200).has("<h1>Extra virgin olive oil 500ml</h1>", "£6.75", "<del>£8.44</del>", "In stock",
			`<script type="application/ld+json">`, `"@type":"Product"`, `"price":"6.75"`, `"priceCurrency":"GBP"`,
			`<label for="add-quantity">Quantity</label>`, `name="csrf_token"`, `action="/suma-market/product/olive-oil-500ml/add"`,
			`<meta name="description" content="Extra virgin olive oil 500ml by Suma, £6.75.`)
	}
	newVisitor(t).get(p).has("Sign in</a> to like products.")
	member(t, u, "market").get(p).has(`aria-pressed="false"`, "Like")
	newVisitor(t).get(u["market"] + "/suma-market/product/no-such-thing/").want(404)
}

func TestMarketEscapesUserText(t *testing.T) {
	u := shared(t)
	exec(t, `insert into products (market_id, slug, title, brand, price, description_html)
	         values ((select id from market_places where slug = 'suma-market'), 'evil-product',
	                 '<script>alert(1)</script> & "Oats"', '<b>Brand</b>', 1.50, '<p>Nice</p></script><script>x()</script>')
	         on conflict do nothing`)
	v := newVisitor(t)
	page := v.get(u["market"] + "/suma-market/product/evil-product/").want(200)
	page.has("<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Oats&quot;</h1>", "by &lt;b&gt;Brand&lt;/b&gt;")
	// Nothing closes a script element early (the JSON-LD carries the title).
	page.lacks("<script>alert(1)</script>", "<b>Brand</b>", "</script><script>x()")
	v.get(u["market"] + "/suma-market/?q=" + url.QueryEscape("<script>")).want(200).
		has("matching “&lt;script&gt;”").lacks("“<script>”")
}

func TestMarketAddToCart(t *testing.T) {
	u := shared(t)
	v := newVisitor(t)
	p := u["market"] + "/suma-market/product/red-lentils-500g/"
	// With the runtime: the form's answer and the badge out of band.
	r := v.post(p+"add", p, url.Values{"quantity": {"2"}}, "SX-Request", "true").want(200)
	r.has("Added 2 to your cart", `id="cart-mini"`, `sx-swap-oob="true"`, `<span class="cart-count">2</span>`)
	// Without it: back to the product page, whose badge counts the line.
	r = v.post(p+"add", p, url.Values{"quantity": {"1"}}).want(303)
	if loc := r.Header.Get("Location"); !strings.Contains(loc, "/suma-market/product/red-lentils-500g/?added=1") {
		t.Errorf("redirect to %q", loc)
	}
	v.get(p+"?added=1").want(200).has("Added 1 to your cart.", `id="cart-mini"`)
	// The line is on the shop page's cart (the market's page).
	v.get(u["cart"]+"/shop/").want(200).has("Red split lentils 500g", `value="3"`, "£4.80")
	// A form without the CSRF token is refused.
	v.do(mustRequest(t, "POST", p+"add", "quantity=1")).want(403)
	v.post(p+"add", p, url.Values{"quantity": {"0"}}).want(400)
	v.post(u["market"]+"/suma-market/product/nope/add", p, nil).want(404)
}

func TestMarketLike(t *testing.T) {
	u := shared(t)
	p := u["market"] + "/suma-market/product/apples-kg/"
	m := signedIn(t, u, "cleo@coop.example", false, "market")
	m.post(p+"like", p, nil, "SX-Request", "true").want(200).has(`aria-pressed="true"`, "Liked")
	m.get(p).has(`aria-pressed="true"`)
	m.post(p+"like", p, nil).want(303)
	m.get(p).has(`aria-pressed="false"`)
	// This platform's cache is its own memory, not shared with other
	// instances: the like state is read fresh, and a like written behind
	// the process's back shows on the next page.
	if _, err := db.Exec(context.Background(), `insert into likes (user_id, target_type, target_id)
		select u.id, 'product', p.id from users u, products p where u.email = 'cleo@coop.example' and p.slug = 'apples-kg'`); err != nil {
		t.Fatal(err)
	}
	m.get(p).has(`aria-pressed="true"`, "Liked")
	anon := newVisitor(t)
	anon.post(p+"like", p, nil).want(401)
}

// TestMarketLikeAcrossInstances: two instances of the platform share
// PostgreSQL and Redis, where the like state has a copy (blog's is-liked
// and toggle). A like toggled on one shows on the other's next page at once
// (toggle writes the new state through after its commit: without that the
// other instance would show its copy for up to a minute); a toggle that
// rolls back leaves the copy alone; a change made in SQL, behind blog's
// back, shows once the copy has expired (at most 60 s).
func TestMarketLikeAcrossInstances(t *testing.T) {
	cache := sharedRedis(t)
	one, _ := sitesOn(t, cache)
	two, plat := sitesOn(t, cache)
	const slug, email = "aduki-beans-500g", "cleo@coop.example"
	path := "/suma-market/product/" + slug + "/"
	a := signedIn(t, one, email, false, "market")
	b := signedIn(t, two, email, false, "market")
	liked := func(v *visitor, base string, want bool) {
		t.Helper()
		v.get(base + path).want(200).has(fmt.Sprintf(`aria-pressed="%v"`, want))
	}
	liked(a, one["market"], false) // instance one now holds "not liked"
	b.post(two["market"]+path+"like", two["market"]+path, nil).want(303)
	liked(a, one["market"], true)
	b.post(two["market"]+path+"like", two["market"]+path, nil).want(303)
	liked(a, one["market"], false)
	b.post(two["market"]+path+"like", two["market"]+path, nil).want(303)
	liked(a, one["market"], true)

	// A toggle in a transaction that rolls back writes nothing through.
	uid := userID(t, email)
	pid := scalar[int64](t, "select id from products where slug = $1", slug)
	src := fmt.Sprintf(`(action "blog" "toggle" :user-id %d :target-type "product" :target-id %d) (error "rolled back")`, uid, pid)
	if _, err := plat.RunSource(context.Background(), "rollback.sx", src, io.Discard); err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("the rolled-back toggle: %v", err)
	}
	liked(a, one["market"], true)

	// A change behind blog's back is not seen while the copy lives (60 s
	// at most), and is once it has gone.
	key := fmt.Sprintf(`sx:like:[%d,"product",%d,null]`, uid, pid)
	ttl, err := cache.Client().TTL(context.Background(), cache.prefix+key).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("the copy's TTL: %v, %v; want at most a minute", ttl, err)
	}
	if _, err := db.Exec(context.Background(), "delete from likes where user_id = $1 and target_type = 'product' and target_id = $2", uid, pid); err != nil {
		t.Fatal(err)
	}
	liked(a, one["market"], true)
	cache.Delete(context.Background(), key) // what its expiry does
	liked(a, one["market"], false)
}

func TestMarketContainerNav(t *testing.T) {
	u := shared(t)
	shop := scalar[int64](t, "select id from posts where slug = 'shop'")
	fragment(t, u["market"], "container-nav", url.Values{"container-type": {"page"}, "container-id": {itoa(shop)}}).
		want(200).has(`href="/suma-market/"`, "Suma market", "The co-op's weekly wholesale order")
	other := scalar[int64](t, "select id from posts where slug = 'bread-week'")
	if r := fragment(t, u["market"], "container-nav", url.Values{"container-type": {"page"}, "container-id": {itoa(other)}}); strings.TrimSpace(r.Body) != "" {
		t.Errorf("a page without markets: %q", r.Body)
	}
}

// prefixedRedis is the tests' Redis with every key under a prefix of this
// run's own, so that runs sharing the server do not meet.
type prefixedRedis struct {
	*cacheprims.Redis
	prefix string
}

func (c prefixedRedis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return c.Redis.Get(ctx, c.prefix+key)
}

func (c prefixedRedis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return c.Redis.Set(ctx, c.prefix+key, value, ttl)
}

func (c prefixedRedis) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	return c.Redis.Add(ctx, c.prefix+key, value, ttl)
}

func (c prefixedRedis) Delete(ctx context.Context, key string) error {
	return c.Redis.Delete(ctx, c.prefix+key)
}

// sharedRedis is a cache on the Redis at SX_TEST_REDIS_URL (default: the
// local server), its keys deleted when the test ends.
func sharedRedis(t *testing.T) prefixedRedis {
	t.Helper()
	u := pgtest.RedisURL()
	r, err := cacheprims.NewRedis(u)
	if err != nil {
		t.Fatal(err)
	}
	c := prefixedRedis{Redis: r, prefix: fmt.Sprintf("sitestest:%d:%d:", os.Getpid(), time.Now().UnixNano())}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := r.Client().Keys(ctx, c.prefix+"*").Result()
		if len(keys) > 0 {
			r.Client().Del(ctx, keys...)
		}
		r.Close()
	})
	return c
}
