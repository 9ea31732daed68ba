package host

import (
	"context"
	"os"
	"sync"

	"github.com/jackc/pgx/v5"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// After-commit hooks: (after-commit thunk) inside a transaction keeps thunk
// until the transaction commits and then runs it, or drops it when the
// transaction rolls back. For what must not happen before the writes are
// visible to others and must not happen at all without them: blog's like
// toggle writes the new like state through to the shared cache (a reader
// that saw the old state in the database and stores it after the write
// must lose to it). Outside a transaction the thunk runs at once: each
// statement has already committed.
//
// The hooks of a transaction travel in the context of the threads that run
// in it: an action's own thread and those of the actions and queries it
// calls in-process (their context is the caller's). A savepoint (an action
// called inside another, a nested sql/transaction, an activity handler or
// a job inside its bookkeeping transaction) adds to the enclosing
// transaction's hooks and removes its own again when it rolls back. Hooks
// run in order on fresh threads of the environment that registered them,
// bound to the database pool, after the commit and before the action
// returns to its caller; the request's cancellation does not stop them.
// A hook's failure is logged: the transaction has committed, so it does
// not change the caller's answer.

type commitHooks struct {
	mu    sync.Mutex
	hooks []commitHook
}

type commitHook struct {
	env   *runtime.Env
	thunk runtime.Value
}

type commitHooksKey struct{}

// hooksOf is the hook list of the transaction ctx runs in, or nil.
func hooksOf(ctx context.Context) *commitHooks {
	h, _ := ctx.Value(commitHooksKey{}).(*commitHooks)
	return h
}

// withCommitHooks returns ctx carrying a new hook list, for a transaction
// about to begin on the pool.
func withCommitHooks(ctx context.Context) (context.Context, *commitHooks) {
	h := &commitHooks{}
	return context.WithValue(ctx, commitHooksKey{}, h), h
}

func (h *commitHooks) add(hk commitHook) {
	h.mu.Lock()
	h.hooks = append(h.hooks, hk)
	h.mu.Unlock()
}

func (h *commitHooks) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.hooks)
}

// truncate drops the hooks added after the first n: those of a savepoint
// that rolled back.
func (h *commitHooks) truncate(n int) {
	h.mu.Lock()
	clear(h.hooks[n:])
	h.hooks = h.hooks[:n]
	h.mu.Unlock()
}

// run runs the hooks of a committed transaction, once.
func (p *Platform) runCommitHooks(ctx context.Context, h *commitHooks) {
	h.mu.Lock()
	hooks := h.hooks
	h.hooks = nil
	h.mu.Unlock()
	if len(hooks) == 0 {
		return
	}
	sqlprims.NoteWrite() // the hooks read what was committed, not results cached before
	ctx = context.WithoutCancel(ctx)
	for _, hk := range hooks {
		th := hk.env.AcquireThread(ctx)
		th.StepBudget = p.opts.StepBudget
		th.Out = os.Stderr
		p.bindIO(th)
		if _, err := th.Apply(hk.thunk); err != nil {
			p.log.Warn("after-commit hook failed", "err", err)
		}
		hk.env.ReleaseThread(th)
	}
}

// Beginner is a pool or a transaction: what InTransaction begins a transaction
// or savepoint on.
type Beginner interface {
	Begin(context.Context) (pgx.Tx, error)
}

// InTransaction runs fn in a transaction begun on begin — a new one on a
// pool, a savepoint on a pgx.Tx — with a context carrying the hooks fn's
// code registers (fn binds it to the threads it runs: th.Ctx = ctx): a new
// transaction's run once it commits; a savepoint's join those of the
// transaction around it (ctx's), dropped if the savepoint rolls back. A
// savepoint of a transaction begun elsewhere (the REPL's :tx) has no
// hooks: after-commit fails in it.
func (p *Platform) InTransaction(ctx context.Context, begin Beginner, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if _, nested := begin.(pgx.Tx); nested {
		h := hooksOf(ctx)
		if h == nil {
			return pgx.BeginFunc(ctx, begin, func(tx pgx.Tx) error { return fn(ctx, tx) })
		}
		mark := h.len()
		err := pgx.BeginFunc(ctx, begin, func(tx pgx.Tx) error { return fn(ctx, tx) })
		if err != nil {
			h.truncate(mark)
		}
		return err
	}
	hctx, h := withCommitHooks(ctx)
	err := pgx.BeginFunc(ctx, begin, func(tx pgx.Tx) error { return fn(hctx, tx) })
	if err == nil {
		p.runCommitHooks(ctx, h)
	}
	return err
}

// afterCommit is (after-commit thunk).
func (p *Platform) afterCommit(th *runtime.Thread, a []runtime.Value) runtime.Value {
	switch a[0].(type) {
	case *runtime.Lambda, *runtime.Primitive:
	default:
		th.Fail("after-commit expects a function of no arguments, got %s", runtime.TypeOf(a[0]))
	}
	if _, inTx := sqlprims.Bound(th).(pgx.Tx); !inTx {
		th.Call(a[0])
		return nil
	}
	h := hooksOf(th.Ctx)
	if h == nil {
		th.Fail("after-commit: this transaction runs no hooks (one begun outside the host, such as the REPL's :tx)")
	}
	h.add(commitHook{env: th.Env, thunk: a[0]})
	return nil
}
