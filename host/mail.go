package host

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"time"

	"github.com/rose-ash/sxhost/prims/mail"
	"github.com/rose-ash/sxhost/runtime"
)

// Outgoing mail. (mail-send :to … :subject … :text … :html …) validates the
// message and queues it as a mail.send activity in the caller's
// transaction; the service's activity processor delivers it through the
// platform's Sender (Options.Mailer) once the action has committed, and the
// bus retries a failed delivery with back-off. A service that defines its
// own (defactivity mail.send …) handles its mail itself.
//
// Without a Mailer, mail goes to a development outbox (the log, and
// /dev/outbox in development, for loopback clients only).

// mailActivity is the activity type of queued mail.
const mailActivity = "mail.send"

// mailTimeout bounds one delivery (connection, TLS, AUTH and DATA).
const mailTimeout = 30 * time.Second

// mailer returns the platform's sender, a development outbox when none was
// configured.
func (p *Platform) mailer() mail.Sender {
	p.mailOnce.Do(func() {
		p.mail = p.opts.Mailer
		if p.mail == nil {
			p.mail = mail.NewOutbox(0, "sxhost <noreply@localhost>", p.log)
		}
	})
	return p.mail
}

// mailSend is (mail-send :to addr :subject s :text t :html h).
func (s *Service) mailSend(th *runtime.Thread, a []runtime.Value) runtime.Value {
	args := pairs(th, "mail-send", a)
	var m mail.Message
	fields := map[string]*string{"to": &m.To, "subject": &m.Subject, "text": &m.Text, "html": &m.HTML}
	for k, v := range args {
		dst, ok := fields[k]
		if !ok {
			th.Fail("mail-send: unknown argument :%s (to, subject, text, html)", k)
		}
		if v == nil {
			continue
		}
		text, ok := v.(string)
		if !ok {
			th.Fail("mail-send: :%s must be a string, got %s", k, runtime.TypeOf(v))
		}
		*dst = text
	}
	if err := m.Validate(); err != nil {
		// The address usually came from a form: the caller's 400.
		e := th.Errorf("mail-send: %v", err)
		e.Value = &Abort{Status: 400, Message: "mail-send: " + err.Error()}
		panic(e)
	}
	payload := runtime.NewDict(4)
	payload.Set("to", m.To)
	payload.Set("subject", m.Subject)
	payload.Set("text", m.Text)
	payload.Set("html", m.HTML)
	return s.emitActivity(th, []runtime.Value{mailActivity, payload})
}

// deliverMail is the built-in handler of mail.send activities.
func (s *Service) deliverMail(ctx context.Context, payload []byte) error {
	var m mail.Message
	if err := json.Unmarshal(payload, &m); err != nil {
		return fmt.Errorf("mail.send payload: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, mailTimeout)
	defer cancel()
	return s.plat.mailer().Send(ctx, m)
}

// mailOutbox returns the development outbox, or nil when mail goes out
// over SMTP.
func (p *Platform) mailOutbox() *mail.Outbox {
	o, _ := p.mailer().(*mail.Outbox)
	return o
}

// serveOutbox answers /dev/outbox: the development outbox's latest mails
// with their links, to loopback clients only (the links sign people in).
// JSON with ?format=json.
func (s *Service) serveOutbox(r *requestCtx) {
	ctx := r.ctx
	o := s.plat.mailOutbox()
	if o == nil || !ctx.RemoteIP().IsLoopback() {
		writeError(ctx, 404, "no dev outbox here", "")
		return
	}
	ctx.Response.Header.Set("Cache-Control", "no-store")
	if string(ctx.QueryArgs().Peek("format")) == "json" {
		b, err := json.Marshal(o.Recent())
		if err != nil {
			writeError(ctx, 500, err.Error(), "")
			return
		}
		ctx.SetContentType("application/json")
		ctx.SetBody(b)
		return
	}
	ctx.SetContentType("text/html; charset=utf-8")
	if err := outboxPage.Execute(ctx, o.Recent()); err != nil {
		s.plat.log.Warn("dev outbox", "error", err.Error())
	}
}

var outboxPage = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dev outbox</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}
article{border:1px solid #ddd;border-radius:.5rem;padding:1rem;margin:1rem 0}
h2{font-size:1.1rem;margin:0}.meta{color:#666;font-size:.9rem}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}
a{word-break:break-all}</style></head>
<body><h1>Dev outbox</h1>
<p class="meta">Mail this process would have sent (SMTP_URL is not set), newest first. Only loopback clients see this page.</p>
{{range .}}<article><h2>{{.Subject}}</h2>
<p class="meta">To {{.To}} · {{.At.Format "2006-01-02 15:04:05 UTC"}}</p>
{{if .Links}}<ul>{{range .Links}}<li><a href="{{.}}">{{.}}</a></li>{{end}}</ul>{{end}}
{{if .Text}}<pre>{{.Text}}</pre>{{end}}</article>
{{else}}<p>No mail yet.</p>{{end}}
</body></html>
`))
