package services_test

// Ghost integration: blog's ghost-sync and push-member and account's
// member.updated activity, against a local fake Ghost that replays the
// recorded Content API and Admin API newsletters responses of testdata/ghost/
// (in Ghost's documented JSON shape), keeps members in memory (loaded from
// recorded members browse responses, or added from the recorded member
// template), checks the Content API key and verifies Admin API tokens as Ghost
// does.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

const (
	ghostContentKey  = "22444f78447824223cefc48062"
	ghostAdminID     = "6489a1b2c3d4e5f601234567"
	ghostAdminSecret = "5f0c9a8e7d6b5a4938271605f4e3d2c1b0a99887766554433221100ffeeddccb"
	// ghostFixtureID prefixes every Ghost id in testdata/ghost.
	ghostFixtureID = "66b1c0de"
)

// --- a fake Ghost -----------------------------------------------------------

// ghostRequest is one request the fake Ghost received and its answer.
type ghostRequest struct {
	Method string
	Path   string
	Query  url.Values
	Auth   string
	Body   string
	Status int
}

// fakeGhost serves the Content and Admin APIs on 127.0.0.1.
type fakeGhost struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	variant  string                    // a subdirectory of testdata/ghost whose files win
	fail     func(*http.Request) int   // a status to answer instead, or 0
	requests []ghostRequest            // everything received, in order
	members  map[string]map[string]any // by id
	pageCap  int                       // at most this many members a browse page, when > 0
}

// ghostMemberSeq numbers the members every fake creates, after a per-run
// nonce: their ids become users.ghost_id, which is unique across the
// database.
var (
	ghostMemberSeq   atomic.Uint32
	ghostMemberNonce = uint32(time.Now().UnixNano())
)

// loadMembers adds the members of a recorded members browse response,
// testdata/ghost/{name}.
func (g *fakeGhost) loadMembers(t *testing.T, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ghost", name))
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Members []map[string]any `json:"members"`
	}
	if err := json.Unmarshal(b, &in); err != nil || len(in.Members) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range in.Members {
		g.members[m["id"].(string)] = m
	}
}

// memberNewsletters lists the newsletter ids of a member, in order.
func (g *fakeGhost) memberNewsletters(id string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return newsletterIDs(g.members[id])
}

// setMemberNewsletters changes a member's newsletters, as the member would in
// Ghost's Portal.
func (g *fakeGhost) setMemberNewsletters(id string, ids ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var nl []any
	for _, n := range ids {
		nl = append(nl, map[string]any{"id": n})
	}
	g.members[id]["newsletters"] = expandNewsletters(nl)
}

func newFakeGhost(t *testing.T) *fakeGhost {
	t.Helper()
	g := &fakeGhost{members: map[string]map[string]any{}}
	g.srv = httptest.NewServer(g)
	g.URL = g.srv.URL
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGhost) setVariant(v string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.variant = v
}

func (g *fakeGhost) setFail(f func(*http.Request) int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail = f
}

// received returns the requests whose path starts with prefix, in order.
func (g *fakeGhost) received(prefix string) []ghostRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []ghostRequest
	for _, r := range g.requests {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// reset forgets the requests received so far.
func (g *fakeGhost) reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = nil
}

func (g *fakeGhost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	status, out := g.answer(r, body)
	g.requests = append(g.requests, ghostRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		Auth: r.Header.Get("Authorization"), Body: string(body), Status: status})
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(out)
}

// ghostError is Ghost's error body.
func ghostError(typ, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": msg, "type": typ}}})
	return b
}

// answer is called with g.mu held.
func (g *fakeGhost) answer(r *http.Request, body []byte) (int, []byte) {
	if g.fail != nil {
		if s := g.fail(r); s != 0 {
			return s, ghostError("InternalServerError", "An unexpected error occurred")
		}
	}
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/ghost/api/content/") && r.Method == "GET":
		return g.content(r)
	case strings.HasPrefix(p, "/ghost/api/admin/"):
		if err := verifyAdminToken(r.Header.Get("Authorization"), ghostAdminID, ghostAdminSecret, time.Now()); err != nil {
			return 401, ghostError("UnauthorizedError", "Invalid token: "+err.Error())
		}
		if p == "/ghost/api/admin/newsletters/" && r.Method == "GET" {
			// Browse: testdata/ghost/[variant/]newsletters.json (limit=all).
			return g.replay("newsletters.json")
		}
		return g.admin(r, body)
	}
	return 404, ghostError("NotFoundError", "Resource not found")
}

// content replays testdata/ghost/[variant/]{kind}-page{N}.json or, for the
// first page, {kind}.json.
func (g *fakeGhost) content(r *http.Request) (int, []byte) {
	q := r.URL.Query()
	if q.Get("key") != ghostContentKey {
		return 401, ghostError("UnauthorizedError", "Unknown Content API Key")
	}
	kind := strings.Trim(strings.TrimPrefix(r.URL.Path, "/ghost/api/content/"), "/")
	page := q.Get("page")
	if page == "" {
		page = "1"
	}
	names := []string{kind + "-page" + page + ".json"}
	if page == "1" {
		names = append(names, kind+".json")
	}
	return g.replay(names...)
}

// replay answers the first of the named files found in
// testdata/ghost/[variant/], or 404.
func (g *fakeGhost) replay(names ...string) (int, []byte) {
	dirs := []string{""}
	if g.variant != "" {
		dirs = []string{g.variant, ""}
	}
	for _, dir := range dirs {
		for _, n := range names {
			if b, err := os.ReadFile(filepath.Join("testdata", "ghost", dir, n)); err == nil {
				return 200, b
			}
		}
	}
	return 404, ghostError("NotFoundError", "Resource not found")
}

// admin serves /ghost/api/admin/members/: browse (every member by id, paged
// by limit and page, or filter=email:'…', matched case-insensitively as
// Ghost on MySQL does), add, and edit, keeping members made from the recorded
// member.json. A browse answers the members' newsletters only when asked with
// include=newsletters, so that the tests see them asked for.
func (g *fakeGhost) admin(r *http.Request, body []byte) (int, []byte) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/ghost/api/admin/members"), "/")
	q := r.URL.Query()
	withNewsletters := r.Method != "GET" || strings.Contains(","+q.Get("include")+",", ",newsletters,")
	out := func(m map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range m {
			if k != "newsletters" || withNewsletters {
				c[k] = v
			}
		}
		return c
	}
	page := func(status int, ms []map[string]any, pageNo, limit, total int) (int, []byte) {
		l := []map[string]any{}
		for _, m := range ms {
			l = append(l, out(m))
		}
		pages := 1
		if limit > 0 && total > 0 {
			pages = (total + limit - 1) / limit
		}
		var next, prev any
		if pageNo < pages {
			next = pageNo + 1
		}
		if pageNo > 1 {
			prev = pageNo - 1
		}
		b, _ := json.Marshal(map[string]any{"members": l, "meta": map[string]any{"pagination": map[string]any{
			"page": pageNo, "limit": limit, "pages": pages, "total": total, "next": next, "prev": prev}}})
		return status, b
	}
	list := func(status int, ms ...map[string]any) (int, []byte) {
		return page(status, ms, 1, 15, len(ms))
	}
	var in struct {
		Members []map[string]any `json:"members"`
	}
	if r.Method == "POST" || r.Method == "PUT" {
		if err := json.Unmarshal(body, &in); err != nil || len(in.Members) != 1 {
			return 422, ghostError("ValidationError", "Expected {\"members\":[…]}")
		}
	}
	switch {
	case !strings.HasPrefix(r.URL.Path, "/ghost/api/admin/members/"):
		return 404, ghostError("NotFoundError", "Resource not found")
	case r.Method == "GET" && rest == "" && q.Has("filter"):
		email, ok := strings.CutPrefix(q.Get("filter"), "email:'")
		if !ok || !strings.HasSuffix(email, "'") {
			return 400, ghostError("BadRequestError", "unsupported filter")
		}
		email = strings.ReplaceAll(strings.TrimSuffix(email, "'"), `\'`, `'`)
		for _, m := range g.members {
			if s, _ := m["email"].(string); strings.EqualFold(s, email) {
				return list(200, m)
			}
		}
		return list(200)
	case r.Method == "GET" && rest == "":
		ids := make([]string, 0, len(g.members))
		for id := range g.members {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		limit, pageNo := 15, 1
		if l := q.Get("limit"); l == "all" {
			limit = len(ids)
		} else if l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 {
				return 400, ghostError("BadRequestError", "bad limit")
			}
			limit = n
		}
		if g.pageCap > 0 && limit > g.pageCap {
			limit = g.pageCap
		}
		if p := q.Get("page"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 {
				return 400, ghostError("BadRequestError", "bad page")
			}
			pageNo = n
		}
		var ms []map[string]any
		for i := (pageNo - 1) * limit; i < len(ids) && i < pageNo*limit; i++ {
			ms = append(ms, g.members[ids[i]])
		}
		return page(200, ms, pageNo, limit, len(ids))
	case r.Method == "POST" && rest == "":
		email, _ := in.Members[0]["email"].(string)
		if email == "" {
			return 422, ghostError("ValidationError", "Email is required")
		}
		for _, m := range g.members {
			if s, _ := m["email"].(string); strings.EqualFold(s, email) {
				return 422, ghostError("ValidationError", "Member already exists")
			}
		}
		var m map[string]any
		b, err := os.ReadFile(filepath.Join("testdata", "ghost", "member.json"))
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			return 500, ghostError("InternalServerError", err.Error())
		}
		m["id"] = fmt.Sprintf("%s%08x%08x", ghostFixtureID, ghostMemberNonce, ghostMemberSeq.Add(1))
		m["email"] = email
		m["name"] = in.Members[0]["name"]
		m["newsletters"] = expandNewsletters(in.Members[0]["newsletters"])
		g.members[m["id"].(string)] = m
		return list(201, m)
	case r.Method == "PUT" && rest != "" && !strings.Contains(rest, "/"):
		m := g.members[rest]
		if m == nil {
			return 404, ghostError("NotFoundError", "Member not found")
		}
		if nl, ok := in.Members[0]["newsletters"]; ok {
			m["newsletters"] = expandNewsletters(nl)
		}
		if name, ok := in.Members[0]["name"]; ok {
			m["name"] = name
		}
		return list(200, m)
	}
	return 404, ghostError("NotFoundError", "Resource not found")
}

// expandNewsletters turns [{"id": …}] into Ghost's newsletter objects.
func expandNewsletters(v any) []any {
	out := []any{}
	l, _ := v.([]any)
	for _, it := range l {
		m, _ := it.(map[string]any)
		out = append(out, map[string]any{"id": m["id"], "name": fmt.Sprint("Newsletter ", m["id"]), "status": "active"})
	}
	return out
}

// verifyAdminToken checks an Authorization header as Ghost's Admin API does:
// "Ghost <JWT>", HS256 with the hex-decoded secret of the key, kid the key's
// id, audience /admin/, at most five minutes between iat and exp, unexpired.
func verifyAdminToken(auth, id, secretHex string, now time.Time) error {
	tok, ok := strings.CutPrefix(auth, "Ghost ")
	if !ok {
		return errors.New("no Ghost token")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("not a compact JWS")
	}
	var header struct{ Alg, Typ, Kid string }
	if err := decodeJWTPart(parts[0], &header); err != nil {
		return fmt.Errorf("header: %v", err)
	}
	if header.Alg != "HS256" || header.Typ != "JWT" || header.Kid != id {
		return fmt.Errorf("header %+v", header)
	}
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return errors.New("bad signature")
	}
	var claims struct {
		Iat, Exp *int64
		Aud      any
	}
	if err := decodeJWTPart(parts[1], &claims); err != nil {
		return fmt.Errorf("claims: %v", err)
	}
	switch {
	case claims.Aud != "/admin/":
		return fmt.Errorf("audience %v", claims.Aud)
	case claims.Iat == nil || claims.Exp == nil:
		return errors.New("iat and exp are required")
	case *claims.Exp <= *claims.Iat || *claims.Exp-*claims.Iat > 300:
		return fmt.Errorf("exp - iat = %d s, want 1 to 300", *claims.Exp-*claims.Iat)
	case *claims.Exp <= now.Unix():
		return errors.New("expired")
	case *claims.Iat > now.Unix()+60:
		return errors.New("issued in the future")
	}
	return nil
}

func decodeJWTPart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// --- a platform with configuration ----------------------------------------

// ghostEnv is the configuration the services read with (env …); tests may
// change it while the platform runs.
type ghostEnv struct {
	mu   sync.Mutex
	vars map[string]string
}

func (e *ghostEnv) get(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[k]
}

func (e *ghostEnv) set(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars[k] = v
}

// ghostVars configures every Ghost variable for the fake g.
func ghostVars(g *fakeGhost) map[string]string {
	return map[string]string{
		"GHOST_CONTENT_API_URL": g.URL + "/", // a trailing slash is tolerated
		"GHOST_CONTENT_API_KEY": ghostContentKey,
		"GHOST_ADMIN_API_URL":   g.URL,
		"GHOST_ADMIN_API_KEY":   ghostAdminID + ":" + ghostAdminSecret,
	}
}

// platformEnv is platform() with configuration (Getenv) and a fast activity
// back-off; it also returns the platform, for ProcessActivities.
// (platform() in services_test.go could take host.Options to share this.)
func platformEnv(t *testing.T, vars map[string]string, names ...string) (*host.Platform, map[string]string, *ghostEnv) {
	t.Helper()
	env := &ghostEnv{vars: map[string]string{}}
	for k, v := range vars {
		env.vars[k] = v
	}
	p, urls := platformWith(t, host.Options{Getenv: env.get,
		Activities: host.ActivityOptions{Backoff: time.Millisecond}}, names...)
	return p, urls, env
}

// deadURL is an http URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// --- ghost-sync ---------------------------------------------------------------

// cleanGhostFixtures removes what earlier syncs of testdata/ghost wrote.
func cleanGhostFixtures(t *testing.T) {
	t.Helper()
	for _, table := range []string{"posts", "authors", "tags", "ghost_newsletters"} {
		exec(t, "delete from "+table+" where ghost_id like $1 or slug like 'ghostfx-%'", ghostFixtureID+"%")
	}
}

// ghostRowCounts counts every row of the tables ghost-sync writes.
func ghostRowCounts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"posts", "authors", "tags", "posts_authors", "posts_tags", "ghost_newsletters"} {
		out[table] = scalar[int64](t, "select count(*) from "+table)
	}
	return out
}

// ghostIDs maps the Ghost ids of a table's fixture rows to local ids.
func ghostIDs(t *testing.T, table string) map[string]int64 {
	t.Helper()
	rows, err := db.Query(context.Background(), "select ghost_id, id::bigint from "+table+" where ghost_id like $1", ghostFixtureID+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var g string
		var id int64
		if err := rows.Scan(&g, &id); err != nil {
			t.Fatal(err)
		}
		out[g] = id
	}
	return out
}

// ghostLinks lists a post's author or tag Ghost ids in sort order.
func ghostLinks(t *testing.T, postGhostID, kind string) string {
	t.Helper()
	table, col := "posts_authors", "author_id"
	if kind == "tags" {
		table, col = "posts_tags", "tag_id"
	}
	return scalar[string](t, `select coalesce(string_agg(x.ghost_id, ',' order by l.sort_order), '')
		from `+table+` l join posts p on p.id = l.post_id join `+kind+` x on x.id = l.`+col+`
		where p.ghost_id = $1`, postGhostID)
}

func gid(suffix string) string { return ghostFixtureID + "0000000000000" + suffix }

func wantCounts(t *testing.T, c call, posts, pages, authors, tags, newsletters int64) {
	t.Helper()
	wantStatus(t, c, 200)
	m := wantObj(t, c)
	if num(t, m["posts"]) != posts || num(t, m["pages"]) != pages || num(t, m["authors"]) != authors ||
		num(t, m["tags"]) != tags || num(t, m["newsletters"]) != newsletters {
		t.Fatalf("counts %s, want posts %d pages %d authors %d tags %d newsletters %d", c.Body, posts, pages, authors, tags, newsletters)
	}
}

// wantMemberCounts checks a ghost-sync's members counts.
func wantMemberCounts(t *testing.T, c call, members, skipped int64) {
	t.Helper()
	wantStatus(t, c, 200)
	m := wantObj(t, c)
	if num(t, m["members"]) != members || num(t, m["members-skipped"]) != skipped {
		t.Fatalf("counts %s, want members %d, members-skipped %d", c.Body, members, skipped)
	}
}

func TestGhostSyncImports(t *testing.T) {
	cleanGhostFixtures(t)
	g := newFakeGhost(t)
	_, urls, _ := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]

	c := action(t, b, "ghost-sync", map[string]any{})
	wantCounts(t, c, 3, 1, 2, 3, 3)
	wantMemberCounts(t, c, 0, 0)

	// With the Admin API configured, the default kinds include newsletters
	// and, after them, members: a browse of each, newsletters with limit=all,
	// members a page at a time with their newsletters, and tokens Ghost
	// accepts.
	if reqs := g.received("/ghost/api/admin/"); len(reqs) != 2 || reqs[0].Method != "GET" ||
		reqs[0].Path != "/ghost/api/admin/newsletters/" || reqs[0].Query.Get("limit") != "all" || reqs[0].Status != 200 ||
		reqs[1].Method != "GET" || reqs[1].Path != "/ghost/api/admin/members/" || reqs[1].Query.Get("limit") != "100" ||
		reqs[1].Query.Get("include") != "newsletters" || reqs[1].Status != 200 {
		t.Fatalf("admin requests: %+v", reqs)
	}
	if n := len(ghostIDs(t, "ghost_newsletters")); n != 3 {
		t.Fatalf("imported %d newsletters, want 3", n)
	}

	// Every list was fetched with the key; posts over both result pages.
	for _, kind := range []string{"authors", "tags", "posts", "pages"} {
		reqs := g.received("/ghost/api/content/" + kind + "/")
		want := 1
		if kind == "posts" {
			want = 2
		}
		if len(reqs) != want {
			t.Fatalf("%s: %d requests, want %d", kind, len(reqs), want)
		}
		for i, r := range reqs {
			if r.Query.Get("key") != ghostContentKey || r.Query.Get("page") != fmt.Sprint(i+1) || r.Status != 200 {
				t.Errorf("%s request %d: %v, status %d", kind, i, r.Query, r.Status)
			}
			if kind == "posts" || kind == "pages" {
				if r.Query.Get("include") != "authors,tags" || !strings.Contains(r.Query.Get("formats"), "html") ||
					!strings.Contains(r.Query.Get("formats"), "plaintext") {
					t.Errorf("%s request %d: %v", kind, i, r.Query)
				}
			}
		}
	}

	authors, tags, posts := ghostIDs(t, "authors"), ghostIDs(t, "tags"), ghostIDs(t, "posts")
	if len(authors) != 2 || len(tags) != 3 || len(posts) != 4 {
		t.Fatalf("imported %d authors, %d tags, %d posts and pages", len(authors), len(tags), len(posts))
	}
	type author struct{ Slug, Name, Bio, Image, Website, Location string }
	var a author
	if err := db.QueryRow(context.Background(), `select slug, name, coalesce(bio, ''), coalesce(profile_image, ''),
		coalesce(website, ''), coalesce(location, '') from authors where ghost_id = $1`, gid("a01")).
		Scan(&a.Slug, &a.Name, &a.Bio, &a.Image, &a.Website, &a.Location); err != nil {
		t.Fatal(err)
	}
	if a != (author{"ghostfx-ada", "Ada Lovelace", "Writes about the analytical engine and the cooperative's bakery.",
		"https://ghost.example/content/images/2024/05/ada.jpg", "https://ada.example", "London"}) {
		t.Errorf("author: %+v", a)
	}
	if s := scalar[string](t, `select name || '|' || visibility || '|' || coalesce(meta_title, '') || '|' || coalesce(description, '')
		from tags where ghost_id = $1`, gid("b01")); s != "News|public|News from the co-op|What the cooperative is up to." {
		t.Errorf("tag: %s", s)
	}

	// Posts and the page, through blog's own queries.
	p := wantObj(t, query(t, b, "post-by-slug", "slug=ghostfx-hello-world"))
	if num(t, p["id"]) != posts[gid("c01")] || p["title"] != "Hello, world" || p["status"] != "published" ||
		p["is_page"] != false || p["featured"] != true || p["visibility"] != "public" ||
		p["html"] != "<p>The co-op has a <strong>blog</strong>.</p>" ||
		p["uuid"] != "5b0c2a4e-1f3d-4c55-9a61-0d1e2f3a4b01" ||
		num(t, p["primary_author_id"]) != authors[gid("a01")] || num(t, p["primary_tag_id"]) != tags[gid("b01")] {
		t.Errorf("post: %v", p)
	}
	if pub, _ := time.Parse(time.RFC3339, p["published_at"].(string)); !pub.Equal(time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("published_at %v", p["published_at"])
	}
	if s := scalar[string](t, `select plaintext || '|' || og_title || '|' || meta_description from posts where ghost_id = $1`, gid("c01")); s != "The co-op has a blog.|Hello from the co-op|Our first post." {
		t.Errorf("post plaintext and meta: %s", s)
	}
	p = wantObj(t, query(t, b, "post-by-slug", "slug=ghostfx-members-only"))
	if p["visibility"] != "members" || p["featured"] != false || num(t, p["primary_author_id"]) != authors[gid("a02")] ||
		num(t, p["primary_tag_id"]) != tags[gid("b02")] {
		t.Errorf("members post: %v", p)
	}
	p = wantObj(t, query(t, b, "post-by-slug", "slug=ghostfx-sourdough"))
	if p["feature_image"] != "https://ghost.example/content/images/2024/05/loaf.jpg" || p["custom_excerpt"] != "How the bakery keeps up." ||
		num(t, p["primary_tag_id"]) != tags[gid("b03")] {
		t.Errorf("post from the second result page: %v", p)
	}
	p = wantObj(t, query(t, b, "post-by-slug", "slug=ghostfx-about"))
	if p["is_page"] != true || p["title"] != "About us" || p["primary_tag_id"] != nil ||
		num(t, p["primary_author_id"]) != authors[gid("a02")] {
		t.Errorf("page: %v", p)
	}

	// Authors and tags are linked in Ghost's order.
	for post, want := range map[string][2]string{
		"c01": {gid("a01"), gid("b01") + "," + gid("b02")},
		"c02": {gid("a02") + "," + gid("a01"), gid("b02") + "," + gid("b01")},
		"c03": {gid("a01"), gid("b03") + "," + gid("b01")},
		"d01": {gid("a02"), ""},
	} {
		if got := ghostLinks(t, gid(post), "authors"); got != want[0] {
			t.Errorf("post %s authors %s, want %s", post, got, want[0])
		}
		if got := ghostLinks(t, gid(post), "tags"); got != want[1] {
			t.Errorf("post %s tags %s, want %s", post, got, want[1])
		}
	}
}

func TestGhostSyncIdempotentAndUpdates(t *testing.T) {
	cleanGhostFixtures(t)
	g := newFakeGhost(t)
	_, urls, _ := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]

	wantCounts(t, action(t, b, "ghost-sync", map[string]any{}), 3, 1, 2, 3, 3)
	ids := map[string]map[string]int64{}
	for _, table := range []string{"posts", "authors", "tags"} {
		ids[table] = ghostIDs(t, table)
	}
	before := ghostRowCounts(t)
	stamp := scalar[time.Time](t, "select updated_at from authors where ghost_id = $1", gid("a01"))

	// Again: the same rows, the same ids, nothing touched.
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{}), 3, 1, 2, 3, 3)
	for table, want := range ids {
		got := ghostIDs(t, table)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s after a second sync: %v, want %v", table, got, want)
		}
	}
	if after := ghostRowCounts(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("row counts after a second sync %v, want %v", after, before)
	}
	if again := scalar[time.Time](t, "select updated_at from authors where ghost_id = $1", gid("a01")); !again.Equal(stamp) {
		t.Errorf("an unchanged author was touched: %v -> %v", stamp, again)
	}
	if got := ghostLinks(t, gid("c01"), "tags"); got != gid("b01")+","+gid("b02") {
		t.Errorf("tags after a second sync: %s", got)
	}

	// Ghost changed: post 2 was retitled, post 1 lost a tag.
	g.setVariant("changed")
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{}), 3, 1, 2, 3, 3)
	p := wantObj(t, query(t, b, "post-by-id", "id="+itoa(ids["posts"][gid("c02")])))
	if p["title"] != "For members: the June meeting" || p["slug"] != "ghostfx-members-only" {
		t.Errorf("retitled post: %v", p)
	}
	if up, _ := time.Parse(time.RFC3339, p["updated_at"].(string)); !up.Equal(time.Date(2024, 6, 2, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("updated_at %v", p["updated_at"])
	}
	if got := ghostLinks(t, gid("c01"), "tags"); got != gid("b02") {
		t.Errorf("post 1 tags after the change: %s, want only Food", got)
	}
	if n := scalar[int64](t, "select primary_tag_id from posts where ghost_id = $1", gid("c01")); n != ids["tags"][gid("b02")] {
		t.Errorf("post 1 primary tag %d", n)
	}
	if got := ghostIDs(t, "posts"); fmt.Sprint(got) != fmt.Sprint(ids["posts"]) {
		t.Errorf("posts after the change: %v, want %v", got, ids["posts"])
	}
	if s := scalar[string](t, "select title from posts where ghost_id = $1", gid("c03")); s != "Sourdough at scale" {
		t.Errorf("an unchanged post: %s", s)
	}
}

func TestGhostSyncFailureWritesNothing(t *testing.T) {
	cleanGhostFixtures(t)
	g := newFakeGhost(t)
	_, urls, env := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]
	before := ghostRowCounts(t)
	unchanged := func(when string) {
		t.Helper()
		if after := ghostRowCounts(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("%s: rows %v, want %v", when, after, before)
		}
	}

	// The second result page of posts fails after authors, tags and the
	// first page were written in the transaction.
	g.setFail(func(r *http.Request) int {
		if r.URL.Path == "/ghost/api/content/posts/" && r.URL.Query().Get("page") == "2" {
			return 500
		}
		return 0
	})
	c := action(t, b, "ghost-sync", map[string]any{})
	wantError(t, c, 502, "posts/")
	wantError(t, c, 502, "500")
	if strings.Contains(c.Body, ghostContentKey) {
		t.Errorf("the error shows the content key: %s", c.Body)
	}
	if len(g.received("/ghost/api/content/posts/")) != 2 {
		t.Fatalf("the failure was not on the second page")
	}
	unchanged("after Ghost answered 500")

	// The Admin API's newsletters fail: nothing is written either.
	g.setFail(func(r *http.Request) int {
		if r.URL.Path == "/ghost/api/admin/newsletters/" {
			return 503
		}
		return 0
	})
	c = action(t, b, "ghost-sync", map[string]any{})
	wantError(t, c, 502, "newsletters/")
	if strings.Contains(c.Body, ghostAdminSecret) {
		t.Errorf("the error shows the admin key: %s", c.Body)
	}
	unchanged("after the Admin API answered 503")

	// So do the members, after newsletters were written in the transaction.
	g.reset()
	g.setFail(func(r *http.Request) int {
		if r.URL.Path == "/ghost/api/admin/members/" {
			return 503
		}
		return 0
	})
	wantError(t, action(t, b, "ghost-sync", map[string]any{}), 502, "members/")
	if len(g.received("/ghost/api/admin/members/")) != 1 {
		t.Fatalf("members were not asked for")
	}
	unchanged("after the Admin API's members answered 503")

	// A wrong key: Ghost answers 401.
	g.setFail(nil)
	env.set("GHOST_CONTENT_API_KEY", "0123456789abcdef0123456789")
	wantError(t, action(t, b, "ghost-sync", map[string]any{}), 502, "401")
	unchanged("after Ghost answered 401")

	// Ghost unreachable.
	env.set("GHOST_CONTENT_API_KEY", ghostContentKey)
	env.set("GHOST_CONTENT_API_URL", deadURL(t))
	c = action(t, b, "ghost-sync", map[string]any{})
	wantStatus(t, c, 502)
	if strings.Contains(c.Body, ghostContentKey) {
		t.Errorf("the error shows the content key: %s", c.Body)
	}
	unchanged("with Ghost down")

	// Up again: it all goes in.
	env.set("GHOST_CONTENT_API_URL", g.URL)
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{}), 3, 1, 2, 3, 3)
}

func TestGhostSyncConfigurationAndKinds(t *testing.T) {
	cleanGhostFixtures(t)
	g := newFakeGhost(t)
	_, urls, env := platformEnv(t, nil, "blog")
	b := urls["blog"]

	wantError(t, action(t, b, "ghost-sync", map[string]any{}), 400, "Ghost is not configured (GHOST_CONTENT_API_URL)")
	env.set("GHOST_CONTENT_API_URL", g.URL)
	wantError(t, action(t, b, "ghost-sync", map[string]any{}), 400, "Ghost is not configured (GHOST_CONTENT_API_KEY)")
	env.set("GHOST_CONTENT_API_KEY", ghostContentKey)
	if n := len(g.received("/")); n != 0 {
		t.Fatalf("Ghost was called %d times while not configured", n)
	}

	wantBadParam(t, action(t, b, "ghost-sync", map[string]any{"kinds": "posts,comments"}), "kinds")
	wantBadParam(t, action(t, b, "ghost-sync", map[string]any{"kinds": " , "}), "kinds")
	wantBadParam(t, action(t, b, "ghost-sync", map[string]any{"kinds": []any{"posts"}}), "kinds")

	// Without the Admin API, newsletters are left out of the default kinds
	// and refused when asked for.
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{}), 3, 1, 2, 3, 0)
	if n := len(g.received("/ghost/api/admin/")); n != 0 {
		t.Fatalf("a Content-only sync made %d Admin API requests", n)
	}
	wantBadParam(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), "kinds")
	wantError(t, action(t, b, "ghost-sync", map[string]any{"kinds": "tags,newsletters"}), 400, "GHOST_ADMIN_API_URL")
	wantBadParam(t, action(t, b, "ghost-sync", map[string]any{"kinds": "members"}), "kinds")
	wantError(t, action(t, b, "ghost-sync", map[string]any{"kinds": "members"}), 400, "members need the Ghost Admin API (GHOST_ADMIN_API_URL)")
	env.set("GHOST_ADMIN_API_URL", g.URL)
	wantError(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 400, "GHOST_ADMIN_API_KEY")
	wantError(t, action(t, b, "ghost-sync", map[string]any{"kinds": "members"}), 400, "GHOST_ADMIN_API_KEY")
	if n := len(g.received("/ghost/api/admin/")); n != 0 {
		t.Fatalf("Ghost's Admin API was called %d times while not configured", n)
	}
	// Newsletters alone need only the Admin API.
	env.set("GHOST_ADMIN_API_KEY", ghostAdminID+":"+ghostAdminSecret)
	env.set("GHOST_CONTENT_API_URL", "")
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 0, 0, 0, 0, 3)
	env.set("GHOST_CONTENT_API_URL", g.URL)
	env.set("GHOST_ADMIN_API_URL", "")
	env.set("GHOST_ADMIN_API_KEY", "")
	cleanGhostFixtures(t)
	g.reset()

	// Only tags.
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "tags"}), 0, 0, 0, 3, 0)
	if n := len(g.received("/ghost/api/content/")); n != 1 || len(g.received("/ghost/api/content/tags/")) != 1 {
		t.Fatalf("a tags-only sync made %d requests", n)
	}
	if len(ghostIDs(t, "tags")) != 3 || len(ghostIDs(t, "posts")) != 0 || len(ghostIDs(t, "authors")) != 0 {
		t.Fatal("a tags-only sync wrote more than tags")
	}

	// Pages alone bring their authors with them (from the embedded objects).
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "pages"}), 0, 1, 0, 0, 0)
	if got := ghostLinks(t, gid("d01"), "authors"); got != gid("a02") {
		t.Fatalf("page authors: %q", got)
	}
	if s := scalar[string](t, "select name from authors where ghost_id = $1", gid("a02")); s != "Grace Hopper" {
		t.Fatalf("embedded author: %s", s)
	}
}

func TestGhostSyncLocalRows(t *testing.T) {
	cleanGhostFixtures(t)
	g := newFakeGhost(t)
	_, urls, _ := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]

	// A local tag with a Ghost tag's slug is adopted, keeping its id.
	tag := scalar[int64](t, "insert into tags (slug, name) values ('ghostfx-news', 'Local news') returning id")
	// A local post with a Ghost page's slug is not overwritten.
	local := blogInsertPost(t, "ghostfx-about", "Our own about page", "published", false)
	before := ghostRowCounts(t)
	c := action(t, b, "ghost-sync", map[string]any{})
	wantError(t, c, 409, "ghostfx-about")
	if after := ghostRowCounts(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused sync wrote rows: %v, want %v", after, before)
	}
	exec(t, "update posts set slug = 'ghostfx-about-local' where id = $1", local)

	wantCounts(t, action(t, b, "ghost-sync", map[string]any{}), 3, 1, 2, 3, 3)
	if id := ghostIDs(t, "tags")[gid("b01")]; id != tag {
		t.Errorf("the local tag %d was not adopted (Ghost's tag is %d)", tag, id)
	}
	if s := scalar[string](t, "select name from tags where id = $1", tag); s != "News" {
		t.Errorf("adopted tag name %q", s)
	}
	if s := scalar[string](t, "select title || '|' || coalesce(ghost_id, '') from posts where id = $1", local); s != "Our own about page|" {
		t.Errorf("the local post changed: %s", s)
	}
}

// ghostNewsletterRow reads a newsletter's synced fields as one string.
func ghostNewsletterRow(t *testing.T, id int64) string {
	t.Helper()
	return scalar[string](t, `select coalesce(ghost_id, '') || '|' || name || '|' || slug || '|' || coalesce(description, '') || '|' ||
		status || '|' || visibility || '|' || subscribe_on_signup || '|' || sort_order from ghost_newsletters where id = $1`, id)
}

func TestGhostSyncNewsletters(t *testing.T) {
	cleanGhostFixtures(t)
	g := newFakeGhost(t)
	_, urls, _ := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]

	// Local newsletters, as account and the seed make them: one with a Ghost
	// newsletter's slug (adopted, keeping its id and subscriptions), one Ghost
	// does not have (left alone).
	local := scalar[int64](t, "insert into ghost_newsletters (name, slug, sort_order) values ('Local weekly', 'ghostfx-weekly', 9) returning id")
	localOnly := scalar[int64](t, "insert into ghost_newsletters (name, slug) values ('Ours', 'ghostfx-local-only') returning id")
	uid, _ := acctUser(t, "Subscriber")
	exec(t, "insert into user_newsletters (user_id, newsletter_id, subscribed) values ($1, $2, true)", uid, local)

	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 0, 0, 0, 0, 3)
	reqs := g.received("/")
	if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/ghost/api/admin/newsletters/" ||
		reqs[0].Query.Get("limit") != "all" || !strings.HasPrefix(reqs[0].Auth, "Ghost ") || reqs[0].Status != 200 {
		t.Fatalf("requests: %+v", reqs)
	}
	ids := ghostIDs(t, "ghost_newsletters")
	if len(ids) != 3 || ids[gid("f01")] != local {
		t.Fatalf("newsletters %v: the local weekly (%d) was not adopted", ids, local)
	}
	for id, want := range map[int64]string{
		local:           gid("f01") + "|Weekly|ghostfx-weekly|The week at the co-op.|active|members|true|0",
		ids[gid("f02")]: gid("f02") + "|Bakery news|ghostfx-bakery||active|paid|false|1",
		ids[gid("f03")]: gid("f03") + "|Old announcements|ghostfx-old|No longer sent.|archived|members|false|2",
		localOnly:       "|Ours|ghostfx-local-only||active|members|true|0",
	} {
		if got := ghostNewsletterRow(t, id); got != want {
			t.Errorf("newsletter %d: %s, want %s", id, got, want)
		}
	}
	if n := scalar[int64](t, "select count(*) from user_newsletters where user_id = $1 and newsletter_id = $2 and subscribed", uid, local); n != 1 {
		t.Errorf("the adopted newsletter lost its subscription")
	}

	// Again: the same rows, nothing touched.
	before := ghostRowCounts(t)
	stamp := scalar[time.Time](t, "select updated_at from ghost_newsletters where id = $1", ids[gid("f02")])
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 0, 0, 0, 0, 3)
	if got := ghostIDs(t, "ghost_newsletters"); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("newsletters after a second sync: %v, want %v", got, ids)
	}
	if after := ghostRowCounts(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("row counts after a second sync %v, want %v", after, before)
	}
	if again := scalar[time.Time](t, "select updated_at from ghost_newsletters where id = $1", ids[gid("f02")]); !again.Equal(stamp) {
		t.Errorf("an unchanged newsletter was touched: %v -> %v", stamp, again)
	}

	// Ghost renamed and moved the weekly newsletter.
	g.setVariant("changed")
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 0, 0, 0, 0, 3)
	if got := ghostNewsletterRow(t, local); got != gid("f01")+"|Weekly digest|ghostfx-weekly|The week at the co-op.|active|members|true|5" {
		t.Errorf("renamed newsletter: %s", got)
	}
	if again := scalar[time.Time](t, "select updated_at from ghost_newsletters where id = $1", ids[gid("f02")]); !again.Equal(stamp) {
		t.Errorf("an unchanged newsletter was touched: %v -> %v", stamp, again)
	}

	// A Ghost newsletter's new slug held by a local newsletter: refused, nothing written.
	exec(t, "insert into ghost_newsletters (name, slug) values ('Clash', 'ghostfx-clash')")
	g.setVariant("slugclash")
	before = ghostRowCounts(t)
	wantError(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 409, "ghostfx-clash")
	if after := ghostRowCounts(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused sync wrote rows: %v, want %v", after, before)
	}
	if got := ghostNewsletterRow(t, local); !strings.Contains(got, "|Weekly digest|") {
		t.Errorf("a refused sync changed a newsletter: %s", got)
	}
}

// --- push-member ----------------------------------------------------------

// ghostNewsletter inserts a newsletter mirrored from Ghost (ghostID may be
// empty) and returns its id.
func ghostNewsletter(t *testing.T, name, ghostID string, sortOrder int) int {
	t.Helper()
	var gidArg any
	if ghostID != "" {
		gidArg = ghostID
	}
	return scalar[int](t, "insert into ghost_newsletters (name, slug, ghost_id, sort_order) values ($1, $2, $3, $4) returning id",
		name, uniq(t), gidArg, sortOrder)
}

// memberBody decodes the single member of a members request body.
func memberBody(t *testing.T, r ghostRequest) map[string]any {
	t.Helper()
	var in struct {
		Members []map[string]any `json:"members"`
	}
	if err := json.Unmarshal([]byte(r.Body), &in); err != nil || len(in.Members) != 1 {
		t.Fatalf("members body %q: %v", r.Body, err)
	}
	return in.Members[0]
}

// newsletterIDs lists the ids of a member body's newsletters.
func newsletterIDs(m map[string]any) string {
	var ids []string
	l, _ := m["newsletters"].([]any)
	for _, it := range l {
		ids = append(ids, fmt.Sprint(it.(map[string]any)["id"]))
	}
	return strings.Join(ids, ",")
}

func TestGhostPushMember(t *testing.T) {
	g := newFakeGhost(t)
	_, urls, env := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]
	uid, email := acctUser(t, "O'Brien")
	tok := fmt.Sprint(time.Now().UnixNano())
	weekly, monthly := "nl-weekly-"+tok, "nl-monthly-"+tok
	n1 := ghostNewsletter(t, "Weekly", weekly, 1)
	n2 := ghostNewsletter(t, "Monthly", monthly, 2)
	n3 := ghostNewsletter(t, "Off", "nl-off-"+tok, 3)
	n4 := ghostNewsletter(t, "Local only", "", 0)
	for nid, sub := range map[int]bool{n1: true, n2: true, n3: false, n4: true} {
		exec(t, "insert into user_newsletters (user_id, newsletter_id, subscribed) values ($1, $2, $3)", uid, nid, sub)
	}

	// Subscribed to a newsletter without a Ghost id: pushing would unsubscribe
	// the member from it, so nothing is sent (and it is no error, which the
	// member.updated activity would retry).
	c := action(t, b, "push-member", map[string]any{"user-id": uid})
	wantStatus(t, c, 200)
	m := wantObj(t, c)
	if reason := fmt.Sprint(m["reason"]); m["pushed"] != false || !strings.Contains(reason, "not synced from Ghost") {
		t.Fatalf("push with an unsynced newsletter: %s", c.Body)
	}
	if n := len(g.received("/")); n != 0 {
		t.Fatalf("Ghost was called %d times for a refused push", n)
	}
	exec(t, "update user_newsletters set subscribed = false where user_id = $1 and newsletter_id = $2", uid, n4)

	// Not in Ghost yet: created with the subscribed newsletters.
	c = action(t, b, "push-member", map[string]any{"user-id": uid})
	wantStatus(t, c, 200)
	m = wantObj(t, c)
	memberID, _ := m["member-id"].(string)
	if m["pushed"] != true || m["created"] != true || m["paired"] != true || num(t, m["newsletters"]) != 2 ||
		!strings.HasPrefix(memberID, ghostFixtureID) {
		t.Fatalf("first push: %s", c.Body)
	}
	// The member it created is the user's from now on.
	if got := userGhostID(t, uid); got != memberID {
		t.Fatalf("users.ghost_id %q after creating member %s", got, memberID)
	}
	reqs := g.received("/ghost/api/admin/")
	if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[1].Method != "POST" || reqs[1].Path != "/ghost/api/admin/members/" {
		t.Fatalf("first push requests: %+v", reqs)
	}
	if f := reqs[0].Query.Get("filter"); f != "email:'"+email+"'" {
		t.Errorf("lookup filter %q", f)
	}
	sent := memberBody(t, reqs[1])
	if sent["email"] != email || sent["name"] != "O'Brien" || newsletterIDs(sent) != weekly+","+monthly {
		t.Errorf("created member %v", sent)
	}
	for _, r := range reqs {
		if r.Status/100 != 2 {
			t.Errorf("Ghost answered %s %s with %d", r.Method, r.Path, r.Status)
		}
	}

	// Found by e-mail, and paired: the newsletters are replaced (Ghost's
	// weekly, which the user left, is not merged back).
	g.reset()
	exec(t, "update user_newsletters set subscribed = false where user_id = $1 and newsletter_id = $2", uid, n1)
	c = action(t, b, "push-member", map[string]any{"user-id": uid})
	wantStatus(t, c, 200)
	m = wantObj(t, c)
	if m["pushed"] != true || m["created"] != false || m["paired"] != false || m["member-id"] != memberID ||
		num(t, m["newsletters"]) != 1 {
		t.Fatalf("second push: %s", c.Body)
	}
	reqs = g.received("/ghost/api/admin/")
	if len(reqs) != 2 || reqs[1].Method != "PUT" || reqs[1].Path != "/ghost/api/admin/members/"+memberID+"/" {
		t.Fatalf("second push requests: %+v", reqs)
	}
	if sent := memberBody(t, reqs[1]); newsletterIDs(sent) != monthly {
		t.Errorf("updated member %v", sent)
	}

	// Unsubscribed from everything: an empty list.
	g.reset()
	exec(t, "update user_newsletters set subscribed = false where user_id = $1", uid)
	m = wantObj(t, action(t, b, "push-member", map[string]any{"user-id": uid}))
	if num(t, m["newsletters"]) != 0 {
		t.Fatalf("third push: %v", m)
	}
	if reqs = g.received("/ghost/api/admin/members/" + memberID); len(reqs) != 1 || !strings.Contains(reqs[0].Body, `"newsletters":[]`) {
		t.Fatalf("third push requests: %+v", reqs)
	}

	wantNull(t, action(t, b, "push-member", map[string]any{"user-id": 2000000000}))
	wantBadParam(t, action(t, b, "push-member", map[string]any{}), "user-id")
	wantBadParam(t, action(t, b, "push-member", map[string]any{"user-id": 0}), "user-id")
	wantBadParam(t, action(t, b, "push-member", map[string]any{"user-id": -5}), "user-id")
	wantBadParam(t, action(t, b, "push-member", map[string]any{"user-id": "x"}), "user-id")

	// A wrong secret: Ghost refuses the token, push-member answers 502.
	g.reset()
	env.set("GHOST_ADMIN_API_KEY", ghostAdminID+":"+strings.Repeat("ab", 32))
	c = action(t, b, "push-member", map[string]any{"user-id": uid})
	wantError(t, c, 502, "401")
	if strings.Contains(c.Body, "abab") {
		t.Errorf("the error shows the admin key: %s", c.Body)
	}
	if reqs = g.received("/ghost/api/admin/"); len(reqs) != 1 || reqs[0].Status != 401 {
		t.Fatalf("with a wrong secret: %+v", reqs)
	}
	// A key that is not id:secret.
	env.set("GHOST_ADMIN_API_KEY", "not-a-key")
	wantStatus(t, action(t, b, "push-member", map[string]any{"user-id": uid}), 500)
	// Ghost unreachable.
	env.set("GHOST_ADMIN_API_KEY", ghostAdminID+":"+ghostAdminSecret)
	env.set("GHOST_ADMIN_API_URL", deadURL(t))
	wantStatus(t, action(t, b, "push-member", map[string]any{"user-id": uid}), 502)

	// Not configured: not an error.
	for _, k := range []string{"GHOST_ADMIN_API_URL", "GHOST_ADMIN_API_KEY"} {
		env.set("GHOST_ADMIN_API_URL", g.URL)
		env.set(k, "")
		c = action(t, b, "push-member", map[string]any{"user-id": uid})
		wantStatus(t, c, 200)
		if m := wantObj(t, c); m["pushed"] != false || !strings.Contains(fmt.Sprint(m["reason"]), k) {
			t.Errorf("without %s: %s", k, c.Body)
		}
	}
}

// The newsletters account and the seed create have no Ghost id until
// ghost-sync imports Ghost's: before that a push is refused and sends
// nothing; after it the member gets the Ghost ids.
func TestGhostPushMemberAfterNewsletterImport(t *testing.T) {
	cleanGhostFixtures(t)
	g := newFakeGhost(t)
	_, urls, _ := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]
	uid, email := acctUser(t, "Reader")
	nl := func(name, slug string, sortOrder int) int64 {
		return scalar[int64](t, "insert into ghost_newsletters (name, slug, sort_order) values ($1, $2, $3) returning id", name, slug, sortOrder)
	}
	bakery, weekly, old := nl("Bakery", "ghostfx-bakery", 1), nl("Weekly", "ghostfx-weekly", 0), nl("Old", "ghostfx-old", 2)
	for nid, sub := range map[int64]bool{weekly: true, bakery: true, old: false} {
		exec(t, "insert into user_newsletters (user_id, newsletter_id, subscribed) values ($1, $2, $3)", uid, nid, sub)
	}

	c := action(t, b, "push-member", map[string]any{"user-id": uid})
	wantStatus(t, c, 200)
	m := wantObj(t, c)
	reason := fmt.Sprint(m["reason"])
	if m["pushed"] != false || !strings.Contains(reason, "newsletters not synced from Ghost") ||
		!strings.Contains(reason, "ghostfx-weekly, ghostfx-bakery") || strings.Contains(reason, "ghostfx-old") {
		t.Fatalf("push before the import: %s", c.Body)
	}
	if reqs := g.received("/"); len(reqs) != 0 {
		t.Fatalf("a refused push sent %+v", reqs)
	}

	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 0, 0, 0, 0, 3)
	g.reset()
	c = action(t, b, "push-member", map[string]any{"user-id": uid})
	wantStatus(t, c, 200)
	if m := wantObj(t, c); m["pushed"] != true || m["created"] != true || num(t, m["newsletters"]) != 2 {
		t.Fatalf("push after the import: %s", c.Body)
	}
	reqs := g.received("/ghost/api/admin/members/")
	if len(reqs) != 2 || reqs[1].Method != "POST" {
		t.Fatalf("push after the import sent %+v", reqs)
	}
	if sent := memberBody(t, reqs[1]); sent["email"] != email || newsletterIDs(sent) != gid("f01")+","+gid("f02") {
		t.Fatalf("pushed %v, want the Ghost ids of weekly and bakery", sent)
	}
	if got, want := userGhostID(t, uid), fmt.Sprint(wantObj(t, c)["member-id"]); got != want {
		t.Fatalf("users.ghost_id %q, want the created member %s", got, want)
	}
}

func TestGhostFakeVerifiesAdminTokens(t *testing.T) {
	now := time.Now()
	secret, _ := hex.DecodeString(ghostAdminSecret)
	sign := func(header, claims map[string]any, key []byte) string {
		enc := func(v any) string {
			b, _ := json.Marshal(v)
			return base64.RawURLEncoding.EncodeToString(b)
		}
		s := enc(header) + "." + enc(claims)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(s))
		return "Ghost " + s + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	header := func(kid, alg string) map[string]any { return map[string]any{"alg": alg, "typ": "JWT", "kid": kid} }
	claims := func(iat, exp int64, aud string) map[string]any {
		return map[string]any{"iat": iat, "exp": exp, "aud": aud}
	}
	iat := now.Unix()
	if err := verifyAdminToken(sign(header(ghostAdminID, "HS256"), claims(iat, iat+300, "/admin/"), secret), ghostAdminID, ghostAdminSecret, now); err != nil {
		t.Fatalf("a good token: %v", err)
	}
	for name, auth := range map[string]string{
		"wrong kid":            sign(header("0000", "HS256"), claims(iat, iat+300, "/admin/"), secret),
		"wrong alg":            sign(header(ghostAdminID, "HS512"), claims(iat, iat+300, "/admin/"), secret),
		"secret not decoded":   sign(header(ghostAdminID, "HS256"), claims(iat, iat+300, "/admin/"), []byte(ghostAdminSecret)),
		"wrong audience":       sign(header(ghostAdminID, "HS256"), claims(iat, iat+300, "/content/"), secret),
		"ten minutes":          sign(header(ghostAdminID, "HS256"), claims(iat, iat+600, "/admin/"), secret),
		"expired":              sign(header(ghostAdminID, "HS256"), claims(iat-400, iat-100, "/admin/"), secret),
		"no iat":               sign(header(ghostAdminID, "HS256"), map[string]any{"exp": iat + 300, "aud": "/admin/"}, secret),
		"bearer, not Ghost":    "Bearer " + strings.TrimPrefix(sign(header(ghostAdminID, "HS256"), claims(iat, iat+300, "/admin/"), secret), "Ghost "),
		"no token":             "",
		"tampered signature":   sign(header(ghostAdminID, "HS256"), claims(iat, iat+300, "/admin/"), secret) + "x",
		"issued in the future": sign(header(ghostAdminID, "HS256"), claims(iat+3600, iat+3800, "/admin/"), secret),
	} {
		if err := verifyAdminToken(auth, ghostAdminID, ghostAdminSecret, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// --- account → member.updated → push-member ---------------------------------

// settleAccountActivities postpones the account activities other tests left
// pending, so that a pass of ProcessActivities takes only this test's.
func settleAccountActivities(t *testing.T) {
	t.Helper()
	exec(t, "update ap_activities set next_attempt_at = now() + interval '1 day' where origin_app = 'account' and process_state = 'pending'")
}

// memberActivity reads the bookkeeping of the member.updated activity of a user.
func memberActivity(t *testing.T, uid int) (state string, attempts int, lastError string) {
	t.Helper()
	err := db.QueryRow(context.Background(), `select process_state, attempts, coalesce(last_error, '')
		from ap_activities where origin_app = 'account' and activity_type = 'member.updated'
		  and (payload->>'user-id')::int = $1`, uid).Scan(&state, &attempts, &lastError)
	if err != nil {
		t.Fatalf("member.updated of %d: %v", uid, err)
	}
	return
}

func TestGhostToggleSubscriptionPushesMember(t *testing.T) {
	settleAccountActivities(t)
	g := newFakeGhost(t)
	p, urls, _ := platformEnv(t, ghostVars(g), "blog", "account")
	uid, email := acctUser(t, "Pushed")
	ghostNL := "nl-toggle-" + fmt.Sprint(time.Now().UnixNano())
	nid := ghostNewsletter(t, "Toggled", ghostNL, 0)

	c := action(t, urls["account"], "toggle-subscription", map[string]any{"user-id": uid, "newsletter-id": nid})
	wantStatus(t, c, 200)
	if state, attempts, _ := memberActivity(t, uid); state != "pending" || attempts != 0 {
		t.Fatalf("after the toggle: %s after %d attempts", state, attempts)
	}
	if n := len(g.received("/")); n != 0 {
		t.Fatalf("Ghost was called %d times before the activity ran", n)
	}

	if n, err := p.Service("account").ProcessActivities(context.Background()); err != nil || n != 1 {
		t.Fatalf("processed %d (%v), want 1", n, err)
	}
	if state, attempts, lastErr := memberActivity(t, uid); state != "done" || attempts != 1 {
		t.Fatalf("after processing: %s after %d attempts (%s)", state, attempts, lastErr)
	}
	reqs := g.received("/ghost/api/admin/members/")
	if len(reqs) != 2 || reqs[1].Method != "POST" {
		t.Fatalf("Ghost received %+v", reqs)
	}
	if sent := memberBody(t, reqs[1]); sent["email"] != email || newsletterIDs(sent) != ghostNL {
		t.Fatalf("pushed %v", sent)
	}
}

func TestGhostMemberUpdatedRetried(t *testing.T) {
	settleAccountActivities(t)
	g := newFakeGhost(t)
	p, urls, env := platformEnv(t, ghostVars(g), "blog", "account")
	env.set("GHOST_ADMIN_API_URL", deadURL(t))
	uid, email := acctUser(t, "Retried")
	ghostNL := "nl-retry-" + fmt.Sprint(time.Now().UnixNano())
	nid := ghostNewsletter(t, "Retried", ghostNL, 0)
	wantStatus(t, action(t, urls["account"], "set-subscription", map[string]any{"user-id": uid, "newsletter-id": nid, "subscribed": true}), 200)

	svc := p.Service("account")
	for want := 1; want <= 2; want++ {
		time.Sleep(20 * time.Millisecond) // past the back-off
		if _, err := svc.ProcessActivities(context.Background()); err != nil {
			t.Fatal(err)
		}
		state, attempts, lastErr := memberActivity(t, uid)
		if state != "pending" || attempts != want || !strings.Contains(lastErr, "push-member") {
			t.Fatalf("with Ghost down, run %d: %s after %d attempts (%q)", want, state, attempts, lastErr)
		}
	}

	env.set("GHOST_ADMIN_API_URL", g.URL)
	time.Sleep(20 * time.Millisecond)
	if _, err := svc.ProcessActivities(context.Background()); err != nil {
		t.Fatal(err)
	}
	if state, attempts, lastErr := memberActivity(t, uid); state != "done" || attempts != 3 || lastErr != "" {
		t.Fatalf("with Ghost up: %s after %d attempts (%q)", state, attempts, lastErr)
	}
	reqs := g.received("/ghost/api/admin/members/")
	if len(reqs) != 2 {
		t.Fatalf("Ghost received %+v", reqs)
	}
	if sent := memberBody(t, reqs[1]); sent["email"] != email || newsletterIDs(sent) != ghostNL {
		t.Fatalf("pushed %v", sent)
	}
}

// A push refused for an unsynced newsletter completes the activity (a retry
// could not succeed before a ghost-sync) without calling Ghost.
func TestGhostMemberUpdatedUnsyncedNewsletter(t *testing.T) {
	settleAccountActivities(t)
	g := newFakeGhost(t)
	p, urls, _ := platformEnv(t, ghostVars(g), "blog", "account")
	uid, _ := acctUser(t, "Unsynced")
	nid := ghostNewsletter(t, "Not in Ghost yet", "", 0)
	wantStatus(t, action(t, urls["account"], "toggle-subscription", map[string]any{"user-id": uid, "newsletter-id": nid}), 200)
	if n, err := p.Service("account").ProcessActivities(context.Background()); err != nil || n != 1 {
		t.Fatalf("processed %d (%v), want 1", n, err)
	}
	if state, attempts, lastErr := memberActivity(t, uid); state != "done" || attempts != 1 || lastErr != "" {
		t.Fatalf("with an unsynced newsletter: %s after %d attempts (%q)", state, attempts, lastErr)
	}
	if reqs := g.received("/"); len(reqs) != 0 {
		t.Fatalf("Ghost received %+v", reqs)
	}
}

func TestGhostMemberUpdatedWithoutGhost(t *testing.T) {
	settleAccountActivities(t)
	p, urls, _ := platformEnv(t, nil, "blog", "account")
	uid, _ := acctUser(t, "Unconfigured")
	nid := ghostNewsletter(t, "Quiet", "", 0)
	wantStatus(t, action(t, urls["account"], "toggle-subscription", map[string]any{"user-id": uid, "newsletter-id": nid}), 200)
	if n, err := p.Service("account").ProcessActivities(context.Background()); err != nil || n != 1 {
		t.Fatalf("processed %d (%v), want 1", n, err)
	}
	if state, attempts, lastErr := memberActivity(t, uid); state != "done" || attempts != 1 {
		t.Fatalf("without Ghost: %s after %d attempts (%q)", state, attempts, lastErr)
	}
}

// --- members: pairing, and the sync both ways --------------------------------

// The recorded members (testdata/ghost/members.json, unknown/members.json)
// have ghostfx- e-mails; cleanGhostMembers removes their local users.
func cleanGhostMembers(t *testing.T) {
	t.Helper()
	exec(t, "delete from users where lower(email) like 'ghostfx-%'")
}

// ghostUser inserts a user with the e-mail of a recorded member.
func ghostUser(t *testing.T, email, name string) int {
	t.Helper()
	return scalar[int](t, "insert into users (email, name) values ($1, $2) returning id", email, name)
}

// userGhostID is a user's users.ghost_id, or "".
func userGhostID(t *testing.T, uid int) string {
	t.Helper()
	return scalar[string](t, "select coalesce(ghost_id, '') from users where id = $1", uid)
}

// userSubscriptions lists the Ghost ids of a user's subscribed newsletters in
// display order (the order push-member sends them in).
func userSubscriptions(t *testing.T, uid int) string {
	t.Helper()
	return scalar[string](t, `select coalesce(string_agg(n.ghost_id, ',' order by n.sort_order, n.name, n.id), '')
		from user_newsletters un join ghost_newsletters n on n.id = un.newsletter_id
		where un.user_id = $1 and un.subscribed`, uid)
}

// ghostUserState is everything about a user that pairing and subscription
// syncs may write, as one string.
func ghostUserState(t *testing.T, uid int) string {
	t.Helper()
	return scalar[string](t, `select coalesce(u.ghost_id, '') || '|' || u.updated_at::text || '|' ||
		coalesce((select string_agg(coalesce(n.ghost_id, n.slug) || ':' || un.subscribed || ':' || un.updated_at::text, ','
		                            order by n.id)
		            from user_newsletters un join ghost_newsletters n on n.id = un.newsletter_id
		           where un.user_id = u.id), '')
		from users u where u.id = $1`, uid)
}

// A user never paired with their Ghost member: the first push pairs them and
// merges (Ghost's newsletters are imported, the union pushed) rather than
// unsubscribing the member from what they chose in Ghost; once paired, the
// local subscriptions win, so an unsubscribe reaches Ghost.
func TestGhostPushMemberMergesUnpaired(t *testing.T) {
	cleanGhostFixtures(t)
	cleanGhostMembers(t)
	settleAccountActivities(t)
	g := newFakeGhost(t)
	g.loadMembers(t, "members.json")
	p, urls, _ := platformEnv(t, ghostVars(g), "blog", "account")
	b := urls["blog"]
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 0, 0, 0, 0, 3)
	nls := ghostIDs(t, "ghost_newsletters")

	// Ada: in Ghost subscribed to weekly (f01) and old (f03); here to bakery (f02) only.
	ada := ghostUser(t, "ghostfx-ada@example.com", "Ada Lovelace")
	exec(t, "insert into user_newsletters (user_id, newsletter_id) values ($1, $2)", ada, nls[gid("f02")])
	g.reset()
	c := action(t, b, "push-member", map[string]any{"user-id": ada})
	wantStatus(t, c, 200)
	m := wantObj(t, c)
	if m["pushed"] != true || m["created"] != false || m["paired"] != true || m["member-id"] != gid("e11") ||
		num(t, m["newsletters"]) != 3 {
		t.Fatalf("first push: %s", c.Body)
	}
	all3 := gid("f01") + "," + gid("f02") + "," + gid("f03")
	reqs := g.received("/ghost/api/admin/")
	if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[0].Query.Get("include") != "newsletters" ||
		reqs[1].Method != "PUT" || reqs[1].Path != "/ghost/api/admin/members/"+gid("e11")+"/" || reqs[1].Status != 200 {
		t.Fatalf("first push requests: %+v", reqs)
	}
	if sent := newsletterIDs(memberBody(t, reqs[1])); sent != all3 {
		t.Fatalf("first push sent %s, want the union %s", sent, all3)
	}
	if got := userSubscriptions(t, ada); got != all3 {
		t.Errorf("local subscriptions after the merge: %s, want %s", got, all3)
	}
	if n := scalar[int64](t, "select count(*) from user_newsletters where user_id = $1", ada); n != 3 {
		t.Errorf("%d local rows after the merge, want 3", n)
	}
	if got := userGhostID(t, ada); got != gid("e11") {
		t.Errorf("users.ghost_id %q after the merge", got)
	}
	if got := g.memberNewsletters(gid("e11")); got != all3 {
		t.Errorf("Ghost member's newsletters %s", got)
	}

	// Paired: Ada unsubscribes from weekly here; member.updated pushes the
	// reduced list and Ghost's weekly is not merged back.
	g.reset()
	c = action(t, urls["account"], "toggle-subscription", map[string]any{"user-id": ada, "newsletter-id": nls[gid("f01")]})
	if m := wantObj(t, c); m["subscribed"] != false {
		t.Fatalf("toggle: %s", c.Body)
	}
	if n, err := p.Service("account").ProcessActivities(context.Background()); err != nil || n != 1 {
		t.Fatalf("processed %d (%v), want 1", n, err)
	}
	if state, attempts, lastErr := memberActivity(t, ada); state != "done" || attempts != 1 {
		t.Fatalf("member.updated: %s after %d attempts (%s)", state, attempts, lastErr)
	}
	reduced := gid("f02") + "," + gid("f03")
	reqs = g.received("/ghost/api/admin/members/")
	if len(reqs) != 2 || reqs[1].Method != "PUT" || newsletterIDs(memberBody(t, reqs[1])) != reduced {
		t.Fatalf("the unsubscribe sent %+v, want a PUT of %s", reqs, reduced)
	}
	if got := userSubscriptions(t, ada); got != reduced {
		t.Errorf("local subscriptions after the unsubscribe: %s", got)
	}
	if got := g.memberNewsletters(gid("e11")); got != reduced {
		t.Errorf("Ghost member's newsletters after the unsubscribe: %s", got)
	}

	// Paired with another member (a stale ghost_id): the member found is
	// merged and paired again. Ada's own unsubscribe from f01 (a local row)
	// stands against Ghost's older list.
	exec(t, "update users set ghost_id = $1 where id = $2", ghostFixtureID+"0000000000000fff", ada)
	g.setMemberNewsletters(gid("e11"), gid("f01"))
	g.reset()
	m = wantObj(t, action(t, b, "push-member", map[string]any{"user-id": ada}))
	if m["paired"] != true || num(t, m["newsletters"]) != 2 || userGhostID(t, ada) != gid("e11") ||
		g.memberNewsletters(gid("e11")) != reduced || userSubscriptions(t, ada) != reduced {
		t.Fatalf("push with a stale pairing: %v; ghost_id %s, Ghost has %s", m, userGhostID(t, ada), g.memberNewsletters(gid("e11")))
	}

	// Grace has no subscriptions here (the reviewed case: the push used to
	// send [], unsubscribing her in Ghost); Ghost's e-mail differs in case.
	grace := ghostUser(t, "ghostfx-grace@example.com", "Grace Hopper")
	g.reset()
	m = wantObj(t, action(t, b, "push-member", map[string]any{"user-id": grace}))
	reqs = g.received("/ghost/api/admin/members/")
	if m["pushed"] != true || m["member-id"] != gid("e12") || len(reqs) != 2 || reqs[1].Method != "PUT" ||
		newsletterIDs(memberBody(t, reqs[1])) != gid("f02") {
		t.Fatalf("Grace's first push: %v, sent %+v", m, reqs)
	}
	if userSubscriptions(t, grace) != gid("f02") || userGhostID(t, grace) != gid("e12") {
		t.Errorf("Grace after her first push: %s, ghost_id %s", userSubscriptions(t, grace), userGhostID(t, grace))
	}
}

// Ghost → DB: members with a local user's e-mail are paired with it and
// their subscriptions replace the user's; others are skipped.
func TestGhostSyncMembers(t *testing.T) {
	cleanGhostFixtures(t)
	cleanGhostMembers(t)
	g := newFakeGhost(t)
	g.loadMembers(t, "members.json")
	g.pageCap = 2 // three members: two pages
	_, urls, _ := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 0, 0, 0, 0, 3)
	nls := ghostIDs(t, "ghost_newsletters")

	// Ada is subscribed here to bakery (not in Ghost) and unsubscribed from
	// old (subscribed in Ghost); Grace's e-mail is in another case in Ghost;
	// the third member has no local user.
	ada := ghostUser(t, "ghostfx-ada@example.com", "Ada Lovelace")
	exec(t, "insert into user_newsletters (user_id, newsletter_id, subscribed) values ($1, $2, true), ($1, $3, false)",
		ada, nls[gid("f02")], nls[gid("f03")])
	// A newsletter only this platform has (no Ghost id): Ghost can never list
	// it, so syncing Ghost's list must leave Ada's subscription alone.
	localOnly := scalar[int](t, "insert into ghost_newsletters (name, slug) values ('Local only', $1) returning id", uniq(t))
	exec(t, "insert into user_newsletters (user_id, newsletter_id, subscribed) values ($1, $2, true)", ada, localOnly)
	t.Cleanup(func() { exec(t, "delete from ghost_newsletters where id = $1", localOnly) })
	grace := ghostUser(t, "ghostfx-grace@example.com", "Grace Hopper")
	// Another user is still paired with Grace's member (stale: Ghost's e-mail says it is Grace's).
	stale := ghostUser(t, "ghostfx-old-grace@example.com", "Old Grace")
	exec(t, "update users set ghost_id = $1 where id = $2", gid("e12"), stale)
	g.reset()

	c := action(t, b, "ghost-sync", map[string]any{"kinds": "members"})
	wantCounts(t, c, 0, 0, 0, 0, 0)
	wantMemberCounts(t, c, 2, 1)
	if !scalar[bool](t, "select subscribed from user_newsletters where user_id = $1 and newsletter_id = $2", ada, localOnly) {
		t.Error("the members sync unsubscribed Ada from a newsletter Ghost does not have")
	}
	// (A push refuses while she is subscribed to it: take it away for the rest.)
	exec(t, "delete from user_newsletters where newsletter_id = $1", localOnly)
	reqs := g.received("/")
	if len(reqs) != 2 {
		t.Fatalf("requests: %+v", reqs)
	}
	for i, r := range reqs {
		wantPage := ""
		if i == 1 {
			wantPage = "2"
		}
		if r.Method != "GET" || r.Path != "/ghost/api/admin/members/" || r.Query.Get("limit") != "100" ||
			r.Query.Get("include") != "newsletters" || r.Query.Get("page") != wantPage || r.Status != 200 {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	if got := userSubscriptions(t, ada); got != gid("f01")+","+gid("f03") {
		t.Errorf("Ada's subscriptions %s, want Ghost's weekly and old", got)
	}
	if got := userSubscriptions(t, grace); got != gid("f02") {
		t.Errorf("Grace's subscriptions %s, want Ghost's bakery", got)
	}
	if userGhostID(t, ada) != gid("e11") || userGhostID(t, grace) != gid("e12") || userGhostID(t, stale) != "" {
		t.Errorf("pairing: Ada %q, Grace %q, the stale user %q", userGhostID(t, ada), userGhostID(t, grace), userGhostID(t, stale))
	}
	if n := scalar[int64](t, "select count(*) from users where lower(email) = 'ghostfx-stranger@example.com'"); n != 0 {
		t.Errorf("a member without a local user made one")
	}

	// Again: nothing changes, nothing is touched.
	before := ghostUserState(t, ada) + "\n" + ghostUserState(t, grace)
	c = action(t, b, "ghost-sync", map[string]any{"kinds": "members"})
	wantMemberCounts(t, c, 2, 1)
	if after := ghostUserState(t, ada) + "\n" + ghostUserState(t, grace); after != before {
		t.Errorf("a second sync changed\n%s\nto\n%s", before, after)
	}

	// Ada changes her newsletters in Ghost: Ghost wins.
	g.setMemberNewsletters(gid("e11"), gid("f02"))
	wantMemberCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "members"}), 2, 1)
	if got := userSubscriptions(t, ada); got != gid("f02") {
		t.Errorf("Ada's subscriptions after she changed them in Ghost: %s", got)
	}

	// Paired: her push sends her list as it is (a PUT, nothing merged).
	g.setMemberNewsletters(gid("e11"), gid("f01"))
	g.reset()
	m := wantObj(t, action(t, b, "push-member", map[string]any{"user-id": ada}))
	if reqs := g.received("/ghost/api/admin/members/"); m["paired"] != false || len(reqs) != 2 ||
		newsletterIDs(memberBody(t, reqs[1])) != gid("f02") {
		t.Fatalf("push after the sync: %v, sent %+v", m, reqs)
	}
}

// A member subscribed in Ghost to a newsletter not synced here: merging it
// would drop that newsletter, so a push is refused (writing nothing and
// changing nothing in Ghost) and a members sync is a 409.
func TestGhostMemberUnknownNewsletter(t *testing.T) {
	cleanGhostFixtures(t)
	cleanGhostMembers(t)
	g := newFakeGhost(t)
	g.loadMembers(t, "unknown/members.json")
	_, urls, _ := platformEnv(t, ghostVars(g), "blog")
	b := urls["blog"]
	wantCounts(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters"}), 0, 0, 0, 0, 3)
	cy := ghostUser(t, "ghostfx-cy@example.com", "Cy Young")
	exec(t, "insert into user_newsletters (user_id, newsletter_id) values ($1, $2)", cy, ghostIDs(t, "ghost_newsletters")[gid("f02")])
	before := ghostUserState(t, cy)
	g.reset()

	c := action(t, b, "push-member", map[string]any{"user-id": cy})
	wantStatus(t, c, 200)
	m := wantObj(t, c)
	reason := fmt.Sprint(m["reason"])
	if m["pushed"] != false || !strings.Contains(reason, gid("f99")) || strings.Contains(reason, gid("f01")) ||
		!strings.Contains(reason, "ghost-sync with kinds newsletters") {
		t.Fatalf("push: %s", c.Body)
	}
	if reqs := g.received("/"); len(reqs) != 1 || reqs[0].Method != "GET" {
		t.Fatalf("a refused push sent %+v, want only the lookup", reqs)
	}
	if after := ghostUserState(t, cy); after != before {
		t.Errorf("a refused push wrote: %s -> %s", before, after)
	}
	if got := g.memberNewsletters(gid("e14")); got != gid("f01")+","+gid("f99") {
		t.Errorf("Ghost member's newsletters %s", got)
	}

	wantError(t, action(t, b, "ghost-sync", map[string]any{"kinds": "newsletters,members"}), 409, gid("f99"))
	if after := ghostUserState(t, cy); after != before {
		t.Errorf("a refused members sync wrote: %s -> %s", before, after)
	}
}
