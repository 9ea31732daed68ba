package host

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/runtime"
)

// callTimeout bounds a query or fragment call to another process, and
// actionTimeout an action call (an action may itself call an outside API,
// as push-member calls Ghost); both are shortened by the caller's deadline.
const (
	callTimeout   = 2 * time.Second
	actionTimeout = 30 * time.Second
)

// internalClient calls services that run in other processes.
type internalClient struct {
	p    *Platform
	http *fasthttp.Client
}

func newInternalClient(p *Platform) *internalClient {
	return &internalClient{p: p, http: &fasthttp.Client{
		Name:                      "sxhost",
		ReadTimeout:               actionTimeout,
		WriteTimeout:              actionTimeout,
		MaxIdemponentCallAttempts: 1,
	}}
}

func (c *internalClient) base(service string) (string, error) {
	u := c.p.opts.Remote[service]
	if u == "" {
		return "", fmt.Errorf("service %s is not loaded here and SX_URL_%s is not set", service, envName(service))
	}
	return strings.TrimRight(u, "/"), nil
}

// envName is the environment-variable form of a service name.
func envName(service string) string {
	return strings.ToUpper(strings.ReplaceAll(service, "-", "_"))
}

// encodeQuery renders parameters as a query string: strings as they are,
// lists and dicts as JSON, other values in their printed form.
func encodeQuery(raw map[string]runtime.Value) string {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	q := url.Values{}
	for _, k := range keys {
		switch v := raw[k].(type) {
		case nil:
		case string:
			q.Set(k, v)
		case time.Time:
			q.Set(k, v.Format(time.RFC3339Nano))
		case *runtime.List, *runtime.Dict:
			// Structured values travel as JSON text (ids lists too: the
			// receiver accepts "[1,2]" as well as "1,2").
			var buf bytes.Buffer
			if err := toJSON(&buf, v); err == nil {
				q.Set(k, buf.String())
			}
		default:
			q.Set(k, runtime.Print(v))
		}
	}
	return q.Encode()
}

func (c *internalClient) do(ctx context.Context, method, service, target string, body []byte, accept string) ([]byte, int, string, error) {
	base, err := c.base(service)
	if err != nil {
		return nil, 0, "", err
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(base + target)
	req.Header.SetMethod(method)
	req.Header.Set("Accept", accept)
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	if secret := c.p.opts.Secret; secret != "" {
		ts := time.Now().Unix()
		req.Header.Set(headerTimestamp, fmt.Sprint(ts))
		req.Header.Set(headerSignature, signature(secret, method, target, ts, body))
	}
	timeout := callTimeout
	if method == "POST" {
		timeout = actionTimeout
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	if err := c.http.DoTimeout(req, resp, timeout); err != nil {
		return nil, 0, "", err
	}
	return append([]byte(nil), resp.Body()...), resp.StatusCode(), string(resp.Header.Peek("Cache-Control")), nil
}

func (c *internalClient) call(ctx context.Context, kind, service, name string, raw map[string]runtime.Value) (runtime.Value, error) {
	var target string
	var body []byte
	method := "GET"
	if kind == "query" {
		target = "/internal/data/" + url.PathEscape(name)
		if q := encodeQuery(raw); q != "" {
			target += "?" + q
		}
	} else {
		method, target = "POST", "/internal/actions/"+url.PathEscape(name)
		d := runtime.NewDict(len(raw))
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.Set(k, raw[k])
		}
		var buf bytes.Buffer
		if err := toJSON(&buf, d); err != nil {
			return nil, err
		}
		body = buf.Bytes()
	}
	out, status, _, err := c.do(ctx, method, service, target, body, "application/json")
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // the caller's deadline: a 504, not the callee's fault
		}
		return nil, &runtime.Error{Msg: fmt.Sprintf("%s did not answer: %v", service, err), Value: upstreamFailure{}}
	}
	v, jerr := fromJSON(out)
	if status == 200 {
		return v, jerr
	}
	msg := fmt.Sprintf("status %d", status)
	if d, ok := v.(*runtime.Dict); ok && jerr == nil {
		if m, ok := d.Get("error"); ok {
			msg = fmt.Sprint(m)
		}
	}
	return nil, remoteError(service, status, msg)
}

// remoteError turns another process's error answer into the error an
// in-process call would have raised, so the caller answers the same way
// wherever the callee runs: 400 a bad parameter, other 4xx an abort with
// that status (401 and 403 excepted: a signing problem is this side's
// configuration, a 500), 5xx a bad gateway.
func remoteError(service string, status int, msg string) error {
	switch {
	case status == 400:
		return &paramError{msg: msg}
	case status == 401 || status == 403:
		return fmt.Errorf("%s refused the call (%d): %s", service, status, msg)
	case status < 500:
		return &runtime.Error{Msg: msg, Value: &Abort{Status: status, Message: msg}}
	}
	return &runtime.Error{Msg: fmt.Sprintf("%s answered %d: %s", service, status, msg), Value: upstreamFailure{}}
}

// fragment fetches a remote fragment and the TTL its provider gave in
// Cache-Control.
func (c *internalClient) fragment(ctx context.Context, service, typ string, raw map[string]runtime.Value) (string, time.Duration, error) {
	target := "/internal/fragments/" + url.PathEscape(typ)
	if q := encodeQuery(raw); q != "" {
		target += "?" + q
	}
	out, status, hdr, err := c.do(ctx, "GET", service, target, nil, "text/html")
	if err != nil {
		return "", 0, err
	}
	if status != 200 {
		return "", 0, fmt.Errorf("status %d", status)
	}
	var ttl time.Duration
	if i := strings.Index(hdr, "max-age="); i >= 0 {
		n, _ := strconv.Atoi(strings.TrimRight(hdr[i+len("max-age="):], " ,;"))
		ttl = time.Duration(n) * time.Second
	}
	return string(out), ttl, nil
}
