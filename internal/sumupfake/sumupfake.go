// Package sumupfake is a stand-in for SumUp's online payments API, for tests
// and for `make run`: SumUp cannot be reached from a test machine, and a
// demo must not move money. It serves the parts of the API the platform
// uses, with SumUp's paths, JSON shapes, status values and error answers,
// and a hosted checkout page that says plainly it is a test payment page
// and offers two buttons, Pay and Fail.
//
// Where each behaviour comes from (SumUp developer documentation,
// developer.sumup.com, as read in December 2026):
//
//   - POST /v0.1/checkouts — "Create a checkout" (api/checkouts/create):
//     JSON body checkout_reference (required; the Checkout object allows
//     up to 90 characters), amount (required, major units), currency
//     (required, one of the listed ISO 4217 codes), merchant_code
//     (required), description, return_url (server-to-server
//     notifications), redirect_url (where the payer's browser goes after
//     processing), hosted_checkout {enabled}. Answer 201 with the Checkout
//     object: id, status PENDING, date, transactions [], and with
//     hosted_checkout enabled, hosted_checkout and hosted_checkout_url
//     ("Hosted Checkout", online-payments/tools/hosted-checkout).
//     A second checkout with the same checkout_reference for the merchant
//     is 409 {"error_code": "DUPLICATED_CHECKOUT", "message": …}.
//   - GET /v0.1/checkouts/{id} — "Retrieve a checkout": the Checkout
//     object; status is one of PENDING, FAILED, PAID, EXPIRED (the Checkout
//     object's status enumeration); transactions lists the payment
//     attempts. An unknown id (or another merchant's) is the "Checkout Not
//     Found" problem (problem/checkout-not-found): 404
//     {"type", "title": "Not Found", "status": 404, "detail"}.
//   - DELETE /v0.1/checkouts/{id} — "Deactivate a checkout"
//     (api/checkouts/deactivate): a pending checkout can no longer be paid
//     (status EXPIRED) and is answered; one already processed cannot be
//     deactivated: 409, the "Session Can't Be Deactivated" problem.
//   - GET /v0.1/checkouts?checkout_reference=… — "List checkouts": an
//     array of the merchant's checkouts with that reference (how a client
//     finds the checkout a lost answer created).
//   - GET /v0.1/me/merchant-profile and GET /v0.1/me — the authenticated
//     merchant's profile (merchant_code, company_name, country, locale,
//     default_currency; /v0.1/me wraps it in merchant_profile).
//   - Authentication — "API Reference / Authentication": Authorization:
//     Bearer <API key>. No header is the "Missing Token" problem, 401
//     {"message": "access token required", "error_code": "NOT_AUTHORIZED"};
//     an unknown key is "Invalid Token", 401 {"error_message": "invalid
//     access token", "error_code": "NOT_AUTHORIZED"}. A merchant_code other
//     than the key's is "Forbidden", 403.
//   - Bad input — "Invalid Parameter" (problem/invalid-parameter): 400
//     {"message": "Validation error", "error_code": "INVALID", "param": …};
//     a missing required field uses error_code MISSING.
//   - Webhooks — "Webhooks" (online-payments/webhooks): when a checkout's
//     status changes SumUp POSTs {"event_type": "CHECKOUT_STATUS_CHANGED",
//     "id": "<checkout id>"} to its return_url; any 2xx is success, any
//     other answer (or a slow one) is retried after 1 minute, 5 minutes,
//     20 minutes and 2 hours. The payload carries no status: the receiver
//     must GET the checkout. Here the retry delays are multiplied by
//     Options.RetryScale (1/1000 by default: 60 ms, 300 ms, 1.2 s, 7.2 s).
//
// Not from SumUp: the hosted page's look (a plain form marked "Test payment
// page"), the test controls (SetStatus, Notify, DropWebhooks) and the
// stand-in's paths /pay/{id}, which SumUp serves from its own domain.
package sumupfake

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Statuses of a checkout (the Checkout object's status enumeration).
const (
	Pending = "PENDING"
	Paid    = "PAID"
	Failed  = "FAILED"
	Expired = "EXPIRED"
)

// currencies SumUp lists for checkouts.
var currencies = map[string]bool{"BGN": true, "BRL": true, "CHF": true, "CLP": true, "COP": true, "CZK": true,
	"DKK": true, "EUR": true, "GBP": true, "HRK": true, "HUF": true, "NOK": true, "PLN": true, "RON": true,
	"SEK": true, "USD": true}

// retrySchedule is SumUp's webhook retry schedule before scaling.
var retrySchedule = []time.Duration{time.Minute, 5 * time.Minute, 20 * time.Minute, 2 * time.Hour}

// Merchant is an account the stand-in knows, by API key.
type Merchant struct {
	Code    string
	Name    string
	Country string
}

// Options configure a stand-in.
type Options struct {
	// Merchants by API key; empty: one merchant "MTEST0001" ("Test
	// merchant") with the key "sup_sk_test".
	Merchants map[string]Merchant
	// RetryScale multiplies SumUp's webhook retry delays (default 0.001).
	RetryScale float64
	// WebhookTimeout is how long a webhook receiver may take (default 5 s).
	WebhookTimeout time.Duration
}

// Transaction is one payment attempt on a checkout.
type Transaction struct {
	ID              string  `json:"id"`
	TransactionCode string  `json:"transaction_code"`
	Amount          float64 `json:"amount"`
	Currency        string  `json:"currency"`
	Status          string  `json:"status"` // SUCCESSFUL | FAILED
	Timestamp       string  `json:"timestamp"`
	PaymentType     string  `json:"payment_type"`
}

// Checkout is SumUp's Checkout object.
type Checkout struct {
	ID                string          `json:"id"`
	CheckoutReference string          `json:"checkout_reference"`
	Amount            float64         `json:"amount"`
	Currency          string          `json:"currency"`
	MerchantCode      string          `json:"merchant_code"`
	MerchantName      string          `json:"merchant_name,omitempty"`
	Description       string          `json:"description,omitempty"`
	ReturnURL         string          `json:"return_url,omitempty"`
	RedirectURL       string          `json:"redirect_url,omitempty"`
	Status            string          `json:"status"`
	Date              string          `json:"date"`
	ValidUntil        *string         `json:"valid_until"`
	Transactions      []Transaction   `json:"transactions"`
	HostedCheckout    *hostedCheckout `json:"hosted_checkout,omitempty"`
	HostedCheckoutURL string          `json:"hosted_checkout_url,omitempty"`
}

type hostedCheckout struct {
	Enabled bool `json:"enabled"`
}

// Delivery is one webhook attempt, for tests.
type Delivery struct {
	CheckoutID string
	URL        string
	Status     int // 0: no answer
	At         time.Time
}

// Server is a running stand-in.
type Server struct {
	opts Options
	srv  *http.Server
	ln   net.Listener
	url  string

	mu         sync.Mutex
	checkouts  map[string]*Checkout
	deliveries []Delivery
	drop       bool
	client     *http.Client
	ctx        context.Context
	stop       context.CancelFunc
	wg         sync.WaitGroup
}

// Start serves a stand-in on addr ("127.0.0.1:0" for any free port).
func Start(addr string, opts Options) (*Server, error) {
	if len(opts.Merchants) == 0 {
		opts.Merchants = map[string]Merchant{"sup_sk_test": {Code: "MTEST0001", Name: "Test merchant", Country: "GB"}}
	}
	if opts.RetryScale <= 0 {
		opts.RetryScale = 0.001
	}
	if opts.WebhookTimeout <= 0 {
		opts.WebhookTimeout = 5 * time.Second
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{opts: opts, ln: ln, url: "http://" + ln.Addr().String(), checkouts: map[string]*Checkout{},
		client: &http.Client{Timeout: opts.WebhookTimeout}, ctx: ctx, stop: stop}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// URL is the stand-in's base URL (SUMUP_API_URL).
func (s *Server) URL() string { return s.url }

// Close stops serving and abandons pending webhook retries.
func (s *Server) Close() error {
	s.stop()
	err := s.srv.Close()
	s.wg.Wait()
	return err
}

// Handler serves the API and the hosted page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v0.1/checkouts", s.create)
	mux.HandleFunc("GET /v0.1/checkouts", s.list)
	mux.HandleFunc("GET /v0.1/checkouts/{id}", s.get)
	mux.HandleFunc("DELETE /v0.1/checkouts/{id}", s.deactivate)
	mux.HandleFunc("GET /v0.1/me/merchant-profile", s.profile(false))
	mux.HandleFunc("GET /v0.1/me", s.profile(true))
	mux.HandleFunc("GET /pay/{id}", s.page)
	mux.HandleFunc("POST /pay/{id}/{outcome}", s.decide)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "SumUp stand-in (test payment service): no money moves here.")
	})
	return mux
}

// --- test controls ---------------------------------------------------------

// Checkout returns a copy of a checkout, or nil.
func (s *Server) Checkout(id string) *Checkout {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.checkouts[id]
	if c == nil {
		return nil
	}
	cp := *c
	cp.Transactions = append([]Transaction(nil), c.Transactions...)
	return &cp
}

// Checkouts returns copies of every checkout.
func (s *Server) Checkouts() []Checkout {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Checkout
	for _, c := range s.checkouts {
		out = append(out, *c)
	}
	return out
}

// SetStatus moves a pending checkout to status (PAID, FAILED or EXPIRED)
// as a payment or its expiry would, sending the webhook when notify is
// true (false: a lost webhook).
func (s *Server) SetStatus(id, status string, notify bool) error {
	s.mu.Lock()
	c := s.checkouts[id]
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("no checkout %s", id)
	}
	if c.Status != Pending {
		s.mu.Unlock()
		return fmt.Errorf("checkout %s is %s", id, c.Status)
	}
	s.settle(c, status)
	s.mu.Unlock()
	if notify {
		s.Notify(id)
	}
	return nil
}

// Notify sends (another) CHECKOUT_STATUS_CHANGED webhook for a checkout,
// with retries, as SumUp does after a change.
func (s *Server) Notify(id string) {
	s.mu.Lock()
	c := s.checkouts[id]
	drop := s.drop
	s.mu.Unlock()
	if c == nil || c.ReturnURL == "" || drop {
		return
	}
	s.wg.Add(1)
	go s.deliver(c.ID, c.ReturnURL)
}

// DropWebhooks stops (true) or resumes sending webhooks: SumUp's
// notifications lost on the way.
func (s *Server) DropWebhooks(drop bool) {
	s.mu.Lock()
	s.drop = drop
	s.mu.Unlock()
}

// Deliveries returns the webhook attempts so far.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// --- API ----------------------------------------------------------------------

// merchant authenticates a request; it answers and returns false when the
// key is missing or unknown.
func (s *Server) merchant(w http.ResponseWriter, r *http.Request) (Merchant, bool) {
	h := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(h, "Bearer ")
	if h == "" || !ok || key == "" {
		writeJSON(w, 401, map[string]string{"message": "access token required", "error_code": "NOT_AUTHORIZED"})
		return Merchant{}, false
	}
	m, ok := s.opts.Merchants[key]
	if !ok {
		writeJSON(w, 401, map[string]string{"error_message": "invalid access token", "error_code": "NOT_AUTHORIZED"})
		return Merchant{}, false
	}
	return m, true
}

func invalid(w http.ResponseWriter, code, param string) {
	writeJSON(w, 400, map[string]string{"message": "Validation error", "error_code": code, "param": param})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	m, ok := s.merchant(w, r)
	if !ok {
		return
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&body); err != nil {
		writeJSON(w, 400, map[string]string{"message": "Bad Request", "error_code": "INVALID"})
		return
	}
	str := func(name string) (string, bool) {
		raw, ok := body[name]
		if !ok || string(raw) == "null" {
			return "", false
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "", true
		}
		return v, true
	}
	c := &Checkout{MerchantName: m.Name, Transactions: []Transaction{}}
	var given bool
	if c.CheckoutReference, given = str("checkout_reference"); !given || c.CheckoutReference == "" {
		invalid(w, "MISSING", "checkout_reference")
		return
	}
	if len(c.CheckoutReference) > 90 {
		invalid(w, "INVALID", "checkout_reference")
		return
	}
	raw, ok := body["amount"]
	if !ok {
		invalid(w, "MISSING", "amount")
		return
	}
	if json.Unmarshal(raw, &c.Amount) != nil || c.Amount <= 0 {
		invalid(w, "INVALID", "amount")
		return
	}
	if c.Currency, given = str("currency"); !given {
		invalid(w, "MISSING", "currency")
		return
	}
	if !currencies[c.Currency] {
		invalid(w, "INVALID", "currency")
		return
	}
	if c.MerchantCode, given = str("merchant_code"); !given || c.MerchantCode == "" {
		invalid(w, "MISSING", "merchant_code")
		return
	}
	if c.MerchantCode != m.Code {
		writeJSON(w, 403, map[string]any{"type": "https://developer.sumup.com/problem/forbidden", "title": "Forbidden",
			"status": 403, "detail": "The merchant code does not belong to this API key"})
		return
	}
	c.Description, _ = str("description")
	c.ReturnURL, _ = str("return_url")
	c.RedirectURL, _ = str("redirect_url")
	if raw, ok := body["hosted_checkout"]; ok {
		var hc hostedCheckout
		if json.Unmarshal(raw, &hc) != nil {
			invalid(w, "INVALID", "hosted_checkout")
			return
		}
		c.HostedCheckout = &hc
	}
	s.mu.Lock()
	for _, o := range s.checkouts {
		if o.MerchantCode == m.Code && o.CheckoutReference == c.CheckoutReference {
			s.mu.Unlock()
			writeJSON(w, 409, map[string]string{"error_code": "DUPLICATED_CHECKOUT",
				"message": "Checkout with this checkout reference and pay to email already exists"})
			return
		}
	}
	c.ID = uuid()
	c.Status = Pending
	c.Date = time.Now().UTC().Format("2006-01-02T15:04:05.000+00:00")
	if c.HostedCheckout != nil && c.HostedCheckout.Enabled {
		c.HostedCheckoutURL = s.url + "/pay/" + c.ID
	}
	s.checkouts[c.ID] = c
	out := *c
	s.mu.Unlock()
	writeJSON(w, 201, out)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	m, ok := s.merchant(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	c := s.checkouts[id]
	var out Checkout
	if c != nil {
		out = *c
		out.Transactions = append([]Transaction{}, c.Transactions...)
	}
	s.mu.Unlock()
	if c == nil || c.MerchantCode != m.Code {
		writeJSON(w, 404, map[string]any{"type": "https://developer.sumup.com/problem/checkout-not-found",
			"title": "Not Found", "status": 404, "detail": "A checkout session with the id " + id + " does not exist"})
		return
	}
	writeJSON(w, 200, out)
}

func (s *Server) deactivate(w http.ResponseWriter, r *http.Request) {
	m, ok := s.merchant(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	c := s.checkouts[id]
	if c == nil || c.MerchantCode != m.Code {
		s.mu.Unlock()
		writeJSON(w, 404, map[string]any{"type": "https://developer.sumup.com/problem/checkout-not-found",
			"title": "Not Found", "status": 404, "detail": "A checkout session with the id " + id + " does not exist"})
		return
	}
	if c.Status != Pending {
		s.mu.Unlock()
		writeJSON(w, 409, map[string]any{"type": "https://developer.sumup.com/problem/session-cant-be-deactivated",
			"title": "Conflict", "status": 409, "detail": "The checkout session " + id + " can't be deactivated"})
		return
	}
	s.settle(c, Expired)
	out := *c
	s.mu.Unlock()
	writeJSON(w, 200, out)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	m, ok := s.merchant(w, r)
	if !ok {
		return
	}
	ref := r.URL.Query().Get("checkout_reference")
	out := []Checkout{}
	s.mu.Lock()
	for _, c := range s.checkouts {
		if c.MerchantCode == m.Code && (ref == "" || c.CheckoutReference == ref) {
			out = append(out, *c)
		}
	}
	s.mu.Unlock()
	writeJSON(w, 200, out)
}

func (s *Server) profile(wrapped bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.merchant(w, r)
		if !ok {
			return
		}
		p := map[string]any{"merchant_code": m.Code, "company_name": m.Name, "country": m.Country,
			"locale": "en-GB", "default_currency": "GBP", "doing_business_as": map[string]string{"business_name": m.Name}}
		if wrapped {
			writeJSON(w, 200, map[string]any{"merchant_profile": p})
			return
		}
		writeJSON(w, 200, p)
	}
}

// --- hosted page --------------------------------------------------------------

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	c := s.Checkout(r.PathValue("id"))
	if c == nil {
		http.Error(w, "no such checkout (SumUp stand-in)", 404)
		return
	}
	amount := strconv.FormatFloat(c.Amount, 'f', 2, 64) + " " + c.Currency
	var body string
	if c.Status == Pending {
		body = `<p class="amount">` + html.EscapeString(amount) + `</p>
<form method="post" action="/pay/` + c.ID + `/pay"><button class="pay" type="submit">Pay ` + html.EscapeString(amount) + `</button></form>
<form method="post" action="/pay/` + c.ID + `/fail"><button class="fail" type="submit">Fail the payment</button></form>`
	} else {
		body = `<p>This checkout is ` + c.Status + `.</p>`
		if c.RedirectURL != "" {
			body += `<p><a href="` + html.EscapeString(c.RedirectURL) + `">Back to the shop</a></p>`
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Test payment page</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1a1a1a}
.banner{background:#b00020;color:#fff;padding:.75rem 1rem;font-weight:700;text-align:center}
main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 .5rem}.amount{font-size:2rem;font-weight:700;margin:.5rem 0 1rem}
button{width:100%%;font:inherit;font-weight:600;padding:.8rem;border-radius:.4rem;border:0;margin:.3rem 0;cursor:pointer}
.pay{background:#0a7c3e;color:#fff}.fail{background:#eee;color:#b00020;border:2px solid #b00020}
.meta{color:#555;font-size:.9rem}</style></head><body>
<div class="banner" role="note">Test payment page — SumUp stand-in. No card is charged and no money moves.</div>
<main><h1>%s</h1><p class="meta">%s · reference %s</p>%s</main></body></html>`,
		html.EscapeString(c.MerchantName), html.EscapeString(c.Description), html.EscapeString(c.CheckoutReference), body)
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	status := map[string]string{"pay": Paid, "fail": Failed}[r.PathValue("outcome")]
	if status == "" {
		http.Error(w, "pay or fail", 404)
		return
	}
	s.mu.Lock()
	c := s.checkouts[id]
	if c == nil {
		s.mu.Unlock()
		http.Error(w, "no such checkout (SumUp stand-in)", 404)
		return
	}
	changed := c.Status == Pending
	if changed {
		s.settle(c, status)
	}
	redirect := c.RedirectURL
	s.mu.Unlock()
	if changed {
		s.Notify(id)
	}
	if redirect == "" {
		redirect = "/pay/" + id
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// settle records the outcome of a payment attempt (under s.mu).
func (s *Server) settle(c *Checkout, status string) {
	c.Status = status
	if status == Expired {
		return
	}
	tx := Transaction{ID: uuid(), TransactionCode: "TEST" + strings.ToUpper(uuid()[:8]), Amount: c.Amount,
		Currency: c.Currency, Status: "SUCCESSFUL", Timestamp: time.Now().UTC().Format(time.RFC3339), PaymentType: "ECOM"}
	if status == Failed {
		tx.Status = "FAILED"
	}
	c.Transactions = append(c.Transactions, tx)
}

// deliver POSTs the webhook, retrying on SumUp's (scaled) schedule until a
// 2xx answer.
func (s *Server) deliver(id, url string) {
	defer s.wg.Done()
	payload, _ := json.Marshal(map[string]string{"event_type": "CHECKOUT_STATUS_CHANGED", "id": id})
	for attempt := 0; ; attempt++ {
		status := 0
		req, err := http.NewRequestWithContext(s.ctx, "POST", url, bytes.NewReader(payload))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			if resp, err := s.client.Do(req); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
		}
		s.mu.Lock()
		s.deliveries = append(s.deliveries, Delivery{CheckoutID: id, URL: url, Status: status, At: time.Now()})
		s.mu.Unlock()
		if status >= 200 && status < 300 || attempt >= len(retrySchedule) {
			return
		}
		select {
		case <-time.After(time.Duration(float64(retrySchedule[attempt]) * s.opts.RetryScale)):
		case <-s.ctx.Done():
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// uuid is a random (version 4) UUID, as SumUp's checkout ids are.
func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
