package reload

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/host"
)

// reloadService is the watched service of BenchmarkReload: one page whose
// text is the version, behind a layout component, like a small site.
func reloadService(version int) string {
	return `(defservice live)
(defcomp ~shell (&key &rest children) (main (header "site") children (footer "end")))
(defpage home :path "/" :content (~shell (div :id "v" "version ` + strconv.Itoa(version) + `")))
`
}

// getPath answers GET path through the server's handler in memory: the
// full request path of the host without a socket.
func getPath(srv *fasthttp.Server, path string) string {
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.SetRequestURI(path)
	ctx.Init(&req, nil, nil)
	srv.Handler(&ctx)
	return string(ctx.Response.Body())
}

// BenchmarkReload/sx is the time from writing a service file (as an editor
// saving in place does: truncate, then write) to the page answering with
// the new text, in development mode with the file watched (issue 20). It
// also checks that each save reloads the service exactly once, reported as
// reloads/op.
func BenchmarkReload(b *testing.B) {
	b.Run("sx", func(b *testing.B) {
		dir := b.TempDir()
		file := filepath.Join(dir, "live.sx")
		if err := os.WriteFile(file, []byte(reloadService(0)), 0o644); err != nil {
			b.Fatal(err)
		}
		p, err := host.New([]string{file}, host.Options{Dev: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stop, err := p.Watch(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer stop()
		srv := host.NewServer(p.Services()[0])
		generation := func() int {
			g, _, _ := strings.Cut(getPath(srv, "/__sx/reload"), " ")
			n, _ := strconv.Atoi(g)
			return n
		}
		reloads := 0
		version := 0
		for b.Loop() {
			version++
			want := "version " + strconv.Itoa(version) + "<"
			gen := generation()
			if err := os.WriteFile(file, []byte(reloadService(version)), 0o644); err != nil {
				b.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(getPath(srv, "/"), want) {
				if time.Now().After(deadline) {
					b.Fatalf("no %q 5 s after the write", want)
				}
				time.Sleep(100 * time.Microsecond)
			}
			// Count the reloads of this save once the watcher is quiet.
			b.StopTimer()
			time.Sleep(50 * time.Millisecond)
			reloads += generation() - gen
			b.StartTimer()
		}
		b.ReportMetric(float64(reloads)/float64(b.N), "reloads/op")
	})
}
