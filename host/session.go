package host

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/runtime"
)

// Sessions live in a signed cookie: base64url(JSON of the session dict)
// "." hex(HMAC-SHA256(key, that)). A cookie with a bad signature is
// ignored (an empty session). The session is read on first use and
// written back only when changed.
const (
	sessionCookie = "sx_session"
	sessionMaxAge = 30 * 24 * time.Hour
	csrfKey       = "csrf"
)

// sessionKey returns the signing key: the configured secret, or a random
// one per process (sessions then end with the process) when none is set.
func (p *Platform) sessionKey() []byte {
	p.keyOnce.Do(func() {
		if p.opts.SessionSecret != "" {
			p.key = []byte(p.opts.SessionSecret)
			return
		}
		p.key = make([]byte, 32)
		rand.Read(p.key)
		p.log.Warn("SX_SESSION_SECRET is not set: sessions are signed with a random key and end when the process does")
	})
	return p.key
}

func (p *Platform) signSession(payload []byte) string {
	m := hmac.New(sha256.New, p.sessionKey())
	m.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + hex.EncodeToString(m.Sum(nil))
}

func (p *Platform) readSession(cookie []byte) *runtime.Dict {
	dot := bytes.LastIndexByte(cookie, '.')
	if dot < 0 {
		return runtime.NewDict(0)
	}
	payload, err := base64.RawURLEncoding.DecodeString(string(cookie[:dot]))
	if err != nil {
		return runtime.NewDict(0)
	}
	m := hmac.New(sha256.New, p.sessionKey())
	m.Write(payload)
	want := hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), cookie[dot+1:]) {
		return runtime.NewDict(0)
	}
	v, err := fromJSON(payload)
	if d, ok := v.(*runtime.Dict); ok && err == nil {
		return d
	}
	return runtime.NewDict(0)
}

// session returns the request's session, reading the cookie once.
func (r *requestCtx) session() *runtime.Dict {
	if r.sess == nil {
		r.sess = r.svc.plat.readSession(r.ctx.Request.Header.Cookie(sessionCookie))
	}
	return r.sess
}

// setSession changes one key and marks the session for writing.
func (r *requestCtx) setSession(key string, v runtime.Value) {
	s := r.session()
	if v == nil {
		s.Delete(key)
	} else {
		s.Set(key, v)
	}
	r.sessDirty = true
}

// csrfToken returns the session's CSRF token, creating one when needed.
func (r *requestCtx) csrfToken() string {
	if t, ok := r.session().Get(csrfKey); ok {
		if s, ok := t.(string); ok && s != "" {
			return s
		}
	}
	var b [16]byte
	rand.Read(b[:])
	t := hex.EncodeToString(b[:])
	r.setSession(csrfKey, t)
	return t
}

// checkCSRF accepts a state-changing browser request only with the
// session's token in the X-CSRF-Token header or the csrf_token field.
func (r *requestCtx) checkCSRF() bool {
	t, _ := r.session().Get(csrfKey)
	want, _ := t.(string)
	if want == "" {
		return false
	}
	got := r.ctx.Request.Header.Peek("X-CSRF-Token")
	if len(got) == 0 {
		got = r.ctx.PostArgs().Peek("csrf_token")
	}
	return hmac.Equal(got, []byte(want))
}

// writeSession sets the cookie when the session changed.
func (r *requestCtx) writeSession() {
	if !r.sessDirty {
		return
	}
	var buf bytes.Buffer
	if err := toJSON(&buf, r.session()); err != nil {
		r.svc.plat.log.Warn("session not saved", "request_id", r.id, "error", err.Error())
		return
	}
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(sessionCookie)
	c.SetValue(r.svc.plat.signSession(buf.Bytes()))
	c.SetPath("/")
	c.SetHTTPOnly(true)
	c.SetSameSite(fasthttp.CookieSameSiteLaxMode)
	c.SetSecure(r.svc.plat.opts.SecureCookies)
	c.SetMaxAge(int(sessionMaxAge.Seconds()))
	r.ctx.Response.Header.SetCookie(c)
}
