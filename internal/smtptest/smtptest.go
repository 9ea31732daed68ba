// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 for tests, and parses what it receives: tests send mail the
// way production does and read the magic link out of the delivered
// message.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/rose-ash/sxhost/prims/mail"
)

// Options choose the server's security.
type Options struct {
	// TLS serves implicit TLS (smtps://); otherwise plain SMTP that offers
	// STARTTLS.
	TLS bool
	// Username and Password, when set, are required (AUTH PLAIN).
	Username, Password string
}

// Server is a running test SMTP server.
type Server struct {
	Host string
	Port int
	// Roots trusts the server's self-signed certificate.
	Roots *x509.CertPool

	srv    *smtp.Server
	mu     sync.Mutex
	msgs   []*Message
	arrive chan struct{}
	fail   int
}

// Message is a delivered message.
type Message struct {
	From    string
	To      []string
	Raw     []byte
	Header  netmail.Header
	Subject string
	Text    string
	HTML    string
}

// Start starts a server on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, roots, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Roots: roots, arrive: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, opts: opts}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	var ln net.Listener
	if opts.TLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", s.srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// URL is an SMTP_URL for the server: smtp:// (STARTTLS) or smtps://, with
// the credentials when the server requires them.
func (s *Server) URL(opts Options) string {
	scheme := "smtp"
	if opts.TLS {
		scheme = "smtps"
	}
	user := ""
	if opts.Username != "" {
		user = opts.Username + ":" + opts.Password + "@"
	}
	return fmt.Sprintf("%s://%s%s:%d", scheme, user, s.Host, s.Port)
}

// Sender is a mail.Sender that delivers to the server over STARTTLS,
// trusting its certificate: what a platform under test gets as its Mailer.
func (s *Server) Sender(t testing.TB) mail.Sender {
	t.Helper()
	sender, err := mail.NewSMTP(mail.Config{URL: s.URL(Options{}), From: "Rose Ash <noreply@example.org>",
		TLS: &tls.Config{RootCAs: s.Roots}})
	if err != nil {
		t.Fatal(err)
	}
	return sender
}

// FailNext makes the next n deliveries fail with a temporary error (451).
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.fail = n
	s.mu.Unlock()
}

// Messages returns what was delivered so far, oldest first.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// MessageTo returns the n-th (from 0) message delivered to the address to
// (compared without case), or nil while there are not that many.
func (s *Server) MessageTo(to string, n int) *Message {
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, to) {
				if n == 0 {
					return m
				}
				n--
				break
			}
		}
	}
	return nil
}

// WaitLink waits up to timeout for the n-th (from 0) message to the address
// to and returns the first link in its text that contains part (a magic
// link: "/auth/magic/"). poll, when not nil, runs before each look (a test
// without activity processors sends the queued mail with it). The test
// fails without such a message or link.
func (s *Server) WaitLink(t testing.TB, to string, n int, part string, timeout time.Duration, poll func()) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if poll != nil {
			poll()
		}
		if m := s.MessageTo(to, n); m != nil {
			for _, l := range mail.Links(m.Text) {
				if strings.Contains(l, part) {
					return l
				}
			}
			t.Fatalf("smtptest: no link with %q in %q", part, m.Text)
		}
		select {
		case <-s.arrive:
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("smtptest: no message %d to %s within %s", n, to, timeout)
	return ""
}

// Wait returns the first delivered message to the address to (compared
// without case), waiting up to timeout; the test fails without one.
func (s *Server) Wait(t testing.TB, to string, timeout time.Duration) *Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, m := range s.Messages() {
			for _, r := range m.To {
				if strings.EqualFold(r, to) {
					return m
				}
			}
		}
		select {
		case <-s.arrive:
		case <-deadline:
			t.Fatalf("smtptest: no message to %s within %s (%d delivered)", to, timeout, len(s.Messages()))
			return nil
		}
	}
}

type session struct {
	s      *Server
	opts   Options
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string {
	if x.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.opts.Username || password != x.opts.Password {
			return smtp.ErrAuthFailed
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.opts.Username != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	if x.s.fail > 0 {
		x.s.fail--
		x.s.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later (smtptest)"}
	}
	x.s.mu.Unlock()
	m, err := parse(raw)
	if err != nil {
		return err
	}
	m.From, m.To = x.from, append([]string(nil), x.to...)
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	select {
	case x.s.arrive <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// parse reads a message's subject and its text/plain and text/html parts.
func parse(raw []byte) (*Message, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return nil, err
	}
	m := &Message{Raw: raw, Header: msg.Header, Subject: subject}
	err = readPart(m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m, err
}

func readPart(m *Message, contentType, encoding string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := readPart(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}

// newlineStripper drops CR and LF, which base64 bodies wrap with.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}
