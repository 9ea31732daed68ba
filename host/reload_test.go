package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// replaceFile swaps content in atomically, as editors that save by rename
// do, so a reload never sees a half-written file.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// reloadState reads /__sx/reload: the generation and "ok" or "error".
func reloadState(t *testing.T, base string) (int, string) {
	t.Helper()
	r := get(t, base+"/__sx/reload")
	wantStatus(t, r, 200, "/__sx/reload")
	genText, state, ok := strings.Cut(r.Body, " ")
	gen, err := strconv.Atoi(genText)
	if !ok || err != nil {
		t.Fatalf("/__sx/reload answered %q, want \"GENERATION STATE\"", r.Body)
	}
	return gen, state
}

// awaitReload waits until the reload generation passes after and reports
// the new generation once the state is want.
func awaitReload(t *testing.T, base string, after int, want string) int {
	t.Helper()
	var gen int
	var state string
	eventually(t, 5*time.Second, fmt.Sprintf("a reload after generation %d ending %q", after, want), func() bool {
		gen, state = reloadState(t, base)
		return gen > after && state == want
	})
	return gen
}

// startWatched loads src in dev mode, watches its file and serves it.
func startWatched(t *testing.T, src string, opts host.Options) (*served, string) {
	t.Helper()
	dir := t.TempDir()
	// The file's name is not the service's, so a reload that lost the
	// defservice would rename the service.
	file := writeFile(t, dir, "site.sx", src)
	opts.Dev = true
	p := newPlatform(t, []string{file}, opts)
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := p.Watch(ctx)
	if err != nil {
		cancel()
		t.Fatalf("Watch: %v", err)
	}
	t.Cleanup(func() { cancel(); stop() })
	return serve(t, p.Services()[0]), file
}

const liveV1 = `(defservice live)
(defcomp ~shell (&key &rest children) (main children))
(defpage home :path "/" :content (~shell (div :id "v" "version one")))
`

const liveV2 = `(defservice live)
(defcomp ~shell (&key &rest children) (main :class "two" children))
(defpage home :path "/" :content (~shell (div :id "v" "version two")))
(defpage added :path "/added" :content (p "a new page"))
`

// liveBroken has an unterminated list: the defpage never closes.
const liveBroken = `(defservice live)
(defcomp ~shell (&key &rest children) (main children))
(defpage home :path "/" :content
  (~shell (div :id "v" "version three"))
`

const liveV4 = `(defservice live)
(defpage home :path "/" :content (div :id "v" "version four"))
`

func TestHotReload(t *testing.T) {
	t.Parallel()
	s, file := startWatched(t, liveV1, host.Options{})
	page := func() string {
		t.Helper()
		r := get(t, s.URL+"/")
		wantStatus(t, r, 200, "home page")
		return r.Body
	}
	body := page()
	if !strings.Contains(body, `<main><div id="v">version one</div></main>`) {
		t.Fatalf("first version: %s", body)
	}
	if !strings.Contains(body, "/__sx/reload") || !strings.Contains(body, "<script nonce=") {
		t.Errorf("a dev page has no reload script: %s", body)
	}
	if strings.Contains(body, "sx-dev-error") {
		t.Errorf("an error banner before any error: %s", body)
	}
	gen0, state := reloadState(t, s.URL)
	if state != "ok" {
		t.Errorf("reload state before edits = %q, want ok", state)
	}

	// A good edit is served, with its new page.
	replaceFile(t, file, liveV2)
	eventually(t, 5*time.Second, "version two", func() bool { return strings.Contains(page(), "version two") })
	if body := page(); !strings.Contains(body, `<main class="two"><div id="v">version two</div></main>`) {
		t.Errorf("second version: %s", body)
	}
	gen1 := awaitReload(t, s.URL, gen0, "ok")
	if r := get(t, s.URL+"/added"); r.Status != 200 || !strings.Contains(r.Body, "a new page") {
		t.Errorf("page added by the edit: %s", r)
	}

	// A broken edit: the last good version keeps serving and the page
	// shows the error with its position.
	replaceFile(t, file, liveBroken)
	gen2 := awaitReload(t, s.URL, gen1, "error")
	body = page()
	if !strings.Contains(body, "version two") || strings.Contains(body, "version three") {
		t.Errorf("after a broken edit the page is not the last good version: %s", body)
	}
	if !strings.Contains(body, `id="sx-dev-error"`) {
		t.Fatalf("after a broken edit the page has no sx-dev-error banner: %s", body)
	}
	banner := body[strings.Index(body, `id="sx-dev-error"`):]
	banner = banner[:strings.Index(banner, "</div>")]
	where := file + ":" + posOf(t, liveBroken, "(defpage home") + ": unterminated list"
	if !strings.Contains(banner, where) {
		t.Errorf("banner does not show %q:\n%s", where, banner)
	}
	if r := get(t, s.URL+"/added"); r.Status != 200 {
		t.Errorf("a page of the last good version after a broken edit: %s", r)
	}

	// Fixing it serves the fix and drops the banner.
	replaceFile(t, file, liveV4)
	awaitReload(t, s.URL, gen2, "ok")
	body = page()
	if !strings.Contains(body, `<div id="v">version four</div>`) || strings.Contains(body, "sx-dev-error") {
		t.Errorf("after the fix: %s", body)
	}
	// A page the fix removed is gone.
	if r := get(t, s.URL+"/added"); r.Status != 404 {
		t.Errorf("a page removed by the edit: %s, want 404", r)
	}
}

func TestHotReloadOfInPlaceWrites(t *testing.T) {
	t.Parallel()
	// Editors that save in place truncate the file and then write it; a
	// reload may see the empty file between the two.
	logger, log := newLogger()
	s, file := startWatched(t, liveV1, host.Options{Logger: logger})
	gen0, _ := reloadState(t, s.URL)
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the truncation to be seen", func() bool {
		gen, _ := reloadState(t, s.URL)
		return gen > gen0
	})
	if err := os.WriteFile(file, []byte(liveV2), 0o644); err != nil {
		t.Fatal(err)
	}
	var last response
	deadline := time.Now().Add(5 * time.Second)
	for {
		last = get(t, s.URL+"/")
		if last.Status == 200 && strings.Contains(last.Body, "version two") && !strings.Contains(last.Body, "sx-dev-error") {
			break
		}
		if time.Now().After(deadline) {
			gen, state := reloadState(t, s.URL)
			var errs []string
			for _, rec := range log.records(t) {
				if rec["level"] == "ERROR" {
					errs = append(errs, fmt.Sprint(rec["msg"], ": ", rec["error"]))
				}
			}
			t.Fatalf("after truncating and rewriting the file, / still answers %s (reload %d %s; logged %q)", last, gen, state, errs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReloadLeavesRequestsInFlightOnOldDefinitions(t *testing.T) {
	t.Parallel()
	key := time.Now().UnixNano() % 1e9
	// The wait page blocks on an advisory lock the test holds, so the
	// request is in flight for exactly as long as the test wants.
	v1 := fmt.Sprintf(`(defservice live)
(define (label) "old text")
(defpage home :path "/" :content (div "version one"))
(defpage wait :path "/wait" :content (div (sql/value "select pg_advisory_xact_lock(%d)") (label)))
`, key)
	v2 := `(defservice live)
(define (label) "new text")
(defpage home :path "/" :content (div "version two"))
(defpage wait :path "/wait" :content (div (label)))
`
	s, file := startWatched(t, v1, host.Options{DB: openPool(t, dbURL)})
	locker := directConn(t)
	if _, err := locker.Exec(context.Background(), "select pg_advisory_lock($1)", key); err != nil {
		t.Fatal(err)
	}
	type result struct {
		r   response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := tryDo("GET", s.URL+"/wait", nil)
		done <- result{r, err}
	}()
	waitForBackend(t, directConn(t), fmt.Sprintf("pg_advisory_xact_lock(%d)", key))

	replaceFile(t, file, v2)
	eventually(t, 5*time.Second, "version two", func() bool {
		return strings.Contains(get(t, s.URL+"/").Body, "version two")
	})
	select {
	case res := <-done:
		t.Fatalf("the request in flight finished before the lock was released: %v %v", res.r, res.err)
	default:
	}
	if _, err := locker.Exec(context.Background(), "select pg_advisory_unlock($1)", key); err != nil {
		t.Fatal(err)
	}
	var res result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the request in flight did not finish after the lock was released")
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.r.Status != 200 || !strings.Contains(res.r.Body, "old text") {
		t.Errorf("the request in flight during the reload: %s, want the old text", res.r)
	}
	if r := get(t, s.URL+"/wait"); r.Status != 200 || !strings.Contains(r.Body, "new text") {
		t.Errorf("a request after the reload: %s, want the new text", r)
	}
}

func TestHotReloadOfServiceDirectory(t *testing.T) {
	t.Parallel()
	// services/shop.sx loads services/shop/*.sx; edits there reload too,
	// including files added after the start.
	dir := t.TempDir()
	file := writeFile(t, dir, "shop.sx", `(defservice shop)
(defpage home :path "/" :content (div (~banner)))
`)
	writeFile(t, dir, "shop/parts.sx", `(defcomp ~banner () (b "banner one"))`)
	p := newPlatform(t, []string{file}, host.Options{Dev: true})
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := p.Watch(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stop() })
	s := serve(t, p.Services()[0])
	if r := get(t, s.URL+"/"); !strings.Contains(r.Body, "<b>banner one</b>") {
		t.Fatalf("first version: %s", r)
	}
	replaceFile(t, filepath.Join(dir, "shop", "parts.sx"), `(defcomp ~banner () (b "banner two"))`)
	eventually(t, 5*time.Second, "the edited part", func() bool {
		return strings.Contains(get(t, s.URL+"/").Body, "banner two")
	})
	writeFile(t, dir, "shop/more.sx", `(defpage extra :path "/extra" :content (p "extra page"))`)
	eventually(t, 5*time.Second, "the added part", func() bool {
		r := get(t, s.URL+"/extra")
		return r.Status == 200 && strings.Contains(r.Body, "extra page")
	})
}

func TestSharedModulesLoadIntoEveryServiceAndReload(t *testing.T) {
	t.Parallel()
	// services/shared/*.sx is loaded into each service beside it, before the
	// service's own files, and an edit there reloads every one of them.
	dir := t.TempDir()
	shop := writeFile(t, dir, "shop.sx", `(defservice shop)
(defpage home :path "/" :content (~frame :who "shop"))
`)
	blog := writeFile(t, dir, "blog.sx", `(defservice blog)
(defpage home :path "/" :content (~frame :who "blog"))
`)
	writeFile(t, dir, "shared/layout.sx", `(defcomp ~frame (&key who) (header (b "frame one") " " who))`)
	p := newPlatform(t, []string{shop, blog}, host.Options{Dev: true})
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := p.Watch(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stop() })
	var urls []string
	for _, svc := range p.Services() {
		urls = append(urls, serve(t, svc).URL)
	}
	for i, who := range []string{"shop", "blog"} {
		if r := get(t, urls[i]+"/"); !strings.Contains(r.Body, "<b>frame one</b> "+who) {
			t.Fatalf("%s before the edit: %s", who, r)
		}
	}
	replaceFile(t, filepath.Join(dir, "shared", "layout.sx"), `(defcomp ~frame (&key who) (header (b "frame two") " " who))`)
	for i, who := range []string{"shop", "blog"} {
		eventually(t, 5*time.Second, who+" with the edited shared module", func() bool {
			return strings.Contains(get(t, urls[i]+"/").Body, "<b>frame two</b> "+who)
		})
	}
}
