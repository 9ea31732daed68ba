package host

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/jackc/pgx/v5"

	cacheprims "github.com/rose-ash/sxhost/prims/cache"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// RunScript evaluates an SX file against the platform, as `sxhost seed`
// does: its (query …) and (action …) reach the loaded services in-process,
// and the whole script runs in one transaction that commits only when the
// script succeeds, so a failing script leaves the database as it was.
// print and println write to out.
func (p *Platform) RunScript(ctx context.Context, file string, out io.Writer) (runtime.Value, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return p.RunSource(ctx, file, string(src), out)
}

// RunSource is RunScript for source text (name labels its positions): the
// commands that drive the services' own actions (sxhost clients) use it.
func (p *Platform) RunSource(ctx context.Context, name, src string, out io.Writer) (runtime.Value, error) {
	if p.opts.DB == nil {
		return nil, errors.New("running a script needs a database (DATABASE_URL)")
	}
	env := p.newEnv()
	th := env.NewThread(ctx)
	th.Out = out
	th.StepBudget = p.opts.StepBudget
	cacheprims.Bind(th, p.opts.Cache)
	var result runtime.Value
	err := p.InTransaction(ctx, p.opts.DB, func(ctx context.Context, tx pgx.Tx) error {
		th.Ctx = ctx
		sqlprims.Bind(th, tx)
		v, err := th.EvalString(name, src)
		result = v
		return err
	})
	sqlprims.NoteWrite()
	return result, err
}
