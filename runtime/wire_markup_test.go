package runtime_test

import (
	"testing"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// TestWireMarkupArguments: markup given to a component expanded on the
// server (its children, its keyword values) is sent as SX, and what it
// computes runs once: its HTML, which the component's body may use as a
// value, is made from the wire source rather than by evaluating it again.
func TestWireMarkupArguments(t *testing.T) {
	env := stdlib.NewEnv()
	calls := 0
	env.DefinePrimitives(&runtime.Primitive{
		Name: "test-io/tick", Params: "()", Doc: "A test I/O primitive.", MaxArgs: 0, IO: true,
		Fn: func(th *runtime.Thread, args []runtime.Value) runtime.Value { calls++; return int64(calls) },
	})
	th := env.NewThread(nil)
	src := `
(defcomp ~icon (&key name) (i :class name))
(defcomp ~badge () (span :class "badge" (test-io/tick)))
(defcomp ~layout (&key side &rest children) (div :class "l" (test-io/tick) (main children) (aside side)))
(defcomp ~measure (&rest children) (div (test-io/tick) (str (string-length (str (first children)))) children))
`
	if _, err := th.EvalString("wire.sx", src); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		form, want string
		ticks      int
	}{
		{`(~layout :side (~icon :name "s") (p (~icon :name "a")) (map (fn (n) (~icon :name n)) (list "x" "y")))`,
			`(div :class "l" 1 (main (p (~icon :name "a")) (~icon :name "x") (~icon :name "y")) (aside (~icon :name "s")))`, 1},
		// A child reaching I/O is expanded on the server, once.
		{`(~layout (section (~badge)))`, `(div :class "l" 2 (main (section (span :class "badge" 1))) (aside))`, 2},
		// The body sees the children's HTML as a value.
		{`(~measure (b "xy"))`, `(div 1 "9" (b "xy"))`, 1},
	}
	for _, c := range cases {
		calls = 0
		form, err := runtime.ReadOne("form.sx", c.form)
		if err != nil {
			t.Fatal(err)
		}
		got, err := th.RenderWire(form)
		if err != nil {
			t.Errorf("%s: %v", c.form, err)
			continue
		}
		if got != c.want || calls != c.ticks {
			t.Errorf("%s\n got %s (%d I/O calls)\nwant %s (%d)", c.form, got, calls, c.want, c.ticks)
		}
	}
}

// TestWireDictKeysRead: a dict given to a pure component sent as a call
// carries only the keys the component reads with (get param :key), also
// inside its lambdas; one it passes on, reads with a computed key or
// iterates travels whole.
func TestWireDictKeysRead(t *testing.T) {
	th := stdlib.NewEnv().NewThread(nil)
	src := `
(defcomp ~card (&key post n) (li (get post :title) (map (fn (t) (b t (get post "id"))) (get post :tags)) n))
(defcomp ~pass (&key post) (div (~card :post post)))
(defcomp ~dyn (&key post) (div (map (fn (k) (get post k)) (list :a))))
(defcomp ~all (&key post) (div (str (keys post))))
`
	if _, err := th.EvalString("keys.sx", src); err != nil {
		t.Fatal(err)
	}
	row := `{:id 7 :title "T" :tags (list "x") :html "<p>long</p>" :plaintext "long"}`
	cases := []struct{ form, want string }{
		{`(div (~card :post ` + row + ` :n 2))`, `(div (~card :post {:id 7 :title "T" :tags (list "x")} :n 2))`},
		{`(~pass :post ` + row + `)`, `(~pass :post {:id 7 :title "T" :tags (list "x") :html "<p>long</p>" :plaintext "long"})`},
		{`(~dyn :post {:a 1 :b 2})`, `(~dyn :post {:a 1 :b 2})`},
		{`(~all :post {:a 1 :b 2})`, `(~all :post {:a 1 :b 2})`},
	}
	for _, c := range cases {
		form, err := runtime.ReadOne("form.sx", c.form)
		if err != nil {
			t.Fatal(err)
		}
		got, err := th.RenderWire(form)
		if err != nil || got != c.want {
			t.Errorf("%s\n got %s (%v)\nwant %s", c.form, got, err, c.want)
		}
	}
}
