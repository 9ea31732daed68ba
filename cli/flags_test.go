package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rose-ash/sxhost/cli/sxcmd"
	"github.com/rose-ash/sxhost/internal/pgtest"
)

// TestHelpAndVersionEverywhere: every command and subcommand answers
// --help with its usage on stdout and --version with the version, both
// with status 0 and nothing on stderr.
func TestHelpAndVersionEverywhere(t *testing.T) {
	type tool struct {
		name string
		run  func(args []string, stdout, stderr *bytes.Buffer) int
	}
	sx := tool{"sx", func(args []string, o, e *bytes.Buffer) int { return Main(args, strings.NewReader(""), o, e) }}
	sxhost := tool{"sxhost", func(args []string, o, e *bytes.Buffer) int { return SxhostMain(args, o, e) }}
	cases := []struct {
		tool tool
		args []string
		help string // what --help must print
	}{
		{sx, nil, "usage:"},
		{sx, []string{"eval"}, "usage: sx eval"},
		{sx, []string{"render"}, "usage: sx render"},
		{sx, []string{"wire"}, "usage: sx wire"},
		{sx, []string{"run"}, "usage: sx run"},
		{sxhost, nil, "usage:"},
		{sxhost, []string{"run"}, "usage: sxhost run"},
		{sxhost, []string{"check"}, "usage: sxhost check"},
		{sxhost, []string{"seed"}, "usage: sxhost seed"},
		{sxhost, []string{"migrate"}, "usage: sxhost migrate"},
		{sxhost, []string{"migrate", "up"}, "usage: sxhost migrate"},
	}
	for _, c := range cases {
		for _, flag := range []string{"--help", "-h", "--version"} {
			var out, errb bytes.Buffer
			args := append(append([]string{}, c.args...), flag)
			st := c.tool.run(args, &out, &errb)
			want := c.help
			if flag == "--version" {
				want = c.tool.name + " " + Version()
			}
			if st != 0 || errb.Len() != 0 || !strings.Contains(out.String(), want) {
				t.Errorf("%s %q: status %d, stdout %q, stderr %q; want 0 and %q", c.tool.name, args, st, out.String(), errb.String(), want)
			}
		}
	}
	// `sx repl --version` is answered before the REPL starts.
	sxcmd.Repl = func([]string, io.Reader, io.Writer, io.Writer) int { t.Error("the REPL started"); return 1 }
	defer func() { sxcmd.Repl = nil }()
	var out, errb bytes.Buffer
	if st := Main([]string{"repl", "--version"}, strings.NewReader(""), &out, &errb); st != 0 || !strings.HasPrefix(out.String(), "sx ") {
		t.Errorf("sx repl --version: status %d, %q", st, out.String())
	}
}

// TestOptionsAreNotFileNames: an unknown option is a usage error, and "--"
// lets a file start with "-".
func TestOptionsAreNotFileNames(t *testing.T) {
	if _, errs, st := runSX(t, "", "eval", "--nope"); st != 2 || !strings.Contains(errs, "unknown option --nope") {
		t.Errorf("unknown option: status %d, stderr %q", st, errs)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "-odd.sx"), []byte("(+ 1 2)"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if out, errs, st := runSX(t, "", "eval", "--", "-odd.sx"); st != 0 || out != "3\n" {
		t.Errorf("eval -- -odd.sx: status %d, %q %q", st, out, errs)
	}
}

// TestCheckExternal: calls to a service that runs elsewhere are problems
// unless --external or SX_URL_<SERVICE> names it.
func TestCheckExternal(t *testing.T) {
	f := writeFile(t, "caller.sx", `(defservice caller :port 9)
(defquery q () (query "far-away" "thing"))`)
	check := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		st := SxhostMain(append([]string{"check"}, args...), &out, &errb)
		return st, out.String() + errb.String()
	}
	t.Setenv("SX_URL_FAR_AWAY", "")
	if st, out := check(f); st != 1 || !strings.Contains(out, "no service far-away is loaded") {
		t.Errorf("without --external: status %d, %q", st, out)
	}
	if st, out := check("--external", "other,far-away", f); st != 0 || !strings.Contains(out, "ok: 1 service(s)") {
		t.Errorf("with --external: status %d, %q", st, out)
	}
	t.Setenv("SX_URL_FAR_AWAY", "http://127.0.0.1:9")
	if st, out := check(f); st != 0 {
		t.Errorf("with SX_URL_FAR_AWAY: status %d, %q", st, out)
	}
}

// TestRunHostFlag: --host binds the services' ports to that interface.
func TestRunHostFlag(t *testing.T) {
	bin := buildSxhost(t)
	_, port, _ := net.SplitHostPort(freeAddr(t))
	f := writeFile(t, "one.sx", fmt.Sprintf("(defservice one :port %s)\n(defquery hi () \"hi\")", port))
	cmd := exec.Command(bin, "run", "--host", "127.0.0.1", f)
	cmd.Env = append(os.Environ(), "DATABASE_URL=", "SX_LOG_FORMAT=json")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitBody(t, "http://127.0.0.1:"+port+"/internal/data/hi")
	stopWithSIGTERM(t, cmd, &logs)
	if want := `"addr":"127.0.0.1:` + port + `"`; !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %s:\n%s", want, logs.String())
	}
}

// TestLoggerFromEnvironment: text in development and JSON otherwise unless
// SX_LOG_FORMAT says, records below SX_LOG_LEVEL dropped, bad values
// refused by name.
func TestLoggerFromEnvironment(t *testing.T) {
	for _, c := range []struct {
		dev           bool
		format, level string
		want          string // in the output of log.Info("hello"), "" for nothing
	}{
		{true, "", "", "level=INFO msg=hello"},
		{false, "", "", `"msg":"hello"`},
		{true, "json", "", `"msg":"hello"`},
		{false, "TEXT", "", "msg=hello"},
		{false, "", "warn", ""},
		{false, "", "debug", `"msg":"hello"`},
	} {
		env := map[string]string{"SX_LOG_FORMAT": c.format, "SX_LOG_LEVEL": c.level}
		var buf bytes.Buffer
		log, err := newLogger(&buf, c.dev, func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		log.Info("hello")
		if got := buf.String(); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: logged %q, want %q", c, got, c.want)
		}
	}
	for k, v := range map[string]string{"SX_LOG_FORMAT": "xml", "SX_LOG_LEVEL": "loud"} {
		if _, err := newLogger(io.Discard, false, func(name string) string {
			if name == k {
				return v
			}
			return ""
		}); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

// TestSeedMigrationErrorSaysMigrationsOnce: the seed's report of a failed
// migration names the migrations once, then the file.
func TestSeedMigrationErrorSaysMigrationsOnce(t *testing.T) {
	url, drop, err := pgtest.Create("sx_cli_seed_err")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	// An applied 0001 whose recorded checksum is not the file's.
	_, err = conn.Exec(context.Background(), `create table schema_migrations (version bigint primary key,
		name text not null, checksum text not null, applied_at timestamptz not null default now());
		insert into schema_migrations (version, name, checksum) values (1, 'init', 'edited')`)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", url)
	var out, errb bytes.Buffer
	st := SxhostMain([]string{"seed"}, &out, &errb)
	if want := "sxhost seed: migrations: 0001_init.up.sql changed"; st != 1 || !strings.HasPrefix(errb.String(), want) || strings.Count(errb.String(), "migrations:") != 1 {
		t.Errorf("status %d, stderr %q; want 1 and %q", st, errb.String(), want)
	}
}
