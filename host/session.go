package host

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/runtime"
)

// Sessions live in a cookie sealed with AES-256-GCM, so a visitor can
// neither read nor change it:
//
//	sx_session_<service> = "v1." base64url(nonce ‖ seal(expiry ‖ JSON of the session dict))
//
// Each service has its own cookie (auth.go says why), and its name is the
// additional data of the seal, so one service's cookie does not open on
// another.
// expiry is 8 bytes of Unix seconds, checked on every read (the cookie's
// Max-Age is only a request to the browser), and the cookie's name is
// authenticated as additional data. The keys come from SessionKeys
// (SX_SESSION_KEYS, newest first): the first seals, every one opens, so a
// new key is rolled out by putting it first and the old one is retired
// once the sessions it sealed have expired. Each key is HKDF-SHA256 of its
// secret. A cookie that does not open (another format, a retired key, a
// change, past its expiry) is an empty session. The session is read on
// first use and written back only when changed.
//
// Written here on crypto/cipher rather than with gorilla/securecookie:
// the standard library's AEAD does in one call what securecookie composes
// from AES-CTR, HMAC and a timestamp, and the session is already JSON.
const (
	sessionCookie = "sx_session"
	sessionMaxAge = 30 * 24 * time.Hour
	sessionFormat = "v1."
	csrfKey       = "csrf"
)

// SessionKeys splits a list of session secrets (SX_SESSION_KEYS) at commas
// and white space.
func SessionKeys(list string) []string {
	return strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// sessionAEADs returns the ciphers of the session keys, the sealing one
// first: SessionKeys, then SessionSecret, or a random key per process
// (sessions then end with the process) when none is set.
func (p *Platform) sessionAEADs() []cipher.AEAD {
	p.keyOnce.Do(func() {
		secrets := append(append([]string{}, p.opts.SessionKeys...), p.opts.SessionSecret)
		for _, secret := range secrets {
			if secret != "" {
				p.sessionCiphers = append(p.sessionCiphers, sessionCipher([]byte(secret)))
			}
		}
		if len(p.sessionCiphers) == 0 {
			random := make([]byte, 32)
			rand.Read(random)
			p.sessionCiphers = []cipher.AEAD{sessionCipher(random)}
			p.log.Warn("SX_SESSION_KEYS is not set: sessions are sealed with a random key and end when the process does")
		}
	})
	return p.sessionCiphers
}

func sessionCipher(secret []byte) cipher.AEAD {
	key, err := hkdf.Key(sha256.New, secret, nil, "sxhost session cookie v1", 32)
	if err != nil {
		panic(err) // only for lengths hkdf cannot produce; 32 it can
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// sealSession returns the cookie value for a session's JSON, valid until
// expires.
func (p *Platform) sealSession(name string, payload []byte, expires time.Time) string {
	aead := p.sessionAEADs()[0]
	plain := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(payload)), uint64(expires.Unix()))
	plain = append(plain, payload...)
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(out)
	out = aead.Seal(out, out, plain, []byte(name))
	return sessionFormat + base64.RawURLEncoding.EncodeToString(out)
}

// openSession returns the session in a cookie value, or an empty one when
// it does not open with any key or has expired at now.
func (p *Platform) openSession(name string, cookie []byte, now time.Time) *runtime.Dict {
	raw, ok := bytes.CutPrefix(cookie, []byte(sessionFormat))
	if !ok {
		return runtime.NewDict(0)
	}
	if d, ok := p.opened.get(name, raw, now); ok {
		return d
	}
	sealed, err := base64.RawURLEncoding.DecodeString(string(raw))
	if err != nil {
		return runtime.NewDict(0)
	}
	for _, aead := range p.sessionAEADs() {
		if len(sealed) < aead.NonceSize() {
			break
		}
		plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(name))
		if err != nil || len(plain) < 8 {
			continue
		}
		expires := int64(binary.BigEndian.Uint64(plain[:8]))
		if now.Unix() >= expires {
			return runtime.NewDict(0)
		}
		v, err := fromJSON(plain[8:])
		if d, ok := v.(*runtime.Dict); ok && err == nil {
			p.opened.put(name, raw, d, expires)
			return d
		}
		return runtime.NewDict(0)
	}
	return runtime.NewDict(0)
}

// openedMax bounds the opened sessions kept; when full, the cache starts
// afresh (a cookie is cheap to open again).
const openedMax = 4096

// openedSessions keeps what recent session cookies opened to, by cookie
// name and value: a browser sends the same cookie on every request until its
// session changes, and opening it (base64, AES-GCM, JSON) is most of what a
// signed-in request costs beyond an anonymous one. The same sealed bytes
// under the same name and keys always open to the same session, so an entry
// is never stale; the cookie's expiry is checked on every use. Callers get
// copies: a session is changed in place (session/set, dict-set! on a value).
type openedSessions struct {
	mu sync.Mutex
	n  int
	m  map[string]map[string]openedSession // cookie name → value after "v1."
}

type openedSession struct {
	d       *runtime.Dict
	expires int64 // Unix seconds
}

// get returns a copy of the session raw opened to under name, if kept and
// not expired at now.
func (o *openedSessions) get(name string, raw []byte, now time.Time) (*runtime.Dict, bool) {
	o.mu.Lock()
	e, ok := o.m[name][string(raw)]
	o.mu.Unlock()
	if !ok || now.Unix() >= e.expires {
		return nil, false
	}
	return copyValue(e.d).(*runtime.Dict), true
}

// put keeps a copy of d, what raw opened to under name.
func (o *openedSessions) put(name string, raw []byte, d *runtime.Dict, expires int64) {
	kept := openedSession{d: copyValue(d).(*runtime.Dict), expires: expires}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil || o.n >= openedMax {
		o.m, o.n = map[string]map[string]openedSession{}, 0
	}
	byValue := o.m[name]
	if byValue == nil {
		byValue = map[string]openedSession{}
		o.m[name] = byValue
	}
	if _, ok := byValue[string(raw)]; !ok {
		o.n++
	}
	byValue[string(raw)] = kept
}

// copyValue copies the dicts and lists in v (the other values a session
// holds do not change in place).
func copyValue(v runtime.Value) runtime.Value {
	switch x := v.(type) {
	case *runtime.Dict:
		c := runtime.NewDict(x.Len())
		for k, e := range x.All() {
			c.Set(k, copyValue(e))
		}
		return c
	case *runtime.List:
		items := make([]runtime.Value, len(x.Items))
		for i, e := range x.Items {
			items[i] = copyValue(e)
		}
		return runtime.NewList(items...)
	}
	return v
}

// session returns the request's session, reading the cookie once.
func (r *requestCtx) session() *runtime.Dict {
	if r.sess == nil {
		name := r.svc.sessionCookieName()
		r.sess = r.svc.plat.openSession(name, r.ctx.Request.Header.Cookie(name), time.Now())
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
	if len(got) == 0 {
		if v, ok := formValue(r.ctx, "csrf_token"); ok {
			s, _ := v.(string)
			got = []byte(s)
		}
	}
	return hmac.Equal(got, []byte(want))
}

// writeSession sets the cookies whose content changed: the service's
// session and the visitor cookie the services share.
func (r *requestCtx) writeSession() {
	if r.sessDirty {
		r.writeCookie(r.svc.sessionCookieName(), r.session(), "")
	}
	if r.visitorDirty {
		r.writeCookie(visitorCookie, r.visitor, r.svc.plat.opts.CookieDomain)
	}
}

// writeCookie seals d into the cookie name.
func (r *requestCtx) writeCookie(name string, d *runtime.Dict, domain string) {
	var buf bytes.Buffer
	if err := toJSON(&buf, d); err != nil {
		r.svc.plat.log.Warn("session not saved", "request_id", r.ID(), "cookie", name, "error", err.Error())
		return
	}
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	if domain != "" {
		c.SetDomain(domain)
	}
	c.SetKey(name)
	c.SetValue(r.svc.plat.sealSession(name, buf.Bytes(), time.Now().Add(sessionMaxAge)))
	c.SetPath("/")
	c.SetHTTPOnly(true)
	c.SetSameSite(fasthttp.CookieSameSiteLaxMode)
	c.SetSecure(r.svc.plat.opts.SecureCookies)
	c.SetMaxAge(int(sessionMaxAge.Seconds()))
	r.ctx.Response.Header.SetCookie(c)
}
