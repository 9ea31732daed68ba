package host

import (
	"net/http"
	"strings"

	httpsigprims "github.com/rose-ash/sxhost/prims/httpsig"
	"github.com/rose-ash/sxhost/runtime"
)

// The raw request, for ActivityPub inboxes: an HTTP signature covers
// header values and a digest of the body's exact bytes, so the inbox needs
// them as they came, not a decoded JSON value.

// apPrimitives are request-headers and request-body, and the HTTP
// Signatures primitives bound to the platform's guarded outbound client.
func (p *Platform) apPrimitives() []*runtime.Primitive {
	return append([]*runtime.Primitive{
		{Name: "request-headers", Params: "()", Doc: "The current request's headers as a dict of lower-case names (a repeated header's values joined with \", \"), or nil outside a request.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				r := requestOf(th)
				if r == nil {
					return nil
				}
				d := runtime.NewDict(16)
				r.ctx.Request.Header.VisitAll(func(k, v []byte) {
					name := strings.ToLower(string(k))
					if old, ok := d.Get(name); ok {
						d.Set(name, old.(string)+", "+string(v))
						return
					}
					d.Set(name, string(v))
				})
				if _, ok := d.Get("host"); !ok {
					d.Set("host", string(r.ctx.Host()))
				}
				return d
			}},
		{Name: "request-body", Params: "()", Doc: "The current request's body, its exact bytes as a string (\"\" when none), or nil outside a request. The host's body cap (SX_MAX_PUBLIC_BODY) applies before the route runs.", IO: true,
			Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				r := requestOf(th)
				if r == nil {
					return nil
				}
				return string(r.ctx.PostBody())
			}},
	}, httpsigprims.Primitives(func() *http.Client { return p.outbound }, p.deliverySlots, foregroundGate)...)
}

// deliverySlots holds httpsig/deliver's per-host limit across instances
// when they share Redis (the cache); nil keeps it per process.
func (p *Platform) deliverySlots() httpsigprims.HostSlots {
	if c := redisOf(p.opts.Cache); c != nil {
		return httpsigprims.RedisSlots{Client: c}
	}
	return nil
}
