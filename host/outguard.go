package host

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Outbound requests (http/request) are guarded two ways, because a URL an
// SX program fetches may come from outside (a remote ActivityPub actor's
// inbox, a webhook's callback):
//
//   - The address a connection is about to be made to — after DNS, at
//     connect time, so a name that resolves to a public address when
//     checked and a private one when used (DNS rebinding) gains nothing —
//     must not be loopback, private, link-local, unspecified, multicast or
//     otherwise non-public, unless an allowed prefix (SX_OUTBOUND_ALLOW)
//     contains it.
//   - Redirects are not followed: the 3xx is the answer. A request may opt
//     in with :follow-redirects true; then up to maxRedirects are followed
//     within the same origin (scheme, host and port) only, and only
//     redirectSafeHeaders go along, never credentials.

// maxRedirects bounds the redirects one opted-in request follows.
const maxRedirects = 5

// nonPublic are address ranges that reach no public host, besides those
// netip's predicates name (loopback, private, link-local, multicast,
// unspecified).
var nonPublic = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
}

// addressKind names why ip is not a public address, or returns "".
func addressKind(ip netip.Addr) string {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsMulticast():
		return "multicast"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	for _, r := range nonPublic {
		if r.prefix.Contains(ip) {
			return r.kind
		}
	}
	return ""
}

// ParseOutboundAllow reads SX_OUTBOUND_ALLOW: comma- or space-separated
// CIDR prefixes or single addresses ("127.0.0.1/32, ::1") that outbound
// requests may reach although they are not public.
func ParseOutboundAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("SX_OUTBOUND_ALLOW: %q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// refusedAddress is the connect-time refusal of a non-public address.
type refusedAddress struct {
	ip   netip.Addr
	kind string
}

func (e *refusedAddress) Error() string {
	return fmt.Sprintf("the address %s is %s and outbound requests may not reach it (SX_OUTBOUND_ALLOW allows such prefixes)", e.ip, e.kind)
}

// dialGuard returns the dialer's Control function: it sees the address a
// socket is about to connect to, after name resolution.
func dialGuard(allow []netip.Prefix) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("outbound connection to %q: %v", address, err)
		}
		ip := ap.Addr().Unmap()
		for _, p := range allow {
			if p.Contains(ip) {
				return nil
			}
		}
		if kind := addressKind(ip); kind != "" {
			return &refusedAddress{ip: ip, kind: kind}
		}
		return nil
	}
}

// followKey marks a request context whose request opted in to redirects.
type followKey struct{}

// redirectSafeHeaders are the only request headers a followed redirect
// carries over: content negotiation, never credentials (Authorization,
// Cookie, API-key headers of any name).
var redirectSafeHeaders = []string{"Accept", "Accept-Language", "Accept-Version", "Content-Type", "User-Agent"}

// checkRedirect decides a redirect: not followed unless the request opted
// in, and then only within the first request's origin.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if follow, _ := req.Context().Value(followKey{}).(bool); !follow {
		return http.ErrUseLastResponse
	}
	if len(via) > maxRedirects || !sameOrigin(req, via[0]) {
		return http.ErrUseLastResponse // the 3xx is the answer
	}
	kept := http.Header{}
	for _, h := range redirectSafeHeaders {
		if v := req.Header.Values(h); len(v) > 0 {
			kept[h] = v
		}
	}
	req.Header = kept
	return nil
}

func sameOrigin(a, b *http.Request) bool {
	return a.URL.Scheme == b.URL.Scheme && strings.EqualFold(a.URL.Host, b.URL.Host)
}

// newOutboundClient is a platform's client for http/request: connections
// to an API are reused; the timeout comes from each request's context.
func newOutboundClient(allow []netip.Prefix) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: dialGuard(allow)}
	return &http.Client{
		CheckRedirect: checkRedirect,
		Transport: &http.Transport{
			// No Proxy: a proxy would be the address checked, not the
			// destination.
			DialContext:         dialer.DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 8,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		},
	}
}

// withFollow marks ctx for checkRedirect.
func withFollow(ctx context.Context) context.Context {
	return context.WithValue(ctx, followKey{}, true)
}
