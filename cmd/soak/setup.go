package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rose-ash/sxhost/internal/syncbuf"
)

// services are the six services, in the order of their ports.
var services = []string{"blog", "market", "cart", "events", "federation", "account"}

// soak is one run: the private servers, the sxhost process and the figures.
type soak struct {
	dir       string
	pgBin     string
	pgPort    int
	redisPort int
	redisCmd  *exec.Cmd
	sxhost    string // the built binary
	proc      *exec.Cmd
	procLog   *syncbuf.Buffer // sxhost's standard error
	secret    string
	dbURL     string
	addrs     map[string]string
	phase     float64 // scales each phase's length
	stats     *stats
	rss       *rssSampler
}

// setUp builds sxhost, starts the private PostgreSQL and Redis, seeds the
// demo database and starts the six services.
func setUp() (*soak, error) {
	dir, err := os.MkdirTemp("", "sxhost-soak.")
	if err != nil {
		return nil, err
	}
	s := &soak{dir: dir, secret: "soak-" + strconv.FormatInt(time.Now().UnixNano(), 36), addrs: map[string]string{}, phase: 1}
	if f, err := strconv.ParseFloat(os.Getenv("SOAK_PHASE"), 64); err == nil && f > 0 {
		s.phase = f
	}
	if s.pgPort, err = portFromEnv("SOAK_PG_PORT"); err != nil {
		return s, err
	}
	if s.redisPort, err = portFromEnv("SOAK_REDIS_PORT"); err != nil {
		return s, err
	}
	base, _ := strconv.Atoi(os.Getenv("SOAK_PORT_BASE"))
	for i, name := range services {
		port := base + i + 1
		if base == 0 {
			if port, err = freePort(); err != nil {
				return s, err
			}
		}
		s.addrs[name] = "127.0.0.1:" + strconv.Itoa(port)
	}
	step("building sxhost")
	s.sxhost = filepath.Join(dir, "sxhost")
	if out, err := exec.Command("go", "build", "-o", s.sxhost, "./cmd/sxhost").CombinedOutput(); err != nil {
		return s, fmt.Errorf("go build: %v\n%s", err, out)
	}
	if err := s.startPostgres(); err != nil {
		return s, err
	}
	if err := s.startRedis(); err != nil {
		return s, err
	}
	step("seeding the demo database")
	cmd := exec.Command(s.sxhost, "seed")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+s.dbURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return s, fmt.Errorf("sxhost seed: %v\n%s", err, out)
	}
	return s, s.startHost()
}

// step reports progress on standard error.
func step(msg string) { fmt.Fprintf(os.Stderr, "soak: %s\n", msg) }

func portFromEnv(name string) (int, error) {
	if v := os.Getenv(name); v != "" {
		return strconv.Atoi(v)
	}
	return freePort()
}

// freePort returns a port of 127.0.0.1 nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// pgUser returns the command prefix that runs PostgreSQL's tools: they
// refuse to run as root, so as the postgres user then.
func (s *soak) pgCommand(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.pgBin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// startPostgres creates and starts a private cluster on s.pgPort.
func (s *soak) startPostgres() error {
	step("starting a private PostgreSQL on 127.0.0.1:" + strconv.Itoa(s.pgPort))
	if p, err := exec.LookPath("initdb"); err == nil {
		s.pgBin = filepath.Dir(p)
	} else if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) > 0 {
		s.pgBin = filepath.Dir(m[len(m)-1])
	} else {
		return fmt.Errorf("initdb not found (install postgresql)")
	}
	data := filepath.Join(s.dir, "pg")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root needs a postgres user for initdb: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		os.Chmod(s.dir, 0o755)
		os.Mkdir(data, 0o700)
		os.Chown(data, uid, gid)
	}
	if out, err := s.pgCommand("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale").CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := s.pgCtl("start"); err != nil {
		return err
	}
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.pgPort)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "create database soak"); err != nil {
		return err
	}
	s.dbURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/soak?sslmode=disable", s.pgPort)
	return nil
}

// pgCtl starts or stops (fast) the private cluster and waits for it.
func (s *soak) pgCtl(action string) error {
	data := filepath.Join(s.dir, "pg")
	args := []string{"-D", data, "-w", "-t", "30"}
	switch action {
	case "start":
		args = append(args, "-l", filepath.Join(data, "log"), "-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", s.pgPort, data), "start")
	case "stop":
		args = append(args, "-m", "fast", "stop")
	}
	cmd := s.pgCommand("pg_ctl", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s", action, err, out)
	}
	return nil
}

// startRedis starts (or restarts) the private Redis on s.redisPort.
func (s *soak) startRedis() error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found (install redis-server)")
	}
	s.redisCmd = exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(s.redisPort), "--save", "", "--appendonly", "no", "--dir", s.dir)
	if err := s.redisCmd.Start(); err != nil {
		return err
	}
	return waitListening("127.0.0.1:"+strconv.Itoa(s.redisPort), 10*time.Second)
}

// killRedis kills the private Redis without warning.
func (s *soak) killRedis() {
	if s.redisCmd != nil && s.redisCmd.Process != nil {
		s.redisCmd.Process.Kill()
		s.redisCmd.Wait()
		s.redisCmd = nil
	}
}

func waitListening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s after %v", addr, within)
}

// startHost starts sxhost serving the six services.
func (s *soak) startHost() error {
	step("starting the six services")
	var files []string
	env := append(os.Environ(), "DATABASE_URL="+s.dbURL, "REDIS_URL=redis://127.0.0.1:"+strconv.Itoa(s.redisPort)+"/0",
		"SX_ENV=prod", "SX_INTERNAL_SECRET="+s.secret, "SX_SESSION_SECRET="+s.secret+"-session", "SX_LOG_LEVEL=warn")
	for _, name := range services {
		files = append(files, filepath.Join("services", name+".sx"))
		env = append(env, "SX_ADDR_"+strings.ToUpper(name)+"="+s.addrs[name])
	}
	s.procLog = &syncbuf.Buffer{}
	s.proc = exec.Command(s.sxhost, append([]string{"run"}, files...)...)
	s.proc.Env = env
	s.proc.Stderr = s.procLog
	if err := s.proc.Start(); err != nil {
		return err
	}
	for _, name := range services {
		if err := waitListening(s.addrs[name], 30*time.Second); err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, s.procLog.String())
		}
	}
	s.rss = newRSSSampler(s.proc.Process.Pid)
	return nil
}

// tearDown stops everything the run started and removes its directory.
func (s *soak) tearDown() {
	if s.rss != nil {
		s.rss.stop()
	}
	if s.proc != nil && s.proc.ProcessState == nil {
		s.proc.Process.Kill()
		s.proc.Wait()
	}
	s.killRedis()
	if s.pgBin != "" {
		s.pgCtl("stop")
	}
	os.RemoveAll(s.dir)
}
