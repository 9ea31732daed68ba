package host_test

import (
	"testing"
	"fmt"
	"github.com/rose-ash/sxhost/host"
)

func TestProbeDict(t *testing.T) {
	dir := t.TempDir()
	fb := writeFile(t, dir, "b.sx", `(defservice b) (defquery dict-arg (&key (opts :dict)) (get opts :k))`)
	fa := writeFile(t, dir, "a.sx", `(defservice a) (defroute r :path "/r" () {:got (query "b" "dict-arg" :opts {:k "v"})})`)
	lb := listen(t)
	pb := newPlatform(t, []string{fb}, host.Options{})
	serveOn(t, pb.Service("b"), lb)
	logger, log := newLogger()
	pa := newPlatform(t, []string{fa}, host.Options{Logger: logger, Remote: map[string]string{"b": "http://" + lb.Addr().String()}})
	a := serve(t, pa.Service("a"))
	fmt.Println(get(t, a.URL+"/r"))
	for _, r := range log.records(t) { if r["level"] == "ERROR" { fmt.Println(r["error"]) } }
}
