package repl

// The history file: one entry a line, appended as entries are made (so
// sessions running side by side do not overwrite each other), trimmed to
// the newest entries when it grows.

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/rose-ash/sxhost/runtime"
)

// historyLimit is how many entries a session loads and the file keeps.
const historyLimit = 1000

// historyPath returns where history is kept: flag, then $SX_HISTORY, then
// $XDG_STATE_HOME/sx/history, then ~/.sx_history. "" means none.
func historyPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := os.Getenv("SX_HISTORY"); p != "" {
		return p
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sx", "history")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".sx_history")
	}
	return ""
}

// loadHistory returns the newest entries of the file, rewriting it when it
// holds many more than it needs.
func loadHistory(path string) ([]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(lines) > 2*historyLimit {
		lines = lines[len(lines)-historyLimit:]
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err == nil {
			_ = os.Rename(tmp, path)
		}
	}
	if len(lines) > historyLimit {
		lines = lines[len(lines)-historyLimit:]
	}
	return lines, nil
}

// appendHistory adds entries to the end of the file, creating it (and its
// directory) when needed.
func appendHistory(path string, entries []string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(strings.Join(entries, "\n") + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// historyEntries turns the lines of one entry into history entries: a
// single line when joining the lines with spaces reads as the same forms
// (no comments or multi-line strings in the way), else the lines as typed.
func historyEntries(lines []string) []string {
	if len(lines) == 1 {
		return lines
	}
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = strings.TrimSpace(l)
	}
	joined := strings.Join(parts, " ")
	a, err1 := runtime.Read("", strings.Join(lines, "\n"))
	b, err2 := runtime.Read("", joined)
	if err1 == nil && err2 == nil && len(a) == len(b) {
		same := true
		for i := range a {
			if runtime.Print(a[i]) != runtime.Print(b[i]) {
				same = false
				break
			}
		}
		if same {
			return []string{joined}
		}
	}
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
