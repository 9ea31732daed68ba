package host_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/host"
)

// tillService prices things in numeric(12,2). %[1]s is its table.
const tillService = `
(defservice till :title "Till" :port 8098)

(defquery price-of (&key (id :int))
  "A line's price, its text and its formatted amount."
  (let ((p (sql/value "select unit_price from %[1]s where id = $1" id)))
    {:price p :text (str p) :gbp (format-money p "GBP") :eur (format-money-locale p "EUR" "fr")}))

(defaction add-line (&key (price :decimal) (qty :int 1))
  "Stores qty lines at price and answers what was stored."
  (sql/exec "insert into %[1]s (unit_price) select $1 from generate_series(1, $2)" price qty)
  {:price price :stored (sql/value "select unit_price from %[1]s order by id desc limit 1")})

(defquery echo-amount (&key (amount :decimal) (plain :number nil))
  "Echoes a decimal parameter and the sum with another."
  {:amount amount :scale (decimal-scale amount) :plus-plain (if plain (+ amount plain) nil)})

(defquery cart-total ()
  "The lines summed in SX, 100,000 at a time, and in PostgreSQL."
  (let ((top (sql/value "select coalesce(max(id), 0) from %[1]s")))
    {:lines (sql/value "select count(*) from %[1]s")
     :sx (reduce (fn (acc from)
                   (+ acc (sum (sql/value "select coalesce(array_agg(unit_price), '{}') from %[1]s where id > $1 and id <= $2"
                                          from (+ from 100000)))))
                 0.00m (range 0 top 100000))
     :sql (sql/value "select sum(unit_price) from %[1]s")
     :product (* (sql/value "select count(*) from %[1]s") 0.10m)}))
`

func startTill(t *testing.T) (*served, string) {
	t.Helper()
	table := uniqueName("lines")
	execSQL(t, "create table "+table+" (id bigserial primary key, unit_price numeric(12,2) not null)")
	logger, logs := newLogger()
	// A minute per request: the million-line total must not fail on a
	// loaded machine.
	s, _, _ := startService(t, fmt.Sprintf(tillService, table),
		host.Options{Logger: logger, DB: openPool(t, dbURL), RequestTimeout: time.Minute})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", logs)
		}
	})
	return s, table
}

// A price of 3.20 in PostgreSQL answers 3.20 through /internal/data: the
// JSON number keeps its digits (it used to be 3.2).
func TestPriceKeepsItsScaleThroughInternalData(t *testing.T) {
	t.Parallel()
	s, table := startTill(t)
	execSQL(t, "insert into "+table+" (unit_price) values (3.20)")
	r := get(t, s.URL+"/internal/data/price-of?id=1")
	wantStatus(t, r, 200, "price-of")
	for _, want := range []string{`"price":3.20,`, `"text":"3.20"`, `"gbp":"£3.20"`, "\"eur\":\"3,20\u00a0€\""} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("answer %s lacks %s", r.Body, want)
		}
	}
}

// A :decimal parameter reads text, JSON numbers and query strings exactly,
// and PostgreSQL stores what was sent.
func TestDecimalParameters(t *testing.T) {
	t.Parallel()
	s, _ := startTill(t)
	for body, want := range map[string]string{
		`{"price": 3.20}`:   `{"price":3.20,"stored":3.20}`,
		`{"price": "4.50"}`: `{"price":4.50,"stored":4.50}`,
		`{"price": 7}`:      `{"price":7,"stored":7.00}`,
		`{"price": 0.1}`:    `{"price":0.1,"stored":0.10}`,
	} {
		r := postJSON(t, s.URL+"/internal/actions/add-line", body)
		wantStatus(t, r, 200, body)
		if r.Body != want {
			t.Errorf("%s: got %s, want %s", body, r.Body, want)
		}
	}
	r := get(t, s.URL+"/internal/data/echo-amount?amount=12.340&plain=0.66")
	wantStatus(t, r, 200, "echo-amount")
	if want := `{"amount":12.340,"scale":3,"plus-plain":13.000}`; r.Body != want {
		t.Errorf("echo-amount: got %s, want %s", r.Body, want)
	}
	for _, bad := range []string{"3,20", "1e3x", "NaN", "Infinity", "0x10"} {
		r := get(t, s.URL+"/internal/data/echo-amount?amount="+bad)
		wantJSONError(t, r, 400, "bad :decimal "+bad, "parameter amount", "a decimal number")
	}
	r = postJSON(t, s.URL+"/internal/actions/add-line", `{"price": 123456789012.34}`)
	wantJSONError(t, r, 400, "a price numeric(12,2) cannot hold", "bad parameter value")
}

// A cart of 1,000,000 lines at 0.10 totals exactly 100000.00, summed in SX
// as in PostgreSQL (as floats the sum drifts to 100000.00000133288).
func TestMillionDimesTotalExactly(t *testing.T) {
	t.Parallel()
	s, table := startTill(t)
	execSQL(t, "insert into "+table+" (unit_price) select 0.10 from generate_series(1, 1000000)")
	// The tests' client gives up after 15 s; this answer may take longer
	// on a loaded machine.
	slow := &http.Client{Timeout: 2 * time.Minute}
	resp, err := slow.Get(s.URL + "/internal/data/cart-total")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Body: string(body)}
	wantStatus(t, r, 200, "cart-total")
	if want := `{"lines":1000000,"sx":100000.00,"sql":100000.00,"product":100000.00}`; r.Body != want {
		t.Errorf("cart-total: got %s, want %s", r.Body, want)
	}
}
