package host

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rose-ash/sxhost/internal/upload"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

const requestKey = "host.request"

// requestOf returns the HTTP request a thread is serving, or nil (loading,
// the REPL, a background job).
func requestOf(th *runtime.Thread) *requestCtx {
	r, _ := th.Local[requestKey].(*requestCtx)
	return r
}

func setRequest(th *runtime.Thread, r *requestCtx) {
	if th.Local == nil {
		th.Local = map[string]any{}
	}
	th.Local[requestKey] = r
	var files upload.Source // the request's uploaded files, for primitives
	if r != nil {
		files = r
	}
	upload.Attach(th, files)
	if r != nil && r.primary.Load() {
		sqlprims.MarkPrimary(th) // the request wrote: read its writes (replica.go)
	}
}

// str unpacks a string argument of primitive name.
func str(th *runtime.Thread, name string, v runtime.Value) string {
	s, ok := v.(string)
	if !ok {
		th.Fail("%s expects a string, got %s", name, runtime.TypeOf(v))
	}
	return s
}

// settableHeaders are the names besides SX-* and HX-* that response-header
// sets (upper case): what OAuth and API answers need, and
// Content-Disposition for downloads (an attendee list's CSV).
var settableHeaders = map[string]bool{
	"CACHE-CONTROL": true, "PRAGMA": true, "RETRY-AFTER": true, "WWW-AUTHENTICATE": true, "ACCESS-CONTROL-ALLOW-ORIGIN": true,
	"CONTENT-DISPOSITION": true,
}

// setCSPOrigins records a framing exception of the current response (a
// list of origins, checked by cspOrigins) under key; an empty list keeps
// the default.
func setCSPOrigins(th *runtime.Thread, name, key string, v runtime.Value) runtime.Value {
	var origins []string
	switch l := v.(type) {
	case nil:
	case *runtime.List:
		for _, it := range l.Items {
			origins = append(origins, str(th, name, it))
		}
	default:
		th.Fail("%s expects a list of origins, got %s", name, runtime.TypeOf(v))
	}
	joined, bad := cspOrigins(origins)
	if bad != "" {
		th.Fail("%s: %q is not an origin (scheme://host[:port], http or https)", name, bad)
	}
	r := requestOf(th)
	if r == nil {
		th.Fail("%s: no request", name)
	}
	r.ctx.SetUserValue(key, joined)
	return v
}

// ioPrimitives are the host's I/O primitives, bound into every service.
func (p *Platform) ioPrimitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "now", Params: "()", Doc: "The current time (UTC).", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value { return time.Now().UTC() }},
		{Name: "abort", Params: "(status &rest message)", Doc: "Stops the request with an HTTP status and message.", MinArgs: 1, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				status, ok := a[0].(int64)
				if !ok || status < 100 || status > 599 {
					th.Fail("abort expects an HTTP status, got %s", runtime.Print(a[0]))
				}
				msg := ""
				if len(a) > 1 {
					msg = runtime.Print(a[1])
					if s, ok := a[1].(string); ok {
						msg = s
					}
				}
				e := th.Errorf("aborted with %d %s", status, msg)
				e.Value = &Abort{Status: int(status), Message: msg}
				panic(e)
			}},
		{Name: "redirect", Params: "(url &rest status)", Doc: "Stops the request with a redirect (303 unless a status is given).", MinArgs: 1, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				status := int64(303)
				if len(a) > 1 {
					status, _ = a[1].(int64)
				}
				e := th.Errorf("redirect to %s", str(th, "redirect", a[0]))
				e.Value = &Abort{Status: int(status), Location: str(th, "redirect", a[0])}
				panic(e)
			}},
		{Name: "request-arg", Params: "(name &rest default)", Doc: "A query-string or form value of the current request.", MinArgs: 1, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					if v, ok := r.arg(str(th, "request-arg", a[0])); ok {
						return v
					}
				}
				if len(a) > 1 {
					return a[1]
				}
				return nil
			}},
		{Name: "request-header", Params: "(name)", Doc: "A header of the current request, or nil.", MinArgs: 1, MaxArgs: 1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					if v := r.ctx.Request.Header.Peek(str(th, "request-header", a[0])); v != nil {
						return string(v)
					}
				}
				return nil
			}},
		{Name: "response-header", Params: "(name value)", Doc: "Sets a header of the current response: the browser runtime's SX-* and HX-* headers (SX-Trigger, SX-Retarget, SX-Reswap, SX-Push-Url …, docs/client.md) and Cache-Control, Pragma, Retry-After, WWW-Authenticate, Access-Control-Allow-Origin (OAuth answers), Content-Disposition (downloads); no other name. Returns value.", MinArgs: 2, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				name, value := str(th, "response-header", a[0]), str(th, "response-header", a[1])
				// A closed list: a page cannot loosen the security headers
				// or set cookies this way.
				upper := strings.ToUpper(name)
				if !strings.HasPrefix(upper, "SX-") && !strings.HasPrefix(upper, "HX-") && !settableHeaders[upper] || strings.ContainsAny(name, " :\r\n") {
					th.Fail("response-header: %s is not a header a page may set (SX-*, HX-*, Cache-Control, Pragma, Retry-After, WWW-Authenticate, Access-Control-Allow-Origin, Content-Disposition)", name)
				}
				if strings.ContainsAny(value, "\r\n") {
					th.Fail("response-header: the value of %s has a line break", name)
				}
				r := requestOf(th)
				if r == nil {
					th.Fail("response-header: no request")
				}
				r.ctx.Response.Header.Set(name, value)
				return value
			}},
		{Name: "request-ip", Params: "()", Doc: "The address of the current request's client (the connection's peer: behind a proxy, the proxy), or nil.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					return r.ctx.RemoteIP().String()
				}
				return nil
			}},
		{Name: "response-status", Params: "(status)", Doc: "Sets the HTTP status of the current route's answer (its value is still the body), e.g. 400 with an OAuth error object; returns status.", MinArgs: 1, MaxArgs: 1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				status, ok := a[0].(int64)
				if !ok || status < 200 || status > 599 {
					th.Fail("response-status expects an HTTP status from 200 to 599, got %s", runtime.Print(a[0]))
				}
				r := requestOf(th)
				if r == nil {
					th.Fail("response-status: no request")
				}
				r.status = int(status)
				return a[0]
			}},
		{Name: "request-method", Params: "()", Doc: "The current request's method.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					return string(r.ctx.Method())
				}
				return nil
			}},
		{Name: "request-path", Params: "()", Doc: "The current request's path.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					return string(r.ctx.Path())
				}
				return nil
			}},
		{Name: "request-json", Params: "()", Doc: "The current request's JSON body, decoded, or nil.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil && len(r.ctx.PostBody()) > 0 {
					v, err := fromJSON(r.ctx.PostBody())
					if err != nil {
						th.Fail("request-json: malformed JSON: %v", err)
					}
					return v
				}
				return nil
			}},
		{Name: "request-id", Params: "()", Doc: "The current request's id (as logged).", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					return r.ID()
				}
				return nil
			}},
		{Name: "htmx-request?", Params: "()", Doc: "True when the request came from the browser runtime (SX-Request or HX-Request).", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				r := requestOf(th)
				return r != nil && (len(r.ctx.Request.Header.Peek("SX-Request")) > 0 || len(r.ctx.Request.Header.Peek("HX-Request")) > 0)
			}},
		{Name: "current-user", Params: "()", Doc: "The signed-in user (the session's \"user\" dict), or nil.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					if u, ok := r.session().Get("user"); ok {
						return u
					}
				}
				return nil
			}},
		{Name: "session/get", Params: "(key &rest default)", Doc: "A value from the signed session cookie.", MinArgs: 1, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					if v, ok := r.session().Get(str(th, "session/get", a[0])); ok {
						return v
					}
				}
				if len(a) > 1 {
					return a[1]
				}
				return nil
			}},
		{Name: "session/set", Params: "(key value)", Doc: "Stores value in the session (nil removes the key); returns value.", MinArgs: 2, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				r := requestOf(th)
				if r == nil {
					th.Fail("session/set: no request")
				}
				r.setSession(str(th, "session/set", a[0]), a[1])
				return a[1]
			}},
		{Name: "csp-nonce", Params: "()", Doc: "The request's Content-Security-Policy nonce: script tags need :nonce (csp-nonce) to run.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					return r.cspNonce()
				}
				return nil
			}},
		{Name: "csp-frame-src", Params: "(origins)", Doc: "Lets the current HTML response load iframes from origins (a list of scheme://host[:port], http or https) besides its own: its Content-Security-Policy gets frame-src 'self' and them. For the provider's end-session page, which loads each client's front-channel logout URI. Returns origins.", MinArgs: 1, MaxArgs: 1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				return setCSPOrigins(th, "csp-frame-src", cspFrameSrcKey, a[0])
			}},
		{Name: "csp-frame-ancestors", Params: "(origins)", Doc: "Lets pages of origins (a list of scheme://host[:port], http or https) frame the current HTML response: its frame-ancestors becomes them instead of 'none', and X-Frame-Options is left out. For a front-channel logout URI, which the provider's end-session page loads in an iframe. Returns origins.", MinArgs: 1, MaxArgs: 1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				return setCSPOrigins(th, "csp-frame-ancestors", cspFrameAncestorsKey, a[0])
			}},
		{Name: "request-files", Params: "(&optional field)", Doc: "The files uploaded with this multipart/form-data request (all, or those of form field field), each a dict {:field :filename :content-type :size :upload}: :filename and :content-type are what the browser said (untrusted), :upload a handle primitives such as media/store read the bytes by. A :file parameter gets the first file of its field.", MaxArgs: 1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				r := requestOf(th)
				out := []runtime.Value{}
				if r == nil {
					return runtime.NewList(out...)
				}
				for _, f := range r.UploadedFiles() {
					if len(a) == 0 || a[0] == nil || a[0] == f.Field {
						out = append(out, f.Dict())
					}
				}
				return runtime.NewList(out...)
			}},
		{Name: "csrf-token", Params: "()", Doc: "The session's CSRF token, for the csrf_token field of forms.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					return r.csrfToken()
				}
				return nil
			}},
		{Name: "query", Params: "(service name &rest args)", Doc: "Calls another service's defquery; in-process when it is loaded here, over signed HTTP otherwise.", MinArgs: 2, MaxArgs: -1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				return p.call(th, "query", str(th, "query", a[0]), str(th, "query", a[1]), a[2:])
			}},
		{Name: "action", Params: "(service name &rest args)", Doc: "Calls another service's defaction: in-process inside an action, as a savepoint of the caller's transaction; otherwise in its own transaction (over signed HTTP when the service runs elsewhere).", MinArgs: 2, MaxArgs: -1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				return p.call(th, "action", str(th, "action", a[0]), str(th, "action", a[1]), a[2:])
			}},
		{Name: "frag", Params: "(service type &rest args)", Doc: "Another service's fragment as HTML; a failed fragment is empty.", MinArgs: 2, MaxArgs: -1, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				return p.fragment(th, str(th, "frag", a[0]), str(th, "frag", a[1]), a[2:])
			}},
		{Name: "sql/transaction", Params: "(thunk)", Doc: "Runs thunk's statements in one transaction (a savepoint inside one): committed when it returns, rolled back when it fails; returns its value. For actions declared :transaction false.", MinArgs: 1, MaxArgs: 1, IO: true,
			Fn: p.sqlTransaction},
		{Name: "after-commit", Params: "(thunk)", Doc: "Calls thunk once the current transaction (an action's, a job's, an activity's, sql/transaction's) has committed, and never if it rolls back; at once outside a transaction. For what others must see only with the writes, e.g. writing a changed value through to the shared cache. A hook's failure is logged: the transaction has committed. Returns nil.", MinArgs: 1, MaxArgs: 1, IO: true,
			Fn: p.afterCommit},
		{Name: "in-transaction?", Params: "()", Doc: "True while the code runs inside a database transaction (an action's, a job's, an activity's, sql/transaction's): its reads see its own uncommitted writes, and what it stores elsewhere may yet roll back.", IO: true,
			Fn: func(th *runtime.Thread, _ []runtime.Value) runtime.Value {
				_, inTx := sqlprims.Bound(th).(pgx.Tx)
				return inTx
			}},
		{Name: "gather", Params: "(&rest thunks)", Doc: "Calls each thunk concurrently and returns their results in order: independent I/O waits for the slowest, not the sum.", IO: true, MaxArgs: -1,
			Fn: p.gather},
	}
}

// pairs turns the (name value ...) tail of a query/action/frag call into a
// lookup; the evaluator passes keyword names as strings.
func pairs(th *runtime.Thread, name string, args []runtime.Value) map[string]runtime.Value {
	if len(args)%2 != 0 {
		th.Fail("%s: arguments must be :name value pairs", name)
	}
	m := make(map[string]runtime.Value, len(args)/2)
	for i := 0; i < len(args); i += 2 {
		k, ok := args[i].(string)
		if !ok {
			th.Fail("%s: argument names must be keywords, got %s", name, runtime.TypeOf(args[i]))
		}
		m[k] = args[i+1]
	}
	return m
}

// gather runs thunks concurrently, each in its own thread of the same
// environment and request. Inside a transaction (an action) they run one
// after another: a transaction serves one statement at a time.
func (p *Platform) gather(th *runtime.Thread, thunks []runtime.Value) runtime.Value {
	results := make([]runtime.Value, len(thunks))
	if _, inTx := sqlprims.Bound(th).(pgx.Tx); inTx || len(thunks) < 2 {
		for i, t := range thunks {
			results[i] = th.Call(t)
		}
		return runtime.NewList(results...)
	}
	ctx, cancel := context.WithCancel(th.Ctx)
	defer cancel()
	errs := make([]error, len(thunks))
	run := func(i int) {
		sub := th.Env.AcquireThread(ctx)
		defer th.Env.ReleaseThread(sub)
		sub.StepBudget = th.StepBudget
		sub.Out = th.Out
		for k, v := range th.Local {
			if sub.Local == nil {
				sub.Local = map[string]any{}
			}
			sub.Local[k] = v
		}
		v, err := sub.Apply(thunks[i])
		results[i], errs[i] = v, err
		if err != nil {
			cancel() // one failure stops the others
		}
	}
	// Every thunk but the last on its own goroutine; the last on this one,
	// which would otherwise only wait. Each runs on a pooled thread of its
	// own, so a failure is reported the same way wherever it ran.
	var wg sync.WaitGroup
	last := len(thunks) - 1
	for i := range last {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(i)
		}()
	}
	run(last)
	wg.Wait()
	// Report the failure that stopped the others, not the cancellations it
	// caused.
	var first error
	for _, err := range errs {
		if err != nil && (first == nil || strings.Contains(first.Error(), "cancelled") && !strings.Contains(err.Error(), "cancelled")) {
			first = err
		}
	}
	if first != nil {
		if e, ok := first.(*runtime.Error); ok {
			panic(e)
		}
		th.Fail("gather: %v", first)
	}
	return runtime.NewList(results...)
}
