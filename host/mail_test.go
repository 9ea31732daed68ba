package host_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/internal/smtptest"
	"github.com/rose-ash/sxhost/prims/mail"
)

// mailService sends a mail from an action, rendering the HTML part from a
// component. Its origin is "events", which no other host test emits from.
const mailService = `
(defservice events)

(defcomp ~sign-in-mail (&key link)
  (div (p "Follow this link to sign in:") (a :href link "Sign in")))

(defaction invite (&key (to :str) (subject :str "Sign in") (fail :bool false))
  "Mails a sign-in link, then fails when asked to (the mail must not leave)."
  (let ((link (str "http://127.0.0.1:8005/auth/magic/tok-" to "?next=/a&b=1")))
    (mail-send :to to :subject subject
               :text (str "Follow this link to sign in:\n" link "\n")
               :html (render-to-html (quasiquote (~sign-in-mail :link (unquote link)))))
    (when fail (error "invite failed"))
    {:ok true}))

(defroute outbox-size :path "/size" ()
  (str (len (sql/rows "select id from ap_activities where origin_app = 'events'"))))
`

func startMail(t *testing.T, opts host.Options) (*served, *host.Platform) {
	t.Helper()
	execSQL(t, "delete from ap_activities where origin_app = 'events'")
	opts.DB = openPool(t, dbURL)
	s, p, _ := startService(t, mailService, opts)
	return s, p
}

// mail-send in an action: nothing leaves before the commit, an action that
// fails sends nothing, the processor delivers over SMTP (STARTTLS + AUTH) a
// message with a text and an HTML part rendered from a component, a
// temporary SMTP failure is retried, and the sent row keeps no body.
func TestMailSentAfterCommitWithRetries(t *testing.T) {
	opts := smtptest.Options{Username: "mailer", Password: "pw"}
	srv := smtptest.Start(t, opts)
	sender, err := mail.NewSMTP(mail.Config{URL: srv.URL(opts), From: "Rose Ash <noreply@example.org>",
		TLS: &tls.Config{RootCAs: srv.Roots}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, p := startMail(t, host.Options{Mailer: sender, Activities: host.ActivityOptions{Backoff: time.Millisecond}})
	svc := p.Service("events")
	ctx := context.Background()

	wantStatus(t, postJSON(t, s.URL+"/internal/actions/invite", `{"to":"lost@example.org","fail":true}`), 500, "an action that fails")
	wantStatus(t, postJSON(t, s.URL+"/internal/actions/invite", `{"to":"alice@example.org"}`), 200, "an action that mails")
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages left before the processor ran", n)
	}
	srv.FailNext(1)
	if _, err := svc.ProcessActivities(ctx); err != nil {
		t.Fatal(err)
	}
	c := directConn(t)
	if n := countRows(t, c, "ap_activities", "origin_app = 'events' and activity_type = 'mail.send' and process_state = 'pending' and attempts = 1 and last_error like '%451%'"); n != 1 {
		t.Fatalf("the temporary failure was not recorded for a retry (%d rows)", n)
	}
	eventually(t, 5*time.Second, "the retry delivers", func() bool {
		svc.ProcessActivities(ctx)
		return len(srv.Messages()) == 1
	})
	m := srv.Wait(t, "alice@example.org", time.Second)
	link := "http://127.0.0.1:8005/auth/magic/tok-alice@example.org?next=/a&b=1"
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `<a href="http://127.0.0.1:8005/auth/magic/tok-alice@example.org?next=/a&amp;b=1">Sign in</a>`) {
		t.Errorf("text %q\nhtml %q", m.Text, m.HTML)
	}
	if m.Subject != "Sign in" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, msg := range srv.Messages() {
		if msg.To[0] == "lost@example.org" {
			t.Error("the failed action's mail was sent")
		}
	}
	if n := countRows(t, c, "ap_activities", "origin_app = 'events' and activity_type = 'mail.send' and process_state = 'done' and payload->>'to' = 'alice@example.org' and not payload ? 'text' and not payload ? 'html'"); n != 1 {
		t.Errorf("the sent mail's row still holds its body (or is not done): %d rows", n)
	}
}

// Bad messages are the caller's 400, naming the field, and queue nothing.
func TestMailSendRefusesBadMessages(t *testing.T) {
	s, _ := startMail(t, host.Options{Mailer: mail.NewOutbox(0, "x@example.org", nil)})
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/invite", `{"to":"not an address"}`), 400, "a bad address", "mail-send: to:")
	wantJSONError(t, postJSON(t, s.URL+"/internal/actions/invite", `{"to":"a@example.org","subject":"x\r\nBcc: eve@example.org"}`), 400, "a header injection", "mail-send: subject:")
	wantStatus(t, get(t, s.URL+"/size"), 200, "count")
	if r := get(t, s.URL+"/size"); r.Body != "0" {
		t.Errorf("%s activities queued for refused mail", r.Body)
	}
}

// Without a mailer, mail goes to the development outbox: /dev/outbox lists
// it with its links to loopback clients (in dev only), as HTML and JSON.
func TestMailDevOutbox(t *testing.T) {
	s, p := startMail(t, host.Options{Dev: true})
	wantStatus(t, postJSON(t, s.URL+"/internal/actions/invite", `{"to":"bob@example.org"}`), 200, "an action that mails")
	if _, err := p.Service("events").ProcessActivities(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := get(t, s.URL+"/dev/outbox?format=json")
	wantStatus(t, r, 200, "outbox JSON")
	var sent []mail.Sent
	if err := json.Unmarshal([]byte(r.Body), &sent); err != nil || len(sent) != 1 {
		t.Fatalf("outbox: %v %s", err, r.Body)
	}
	if sent[0].To != "bob@example.org" || len(sent[0].Links) != 1 || sent[0].Links[0] != "http://127.0.0.1:8005/auth/magic/tok-bob@example.org?next=/a&b=1" {
		t.Errorf("kept %+v", sent[0])
	}
	page := get(t, s.URL+"/dev/outbox")
	wantStatus(t, page, 200, "outbox page")
	if !strings.Contains(page.Body, `<a href="http://127.0.0.1:8005/auth/magic/tok-bob@example.org?next=/a&amp;b=1">`) || page.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("outbox page: %s", page.Body)
	}

	// Not in production mode: there is no such page.
	prod, _ := startMail(t, host.Options{})
	wantStatus(t, get(t, prod.URL+"/dev/outbox"), 404, "outbox without dev")
}

// The development outbox writes each mail, links included, to the log, and
// its page answers loopback clients only: the links sign people in. The
// service is served on a non-loopback address of this machine and asked
// from it.
func TestMailDevOutboxLoggedAndLoopbackOnly(t *testing.T) {
	var logged logBuffer
	s, p := startMail(t, host.Options{Dev: true, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	wantStatus(t, postJSON(t, s.URL+"/internal/actions/invite", `{"to":"carol@example.org"}`), 200, "an action that mails")
	if _, err := p.Service("events").ProcessActivities(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l := logged.String(); !strings.Contains(l, "dev outbox") || !strings.Contains(l, "carol@example.org") ||
		!strings.Contains(l, "http://127.0.0.1:8005/auth/magic/tok-carol@example.org") {
		t.Errorf("the log does not show the mail and its link:\n%s", l)
	}
	var ip net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Skipf("listen on %s: %v", ip, err)
	}
	far := serveOn(t, p.Service("events"), ln)
	wantStatus(t, get(t, far.URL+"/dev/outbox"), 404, "the outbox asked from "+ip.String())
	wantStatus(t, get(t, far.URL+"/dev/outbox?format=json"), 404, "the outbox's JSON asked from "+ip.String())
	wantStatus(t, get(t, s.URL+"/dev/outbox"), 200, "the outbox asked from 127.0.0.1")
}
