//go:build unix

package host

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// WrapListener returns ln with its TCP connections wrapped for the server
// NewServer returns: serve it on WrapListener(ln). With ReduceMemoryUsage
// (NewServer) fasthttp waits for each keep-alive request with a one-byte
// read, then reads the rest of the head into the connection's read buffer:
// two read system calls where one would do. A wrapped connection answers a
// read smaller than readAheadSize by reading up to readAheadSize bytes into
// a pooled buffer and handing out the rest on the next reads. The buffer is
// taken only once the socket has data (a raw read that would block gives it
// back and waits without one), so an idle connection still holds nothing
// (docs/benchmarks.md, "The query path, round seven").
func WrapListener(ln net.Listener) net.Listener { return readAheadListener{ln} }

type readAheadListener struct{ net.Listener }

func (l readAheadListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return c, nil
	}
	return &readAheadConn{TCPConn: tcp, raw: raw}, nil
}

// readAheadSize is the read-ahead buffer's size: a request head of an
// internal call or a page with its cookies fits.
const readAheadSize = 4096

var readAheadPool = sync.Pool{New: func() any { b := make([]byte, readAheadSize); return &b }}

// readAheadConn is a TCP connection whose small reads read ahead (see
// WrapListener). Like any net.Conn it is read by one goroutine at a time.
type readAheadConn struct {
	*net.TCPConn
	raw  syscall.RawConn
	buf  *[]byte // bytes read ahead, buf[r:w]; nil when there are none
	r, w int
}

func (c *readAheadConn) Read(b []byte) (int, error) {
	if c.buf == nil {
		if len(b) >= readAheadSize {
			return c.TCPConn.Read(b)
		}
		if err := c.readAhead(); err != nil {
			return 0, err
		}
	}
	n := copy(b, (*c.buf)[c.r:c.w])
	c.r += n
	if c.r == c.w {
		readAheadPool.Put(c.buf)
		c.buf = nil
	}
	return n, nil
}

// readAhead fills a pooled buffer with what the socket has, waiting (under
// the connection's read deadline) until it has something.
func (c *readAheadConn) readAhead() error {
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		p := readAheadPool.Get().(*[]byte)
		for {
			n, rerr = syscall.Read(int(fd), *p)
			if rerr != syscall.EINTR {
				break
			}
		}
		if n <= 0 {
			readAheadPool.Put(p)
			return rerr != syscall.EAGAIN // nothing yet: wait without a buffer
		}
		c.buf, c.r, c.w = p, 0, n
		return true
	})
	switch {
	case err != nil: // the deadline passed, or the connection was closed
		return err
	case rerr != nil:
		return &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	case n == 0:
		return io.EOF
	}
	return nil
}
