package host

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

func sessionPlatform(keys ...string) *Platform {
	return &Platform{opts: Options{SessionKeys: keys}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func userOf(d *runtime.Dict) any {
	v, _ := d.Get("user")
	return v
}

// TestSessionCookieSealed: the cookie hides its content, opens until its
// expiry and not after, and any change to it empties the session.
func TestSessionCookieSealed(t *testing.T) {
	p := sessionPlatform("k1")
	now := time.Unix(1_800_000_000, 0)
	cookie := p.sealSession("sx_session_t", []byte(`{"user":"ann-secret"}`), now.Add(time.Hour))
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(cookie, sessionFormat))
	if err != nil || !strings.HasPrefix(cookie, sessionFormat) {
		t.Fatalf("cookie %q: %v", cookie, err)
	}
	if bytes.Contains(raw, []byte("ann-secret")) || strings.Contains(cookie, base64.RawURLEncoding.EncodeToString([]byte(`"ann-secret"`))) {
		t.Errorf("the cookie shows its content: %q", cookie)
	}
	if got := userOf(p.openSession("sx_session_t", []byte(cookie), now)); got != "ann-secret" {
		t.Errorf("before expiry: user %v", got)
	}
	if got := userOf(p.openSession("sx_session_t", []byte(cookie), now.Add(time.Hour))); got != nil {
		t.Errorf("at expiry: user %v, want an empty session", got)
	}
	for i := range raw {
		changed := append([]byte(nil), raw...)
		changed[i] ^= 1
		if got := userOf(p.openSession("sx_session_t", []byte(sessionFormat+base64.RawURLEncoding.EncodeToString(changed)), now)); got != nil {
			t.Fatalf("byte %d changed, session still opens: %v", i, got)
		}
	}
	for _, bad := range []string{"", "v1.", "v1.!!", "eyJ1c2VyIjoiYW5uIn0.abcdef", "v2." + strings.TrimPrefix(cookie, sessionFormat)} {
		if got := userOf(p.openSession("sx_session_t", []byte(bad), now)); got != nil {
			t.Errorf("%q opens: %v", bad, got)
		}
	}
}

// TestSessionKeyRotation: a new key put first seals new cookies while the
// old one, still listed, opens the cookies it sealed; once removed, they
// no longer open.
func TestSessionKeyRotation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	old := sessionPlatform("k1").sealSession("sx_session_t", []byte(`{"user":"ann"}`), now.Add(time.Hour))
	rotating := sessionPlatform("k2", "k1")
	if got := userOf(rotating.openSession("sx_session_t", []byte(old), now)); got != "ann" {
		t.Errorf("old cookie during rotation: user %v", got)
	}
	fresh := rotating.sealSession("sx_session_t", []byte(`{"user":"ben"}`), now.Add(time.Hour))
	if got := userOf(sessionPlatform("k2").openSession("sx_session_t", []byte(fresh), now)); got != "ben" {
		t.Errorf("new cookie not sealed with the first key: user %v", got)
	}
	if got := userOf(sessionPlatform("k2").openSession("sx_session_t", []byte(old), now)); got != nil {
		t.Errorf("old cookie after the old key's retirement: user %v", got)
	}
	if got := SessionKeys(" k2, k1\tk0 "); strings.Join(got, "|") != "k2|k1|k0" {
		t.Errorf("SessionKeys: %q", got)
	}
}

// TestSessionCookieBoundToService: a cookie sealed under one service's
// cookie name does not open under another's, even with the same keys.
func TestSessionCookieBoundToService(t *testing.T) {
	p := sessionPlatform("k1")
	now := time.Unix(1_800_000_000, 0)
	cookie := p.sealSession("sx_session_blog", []byte(`{"user":"ann"}`), now.Add(time.Hour))
	if got := userOf(p.openSession("sx_session_blog", []byte(cookie), now)); got != "ann" {
		t.Errorf("own service: user %v", got)
	}
	if got := userOf(p.openSession("sx_session_market", []byte(cookie), now)); got != nil {
		t.Errorf("blog's cookie opens on market: user %v", got)
	}
}

// TestOpenedSessionsKept: a cookie seen again opens from the kept session,
// and each request gets its own copy: changing one in place, nested values
// too, changes neither the kept session nor another request's.
func TestOpenedSessionsKept(t *testing.T) {
	p := sessionPlatform("k1")
	now := time.Unix(1_800_000_000, 0)
	cookie := []byte(p.sealSession("sx_session_t", []byte(`{"user":{"id":7,"roles":["editor"]},"csrf":"t1"}`), now.Add(time.Hour)))
	first := p.openSession("sx_session_t", cookie, now)
	if n := len(p.opened.m["sx_session_t"]); n != 1 {
		t.Fatalf("%d sessions kept after the first open, want 1", n)
	}
	first.Set("csrf", "changed")
	user, _ := first.Get("user")
	user.(*runtime.Dict).Set("id", int64(8))
	roles, _ := user.(*runtime.Dict).Get("roles")
	roles.(*runtime.List).Items[0] = "admin"
	second := p.openSession("sx_session_t", cookie, now)
	if got := runtime.Print(second); got != `{:user {:id 7 :roles ("editor")} :csrf "t1"}` {
		t.Errorf("second open after the first was changed: %s", got)
	}
	second.Set("csrf", "changed again")
	if got, _ := p.openSession("sx_session_t", cookie, now).Get("csrf"); got != "t1" {
		t.Errorf("third open after the second was changed: csrf %v", got)
	}
	// Bounded: past openedMax the cache starts afresh.
	for i := range openedMax + 1 {
		p.opened.put("sx_session_t", []byte(fmt.Sprint("other", i)), runtime.NewDict(0), now.Unix()+60)
	}
	if p.opened.n > openedMax {
		t.Errorf("%d sessions kept, want at most %d", p.opened.n, openedMax)
	}
}
