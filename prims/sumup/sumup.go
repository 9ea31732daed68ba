// Package sumupprims gives SX code SumUp's online payments API (platform
// §4.3): (sumup/create-checkout …), (sumup/get-checkout …) and
// (sumup/merchant-profile …), each called with the page's own credentials.
//
// Why Go and not (http/request …): a payment call has rules that must hold
// for every caller — the API key travels only in the Authorization header
// and is never in an error, a log line or a returned value; network
// failures are retried, and a retried create that SumUp has already
// honoured is recognised (409 DUPLICATED_CHECKOUT, then the checkout is
// looked up by its reference) instead of failing or paying twice; SumUp's
// error answers become messages a shop owner can act on.
//
// Answers are dicts. A failure is not an SX error but a dict with :error (a
// message naming what to check), :code ("bad-key", "forbidden",
// "duplicate", "invalid", "not-found", "unavailable" or "refused"),
// :status (SumUp's HTTP status, 0 when it did not answer) and :param for
// a refused field, so a checkout page can tell the shopper and the job can
// try again later. SUMUP_API_URL (default https://api.sumup.com) points the
// calls at a stand-in for tests and demos (internal/sumupfake).
package sumupprims

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// DefaultURL is SumUp's API.
const DefaultURL = "https://api.sumup.com"

// Timeouts and retries: a payment page waits at most about
// attempts × attemptTimeout (less when the request's deadline is sooner).
const (
	attemptTimeout = 8 * time.Second
	attempts       = 3
	firstBackoff   = 200 * time.Millisecond
	maxAnswer      = 1 << 20
)

// Client calls one SumUp API base URL.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client of base ("" for DefaultURL).
func NewClient(base string) *Client {
	if base == "" {
		base = DefaultURL
	}
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{
		// SumUp answers; it never redirects an API call.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Primitives returns the SumUp primitives; getenv reads SUMUP_API_URL once
// per call (nil: SumUp itself).
func Primitives(getenv func(string) string) []*runtime.Primitive {
	client := func() *Client {
		if getenv == nil {
			return NewClient("")
		}
		return NewClient(getenv("SUMUP_API_URL"))
	}
	return []*runtime.Primitive{
		{Name: "sumup/create-checkout", Params: "(&key api-key merchant-code reference amount currency description return-url redirect-url)",
			Doc:     "Creates a SumUp hosted checkout (POST /v0.1/checkouts, hosted_checkout enabled) for amount (a decimal in major units) in currency, with reference as checkout_reference (at most 90 characters), return-url for SumUp's webhook and redirect-url for the payer's browser. Returns {:id :status :checkout_reference :amount :currency :hosted_checkout_url}, or {:error :code :status :param} (codes bad-key, forbidden, invalid, duplicate, unavailable, refused). Network failures and 5xx answers are retried (3 attempts); a retry SumUp had already honoured returns the existing checkout. The API key is sent only in the Authorization header and never appears in an answer or message. SUMUP_API_URL overrides https://api.sumup.com.",
			MinArgs: 10, MaxArgs: 16, IO: true, Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				return client().createPrim(th, a)
			}},
		{Name: "sumup/get-checkout", Params: "(api-key id)",
			Doc:     "A SumUp checkout's current state (GET /v0.1/checkouts/{id}): {:id :status (PENDING, PAID, FAILED or EXPIRED) :checkout_reference :amount :currency :hosted_checkout_url :transaction_code (of the successful payment, if any)}, or {:error :code :status} (not-found, bad-key, unavailable …). Safe to repeat: retried on network failures.",
			MinArgs: 2, MaxArgs: 2, IO: true, Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				key, id := str(th, "sumup/get-checkout", a[0]), str(th, "sumup/get-checkout", a[1])
				if id == "" {
					th.Fail("sumup/get-checkout: id is required")
				}
				var c checkout
				if e := client().call(th.Ctx, "GET", "/v0.1/checkouts/"+url.PathEscape(id), key, nil, &c); e != nil {
					return e.dict()
				}
				return c.dict()
			}},
		{Name: "sumup/deactivate-checkout", Params: "(api-key id)",
			Doc:     "Deactivates a pending SumUp checkout (DELETE /v0.1/checkouts/{id}) so that it can no longer be paid: the checkout as sumup/get-checkout gives it (status EXPIRED), or {:error :code :status} — status 409 when it was already processed (paid or failed meanwhile: ask sumup/get-checkout).",
			MinArgs: 2, MaxArgs: 2, IO: true, Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				key, id := str(th, "sumup/deactivate-checkout", a[0]), str(th, "sumup/deactivate-checkout", a[1])
				if id == "" {
					th.Fail("sumup/deactivate-checkout: id is required")
				}
				var c checkout
				if e := client().call(th.Ctx, "DELETE", "/v0.1/checkouts/"+url.PathEscape(id), key, nil, &c); e != nil {
					return e.dict()
				}
				return c.dict()
			}},
		{Name: "sumup/merchant-profile", Params: "(api-key)",
			Doc:     "The merchant profile of an API key (GET /v0.1/me/merchant-profile): {:merchant_code :company_name :country}, or {:error :code :status}. For an administrator's \"test connection\".",
			MinArgs: 1, MaxArgs: 1, IO: true, Fn: func(th *runtime.Thread, a []runtime.Value) runtime.Value {
				var p struct {
					MerchantCode string `json:"merchant_code"`
					CompanyName  string `json:"company_name"`
					Country      string `json:"country"`
				}
				if e := client().call(th.Ctx, "GET", "/v0.1/me/merchant-profile", str(th, "sumup/merchant-profile", a[0]), nil, &p); e != nil {
					return e.dict()
				}
				return runtime.NewDictOf([]string{"merchant_code", "company_name", "country"},
					[]runtime.Value{p.MerchantCode, p.CompanyName, p.Country})
			}},
	}
}

func str(th *runtime.Thread, who string, v runtime.Value) string {
	s, ok := v.(string)
	if !ok {
		th.Fail("%s expects a string, got %s", who, runtime.TypeOf(v))
	}
	return s
}

// checkout is the part of SumUp's Checkout object the platform reads.
type checkout struct {
	ID                string          `json:"id"`
	Status            string          `json:"status"`
	CheckoutReference string          `json:"checkout_reference"`
	Amount            json.Number     `json:"amount"`
	Currency          string          `json:"currency"`
	HostedCheckoutURL string          `json:"hosted_checkout_url"`
	Transactions      []transactionJS `json:"transactions"`
}

type transactionJS struct {
	TransactionCode string `json:"transaction_code"`
	Status          string `json:"status"`
}

func (c checkout) dict() *runtime.Dict {
	var amount runtime.Value
	if d, err := runtime.ParseDecimal(c.Amount.String()); err == nil {
		amount = d
	}
	var code runtime.Value
	for _, t := range c.Transactions {
		if t.Status == "SUCCESSFUL" {
			code = t.TransactionCode
		}
	}
	return runtime.NewDictOf(
		[]string{"id", "status", "checkout_reference", "amount", "currency", "hosted_checkout_url", "transaction_code"},
		[]runtime.Value{c.ID, c.Status, c.CheckoutReference, amount, c.Currency, c.HostedCheckoutURL, code})
}

// createPrim reads the keyword arguments of sumup/create-checkout.
func (cl *Client) createPrim(th *runtime.Thread, a []runtime.Value) runtime.Value {
	args := map[string]runtime.Value{}
	for i := 0; i+1 < len(a); i += 2 {
		k, ok := a[i].(string)
		if !ok {
			th.Fail("sumup/create-checkout: expected keyword arguments")
		}
		args[k] = a[i+1]
	}
	need := func(name string) string {
		v, _ := args[name].(string)
		if strings.TrimSpace(v) == "" {
			th.Fail("sumup/create-checkout: %s is required", name)
		}
		return v
	}
	opt := func(name string) string { v, _ := args[name].(string); return v }
	var amount string
	switch v := args["amount"].(type) {
	case *runtime.Decimal:
		amount = v.String()
	case int64:
		amount = strconv.FormatInt(v, 10)
	case string:
		amount = v
	default:
		th.Fail("sumup/create-checkout: amount must be a decimal, got %s", runtime.TypeOf(args["amount"]))
	}
	if _, err := strconv.ParseFloat(amount, 64); err != nil {
		th.Fail("sumup/create-checkout: amount %q is not a number", amount)
	}
	req := map[string]any{
		"checkout_reference": need("reference"), "amount": json.Number(amount), "currency": need("currency"),
		"merchant_code": need("merchant-code"), "hosted_checkout": map[string]bool{"enabled": true},
	}
	for _, f := range [][2]string{{"description", "description"}, {"return-url", "return_url"}, {"redirect-url", "redirect_url"}} {
		if v := opt(f[0]); v != "" {
			req[f[1]] = v
		}
	}
	key := need("api-key")
	var c checkout
	e := cl.call(th.Ctx, "POST", "/v0.1/checkouts", key, req, &c)
	if e != nil && e.Code == "duplicate" {
		// Ours already (a retry whose first answer was lost, or a crash
		// before the id was stored): the same reference, amount and currency.
		var found []checkout
		if e2 := cl.call(th.Ctx, "GET", "/v0.1/checkouts?checkout_reference="+url.QueryEscape(req["checkout_reference"].(string)), key, nil, &found); e2 == nil {
			for _, f := range found {
				if sameAmount(f.Amount.String(), amount) && f.Currency == req["currency"] && f.Status == "PENDING" {
					return f.dict()
				}
			}
		}
	}
	if e != nil {
		return e.dict()
	}
	return c.dict()
}

func sameAmount(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// Error is a SumUp call that did not succeed.
type Error struct {
	Message string
	Code    string
	Status  int
	Param   string
}

func (e *Error) Error() string { return e.Message }

func (e *Error) dict() *runtime.Dict {
	var p runtime.Value
	if e.Param != "" {
		p = e.Param
	}
	return runtime.NewDictOf([]string{"error", "code", "status", "param"},
		[]runtime.Value{e.Message, e.Code, int64(e.Status), p})
}

// call sends one API request (retrying network failures and 5xx answers)
// and decodes a 2xx answer into out.
func (cl *Client) call(ctx context.Context, method, path, key string, body any, out any) *Error {
	if ctx == nil {
		ctx = context.Background()
	}
	if key == "" {
		return &Error{Message: "no SumUp API key is configured for this page", Code: "bad-key"}
	}
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	backoff := firstBackoff
	var last *Error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return last
			}
			backoff *= 3
		}
		status, answer, err := cl.once(ctx, method, path, key, payload)
		if err != nil {
			last = &Error{Message: "SumUp did not answer (" + err.Error() + "); try again in a few minutes", Code: "unavailable"}
			continue
		}
		if status >= 500 || status == 429 {
			last = &Error{Message: fmt.Sprintf("SumUp is unavailable (HTTP %d); try again in a few minutes", status), Code: "unavailable", Status: status}
			continue
		}
		if status >= 200 && status < 300 {
			if err := json.Unmarshal(answer, out); err != nil {
				return &Error{Message: "SumUp's answer was not understood: " + err.Error(), Code: "unavailable", Status: status}
			}
			return nil
		}
		return mapError(status, answer)
	}
	return last
}

// once sends one attempt; the error never names the key (it is only in a
// header) and is stripped of the URL's query.
func (cl *Client) once(ctx context.Context, method, path, key string, payload []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, cl.base+path, body)
	if err != nil {
		return 0, nil, errors.New("bad SUMUP_API_URL")
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, nil, errors.New("timed out")
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, nil, errors.New("the answer was cut off")
	}
	return resp.StatusCode, b, nil
}

// mapError turns SumUp's error answers (its older {error_code, message,
// param} shape and its problem+json shape) into a clear message.
func mapError(status int, answer []byte) *Error {
	var e struct {
		ErrorCode    string `json:"error_code"`
		Message      string `json:"message"`
		ErrorMessage string `json:"error_message"`
		Param        string `json:"param"`
		Detail       string `json:"detail"`
		Title        string `json:"title"`
	}
	// Validation errors may come as a list; the first names the field.
	if len(answer) > 0 && answer[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(answer, &list) == nil && len(list) > 0 {
			answer = list[0]
		}
	}
	json.Unmarshal(answer, &e)
	detail := firstOf(e.Message, e.ErrorMessage, e.Detail, e.Title, http.StatusText(status))
	switch {
	case status == 401:
		return &Error{Message: "SumUp refused the API key (" + detail + "): check the page's SumUp API key", Code: "bad-key", Status: status}
	case status == 403:
		return &Error{Message: "SumUp refused the request for this merchant (" + detail + "): check the merchant code belongs to the API key", Code: "forbidden", Status: status}
	case status == 409 && e.ErrorCode == "DUPLICATED_CHECKOUT":
		return &Error{Message: "SumUp already has a checkout with this reference", Code: "duplicate", Status: status}
	case status == 404:
		return &Error{Message: "SumUp knows no such checkout", Code: "not-found", Status: status}
	case status == 400 && e.Param != "":
		what := map[string]string{"amount": "the amount", "currency": "the currency", "merchant_code": "the merchant code",
			"checkout_reference": "the checkout reference"}[e.Param]
		if what == "" {
			what = e.Param
		}
		return &Error{Message: "SumUp refused " + what + " (" + firstOf(e.ErrorCode, detail) + ")", Code: "invalid", Status: status, Param: e.Param}
	}
	return &Error{Message: fmt.Sprintf("SumUp refused the request (HTTP %d: %s)", status, detail), Code: "refused", Status: status}
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
