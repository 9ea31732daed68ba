package cli

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const probeUsage = `usage: sxhost probe URL|SERVICE

Exits 0 when URL answers 200 within 2 s, 1 otherwise: the health check of a
container image that has no shell or curl (FROM scratch), e.g.
  sxhost probe http://127.0.0.1:8001/readyz
  sxhost probe cart      (the /readyz of SX_ADDR_CART, on 127.0.0.1 when it
                          listens on all interfaces)
`

// probe is a container health check: GET url, success on 200.
func probe(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, probeUsage)
		return 2
	}
	url := args[0]
	if !strings.Contains(url, "://") {
		env := "SX_ADDR_" + strings.ToUpper(strings.ReplaceAll(url, "-", "_"))
		host, port, err := net.SplitHostPort(os.Getenv(env))
		if err != nil {
			fmt.Fprintf(stderr, "sxhost probe: %s: %s is not HOST:PORT\n", url, env)
			return 2
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		url = "http://" + net.JoinHostPort(host, port) + "/readyz"
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(stderr, "sxhost probe:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != 200 {
		fmt.Fprintf(stderr, "sxhost probe: %s: %d %s\n", url, resp.StatusCode, body)
		return 1
	}
	fmt.Fprintf(stdout, "%s", body)
	return 0
}
