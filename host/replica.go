package host

import (
	"context"

	"github.com/valyala/fasthttp"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// Read-your-writes with a read replica (Options.Router). Reads outside a
// transaction go to the replica, which may be up to SX_MAX_REPLICA_LAG
// behind; a request that wrote must still see what it wrote, and so must
// the request a browser sends right after (a form's POST, then the page it
// redirects to). So:
//
//   - a thread that calls an action, or writes with sql/exec, reads from
//     the primary from then on, and marks its request (requestCtx.primary);
//   - in-process calls made for a marked request read from the primary;
//   - calls to other processes carry headerReadPrimary, and their
//     receivers read from the primary;
//   - a marked browser request gets a cookie (stickyCookie) that sends the
//     same browser's requests to the primary for as long as the replica
//     may lag.
//
// Without a replica none of this runs.

const (
	headerReadPrimary = "X-Sx-Read-Primary"
	stickyCookie      = "sx_rw"
)

// readPrimaryKey marks a context whose outgoing internal calls carry
// headerReadPrimary.
type readPrimaryKey struct{}

// stickyIn marks r when its caller asked for the primary: an internal call
// from a request that wrote, or a browser that wrote moments ago.
func (s *Service) stickyIn(r *requestCtx) {
	if s.plat.opts.Router == nil {
		return
	}
	h := &r.ctx.Request.Header
	if len(h.Peek(headerReadPrimary)) > 0 || len(h.Cookie(stickyCookie)) > 0 {
		r.primary.Store(true)
	}
}

// stickyOut gives a browser whose request wrote the cookie that keeps its
// next requests on the primary while the replica catches up.
func (s *Service) stickyOut(r *requestCtx) {
	rt := s.plat.opts.Router
	if rt == nil || !r.primary.Load() || len(r.ctx.Request.Header.Peek(headerReadPrimary)) > 0 {
		return
	}
	secs := int(rt.MaxLag.Seconds()) + 1
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(stickyCookie)
	c.SetValue("1")
	c.SetPath("/")
	c.SetMaxAge(secs)
	c.SetHTTPOnly(true)
	c.SetSameSite(fasthttp.CookieSameSiteLaxMode)
	c.SetSecure(s.plat.opts.SecureCookies)
	r.ctx.Response.Header.SetCookie(c)
}

// noteCall runs before th calls kind in another service: an action makes
// th and its request read from the primary; a query made by a thread
// that reads from the primary marks the request, so the callee reads
// there too. It returns the context for a call to another process.
func (p *Platform) noteCall(th *runtime.Thread, kind string) context.Context {
	if p.opts.Router == nil {
		return th.Ctx
	}
	if kind == "action" {
		sqlprims.MarkPrimary(th)
	}
	if !sqlprims.ReadsPrimary(th) {
		return th.Ctx
	}
	if r := requestOf(th); r != nil {
		r.primary.Store(true)
	}
	return context.WithValue(th.Ctx, readPrimaryKey{}, true)
}

// enterAction binds an action's thread to the primary (an action with
// :transaction false runs its statements on the pool, not the replica).
// The threads of a marked request read from the primary (setRequest).
func (p *Platform) enterAction(th *runtime.Thread) {
	if p.opts.Router != nil {
		sqlprims.Bind(th, p.opts.DB)
		sqlprims.MarkPrimary(th)
	}
}

// markOutgoing sets headerReadPrimary on an internal call made for a
// request that wrote.
func markOutgoing(ctx context.Context, req *fasthttp.Request) {
	if ctx.Value(readPrimaryKey{}) != nil {
		req.Header.Set(headerReadPrimary, "1")
	}
}
