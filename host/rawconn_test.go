package host_test

// Raw TCP helpers for the hardening tests: requests net/http would refuse
// to send (odd methods, malformed heads) and connections held open.

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// rawExchange writes text to a fresh connection and returns everything
// the server sends back before closing it (or within 5 s).
func rawExchange(t testing.TB, addr, text string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, text); err != nil {
		t.Fatalf("write: %v", err)
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

// rawStatus is rawExchange's status line ("" when nothing came back).
func rawStatus(t testing.TB, addr, text string) string {
	t.Helper()
	line, _, _ := strings.Cut(rawExchange(t, addr, text), "\r\n")
	return line
}

// readStatusLine reads one response's status line from r.
func readStatusLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}
