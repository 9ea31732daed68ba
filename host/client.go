package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
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
	var keysBuf [8]string
	keys := keysBuf[:0]
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// What url.Values.Encode writes for one value per name, in name order,
	// without building the url.Values map.
	var b strings.Builder
	for _, k := range keys {
		var v string
		switch x := raw[k].(type) {
		case nil:
			continue
		case string:
			v = x
		case time.Time:
			v = x.Format(time.RFC3339Nano)
		case *runtime.Decimal:
			v = x.String() // its digits: "3.20", which :decimal reads back
		case *runtime.List, *runtime.Dict:
			// Structured values travel as JSON text (ids lists too: the
			// receiver accepts "[1,2]" as well as "1,2").
			var buf bytes.Buffer
			if err := toJSON(&buf, x); err != nil {
				continue
			}
			v = buf.String()
		default:
			v = runtime.Print(x)
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	return b.String()
}

// reply is another process's answer.
type reply struct {
	body         []byte
	status       int
	cacheControl string
	errorKind    string // headerErrorKind: what kind of error an error answer is
}

// maxTarget bounds the path and query of an internal GET: the receiving
// server reads at most readBufferSize bytes of request head.
const maxTarget = 16 << 10

func (c *internalClient) do(ctx context.Context, method, service, target string, body []byte, accept string) (_ reply, err error) {
	base, err := c.base(service)
	if err != nil {
		return reply{}, err
	}
	if len(target) > maxTarget {
		return reply{}, &paramError{msg: fmt.Sprintf("the arguments are too long to send to %s (%d bytes of query string)", service, len(target))}
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
	if c.p.opts.Router != nil {
		markOutgoing(ctx, req)
	}
	if secret := c.p.opts.Secret; secret != "" {
		SignRequest(req, secret, service, target)
	}
	timeout := callTimeout
	if method == "POST" {
		timeout = actionTimeout
	}
	byDeadline := false
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout, byDeadline = time.Until(dl), true
	}
	if tracing.Load() {
		span := startCallSpan(ctx, req, service, method)
		defer func() { endSpan(span, err) }()
	}
	if err := c.http.DoTimeout(req, resp, timeout); err != nil {
		if ctx.Err() != nil || (byDeadline && errors.Is(err, fasthttp.ErrTimeout)) {
			// The caller's deadline ran out, not the callee's patience: a 504.
			return reply{}, fmt.Errorf("calling %s: %w", service, context.DeadlineExceeded)
		}
		return reply{}, err
	}
	return reply{
		body:         append([]byte(nil), resp.Body()...),
		status:       resp.StatusCode(),
		cacheControl: string(resp.Header.Peek("Cache-Control")),
		errorKind:    string(resp.Header.Peek(headerErrorKind)),
	}, nil
}

func (c *internalClient) call(ctx context.Context, kind, service, name string, raw map[string]runtime.Value) (runtime.Value, error) {
	var target string
	var body []byte
	method := "GET"
	if kind == "query" && !anySecret(raw) {
		target = "/internal/data/" + url.PathEscape(name)
		if q := encodeQuery(raw); q != "" {
			target += "?" + q
		}
	} else {
		// Actions, and queries given a credential (which must not be in a
		// URL), send their arguments as a JSON body.
		method, target = "POST", "/internal/actions/"+url.PathEscape(name)
		if kind == "query" {
			target = "/internal/data/" + url.PathEscape(name)
		}
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
	rp, err := c.do(ctx, method, service, target, body, "application/json")
	if err != nil {
		var pe *paramError
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pe) {
			return nil, err
		}
		return nil, &runtime.Error{Msg: fmt.Sprintf("%s did not answer: %v", service, err), Value: upstreamFailure{}}
	}
	v, jerr := fromJSON(rp.body)
	if rp.status == 200 {
		return v, jerr
	}
	msg := fmt.Sprintf("status %d", rp.status)
	if d, ok := v.(*runtime.Dict); ok && jerr == nil {
		if m, ok := d.Get("error"); ok {
			msg = fmt.Sprint(m)
		}
	}
	return nil, remoteError(service, rp, msg)
}

// remoteError turns another process's error answer into the error an
// in-process call would have raised, so the caller answers the same way
// wherever the callee runs. The callee marks the answers that carry over
// (headerErrorKind): a bad parameter (400) and an (abort …) with its
// status. Its deadline (504) stays a 504; its other failures make the
// caller a bad gateway (502). Anything else — an unknown name (404), a
// refused signature (401, 403), a request the server could not read — is
// this side's mistake: a 500 whose details stay in the log.
func remoteError(service string, rp reply, msg string) error {
	switch {
	case rp.errorKind == errorKindParameter:
		return &paramError{msg: msg}
	case rp.errorKind == errorKindAbort:
		return &runtime.Error{Msg: msg, Value: &Abort{Status: rp.status, Message: msg}}
	case rp.status == 504:
		return fmt.Errorf("%s: %s: %w", service, msg, context.DeadlineExceeded)
	case rp.status >= 500:
		return &runtime.Error{Msg: fmt.Sprintf("%s answered %d: %s", service, rp.status, msg), Value: upstreamFailure{}}
	}
	return fmt.Errorf("%s answered %d: %s", service, rp.status, msg)
}

// anySecret reports whether an argument is named like a credential.
func anySecret(raw map[string]runtime.Value) bool {
	for k := range raw {
		if secretParam(k) {
			return true
		}
	}
	return false
}

// fragment fetches a remote fragment and the TTL its provider gave in
// Cache-Control.
func (c *internalClient) fragment(ctx context.Context, service, typ string, raw map[string]runtime.Value) (string, time.Duration, error) {
	target := "/internal/fragments/" + url.PathEscape(typ)
	if q := encodeQuery(raw); q != "" {
		target += "?" + q
	}
	rp, err := c.do(ctx, "GET", service, target, nil, "text/html")
	if err != nil {
		return "", 0, err
	}
	if rp.status != 200 {
		return "", 0, fmt.Errorf("status %d", rp.status)
	}
	var ttl time.Duration
	if i := strings.Index(rp.cacheControl, "max-age="); i >= 0 {
		n, _ := strconv.Atoi(strings.TrimRight(rp.cacheControl[i+len("max-age="):], " ,;"))
		ttl = time.Duration(n) * time.Second
	}
	return string(rp.body), ttl, nil
}
