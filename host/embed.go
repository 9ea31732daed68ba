package host

// The API for running services outside `sxhost run`, used by the REPL
// (sx repl): services are loaded one at a time with Load, what the user
// types is evaluated in a Workspace, and queries and actions are called
// with Call, so they run exactly as (query …) and (action …) run them in a
// served service — parameters coerced the same way, an action in one
// transaction, in-process between loaded services and over signed HTTP to
// SX_URL_<SERVICE> for the others.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// ErrReadOnly is the error of an action called on a read-only platform
// (Options.ReadOnly): it was refused before it started.
var ErrReadOnly = errors.New("refused: the session is read-only (--read-only), actions do not run")

// add loads file as a new service.
func (p *Platform) add(file string) (*Service, error) {
	svc := &Service{plat: p, Files: serviceFiles(file)}
	st, err := svc.load()
	if err != nil {
		return nil, err
	}
	if _, dup := p.services[svc.Name]; dup {
		return nil, fmt.Errorf("%s: service %s is already loaded", file, svc.Name)
	}
	svc.state.Store(st)
	p.services[svc.Name] = svc
	p.order = append(p.order, svc)
	return svc, nil
}

// Load loads the service declared in file (with the .sx files of the
// directory named after it, as New does) or, when a service was loaded from
// file already, reloads it; a failed reload keeps the service as it was.
func (p *Platform) Load(file string) (*Service, error) {
	for _, s := range p.order {
		if filepath.Clean(s.Files[0]) == filepath.Clean(file) {
			return s, s.Reload()
		}
	}
	return p.add(file)
}

// Workspace adds a service called name that has no files and is never
// served: an environment with the standard library and every primitive a
// service has, for a REPL to evaluate what is typed. The queries and
// actions defined there are called with Call like any service's (an
// action in its own transaction); (emit-activity …) there names name as
// the activity's origin.
func (p *Platform) Workspace(name string) (*Service, error) {
	if _, dup := p.services[name]; dup {
		return nil, fmt.Errorf("a service called %s is already loaded", name)
	}
	svc := &Service{plat: p, Name: name, Title: name}
	env := p.newEnv()
	env.DefinePrimitives(svc.primitives()...)
	st := &state{env: env, pages: map[string]*runtime.Lambda{}}
	st.threads.New = func() any { return env.NewThread(nil) }
	svc.state.Store(st)
	p.services[name] = svc
	return svc, nil
}

// NewThread returns a thread over the service's current environment with
// the platform's database and cache bound, for evaluating outside a request
// (a REPL prompt). A reload replaces the environment: take a new thread
// after one.
func (s *Service) NewThread(ctx context.Context) *runtime.Thread {
	th := s.Env().NewThread(ctx)
	th.Out = os.Stderr
	s.plat.bindIO(th)
	return th
}

// bindIO binds the platform's database and cache to a thread.
func (p *Platform) bindIO(th *runtime.Thread) {
	if p.opts.Router != nil {
		sqlprims.Bind(th, p.opts.Router) // reads on the replica (replica.go)
	} else if p.opts.DB != nil {
		sqlprims.Bind(th, p.opts.DB)
	}
	if p.bindCache != nil {
		p.bindCache(th)
	} else {
		cacheprims.Bind(th, p.opts.Cache) // a Platform not made by New (tests)
	}
}

// Calls returns the other services the service's code calls by a literal
// name — (query "events" …), (action …), (frag …) — sorted.
func (s *Service) Calls() []string {
	st := s.state.Load()
	var pages []runtime.Value
	for _, fn := range st.pages {
		pages = append(pages, fn)
	}
	set := map[string]bool{}
	for _, f := range st.env.Check(pages...) {
		if f.Call != nil && f.Call.Service != s.Name {
			set[f.Call.Service] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Remote returns the base URL calls to service go to when it is not loaded
// here (Options.Remote), or "".
func (p *Platform) Remote(service string) string { return p.opts.Remote[service] }

// RemoteFromEnv reads the SX_URL_<SERVICE> variables of environ (as
// os.Environ returns it) into a map for Options.Remote; SX_URL_SOME_NAME
// is the service some-name.
func RemoteFromEnv(environ []string) map[string]string { return urlsFromEnv(environ, "SX_URL_") }

// urlsFromEnv reads the variables prefix<SERVICE> of environ into a map by
// service name (SOME_NAME is some-name).
func urlsFromEnv(environ []string, prefix string) map[string]string {
	urls := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, prefix) && v != "" {
			urls[strings.ToLower(strings.ReplaceAll(k[len(prefix):], "_", "-"))] = v
		}
	}
	return urls
}
