package httpsig

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Inbox verification per core: Verify (parse, coverage, digest, date, key
// from the cache, go-fed's signature string, RSA-2048) against the bare
// RSA-2048 PKCS #1 v1.5 verification it cannot go below. Run with -cpu 1
// (docs/benchmarks.md).
func BenchmarkVerify(b *testing.B) {
	a, _ := keys(b)
	body := `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","actor":"https://remote.example/users/a","object":{"type":"Note","content":"` + strings.Repeat("x", 500) + `"}}`
	r := signed(b, a.priv, body, time.Now())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Verify(r, a.pub, time.Now(), DefaultSkew); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSAVerifyPeer(b *testing.B) {
	a, _ := keys(b)
	key, _, _ := ParsePublicKey(a.pub)
	priv, _, _ := ParsePrivateKey(a.priv)
	h := sha256.Sum256([]byte("(request-target): post /users/blog/inbox\nhost: coop.example\ndate: x\ndigest: y"))
	sig, _ := rsa.SignPKCS1v15(nil, priv.(*rsa.PrivateKey), crypto.SHA256, h[:])
	_ = base64.StdEncoding
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDeliverFarm10k delivers one activity to 10,000 inboxes on 100 hosts
// (a farm of 100 servers on 127.0.0.1 that verify every signature), 4 per
// host, and reports the time against the same fan-out unsigned. It runs
// only with SX_AP_BENCH=1 (docs/benchmarks.md: make the figures with
// SX_AP_BENCH=1 go test -run TestDeliverFarm10k -v ./prims/httpsig/).
func TestDeliverFarm10k(t *testing.T) {
	if os.Getenv("SX_AP_BENCH") == "" {
		t.Skip("set SX_AP_BENCH=1 to run the delivery figure")
	}
	a, _ := keys(t)
	f := newFarm(t, 100, a.pub, 0)
	defer f.close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8, MaxIdleConns: 1000}}
	jobs := f.jobs(10000, a.priv)
	start := time.Now()
	res := Deliver(context.Background(), client, jobs, Options{PerHost: 4, Concurrency: 64})
	signedTime := time.Since(start)
	for _, r := range res {
		if r.Err != "" {
			t.Fatalf("job %d: %s", r.ID, r.Err)
		}
	}
	maxFlight := int32(0)
	for i := range f.max {
		if m := f.max[i].Load(); m > maxFlight {
			maxFlight = m
		}
	}
	if f.got.Load() != 10000 || f.bad.Load() != 0 || maxFlight > 4 {
		t.Fatalf("delivered %d, refused %d, most in flight on one host %d", f.got.Load(), f.bad.Load(), maxFlight)
	}
	// The peer: the same POSTs, unsigned (the farm then refuses them with
	// 401 after its own verification attempt fails fast).
	unsigned := make(chan struct{}, 64)
	start = time.Now()
	done := make(chan struct{}, len(jobs))
	for _, j := range jobs {
		go func(j Job) {
			unsigned <- struct{}{}
			req, _ := http.NewRequest("POST", j.Inbox, strings.NewReader(string(j.Body)))
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
			<-unsigned
			done <- struct{}{}
		}(j)
	}
	for range jobs {
		<-done
	}
	plain := time.Since(start)
	t.Logf("10,000 inboxes on 100 hosts, 4 per host, 64 in flight: signed and verified %v (%.0f/s), unsigned peer %v (%.0f/s), ratio %.2f; most in flight on one host: %d",
		signedTime.Round(time.Millisecond), 10000/signedTime.Seconds(), plain.Round(time.Millisecond), 10000/plain.Seconds(),
		signedTime.Seconds()/plain.Seconds(), maxFlight)
}
