package httpsig

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// Primitives returns the package's SX primitives. client returns the
// platform's outbound HTTP client (the SSRF guard's: non-public addresses
// refused unless SX_OUTBOUND_ALLOW allows them); httpsig/deliver sends
// through it, with the per-host limit held across processes by slots (nil:
// per process), each signature first asking gate (nil: none) so that
// delivery gives way to the pages the process serves.
func Primitives(client func() *http.Client, slots func() HostSlots, gate Gate) []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "httpsig/key-id", Params: "(headers)", Doc: "The keyId of a request's HTTP signature (headers: a dict of lower-case header names, as request-headers gives), or nil when the request is not signed or the Signature header is malformed.", MinArgs: 1, MaxArgs: 1, Fn: keyIDPrim},
		{Name: "httpsig/verify", Params: "(request public-pem &rest skew-seconds)", Doc: "Checks a request's HTTP signature (draft-cavage; hs2019 or rsa-sha256, the algorithm taken from the key) with the signer's public key: request is {:method :target (path and query) :host :headers (lower-case names) :body}. The signature must cover (request-target), host, date and, with a body, digest (or content-digest); the Digest must match the body; the Date must be within skew-seconds (default 3600) of now. nil when all holds, else the reason (a string).", MinArgs: 2, MaxArgs: 3, Fn: verifyPrim},
		{Name: "httpsig/digest", Params: "(body)", Doc: "The Digest header value of body: \"SHA-256=\" and the base64 SHA-256.", MinArgs: 1, MaxArgs: 1, Fn: digestPrim},
		{Name: "httpsig/sign", Params: "(method url body private-pem key-id)", Doc: "The headers {\"Date\" \"Digest\" \"Signature\"} that sign a request (body nil for a GET) to url with the private key under key-id, covering (request-target) host date and, with a body, digest. Pass them to http/request's :headers.", MinArgs: 5, MaxArgs: 5, Fn: signPrim},
		{Name: "httpsig/deliver", Params: "(jobs &rest options)", Doc: "POSTs each job {:id :inbox :body :key-id :private-pem}, signed (application/activity+json), concurrently: at most options :per-host (4) at a time to one host (across instances when they share Redis) and :concurrency (64) overall, each within :timeout seconds (15). Non-public addresses are refused as for http/request. Returns a list of {:id :status (0 when no answer) :error (nil for a 2xx)} in the jobs' order.", MinArgs: 1, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				return deliverPrim(th, a, client(), slots(), gate)
			}},
	}
}

func strArg(th *runtime.Thread, name string, v runtime.Value) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	}
	th.Fail("%s expects a string, got %s", name, runtime.TypeOf(v))
	return ""
}

func dictArg(th *runtime.Thread, name string, v runtime.Value) *runtime.Dict {
	d, ok := v.(*runtime.Dict)
	if !ok {
		th.Fail("%s expects a dict, got %s", name, runtime.TypeOf(v))
	}
	return d
}

// headerOf converts a dict of header names to values.
func headerOf(th *runtime.Thread, name string, v runtime.Value) http.Header {
	d := dictArg(th, name, v)
	m := make(map[string]string, d.Len())
	for _, k := range d.Keys() {
		x, _ := d.Get(k)
		if s, ok := x.(string); ok {
			m[strings.ToLower(k)] = s
		}
	}
	return HeaderFromMap(m)
}

func get(d *runtime.Dict, k string) runtime.Value {
	v, _ := d.Get(k)
	return v
}

func keyIDPrim(th *runtime.Thread, a []runtime.Value) runtime.Value {
	id, err := KeyID(headerOf(th, "httpsig/key-id", a[0]))
	if err != nil {
		return nil
	}
	return id
}

func verifyPrim(th *runtime.Thread, a []runtime.Value) runtime.Value {
	d := dictArg(th, "httpsig/verify", a[0])
	skew := DefaultSkew
	if len(a) > 2 {
		n, ok := a[2].(int64)
		if !ok || n < 1 {
			th.Fail("httpsig/verify: skew-seconds must be a positive integer")
		}
		skew = time.Duration(n) * time.Second
	}
	r := Request{
		Method: strings.ToUpper(strArg(th, "httpsig/verify :method", get(d, "method"))),
		Target: strArg(th, "httpsig/verify :target", get(d, "target")),
		Host:   strArg(th, "httpsig/verify :host", get(d, "host")),
		Header: headerOf(th, "httpsig/verify :headers", get(d, "headers")),
		Body:   []byte(strArg(th, "httpsig/verify :body", get(d, "body"))),
	}
	if err := Verify(r, strArg(th, "httpsig/verify", a[1]), time.Now(), skew); err != nil {
		return err.Error()
	}
	return nil
}

func digestPrim(th *runtime.Thread, a []runtime.Value) runtime.Value {
	return Digest([]byte(strArg(th, "httpsig/digest", a[0])))
}

func signPrim(th *runtime.Thread, a []runtime.Value) runtime.Value {
	method := strings.ToUpper(strArg(th, "httpsig/sign", a[0]))
	url := strArg(th, "httpsig/sign", a[1])
	var body []byte
	if a[2] != nil {
		body = []byte(strArg(th, "httpsig/sign", a[2]))
	}
	req, err := http.NewRequest(method, url, nil)
	if err != nil || HostOf(url) == "" {
		th.Fail("httpsig/sign: %q is not an http(s) URL", url)
	}
	if err := Sign(req, body, strArg(th, "httpsig/sign", a[3]), strArg(th, "httpsig/sign", a[4]), time.Now()); err != nil {
		th.Fail("httpsig/sign: %v", err)
	}
	out := runtime.NewDict(3)
	for _, h := range []string{"Date", "Digest", "Signature"} {
		if v := req.Header.Get(h); v != "" {
			out.Set(h, v)
		}
	}
	return out
}

func deliverPrim(th *runtime.Thread, a []runtime.Value, client *http.Client, slots HostSlots, gate Gate) runtime.Value {
	l, ok := a[0].(*runtime.List)
	if !ok && a[0] != nil {
		th.Fail("httpsig/deliver expects a list of jobs, got %s", runtime.TypeOf(a[0]))
	}
	opt := Options{UserAgent: "sxhost (ActivityPub)", Hosts: slots, Yield: gate}
	if len(a) > 1 && a[1] != nil {
		o := dictArg(th, "httpsig/deliver", a[1])
		for k, dst := range map[string]*int{"per-host": &opt.PerHost, "concurrency": &opt.Concurrency} {
			if v, ok := o.Get(k); ok {
				n, ok := v.(int64)
				if !ok || n < 1 || n > 1024 {
					th.Fail("httpsig/deliver: :%s must be 1 to 1024", k)
				}
				*dst = int(n)
			}
		}
		if v, ok := o.Get("timeout"); ok {
			n, ok := v.(int64)
			if !ok || n < 1 || n > 300 {
				th.Fail("httpsig/deliver: :timeout must be 1 to 300 seconds")
			}
			opt.Timeout = time.Duration(n) * time.Second
		}
	}
	var jobs []Job
	if l != nil {
		for _, it := range l.Items {
			d := dictArg(th, "httpsig/deliver job", it)
			id, _ := get(d, "id").(int64)
			jobs = append(jobs, Job{
				ID:         id,
				Inbox:      strArg(th, "httpsig/deliver :inbox", get(d, "inbox")),
				Body:       []byte(strArg(th, "httpsig/deliver :body", get(d, "body"))),
				KeyID:      strArg(th, "httpsig/deliver :key-id", get(d, "key-id")),
				PrivatePEM: strArg(th, "httpsig/deliver :private-pem", get(d, "private-pem")),
			})
		}
	}
	ctx := th.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	res := Deliver(ctx, client, jobs, opt)
	out := make([]runtime.Value, len(res))
	for i, r := range res {
		d := runtime.NewDict(3)
		d.Set("id", r.ID)
		d.Set("status", int64(r.Status))
		if r.Err != "" {
			d.Set("error", r.Err)
		} else {
			d.Set("error", nil)
		}
		out[i] = d
	}
	return runtime.NewList(out...)
}
