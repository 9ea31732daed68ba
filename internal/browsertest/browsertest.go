// Package browsertest gives tests a headless Chromium through chromedp.
//
// One Chromium serves a whole test binary: the first test that asks starts
// it, every test gets a tab in a browser context of its own (its own
// cookies, storage and cache), closed when the test ends, and the package's
// TestMain stops Chromium after the tests with Shutdown. Chromium talks to
// chromedp over a pipe, so it opens no port.
//
// Chromium is the binary named by SX_CHROMIUM, else the first of chromium,
// chromium-browser, google-chrome, google-chrome-stable and headless-shell
// on PATH. Without it a test is skipped, always before it starts anything,
// except when CI is set: there a missing browser fails the test.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// candidates are the names Chromium goes by on PATH, in order of preference.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// Path returns the Chromium binary the tests use, or an error saying how to
// get one.
func Path() (string, error) {
	if p := os.Getenv("SX_CHROMIUM"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("SX_CHROMIUM=%s: %w", p, err)
		}
		return found, nil
	}
	for _, name := range candidates {
		if found, err := exec.LookPath(name); err == nil {
			return found, nil
		}
	}
	return "", errors.New("no Chromium on PATH (Debian: apt-get install chromium; or set SX_CHROMIUM to its path)")
}

// shared is the one Chromium of the test binary.
var shared struct {
	mu      sync.Mutex
	browser context.Context // the browser's first tab; nil until started
	cancel  func()          // stops Chromium
	home    string          // Chromium's $HOME and profile
	err     error           // why it could not start
}

// Require skips t (fails it under CI) when there is no Chromium. Tests call
// it first, before starting the servers the browser would visit.
func Require(t testing.TB) {
	t.Helper()
	if _, err := Path(); err != nil {
		msg := "browser test needs Chromium: " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// New returns a chromedp context for a fresh tab in a browser context of its
// own, closed when t ends. It skips t as Require does.
func New(t testing.TB) context.Context {
	t.Helper()
	Require(t)
	browser, err := start()
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first action creates the tab.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// start starts the shared Chromium once.
func start() (context.Context, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.browser != nil || shared.err != nil {
		return shared.browser, shared.err
	}
	path, err := Path()
	if err != nil {
		shared.err = err
		return nil, err
	}
	home, err := os.MkdirTemp("", "sx-chromium-")
	if err != nil {
		shared.err = err
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(home+"/profile"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		// Chromium writes crash reports and caches under $HOME.
		chromedp.Env("HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_CACHE_HOME="+home+"/.cache"),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	// The first action starts Chromium, which then lives as long as the
	// context this action gets: browser itself, not a child with a deadline.
	if err := chromedp.Do(browser); err != nil {
		cancelBrowser()
		cancelAlloc()
		os.RemoveAll(home)
		shared.err = err
		return nil, err
	}
	shared.browser, shared.home = browser, home
	shared.cancel = func() { cancelBrowser(); cancelAlloc() }
	return browser, nil
}

// Shutdown stops the shared Chromium if a test started it. Call it from
// TestMain after m.Run.
func Shutdown() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cancel != nil {
		shared.cancel()
		os.RemoveAll(shared.home)
	}
	shared.browser, shared.cancel, shared.err = nil, nil, nil
}

// Fail makes the tab's requests whose URL matches pattern (the DevTools
// Fetch domain's wildcards: * and ?) fail as a network error would, from
// now on: for a test of a page without one of its files.
func Fail(tab context.Context, pattern string) error {
	if err := chromedp.Listen(tab, func(ev any) {
		if p, ok := ev.(*fetch.EventRequestPaused); ok {
			go chromedp.Call(tab, fetch.FailRequest, fetch.FailRequestParams{RequestID: p.RequestID, ErrorReason: network.ErrorReasonFailed})
		}
	}); err != nil {
		return err
	}
	_, err := chromedp.Call(tab, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}})
	return err
}
