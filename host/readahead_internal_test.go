//go:build unix

package host

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// pairOverWrapListener returns the server's end of a TCP connection
// accepted through WrapListener and the client's end.
func pairOverWrapListener(t *testing.T) (*readAheadConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wl := WrapListener(ln)
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := wl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc, ok := c.(*readAheadConn)
	if !ok {
		t.Fatalf("WrapListener accepted a %T, not a read-ahead connection", c)
	}
	return rc, client
}

// A one-byte read (fasthttp's wait for the next request) takes what the
// socket has, and the next read is answered from it; once drained the
// connection holds no buffer.
func TestReadAheadOneReadPerHead(t *testing.T) {
	c, client := pairOverWrapListener(t)
	head := "GET /internal/data/q?id=1 HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := io.WriteString(client, head); err != nil {
		t.Fatal(err)
	}
	// Let the whole head arrive before the first read.
	time.Sleep(50 * time.Millisecond)
	one := make([]byte, 1)
	if n, err := c.Read(one); n != 1 || err != nil || one[0] != 'G' {
		t.Fatalf("first read: %d %v %q", n, err, one)
	}
	if c.buf == nil || c.w-c.r != len(head)-1 {
		t.Fatalf("after the one-byte read %d bytes are held, want the rest of the head (%d)", c.w-c.r, len(head)-1)
	}
	// The socket is closed by the peer now: the rest must come from what
	// was read ahead, not from another read.
	client.Close()
	rest := make([]byte, 32<<10)
	n, err := c.Read(rest)
	if err != nil || "G"+string(rest[:n]) != head {
		t.Fatalf("second read: %d %v %q", n, err, rest[:n])
	}
	if c.buf != nil {
		t.Fatal("a drained connection still holds its read-ahead buffer")
	}
	if n, err := c.Read(one); n != 0 || err != io.EOF {
		t.Fatalf("read after the peer closed: %d %v, want EOF", n, err)
	}
}

// Waiting for data holds no buffer, and the read deadline still applies.
func TestReadAheadDeadline(t *testing.T) {
	c, _ := pairOverWrapListener(t)
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %d %v, want a timeout", n, err)
	}
	if c.buf != nil {
		t.Fatal("a connection that read nothing holds a read-ahead buffer")
	}
}

// The host's server over WrapListener answers keep-alive requests, a head
// sent a byte at a time, a head larger than the read-ahead buffer and
// pipelined requests, as over a plain listener.
func TestWrapListenerServes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{ReduceMemoryUsage: true, ReadBufferSize: readBufferSize, Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString(string(ctx.Path()) + " " + string(ctx.Request.Header.Peek("X-Pad")))
	}}
	go srv.Serve(WrapListener(ln))
	defer srv.Shutdown()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	get := func(path, pad string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + pad + "\r\n\r\n"
	}
	expect := func(want string) {
		t.Helper()
		var resp fasthttp.Response
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if err := resp.Read(br); err != nil {
			t.Fatalf("reading the answer %q: %v", want, err)
		}
		if got := string(resp.Body()); got != want {
			t.Fatalf("answer %q, want %q", got, want)
		}
	}
	io.WriteString(conn, get("/a", "1"))
	expect("/a 1")
	for _, b := range []byte(get("/slow", "2")) {
		conn.Write([]byte{b})
		time.Sleep(time.Millisecond)
	}
	expect("/slow 2")
	big := strings.Repeat("x", 3*readAheadSize)
	io.WriteString(conn, get("/big", big))
	expect("/big " + big)
	io.WriteString(conn, get("/p1", "3")+get("/p2", "4")+get("/p3", "5"))
	expect("/p1 3")
	expect("/p2 4")
	expect("/p3 5")
}
