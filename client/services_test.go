package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// TestServiceComponentsParity renders every component defined in services/
// (called without arguments) with the Go renderer and with sx.js; where
// the server renders it, the browser must give the same HTML. Only the
// defcomp and define forms of each file are loaded: the rest needs a host.
func TestServiceComponentsParity(t *testing.T) {
	var files []string
	_ = filepath.WalkDir("../services", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sx") {
			files = append(files, p)
		}
		return nil
	})
	vm := newVM(t)
	checked := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		forms, err := runtime.Read(filepath.Base(file), string(src))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var defs []string
		var comps []string
		for _, f := range forms {
			l, ok := f.(*runtime.List)
			if !ok || len(l.Items) < 2 {
				continue
			}
			head, _ := l.Items[0].(*runtime.Symbol)
			if head == nil || (head.Name != "defcomp" && head.Name != "define") {
				continue
			}
			defs = append(defs, runtime.Print(f))
			if name, ok := l.Items[1].(*runtime.Symbol); ok && head.Name == "defcomp" {
				comps = append(comps, name.Name)
			}
		}
		for _, c := range comps {
			prog := strings.Join(defs, "\n") + "\n(" + c + ")"
			th := stdlib.NewEnv().NewThread(nil)
			th.Out = &strings.Builder{}
			if _, err := th.EvalString(file, strings.Join(defs, "\n")); err != nil {
				continue // needs more than its file gives it
			}
			want, err := th.RenderHTML(&runtime.List{Items: []runtime.Value{runtime.Intern(c)}})
			if err != nil {
				continue // needs arguments or I/O: rendered on the server
			}
			got, err := renderJS(vm, file, prog)
			if err != nil || got != want {
				t.Errorf("%s %s: sx.js gives %q (%v), the server %q", file, c, got, err, want)
			}
			checked++
		}
	}
	t.Logf("%d service components rendered in both runtimes", checked)
}
