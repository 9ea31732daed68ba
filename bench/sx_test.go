//go:build !nosx

package bench

import (
	"context"
	"fmt"
	"io"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// newSX returns a thread over a fresh environment with every primitive.
func newSX() (*runtime.Env, *runtime.Thread) {
	env := stdlib.NewEnv()
	return env, env.NewThread(context.Background())
}

func loadSX(p *program) (caller, error) {
	env, th := newSX()
	if _, err := th.EvalString(p.name+".sx", p.sx.src); err != nil {
		return nil, err
	}
	fn, ok := env.Lookup(p.sx.fn)
	if !ok {
		return nil, fmt.Errorf("sx: %s is not defined", p.sx.fn)
	}
	return func(n int) (any, error) {
		v, err := th.Apply(fn, int64(n))
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case int64, string:
			return x, nil
		case float64:
			return integral(x)
		}
		return nil, fmt.Errorf("sx: unexpected result %s", runtime.Print(v))
	}, nil
}

// sxPageData converts the page data to SX values once, outside the timing,
// as a host would hand records to a page.
func sxPageData(env *runtime.Env, p *PageData) {
	nav, orders := p.SX()
	env.Define("page-title", p.Title)
	env.Define("user", p.User)
	env.Define("nav-items", &runtime.List{Items: nav})
	env.Define("orders", &runtime.List{Items: orders})
	env.Define("total", int64(p.Total))
}

func loadSXPage(p *PageData) (pageRenderer, error) {
	env, th := newSX()
	if _, err := th.EvalString("page.sx", PageSX); err != nil {
		return nil, err
	}
	sxPageData(env, p)
	form, err := runtime.ReadOne("page-form.sx", PageSXForm)
	if err != nil {
		return nil, err
	}
	return func() (string, error) {
		html, err := th.RenderHTML(form)
		return string(html), err
	}, nil
}

// loadSXPageStream renders the page as sxhost serves a defpage
// (host.servePage): a call of the page's function, compiled once
// (RenderCallOutput), into the writer's chunks (runtime.Output), written
// from them to the connection (w) without a string of the whole page.
func loadSXPageStream(p *PageData) (func(w io.Writer) error, error) {
	env, th := newSX()
	if _, err := th.EvalString("page.sx", PageSX+"\n(define (rows-page) "+PageSXForm+")"); err != nil {
		return nil, err
	}
	sxPageData(env, p)
	page, ok := env.Lookup("rows-page")
	if !ok {
		return nil, fmt.Errorf("sx: rows-page is not defined")
	}
	return func(w io.Writer) error {
		o, err := th.RenderCallOutput(page)
		if err != nil {
			return err
		}
		defer o.Release()
		_, err = o.WriteRange(w, 0, o.Len())
		return err
	}, nil
}
