package host

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// errNotFound marks an unknown query, action or fragment.
var errNotFound = errors.New("not found")

// call runs another service's query or action for (query …) and (action …)
// through Call; the callee's failure decides the caller's answer (see
// raiseCallError).
func (p *Platform) call(th *runtime.Thread, kind, service, name string, args []runtime.Value) runtime.Value {
	v, err := p.Call(th, kind, service, name, args)
	if err != nil {
		raiseCallError(th, kind+" "+service+"/"+name, kind, err)
	}
	return v
}

// Call runs service's query or action (kind "query" or "action") with the
// (:name value …) arguments args, on behalf of the code running on th:
// in-process when the service is loaded here, over signed HTTP to
// SX_URL_<SERVICE> otherwise. In-process, an action runs in one transaction
// that commits only if it succeeds, or, when th is bound to a transaction
// (a calling action's, a REPL's :tx), as a savepoint of it. With
// Options.ReadOnly every action is refused before it starts. The error is
// the callee's own (a *runtime.Error keeps its position and backtrace).
func (p *Platform) Call(th *runtime.Thread, kind, service, name string, args []runtime.Value) (runtime.Value, error) {
	raw := pairs(th, kind, args)
	if kind == "action" && p.opts.ReadOnly {
		return nil, fmt.Errorf("action %s/%s: %w", service, name, ErrReadOnly)
	}
	ctx := p.noteCall(th, kind)
	if target := p.services[service]; target != nil {
		return target.invoke(th.Ctx, kind, name, func(n string) (runtime.Value, bool) {
			v, ok := raw[n]
			return v, ok
		}, requestOf(th), sqlprims.Bound(th))
	}
	return p.client.call(ctx, kind, service, name, raw)
}

// raiseCallError stops the caller with a callee's failure, keeping what
// decides the status of the answer: an (abort …) keeps its status and
// message (409 stays 409); a bad parameter stays a 400, named with the call
// (the value usually came from the request); a marked failure (an outside
// API, a service in another process not answering: 502) keeps its mark;
// anything else is the caller's 500.
func raiseCallError(th *runtime.Thread, where, kind string, err error) {
	if a := abortOf(err); a != nil {
		e := th.Errorf("%s", a.Message)
		e.Value = a
		panic(e)
	}
	if pe := paramErrorOf(err); pe != nil {
		e := th.Errorf("%s: %s", where, pe.msg)
		e.Value = &paramError{msg: where + ": " + pe.msg}
		panic(e)
	}
	if errors.Is(err, errNotFound) {
		th.Fail("%s: no such %s", where, kind)
	}
	if errors.Is(err, ErrReadOnly) {
		th.Fail("%v", err)
	}
	var inner *runtime.Error
	if errors.As(err, &inner) {
		e := th.Errorf("%s failed: %s", where, inner.Msg)
		e.Value = inner.Value
		panic(e)
	}
	th.Fail("%s failed: %v", where, err)
}

// invoke runs a query or action of this service with raw parameters; an
// action runs in one transaction that commits only if it succeeds. When
// outer is the transaction of a calling action, the callee runs inside it
// (an action as a savepoint), so a write spanning services commits or rolls
// back whole and reads see the caller's uncommitted writes.
func (s *Service) invoke(ctx context.Context, kind, name string, get func(string) (runtime.Value, bool), req *requestCtx, outer sqlprims.Conn) (runtime.Value, error) {
	st := s.state.Load()
	def := st.env.Definition(kind, name)
	if def == nil || def.Fn == nil {
		return nil, errNotFound
	}
	args, err := bindParams(def.Params, get)
	if err != nil {
		return nil, err
	}
	th := st.thread(ctx, s.plat)
	defer st.release(th)
	if req != nil {
		setRequest(th, req)
	}
	outerTx, joined := outer.(pgx.Tx)
	if joined {
		sqlprims.Bind(th, outerTx)
	}
	if kind == "action" && !joined {
		s.plat.enterAction(th)
		// Its writes are visible once it returns (committed): cached query
		// results read before are stale.
		defer sqlprims.NoteWrite()
	}
	if kind == "query" && !joined {
		if ttl, _ := queryCacheTTL(def); ttl > 0 {
			return s.plat.cachedQuery(th, s.Name, name, ttl, '=', args, func() (runtime.Value, error) {
				return th.Apply(def.Fn, args...)
			})
		}
	}
	if kind != "action" || s.plat.opts.DB == nil || (!joined && ownsTransactions(def)) {
		return th.Apply(def.Fn, args...)
	}
	var begin Beginner = s.plat.opts.DB
	if joined {
		begin = outerTx
	}
	var out runtime.Value
	err = s.plat.InTransaction(ctx, begin, func(ctx context.Context, tx pgx.Tx) error {
		th.Ctx = ctx // carries the transaction's after-commit hooks
		sqlprims.Bind(th, tx)
		v, err := th.Apply(def.Fn, args...)
		out = v
		return err
	})
	return out, err
}

// ownsTransactions reports whether an action declares :transaction false:
// it is not run in one transaction, its statements run on the pool and it
// groups its writes with (sql/transaction …). For actions that call outside
// APIs, which must not hold a connection and row locks while they wait (a
// pool starved by slow calls stalls every request). Called in-process from
// another action, it joins the caller's transaction like any action.
func ownsTransactions(def *runtime.Definition) bool {
	v, ok := def.Option("transaction")
	return ok && v == false
}

// sqlTransaction is (sql/transaction thunk): the thunk's statements in one
// transaction (a savepoint inside one), committed when it returns, rolled
// back when it fails; returns its value.
func (p *Platform) sqlTransaction(th *runtime.Thread, a []runtime.Value) runtime.Value {
	conn := sqlprims.Bound(th)
	begin, ok := conn.(Beginner)
	if !ok {
		th.Fail("sql/transaction: no database")
	}
	var out runtime.Value
	err := p.InTransaction(th.Ctx, begin, func(ctx context.Context, tx pgx.Tx) error {
		defer func(outer context.Context) { th.Ctx = outer }(th.Ctx)
		th.Ctx = ctx
		sqlprims.Bind(th, tx)
		defer sqlprims.Bind(th, conn)
		v, err := th.Apply(a[0])
		out = v
		return err
	})
	sqlprims.NoteWrite() // committed (or not): cached query results are stale
	if err != nil {
		var e *runtime.Error
		if errors.As(err, &e) {
			panic(e) // the thunk's own error, status and all
		}
		sqlprims.Fail(th, "sql/transaction", err) // a failed begin or commit
	}
	return out
}

// fragment renders another service's fragment for (frag …), cached per the
// handler's :ttl (seconds) under a key made of the service, type and
// arguments. Failures are logged and render as nothing, so the page still
// renders; they are not cached.
func (p *Platform) fragment(th *runtime.Thread, service, typ string, args []runtime.Value) runtime.Value {
	if tracing.Load() {
		defer startFragmentSpan(th, service, typ)()
	}
	raw := pairs(th, "frag", args)
	key := fragmentKey(service, typ, raw)
	var html string
	var err error
	if target := p.services[service]; target != nil {
		ttl := target.fragmentTTL(typ)
		fill := func() ([]byte, error) {
			out, err := target.renderFragment(th.Ctx, typ, func(n string) (runtime.Value, bool) {
				v, ok := raw[n]
				return v, ok
			}, requestOf(th), false)
			return []byte(out), err
		}
		var b []byte
		if ttl > 0 {
			filled := false
			b, err = cacheprims.Fetch(th.Ctx, p.opts.Cache, key, ttl, func() ([]byte, error) {
				filled = true
				return fill()
			})
			if filled {
				fragmentMiss.Inc()
			} else {
				fragmentHits.Inc()
			}
		} else {
			b, err = fill()
		}
		html = string(b)
	} else {
		if b, ok, _ := p.opts.Cache.Get(th.Ctx, key); ok {
			fragmentHits.Inc()
			return runtime.HTML(b)
		}
		fragmentMiss.Inc()
		var ttl time.Duration
		html, ttl, err = p.client.fragment(th.Ctx, service, typ, raw)
		if err == nil && ttl > 0 {
			p.opts.Cache.Set(th.Ctx, key, []byte(html), ttl)
		}
	}
	if err != nil {
		p.log.Warn("fragment failed", "service", service, "type", typ, "err", err)
		return runtime.HTML("")
	}
	return runtime.HTML(html)
}

// fragmentKey names a fragment in the cache: frag:service:type:sha1 of the
// arguments in name order (user-specific fragments take the user as an
// argument, so users never share an entry).
func fragmentKey(service, typ string, raw map[string]runtime.Value) string {
	sum := sha1.Sum([]byte(encodeQuery(raw)))
	return "frag:" + service + ":" + typ + ":" + hex.EncodeToString(sum[:])
}

// fragmentTTL is a handler's :ttl option.
func (s *Service) fragmentTTL(typ string) time.Duration {
	def := s.state.Load().env.Definition("handler", typ)
	if def == nil {
		return 0
	}
	if v, ok := def.Option("ttl"); ok {
		if n, ok := v.(int64); ok && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

// renderFragment runs a defhandler and renders it as HTML or, when wire is
// set, in the wire format.
func (s *Service) renderFragment(ctx context.Context, typ string, get func(string) (runtime.Value, bool), req *requestCtx, wire bool) (string, error) {
	st := s.state.Load()
	def := st.env.Definition("handler", typ)
	if def == nil || def.Fn == nil {
		return "", fmt.Errorf("fragment %s/%s: %w", s.Name, typ, errNotFound)
	}
	args, err := bindParams(def.Params, get)
	if err != nil {
		return "", err
	}
	th := st.thread(ctx, s.plat)
	defer st.release(th)
	if req != nil {
		setRequest(th, req)
	}
	if wire {
		return th.RenderWireCall(def.Fn, args...)
	}
	return th.RenderCall(def.Fn, args...)
}
