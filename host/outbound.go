package host

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// Primitives that belong to one service: its configuration, the activities
// it emits, and requests to outside APIs (Ghost, SumUp).

// maxOutboundBody bounds a response read by http/request.
const maxOutboundBody = 16 << 20

// outboundTimeout bounds an outgoing request when the caller's deadline is
// later (or absent, as for activity handlers run by a processor).
const outboundTimeout = 15 * time.Second

func (s *Service) primitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "env", Params: "(name &rest default)", Doc: "A configuration value from the environment, or default (nil). Only names the service declares in (defservice … :env (\"NAME\" …)) can be read, so secrets are never reachable by accident.", MinArgs: 1, MaxArgs: 2, IO: true, Fn: s.envValue},
		{Name: "emit-activity", Params: "(type payload &rest options)", Doc: "Emits an activity of type with a payload (a dict) on the activity bus, in the current transaction; options {:visibility :object-type :actor-profile-id}. Returns the activity's id.", MinArgs: 2, MaxArgs: 3, IO: true, Fn: s.emitActivity},
		{Name: "mail-send", Params: "(&key to subject text html)", Doc: "Queues an e-mail to one address with a plain-text and/or HTML body (render the HTML from components with render-to-html) as a mail.send activity in the current transaction: it is sent only once the action commits, and retried with back-off when the mail server fails. 400 for a bad address or a subject with a line break. Returns the activity's id.", MinArgs: 2, MaxArgs: 8, IO: true, Fn: s.mailSend},
		{Name: "http/request", Params: "(method url &rest options)", Doc: "Sends an HTTP request to an outside API and returns {:status :headers :body :json} (json when the response is JSON). Options {:headers {…} :json value :body \"…\" :timeout seconds :follow-redirects bool}. Network failures are errors; HTTP error statuses are returned. Redirects are answers unless :follow-redirects is true (then followed within the same origin, without credentials); addresses that are not public are refused unless SX_OUTBOUND_ALLOW allows them.", MinArgs: 2, MaxArgs: 3, IO: true, Fn: s.httpRequest},
	}
}

// envValue is (env name default?).
func (s *Service) envValue(th *runtime.Thread, a []runtime.Value) runtime.Value {
	name := str(th, "env", a[0])
	if !declaresEnv(th.Env, name) {
		th.Fail("env: %s is not declared in the service's :env list", name)
	}
	var v string
	if get := s.plat.opts.Getenv; get != nil {
		v = get(name)
	}
	if v == "" {
		if len(a) > 1 {
			return a[1]
		}
		return nil
	}
	return v
}

// declaresEnv reports whether the environment's defservice lists name in
// its :env option.
func declaresEnv(env *runtime.Env, name string) bool {
	for _, d := range env.Definitions("service") {
		v, _ := d.Option("env")
		l, _ := v.(*runtime.List)
		if l == nil {
			continue
		}
		for _, it := range l.Items {
			if s, ok := it.(string); ok && s == name {
				return true
			}
		}
	}
	return false
}

// httpRequest is (http/request method url options?).
func (s *Service) httpRequest(th *runtime.Thread, a []runtime.Value) runtime.Value {
	method := strings.ToUpper(str(th, "http/request", a[0]))
	url := str(th, "http/request", a[1])
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		th.Fail("http/request: %q is not an http(s) URL", url)
	}
	timeout := outboundTimeout
	follow := false
	var body io.Reader
	headers := map[string]string{}
	if len(a) > 2 && a[2] != nil {
		opts, ok := a[2].(*runtime.Dict)
		if !ok {
			th.Fail("http/request: options must be a dict, got %s", runtime.TypeOf(a[2]))
		}
		for _, k := range opts.Keys() {
			v, _ := opts.Get(k)
			switch k {
			case "headers":
				h, ok := v.(*runtime.Dict)
				if !ok {
					th.Fail("http/request: :headers must be a dict, got %s", runtime.TypeOf(v))
				}
				for _, hk := range h.Keys() {
					hv, _ := h.Get(hk)
					headers[hk] = str(th, "http/request", hv)
				}
			case "json":
				var b bytes.Buffer
				if err := toJSON(&b, v); err != nil {
					th.Fail("http/request: :json: %v", err)
				}
				body = &b
				if _, set := headers["Content-Type"]; !set {
					headers["Content-Type"] = "application/json"
				}
			case "body":
				body = strings.NewReader(str(th, "http/request", v))
			case "timeout":
				secs, ok := v.(int64)
				if !ok || secs < 1 || secs > 300 {
					th.Fail("http/request: :timeout must be 1 to 300 seconds")
				}
				timeout = time.Duration(secs) * time.Second
			case "follow-redirects":
				b, ok := v.(bool)
				if !ok {
					th.Fail("http/request: :follow-redirects must be true or false")
				}
				follow = b
			default:
				th.Fail("http/request: unknown option %s", k)
			}
		}
	}
	ctx := th.Ctx
	if ctx == nil {
		th.Fail("http/request: no request context")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout) // the earlier deadline wins
	defer cancel()
	if follow {
		ctx = withFollow(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		th.Fail("http/request: %v", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := s.plat.outbound.Do(req)
	if err != nil {
		// Marked so the request answers 502, not the 503 of a database
		// outage that a refused connection would otherwise look like.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL with the query
		}
		e := th.Errorf("http/request %s %s: %v", method, redactURL(url), err)
		e.Value = upstreamFailure{}
		panic(e)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxOutboundBody+1))
	if err != nil {
		th.Fail("http/request %s %s: reading the response: %v", method, redactURL(url), err)
	}
	if len(data) > maxOutboundBody {
		th.Fail("http/request %s %s: the response is over %d bytes", method, redactURL(url), maxOutboundBody)
	}
	out := runtime.NewDict(4)
	out.Set("status", int64(resp.StatusCode))
	h := runtime.NewDict(len(resp.Header))
	for k := range resp.Header {
		h.Set(strings.ToLower(k), resp.Header.Get(k))
	}
	out.Set("headers", h)
	out.Set("body", string(data))
	var decoded runtime.Value
	if strings.Contains(resp.Header.Get("Content-Type"), "json") && len(bytes.TrimSpace(data)) > 0 {
		decoded, err = fromJSON(data)
		if err != nil {
			th.Fail("http/request %s %s: bad JSON in the response: %v", method, redactURL(url), err)
		}
	}
	out.Set("json", decoded)
	return out
}

// upstreamFailure marks an error of an outside service.
type upstreamFailure struct{}

func upstreamFailed(err error) bool {
	var e *runtime.Error
	if errors.As(err, &e) {
		_, ok := e.Value.(upstreamFailure)
		return ok
	}
	return false
}

// redactURL drops the query string, which often carries an API key (Ghost's
// Content API takes ?key=…), from URLs that reach error messages and logs.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}
