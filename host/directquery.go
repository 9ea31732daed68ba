package host

import (
	"bytes"
	"fmt"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// A direct query is a defquery whose whole body is one statement,
//
//	(defquery product-by-id (&key (id :int))
//	  (sql/one "select … where id = $1" id))
//
// with arguments that are its parameters or literal constants. Answering
// /internal/data/{query} for it needs no evaluation: the parameters are
// bound as for any query (bindParam: the same 400s), the statement runs
// through the primitive's own code (sqlprims.Each: the same connection,
// replica routing, decoding, errors and step charge per row) on a pooled
// thread bound to the request, and each row goes into the response's JSON
// as it is decoded, without the interpreter around the call, the keyword
// binding, or a dict for every row. The answer is byte for byte the
// evaluated one (TestDirectQueriesMatchEvaluated). Anything else — another body, a
// default that is not a constant, :cache, development mode, a call from
// another service's code (invoke) — is evaluated as before.
type directQuery struct {
	def  *runtime.Definition
	name string             // "sql/one" or "sql/rows"
	one  bool               // sql/one: the first row or null
	prim *runtime.Primitive // the primitive the body names, checked per request
	run  *runtime.Primitive // runs the statement into the response (run)
	sql  string
	args []directArg // the statement's parameters, in order
}

// directArg is one parameter of a direct query's statement: the
// defquery's parameter param (its value, else its constant default, else
// nil), or the constant value when param is "".
type directArg struct {
	param string
	value runtime.Value
}

// directQueriesOff makes every query evaluated: tests compare the two.
var directQueriesOff atomic.Bool

// planDirect returns the direct form of a defquery, or nil when it must be
// evaluated.
func planDirect(env *runtime.Env, d *runtime.Definition) *directQuery {
	if d.Kind != "query" || d.Fn == nil || len(d.Body) != 1 {
		return nil
	}
	if _, cached := d.Option("cache"); cached {
		return nil
	}
	call, ok := d.Body[0].(*runtime.List)
	if !ok || len(call.Items) < 2 {
		return nil
	}
	head, ok := call.Items[0].(*runtime.Symbol)
	if !ok || (head.Name != "sql/one" && head.Name != "sql/rows") {
		return nil
	}
	q, ok := call.Items[1].(string)
	if !ok {
		return nil
	}
	defaults := map[string]runtime.Value{}
	for _, p := range d.Params {
		if p.Rest || !p.Key || p.Name == head.Name {
			return nil
		}
		var v runtime.Value
		if p.HasDefault {
			if v, ok = constant(p.Default); !ok {
				return nil
			}
		}
		defaults[p.Name] = v
	}
	dq := &directQuery{def: d, name: head.Name, one: head.Name == "sql/one", sql: q}
	for _, a := range call.Items[2:] {
		if sym, ok := a.(*runtime.Symbol); ok {
			v, ok := defaults[sym.Name]
			if !ok {
				return nil // a global, or anything else: evaluate
			}
			dq.args = append(dq.args, directArg{param: sym.Name, value: v})
			continue
		}
		v, ok := constant(a)
		if !ok {
			return nil
		}
		dq.args = append(dq.args, directArg{value: v})
	}
	v, _ := env.Lookup(head.Name)
	prim, ok := v.(*runtime.Primitive)
	if !ok || !sqlprims.IsRowsPrimitive(prim, dq.one) {
		return nil
	}
	dq.prim = prim
	dq.run = &runtime.Primitive{Name: head.Name, MinArgs: 1, MaxArgs: -1, IO: true, Fn: dq.write}
	return dq
}

// constant returns the value of a form that evaluates to itself.
func constant(form runtime.Value) (runtime.Value, bool) {
	switch form.(type) {
	case nil, bool, int64, float64, string:
		return form, true
	}
	return nil, false
}

// planDirectQueries plans every defquery of env that can be answered
// directly.
func planDirectQueries(env *runtime.Env) map[string]*directQuery {
	out := map[string]*directQuery{}
	for _, d := range env.Definitions("query") {
		if dq := planDirect(env, d); dq != nil {
			out[d.Name] = dq
		}
	}
	return out
}

// direct returns the direct form of the query name, or nil.
func (st *state) direct(p *Platform, name string) *directQuery {
	if p.opts.Dev || directQueriesOff.Load() {
		// Development shows an error's backtrace, which names the
		// defquery only when it is evaluated.
		return nil
	}
	dq := st.directs[name]
	if dq == nil {
		return nil
	}
	// A later definition of the primitive's name (set!, a reload of the
	// environment) sends the query back to the evaluator.
	if v, _ := st.env.Lookup(dq.name); v != dq.prim {
		return nil
	}
	return dq
}

// directAt returns the direct query a GET or POST of
// /internal/data/{query} asks for, or nil: what the router would find for
// it, without copying the name.
func (st *state) directAt(p *Platform, ctx *fasthttp.RequestCtx) *directQuery {
	if !ctx.IsGet() && !ctx.IsPost() {
		return nil
	}
	name, ok := bytes.CutPrefix(ctx.Path(), dataPrefix)
	if !ok || bytes.IndexByte(name, '/') >= 0 {
		return nil
	}
	dq := st.directs[string(name)]
	if dq == nil {
		return nil
	}
	return st.direct(p, dq.def.Name)
}

// dataPrefix is dataRoute before its parameter.
var dataPrefix = []byte("/internal/data/")

// serveDirect answers a direct query: what serveCall and writeResult do
// for it, without evaluating its body.
func (s *Service) serveDirect(r *requestCtx, st *state, dq *directQuery, get func(string) (runtime.Value, bool)) {
	args := make([]runtime.Value, 1+len(dq.args))
	args[0] = dq.sql
	for i, a := range dq.args {
		args[i+1] = a.value
	}
	// Each parameter as bindParams binds it (the same 400s, in the same
	// order), straight into the statement's arguments.
	for _, p := range dq.def.Params {
		v, ok, err := bindParam(p, get)
		if err != nil {
			s.fail(r, err, false)
			return
		}
		for i, a := range dq.args {
			if ok && a.param == p.Name {
				args[i+1] = v
			}
		}
	}
	c, cancel := s.requestContext(r)
	defer cancel()
	th := st.thread(c, s.plat)
	defer st.release(th)
	setRequest(th, r)
	resp := &r.ctx.Response
	r.json, r.jsonErr = resp.SwapBody(nil)[:0], nil
	_, err := th.Apply(dq.run, args...)
	resp.SwapBody(r.json)
	r.json = nil
	if err == nil && r.jsonErr != nil {
		err = fmt.Errorf("the result cannot be sent as JSON: %w", r.jsonErr)
	}
	if err != nil {
		resp.ResetBody()
		s.fail(r, err, false)
		return
	}
	r.ctx.SetStatusCode(200)
	r.ctx.SetContentType("application/json")
}

// write is the statement's primitive on the direct path: it runs the
// statement as sql/one or sql/rows would and appends the rows to the
// request's JSON as they come, as appendJSON writes the value the
// primitive returns (a dict per row with the columns in order, null for
// sql/one without a row, [] for sql/rows without any).
func (dq *directQuery) write(th *runtime.Thread, args []runtime.Value) runtime.Value {
	r := requestOf(th)
	b := r.json
	n := 0
	distinct := false
	depth := 1 // a row's depth in the answer, for appendJSON's limit
	if dq.one {
		depth = 0
	}
	sqlprims.Each(th, dq.name, args, func(cols []string, vals []runtime.Value) bool {
		var err error
		switch {
		case n == 0:
			if !dq.one {
				b = append(b, '[')
			}
			// The first row as the dict the primitive makes of it, which
			// also tells whether a name repeats (the dict keeps one of each).
			d := runtime.NewDictOf(cols, vals)
			distinct = d.Len() == len(cols)
			b, err = appendJSON(b, d, depth)
		case distinct:
			b = append(b, ',')
			b, err = appendRowJSON(b, cols, vals, depth)
		default:
			b = append(b, ',')
			b, err = appendJSON(b, runtime.NewDictOf(cols, vals), depth)
		}
		n++
		if err != nil {
			r.jsonErr = err
			return false
		}
		return !dq.one
	})
	switch {
	case n == 0 && dq.one:
		b = append(b, "null"...)
	case n == 0:
		b = append(b, "[]"...)
	case !dq.one:
		b = append(b, ']')
	}
	r.json = b
	return nil
}

// appendRowJSON appends a row of distinct column names as appendJSON
// appends the dict of it at depth.
func appendRowJSON(b []byte, cols []string, vals []runtime.Value, depth int) ([]byte, error) {
	b = append(b, '{')
	for i, k := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, vals[i], depth+1); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
