package host

// The development REPL endpoint: `sxhost run --dev --repl 127.0.0.1:PORT`
// lets `sx repl --connect 127.0.0.1:PORT` evaluate SX inside a running
// service's live environment, as nREPL does for a Clojure process: redefine
// a query there and the next request uses it. It exists only on a
// development platform and a loopback address, and only when asked for.
//
// The protocol is one JSON object per line each way. A request
// {"service": "cart", "file": "<repl>", "line": 3, "code": "(…)"} evaluates
// code (its positions counted from line in file) and is answered
// {"values": ["printed value", …], "out": "what it printed", "error":
// "FILE:LINE:COL: message and backtrace"}; {"op": "services"} is answered
// {"services": ["blog", …]}. Each request runs in one transaction that
// commits only when all of it succeeds.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// DevREPLRequest is one request to the development REPL endpoint.
type DevREPLRequest struct {
	Op      string `json:"op,omitempty"` // "eval" (the default) or "services"
	Service string `json:"service,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Code    string `json:"code,omitempty"`
}

// DevREPLReply answers a DevREPLRequest.
type DevREPLReply struct {
	Values   []string `json:"values,omitempty"`
	Out      string   `json:"out,omitempty"`
	Error    string   `json:"error,omitempty"`
	Services []string `json:"services,omitempty"`
}

// maxDevREPLLine bounds one request line.
const maxDevREPLLine = 16 << 20

// ServeDevREPL answers development REPL connections on ln until ctx ends or
// ln fails. It refuses to start unless the platform is in development mode
// (Options.Dev) and ln listens on a loopback address: it runs any code sent
// to it with the service's database and secrets.
func (p *Platform) ServeDevREPL(ctx context.Context, ln net.Listener) error {
	if !p.opts.Dev {
		return errors.New("the development REPL needs development mode (--dev)")
	}
	if !isLoopback(ln.Addr()) {
		return fmt.Errorf("the development REPL listens only on a loopback address, not %s", ln.Addr())
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.serveDevREPLConn(ctx, conn)
		}()
	}
}

// ListenDevREPL listens on addr for ServeDevREPL, refusing any address
// that is not loopback (127.0.0.1:7888, [::1]:7888, localhost:7888) before
// it listens.
func ListenDevREPL(addr string) (net.Listener, error) {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("the development REPL listens only on a loopback address (127.0.0.1:PORT), not %s", addr)
	}
	if h == "localhost" {
		addr = net.JoinHostPort("127.0.0.1", addr[strings.LastIndex(addr, ":")+1:])
	}
	return net.Listen("tcp", addr)
}

// isLoopback reports whether a listener's address is a loopback one.
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// serveDevREPLConn answers one connection's requests in turn. The client
// hanging up stops the evaluation running (that is how it interrupts one).
func (p *Platform) serveDevREPLConn(ctx context.Context, conn net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	lines := make(chan []byte)
	go func() {
		defer cancel()
		sc := bufio.NewScanner(conn)
		sc.Buffer(make([]byte, 64<<10), maxDevREPLLine)
		for sc.Scan() {
			select {
			case lines <- bytes.Clone(sc.Bytes()):
			case <-ctx.Done():
				return
			}
		}
	}()
	enc := json.NewEncoder(conn)
	for {
		var line []byte
		select {
		case line = <-lines:
		case <-ctx.Done():
			return
		}
		var req DevREPLRequest
		var reply DevREPLReply
		if err := json.Unmarshal(line, &req); err != nil {
			reply.Error = "malformed request: " + err.Error()
		} else {
			reply = p.devREPL(ctx, req)
		}
		if err := enc.Encode(reply); err != nil {
			return
		}
	}
}

// devREPL answers one request.
func (p *Platform) devREPL(ctx context.Context, req DevREPLRequest) (reply DevREPLReply) {
	switch req.Op {
	case "services":
		for _, s := range p.order {
			reply.Services = append(reply.Services, s.Name)
		}
		return reply
	case "", "eval":
	default:
		reply.Error = "unknown op " + req.Op + " (eval or services)"
		return reply
	}
	svc := p.services[req.Service]
	if svc == nil || len(svc.Files) == 0 {
		reply.Error = fmt.Sprintf("no service %s is served here", req.Service)
		return reply
	}
	file, line := req.File, max(req.Line, 1)
	if file == "" {
		file = "<repl>"
	}
	// Blank lines before the code number its positions from line.
	forms, poss, err := runtime.ReadPositions(file, strings.Repeat("\n", line-1)+req.Code)
	if err != nil {
		reply.Error = errorText(err)
		return reply
	}
	p.replEval.Lock()
	defer p.replEval.Unlock()
	var out bytes.Buffer
	th := svc.NewThread(ctx)
	th.Out = &out
	run := func() error {
		for i, f := range forms {
			v, err := th.EvalAt(f, poss[i])
			if err != nil {
				return err
			}
			reply.Values = append(reply.Values, runtime.Print(v))
		}
		return nil
	}
	// An entry runs in one transaction, as an action does: one that fails
	// half-way leaves the database as it was.
	if p.opts.DB != nil {
		err = p.InTransaction(ctx, p.opts.DB, func(ctx context.Context, tx pgx.Tx) error {
			th.Ctx = ctx
			sqlprims.Bind(th, tx)
			return run()
		})
		sqlprims.NoteWrite()
		if err != nil && len(reply.Values) > 0 {
			err = fmt.Errorf("%s\n(the entry's database changes were rolled back)", strings.TrimSuffix(errorText(err), "\n"))
		}
	} else {
		err = run()
	}
	if err != nil {
		reply.Error = errorText(err)
	}
	reply.Out = out.String()
	return reply
}

// errorText is an evaluation error with its position and backtrace.
func errorText(err error) string {
	var e *runtime.Error
	if errors.As(err, &e) {
		return e.Format()
	}
	return err.Error()
}
