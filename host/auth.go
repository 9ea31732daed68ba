package host

import (
	"net/url"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// What the SSO client (services/shared/auth.sx) needs from the host; the
// flows themselves are SX.
//
//   - (service-name): the OAuth client id of the service; (request-uri):
//     where to come back to.
//   - before-request: a function of that name, when a service (or a shared
//     module) defines one, runs before every page and browser route, in
//     the request's own evaluation thread. auth.sx uses it for silent SSO
//     and the periodic grant check; it may change the session, redirect or
//     abort.
//   - a session cookie per service (sx_session_<service>): browsers do not
//     separate cookies by port, so services on 127.0.0.1:8001…8006 would
//     otherwise share one session and single sign-on would happen by
//     accident in development instead of through the provider.
//   - a visitor cookie the services share (sx_visitor, sealed like the
//     sessions; Domain=SX_COOKIE_DOMAIN when set): the anonymous visitor's
//     key, so a cart filled on market is the cart's cart. It holds no
//     sign-in: a user is signed in per service, through the provider.
//   - (session/clear): a fresh session at sign-in and sign-out.

// beforeRequestHook is the name of the per-request hook.
const beforeRequestHook = "before-request"

// visitorCookie is the cookie the services share.
const visitorCookie = "sx_visitor"

// visitorDict returns the request's visitor cookie, read once.
func (r *requestCtx) visitorDict() *runtime.Dict {
	if r.visitor == nil {
		r.visitor = r.svc.plat.openSession(visitorCookie, r.ctx.Request.Header.Cookie(visitorCookie), time.Now())
	}
	return r.visitor
}

// authPrimitives are the service's own SSO primitives.
func (s *Service) authPrimitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "visitor/get", Params: "(key &rest default)", Doc: "A value from the visitor cookie the services share (the anonymous visitor's cart key), or default.", MinArgs: 1, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					if v, ok := r.visitorDict().Get(str(th, "visitor/get", a[0])); ok {
						return v
					}
				}
				if len(a) > 1 {
					return a[1]
				}
				return nil
			}},
		{Name: "visitor/set", Params: "(key value)", Doc: "Stores value in the visitor cookie the services share (nil removes the key); returns value.", MinArgs: 2, MaxArgs: 2, IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				r := requestOf(th)
				if r == nil {
					th.Fail("visitor/set: no request")
				}
				d, key := r.visitorDict(), str(th, "visitor/set", a[0])
				if a[1] == nil {
					d.Delete(key)
				} else {
					d.Set(key, a[1])
				}
				r.visitorDirty = true
				return a[1]
			}},
		{Name: "session/clear", Params: "()", Doc: "Empties the service's session (sign-in and sign-out start a fresh one: a new CSRF token, nothing carried over).", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				r := requestOf(th)
				if r == nil {
					th.Fail("session/clear: no request")
				}
				r.sess = runtime.NewDict(0)
				r.sessDirty = true
				return nil
			}},
		{Name: "request-uri", Params: "()", Doc: "The current request's path and query string, as the browser sent them (where to come back to after signing in).", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				if r := requestOf(th); r != nil {
					return string(r.ctx.RequestURI())
				}
				return nil
			}},
		{Name: "service-name", Params: "()", Doc: "The service's name (its OAuth client id).", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value { return s.Name }},
	}
}

// loginRedirect is where an anonymous visitor of a page that needs a user
// goes: SX_LOGIN_URL, else the service's own /auth/login route (the shared
// SSO client's), else nowhere ("" answers 401).
func (s *Service) loginRedirect(st *state, requestURI string) string {
	login := s.plat.opts.LoginURL
	if login == "" {
		for _, d := range st.env.Definitions("route") {
			if d.OptionString("path") == "/auth/login" {
				login = "/auth/login"
				break
			}
		}
	}
	if login == "" {
		return ""
	}
	return login + "?next=" + url.QueryEscape(requestURI)
}

// sessionCookieName is the service's session cookie.
func (s *Service) sessionCookieName() string { return sessionCookie + "_" + s.Name }

// hooked runs the before-request hook ahead of h when the generation st
// defines one.
func (s *Service) hooked(st *state, h func(*requestCtx)) func(*requestCtx) {
	hook, ok := st.env.Lookup(beforeRequestHook)
	if !ok {
		return h
	}
	return func(r *requestCtx) {
		var err error
		s.evaluate(r, func(th *runtime.Thread) { _, err = th.Apply(hook) })
		if err != nil {
			// The hook answered: a redirect, an abort or a failure.
			s.fail(r, err, true)
			return
		}
		h(r)
	}
}
