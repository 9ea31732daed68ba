// Command sumupfake serves the SumUp stand-in (internal/sumupfake) for a
// demo: `make run` starts it and points SUMUP_API_URL at it. Its hosted
// checkout page is marked as a test payment page; no money moves.
//
//	sumupfake [-addr 127.0.0.1:8010] [-key sup_sk_test] [-merchant MTEST0001]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rose-ash/sxhost/internal/sumupfake"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8010", "address to listen on")
	key := flag.String("key", "sup_sk_test", "the API key the stand-in accepts")
	code := flag.String("merchant", "MTEST0001", "the merchant code of that key")
	scale := flag.Float64("retry-scale", 0.01, "factor on SumUp's webhook retry delays (1 min, 5 min, 20 min, 2 h)")
	flag.Parse()
	s, err := sumupfake.Start(*addr, sumupfake.Options{RetryScale: *scale,
		Merchants: map[string]sumupfake.Merchant{*key: {Code: *code, Name: "Rose Ash demo (test payments)", Country: "GB"}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("SumUp stand-in (test payment page, no money moves) on %s\n", s.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Close()
}
