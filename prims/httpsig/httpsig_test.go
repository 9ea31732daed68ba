package httpsig

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type keyPair struct{ priv, pub string }

var (
	keysOnce sync.Once
	keyA     keyPair
	keyB     keyPair
)

func newPair(t testing.TB) keyPair {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := x509.MarshalPKCS8PrivateKey(k)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return keyPair{string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))}
}

func keys(t testing.TB) (keyPair, keyPair) {
	keysOnce.Do(func() { keyA, keyB = newPair(t), newPair(t) })
	return keyA, keyB
}

// signed builds a signed POST as it arrives at a server.
func signed(t testing.TB, priv string, body string, when time.Time) Request {
	req, _ := http.NewRequest("POST", "https://coop.example/users/blog/inbox?x=1", nil)
	req.Header.Set("Content-Type", "application/activity+json")
	if err := Sign(req, []byte(body), priv, "https://remote.example/users/a#main-key", when); err != nil {
		t.Fatal(err)
	}
	return Request{Method: "POST", Target: "/users/blog/inbox?x=1", Host: "coop.example", Header: req.Header, Body: []byte(body)}
}

func TestSignVerify(t *testing.T) {
	a, b := keys(t)
	now := time.Now()
	body := `{"type":"Follow"}`
	r := signed(t, a.priv, body, now)
	if !strings.Contains(r.Header.Get("Signature"), `headers="(request-target) host date digest"`) {
		t.Fatalf("signature: %s", r.Header.Get("Signature"))
	}
	if id, _ := KeyID(r.Header); id != "https://remote.example/users/a#main-key" {
		t.Fatalf("keyId %q", id)
	}
	if err := Verify(r, a.pub, now, DefaultSkew); err != nil {
		t.Fatal(err)
	}
	// rsa-sha256 named instead of hs2019: the same key, the same answer.
	r2 := r
	r2.Header = r.Header.Clone()
	r2.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
	if err := Verify(r2, a.pub, now, DefaultSkew); err != nil {
		t.Fatalf("rsa-sha256: %v", err)
	}
	// Content-Digest (RFC 9530) in place of Digest.
	req, _ := http.NewRequest("POST", "https://coop.example/inbox", nil)
	sum := sha256.Sum256([]byte(body))
	req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
	signer := func() { // sign (request-target) host date content-digest by hand
		req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
		s := fmt.Sprintf("(request-target): post /inbox\nhost: coop.example\ndate: %s\ncontent-digest: %s", req.Header.Get("Date"), req.Header.Get("Content-Digest"))
		k, _, _ := ParsePrivateKey(a.priv)
		h := sha256.Sum256([]byte(s))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, k.(*rsa.PrivateKey), crypto.SHA256, h[:])
		req.Header.Set("Signature", `keyId="k",algorithm="rsa-sha256",headers="(request-target) host date content-digest",signature="`+base64.StdEncoding.EncodeToString(sig)+`"`)
	}
	signer()
	if err := Verify(Request{Method: "POST", Target: "/inbox", Host: "coop.example", Header: req.Header, Body: []byte(body)}, a.pub, now, DefaultSkew); err != nil {
		t.Fatalf("content-digest: %v", err)
	}

	refusals := []struct {
		name string
		r    func() Request
		pem  string
		why  string
	}{
		{"wrong key", func() Request { return r }, b.pub, "does not verify"},
		{"unsigned", func() Request { x := r; x.Header = http.Header{}; return x }, a.pub, "not signed"},
		{"body changed", func() Request { x := r; x.Body = []byte(`{"type":"Like"}`); return x }, a.pub, "Digest"},
		{"other target", func() Request { x := r; x.Target = "/inbox"; return x }, a.pub, "does not verify"},
		{"other host", func() Request { x := r; x.Host = "evil.example"; return x }, a.pub, "does not verify"},
		{"old", func() Request { return signed(t, a.priv, body, now.Add(-2*time.Hour)) }, a.pub, "Date"},
		{"future", func() Request { return signed(t, a.priv, body, now.Add(2*time.Hour)) }, a.pub, "Date"},
		{"no digest", func() Request { x := r; x.Header = r.Header.Clone(); x.Header.Del("Digest"); return x }, a.pub, "Digest"},
		{"digest not signed", func() Request {
			x := r
			x.Header = r.Header.Clone()
			x.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), " digest", "", 1))
			return x
		}, a.pub, "does not cover the digest"},
		{"date not signed", func() Request {
			x := r
			x.Header = r.Header.Clone()
			x.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), " date", "", 1))
			return x
		}, a.pub, "does not cover date"},
		{"not a key", func() Request { return r }, "nonsense", "unusable"},
	}
	for _, c := range refusals {
		err := Verify(c.r(), c.pem, now, DefaultSkew)
		if err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: %v, want %q", c.name, err, c.why)
		}
	}
}

// A farm of inbox hosts on 127.0.0.1 (one port each) that verify every
// delivery and record the most requests they ever had in flight.
type farm struct {
	servers  []*httptest.Server
	inFlight []atomic.Int32
	max      []atomic.Int32
	got      atomic.Int64
	bad      atomic.Int64
	pub      string
	delay    time.Duration
}

func newFarm(t testing.TB, hosts int, pub string, delay time.Duration) *farm {
	f := &farm{inFlight: make([]atomic.Int32, hosts), max: make([]atomic.Int32, hosts), pub: pub, delay: delay}
	for i := 0; i < hosts; i++ {
		i := i
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := f.inFlight[i].Add(1)
			defer f.inFlight[i].Add(-1)
			for {
				m := f.max[i].Load()
				if n <= m || f.max[i].CompareAndSwap(m, n) {
					break
				}
			}
			body, _ := io.ReadAll(r.Body)
			err := Verify(Request{Method: r.Method, Target: r.URL.RequestURI(), Host: r.Host, Header: r.Header, Body: body}, f.pub, time.Now(), DefaultSkew)
			if err != nil {
				f.bad.Add(1)
				http.Error(w, err.Error(), 401)
				return
			}
			time.Sleep(f.delay)
			f.got.Add(1)
			w.WriteHeader(202)
		}))
		f.servers = append(f.servers, srv)
	}
	return f
}

func (f *farm) close() {
	for _, s := range f.servers {
		s.Close()
	}
}

func (f *farm) jobs(n int, priv string) []Job {
	jobs := make([]Job, n)
	for i := range jobs {
		s := f.servers[i%len(f.servers)]
		jobs[i] = Job{ID: int64(i), Inbox: fmt.Sprintf("%s/users/u%d/inbox", s.URL, i), Body: []byte(`{"type":"Create"}`),
			KeyID: "https://coop.example/users/blog#main-key", PrivatePEM: priv}
	}
	return jobs
}

func TestDeliverPerHostLimit(t *testing.T) {
	a, _ := keys(t)
	f := newFarm(t, 3, a.pub, 5*time.Millisecond)
	defer f.close()
	res := Deliver(context.Background(), http.DefaultClient, f.jobs(60, a.priv), Options{PerHost: 2, Concurrency: 64})
	for _, r := range res {
		if r.Status != 202 || r.Err != "" {
			t.Fatalf("job %d: %d %s", r.ID, r.Status, r.Err)
		}
	}
	if f.got.Load() != 60 || f.bad.Load() != 0 {
		t.Fatalf("delivered %d, refused %d", f.got.Load(), f.bad.Load())
	}
	for i := range f.max {
		if m := f.max[i].Load(); m > 2 || m < 1 {
			t.Fatalf("host %d had %d requests in flight, limit 2", i, m)
		}
	}
	// A failing inbox is reported with its status.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", 410) }))
	defer bad.Close()
	res = Deliver(context.Background(), http.DefaultClient, []Job{{ID: 7, Inbox: bad.URL + "/inbox", Body: []byte("{}"), KeyID: "k", PrivatePEM: a.priv}}, Options{})
	if res[0].ID != 7 || res[0].Status != 410 || !strings.Contains(res[0].Err, "gone") {
		t.Fatalf("410: %+v", res[0])
	}
}
