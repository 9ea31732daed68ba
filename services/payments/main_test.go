// Package payments_test tests checkout and payment (issue 15,
// docs/payments.md) end to end over HTTP and in Chromium: the six services
// in one process on the demo cooperative of seed/demo.sx, the SumUp
// stand-in (internal/sumupfake) as SumUp, a real SMTP server
// (internal/smtptest) for receipts, and the activity processors and jobs
// running as under `sxhost run`.
package payments_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/browsertest"
	"github.com/rose-ash/sxhost/internal/pgtest"
	"github.com/rose-ash/sxhost/internal/smtptest"
	"github.com/rose-ash/sxhost/internal/sumupfake"
	"github.com/rose-ash/sxhost/migrations"
	"github.com/rose-ash/sxhost/prims/mail"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
)

var (
	db    *pgxpool.Pool
	setup sync.Once
	world *platform
)

// platform is the running test world.
type platform struct {
	plat *host.Platform
	urls map[string]string
	pay  *sumupfake.Server
	smtp *smtptest.Server
	stop func() // the activity processors and jobs
}

func TestMain(m *testing.M) {
	dbURL, drop, err := pgtest.Create("sx_payments")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	db, err = host.OpenDatabase(ctx, dbURL, sqlprims.Options{})
	if err == nil {
		_, err = migrations.Up(ctx, db, migrations.FS)
	}
	if err == nil {
		err = seed(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		drop()
		os.Exit(1)
	}
	code := m.Run()
	if world != nil {
		world.stop()
		world.pay.Close()
	}
	browsertest.Shutdown()
	db.Close()
	drop()
	os.Exit(code)
}

var serviceNames = []string{"blog", "market", "cart", "events", "federation", "account"}

func files() []string {
	var f []string
	for _, n := range serviceNames {
		f = append(f, filepath.Join("..", n+".sx"))
	}
	return f
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func seed(ctx context.Context) error {
	p, err := host.New(files(), host.Options{DB: db, Logger: quiet()})
	if err != nil {
		return err
	}
	if _, err = p.RunScript(ctx, "../../seed/demo.sx", io.Discard); err != nil {
		return err
	}
	for round := 0; round < 3; round++ {
		for _, svc := range p.Services() {
			if _, err := svc.ProcessActivities(ctx); err != nil {
				return err
			}
		}
	}
	// The shop's page pays to the stand-in's account with a key of its own;
	// the events page has none and uses SUMUP_API_KEY (the environment).
	_, err = db.Exec(ctx, `update page_configs set sumup_merchant_code = 'MSHOP001', sumup_api_key = 'sup_sk_shop',
		features = features || '{"vat_rate": 20}' where sumup_checkout_prefix = 'shop'`)
	return err
}

// keepAlive lets the shared world outlive the test that started it.
type keepAlive struct{ *testing.T }

func (k *keepAlive) Cleanup(func()) {}

// start returns the shared world, starting it on first use.
func start(t *testing.T) *platform {
	setup.Do(func() {
		k := &keepAlive{T: t}
		pay, err := sumupfake.Start("127.0.0.1:0", sumupfake.Options{Merchants: map[string]sumupfake.Merchant{
			"sup_sk_shop": {Code: "MSHOP001", Name: "Rose Ash shop", Country: "GB"},
			"sup_sk_env":  {Code: "MENV0001", Name: "Rose Ash events", Country: "GB"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		smtp := smtptest.Start(k, smtptest.Options{})
		sender, err := mail.NewSMTP(mail.Config{URL: smtp.URL(smtptest.Options{}), From: "Rose Ash <noreply@example.org>",
			TLS: &tls.Config{RootCAs: smtp.Roots}})
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"SUMUP_API_URL": pay.URL(), "SUMUP_API_KEY": "sup_sk_env", "SUMUP_MERCHANT_CODE": "MENV0001"}
		p, err := host.New(files(), host.Options{DB: db, Logger: quiet(), SessionKeys: []string{"payments-test-key"},
			Getenv: func(k string) string { return env[k] }, Mailer: sender,
			Activities: host.ActivityOptions{Poll: 50 * time.Millisecond, Backoff: 100 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		urls := map[string]string{}
		for _, svc := range p.Services() {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go host.NewServer(svc).Serve(ln)
			urls[svc.Name] = "http://" + ln.Addr().String()
			p.SetPublicURL(svc.Name, urls[svc.Name])
		}
		stop := p.StartActivityProcessors(context.Background())
		world = &platform{plat: p, urls: urls, pay: pay, smtp: smtp, stop: stop}
	})
	if world == nil {
		t.Fatal("the test world did not start")
	}
	return world
}

// visitor is a browser without JavaScript: its own cookies, redirects not
// followed.
type visitor struct {
	t      *testing.T
	w      *platform
	client *http.Client
}

func (w *platform) visitor(t *testing.T) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, w: w, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// member is a visitor signed in as a seed user on every service.
func (w *platform) member(t *testing.T, email string) *visitor {
	v := w.visitor(t)
	var id int
	var name string
	var admin bool
	if err := db.QueryRow(context.Background(), "select id, name, is_admin from users where email = $1", email).Scan(&id, &name, &admin); err != nil {
		t.Fatal(err)
	}
	for _, s := range serviceNames {
		n, val, _ := w.plat.VisitorSession(s, map[string]any{"id": id, "email": email, "name": name, "admin": admin})
		u, _ := url.Parse(w.urls[s])
		v.client.Jar.SetCookies(u, []*http.Cookie{{Name: n, Value: val, Path: "/"}})
	}
	return v
}

type answer struct {
	t      *testing.T
	what   string
	Status int
	Header http.Header
	Body   string
}

func (a answer) want(status int) answer {
	a.t.Helper()
	if a.Status != status {
		b := a.Body
		if len(b) > 1500 {
			b = b[:1500]
		}
		a.t.Fatalf("%s: status %d, want %d: %s", a.what, a.Status, status, b)
	}
	return a
}

func (a answer) has(parts ...string) answer {
	a.t.Helper()
	for _, p := range parts {
		if !strings.Contains(a.Body, p) {
			a.t.Errorf("%s: no %q in the answer", a.what, p)
		}
	}
	return a
}

func (v *visitor) do(method, u string, form url.Values, headers ...string) answer {
	v.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		v.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{t: v.t, what: method + " " + u, Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func (v *visitor) get(u string, headers ...string) answer {
	v.t.Helper()
	return v.do("GET", u, nil, headers...)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// post submits a form with the CSRF token of the page at from.
func (v *visitor) post(u, from string, form url.Values, headers ...string) answer {
	v.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	m := csrfRE.FindStringSubmatch(v.get(from).want(200).Body)
	if m == nil {
		v.t.Fatalf("no CSRF field in %s", from)
	}
	form.Set("csrf_token", m[1])
	return v.do("POST", u, form, headers...)
}

func scalar[T any](t *testing.T, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10 s", what)
}
