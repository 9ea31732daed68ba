//go:build linux

package sitetest_test

import (
	"fmt"
	"testing"
)

// siteAdminPages are blog's admin pages of the site (admin_site.sx) for the
// accessibility test and make screenshots: the menu editor and an item that
// links a page (with its markets and calendars), the snippets and one
// snippet, the settings and a page's config, as an administrator sees them.
func siteAdminPages(t *testing.T) []sitePage {
	t.Helper()
	node := scalar[int](t, `select n.id from menu_nodes n join posts p on p.id = n.post_id
		where p.slug = 'whats-on' and n.container_type is null and n.deleted_at is null order by n.id limit 1`)
	whatsOn := scalar[int](t, `select id from posts where slug = 'whats-on'`)
	pages := []sitePage{
		{"admin-blog-menus", "blog", "/admin/menus/", "ada"},
		{"admin-blog-menu-item", "blog", fmt.Sprintf("/admin/menus/%d/", node), "ada"},
		{"admin-blog-snippets", "blog", "/admin/snippets/", "ada"},
		{"admin-blog-snippet-new", "blog", "/admin/snippets/new/", "ada"},
		{"admin-blog-settings", "blog", "/admin/settings/", "ada"},
		{"admin-blog-page-config", "blog", fmt.Sprintf("/admin/settings/pages/%d/", whatsOn), "ada"},
	}
	if id := scalar[int](t, `select coalesce(min(id), 0) from snippets where deleted_at is null and visibility = 'public'`); id != 0 {
		pages = append(pages, sitePage{"admin-blog-snippet", "blog", fmt.Sprintf("/admin/snippets/%d/", id), "ada"})
	}
	return pages
}
