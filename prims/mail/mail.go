// Package mail sends the platform's outgoing e-mail: magic links now,
// receipts and tickets later.
//
// A Sender delivers one Message. SMTP delivers over SMTP_URL with
// github.com/wneessen/go-mail (STARTTLS or implicit TLS, SMTP AUTH); Outbox
// keeps recent messages in memory and logs them, for development without a
// mail server (federation shows them at /dev/outbox). Services do not call
// a Sender directly: (mail-send …) queues the message on the activity bus
// (the host's mail.send activity), so a message leaves only once the action
// that wrote it has committed, and a failed delivery is retried with
// back-off.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
)

// Message is one e-mail: a plain-text part, an HTML part, or both (then
// multipart/alternative, the text first as RFC 2046 asks).
type Message struct {
	From    string `json:"from,omitempty"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text,omitempty"`
	HTML    string `json:"html,omitempty"`
}

// Limits of a message; larger ones are refused before they are queued.
const (
	maxSubject = 998     // one header line (RFC 5322 §2.1.1)
	maxBody    = 1 << 20 // text and HTML together
)

// Validate checks a message before it is queued: one valid recipient
// address, a one-line subject, a body, and UTF-8 everywhere. Errors name
// the field.
func (m Message) Validate() error {
	if strings.TrimSpace(m.To) == "" {
		return errors.New("to: a recipient address is required")
	}
	if _, err := ParseAddress(m.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("subject: must be one line")
	}
	if len(m.Subject) > maxSubject {
		return fmt.Errorf("subject: longer than %d bytes", maxSubject)
	}
	if m.Text == "" && m.HTML == "" {
		return errors.New("text or html: a message needs a body")
	}
	if len(m.Text)+len(m.HTML) > maxBody {
		return fmt.Errorf("text and html: longer than %d bytes together", maxBody)
	}
	for name, v := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
		if !utf8.ValidString(v) {
			return fmt.Errorf("%s: not valid UTF-8", name)
		}
	}
	return nil
}

// ParseAddress parses one address (with or without a display name) and
// refuses lists, which a single recipient field must not smuggle in.
func ParseAddress(s string) (*netmail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("an address must be one line")
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an e-mail address", s)
	}
	return a, nil
}

// A Sender delivers messages. Send returns only once the message was
// accepted (by the SMTP server, or the outbox).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Config configures an SMTP sender.
type Config struct {
	// URL is SMTP_URL: smtp://[user:pass@]host[:port] sends with STARTTLS
	// (required; port 587 by default), smtps://… over implicit TLS (port
	// 465). The query may say ?tls=opportunistic (STARTTLS when offered)
	// or ?tls=none (a relay on the same machine).
	URL string
	// From is MAIL_FROM, the sender of messages that name none.
	From string
	// TLS replaces the TLS configuration (tests trust their own
	// certificate with it); ServerName is filled in from the URL.
	TLS *tls.Config
	// Timeout bounds a connection's set-up (default 15 s).
	Timeout time.Duration
}

// SMTP delivers over SMTP, one connection per message.
type SMTP struct {
	host string
	opts []gomail.Option
	from string
}

// NewSMTP checks cfg and returns its sender; nothing is dialled yet.
func NewSMTP(cfg Config) (*SMTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, errors.New("SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
	}
	if cfg.From == "" {
		return nil, errors.New("MAIL_FROM is required with SMTP_URL (the sender address, e.g. Rose Ash <noreply@example.org>)")
	}
	if _, err := ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("MAIL_FROM: %w", err)
	}
	host := u.Hostname()
	var opts []gomail.Option
	port := 587
	switch u.Scheme {
	case "smtp":
		policy := gomail.TLSMandatory
		switch u.Query().Get("tls") {
		case "", "starttls":
		case "opportunistic":
			policy = gomail.TLSOpportunistic
		case "none":
			policy = gomail.NoTLS
		default:
			return nil, fmt.Errorf("SMTP_URL: tls=%s: use starttls, opportunistic or none", u.Query().Get("tls"))
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("SMTP_URL: scheme %q: use smtp:// (STARTTLS) or smtps:// (TLS)", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("SMTP_URL: bad port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLS != nil {
		tc = cfg.TLS.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	opts = append(opts, gomail.WithTimeout(timeout))
	return &SMTP{host: host, opts: opts, from: cfg.From}, nil
}

// Send delivers m over a new connection.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}

// build turns m into go-mail's message.
func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	from := m.From
	if from == "" {
		from = s.from
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// Sent is a message the outbox kept, with the links of its text.
type Sent struct {
	Message
	At    time.Time `json:"at"`
	Links []string  `json:"links"`
}

// Outbox is the development sender: it keeps the latest messages in memory
// (newest first) and logs each with its links, so a newcomer running
// `make run` can follow a magic link without a mail server.
type Outbox struct {
	mu   sync.Mutex
	max  int
	sent []Sent
	log  *slog.Logger
	from string
}

// NewOutbox keeps the last max messages (50 when max <= 0) and logs to log
// (nil: no log).
func NewOutbox(max int, from string, log *slog.Logger) *Outbox {
	if max <= 0 {
		max = 50
	}
	return &Outbox{max: max, log: log, from: from}
}

// Send keeps m.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if m.From == "" {
		m.From = o.from
	}
	s := Sent{Message: m, At: time.Now().UTC(), Links: Links(m.Text + "\n" + m.HTML)}
	o.mu.Lock()
	o.sent = append([]Sent{s}, o.sent...)
	if len(o.sent) > o.max {
		o.sent = o.sent[:o.max]
	}
	o.mu.Unlock()
	if o.log != nil {
		o.log.Info("mail (dev outbox: SMTP_URL is not set)", "to", m.To, "subject", m.Subject, "links", strings.Join(s.Links, " "))
	}
	return nil
}

// Recent returns the kept messages, newest first.
func (o *Outbox) Recent() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Sent(nil), o.sent...)
}

var linkPattern = regexp.MustCompile(`https?://[^\s"'<>]+`)

// Links returns the distinct http(s) URLs in s, in order (HTML entities for
// & decoded).
func Links(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range linkPattern.FindAllString(s, -1) {
		l = strings.TrimRight(strings.ReplaceAll(l, "&amp;", "&"), ".,;:)")
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// FromEnv returns the sender the environment asks for: SMTP over SMTP_URL
// (with MAIL_FROM as the sender), else a development outbox. getenv is
// os.Getenv in the command.
func FromEnv(getenv func(string) string, log *slog.Logger) (Sender, error) {
	from := getenv("MAIL_FROM")
	if raw := getenv("SMTP_URL"); raw != "" {
		return NewSMTP(Config{URL: raw, From: from})
	}
	if from == "" {
		from = "sxhost <noreply@localhost>"
	}
	return NewOutbox(0, from, log), nil
}
