package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// idleCommand measures what idle keep-alive connections cost a server
// (issue 20: the ReduceMemoryUsage trade). It opens -n connections to
// -addr, sends one request for -path on each and reads the answer, leaves
// them open and idle, and prints the server's resident set (VmRSS of -pid)
// before, with all of them open, and after they closed.
func idleCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("httpbench idle", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18101", "server address")
	path := fs.String("path", "/internal/data/products-from?from=1", "path requested once on each connection")
	n := fs.Int("n", 2000, "connections")
	pid := fs.Int("pid", 0, "the server's process id")
	hold := fs.Duration("hold", 2*time.Second, "how long the connections stay idle before the measurement")
	fs.Parse(args)
	if *pid == 0 {
		return fmt.Errorf("idle: -pid is needed")
	}
	rss := func() float64 {
		stop := make(chan struct{})
		close(stop)
		return peakRSS(*pid, stop)
	}
	before := rss()
	conns := make([]net.Conn, 0, *n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	req := "GET " + *path + " HTTP/1.1\r\nHost: bench\r\nSX-Components-Hash: none\r\n\r\n"
	for range *n {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", *addr)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return fmt.Errorf("idle: %s answered %d (%v)", *path, resp.StatusCode, err)
		}
	}
	time.Sleep(*hold)
	open := rss()
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	time.Sleep(*hold)
	fmt.Printf("connections %d  path %s  RSS before %.1f MiB  idle %.1f MiB  after close %.1f MiB  per connection %.1f KiB\n",
		*n, *path, before, open, rss(), (open-before)*1024/float64(*n))
	return nil
}
