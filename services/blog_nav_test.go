package services_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// Navigation (services/blog/nav.sx) and listings (services/blog/listings.sx).
// Each test works in menus of its own (a fresh page's menu, or site-menu
// nodes it created) and under a tag of its own, so other tests' rows never
// matter.

// navPage inserts a live published page and returns its id.
func navPage(t *testing.T, title string) int64 {
	t.Helper()
	return scalar[int64](t, `insert into posts (slug, title, status, is_page, published_at)
		values ($1, $2, 'published', true, now()) returning id`, uniq(t), title)
}

// navSave calls save-menu-node and returns the node it answers.
func navSave(t *testing.T, b string, body map[string]any) map[string]any {
	t.Helper()
	c := action(t, b, "save-menu-node", body)
	wantStatus(t, c, 200)
	return wantObj(t, c)
}

// navIn is a save-menu-node body for a node of page's menu.
func navIn(page int64, label string, more ...any) map[string]any {
	m := map[string]any{"label": label, "container-type": "page", "container-id": page}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i].(string)] = more[i+1]
	}
	return m
}

func navTree(t *testing.T, b string, page int64) []any {
	t.Helper()
	return wantArr(t, query(t, b, "nav-menu", "container-type=page&container-id="+itoa(page)))
}

// navFind is the node id anywhere in a tree, or nil.
func navFind(nodes []any, id int64) map[string]any {
	for _, n := range nodes {
		m := n.(map[string]any)
		if m["id"].(fmt.Stringer).String() == itoa(id) {
			return m
		}
		if found := navFind(m["children"].([]any), id); found != nil {
			return found
		}
	}
	return nil
}

// navShape prints a tree as "label(depth/sort_order)[children] …", for
// comparing shape, order, depth and sort_order at once.
func navShape(t *testing.T, nodes []any) string {
	t.Helper()
	var parts []string
	for _, n := range nodes {
		m := n.(map[string]any)
		s := fmt.Sprintf("%s(%d/%d)", m["label"], num(t, m["depth"]), num(t, m["sort_order"]))
		if kids := m["children"].([]any); len(kids) > 0 {
			s += "[" + navShape(t, kids) + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func navWantShape(t *testing.T, b string, page int64, want string) {
	t.Helper()
	if got := navShape(t, navTree(t, b, page)); got != want {
		t.Fatalf("tree:\n got %s\nwant %s", got, want)
	}
}

// navCount counts the live nodes of page's menu.
func navCount(t *testing.T, page int64) int64 {
	t.Helper()
	return scalar[int64](t, `select count(*) from menu_nodes
		where container_type = 'page' and container_id = $1 and deleted_at is null`, page)
}

// navID is the id of a node (or any row).
func navID(t *testing.T, m map[string]any) int64 { t.Helper(); return num(t, m["id"]) }

func TestBlogNavTree(t *testing.T) {
	b := blogURL(t)
	page := navPage(t, "Nav page")
	linked := navPage(t, "Linked page")
	gonePost := navPage(t, "Gone page")

	a := navSave(t, b, navIn(page, "A"))
	bb := navSave(t, b, navIn(page, "B", "href", "https://example.org/b"))
	a1 := navSave(t, b, navIn(page, "A1", "parent-id", navID(t, a)))
	a2 := navSave(t, b, navIn(page, "A2", "parent-id", navID(t, a), "post-id", linked, "slug", "a-two"))
	a1a := navSave(t, b, navIn(page, "A1a", "parent-id", navID(t, a1), "href", "/local/path?x=1"))
	gone := navSave(t, b, navIn(page, "Gone", "parent-id", navID(t, bb), "post-id", gonePost))
	// A node placed first by sort-order; later appends go after the largest.
	first := navSave(t, b, navIn(page, "First", "sort-order", 0))
	c := navSave(t, b, navIn(page, "C"))

	if a["container_type"] != "page" || num(t, a["container_id"]) != page || a["parent_id"] != nil ||
		num(t, a["depth"]) != 0 || num(t, a["sort_order"]) != 0 || a["href"] != nil || a["slug"] != nil {
		t.Fatalf("root node: %v", a)
	}
	if num(t, a1a["depth"]) != 2 || num(t, a1a["parent_id"]) != navID(t, a1) || a1a["href"] != "/local/path?x=1" {
		t.Fatalf("grandchild: %v", a1a)
	}
	if a2["post_slug"] == nil || a2["post_title"] != "Linked page" || a2["slug"] != "a-two" || num(t, a2["sort_order"]) != 1 {
		t.Fatalf("node linking a post: %v", a2)
	}
	if num(t, c["sort_order"]) != 2 || num(t, first["sort_order"]) != 0 {
		t.Fatalf("sort orders: first %v, c %v", first["sort_order"], c["sort_order"])
	}

	// Siblings by sort_order, then id: A and First share 0.
	navWantShape(t, b, page, "A(0/0)[A1(1/0)[A1a(2/0)] A2(1/1)] First(0/0) B(0/1)[Gone(1/0)] C(0/2)")
	tree := navTree(t, b, page)
	if n := navFind(tree, navID(t, a2)); n["post_title"] != "Linked page" || n["post_slug"] != a2["post_slug"] || num(t, n["post_id"]) != linked {
		t.Fatalf("tree node linking a post: %v", n)
	}
	if n := navFind(tree, navID(t, bb)); n["href"] != "https://example.org/b" || n["post_slug"] != nil {
		t.Fatalf("tree node with an href: %v", n)
	}
	// A deleted post leaves its node without a post slug or title.
	exec(t, "update posts set deleted_at = now() where id = $1", gonePost)
	if n := navFind(navTree(t, b, page), navID(t, gone)); n["post_slug"] != nil || n["post_title"] != nil {
		t.Fatalf("node of a deleted post: %v", n)
	}

	// The site menu (no container) is a separate tree.
	site := navSave(t, b, map[string]any{"label": "Site " + uniq(t), "post-id": page})
	siteKid := navSave(t, b, map[string]any{"label": "Site kid", "parent-id": navID(t, site)})
	if site["container_type"] != nil || site["container_id"] != nil || num(t, siteKid["depth"]) != 1 {
		t.Fatalf("site nodes: %v %v", site, siteKid)
	}
	siteTree := wantArr(t, query(t, b, "nav-menu", ""))
	if n := navFind(siteTree, navID(t, site)); n == nil || navFind(n["children"].([]any), navID(t, siteKid)) == nil {
		t.Fatalf("site menu lacks its nodes: %v", siteTree)
	}
	if navFind(siteTree, navID(t, a)) != nil || navFind(tree, navID(t, site)) != nil {
		t.Fatal("site menu and page menu mixed")
	}
	// Another container's menu, and a menu with nothing in it.
	if other := navTree(t, b, linked); len(other) != 0 {
		t.Fatalf("empty menu: %v", other)
	}
	if other := wantArr(t, query(t, b, "nav-menu", "container-type=market&container-id="+itoa(page))); len(other) != 0 {
		t.Fatalf("menu of another container type: %v", other)
	}

	// menu-node-by-id.
	if n := wantObj(t, query(t, b, "menu-node-by-id", "id="+itoa(navID(t, a2)))); n["label"] != "A2" || n["post_title"] != "Linked page" {
		t.Fatalf("menu-node-by-id: %v", n)
	}
	wantNull(t, query(t, b, "menu-node-by-id", "id=987654321"))
	wantBadParam(t, query(t, b, "menu-node-by-id", "id=x"), "id")
	wantBadParam(t, query(t, b, "menu-node-by-id", "id=0"), "id")
	wantBadParam(t, query(t, b, "nav-menu", "container-type=page&container-id=-1"), "container-id")
	wantBadParam(t, query(t, b, "nav-menu", "container-type=page"), "container-id")
	wantBadParam(t, query(t, b, "nav-menu", "container-id=5"), "container-type")
	wantBadParam(t, query(t, b, "nav-menu", "container-type=page&container-id=x"), "container-id")
}

func TestBlogNavSaveValidation(t *testing.T) {
	b := blogURL(t)
	page := navPage(t, "Validated")
	other := navPage(t, "Other menu")
	root := navSave(t, b, navIn(page, "Root"))
	elsewhere := navSave(t, b, navIn(other, "Elsewhere"))
	deleted := navSave(t, b, navIn(page, "Deleted"))
	wantObj(t, action(t, b, "delete-menu-node", map[string]any{"id": navID(t, deleted)}))
	deletedPost := scalar[int64](t, `insert into posts (slug, title, deleted_at) values ($1, 'x', now()) returning id`, uniq(t))
	before := navCount(t, page)

	for _, tc := range []struct {
		param string
		body  map[string]any
	}{
		{"label", map[string]any{"container-type": "page", "container-id": page}},
		{"label", navIn(page, "  ")},
		{"href", navIn(page, "x", "href", "javascript:alert(1)")},
		{"href", navIn(page, "x", "href", "//evil.example/")},
		{"href", navIn(page, "x", "href", "/\\evil.example/")},
		{"href", navIn(page, "x", "href", "/a b")},
		{"href", navIn(page, "x", "href", "ftp://example.org/")},
		{"href", navIn(page, "x", "href", "https://")},
		{"href", navIn(page, "x", "href", "relative/path")},
		{"slug", navIn(page, "x", "slug", "Not A Slug")},
		{"slug", navIn(page, "x", "slug", "-edge")},
		{"slug", navIn(page, "x", "slug", "a--b")},
		{"container-id", map[string]any{"label": "x", "container-type": "page"}},
		{"container-type", map[string]any{"label": "x", "container-id": page}},
		{"container-id", navIn(page, "x", "container-id", "seven")},
		{"parent-id", navIn(page, "x", "parent-id", 987654321)},
		{"parent-id", navIn(page, "x", "parent-id", navID(t, deleted))},
		{"parent-id", navIn(page, "x", "parent-id", navID(t, elsewhere))},
		{"parent-id", map[string]any{"label": "x", "parent-id": navID(t, root)}}, // site node under a page's node
		{"post-id", navIn(page, "x", "post-id", 987654321)},
		{"post-id", navIn(page, "x", "post-id", deletedPost)},
		{"sort-order", navIn(page, "x", "sort-order", -1)},
		{"sort-order", navIn(page, "x", "sort-order", 1000001)},
		{"sort-order", navIn(page, "x", "sort-order", 1<<40)},
		{"parent-id", navIn(page, "x", "parent-id", 0)},
		{"post-id", navIn(page, "x", "post-id", -3)},
		{"container-id", navIn(page, "x", "container-id", 0)},
		{"id", navIn(page, "x", "id", 0)},
		{"id", navIn(page, "x", "id", "abc")},
		// An update cannot move a node to another menu.
		{"container-type", navIn(other, "x", "id", navID(t, root))},
	} {
		wantBadParam(t, action(t, b, "save-menu-node", tc.body), tc.param)
	}
	if after := navCount(t, page); after != before {
		t.Fatalf("refused saves wrote nodes: %d -> %d", before, after)
	}
	if n := wantObj(t, query(t, b, "menu-node-by-id", "id="+itoa(navID(t, root)))); n["label"] != "Root" {
		t.Fatalf("refused update changed the node: %v", n)
	}

	// Unknown and deleted ids give null.
	wantNull(t, action(t, b, "save-menu-node", navIn(page, "x", "id", 987654321)))
	wantNull(t, action(t, b, "save-menu-node", navIn(page, "x", "id", navID(t, deleted))))

	// Accepted forms: blank slug and href are none; a trimmed label.
	n := navSave(t, b, navIn(page, "  Trimmed  ", "slug", "", "href", " ", "parent-id", navID(t, root)))
	if n["label"] != "Trimmed" || n["slug"] != nil || n["href"] != nil {
		t.Fatalf("blank fields: %v", n)
	}
	for _, h := range []string{"http://example.org", "https://example.org/x?y=1#z", "/", "/events/"} {
		if n := navSave(t, b, navIn(page, "ok", "href", h)); n["href"] != h {
			t.Fatalf("href %q: %v", h, n)
		}
	}
}

func TestBlogNavUpdate(t *testing.T) {
	b := blogURL(t)
	page := navPage(t, "Updated")
	linked := navPage(t, "Linked")
	x := navSave(t, b, navIn(page, "X"))
	y := navSave(t, b, navIn(page, "Y"))
	y1 := navSave(t, b, navIn(page, "Y1", "parent-id", navID(t, y), "href", "/y1"))
	y1a := navSave(t, b, navIn(page, "Y1a", "parent-id", navID(t, y1)))
	x1 := navSave(t, b, navIn(page, "X1", "parent-id", navID(t, x)))

	// Relabel in place: the node keeps its parent and sort_order; fields
	// left out (href) are cleared, and the container may be left out.
	n := navSave(t, b, map[string]any{"id": navID(t, y1), "label": "Y1 renamed", "parent-id": navID(t, y),
		"post-id": linked, "slug": "renamed"})
	if n["label"] != "Y1 renamed" || n["href"] != nil || n["slug"] != "renamed" || num(t, n["post_id"]) != linked ||
		n["post_title"] != "Linked" || num(t, n["sort_order"]) != 0 || num(t, n["depth"]) != 1 || n["container_type"] != "page" {
		t.Fatalf("relabelled: %v", n)
	}
	navWantShape(t, b, page, "X(0/0)[X1(1/0)] Y(0/1)[Y1 renamed(1/0)[Y1a(2/0)]]")

	// Moving Y1 under X1 by saving: after X1's children, subtree depths follow.
	navSave(t, b, navIn(page, "Y1 renamed", "id", navID(t, y1), "parent-id", navID(t, x1)))
	navWantShape(t, b, page, "X(0/0)[X1(1/0)[Y1 renamed(2/0)[Y1a(3/0)]]] Y(0/1)")
	// To the root with an explicit sort order.
	navSave(t, b, navIn(page, "Y1 renamed", "id", navID(t, y1), "sort-order", 7))
	navWantShape(t, b, page, "X(0/0)[X1(1/0)] Y(0/1) Y1 renamed(0/7)[Y1a(1/0)]")
	// Back under Y by saving: after Y's children (none), not at its old 7.
	navSave(t, b, navIn(page, "Y1 renamed", "id", navID(t, y1), "parent-id", navID(t, y)))
	navWantShape(t, b, page, "X(0/0)[X1(1/0)] Y(0/1)[Y1 renamed(1/0)[Y1a(2/0)]]")

	// A node under itself or its descendant: 409, nothing changes.
	before := navShape(t, navTree(t, b, page))
	wantError(t, action(t, b, "save-menu-node", navIn(page, "X", "id", navID(t, x), "parent-id", navID(t, x))), 409, "ancestor")
	wantError(t, action(t, b, "save-menu-node", navIn(page, "Y1 renamed", "id", navID(t, y1), "parent-id", navID(t, y1a))), 409, "ancestor")
	wantError(t, action(t, b, "save-menu-node", navIn(page, "Renamed?", "id", navID(t, x), "parent-id", navID(t, x1))), 409, "ancestor")
	if after := navShape(t, navTree(t, b, page)); after != before {
		t.Fatalf("refused saves changed the tree:\n%s\n%s", before, after)
	}
}

func TestBlogNavMove(t *testing.T) {
	b := blogURL(t)
	page := navPage(t, "Moved")
	other := navPage(t, "Elsewhere")
	r1 := navSave(t, b, navIn(page, "R1"))
	r2 := navSave(t, b, navIn(page, "R2"))
	r3 := navSave(t, b, navIn(page, "R3"))
	c1 := navSave(t, b, navIn(page, "C1", "parent-id", navID(t, r1)))
	navSave(t, b, navIn(page, "C2", "parent-id", navID(t, r1)))
	c3 := navSave(t, b, navIn(page, "C3", "parent-id", navID(t, r1)))
	d1 := navSave(t, b, navIn(page, "D1", "parent-id", navID(t, c1)))
	e1 := navSave(t, b, navIn(page, "E1", "parent-id", navID(t, d1)))
	navSave(t, b, navIn(page, "R2a", "parent-id", navID(t, r2)))
	elsewhere := navSave(t, b, navIn(other, "Elsewhere"))
	navWantShape(t, b, page, "R1(0/0)[C1(1/0)[D1(2/0)[E1(3/0)]] C2(1/1) C3(1/2)] R2(0/1)[R2a(1/0)] R3(0/2)")

	move := func(body map[string]any) map[string]any {
		t.Helper()
		c := action(t, b, "move-menu-node", body)
		wantStatus(t, c, 200)
		return wantObj(t, c)
	}

	// C1 to the roots, first: its subtree rises one level, both levels renumbered.
	n := move(map[string]any{"id": navID(t, c1), "root": true, "position": 0})
	if n["parent_id"] != nil || num(t, n["depth"]) != 0 || num(t, n["sort_order"]) != 0 {
		t.Fatalf("moved node: %v", n)
	}
	navWantShape(t, b, page, "C1(0/0)[D1(1/0)[E1(2/0)]] R1(0/1)[C2(1/0) C3(1/1)] R2(0/2)[R2a(1/0)] R3(0/3)")

	// Reorder within a level: R3 first, then C1 past the end (last).
	move(map[string]any{"id": navID(t, r3), "position": 0})
	navWantShape(t, b, page, "R3(0/0) C1(0/1)[D1(1/0)[E1(2/0)]] R1(0/2)[C2(1/0) C3(1/1)] R2(0/3)[R2a(1/0)]")
	move(map[string]any{"id": navID(t, c1), "position": 99})
	navWantShape(t, b, page, "R3(0/0) R1(0/1)[C2(1/0) C3(1/1)] R2(0/2)[R2a(1/0)] C1(0/3)[D1(1/0)[E1(2/0)]]")

	// R2 deep under E1 (last there, by default), its child following.
	move(map[string]any{"id": navID(t, r2), "parent-id": navID(t, e1)})
	navWantShape(t, b, page, "R3(0/0) R1(0/1)[C2(1/0) C3(1/1)] C1(0/2)[D1(1/0)[E1(2/0)[R2(3/0)[R2a(4/0)]]]]")
	// Under a new parent at a position.
	move(map[string]any{"id": navID(t, r3), "parent-id": navID(t, r1), "position": 1})
	navWantShape(t, b, page, "R1(0/0)[C2(1/0) R3(1/1) C3(1/2)] C1(0/1)[D1(1/0)[E1(2/0)[R2(3/0)[R2a(4/0)]]]]")
	if d := scalar[int64](t, "select depth from menu_nodes where id = $1", navID(t, r3)); d != 1 {
		t.Fatalf("stored depth %d", d)
	}

	// Cycles are refused with 409 and change nothing.
	before := navShape(t, navTree(t, b, page))
	wantError(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c1), "parent-id": navID(t, r2)}), 409, "ancestor")
	wantError(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c1), "parent-id": navID(t, c1), "position": 0}), 409, "ancestor")
	if after := navShape(t, navTree(t, b, page)); after != before {
		t.Fatalf("refused moves changed the tree:\n%s\n%s", before, after)
	}

	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c3)}), "parent-id")
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c3), "root": true, "parent-id": navID(t, r1)}), "root")
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c3), "position": -1}), "position")
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c3), "parent-id": 987654321}), "parent-id")
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c3), "parent-id": navID(t, elsewhere)}), "parent-id")
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"position": 0}), "id")
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": 0, "position": 0}), "id")
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c3), "parent-id": -1}), "parent-id")
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, c3), "root": "perhaps"}), "root")
	if after := navShape(t, navTree(t, b, page)); after != before {
		t.Fatalf("refused moves changed the tree:\n%s\n%s", before, after)
	}
	wantNull(t, action(t, b, "move-menu-node", map[string]any{"id": 987654321, "position": 0}))
}

func TestBlogNavDelete(t *testing.T) {
	b := blogURL(t)
	page := navPage(t, "Deleting")
	p := navSave(t, b, navIn(page, "P"))
	q := navSave(t, b, navIn(page, "Q", "parent-id", navID(t, p)))
	navSave(t, b, navIn(page, "Q1", "parent-id", navID(t, q)))
	navSave(t, b, navIn(page, "Q2", "parent-id", navID(t, q)))
	navSave(t, b, navIn(page, "R", "parent-id", navID(t, p)))

	d := wantObj(t, action(t, b, "delete-menu-node", map[string]any{"id": navID(t, q)}))
	if num(t, d["deleted"]) != 3 {
		t.Fatalf("delete: %v", d)
	}
	navWantShape(t, b, page, "P(0/0)[R(1/1)]")
	if n := scalar[int64](t, `select count(*) from menu_nodes where container_type = 'page' and container_id = $1
		and deleted_at is not null`, page); n != 3 {
		t.Fatalf("%d rows soft-deleted, want 3", n)
	}
	if n := scalar[int64](t, "select count(*) from menu_nodes where container_type = 'page' and container_id = $1", page); n != 5 {
		t.Fatalf("%d rows, want 5 (soft delete keeps rows)", n)
	}
	wantNull(t, action(t, b, "delete-menu-node", map[string]any{"id": navID(t, q)}))
	wantNull(t, query(t, b, "menu-node-by-id", "id="+itoa(navID(t, q))))
	wantNull(t, action(t, b, "delete-menu-node", map[string]any{"id": 987654321}))
	wantBadParam(t, action(t, b, "delete-menu-node", map[string]any{}), "id")
	wantBadParam(t, action(t, b, "delete-menu-node", map[string]any{"id": "q"}), "id")
	wantBadParam(t, action(t, b, "delete-menu-node", map[string]any{"id": 0}), "id")

	if d := wantObj(t, action(t, b, "delete-menu-node", map[string]any{"id": navID(t, p)})); num(t, d["deleted"]) != 2 {
		t.Fatalf("delete root: %v", d)
	}
	if tree := navTree(t, b, page); len(tree) != 0 {
		t.Fatalf("after deleting everything: %v", tree)
	}
}

// navActivity queues a blog container activity, as attach-child and
// detach-child emit it, and returns its id.
func navActivity(t *testing.T, typ string, parent int64, childType string, child int64) int64 {
	t.Helper()
	return scalar[int64](t, `insert into ap_activities (activity_type, origin_app, payload)
		values ($1, 'blog', jsonb_build_object('parent-type', 'page', 'parent-id', $2::int,
		                                       'child-type', $3::text, 'child-id', $4::int)) returning id`,
		typ, parent, childType, child)
}

// navProcess runs blog's activity processor until the activity is done.
func navProcess(t *testing.T, svc interface {
	ProcessActivities(context.Context) (int, error)
}, activity int64) {
	t.Helper()
	for i := 0; i < 20; i++ {
		if _, err := svc.ProcessActivities(context.Background()); err != nil {
			t.Fatal(err)
		}
		state, lastErr := "", ""
		if err := db.QueryRow(context.Background(), `select process_state, coalesce(last_error, '')
			from ap_activities where id = $1`, activity).Scan(&state, &lastErr); err != nil {
			t.Fatal(err)
		}
		switch state {
		case "done":
			return
		case "pending":
			if lastErr != "" {
				t.Fatalf("activity %d failed: %s", activity, lastErr)
			}
		default:
			t.Fatalf("activity %d is %s: %s", activity, state, lastErr)
		}
	}
	t.Fatalf("activity %d was never processed", activity)
}

// navChildren is the live children of a node, as "label slug depth/sort_order".
func navChildren(t *testing.T, parent int64) []string {
	t.Helper()
	return column(t, `select label || ' ' || coalesce(slug, '-') || ' ' || depth || '/' || sort_order
		|| ' ' || coalesce(container_type, 'site') from menu_nodes where parent_id = $1 and deleted_at is null order by sort_order, id`, parent)
}

func TestBlogNavContainerActivities(t *testing.T) {
	p, urls := platformWith(t, host.Options{}, "blog")
	b := urls["blog"]
	svc := p.Service("blog")
	page := navPage(t, "Shop")
	market, calendar := int64(770000+seq.Add(1)), int64(780000+seq.Add(1))

	// The page is in the site menu (under a heading) and in another page's menu.
	heading := navSave(t, b, map[string]any{"label": "Heading " + uniq(t)})
	siteNode := navSave(t, b, map[string]any{"label": "Shop", "post-id": page, "parent-id": navID(t, heading)})
	navSave(t, b, map[string]any{"label": "About", "href": "/about", "parent-id": navID(t, siteNode)})
	host := navPage(t, "Host")
	menuNode := navSave(t, b, navIn(host, "Shop here", "post-id", page))

	edge := func(childType string, child int64) map[string]any {
		return map[string]any{"parent-type": "page", "parent-id": page, "child-type": childType, "child-id": child}
	}
	wantStatus(t, action(t, b, "attach-child", edge("market", market)), 200)
	withLabel := edge("calendar", calendar)
	withLabel["label"] = "What's on"
	wantStatus(t, action(t, b, "attach-child", withLabel), 200)

	navProcess(t, svc, navActivity(t, "container.attached", page, "market", market))
	navProcess(t, svc, navActivity(t, "container.attached", page, "calendar", calendar))
	mslug, cslug := fmt.Sprintf("market-%d", market), fmt.Sprintf("calendar-%d", calendar)
	want := []string{"About - 2/0 site", "Market " + mslug + " 2/1 site", "What's on " + cslug + " 2/2 site"}
	if got := navChildren(t, navID(t, siteNode)); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("site node's children:\n got %q\nwant %q", got, want)
	}
	want2 := []string{"Market " + mslug + " 1/0 page", "What's on " + cslug + " 1/1 page"}
	if got := navChildren(t, navID(t, menuNode)); strings.Join(got, "|") != strings.Join(want2, "|") {
		t.Fatalf("page menu node's children:\n got %q\nwant %q", got, want2)
	}
	// It shows in the trees.
	if n := navFind(navTree(t, b, host), navID(t, menuNode)); n == nil || len(n["children"].([]any)) != 2 {
		t.Fatalf("page menu: %v", n)
	}

	// Again: no duplicate.
	navProcess(t, svc, navActivity(t, "container.attached", page, "market", market))
	if got := navChildren(t, navID(t, siteNode)); len(got) != 3 {
		t.Fatalf("after a repeated attach: %q", got)
	}
	// An attach whose relation is gone (or never was) adds nothing.
	navProcess(t, svc, navActivity(t, "container.attached", page, "market", market+1000000))
	if got := navChildren(t, navID(t, siteNode)); len(got) != 3 {
		t.Fatalf("after an attach without a relation: %q", got)
	}

	// A node under the market's node goes with it on detach.
	mnode := scalar[int64](t, "select id from menu_nodes where parent_id = $1 and slug = $2 and deleted_at is null", navID(t, siteNode), mslug)
	navSave(t, b, map[string]any{"label": "Opening hours", "parent-id": mnode})
	wantStatus(t, action(t, b, "detach-child", edge("market", market)), 200)
	navProcess(t, svc, navActivity(t, "container.detached", page, "market", market))
	want = []string{"About - 2/0 site", "What's on " + cslug + " 2/2 site"}
	if got := navChildren(t, navID(t, siteNode)); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("after detach:\n got %q\nwant %q", got, want)
	}
	if got := navChildren(t, navID(t, menuNode)); len(got) != 1 {
		t.Fatalf("page menu after detach: %q", got)
	}
	if n := scalar[int64](t, "select count(*) from menu_nodes where (id = $1 or parent_id = $1) and deleted_at is not null", mnode); n != 2 {
		t.Fatalf("%d nodes of the market's subtree soft-deleted, want 2", n)
	}
	// Detached again: nothing more happens.
	navProcess(t, svc, navActivity(t, "container.detached", page, "market", market))
	if got := navChildren(t, navID(t, siteNode)); len(got) != 2 {
		t.Fatalf("after a repeated detach: %q", got)
	}

	// A stale detach (the relation is live again) keeps the node.
	wantStatus(t, action(t, b, "attach-child", edge("market", market)), 200)
	navProcess(t, svc, navActivity(t, "container.attached", page, "market", market))
	navProcess(t, svc, navActivity(t, "container.detached", page, "market", market))
	want = []string{"About - 2/0 site", "What's on " + cslug + " 2/2 site", "Market " + mslug + " 2/3 site"}
	if got := navChildren(t, navID(t, siteNode)); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("after re-attach and a stale detach:\n got %q\nwant %q", got, want)
	}

	// A node a person made with the same slug is not the container's node:
	// the navigation knows its own nodes by what they link.
	own := navSave(t, b, map[string]any{"label": "My market page", "slug": cslug, "parent-id": navID(t, siteNode)})
	wantStatus(t, action(t, b, "detach-child", edge("calendar", calendar)), 200)
	navProcess(t, svc, navActivity(t, "container.detached", page, "calendar", calendar))
	if n := scalar[int64](t, "select count(*) from menu_nodes where id = $1 and deleted_at is null", navID(t, own)); n != 1 {
		t.Fatal("detaching the calendar deleted a person's node that shares its slug")
	}
	if n := scalar[int64](t, `select count(*) from menu_nodes where parent_id = $1 and link_type = 'calendar'
		and link_id = $2 and deleted_at is null`, navID(t, siteNode), calendar); n != 0 {
		t.Fatal("the calendar's own node was kept")
	}
}

// navLinks is the live link nodes under a node, as "type-id label depth/sort_order".
func navLinks(t *testing.T, parent int64) []string {
	t.Helper()
	return column(t, `select link_type || '-' || link_id || ' ' || label || ' ' || depth || '/' || sort_order
		from menu_nodes where parent_id = $1 and link_type is not null and deleted_at is null order by sort_order, id`, parent)
}

func navWantLinks(t *testing.T, parent int64, want ...string) {
	t.Helper()
	if got := navLinks(t, parent); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("link nodes under %d:\n got %q\nwant %q", parent, got, want)
	}
}

// navLinkID is the live link node of a container under parent.
func navLinkID(t *testing.T, parent int64, childType string, child int64) int64 {
	t.Helper()
	return scalar[int64](t, `select id from menu_nodes where parent_id = $1 and link_type = $2 and link_id = $3
		and deleted_at is null`, parent, childType, child)
}

// navLive counts the live link nodes of a container anywhere.
func navLive(t *testing.T, childType string, child int64) int64 {
	t.Helper()
	return scalar[int64](t, `select count(*) from menu_nodes where link_type = $1 and link_id = $2 and deleted_at is null`,
		childType, child)
}

// navAttach attaches a child to a page and runs the navigation's handler.
func navAttach(t *testing.T, b string, svc interface {
	ProcessActivities(context.Context) (int, error)
}, page int64, childType string, child int64, label string) {
	t.Helper()
	body := map[string]any{"parent-type": "page", "parent-id": page, "child-type": childType, "child-id": child}
	if label != "" {
		body["label"] = label
	}
	wantStatus(t, action(t, b, "attach-child", body), 200)
	navProcess(t, svc, navActivity(t, "container.attached", page, childType, child))
}

// Link nodes are the navigation's own: people may reorder one among its
// siblings, nothing else; moving one under a parent that has the same link
// is a 409, not a unique violation.
func TestBlogNavLinkNodesKept(t *testing.T) {
	p, urls := platformWith(t, host.Options{}, "blog")
	b, svc := urls["blog"], p.Service("blog")
	page := navPage(t, "Kept shop")
	market, calendar := int64(790000+seq.Add(1)), int64(791000+seq.Add(1))
	navAttach(t, b, svc, page, "market", market, "")
	navAttach(t, b, svc, page, "calendar", calendar, "Dates")

	heading := navSave(t, b, map[string]any{"label": "Kept " + uniq(t)})
	one := navSave(t, b, map[string]any{"label": "Shop 1", "post-id": page, "parent-id": navID(t, heading)})
	two := navSave(t, b, map[string]any{"label": "Shop 2", "post-id": page, "parent-id": navID(t, heading)})
	navWantLinks(t, navID(t, one), fmt.Sprintf("market-%d Market 2/0", market), fmt.Sprintf("calendar-%d Dates 2/1", calendar))
	navWantLinks(t, navID(t, two), fmt.Sprintf("market-%d Market 2/0", market), fmt.Sprintf("calendar-%d Dates 2/1", calendar))
	link := navLinkID(t, navID(t, one), "market", market)

	before := strings.Join(append(navChildren(t, navID(t, one)), navChildren(t, navID(t, two))...), "|")
	kept := fmt.Sprintf("menu node %d is kept by the navigation (it links market %d); detach the market instead", link, market)
	for _, c := range []call{
		// Under a parent that has the same link: was a 500 (unique violation).
		action(t, b, "move-menu-node", map[string]any{"id": link, "parent-id": navID(t, two)}),
		action(t, b, "save-menu-node", map[string]any{"id": link, "label": "Market", "parent-id": navID(t, two)}),
		// Anywhere else, or in place.
		action(t, b, "move-menu-node", map[string]any{"id": link, "parent-id": navID(t, heading), "position": 0}),
		action(t, b, "move-menu-node", map[string]any{"id": link, "root": true}),
		action(t, b, "save-menu-node", map[string]any{"id": link, "label": "Renamed", "parent-id": navID(t, one)}),
		action(t, b, "delete-menu-node", map[string]any{"id": link}),
	} {
		wantError(t, c, 409, kept)
	}
	if after := strings.Join(append(navChildren(t, navID(t, one)), navChildren(t, navID(t, two))...), "|"); after != before {
		t.Fatalf("refused writes changed link nodes:\n%s\n%s", before, after)
	}

	// Reordering among its siblings is allowed (position only, or its own parent).
	n := wantObj(t, action(t, b, "move-menu-node", map[string]any{"id": link, "position": 1}))
	if num(t, n["sort_order"]) != 1 || num(t, n["parent_id"]) != navID(t, one) {
		t.Fatalf("reordered link node: %v", n)
	}
	wantStatus(t, action(t, b, "move-menu-node", map[string]any{"id": link, "parent-id": navID(t, one), "position": 0}), 200)
	navWantLinks(t, navID(t, one), fmt.Sprintf("market-%d Market 2/0", market), fmt.Sprintf("calendar-%d Dates 2/1", calendar))

	// People's nodes under a link node are theirs; the page node moves
	// with its link nodes.
	kid := navSave(t, b, map[string]any{"label": "Hours", "parent-id": link})
	wantStatus(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, kid), "parent-id": navID(t, two)}), 200)
	wantStatus(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, two), "root": true}), 200)
	navWantLinks(t, navID(t, two), fmt.Sprintf("market-%d Market 1/0", market), fmt.Sprintf("calendar-%d Dates 1/1", calendar))
	// Deleting the page node takes its link nodes.
	wantStatus(t, action(t, b, "delete-menu-node", map[string]any{"id": navID(t, two)}), 200)
	if n := navLive(t, "market", market); n != 1 {
		t.Fatalf("%d live market nodes after deleting a page node, want 1", n)
	}
}

// A page node re-pointed to another post trades its link nodes; detaching
// removes the container's nodes everywhere, stray copies too.
func TestBlogNavLinkNodesFollowPosts(t *testing.T) {
	p, urls := platformWith(t, host.Options{}, "blog")
	b, svc := urls["blog"], p.Service("blog")
	shop, other := navPage(t, "Shop P"), navPage(t, "Shop Q")
	market, calendar, market2 := int64(792000+seq.Add(1)), int64(793000+seq.Add(1)), int64(794000+seq.Add(1))
	navAttach(t, b, svc, shop, "market", market, "")
	navAttach(t, b, svc, shop, "calendar", calendar, "")
	navAttach(t, b, svc, other, "market", market2, "Other market")
	mk, cal, mk2 := fmt.Sprintf("market-%d Market", market), fmt.Sprintf("calendar-%d Calendar", calendar),
		fmt.Sprintf("market-%d Other market", market2)

	host := navPage(t, "Host menu")
	node := navSave(t, b, navIn(host, "Shop", "post-id", shop))
	id := navID(t, node)
	navWantLinks(t, id, mk+" 1/0", cal+" 1/1")
	navSave(t, b, navIn(host, "Under the market", "parent-id", navLinkID(t, id, "market", market)))

	// Re-pointed to another post: the old post's links go (with what is
	// under them), the new post's come.
	navSave(t, b, navIn(host, "Shop", "id", id, "post-id", other))
	navWantLinks(t, id, mk2+" 1/0")
	if n := navLive(t, "market", market) + navLive(t, "calendar", calendar); n != 0 {
		t.Fatalf("%d link nodes of the old post left", n)
	}
	if n := scalar[int64](t, "select count(*) from menu_nodes where label = 'Under the market' and container_id = $1 and deleted_at is null", host); n != 0 {
		t.Fatal("a node under a removed link node is still live")
	}
	// No post: no links; back to the first post: its links again.
	navSave(t, b, navIn(host, "Shop", "id", id, "href", "/shop"))
	navWantLinks(t, id)
	navSave(t, b, navIn(host, "Shop", "id", id, "post-id", shop))
	navWantLinks(t, id, mk+" 1/0", cal+" 1/1")
	// A save that changes nothing keeps them (no duplicates, same rows).
	link := navLinkID(t, id, "market", market)
	navSave(t, b, navIn(host, "Shop renamed", "id", id, "post-id", shop))
	navWantLinks(t, id, mk+" 1/0", cal+" 1/1")
	if navLinkID(t, id, "market", market) != link {
		t.Fatal("a save rebuilt a link node that was in step")
	}

	// Stray copies of the market's node (as moves made them before link
	// nodes were kept): under a heading, under a node linking another post,
	// under a deleted node, and at a menu's root. A copy under a node
	// linking a post that holds the market is not a stray.
	heading := navSave(t, b, navIn(host, "Heading"))
	elsewhere := navSave(t, b, navIn(host, "Q", "post-id", other))
	gone := navSave(t, b, navIn(host, "Gone"))
	wantStatus(t, action(t, b, "delete-menu-node", map[string]any{"id": navID(t, gone)}), 200)
	siteNode := navSave(t, b, map[string]any{"label": "Shop " + uniq(t), "post-id": shop})
	stray := func(parent any) int64 {
		return scalar[int64](t, `insert into menu_nodes (parent_id, container_type, container_id, label, depth, link_type, link_id)
			values ($1, 'page', $2, 'Stray', 1, 'market', $3) returning id`, parent, host, market)
	}
	strays := []int64{stray(navID(t, heading)), stray(navID(t, elsewhere)), stray(navID(t, gone)), stray(nil)}
	navSave(t, b, navIn(host, "Under a stray", "parent-id", strays[0]))
	if n := navLive(t, "market", market); n != 6 {
		t.Fatalf("%d live market nodes before detach, want 6", n)
	}

	// A stale detach (the relation is live) removes only the strays.
	navProcess(t, svc, navActivity(t, "container.detached", shop, "market", market))
	if n := navLive(t, "market", market); n != 2 {
		t.Fatalf("%d live market nodes after a stale detach, want 2", n)
	}
	navWantLinks(t, id, mk+" 1/0", cal+" 1/1")
	navWantLinks(t, navID(t, siteNode), mk+" 1/0", cal+" 1/1")
	if n := scalar[int64](t, "select count(*) from menu_nodes where (id = any($1) or parent_id = $2) and deleted_at is null",
		strays, strays[0]); n != 0 {
		t.Fatalf("%d strays (or nodes under them) left", n)
	}

	// Detached: gone from every menu; again: nothing changes.
	for i := 0; i < 2; i++ {
		wantStatus(t, action(t, b, "detach-child", map[string]any{"parent-type": "page", "parent-id": shop,
			"child-type": "market", "child-id": market}), 200)
		navProcess(t, svc, navActivity(t, "container.detached", shop, "market", market))
		if n := navLive(t, "market", market); n != 0 {
			t.Fatalf("%d live market nodes after detach, want 0", n)
		}
		navWantLinks(t, id, cal+" 1/1")
		navWantLinks(t, navID(t, siteNode), cal+" 1/1")
		navWantLinks(t, navID(t, elsewhere), mk2+" 1/0")
	}
}

// A node linking a page made after the page's containers were attached
// gets their link nodes at once, in the relations' order; the attach
// activity arriving later adds no copy.
func TestBlogNavLinkNodesForNewPageNodes(t *testing.T) {
	p, urls := platformWith(t, host.Options{}, "blog")
	b, svc := urls["blog"], p.Service("blog")
	shop := navPage(t, "Later shop")
	market, calendar := int64(795000+seq.Add(1)), int64(796000+seq.Add(1))
	for _, c := range []struct {
		typ   string
		id    int64
		label string
	}{{"calendar", calendar, "  "}, {"market", market, "Stall"}} {
		wantStatus(t, action(t, b, "attach-child", map[string]any{"parent-type": "page", "parent-id": shop,
			"child-type": c.typ, "child-id": c.id, "label": c.label}), 200)
	}
	cal, mk := fmt.Sprintf("calendar-%d Calendar", calendar), fmt.Sprintf("market-%d Stall", market)

	host := navPage(t, "Later host")
	first := navSave(t, b, navIn(host, "First"))
	node := navSave(t, b, navIn(host, "Shop", "post-id", shop, "parent-id", navID(t, first)))
	navWantLinks(t, navID(t, node), cal+" 2/0", mk+" 2/1")
	if got := navChildren(t, navID(t, node)); got[0] != fmt.Sprintf("Calendar calendar-%d 2/0 page", calendar) {
		t.Fatalf("link node: %q", got)
	}
	site := navSave(t, b, map[string]any{"label": "Later " + uniq(t), "post-id": shop})
	navWantLinks(t, navID(t, site), cal+" 1/0", mk+" 1/1")

	// The activities, late and repeated, change nothing.
	for i := 0; i < 2; i++ {
		navProcess(t, svc, navActivity(t, "container.attached", shop, "market", market))
		navProcess(t, svc, navActivity(t, "container.attached", shop, "calendar", calendar))
	}
	navWantLinks(t, navID(t, node), cal+" 2/0", mk+" 2/1")
	navWantLinks(t, navID(t, site), cal+" 1/0", mk+" 1/1")
	if n := navLive(t, "market", market); n != 2 {
		t.Fatalf("%d live market nodes, want 2", n)
	}

	// An existing node re-pointed to the page gets them too.
	plain := navSave(t, b, navIn(host, "Plain"))
	navSave(t, b, navIn(host, "Plain", "id", navID(t, plain), "post-id", shop))
	navWantLinks(t, navID(t, plain), cal+" 1/0", mk+" 1/1")

	// At the deepest level there is no room for link nodes; moved up, the
	// node gets them.
	parent := navID(t, first)
	for d := 2; d < 8; d++ {
		parent = navID(t, navSave(t, b, navIn(host, fmt.Sprintf("L%d", d), "parent-id", parent)))
	}
	deep := navSave(t, b, navIn(host, "Deep shop", "post-id", shop, "parent-id", parent))
	if num(t, deep["depth"]) != 7 {
		t.Fatalf("deep node: %v", deep)
	}
	navWantLinks(t, navID(t, deep))
	wantStatus(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, deep), "parent-id": navID(t, first)}), 200)
	navWantLinks(t, navID(t, deep), cal+" 2/0", mk+" 2/1")
	// Back down with its link nodes: they would be at depth 8.
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, deep), "parent-id": parent}), "parent-id")
}

// Menus are at most 8 levels deep (depth 0 to 7).
func TestBlogNavDepthLimit(t *testing.T) {
	b := blogURL(t)
	page := navPage(t, "Deep menu")
	var chain []int64
	var parent any
	for d := 0; d < 8; d++ {
		n := navSave(t, b, navIn(page, fmt.Sprintf("D%d", d), "parent-id", parent))
		if num(t, n["depth"]) != int64(d) {
			t.Fatalf("depth %d: %v", d, n)
		}
		chain = append(chain, navID(t, n))
		parent = navID(t, n)
	}
	const deep = "menus are at most 8 levels deep"
	before := navCount(t, page)
	wantBadParam(t, action(t, b, "save-menu-node", navIn(page, "D8", "parent-id", chain[7])), "parent-id")
	wantError(t, action(t, b, "save-menu-node", navIn(page, "D8", "parent-id", chain[7])), 400, deep)
	if after := navCount(t, page); after != before {
		t.Fatalf("refused save wrote a node: %d -> %d", before, after)
	}

	// A subtree of two levels (x, x1) fits under depth 5, not under 6.
	x := navSave(t, b, navIn(page, "X"))
	x1 := navSave(t, b, navIn(page, "X1", "parent-id", navID(t, x)))
	shape := navShape(t, navTree(t, b, page))
	wantError(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, x), "parent-id": chain[6]}), 400, "parameter parent-id: "+deep)
	wantError(t, action(t, b, "save-menu-node", navIn(page, "X", "id", navID(t, x), "parent-id", chain[6])), 400, "parameter parent-id: "+deep)
	// The leaf alone fits under 6, not under 7.
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, x1), "parent-id": chain[7]}), "parent-id")
	if after := navShape(t, navTree(t, b, page)); after != shape {
		t.Fatalf("refused moves changed the tree:\n%s\n%s", shape, after)
	}
	n := wantObj(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, x), "parent-id": chain[5]}))
	if num(t, n["depth"]) != 6 || scalar[int64](t, "select depth from menu_nodes where id = $1", navID(t, x1)) != 7 {
		t.Fatalf("moved to the limit: %v", n)
	}
	// The full-depth chain from D1 down, moved one level deeper, is refused;
	// to the roots it rises.
	y := navSave(t, b, navIn(page, "Y"))
	y1 := navSave(t, b, navIn(page, "Y1", "parent-id", navID(t, y)))
	wantBadParam(t, action(t, b, "save-menu-node", navIn(page, "D1", "id", chain[1], "parent-id", navID(t, y1))), "parent-id")
	wantStatus(t, action(t, b, "move-menu-node", map[string]any{"id": chain[1], "parent-id": navID(t, y)}), 200)
	wantStatus(t, action(t, b, "move-menu-node", map[string]any{"id": chain[1], "root": true}), 200)
	if d := scalar[int64](t, "select depth from menu_nodes where id = $1", chain[7]); d != 6 {
		t.Fatalf("depth after rising: %d", d)
	}
	// In place (same parent), a relabel or reorder needs no room.
	navSave(t, b, navIn(page, "X renamed", "id", navID(t, x), "parent-id", chain[5]))
	wantStatus(t, action(t, b, "move-menu-node", map[string]any{"id": navID(t, x1), "position": 0}), 200)
}

// A chain deeper than the limit (rows from before it) does not break
// nav-menu, which shows its first 8 levels, nor slow a save below it.
func TestBlogNavDeepChainFromBefore(t *testing.T) {
	b := blogURL(t)
	page := navPage(t, "Old deep menu")
	exec(t, fmt.Sprintf(`do $$
		declare p int; begin
		  insert into menu_nodes (container_type, container_id, label, depth) values ('page', %d, 'C0', 0) returning id into p;
		  for i in 1..5999 loop
		    insert into menu_nodes (parent_id, container_type, container_id, label, depth)
		    values (p, 'page', %d, 'C' || i, i) returning id into p;
		  end loop;
		end $$`, page, page))
	start := time.Now()
	tree := navTree(t, b, page)
	levels := 0
	for nodes := tree; len(nodes) > 0; nodes = nodes[0].(map[string]any)["children"].([]any) {
		if len(nodes) != 1 {
			t.Fatalf("level %d: %d nodes", levels, len(nodes))
		}
		levels++
	}
	if levels != 8 {
		t.Fatalf("nav-menu shows %d levels of the chain, want 8", levels)
	}
	deepest := scalar[int64](t, "select id from menu_nodes where container_id = $1 and container_type = 'page' and label = 'C5999'", page)
	wantBadParam(t, action(t, b, "save-menu-node", navIn(page, "Deeper", "parent-id", deepest)), "parent-id")
	top := scalar[int64](t, "select id from menu_nodes where container_id = $1 and container_type = 'page' and label = 'C1'", page)
	wantBadParam(t, action(t, b, "move-menu-node", map[string]any{"id": top, "root": true}), "parent-id")
	wantBadParam(t, action(t, b, "save-menu-node", navIn(page, "C1", "id", top)), "parent-id")
	// In place, a node of the chain can still be relabelled or reordered.
	navSave(t, b, navIn(page, "C1 renamed", "id", top, "parent-id", scalar[int64](t, "select parent_id from menu_nodes where id = $1", top)))
	wantStatus(t, action(t, b, "move-menu-node", map[string]any{"id": top, "position": 0}), 200)
	// The statements walking the chain stop at 8 levels: the planner has
	// no statistics for the new rows here, so a full walk takes seconds.
	if d := time.Since(start); d > time.Second {
		t.Fatalf("saves on a deep chain took %s", d)
	}
}

// ---------------------------------------------------------------------------
// Listings
// ---------------------------------------------------------------------------

// listingFixture is a tag of its own with posts of every kind under it.
type listingFixture struct {
	tag, internalTag, emptyTag   string
	tagID, internalTagID, author int64
	authorSlug                   string
	// Listed (public, published, past), newest first: p3, p2 (featured), p1, p0
	// (p0 has p1's published_at and a smaller id).
	p0, p1, p2, p3                                              int64
	members, draft, sent, future, deleted, paid, page, untagged int64
}

func listingSetup(t *testing.T) listingFixture {
	t.Helper()
	var f listingFixture
	f.tag, f.internalTag, f.emptyTag = "lt-"+uniq(t), "li-"+uniq(t), "le-"+uniq(t)
	f.tagID = scalar[int64](t, "insert into tags (slug, name) values ($1, $2) returning id", f.tag, "Listing "+f.tag)
	internal := scalar[int64](t, "insert into tags (slug, name, visibility) values ($1, '#internal', 'internal') returning id", f.internalTag)
	f.internalTagID = internal
	exec(t, "insert into tags (slug, name) values ($1, $2)", f.emptyTag, "Listing "+f.emptyTag)
	f.authorSlug = "la-" + uniq(t)
	f.author = scalar[int64](t, "insert into authors (slug, name, email) values ($1, 'Lister', 'secret@example.org') returning id", f.authorSlug)

	post := func(status, visibility string, isPage, featured bool, age string, deleted bool, tagged bool) int64 {
		id := scalar[int64](t, `insert into posts (slug, title, status, visibility, is_page, featured, html,
			primary_tag_id, primary_author_id, published_at, deleted_at)
			values ($1, $1, $2, $3, $4, $5, '<p>body</p>', $6, $7,
			        case when $8 = '' then null else now() - $8::interval end,
			        case when $9 then now() else null end) returning id`,
			uniq(t), status, visibility, isPage, featured, f.tagID, f.author, age, deleted)
		if tagged {
			exec(t, "insert into posts_tags (post_id, tag_id, sort_order) values ($1, $2, 0)", id, f.tagID)
			exec(t, "insert into posts_tags (post_id, tag_id, sort_order) values ($1, $2, 1)", id, internal)
		}
		return id
	}
	f.p0 = post("published", "public", false, false, "6 days", false, true)
	f.p1 = post("published", "public", false, false, "5 days", false, true)
	f.p2 = post("published", "public", false, true, "3 days", false, true)
	f.p3 = post("published", "public", false, false, "1 day", false, true)
	f.members = post("published", "members", false, false, "2 days", false, true)
	// An unpublished post keeps its published_at; an e-mail-only one has one too.
	f.draft = post("draft", "public", false, false, "2 days", false, true)
	f.sent = post("sent", "public", false, false, "2 days", false, true)
	f.future = post("published", "public", false, false, "-1 day", false, true)
	f.deleted = post("published", "public", false, false, "4 days", true, true)
	f.paid = post("published", "paid", false, false, "4 days", false, true)
	f.page = post("published", "public", true, false, "4 days", false, true)
	f.untagged = post("published", "public", false, false, "2 days", false, false)
	// p0 and p1 share a published_at: the larger id comes first.
	exec(t, "update posts set published_at = (select published_at from posts where id = $1) where id = $2", f.p1, f.p0)
	return f
}

// listingIDs is the ids of a listing's items.
func listingIDs(t *testing.T, page map[string]any) []int64 {
	t.Helper()
	var out []int64
	for _, it := range page["items"].([]any) {
		out = append(out, num(t, it.(map[string]any)["id"]))
	}
	return out
}

func listingWant(t *testing.T, c call, total int64, ids ...int64) map[string]any {
	t.Helper()
	wantStatus(t, c, 200)
	page := wantObj(t, c)
	if got := listingIDs(t, page); fmt.Sprint(got) != fmt.Sprint(ids) || num(t, page["total"]) != total {
		t.Fatalf("listing: ids %v total %v, want %v total %d", got, page["total"], ids, total)
	}
	return page
}

func TestBlogListingPublished(t *testing.T) {
	b := blogURL(t)
	f := listingSetup(t)
	tq := "tag=" + url.QueryEscape(f.tag)

	page := listingWant(t, query(t, b, "posts-published", tq), 4, f.p3, f.p2, f.p1, f.p0)
	if num(t, page["page"]) != 1 || num(t, page["per-page"]) != 20 {
		t.Fatalf("paging fields: %v", page)
	}
	item := page["items"].([]any)[1].(map[string]any)
	if item["primary_tag_slug"] != f.tag || item["primary_tag_name"] != "Listing "+f.tag ||
		item["primary_author_slug"] != f.authorSlug || item["primary_author_name"] != "Lister" ||
		item["featured"] != true || item["visibility"] != "public" || item["published_at"] == nil {
		t.Fatalf("listed post: %v", item)
	}
	if _, ok := item["html"]; ok {
		t.Errorf("listing carries bodies: %v", item)
	}

	listingWant(t, query(t, b, "posts-published", tq+"&include-members=true"), 5, f.p3, f.members, f.p2, f.p1, f.p0)
	listingWant(t, query(t, b, "posts-published", tq+"&featured=true"), 1, f.p2)
	listingWant(t, query(t, b, "posts-published", tq+"&is-page=true"), 1, f.page)
	listingWant(t, query(t, b, "posts-published", "tag=no-such-tag-"+uniq(t)), 0)

	// Paging.
	listingWant(t, query(t, b, "posts-published", tq+"&per-page=3"), 4, f.p3, f.p2, f.p1)
	p2 := listingWant(t, query(t, b, "posts-published", tq+"&per-page=3&page=2"), 4, f.p0)
	if num(t, p2["page"]) != 2 || num(t, p2["per-page"]) != 3 {
		t.Fatalf("page 2: %v", p2)
	}
	listingWant(t, query(t, b, "posts-published", tq+"&per-page=3&page=3"), 4)
	listingWant(t, query(t, b, "posts-published", tq+"&page=2147483647"), 4)
	if c := wantObj(t, query(t, b, "posts-published", tq+"&per-page=5000")); num(t, c["per-page"]) != 100 {
		t.Fatalf("per-page not capped: %v", c["per-page"])
	}

	// Without a tag: all listed posts, newest first, hidden ones absent.
	var all []int64
	var prev time.Time
	for pg := 1; ; pg++ {
		c := wantObj(t, query(t, b, "posts-published", "per-page=100&page="+itoa(int64(pg))))
		ids := listingIDs(t, c)
		all = append(all, ids...)
		for _, it := range c["items"].([]any) {
			m := it.(map[string]any)
			if m["is_page"] != false || m["status"] != "published" || m["visibility"] != "public" {
				t.Fatalf("listed: %v", m)
			}
			at, err := time.Parse(time.RFC3339Nano, m["published_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if at.After(time.Now()) || (!prev.IsZero() && at.After(prev)) {
				t.Fatalf("not newest first or in the future: %s after %s", at, prev)
			}
			prev = at
		}
		if len(ids) < 100 {
			break
		}
	}
	pos := map[int64]int{}
	for i, id := range all {
		pos[id] = i + 1
	}
	for _, hidden := range []int64{f.members, f.draft, f.sent, f.future, f.deleted, f.paid, f.page} {
		if pos[hidden] != 0 {
			t.Errorf("post %d listed", hidden)
		}
	}
	if !(pos[f.p3] > 0 && pos[f.p3] < pos[f.untagged] && pos[f.untagged] < pos[f.p2] && pos[f.p2] < pos[f.p1] && pos[f.p1] < pos[f.p0]) {
		t.Fatalf("order of the full listing: %v", pos)
	}

	wantBadParam(t, query(t, b, "posts-published", "page=0"), "page")
	wantBadParam(t, query(t, b, "posts-published", "per-page=0"), "per-page")
	wantBadParam(t, query(t, b, "posts-published", "page=x"), "page")
	wantBadParam(t, query(t, b, "posts-published", "is-page=maybe"), "is-page")
	wantBadParam(t, query(t, b, "posts-published", "featured=2"), "featured")
	wantBadParam(t, query(t, b, "posts-published", "include-members=x"), "include-members")
}

// A post whose primary tag is internal lists no primary tag: not its slug,
// name or id.
func TestBlogListingInternalPrimaryTag(t *testing.T) {
	b := blogURL(t)
	f := listingSetup(t)
	exec(t, "update posts set primary_tag_id = $1 where id = $2", f.internalTagID, f.p2)
	exec(t, "update posts set primary_tag_id = null where id = $1", f.p1)
	for _, q := range []string{"posts-published", "posts-by-tag"} {
		page := listingWant(t, query(t, b, q, "tag="+url.QueryEscape(f.tag)), 4, f.p3, f.p2, f.p1, f.p0)
		items := page["items"].([]any)
		for i, it := range items[1:3] {
			m := it.(map[string]any)
			for _, k := range []string{"primary_tag_id", "primary_tag_slug", "primary_tag_name"} {
				if v, ok := m[k]; !ok || v != nil {
					t.Fatalf("%s item %d: %s = %v (present %v), want null", q, i+1, k, v, ok)
				}
			}
		}
		if m := items[0].(map[string]any); num(t, m["primary_tag_id"]) != f.tagID || m["primary_tag_slug"] != f.tag {
			t.Fatalf("%s: public primary tag: %v", q, m)
		}
	}
}

func TestBlogListingTags(t *testing.T) {
	b := blogURL(t)
	f := listingSetup(t)

	counts := func(q string) map[string]int64 {
		t.Helper()
		out := map[string]int64{}
		var mine []string
		for _, it := range wantArr(t, query(t, b, "tags-with-counts", q)) {
			m := it.(map[string]any)
			out[m["slug"].(string)] = num(t, m["count"])
			if s := m["slug"].(string); s == f.tag || s == f.emptyTag {
				mine = append(mine, s)
			}
		}
		// By name: "Listing le-…" before "Listing lt-…".
		if fmt.Sprint(mine) != fmt.Sprint([]string{f.emptyTag, f.tag}) {
			t.Fatalf("tags not by name: %q", mine)
		}
		return out
	}
	c := counts("")
	if n, ok := c[f.tag]; !ok || n != 4 {
		t.Fatalf("count of %s: %d (%v)", f.tag, n, ok)
	}
	if n, ok := c[f.emptyTag]; !ok || n != 0 {
		t.Fatalf("count of the empty tag: %d (%v)", n, ok)
	}
	if _, ok := c[f.internalTag]; ok {
		t.Fatal("internal tag listed")
	}
	if n := counts("include-members=true")[f.tag]; n != 5 {
		t.Fatalf("count with members: %d", n)
	}
	wantBadParam(t, query(t, b, "tags-with-counts", "include-members=x"), "include-members")

	tag := wantObj(t, query(t, b, "tag-by-slug", "slug="+url.QueryEscape(f.tag)))
	if num(t, tag["id"]) != f.tagID || tag["visibility"] != "public" {
		t.Fatalf("tag-by-slug: %v", tag)
	}
	if it := wantObj(t, query(t, b, "tag-by-slug", "slug="+url.QueryEscape(f.internalTag))); it["visibility"] != "internal" {
		t.Fatalf("internal tag: %v", it)
	}
	wantNull(t, query(t, b, "tag-by-slug", "slug=no-such-"+uniq(t)))
	wantBadParam(t, query(t, b, "tag-by-slug", ""), "slug")

	byTag := listingWant(t, query(t, b, "posts-by-tag", "tag="+url.QueryEscape(f.tag)+"&per-page=2&page=2"), 4, f.p1, f.p0)
	if tg := byTag["tag"].(map[string]any); tg["slug"] != f.tag || num(t, byTag["per-page"]) != 2 {
		t.Fatalf("posts-by-tag: %v", byTag)
	}
	listingWant(t, query(t, b, "posts-by-tag", "tag="+url.QueryEscape(f.tag)+"&include-members=1"), 5, f.p3, f.members, f.p2, f.p1, f.p0)
	listingWant(t, query(t, b, "posts-by-tag", "tag="+url.QueryEscape(f.emptyTag)), 0)
	wantNull(t, query(t, b, "posts-by-tag", "tag=no-such-"+uniq(t)))
	wantBadParam(t, query(t, b, "posts-by-tag", ""), "tag")
	wantBadParam(t, query(t, b, "posts-by-tag", "tag=x&per-page=-1"), "per-page")

	author := wantObj(t, query(t, b, "author-by-slug", "slug="+url.QueryEscape(f.authorSlug)))
	if num(t, author["id"]) != f.author || author["name"] != "Lister" {
		t.Fatalf("author-by-slug: %v", author)
	}
	if _, ok := author["email"]; ok {
		t.Errorf("author-by-slug exposes the e-mail address: %v", author)
	}
	wantNull(t, query(t, b, "author-by-slug", "slug=no-such-"+uniq(t)))
	wantBadParam(t, query(t, b, "author-by-slug", ""), "slug")

	// A post's tags and authors in their order (not id order).
	second := scalar[int64](t, "insert into authors (slug, name) values ($1, 'Second') returning id", "la2-"+uniq(t))
	exec(t, "insert into posts_authors (post_id, author_id, sort_order) values ($1, $2, 1), ($1, $3, 0)", f.p2, f.author, second)
	exec(t, "update posts_tags set sort_order = 2 where post_id = $1 and tag_id = $2", f.p2, f.tagID)
	tags := wantArr(t, query(t, b, "post-tags", "post-id="+itoa(f.p2)))
	if len(tags) != 2 || tags[0].(map[string]any)["slug"] != f.internalTag || tags[1].(map[string]any)["slug"] != f.tag {
		t.Fatalf("post-tags: %v", tags)
	}
	authors := wantArr(t, query(t, b, "post-authors", "post-id="+itoa(f.p2)))
	if len(authors) != 2 || num(t, authors[0].(map[string]any)["id"]) != second || num(t, authors[1].(map[string]any)["id"]) != f.author {
		t.Fatalf("post-authors: %v", authors)
	}
	if _, ok := authors[1].(map[string]any)["email"]; ok {
		t.Errorf("post-authors exposes e-mail addresses")
	}
	if a := wantArr(t, query(t, b, "post-authors", "post-id="+itoa(f.p3))); len(a) != 0 {
		t.Fatalf("post without authors: %v", a)
	}
	for _, q := range []string{"post-tags", "post-authors"} {
		wantNull(t, query(t, b, q, "post-id=987654321"))
		wantNull(t, query(t, b, q, "post-id="+itoa(f.deleted)))
		wantBadParam(t, query(t, b, q, "post-id=x"), "post-id")
		wantBadParam(t, query(t, b, q, ""), "post-id")
		wantBadParam(t, query(t, b, q, "post-id=0"), "post-id")
	}
}

func TestBlogListingSnippets(t *testing.T) {
	b := blogURL(t)
	prefix := "ls-" + uniq(t) + "-"
	const owner, stranger = 661001, 661002
	snippet := func(name string, user int, visibility string, deleted bool) int64 {
		return scalar[int64](t, `insert into snippets (user_id, name, html, visibility, deleted_at)
			values ($1, $2, '<p>s</p>', $3, case when $4 then now() else null end) returning id`,
			user, prefix+name, visibility, deleted)
	}
	pub := snippet("b-public", stranger, "public", false)
	mine := snippet("a-mine", owner, "private", false)
	mine2 := snippet("C-mine", owner, "public", false)
	snippet("d-theirs", stranger, "private", false)
	snippet("e-gone", owner, "public", true)

	mineOnly := func(q string) []int64 {
		t.Helper()
		var out []int64
		for _, it := range wantArr(t, query(t, b, "snippets", q)) {
			m := it.(map[string]any)
			if strings.HasPrefix(m["name"].(string), prefix) {
				out = append(out, num(t, m["id"]))
				if m["html"] != "<p>s</p>" {
					t.Fatalf("snippet: %v", m)
				}
			}
		}
		return out
	}
	if got := mineOnly("user-id=" + itoa(owner)); fmt.Sprint(got) != fmt.Sprint([]int64{mine, pub, mine2}) {
		t.Fatalf("owner's snippets: %v, want %v", got, []int64{mine, pub, mine2})
	}
	if got := mineOnly(""); fmt.Sprint(got) != fmt.Sprint([]int64{pub, mine2}) {
		t.Fatalf("public snippets: %v", got)
	}
	wantBadParam(t, query(t, b, "snippets", "user-id=me"), "user-id")
	wantBadParam(t, query(t, b, "snippets", "user-id=0"), "user-id")
}
