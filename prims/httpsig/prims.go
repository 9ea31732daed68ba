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
		{Name: "httpsig/deliver-stream", Params: "(jobs options on-results)", Doc: "Delivers jobs as httpsig/deliver does (same jobs and options) and calls on-results with a list of {:id :status :error :sent} as they end — gathered for up to 500 ms (at most 200 at once), so each is recorded within half a second while the others are in flight, in few transactions. With options :start-by seconds, a job not started by then (its host's slots stayed taken) is not sent (:sent false): its claim can be released before it runs out. A failing on-results stops the jobs not yet started. Returns {:sent n :unsent n}.", MinArgs: 3, MaxArgs: 3, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				return deliverStreamPrim(th, a, client(), slots(), gate)
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
	jobs, opt, _ := deliveryArgs(th, "httpsig/deliver", a, slots, gate)
	res := Deliver(threadCtx(th), client, jobs, opt)
	out := make([]runtime.Value, len(res))
	for i, r := range res {
		out[i] = resultDict(r)
	}
	return runtime.NewList(out...)
}

// streamBatch is the most results handed to the callback at once, and
// streamGather the longest the first of them waits for more: recording
// results is a transaction each time, and with 64 requests in flight they
// end about one a millisecond; gathered for up to 500 ms they are recorded
// in about 2 transactions a second instead of hundreds, while every result
// is still recorded well within its claim's lease. Few matters beyond the
// database: every write a process commits drops its query cache, so in a
// process that also serves pages each record makes the next page run its
// queries again (docs/benchmarks.md, issue 17 session seven: at 50 ms,
// about 20 a second).
const (
	streamBatch  = 200
	streamGather = 500 * time.Millisecond
)

// deliverStreamPrim is httpsig/deliver-stream: DeliverStream, with each
// result handed to the SX callback within streamGather of its end, with the
// others that ended meanwhile. Results that end while the callback runs
// wait in the stream and come in its next call.
func deliverStreamPrim(th *runtime.Thread, a []runtime.Value, client *http.Client, slots HostSlots, gate Gate) runtime.Value {
	jobs, opt, startBy := deliveryArgs(th, "httpsig/deliver-stream", a[:2], slots, gate)
	each := a[2]
	if runtime.TypeOf(each) != "lambda" {
		th.Fail("httpsig/deliver-stream expects a function of a list of results, got %s", runtime.TypeOf(each))
	}
	ctx, cancel := context.WithCancel(threadCtx(th))
	// A failing callback stops the deliveries not yet made; the ones in
	// flight end on their own (the channel holds their results).
	defer cancel()
	var start time.Time
	if startBy > 0 {
		start = time.Now().Add(startBy)
	}
	stream := DeliverStream(ctx, client, jobs, opt, start)
	var sent, unsent int64
	for r := range stream {
		batch := []runtime.Value{resultDict(r)}
		note := func(r Result) {
			if r.Sent {
				sent++
			} else {
				unsent++
			}
		}
		note(r)
		gather := time.NewTimer(streamGather)
	more:
		for len(batch) < streamBatch {
			select {
			case r, ok := <-stream:
				if !ok {
					break more
				}
				batch = append(batch, resultDict(r))
				note(r)
			case <-gather.C:
				break more
			}
		}
		gather.Stop()
		th.Call(each, runtime.NewList(batch...))
	}
	out := runtime.NewDict(2)
	out.Set("sent", sent)
	out.Set("unsent", unsent)
	return out
}

func threadCtx(th *runtime.Thread) context.Context {
	if th.Ctx == nil {
		return context.Background()
	}
	return th.Ctx
}

// resultDict is a Result as SX sees it: {:id :status :error :sent}.
func resultDict(r Result) *runtime.Dict {
	d := runtime.NewDict(4)
	d.Set("id", r.ID)
	d.Set("status", int64(r.Status))
	if r.Err != "" {
		d.Set("error", r.Err)
	} else {
		d.Set("error", nil)
	}
	d.Set("sent", r.Sent)
	return d
}

// deliveryArgs reads (jobs options) of httpsig/deliver and
// httpsig/deliver-stream: the jobs, the options and :start-by (0 when not
// given).
func deliveryArgs(th *runtime.Thread, name string, a []runtime.Value, slots HostSlots, gate Gate) ([]Job, Options, time.Duration) {
	l, ok := a[0].(*runtime.List)
	if !ok && a[0] != nil {
		th.Fail("%s expects a list of jobs, got %s", name, runtime.TypeOf(a[0]))
	}
	opt := Options{UserAgent: "sxhost (ActivityPub)", Hosts: slots, Yield: gate}
	var startBy time.Duration
	if len(a) > 1 && a[1] != nil {
		o := dictArg(th, name, a[1])
		for k, dst := range map[string]*int{"per-host": &opt.PerHost, "concurrency": &opt.Concurrency} {
			if v, ok := o.Get(k); ok {
				n, ok := v.(int64)
				if !ok || n < 1 || n > 1024 {
					th.Fail("%s: :%s must be 1 to 1024", name, k)
				}
				*dst = int(n)
			}
		}
		if v, ok := o.Get("timeout"); ok {
			n, ok := v.(int64)
			if !ok || n < 1 || n > 300 {
				th.Fail("%s: :timeout must be 1 to 300 seconds", name)
			}
			opt.Timeout = time.Duration(n) * time.Second
		}
		if v, ok := o.Get("start-by"); ok && name != "httpsig/deliver" {
			n, ok := v.(int64)
			if !ok || n < 1 || n > 86400 {
				th.Fail("%s: :start-by must be 1 to 86400 seconds", name)
			}
			startBy = time.Duration(n) * time.Second
		}
	}
	var jobs []Job
	if l != nil {
		for _, it := range l.Items {
			d := dictArg(th, name+" job", it)
			id, _ := get(d, "id").(int64)
			jobs = append(jobs, Job{
				ID:         id,
				Inbox:      strArg(th, name+" :inbox", get(d, "inbox")),
				Body:       []byte(strArg(th, name+" :body", get(d, "body"))),
				KeyID:      strArg(th, name+" :key-id", get(d, "key-id")),
				PrivatePEM: strArg(th, name+" :private-pem", get(d, "private-pem")),
			})
		}
	}
	return jobs, opt, startBy
}
