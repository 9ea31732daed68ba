package repl

// sx repl --connect HOST:PORT: the prompt evaluates inside a running
// `sxhost run --dev --repl HOST:PORT`, in one service's live environment
// at a time (:in NAME), through the protocol of host.ServeDevREPL.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/runtime"
)

// remoteConn is the connection to a development host.
type remoteConn struct {
	addr     string
	conn     net.Conn
	in       *bufio.Scanner
	enc      *json.Encoder
	services []string
	service  string // where entries are evaluated
}

// dialRemote connects to a development host and learns its services; the
// first one is where entries go until :in chooses another.
func dialRemote(addr string) (*remoteConn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	r := &remoteConn{addr: addr, conn: conn, in: bufio.NewScanner(conn), enc: json.NewEncoder(conn)}
	r.in.Buffer(make([]byte, 64<<10), 64<<20)
	reply, err := r.do(host.DevREPLRequest{Op: "services"})
	if err != nil {
		conn.Close()
		return nil, err
	}
	if len(reply.Services) == 0 {
		conn.Close()
		return nil, errors.New("the host serves no services")
	}
	r.services, r.service = reply.Services, reply.Services[0]
	return r, nil
}

// do sends one request and reads its reply.
func (r *remoteConn) do(req host.DevREPLRequest) (host.DevREPLReply, error) {
	var reply host.DevREPLReply
	if err := r.enc.Encode(req); err != nil {
		return reply, err
	}
	if !r.in.Scan() {
		if err := r.in.Err(); err != nil {
			return reply, err
		}
		return reply, fmt.Errorf("%s closed the connection", r.addr)
	}
	return reply, json.Unmarshal(r.in.Bytes(), &reply)
}

func (r *remoteConn) Close() { r.conn.Close() }

// remoteEval sends an entry (src, read from line first, made of forms) to
// the host and shows its output, the values of forms other than
// definitions, and its error.
//
// Ctrl-C hangs up, which stops the evaluation on the host, and connects
// again.
func (s *Session) remoteEval(src string, first int, forms []runtime.Value) {
	var reply host.DevREPLReply
	r := s.remote
	err := s.withCancel(func(ctx context.Context) error {
		stop := context.AfterFunc(ctx, func() { r.conn.Close() })
		defer stop()
		var err error
		reply, err = r.do(host.DevREPLRequest{Service: r.service, File: s.file, Line: first, Code: src})
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	})
	if errors.Is(err, context.Canceled) {
		s.report(errors.New("interrupted: the evaluation on the host was stopped"))
		again, derr := dialRemote(r.addr)
		if derr != nil {
			s.report(fmt.Errorf("--connect %s: %v", r.addr, derr))
			s.quit = true
			return
		}
		again.service = r.service
		s.remote = again
		return
	}
	if err != nil {
		s.report(fmt.Errorf("--connect %s: %v", r.addr, err))
		s.quit = true
		return
	}
	if reply.Out != "" {
		fmt.Fprint(s.out, reply.Out)
	}
	for i, v := range reply.Values {
		if i < len(forms) && definitionForms[headName(forms[i])] {
			continue
		}
		s.showPrinted(v)
	}
	if reply.Error != "" {
		s.report(errors.New(strings.TrimSuffix(reply.Error, "\n")))
	}
}

// showPrinted pretty-prints a value the host printed, read back; what does
// not read back (an opaque value) is shown as sent.
func (s *Session) showPrinted(text string) {
	forms, _, err := runtime.ReadPositions("<reply>", text)
	if err != nil || len(forms) != 1 {
		s.out.freshLine()
		fmt.Fprintln(s.out, text)
		return
	}
	s.show(forms[0])
}

// cmdIn chooses the service entries are evaluated in: on the host with
// --connect, else a loaded one (see enter).
func (s *Session) cmdIn(name string) {
	if s.remote == nil {
		s.cmdInLocal(name)
		return
	}
	if name == "" {
		s.usage("in")
		return
	}
	if !slices.Contains(s.remote.services, name) {
		s.report(fmt.Errorf(":in %s: the host serves %s", name, strings.Join(s.remote.services, ", ")))
		return
	}
	s.remote.service = name
}

// remoteCommands are the commands that work with --connect.
var remoteCommands = map[string]bool{"in": true, "help": true, "quit": true}
