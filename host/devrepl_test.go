package host_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// devREPL serves p's development REPL on a loopback port until the test
// ends and returns a connected client.
func devREPL(t *testing.T, p *host.Platform) func(req host.DevREPLRequest) host.DevREPLReply {
	t.Helper()
	ln, err := host.ListenDevREPL("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.ServeDevREPL(ctx, ln) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		conn.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ServeDevREPL: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("the development REPL did not stop")
		}
	})
	in := bufio.NewScanner(conn)
	return func(req host.DevREPLRequest) host.DevREPLReply {
		t.Helper()
		if err := json.NewEncoder(conn).Encode(req); err != nil {
			t.Fatal(err)
		}
		if !in.Scan() {
			t.Fatalf("no reply: %v", in.Err())
		}
		var reply host.DevREPLReply
		if err := json.Unmarshal(in.Bytes(), &reply); err != nil {
			t.Fatal(err)
		}
		return reply
	}
}

// TestDevREPLRedefinesLiveQuery: code sent to the development REPL runs in
// the service's live environment, so a query redefined there answers the
// next HTTP request.
func TestDevREPLRedefinesLiveQuery(t *testing.T) {
	srv, p, _ := startService(t, `(defservice live)
(defquery greeting (&key (name :str)) (str "hello " name))`, host.Options{Dev: true})
	call := devREPL(t, p)
	if r := get(t, srv.URL+"/internal/data/greeting?name=ada"); r.Body != `"hello ada"` {
		t.Fatalf("before: %s", r)
	}
	reply := call(host.DevREPLRequest{Service: "live", File: "<repl>", Line: 4,
		Code: "(greeting :name \"bo\")\n(defquery greeting (&key (name :str)) (println \"called\") (str \"bonjour \" name))\n(greeting :name \"cy\")"})
	if reply.Error != "" || len(reply.Values) != 3 || reply.Values[0] != `"hello bo"` || reply.Values[2] != `"bonjour cy"` || reply.Out != "called\n" {
		t.Fatalf("reply %+v", reply)
	}
	if r := get(t, srv.URL+"/internal/data/greeting?name=ada"); r.Body != `"bonjour ada"` {
		t.Errorf("after the redefinition the endpoint answers %s", r)
	}
	// Errors carry the position the client numbered from.
	reply = call(host.DevREPLRequest{Service: "live", File: "<repl>", Line: 9, Code: "\n  (undefined-thing)"})
	if !strings.HasPrefix(reply.Error, "<repl>:10:3: Undefined symbol: undefined-thing") {
		t.Errorf("error %q", reply.Error)
	}
	if reply = call(host.DevREPLRequest{Op: "services"}); len(reply.Services) != 1 || reply.Services[0] != "live" {
		t.Errorf("services %+v", reply)
	}
	if reply = call(host.DevREPLRequest{Service: "nope", Code: "1"}); reply.Error != "no service nope is served here" {
		t.Errorf("unknown service: %+v", reply)
	}
}

// TestDevREPLOnlyInDevelopmentOnLoopback: the endpoint refuses a
// production platform and any address that is not loopback.
func TestDevREPLOnlyInDevelopmentOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:7888", "example.com:7888"} {
		if ln, err := host.ListenDevREPL(addr); err == nil {
			ln.Close()
			t.Errorf("ListenDevREPL(%s) listened", addr)
		}
	}
	p := newPlatform(t, nil, host.Options{})
	ln := listen(t)
	defer ln.Close()
	if err := p.ServeDevREPL(context.Background(), ln); err == nil || !strings.Contains(err.Error(), "--dev") {
		t.Errorf("a production platform served the REPL: %v", err)
	}
	dev := newPlatform(t, nil, host.Options{Dev: true})
	wide, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer wide.Close()
	if err := dev.ServeDevREPL(context.Background(), wide); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("served the REPL on %s: %v", wide.Addr(), err)
	}
}

// TestDevREPLEntryIsOneTransaction: an entry that fails half-way through
// the development REPL leaves the database as it was; one that succeeds
// commits.
func TestDevREPLEntryIsOneTransaction(t *testing.T) {
	table := uniqueName("devrepl")
	execSQL(t, "create table "+table+" (id int primary key)")
	_, p, _ := startService(t, `(defservice live)
(defaction add-two (&key (id :int))
  (sql/exec "insert into `+table+` values ($1)" id)
  (sql/exec "insert into `+table+` values ($1)" id))`, host.Options{Dev: true, DB: openPool(t, dbURL)})
	call := devREPL(t, p)
	c := directConn(t)
	reply := call(host.DevREPLRequest{Service: "live", Code: "(sql/exec \"insert into " + table + " values (100)\")\n(add-two :id 1)"})
	if !strings.Contains(reply.Error, "duplicate key") || !strings.Contains(reply.Error, "rolled back") || len(reply.Values) != 1 {
		t.Errorf("reply %+v", reply)
	}
	if n := countRows(t, c, table, ""); n != 0 {
		t.Errorf("%d rows after the failed entry, want 0", n)
	}
	if reply = call(host.DevREPLRequest{Service: "live", Code: "(sql/exec \"insert into " + table + " values (100)\")"}); reply.Error != "" {
		t.Fatalf("reply %+v", reply)
	}
	if n := countRows(t, c, table, ""); n != 1 {
		t.Errorf("%d rows after the good entry, want 1", n)
	}
}
