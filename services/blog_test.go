package services_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Fixture values are chosen to stay clear of other tests sharing the database.

func blogURL(t *testing.T) string {
	t.Helper()
	return platform(t, "blog")["blog"]
}

// insertPost inserts a post and returns its id.
func blogInsertPost(t *testing.T, slug, title, status string, deleted bool) int64 {
	t.Helper()
	return scalar[int64](t, `insert into posts (slug, title, status, published_at, deleted_at)
		values ($1, $2, $3, case when $3 = 'draft' then null else now() end,
		        case when $4 then now() else null end) returning id`, slug, title, status, deleted)
}

func TestBlogPostByIDAndSlug(t *testing.T) {
	b := blogURL(t)
	id := blogInsertPost(t, "blogtest-one", "One", "published", false)
	gone := blogInsertPost(t, "blogtest-gone", "Gone", "published", true)

	p := wantObj(t, query(t, b, "post-by-id", "id="+itoa(id)))
	if num(t, p["id"]) != id || p["slug"] != "blogtest-one" || p["title"] != "One" ||
		p["status"] != "published" || p["is_page"] != false || p["visibility"] != "public" {
		t.Fatalf("post-by-id: %v", p)
	}
	for _, k := range []string{"uuid", "published_at", "updated_at", "html", "sx_content"} {
		if _, ok := p[k]; !ok {
			t.Errorf("post-by-id lacks %s", k)
		}
	}
	p = wantObj(t, query(t, b, "post-by-slug", "slug=blogtest-one"))
	if num(t, p["id"]) != id {
		t.Fatalf("post-by-slug: %v", p)
	}

	wantNull(t, query(t, b, "post-by-id", "id=987654321"))
	wantNull(t, query(t, b, "post-by-id", "id="+itoa(gone)))
	wantNull(t, query(t, b, "post-by-slug", "slug=blogtest-gone"))
	wantNull(t, query(t, b, "post-by-slug", "slug=blogtest-nope"))

	wantBadParam(t, query(t, b, "post-by-id", ""), "id")
	wantBadParam(t, query(t, b, "post-by-id", "id=abc"), "id")
	wantBadParam(t, query(t, b, "post-by-slug", ""), "slug")
	wantBadParam(t, query(t, b, "post-by-slug", "slug=%20"), "slug")
	wantBadParam(t, query(t, b, "post-by-id", "id=0"), "id")
	wantBadParam(t, query(t, b, "post-by-id", "id=-1"), "id")
}

func TestBlogPostsByIDs(t *testing.T) {
	b := blogURL(t)
	a := blogInsertPost(t, "blogtest-batch-a", "A", "published", false)
	c := blogInsertPost(t, "blogtest-batch-c", "C", "draft", false)
	gone := blogInsertPost(t, "blogtest-batch-gone", "Gone", "published", true)

	rows := wantArr(t, query(t, b, "posts-by-ids", "ids="+itoa(c)+","+itoa(gone)+",987654321,"+itoa(a)))
	if len(rows) != 2 {
		t.Fatalf("posts-by-ids: %v", rows)
	}
	if num(t, rows[0].(map[string]any)["id"]) != c || num(t, rows[1].(map[string]any)["id"]) != a {
		t.Fatalf("posts-by-ids order: %v", rows)
	}
	// A JSON array works too.
	rows = wantArr(t, query(t, b, "posts-by-ids", "ids="+url.QueryEscape("["+itoa(a)+"]")))
	if len(rows) != 1 || rows[0].(map[string]any)["slug"] != "blogtest-batch-a" {
		t.Fatalf("posts-by-ids JSON: %v", rows)
	}
	if rows := wantArr(t, query(t, b, "posts-by-ids", "ids=987654321")); len(rows) != 0 {
		t.Fatalf("unknown ids: %v", rows)
	}
	wantBadParam(t, query(t, b, "posts-by-ids", ""), "ids")
	wantBadParam(t, query(t, b, "posts-by-ids", "ids=1,x"), "ids")
	wantBadParam(t, query(t, b, "posts-by-ids", "ids="+itoa(a)+",0"), "ids")
	wantBadParam(t, query(t, b, "posts-by-ids", "ids=-4"), "ids")
}

func TestBlogLikes(t *testing.T) {
	b := blogURL(t)
	const user = 770001
	u := "user-id=770001&target-type=post"

	if l := wantObj(t, action(t, b, "toggle", map[string]any{"user-id": user, "target-type": "post", "target-id": 11})); l["liked"] != true {
		t.Fatalf("toggle on: %v", l)
	}
	if l := wantObj(t, action(t, b, "toggle", map[string]any{"user-id": user, "target-type": "post", "target-slug": "blogtest-liked"})); l["liked"] != true {
		t.Fatalf("toggle slug on: %v", l)
	}
	if l := wantObj(t, action(t, b, "toggle", map[string]any{"user-id": user, "target-type": "post", "target-id": 12})); l["liked"] != true {
		t.Fatalf("toggle on: %v", l)
	}

	for q, want := range map[string]bool{
		u + "&target-id=11":                               true,
		u + "&target-id=13":                               false,
		u + "&target-slug=blogtest-liked":                 true,
		u + "&target-slug=blogtest-other":                 false,
		"user-id=770002&target-type=post&target-id=11":    false,
		"user-id=770001&target-type=product&target-id=11": false,
	} {
		c := query(t, b, "is-liked", q)
		wantStatus(t, c, 200)
		if c.JSON != want {
			t.Errorf("is-liked %s = %s, want %v", q, c.Body, want)
		}
	}

	ids := wantArr(t, query(t, b, "liked-ids", u))
	if len(ids) != 2 || num(t, ids[0])+num(t, ids[1]) != 23 {
		t.Fatalf("liked-ids: %v", ids)
	}
	slugs := wantArr(t, query(t, b, "liked-slugs", u))
	if len(slugs) != 1 || slugs[0] != "blogtest-liked" {
		t.Fatalf("liked-slugs: %v", slugs)
	}
	if a := wantArr(t, query(t, b, "liked-ids", "user-id=770009&target-type=post")); len(a) != 0 {
		t.Fatalf("liked-ids of nobody: %v", a)
	}

	// A toggle pair is a no-op.
	before := scalar[int64](t, "select count(*) from likes where user_id = $1", user)
	for i, want := range []bool{false, true} {
		l := wantObj(t, action(t, b, "toggle", map[string]any{"user-id": user, "target-type": "post", "target-id": 11}))
		if l["liked"] != want {
			t.Fatalf("toggle %d: %v, want %v", i, l, want)
		}
	}
	for i, want := range []bool{false, true} {
		l := wantObj(t, action(t, b, "toggle", map[string]any{"user-id": user, "target-type": "post", "target-slug": "blogtest-liked"}))
		if l["liked"] != want {
			t.Fatalf("toggle slug %d: %v, want %v", i, l, want)
		}
	}
	if after := scalar[int64](t, "select count(*) from likes where user_id = $1", user); after != before {
		t.Fatalf("toggle pairs changed the like count: %d -> %d", before, after)
	}
	if c := query(t, b, "is-liked", u+"&target-id=11"); c.JSON != true {
		t.Fatalf("after pairs: %s", c.Body)
	}

	wantBadParam(t, query(t, b, "is-liked", "target-type=post&target-id=1"), "user-id")
	wantBadParam(t, query(t, b, "is-liked", u+"&target-id=x"), "target-id")
	wantBadParam(t, query(t, b, "liked-ids", "user-id=1"), "target-type")
	wantBadParam(t, query(t, b, "liked-slugs", "user-id=nope&target-type=post"), "user-id")
	wantBadParam(t, action(t, b, "toggle", map[string]any{"target-type": "post", "target-id": 1}), "user-id")
	wantBadParam(t, action(t, b, "toggle", map[string]any{"user-id": user, "target-type": "post", "target-id": "x"}), "target-id")
	// Neither target-id nor target-slug.
	wantBadParam(t, action(t, b, "toggle", map[string]any{"user-id": user, "target-type": "post"}), "target-id")
	wantBadParam(t, query(t, b, "is-liked", u), "target-id")

	// Blank types and slugs and non-positive ids are refused, and write nothing.
	likes := scalar[int64](t, "select count(*) from likes")
	for _, bad := range []struct {
		param string
		body  map[string]any
	}{
		{"target-type", map[string]any{"user-id": user, "target-type": "", "target-id": 11}},
		{"target-type", map[string]any{"user-id": user, "target-type": "  ", "target-slug": "blogtest-liked"}},
		{"target-slug", map[string]any{"user-id": user, "target-type": "post", "target-slug": " "}},
		{"target-slug", map[string]any{"user-id": user, "target-type": "post", "target-slug": ""}},
		{"target-id", map[string]any{"user-id": user, "target-type": "post", "target-id": 0}},
		{"target-id", map[string]any{"user-id": user, "target-type": "post", "target-id": -3, "target-slug": "blogtest-liked"}},
		{"user-id", map[string]any{"user-id": -1, "target-type": "post", "target-id": 11}},
		{"user-id", map[string]any{"user-id": 0, "target-type": "post", "target-slug": "blogtest-liked"}},
	} {
		wantBadParam(t, action(t, b, "toggle", bad.body), bad.param)
	}
	if after := scalar[int64](t, "select count(*) from likes"); after != likes {
		t.Fatalf("refused toggles changed the likes: %d -> %d", likes, after)
	}
	wantBadParam(t, query(t, b, "is-liked", "user-id=770001&target-type=post&target-slug=%20"), "target-slug")
	wantBadParam(t, query(t, b, "is-liked", "user-id=770001&target-type=post&target-id=0"), "target-id")
	wantBadParam(t, query(t, b, "is-liked", "user-id=770001&target-type=%20&target-id=11"), "target-type")
	wantBadParam(t, query(t, b, "is-liked", "user-id=0&target-type=post&target-id=11"), "user-id")
	wantBadParam(t, query(t, b, "liked-ids", "user-id=770001&target-type=%20"), "target-type")
	wantBadParam(t, query(t, b, "liked-ids", "user-id=-770001&target-type=post"), "user-id")
	wantBadParam(t, query(t, b, "liked-slugs", "user-id=770001&target-type=%20%20"), "target-type")
	wantBadParam(t, query(t, b, "liked-slugs", "user-id=0&target-type=post"), "user-id")
}

func TestBlogRelations(t *testing.T) {
	b := blogURL(t)
	edge := func(child string, id int) map[string]any {
		return map[string]any{"parent-type": "page", "parent-id": 880001, "child-type": child, "child-id": id}
	}

	r1 := wantObj(t, action(t, b, "attach-child", edge("market", 1)))
	r2 := wantObj(t, action(t, b, "attach-child", edge("calendar", 2)))
	withLabel := edge("calendar", 3)
	withLabel["label"] = "Events"
	withLabel["sort-order"] = 10
	r3 := wantObj(t, action(t, b, "attach-child", withLabel))
	if r1["parent_type"] != "page" || num(t, r1["parent_id"]) != 880001 || r1["child_type"] != "market" ||
		num(t, r1["child_id"]) != 1 || num(t, r1["sort_order"]) != 0 || r1["label"] != nil {
		t.Fatalf("attach-child: %v", r1)
	}
	if num(t, r2["sort_order"]) != 1 || num(t, r3["sort_order"]) != 10 || r3["label"] != "Events" {
		t.Fatalf("sort orders / label: %v %v", r2, r3)
	}

	// Attaching again returns the same relation and adds no row.
	again := wantObj(t, action(t, b, "attach-child", edge("market", 1)))
	if num(t, again["id"]) != num(t, r1["id"]) || num(t, again["sort_order"]) != 0 {
		t.Fatalf("attach again: %v vs %v", again, r1)
	}
	if n := scalar[int64](t, "select count(*) from container_relations where parent_id = 880001"); n != 3 {
		t.Fatalf("%d rows after re-attach, want 3", n)
	}

	kids := wantArr(t, query(t, b, "get-children", "parent-type=page&parent-id=880001"))
	if len(kids) != 3 || kids[0].(map[string]any)["child_type"] != "market" ||
		num(t, kids[1].(map[string]any)["child_id"]) != 2 || num(t, kids[2].(map[string]any)["child_id"]) != 3 {
		t.Fatalf("get-children: %v", kids)
	}
	if kids := wantArr(t, query(t, b, "get-children", "parent-type=page&parent-id=880001&child-type=calendar")); len(kids) != 2 {
		t.Fatalf("get-children calendar: %v", kids)
	}
	if kids := wantArr(t, query(t, b, "get-children", "parent-type=page&parent-id=880999")); len(kids) != 0 {
		t.Fatalf("get-children of nothing: %v", kids)
	}

	if d := wantObj(t, action(t, b, "detach-child", edge("calendar", 2))); d["detached"] != true {
		t.Fatalf("detach: %v", d)
	}
	if d := wantObj(t, action(t, b, "detach-child", edge("calendar", 2))); d["detached"] != false {
		t.Fatalf("detach again: %v", d)
	}
	if kids := wantArr(t, query(t, b, "get-children", "parent-type=page&parent-id=880001")); len(kids) != 2 {
		t.Fatalf("after detach: %v", kids)
	}
	// Each change of the graph, and only a change, is an activity for the
	// navigation: market 1 was attached twice and calendar 2 detached
	// twice, one change each.
	events := func(typ string, child int) int64 {
		return scalar[int64](t, `select count(*) from ap_activities where origin_app = 'blog' and activity_type = $1
			and (payload->>'parent-id')::int = 880001 and (payload->>'child-id')::int = $2`, typ, child)
	}
	if a, d := events("container.attached", 1), events("container.detached", 2); a != 1 || d != 1 {
		t.Fatalf("activities: market 1 attached %d times, calendar 2 detached %d times; want 1 and 1", a, d)
	}
	// Re-attaching a detached child makes a new live relation.
	re := wantObj(t, action(t, b, "attach-child", edge("calendar", 2)))
	if num(t, re["id"]) == num(t, r2["id"]) {
		t.Fatalf("re-attach reused the detached row: %v", re)
	}

	wantBadParam(t, query(t, b, "get-children", "parent-type=page"), "parent-id")
	wantBadParam(t, query(t, b, "get-children", "parent-type=page&parent-id=x"), "parent-id")
	wantBadParam(t, action(t, b, "attach-child", map[string]any{"parent-type": "page", "parent-id": 1, "child-type": "market"}), "child-id")
	wantBadParam(t, action(t, b, "detach-child", map[string]any{"parent-type": "page", "parent-id": "p", "child-type": "market", "child-id": 1}), "parent-id")
	wantStatus(t, action(t, b, "attach-child", map[string]any{"parent-type": "page", "parent-id": 5, "child-type": "page", "child-id": 5}), 400)
}

// Blank types and non-positive ids are refused by every relation call, and
// attach-child writes nothing for them.
func TestBlogRelationsRefuseBlankValues(t *testing.T) {
	b := blogURL(t)
	good := map[string]any{"parent-type": "page", "parent-id": 880101, "child-type": "market", "child-id": 1}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	rows := scalar[int64](t, "select count(*) from container_relations")
	for _, bad := range []struct {
		param string
		value any
	}{
		{"parent-type", ""}, {"parent-type", "  "}, {"child-type", ""}, {"child-type", "\t "},
		{"parent-id", 0}, {"parent-id", -5}, {"child-id", 0}, {"child-id", -1},
	} {
		wantBadParam(t, action(t, b, "attach-child", with(bad.param, bad.value)), bad.param)
		wantBadParam(t, action(t, b, "detach-child", with(bad.param, bad.value)), bad.param)
	}
	if after := scalar[int64](t, "select count(*) from container_relations"); after != rows {
		t.Fatalf("refused attach-child calls wrote %d rows", after-rows)
	}
	wantBadParam(t, query(t, b, "get-children", "parent-type=%20&parent-id=1"), "parent-type")
	wantBadParam(t, query(t, b, "get-children", "parent-type=page&parent-id=0"), "parent-id")
	wantBadParam(t, query(t, b, "get-children", "parent-type=page&parent-id=-2"), "parent-id")
	wantBadParam(t, query(t, b, "get-children", "parent-type=page&parent-id=1&child-type=%20"), "child-type")
	wantBadParam(t, query(t, b, "get-children", "parent-type=page&parent-id=1&child-type="), "child-type")
}

// sort-order is bounded, so that appending after the largest (max + 1)
// cannot overflow the column.
func TestBlogAttachChildSortOrderBounds(t *testing.T) {
	b := blogURL(t)
	edge := func(id int, sortOrder any) map[string]any {
		m := map[string]any{"parent-type": "page", "parent-id": 880201, "child-type": "market", "child-id": id}
		if sortOrder != nil {
			m["sort-order"] = sortOrder
		}
		return m
	}
	for _, v := range []any{-1, 1000001, 2147483647} {
		wantBadParam(t, action(t, b, "attach-child", edge(1, v)), "sort-order")
	}
	if n := scalar[int64](t, "select count(*) from container_relations where parent_id = 880201"); n != 0 {
		t.Fatalf("refused attach-child calls wrote %d rows", n)
	}
	if r := wantObj(t, action(t, b, "attach-child", edge(1, 1000000))); num(t, r["sort_order"]) != 1000000 {
		t.Fatalf("the largest sort-order: %v", r)
	}
	// Later appends still work.
	for i, want := range []int64{1000001, 1000002} {
		c := action(t, b, "attach-child", edge(2+i, nil))
		wantStatus(t, c, 200)
		if r := wantObj(t, c); num(t, r["sort_order"]) != want {
			t.Fatalf("append %d after the largest sort-order: %v", i, r)
		}
	}
	if r := wantObj(t, action(t, b, "attach-child", edge(9, 0))); num(t, r["sort_order"]) != 0 {
		t.Fatalf("sort-order 0: %v", r)
	}
}

func TestBlogPageConfigs(t *testing.T) {
	b := blogURL(t)
	pc := wantObj(t, action(t, b, "page-config-ensure", map[string]any{"container-type": "page", "container-id": 990001}))
	if pc["container_type"] != "page" || num(t, pc["container_id"]) != 990001 {
		t.Fatalf("ensure: %v", pc)
	}
	if f, ok := pc["features"].(map[string]any); !ok || len(f) != 0 {
		t.Fatalf("features: %v", pc["features"])
	}
	id := num(t, pc["id"])

	exec(t, `update page_configs set features = '{"market": true}', sumup_merchant_code = 'M1' where id = $1`, id)
	again := wantObj(t, action(t, b, "page-config-ensure", map[string]any{"container-type": "page", "container-id": 990001}))
	if num(t, again["id"]) != id || again["features"].(map[string]any)["market"] != true || again["sumup_merchant_code"] != "M1" {
		t.Fatalf("ensure again: %v", again)
	}
	if n := scalar[int64](t, "select count(*) from page_configs where container_id = 990001"); n != 1 {
		t.Fatalf("%d page configs, want 1", n)
	}

	got := wantObj(t, query(t, b, "page-config-by-container", "container-type=page&container-id=990001"))
	if num(t, got["id"]) != id {
		t.Fatalf("by-container: %v", got)
	}
	got = wantObj(t, query(t, b, "page-config-by-id", "id="+itoa(id)))
	if got["container_type"] != "page" || num(t, got["container_id"]) != 990001 {
		t.Fatalf("by-id: %v", got)
	}
	if _, leaked := got["sumup_api_key"]; leaked {
		t.Errorf("page configs must not expose the SumUp API key: %v", got)
	}
	wantNull(t, query(t, b, "page-config-by-container", "container-type=page&container-id=990999"))
	wantNull(t, query(t, b, "page-config-by-container", "container-type=post&container-id=990001"))
	wantNull(t, query(t, b, "page-config-by-id", "id=987654321"))

	wantObj(t, action(t, b, "page-config-ensure", map[string]any{"container-type": "page", "container-id": 990002}))
	rows := wantArr(t, query(t, b, "page-configs-batch", "container-type=page&container-ids=990002,990999,990001"))
	if len(rows) != 2 || num(t, rows[0].(map[string]any)["container_id"]) != 990002 ||
		num(t, rows[1].(map[string]any)["container_id"]) != 990001 {
		t.Fatalf("batch: %v", rows)
	}
	if rows := wantArr(t, query(t, b, "page-configs-batch", "container-type=post&container-ids=990001")); len(rows) != 0 {
		t.Fatalf("batch of another type: %v", rows)
	}

	wantBadParam(t, action(t, b, "page-config-ensure", map[string]any{"container-type": "page"}), "container-id")
	wantBadParam(t, action(t, b, "page-config-ensure", map[string]any{"container-type": "page", "container-id": "x"}), "container-id")
	wantBadParam(t, query(t, b, "page-config-by-container", "container-id=1"), "container-type")
	wantBadParam(t, query(t, b, "page-config-by-id", "id=1.5"), "id")
	wantBadParam(t, query(t, b, "page-configs-batch", "container-type=page"), "container-ids")

	// Blank container types and non-positive ids are refused; ensure creates nothing for them.
	configs := scalar[int64](t, "select count(*) from page_configs")
	for _, bad := range []struct {
		param string
		body  map[string]any
	}{
		{"container-type", map[string]any{"container-type": "", "container-id": 990003}},
		{"container-type", map[string]any{"container-type": "   ", "container-id": 990003}},
		{"container-id", map[string]any{"container-type": "page", "container-id": 0}},
		{"container-id", map[string]any{"container-type": "page", "container-id": -5}},
	} {
		wantBadParam(t, action(t, b, "page-config-ensure", bad.body), bad.param)
		wantBadParam(t, action(t, b, "page-config-update", bad.body), bad.param)
	}
	if after := scalar[int64](t, "select count(*) from page_configs"); after != configs {
		t.Fatalf("refused page-config-ensure calls created %d page configs", after-configs)
	}
	wantBadParam(t, query(t, b, "page-config-by-container", "container-type=%20&container-id=990001"), "container-type")
	wantBadParam(t, query(t, b, "page-config-by-container", "container-type=page&container-id=-5"), "container-id")
	wantBadParam(t, query(t, b, "page-config-by-id", "id=0"), "id")
	wantBadParam(t, query(t, b, "page-configs-batch", "container-type=%20&container-ids=990001"), "container-type")
	wantBadParam(t, query(t, b, "page-configs-batch", "container-type=page&container-ids=990001,-5"), "container-ids")
}

func TestBlogPageConfigUpdate(t *testing.T) {
	b := blogURL(t)
	pc := wantObj(t, action(t, b, "page-config-ensure", map[string]any{"container-type": "page", "container-id": 990101}))
	id := num(t, pc["id"])
	if pc["has_sumup_api_key"] != false {
		t.Fatalf("a new page config has a SumUp key: %v", pc)
	}
	where := map[string]any{"container-type": "page", "container-id": 990101}
	update := func(fields map[string]any) call {
		body := map[string]any{}
		for k, v := range where {
			body[k] = v
		}
		for k, v := range fields {
			body[k] = v
		}
		return action(t, b, "page-config-update", body)
	}
	noKey := func(c call) map[string]any {
		t.Helper()
		wantStatus(t, c, 200)
		if strings.Contains(c.Body, "sk_live_secret") || strings.Contains(c.Body, `"sumup_api_key"`) {
			t.Fatalf("the SumUp API key leaked: %s", c.Body)
		}
		return wantObj(t, c)
	}

	got := noKey(update(map[string]any{"features": map[string]any{"market": true, "calendar": true},
		"sumup-merchant-code": "MC123", "sumup-checkout-prefix": "ROSE-", "sumup-api-key": "sk_live_secret"}))
	if num(t, got["id"]) != id || got["sumup_merchant_code"] != "MC123" || got["sumup_checkout_prefix"] != "ROSE-" ||
		got["has_sumup_api_key"] != true || got["container_type"] != "page" || num(t, got["container_id"]) != 990101 {
		t.Fatalf("update: %v", got)
	}
	if f := got["features"].(map[string]any); len(f) != 2 || f["market"] != true || f["calendar"] != true {
		t.Fatalf("features: %v", got["features"])
	}
	if k := scalar[string](t, "select sumup_api_key from page_configs where id = $1", id); k != "sk_live_secret" {
		t.Fatalf("stored key %q", k)
	}

	// Features merge; null removes one; parameters left out keep their values.
	got = noKey(update(map[string]any{"features": map[string]any{"calendar": nil, "tickets": map[string]any{"max": 5}}}))
	f := got["features"].(map[string]any)
	if len(f) != 2 || f["market"] != true || num(t, f["tickets"].(map[string]any)["max"]) != 5 || got["sumup_merchant_code"] != "MC123" ||
		got["sumup_checkout_prefix"] != "ROSE-" || got["has_sumup_api_key"] != true {
		t.Fatalf("merge: %v", got)
	}
	if k := scalar[string](t, "select sumup_api_key from page_configs where id = $1", id); k != "sk_live_secret" {
		t.Fatalf("the key changed when not given: %q", k)
	}

	// The key is replaced, then cleared with ""; so is the merchant code.
	noKey(update(map[string]any{"sumup-api-key": "sk_live_other"}))
	if k := scalar[string](t, "select sumup_api_key from page_configs where id = $1", id); k != "sk_live_other" {
		t.Fatalf("replaced key %q", k)
	}
	got = noKey(update(map[string]any{"sumup-api-key": "", "sumup-merchant-code": ""}))
	if got["has_sumup_api_key"] != false || got["sumup_merchant_code"] != nil || got["sumup_checkout_prefix"] != "ROSE-" {
		t.Fatalf("cleared: %v", got)
	}
	if n := scalar[int64](t, "select count(*) from page_configs where id = $1 and sumup_api_key is null", id); n != 1 {
		t.Fatal("the key was not cleared")
	}

	// The queries say whether a key is set, never what it is.
	noKey(update(map[string]any{"sumup-api-key": "sk_live_secret"}))
	for _, c := range []call{
		query(t, b, "page-config-by-id", "id="+itoa(id)),
		query(t, b, "page-config-by-container", "container-type=page&container-id=990101"),
		action(t, b, "page-config-ensure", where),
	} {
		if m := noKey(c); m["has_sumup_api_key"] != true {
			t.Fatalf("has_sumup_api_key: %s", c.Body)
		}
	}
	rows := wantArr(t, query(t, b, "page-configs-batch", "container-type=page&container-ids=990101"))
	if len(rows) != 1 || strings.Contains(fmt.Sprint(rows), "sk_live") {
		t.Fatalf("batch: %v", rows)
	}

	wantNull(t, action(t, b, "page-config-update", map[string]any{"container-type": "page", "container-id": 990199, "features": map[string]any{"market": true}}))
	wantNull(t, action(t, b, "page-config-update", map[string]any{"container-type": "post", "container-id": 990101}))
	if n := scalar[int64](t, "select count(*) from page_configs where container_id = 990199"); n != 0 {
		t.Fatal("update created a page config")
	}
	wantBadParam(t, update(map[string]any{"features": []any{"market"}}), "features")
	wantBadParam(t, update(map[string]any{"features": "market"}), "features")
	wantBadParam(t, update(map[string]any{"sumup-merchant-code": map[string]any{"a": 1}}), "sumup-merchant-code")
	wantBadParam(t, update(map[string]any{"sumup-api-key": []any{"k"}}), "sumup-api-key")
	wantBadParam(t, action(t, b, "page-config-update", map[string]any{"container-type": "page", "container-id": "x"}), "container-id")
	wantBadParam(t, action(t, b, "page-config-update", map[string]any{"container-id": 990101}), "container-type")
	// Nothing changed by the refused calls.
	got = noKey(query(t, b, "page-config-by-id", "id="+itoa(id)))
	if f := got["features"].(map[string]any); len(f) != 2 || f["market"] != true {
		t.Fatalf("after refused updates: %v", got)
	}
}

func TestBlogSchema(t *testing.T) {
	b := blogURL(t)
	s := wantObj(t, request(t, "GET", b+"/internal/schema", nil))
	if s["service"] != "blog" || s["title"] != "Blog" {
		t.Fatalf("schema: %v", s)
	}
	defs := checkSchema(t, b, "blog",
		[]string{"post-by-id", "post-by-slug", "posts-by-ids", "is-liked", "liked-slugs", "liked-ids",
			"get-children", "get-parents", "page-config-by-container", "page-config-by-id", "page-config-payment-credentials", "page-configs-batch",
			"nav-menu", "menu-node-by-id", "posts-published", "posts-by-tag", "tags-with-counts",
			"tag-by-slug", "author-by-slug", "post-tags", "post-authors", "snippets",
			"post-page", "posts-by-author", "sitemap-entries", "calendar-pages", "news",
			"admin-posts", "post-slug-redirect", "site-settings",
			"media-library"},
		[]string{"toggle", "attach-child", "detach-child", "page-config-ensure", "page-config-update",
			"ghost-sync", "push-member", "save-menu-node", "move-menu-node", "delete-menu-node",
			"federate-post",
			"post-save", "post-set-status", "post-set-deleted", "snippet-save", "snippet-delete",
			"site-settings-save", "page-config-save", "menu-item-save", "menu-item-move", "menu-item-delete",
			"menu-page-attach", "menu-page-detach",
			"media-add", "media-update", "media-delete"})

	// Parameter types, required-ness and defaults are published.
	params := func(def string) map[string]map[string]any {
		out := map[string]map[string]any{}
		list, _ := defs[def]["params"].([]any)
		for _, p := range list {
			m := p.(map[string]any)
			out[m["name"].(string)] = m
		}
		return out
	}
	if p := params("is-liked"); p["user-id"]["type"] != "int" || p["user-id"]["required"] != true ||
		p["target-slug"]["required"] != false {
		t.Fatalf("is-liked params: %v", p)
	}
	// No default: the kinds a sync takes without one depend on the configuration.
	if p := params("ghost-sync"); len(p) != 1 || p["kinds"]["type"] != "str" || p["kinds"]["required"] != false ||
		p["kinds"]["default"] != nil {
		t.Fatalf("ghost-sync params: %v", p)
	}
	if p := params("push-member"); len(p) != 1 || p["user-id"]["type"] != "int" || p["user-id"]["required"] != true {
		t.Fatalf("push-member params: %v", p)
	}
	p := params("page-config-update")
	for name, want := range map[string][2]any{"container-type": {"str", true}, "container-id": {"int", true},
		"features": {"dict", false}, "sumup-merchant-code": {"str", false}, "sumup-checkout-prefix": {"str", false},
		"sumup-api-key": {"str", false}} {
		if p[name]["type"] != want[0] || p[name]["required"] != want[1] {
			t.Errorf("page-config-update %s: %v", name, p[name])
		}
	}
	if len(p) != 6 {
		t.Errorf("page-config-update params: %v", p)
	}
}
