// Package pgreplica starts, for a test, a private PostgreSQL primary on
// 127.0.0.1 and a hot-standby replica streaming from it, made with
// pg_basebackup — the real thing the read-replica routing must cope with,
// lag and all. Nothing outside a temporary directory is touched; both
// servers stop when the test ends.
//
// The binaries come from SX_PG_BINDIR, else the PATH, else the newest
// /usr/lib/postgresql/*/bin. As root the servers run as the postgres user
// (PostgreSQL refuses root).
package pgreplica

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Pair is a running primary and its streaming replica.
type Pair struct {
	PrimaryURL string
	ReplicaURL string
	dir, bin   string
	replicaDir string
	replicaPrt int
}

// BinDir finds the PostgreSQL server binaries, or "".
func BinDir() string {
	if d := os.Getenv("SX_PG_BINDIR"); d != "" {
		return d
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_basebackup")); err == nil {
			return dir
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a < b
	})
	if len(dirs) == 0 {
		return ""
	}
	return dirs[len(dirs)-1]
}

// Start starts the pair; the test fails if it cannot (CI has the binaries).
func Start(t testing.TB) *Pair {
	t.Helper()
	bin := BinDir()
	if bin == "" {
		t.Fatal("pgreplica: no PostgreSQL binaries (install postgresql or set SX_PG_BINDIR)")
	}
	dir, err := os.MkdirTemp("", "sxhost-replica.")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	p := &Pair{dir: dir, bin: bin}
	t.Cleanup(p.stop)
	pp, rp := freePort(t), freePort(t)
	primary := filepath.Join(dir, "primary")
	p.replicaDir = filepath.Join(dir, "replica")
	p.replicaPrt = rp
	p.run(t, "initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
	p.run(t, "pg_ctl", "-D", primary, "-l", filepath.Join(dir, "primary.log"), "-w", "-t", "60", "-o",
		fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c wal_level=replica -c max_wal_senders=4", pp, dir), "start")
	p.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pp), "-U", "postgres", "-D", p.replicaDir, "-R", "-X", "stream", "-c", "fast")
	p.StartReplica(t)
	p.PrimaryURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pp)
	p.ReplicaURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", rp)
	// The replica is a standby that accepts connections.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, p.ReplicaURL)
		if err == nil {
			var rec bool
			err = conn.QueryRow(ctx, "select pg_is_in_recovery()").Scan(&rec)
			conn.Close(ctx)
			if err == nil && rec {
				return p
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("pgreplica: the replica does not answer as a standby: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartReplica starts the replica (again, after StopReplica).
func (p *Pair) StartReplica(t testing.TB) {
	t.Helper()
	p.run(t, "pg_ctl", "-D", p.replicaDir, "-l", filepath.Join(p.dir, "replica.log"), "-w", "-t", "60", "-o",
		fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c hot_standby=on", p.replicaPrt, p.dir), "start")
}

// StopReplica stops the replica at once (as a crash would).
func (p *Pair) StopReplica(t testing.TB) {
	t.Helper()
	p.run(t, "pg_ctl", "-D", p.replicaDir, "-m", "immediate", "-w", "stop")
}

func (p *Pair) stop() {
	for _, d := range []string{p.replicaDir, filepath.Join(p.dir, "primary")} {
		if _, err := os.Stat(filepath.Join(d, "postmaster.pid")); err == nil {
			p.command("pg_ctl", "-D", d, "-m", "immediate", "-w", "stop").Run()
		}
	}
	os.RemoveAll(p.dir)
}

// command runs a PostgreSQL binary, as postgres when we are root.
func (p *Pair) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, name)
	if os.Geteuid() == 0 {
		u := "postgres"
		if _, err := user.Lookup(u); err != nil {
			u = "nobody"
		}
		exec.Command("chown", "-R", u, p.dir).Run()
		return exec.Command("runuser", append([]string{"-u", u, "--", "setsid", path}, args...)...)
	}
	return exec.Command("setsid", append([]string{path}, args...)...)
}

func (p *Pair) run(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := p.command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(p.dir, "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%s", l, b)
		}
		t.Fatalf("pgreplica: %s %v: %v\n%s", name, args, err, out)
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
