package core

import (
	"strings"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
)

// csv/parse and csv/format are server-side only (sx.js has neither), so
// they are tested here rather than in testdata/*.sx, which the browser
// runtime also runs.
func TestCSV(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`(csv/parse "\uFEFFsku,title\r\nA1,\"Oats, rolled\"\nB2,\"Say \"\"hi\"\"\nthere\"\n")`,
			`(("sku" "title") ("A1" "Oats, rolled") ("B2" "Say \"hi\"\nthere"))`},
		{`(csv/parse "a\nb,c")`, `(("a") ("b" "c"))`},
		{`(csv/parse "")`, `()`},
		{`(csv/format (list (list "code" "name") (list "X1" "Ada, B")))`, `"code,name\r\nX1,\"Ada, B\"\r\n"`},
		{`(csv/format (list (list "a\"b" nil 3 2.50m)))`, `"\"a\"\"b\",,3,2.50\r\n"`},
		// Formula cells are defused; numbers are left alone.
		{`(csv/format (list (list "=1+1" "@x" "+4" -5)))`, `"'=1+1,'@x,'+4,-5\r\n"`},
		{`(csv/parse (csv/format (list (list "line\nbreak" "ok"))))`, `(("line\nbreak" "ok"))`},
	} {
		if got, _ := eval(t, c.src); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
	env := runtime.NewEnv()
	env.DefinePrimitives(Primitives()...)
	_, err := env.NewThread(nil).EvalString("test", `(csv/parse "a,b\n\"c,d\n")`)
	if err == nil || !strings.Contains(err.Error(), "csv/parse: line 2") {
		t.Fatalf("unterminated quote: %v", err)
	}
}
