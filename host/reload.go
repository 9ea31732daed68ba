package host

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/rose-ash/sxhost/runtime"
)

// injectReloadScript adds, in development, a script that reloads the page
// when /__sx/reload stops answering version, the reload state the page was
// rendered at (so an edit saved before the script's first poll still
// counts). It carries the page's CSP nonce.
func injectReloadScript(page, version, nonce string) string {
	v, _ := json.Marshal(version)
	script := `<script nonce="` + nonce + `">(function(){var v=` + string(v) + `;function poll(){fetch("/__sx/reload",{cache:"no-store"}).then(function(r){return r.text()}).then(function(t){if(t!==v){location.reload()}}).catch(function(){}).finally(function(){setTimeout(poll,500)})}poll()})();</script>`
	if i := strings.LastIndex(page, "</body>"); i >= 0 {
		return page[:i] + script + page[i:]
	}
	return page + script
}

// devState tracks hot reloads for the browser: a generation that changes on
// every reload attempt, and the last failed reload's error per service.
type devState struct {
	mu         sync.Mutex
	generation int
	errors     map[string]error
}

func (d *devState) record(service string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.generation++
	if d.errors == nil {
		d.errors = map[string]error{}
	}
	if err != nil {
		d.errors[service] = err
	} else {
		delete(d.errors, service)
	}
}

// version is what /__sx/reload answers: the generation and whether the
// service's last reload failed.
func (d *devState) version(service string) string {
	gen, err := d.status(service)
	state := "ok"
	if err != nil {
		state = "error"
	}
	return fmt.Sprintf("%d %s", gen, state)
}

func (d *devState) status(service string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.generation, d.errors[service]
}

// reloadQuiet is how long the watched files must stay unchanged before a
// reload. A save is a burst of events (truncate, write, rename, chmod) that
// arrive within a millisecond or two of each other, so a short quiet time
// still reloads once per save, and the new answer is there about
// reloadQuiet plus the reload itself after the write (docs/benchmarks.md,
// hot reload).
const reloadQuiet = 10 * time.Millisecond

// Watch reloads services when their .sx files change (development). A good
// edit swaps the new definitions in (requests in flight finish on the old
// ones) and open pages reload; a broken edit keeps the last good version
// serving and pages show the error with its position.
func (p *Platform) Watch(ctx context.Context) (stop func(), err error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	dirs := map[string]bool{}
	for _, svc := range p.order {
		for _, f := range svc.Files {
			dirs[filepath.Dir(f)] = true
		}
		if sub := strings.TrimSuffix(svc.Files[0], filepath.Ext(svc.Files[0])); isDir(sub) {
			dirs[sub] = true
		}
		if shared := sharedDir(svc.Files[0]); isDir(shared) {
			dirs[shared] = true
		}
	}
	for d := range dirs {
		if err := w.Add(d); err != nil {
			w.Close()
			return nil, err
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var timer *time.Timer
		pending := map[string]bool{}
		var mu sync.Mutex
		fire := func() {
			mu.Lock()
			changed := pending
			pending = map[string]bool{}
			mu.Unlock()
			p.reloadChanged(changed)
		}
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Ext(ev.Name) != ".sx" || ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename|fsnotify.Remove) == 0 {
					continue
				}
				mu.Lock()
				pending[ev.Name] = true
				mu.Unlock()
				// Editors write in bursts; reload once they settle.
				if timer != nil {
					timer.Stop()
				}
				timer = time.AfterFunc(reloadQuiet, fire)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				p.log.Warn("watch", "error", err)
			}
		}
	}()
	return func() { w.Close(); <-done }, nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// reloadChanged reloads every service that owns one of the changed files.
func (p *Platform) reloadChanged(changed map[string]bool) {
	for _, svc := range p.order {
		dir := strings.TrimSuffix(svc.Files[0], filepath.Ext(svc.Files[0]))
		shared, _ := filepath.Abs(sharedDir(svc.Files[0]))
		owns := false
		for f := range changed {
			abs, _ := filepath.Abs(f)
			for _, sf := range svc.Files {
				if sa, _ := filepath.Abs(sf); sa == abs {
					owns = true
				}
			}
			if d, _ := filepath.Abs(dir); filepath.Dir(abs) == d || filepath.Dir(abs) == shared {
				owns = true
			}
		}
		if !owns {
			continue
		}
		err := svc.Reload()
		p.dev.record(svc.Name, err)
		if err != nil {
			p.log.Error("reload failed: still serving the last good version", "service", svc.Name, "error", err.Error())
		} else {
			p.log.Info("reloaded", "service", svc.Name)
		}
	}
}

// devErrorBanner shows a failed reload's error at the top of a page.
func devErrorBanner(page string, err error) string {
	msg := err.Error()
	if e, ok := err.(*runtime.Error); ok {
		msg = e.Format()
	}
	banner := `<div id="sx-dev-error" style="position:sticky;top:0;z-index:99999;background:#fee;color:#900;border-bottom:2px solid #900;padding:8px 12px;font:13px/1.4 monospace;white-space:pre-wrap">` +
		`The last edit did not load; still serving the previous version.` + "\n" + runtime.EscapeHTML(msg) + `</div>`
	if i := strings.Index(page, "<body>"); i >= 0 {
		return page[:i+6] + banner + page[i+6:]
	}
	return banner + page
}
