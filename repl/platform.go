package repl

// The platform behind the prompt: services loaded into a host.Platform,
// their queries and actions callable by name, and the :tx transaction.
//
// What is typed is evaluated in a workspace, a service of the platform that
// is never served. Each loaded service keeps an environment of its own, as
// under sxhost run, and the workspace binds each of its queries and actions
// to a primitive that calls it through host.Platform.Call: parameters are
// coerced as over HTTP, an action runs in one transaction (or a savepoint
// of the :tx transaction), and --read-only refuses actions before they
// start. The services a loaded service calls are loaded too, from the same
// directory, unless SX_URL_<SERVICE> sends those calls to a running one.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rose-ash/sxhost/host"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// workspaceName is the service the prompt evaluates in.
const workspaceName = "repl"

// callable is what a proxy primitive calls: a query or action of a service.
type callable struct {
	service string
	def     *runtime.Definition
}

// proxy is a primitive that calls service's query or action d as
// (query service name …) would, so that typing (cart-summary :user-id 1)
// runs it as a request would.
func (s *Session) proxy(service string, d *runtime.Definition) *runtime.Primitive {
	kind, name := d.Kind, d.Name
	p := &runtime.Primitive{
		Name: name, Params: "(" + paramList(d.Params) + ")", Doc: d.Doc,
		MaxArgs: -1, IO: true,
		Fn: func(th *runtime.Thread, args []runtime.Value) runtime.Value {
			v, err := s.plat.Call(th, kind, service, name, args)
			if err != nil {
				panic(calleeError(th, kind+" "+service+"/"+name, err))
			}
			return v
		},
	}
	s.proxies[p] = callable{service, d}
	return p
}

// calleeError is a failed call as the prompt reports it: an evaluation
// error keeps its own position and backtrace (where in the service it
// failed), followed by the prompt's frames; anything else (a bad
// parameter, a refused action, a service that did not answer) is an error
// here naming the call.
func calleeError(th *runtime.Thread, where string, err error) *runtime.Error {
	var inner *runtime.Error
	if errors.As(err, &inner) {
		out := *inner
		out.Trace = append(append([]runtime.TraceEntry(nil), inner.Trace...), th.Errorf("").Trace...)
		return &out
	}
	if errors.Is(err, host.ErrReadOnly) {
		return th.Errorf("%v", err)
	}
	return th.Errorf("%s: %v", where, err)
}

// bindWorkspace turns the queries and actions defined in the workspace
// (typed or loaded from a file) into proxies, so they too run as requests
// do. A name rebound to something else since is left alone.
func (s *Session) bindWorkspace() {
	env := s.ws.Env()
	for _, d := range env.Definitions("") {
		if d.Kind != "query" && d.Kind != "action" {
			continue
		}
		if v, _ := env.Lookup(d.Name); v == runtime.Value(d) {
			env.Define(d.Name, s.proxy(s.ws.Name, d))
		}
	}
}

// bindService binds a loaded service's queries and actions in the
// workspace as SERVICE/NAME and, for a service loaded by name (not only for
// another's calls), as NAME, unless NAME means something else there.
func (s *Session) bindService(svc *host.Service, byName bool) {
	env := s.ws.Env()
	for _, d := range svc.Env().Definitions("") {
		if d.Kind != "query" && d.Kind != "action" {
			continue
		}
		p := s.proxy(svc.Name, d)
		env.Define(svc.Name+"/"+d.Name, p)
		if !byName {
			continue
		}
		if old, bound := env.Lookup(d.Name); bound {
			prev, isProxy := old.(*runtime.Primitive)
			c, ok := s.proxies[prev]
			if !isProxy || !ok {
				s.info("%s's %s %s is %s/%s here: %s is already defined", svc.Name, d.Kind, d.Name, svc.Name, d.Name, d.Name)
				continue
			}
			if c.service != svc.Name {
				s.info("%s now calls %s's %s (%s/%s calls %s's)", d.Name, svc.Name, d.Kind, c.service, d.Name, c.service)
			}
		}
		env.Define(d.Name, p)
	}
}

// serviceFile is the file of service name: services/NAME.sx.
func serviceFile(name string) (string, error) {
	main := filepath.Join("services", name+".sx")
	if _, err := os.Stat(main); err != nil {
		return "", fmt.Errorf(":service %s: %s does not exist (in %s)", name, main, cwd())
	}
	return main, nil
}

// declaresService reports whether a file declares a service with a
// top-level (defservice …): such a file given to sx repl or :load is
// loaded as a service, in an environment of its own.
func declaresService(path string) bool {
	src, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	forms, _, err := runtime.ReadPositions(path, string(src))
	if err != nil {
		return false
	}
	for _, f := range forms {
		if headName(f) == "defservice" {
			return true
		}
	}
	return false
}

// loadService loads (or reloads) the service declared in file, binds its
// queries and actions, then loads the services it calls that are neither
// loaded nor reached through SX_URL_<SERVICE>, from file's directory. It
// returns the service and the names of those it loaded for its calls.
func (s *Session) loadService(file string, byName bool) (*host.Service, []string, error) {
	svc, err := s.plat.Load(file)
	if err != nil {
		return nil, nil, err
	}
	s.noteService(svc, byName)
	deps, err := s.loadCalls(svc, filepath.Dir(file))
	return svc, deps, err
}

// loadCalls loads, from dir, the services svc calls (and those they call)
// that are neither loaded nor reached through SX_URL_<SERVICE>, and returns
// their names.
func (s *Session) loadCalls(svc *host.Service, dir string) ([]string, error) {
	var deps []string
	queue := svc.Calls()
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if s.plat.Service(name) != nil || s.plat.Remote(name) != "" {
			continue
		}
		f := filepath.Join(dir, name+".sx")
		if _, err := os.Stat(f); err != nil {
			continue // a call to it fails, saying SX_URL_<SERVICE> is not set
		}
		dep, err := s.plat.Load(f)
		if err != nil {
			return deps, err
		}
		s.noteService(dep, false)
		deps = append(deps, name)
		queue = append(queue, dep.Calls()...)
	}
	return deps, nil
}

// noteService records a loaded service and binds its callables.
func (s *Session) noteService(svc *host.Service, byName bool) {
	if _, seen := s.services[svc.Name]; !seen {
		s.serviceOrder = append(s.serviceOrder, svc.Name)
	}
	s.services[svc.Name] = svc.Files
	s.byName[svc.Name] = s.byName[svc.Name] || byName
	s.bindService(svc, s.byName[svc.Name])
}

// describeLoad is the remark after :service: what was loaded and where the
// calls to other services go.
func (s *Session) describeLoad(svc *host.Service, deps []string) string {
	counts := map[string]int{}
	for _, d := range svc.Env().Definitions("") {
		counts[d.Kind]++
	}
	var parts []string
	for _, k := range []string{"query", "action", "handler", "route", "page"} {
		if counts[k] > 0 {
			parts = append(parts, plural(counts[k], k))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no definitions")
	}
	msg := fmt.Sprintf("service %s: %s, from %s", svc.Name, strings.Join(parts, ", "), plural(len(svc.Files), "file"))
	if len(deps) > 0 {
		msg += "; loaded for its calls: " + strings.Join(deps, ", ")
	}
	var remote []string
	for _, c := range svc.Calls() {
		if s.plat.Service(c) == nil {
			if u := s.plat.Remote(c); u != "" {
				remote = append(remote, c+" at "+u)
			} else {
				remote = append(remote, c+" (not found: set SX_URL_"+strings.ToUpper(strings.ReplaceAll(c, "-", "_"))+")")
			}
		}
	}
	if len(remote) > 0 {
		sort.Strings(remote)
		msg += "; calls " + strings.Join(remote, ", ")
	}
	return msg
}

// ---- :in ----

// cmdInLocal moves the prompt into a loaded service's environment, or back
// to the workspace for "" (or its name).
func (s *Session) cmdInLocal(name string) {
	if name == "" || name == s.ws.Name {
		s.enter(s.ws)
		return
	}
	svc := s.plat.Service(name)
	if svc == nil {
		s.report(fmt.Errorf(":in %s: no service %s is loaded (:service %s loads it)", name, name, name))
		return
	}
	s.enter(svc)
	if s.interactive {
		s.info("evaluating in %s's environment; each entry runs in one transaction; :in alone goes back", name)
	}
}

// enter makes the prompt evaluate in svc's current environment, giving it
// the REPL's doc and *1 *2 *3 *e.
func (s *Session) enter(svc *host.Service) {
	env := svc.Env()
	if _, ok := env.Lookup("repl/doc"); !ok {
		env.DefinePrimitives(s.docPrimitive())
		if _, err := env.NewThread(context.Background()).EvalString("<repl>", docMacro); err != nil {
			s.report(err)
		}
	}
	for _, n := range []string{"*1", "*2", "*3", "*e"} {
		v, _ := s.env.Lookup(n)
		env.Define(n, v)
	}
	s.cur, s.env = svc, env
	s.th = svc.NewThread(context.Background())
	s.th.Out = s.out
	s.bindDB()
}

// reenter takes the new environment of the service the prompt is in after
// a reload.
func (s *Session) reenter() {
	if s.cur != s.ws {
		s.enter(s.cur)
	}
}

// refuseReadOnly reports an action called at the top of an entry in a
// service's environment on a read-only session, where it would be a plain
// call: refused before it starts, as through Call.
func (s *Session) refuseReadOnly(form runtime.Value) bool {
	if !s.readOnly || s.cur == s.ws {
		return false
	}
	v, _ := s.env.Lookup(headName(form))
	if d, ok := v.(*runtime.Definition); ok && d.Kind == "action" {
		s.report(fmt.Errorf("action %s/%s: %w", s.cur.Name, d.Name, host.ErrReadOnly))
		return true
	}
	return false
}

// ---- :tx, :commit, :rollback ----

// cmdTx begins the explicit transaction: everything evaluated until
// :commit or :rollback runs in it, each entry as a savepoint.
func (s *Session) cmdTx() {
	if s.pool == nil {
		s.report(errors.New(":tx: no database (start the REPL with --db URL)"))
		return
	}
	if s.tx != nil {
		s.report(errors.New(":tx: a transaction is already open (:commit or :rollback ends it)"))
		return
	}
	err := s.withCancel(func(ctx context.Context) error {
		tx, err := s.pool.Begin(ctx)
		s.tx = tx
		return err
	})
	if err != nil {
		s.tx = nil
		s.report(fmt.Errorf(":tx: %s", pgMessage(err)))
		return
	}
	sqlprims.Bind(s.th, s.tx)
	if s.interactive {
		s.info("transaction begun: :commit keeps its changes, :rollback drops them")
	}
}

// cmdEndTx commits or rolls back the explicit transaction.
func (s *Session) cmdEndTx(commit bool) {
	name := map[bool]string{true: "commit", false: "rollback"}[commit]
	if s.tx == nil {
		s.report(fmt.Errorf(":%s: no transaction is open (:tx begins one)", name))
		return
	}
	tx := s.tx
	s.tx = nil
	s.bindDB()
	err := s.withCancel(func(ctx context.Context) error {
		if commit {
			return tx.Commit(ctx)
		}
		return tx.Rollback(ctx)
	})
	switch {
	case err != nil:
		s.report(fmt.Errorf(":%s: %s", name, pgMessage(err)))
	case s.interactive && commit:
		s.info("committed")
	case s.interactive:
		s.info("rolled back")
	}
}

// bindDB binds the prompt's thread to the open transaction, else the pool.
func (s *Session) bindDB() {
	switch {
	case s.tx != nil:
		sqlprims.Bind(s.th, s.tx)
	case s.pool != nil:
		sqlprims.Bind(s.th, s.pool)
	}
}

// inSavepoint runs f, inside the explicit transaction as a savepoint, so a
// failed entry undoes only its own changes and the transaction stays
// usable (psql's ON_ERROR_ROLLBACK). Outside one it just runs f.
func (s *Session) inSavepoint(ctx context.Context, f func() error) error {
	if s.tx == nil && s.cur != s.ws && s.pool != nil {
		// In a service's environment an action typed is a plain call: the
		// entry runs in one transaction, as the host runs an action.
		return s.plat.InTransaction(ctx, s.pool, func(ctx context.Context, tx pgx.Tx) error {
			s.th.Ctx = ctx // its after-commit hooks
			sqlprims.Bind(s.th, tx)
			defer s.bindDB()
			return f()
		})
	}
	if s.tx == nil {
		return f()
	}
	sp, err := s.tx.Begin(ctx)
	if err != nil {
		s.lostTx(err)
		return err
	}
	sqlprims.Bind(s.th, sp)
	defer s.bindDB()
	if err := f(); err != nil {
		if rerr := sp.Rollback(context.Background()); rerr != nil {
			s.lostTx(rerr)
		} else if s.interactive {
			defer s.info("the entry's changes were rolled back; the transaction is still open")
		}
		return err
	}
	if err := sp.Commit(ctx); err != nil {
		s.lostTx(err)
		return err
	}
	return nil
}

// lostTx drops a transaction whose connection broke (an interrupted
// statement closes it): the server has rolled it back.
func (s *Session) lostTx(err error) {
	if s.tx == nil || !s.tx.Conn().IsClosed() {
		return
	}
	s.tx = nil
	s.bindDB()
	fmt.Fprintf(s.err, "sx repl: the transaction was lost and rolled back (%s)\n", pgMessage(err))
}

// endSession rolls back a transaction left open, as psql does on exit.
func (s *Session) endSession() {
	if s.tx == nil {
		return
	}
	tx := s.tx
	s.tx = nil
	if err := tx.Rollback(context.Background()); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		fmt.Fprintf(s.err, "sx repl: rolling back the open transaction: %v\n", err)
		return
	}
	fmt.Fprintln(s.err, "sx repl: the open transaction was rolled back (:commit keeps changes)")
}
