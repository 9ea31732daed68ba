//go:build linux

package host_test

// A small W3C WebDriver client for the browser tests: chromedriver drives a
// headless Chromium, and the tests talk to chromedriver's HTTP API with
// net/http and encoding/json. It has only what the tests use.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

const (
	chromiumPath     = "/usr/bin/chromium"
	chromedriverPath = "/usr/bin/chromedriver"
)

// browser is one WebDriver session in a headless Chromium.
type browser struct {
	session string // http://127.0.0.1:PORT/session/ID
	http    *http.Client
}

// webdriverError is an error answered by chromedriver.
type webdriverError struct {
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *webdriverError) Error() string {
	return fmt.Sprintf("webdriver %d %s: %s", e.Status, e.Code, e.Message)
}

// startBrowser starts chromedriver and a headless Chromium session. Both
// stop when the test ends, whether it passes or not. Without the binaries
// the test is skipped, except in CI (where .ci/run installs them), where it
// fails.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	for _, bin := range []string{chromiumPath, chromedriverPath} {
		if _, err := os.Stat(bin); err != nil {
			msg := fmt.Sprintf("browser test needs %s and %s (Debian: apt-get install chromium chromium-driver): %v", chromiumPath, chromedriverPath, err)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	// Chromium's $HOME and profile. Made before the cleanup below is
	// registered, so removed after Chromium has stopped.
	home := t.TempDir()

	// chromedriver runs under a shell that kills their process group
	// (itself, chromedriver, Chromium and its helpers) once its standard
	// input closes: when the cleanup closes it, or when the test binary dies
	// without cleaning up (a timeout, a kill), which Chromium would
	// otherwise outlive. --port=0: chromedriver picks a free port and
	// prints it.
	cmd := exec.Command("/bin/sh", "-c", `"$0" --port=0 </dev/null & read -r _; kill -9 0`, chromedriverPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stop, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// Chromium writes crash reports and caches under $HOME.
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_CACHE_HOME="+home+"/.cache")
	output := &logBuffer{}
	cmd.Stdout = output
	cmd.Stderr = output
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting chromedriver: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	b := &browser{http: &http.Client{Timeout: 30 * time.Second}}
	t.Cleanup(func() {
		if b.session != "" {
			if err := b.close(); err != nil {
				t.Logf("closing the browser: %v", err)
			}
		}
		stop.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("chromedriver's process group did not stop; killing it")
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("chromedriver's output:\n%s", output)
		}
	})

	var base string
	started := regexp.MustCompile(`started successfully on port (\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := started.FindStringSubmatch(output.String()); m != nil {
			base = "http://127.0.0.1:" + m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not start within 10s: %s", output)
		}
		select {
		case <-exited:
			t.Fatalf("chromedriver exited at start: %s", output)
		case <-time.After(10 * time.Millisecond):
		}
	}

	caps := map[string]any{
		"browserName":      "chrome",
		"pageLoadStrategy": "normal",
		"timeouts":         map[string]int{"script": 5000, "pageLoad": 10000, "implicit": 0},
		"goog:chromeOptions": map[string]any{
			"binary": chromiumPath,
			"args": []string{
				"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
				"--no-first-run", "--disable-background-networking",
				"--disable-component-update", "--disable-sync",
				"--user-data-dir=" + home + "/profile",
			},
		},
	}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("POST", base+"/session", map[string]any{"capabilities": map[string]any{"alwaysMatch": caps}}, &created); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	b.session = base + "/session/" + created.SessionID
	return b
}

// navigate opens url and waits for it to load.
func (b *browser) navigate(url string) error {
	return b.call("POST", b.session+"/url", map[string]string{"url": url}, nil)
}

// execute runs script as the body of a function called with args in the
// current page and decodes what it returns into result (unless nil).
func (b *browser) execute(result any, script string, args ...any) error {
	if args == nil {
		args = []any{}
	}
	return b.call("POST", b.session+"/execute/sync", map[string]any{"script": script, "args": args}, result)
}

// close ends the session, which quits Chromium.
func (b *browser) close() error {
	err := b.call("DELETE", b.session, nil, nil)
	b.session = ""
	return err
}

// call makes one WebDriver request and decodes its "value" into result.
func (b *browser) call(method, url string, body, result any) error {
	var in bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&in).Encode(body); err != nil {
			return err
		}
	}
	req, err := http.NewRequest(method, url, &in)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("%s %s: %d, undecodable answer: %v", method, url, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &webdriverError{Status: resp.StatusCode}
		if err := json.Unmarshal(out.Value, e); err != nil || e.Code == "" {
			return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, out.Value)
		}
		return e
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(out.Value, result); err != nil {
		return fmt.Errorf("%s %s: decoding %s: %w", method, url, out.Value, err)
	}
	return nil
}
