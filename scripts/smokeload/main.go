// Command smokeload is the short load of make deploy-smoke: for a few
// seconds it asks every task of every service of the deployed stack for
// its /readyz, its signed /internal/schema (the internal secret reached the
// containers through a Docker secret) and federation's sign-in page, whose
// layout fetches fragments from blog, cart and account over signed HTTP
// between containers. Any answer but 200 is a failure.
//
//	go run ./scripts/smokeload -secret-file F -duration 10s service=URL...
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/host"
)

func main() {
	secretFile := flag.String("secret-file", "", "file holding SX_INTERNAL_SECRET")
	duration := flag.Duration("duration", 10*time.Second, "how long to load")
	flag.Parse()
	b, err := os.ReadFile(*secretFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smokeload:", err)
		os.Exit(2)
	}
	secret := strings.TrimSpace(string(b))
	type target struct{ service, base string }
	var targets []target
	for _, a := range flag.Args() {
		svc, base, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "smokeload: arguments are service=URL")
			os.Exit(2)
		}
		targets = append(targets, target{svc, strings.TrimRight(base, "/")})
	}
	client := &fasthttp.Client{}
	var total, failed atomic.Int64
	var mu sync.Mutex
	var samples []string
	fail := func(msg string) {
		failed.Add(1)
		mu.Lock()
		if len(samples) < 8 {
			samples = append(samples, msg)
		}
		mu.Unlock()
	}
	do := func(t target, path string, signed bool, check func([]byte) string) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(t.base + path)
		if signed {
			host.SignRequest(req, secret, t.service, path)
		}
		total.Add(1)
		if err := client.DoTimeout(req, resp, 10*time.Second); err != nil {
			fail(fmt.Sprintf("%s%s: %v", t.base, path, err))
			return
		}
		if resp.StatusCode() != 200 {
			fail(fmt.Sprintf("%s%s: %d %.200s", t.base, path, resp.StatusCode(), resp.Body()))
			return
		}
		if check != nil {
			if msg := check(resp.Body()); msg != "" {
				fail(fmt.Sprintf("%s%s: %s", t.base, path, msg))
			}
		}
	}
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				do(t, "/readyz", false, nil)
				do(t, "/internal/schema", true, func(b []byte) string {
					var s struct{ Service string }
					if err := json.Unmarshal(b, &s); err != nil || s.Service != t.service {
						return fmt.Sprintf("schema of %q, want %s", s.Service, t.service)
					}
					return ""
				})
				if t.service == "federation" {
					do(t, "/auth/login", false, nil)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("deploy-smoke load: %d tasks, %d requests in %s, %d failed\n", len(targets), total.Load(), duration, failed.Load())
	for _, s := range samples {
		fmt.Println("  ", s)
	}
	if failed.Load() > 0 {
		os.Exit(1)
	}
}
