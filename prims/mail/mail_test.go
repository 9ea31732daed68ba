package mail_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/internal/smtptest"
	"github.com/rose-ash/sxhost/prims/mail"
)

func send(t *testing.T, srv *smtptest.Server, opts smtptest.Options, url string, m mail.Message) error {
	t.Helper()
	s, err := mail.NewSMTP(mail.Config{URL: url, From: "Rose Ash <noreply@example.org>",
		TLS: &tls.Config{RootCAs: srv.Roots}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Send(ctx, m)
}

// A message with both parts reaches the server over STARTTLS with AUTH, as
// multipart/alternative whose parts decode to what was sent.
func TestSMTPStartTLSAuthBothParts(t *testing.T) {
	opts := smtptest.Options{Username: "mailer", Password: "s3cret"}
	srv := smtptest.Start(t, opts)
	link := "http://127.0.0.1:8005/auth/magic/abc_DEF-123?x=1&y=2"
	err := send(t, srv, opts, srv.URL(opts), mail.Message{To: "Alice <alice@example.org>", Subject: "Sign in to Rose Ash — ünïcode",
		Text: "Follow this link to sign in:\n" + link + "\n", HTML: `<p><a href="` + strings.ReplaceAll(link, "&", "&amp;") + `">Sign in</a></p>`})
	if err != nil {
		t.Fatal(err)
	}
	m := srv.Wait(t, "alice@example.org", 5*time.Second)
	if m.Subject != "Sign in to Rose Ash — ünïcode" {
		t.Errorf("subject %q", m.Subject)
	}
	if !strings.Contains(m.Text, link) {
		t.Errorf("text part lacks the link: %q", m.Text)
	}
	if !strings.Contains(m.HTML, `<a href="http://127.0.0.1:8005/auth/magic/abc_DEF-123?x=1&amp;y=2">`) {
		t.Errorf("html part: %q", m.HTML)
	}
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("content-type %q", ct)
	}
	if m.From != "noreply@example.org" {
		t.Errorf("envelope from %q", m.From)
	}
	if got := mail.Links(m.Text); len(got) != 1 || got[0] != link {
		t.Errorf("links %q", got)
	}
}

// Wrong credentials, an untrusted certificate and a server without TLS
// under the default (mandatory STARTTLS) policy all fail the delivery.
func TestSMTPRefusals(t *testing.T) {
	opts := smtptest.Options{Username: "mailer", Password: "s3cret"}
	srv := smtptest.Start(t, opts)
	bad := smtptest.Options{Username: "mailer", Password: "wrong"}
	m := mail.Message{To: "bob@example.org", Subject: "x", Text: "y"}
	if err := send(t, srv, opts, srv.URL(bad), m); err == nil {
		t.Error("wrong password delivered")
	}
	untrusting, err := mail.NewSMTP(mail.Config{URL: srv.URL(opts), From: "noreply@example.org", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := untrusting.Send(context.Background(), m); err == nil {
		t.Error("delivered to a server whose certificate is not trusted")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages delivered", n)
	}
}

// smtps:// speaks TLS from the first byte; a text-only message is a single
// text/plain part.
func TestSMTPImplicitTLS(t *testing.T) {
	opts := smtptest.Options{TLS: true}
	srv := smtptest.Start(t, opts)
	if err := send(t, srv, opts, srv.URL(opts), mail.Message{To: "carol@example.org", Subject: "Receipt", Text: "Order 7 is paid."}); err != nil {
		t.Fatal(err)
	}
	m := srv.Wait(t, "carol@example.org", 5*time.Second)
	if strings.TrimSpace(m.Text) != "Order 7 is paid." || m.HTML != "" {
		t.Errorf("text %q html %q", m.Text, m.HTML)
	}
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content-type %q", ct)
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", 1000)
	for _, c := range []struct {
		m    mail.Message
		want string
	}{
		{mail.Message{Subject: "s", Text: "t"}, "to:"},
		{mail.Message{To: "not an address", Subject: "s", Text: "t"}, "to:"},
		{mail.Message{To: "a@example.org, b@example.org", Subject: "s", Text: "t"}, "to:"},
		{mail.Message{To: "a@example.org\r\nBcc: x@example.org", Subject: "s", Text: "t"}, "to:"},
		{mail.Message{To: "a@example.org", Subject: "s\r\nBcc: x@example.org", Text: "t"}, "subject:"},
		{mail.Message{To: "a@example.org", Subject: long, Text: "t"}, "subject:"},
		{mail.Message{To: "a@example.org", Subject: "s"}, "a message needs a body"},
		{mail.Message{To: "a@example.org", Subject: "s", Text: "\xff"}, "text:"},
	} {
		err := c.m.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.m, err, c.want)
		}
	}
	if err := (mail.Message{To: "a@example.org", Subject: "", HTML: "<p>x</p>"}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct{ url, from, want string }{
		{"http://host", "a@example.org", "scheme"},
		{"smtp://host", "", "MAIL_FROM is required"},
		{"smtp://host", "nope", "MAIL_FROM"},
		{"smtp://host?tls=maybe", "a@example.org", "tls=maybe"},
		{"smtp://host:99999", "a@example.org", "port"},
		{"smtp://user:hunter2@", "a@example.org", "SMTP_URL must"},
	} {
		_, err := mail.NewSMTP(mail.Config{URL: c.url, From: c.from})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.url, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error carries the password: %v", err)
		}
	}
	s, err := mail.FromEnv(func(k string) string { return "" }, nil)
	if _, ok := s.(*mail.Outbox); !ok || err != nil {
		t.Errorf("without SMTP_URL: %T %v", s, err)
	}
}

func TestOutbox(t *testing.T) {
	o := mail.NewOutbox(2, "noreply@localhost", nil)
	for i, to := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		if err := o.Send(context.Background(), mail.Message{To: to, Subject: "n", Text: "go to https://x.example/" + to + "?n=" + string(rune('0'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	r := o.Recent()
	if len(r) != 2 || r[0].To != "c@example.org" || r[1].To != "b@example.org" {
		t.Fatalf("recent: %+v", r)
	}
	if len(r[0].Links) != 1 || r[0].Links[0] != "https://x.example/c@example.org?n=2" || r[0].From != "noreply@localhost" {
		t.Errorf("kept %+v", r[0])
	}
	if err := o.Send(context.Background(), mail.Message{To: "bad", Subject: "x", Text: "y"}); err == nil {
		t.Error("outbox kept an invalid message")
	}
}
