package bench

import (
	"strconv"
	"strings"
)

// Inputs of the scalar programs. They are variables, not constants, so that
// the native Go versions cannot be folded at compile time.
var (
	FibN    = 27        // fib(FibN)
	LoopN   = 1_000_000 // sum of (i*i) mod 7 for i in [0, LoopN)
	ListN   = 10_000    // sum of (map double (range ListN))
	StringN = 1_000     // join "item-0" … "item-(StringN-1)" with ","
)

// Expected results, computed by the native Go versions below.
var (
	FibWant    = int64(196418)
	LoopWant   = GoLoop(LoopN)
	ListWant   = GoList(ListN)
	StringWant = GoString(StringN)
)

// GoFib is the native Go version of the fib program.
func GoFib(n int) int {
	if n < 2 {
		return n
	}
	return GoFib(n-1) + GoFib(n-2)
}

// GoLoop is the native Go version of the arithmetic loop.
func GoLoop(n int) int64 {
	var acc int64
	for i := int64(0); i < int64(n); i++ {
		acc += (i * i) % 7
	}
	return acc
}

// GoList builds the list 0…n-1, doubles every element into a new slice and
// sums the result, mirroring (reduce + 0 (map double (range n))).
func GoList(n int) int64 {
	xs := make([]int64, n)
	for i := range xs {
		xs[i] = int64(i)
	}
	doubled := make([]int64, len(xs))
	for i, x := range xs {
		doubled[i] = x * 2
	}
	var acc int64
	for _, x := range doubled {
		acc += x
	}
	return acc
}

// GoString joins "item-0" … "item-(n-1)" with commas.
func GoString(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("item-")
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// SX sources. Definitions are evaluated once; the benchmark times only the
// call of the named function.
const (
	SXFib    = `(define fib (fn (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))))`
	SXLoop   = `(define sum-loop (fn (n) (let loop ((i 0) (acc 0)) (if (< i n) (loop (+ i 1) (+ acc (mod (* i i) 7))) acc))))`
	SXList   = `(define list-sum (fn (n) (reduce + 0 (map (fn (x) (* x 2)) (range n)))))`
	SXString = `(define build-string (fn (n) (join "," (map (fn (i) (str "item-" i)) (range n)))))`
)

// Lua sources (gopher-lua).
const (
	LuaFib = `function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end`

	LuaLoop = `function sum_loop(n)
  local acc = 0
  for i = 0, n - 1 do acc = acc + (i * i) % 7 end
  return acc
end`

	LuaList = `function list_sum(n)
  local xs = {}
  for i = 0, n - 1 do xs[#xs + 1] = i end
  local doubled = {}
  for i, x in ipairs(xs) do doubled[i] = x * 2 end
  local acc = 0
  for _, x in ipairs(doubled) do acc = acc + x end
  return acc
end`

	LuaString = `function build_string(n)
  local parts = {}
  for i = 0, n - 1 do parts[#parts + 1] = "item-" .. i end
  return table.concat(parts, ",")
end`
)

// JavaScript sources (goja).
const (
	JSFib = `function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }`

	JSLoop = `function sumLoop(n) {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += (i * i) % 7;
  return acc;
}`

	JSList = `function listSum(n) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(i);
  return xs.map(x => x * 2).reduce((a, b) => a + b, 0);
}`

	JSString = `function buildString(n) {
  const parts = [];
  for (let i = 0; i < n; i++) parts.push("item-" + i);
  return parts.join(",");
}`
)

// Starlark sources. Recursion must be enabled for fib.
const (
	StarFib = `def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
`

	StarLoop = `def sum_loop(n):
    acc = 0
    for i in range(n):
        acc += (i * i) % 7
    return acc
`

	StarList = `def list_sum(n):
    doubled = [x * 2 for x in range(n)]
    acc = 0
    for x in doubled:
        acc += x
    return acc
`

	StarString = `def build_string(n):
    return ",".join(["item-" + str(i) for i in range(n)])
`
)

// Tengo sources. Tengo cannot call a script function from Go, so each script
// is compiled once and re-run with the global n set; it defines its function
// and stores the answer in the global result.
const (
	TengoFib = `fib := func(n) { if n < 2 { return n }; return fib(n - 1) + fib(n - 2) }
result := fib(n)`

	TengoLoop = `sum_loop := func(n) {
  acc := 0
  for i := 0; i < n; i++ { acc += (i * i) % 7 }
  return acc
}
result := sum_loop(n)`

	TengoList = `list_sum := func(n) {
  xs := []
  for i := 0; i < n; i++ { xs = append(xs, i) }
  doubled := []
  for x in xs { doubled = append(doubled, x * 2) }
  acc := 0
  for x in doubled { acc += x }
  return acc
}
result := list_sum(n)`

	TengoString = `text := import("text")
build_string := func(n) {
  parts := []
  for i := 0; i < n; i++ { parts = append(parts, "item-" + string(i)) }
  return text.join(parts, ",")
}
result := build_string(n)`
)
