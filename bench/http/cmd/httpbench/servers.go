package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/rose-ash/sxhost/bench"
	"github.com/rose-ash/sxhost/host"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// productSQL is the statement both sides run for the defquery scenario.
const productSQL = "select id, name, price from products where id = $1"

// listSQL is the list scenario's statement: 24 rows from an id on.
const listSQL = "select id, name, price from products where id >= $1 order by id limit 24"

// orderSQL and soldSQL are the action scenario's transaction, on both sides.
const (
	orderSQL = "insert into bench_orders (product_id, price) select id, price from products where id = $1 returning product_id, price"
	soldSQL  = "update products set sold = sold + 1 where id = $1"
)

// helloHTML is the trivial page: what sxhost answers for the defpage hello
// below (its paragraph inside the host's document shell) and what the raw
// peer writes.
const helloHTML = `<!doctype html><html><head><meta charset="utf-8"><title>Hello</title></head>` +
	`<body><p>Hello, world.</p></body></html>`

// serviceHead is the hand-written part of the service sxhost serves; the
// components of bench.PageSX, the page data and the orders page follow it.
const serviceHead = `;; The service sxhost serves in make bench-http, written by httpbench.

(defservice bench :title "Bench")

(defquery product-by-id (&key (id :int))
  "One product by id."
  (sql/one "` + productSQL + `" id))

(defquery products-from (&key (from :int))
  "24 products from an id on."
  (sql/rows "` + listSQL + `" from))

(defpage hello :path "/hello" :title "Hello"
  :content (p "Hello, world."))

(defaction order-product (&key (id :int))
  "Records an order of one product and counts the sale, in one transaction."
  (let ((o (sql/one "` + orderSQL + `" id)))
    (sql/exec "` + soldSQL + `" id)
    o))
`

// serviceSource returns the whole service file: the query and trivial page,
// the complex page's components (bench.PageSX), its data as SX literals and
// a defpage whose content is bench.PageSXForm.
func serviceSource(p *bench.PageData) string {
	var b strings.Builder
	b.WriteString(serviceHead)
	b.WriteString(productService)
	b.WriteString(blogService)
	b.WriteString("\n;; The complex page of bench/page.go.\n")
	b.WriteString(bench.PageSX)
	b.WriteString("\n;; Its data: bench.NewPageData as SX literals.\n")
	nav, orders := p.SX()
	fmt.Fprintf(&b, "(define page-title %s)\n", runtime.Print(p.Title))
	fmt.Fprintf(&b, "(define user %s)\n", runtime.Print(p.User))
	fmt.Fprintf(&b, "(define total %d)\n", p.Total)
	writeList(&b, "nav-items", nav)
	writeList(&b, "orders", orders)
	b.WriteString("\n(defpage orders :path \"/orders\" :title \"Orders\"\n  :content ")
	b.WriteString(bench.PageSXForm)
	b.WriteString(")\n")
	return b.String()
}

// writeList defines name as (list item…), one item per line.
func writeList(b *strings.Builder, name string, items []runtime.Value) {
	fmt.Fprintf(b, "(define %s (list", name)
	for _, it := range items {
		b.WriteString("\n  ")
		b.WriteString(runtime.Print(it))
	}
	b.WriteString("))\n")
}

// serverLimits gives both sides the limits host.NewServer sets, so that the
// servers differ only in their handlers.
func serverLimits(s *fasthttp.Server) *fasthttp.Server {
	s.MaxRequestBodySize = host.MaxBodySize
	s.ReadTimeout = 30 * time.Second
	s.WriteTimeout = 30 * time.Second
	s.IdleTimeout = 2 * time.Minute
	s.CloseOnShutdown = true
	return s
}

// sxOptions are the production options the sx side runs with.
func sxOptions(pool *pgxpool.Pool, logOut io.Writer) host.Options {
	return host.Options{
		DB:            pool,
		Logger:        slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
		SessionSecret: "httpbench",
		SecureCookies: true,
		// Every wrk connection comes from 127.0.0.1: the per-address cap
		// (256 by default) would refuse the 257th connection at c=256.
		Getenv: func(name string) string {
			if name == "SX_MAX_CONNS_PER_IP" {
				return "4096"
			}
			return ""
		},
	}
}

// newSXServer writes the service file into dir and returns the fasthttp
// server sxhost would run for it: production options (no dev mode, no
// internal secret, secure cookies) and a log at warn level (see
// docs/benchmarks.md). pool may be nil for tests that need no database.
func newSXServer(dir string, pool *pgxpool.Pool, logOut io.Writer) (*fasthttp.Server, error) {
	file := filepath.Join(dir, "bench.sx")
	if err := os.WriteFile(file, []byte(serviceSource(bench.NewPageData())), 0o644); err != nil {
		return nil, err
	}
	p, err := host.New([]string{file}, sxOptions(pool, logOut))
	if err != nil {
		return nil, err
	}
	if problems := p.Check(); len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", file, strings.Join(problems, "; "))
	}
	return host.NewServer(p.Services()[0]), nil
}

// openSXPool opens the pool the way sxhost does (host.OpenDatabase, with its
// statement timer), capped at maxConns.
func openSXPool(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	return host.OpenDatabase(ctx, url, sqlprims.Options{MaxConns: maxConns})
}

// openPeerPool opens a plain pgx pool of the same size.
func openPeerPool(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = maxConns
	return pgxpool.NewWithConfig(ctx, cfg)
}

// product is one row of the products table, encoded as sxhost encodes the
// dict sql/one returns: the columns in order.
type product struct {
	ID    int64       `json:"id"`
	Name  string      `json:"name"`
	Price json.Number `json:"price"` // numeric(10,2) as PostgreSQL prints it: 3.20, as sxhost's decimals
}

// peer is the hand-written server: one fasthttp handler that dispatches on
// the path, as a small hand-written service would, and does for each path
// the work sxhost does for the matching definition.
type peer struct {
	pool    *pgxpool.Pool
	page    *bench.PageData
	timeout time.Duration
}

func newPeerServer(pool *pgxpool.Pool) *fasthttp.Server {
	pr := &peer{pool: pool, page: bench.NewPageData(), timeout: 10 * time.Second}
	return serverLimits(&fasthttp.Server{Handler: pr.handle, Name: "peer"})
}

var (
	pathOrder   = []byte("/internal/actions/order-product")
	pathProduct = []byte("/internal/data/product-by-id")
	pathList    = []byte("/internal/data/products-from")
	pathHello   = []byte("/hello")
	pathOrders  = []byte("/orders")
	pathHealth  = []byte("/healthz")

	pathBlog         = []byte("/blog")
	pathBlogUncached = []byte("/blog-uncached")
)

func (pr *peer) handle(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch {
	case bytes.Equal(path, pathProduct):
		pr.product(ctx)
	case bytes.Equal(path, pathList):
		pr.list(ctx)
	case bytes.Equal(path, pathOrder) && ctx.IsPost():
		pr.order(ctx)
	case bytes.Equal(path, pathHello):
		ctx.SetContentType("text/html; charset=utf-8")
		ctx.SetBodyString(helloHTML)
	case bytes.Equal(path, pathOrders):
		ctx.SetContentType("text/html; charset=utf-8")
		if err := bench.RenderTemplate(ctx, pr.page); err != nil {
			ctx.ResetBody()
			ctx.Error("internal error", 500)
		}
	case bytes.Equal(path, pathBlog) || bytes.Equal(path, pathBlogUncached):
		pr.blogPage(ctx)
	case bytes.HasPrefix(path, pathProductPage):
		pr.productPage(ctx, pathProductPage)
	case bytes.HasPrefix(path, pathProductPageUncached):
		pr.productPage(ctx, pathProductPageUncached)
	case bytes.Equal(path, pathHealth):
		ctx.SetContentType("text/plain")
		ctx.SetBodyString("ok\n")
	default:
		ctx.Error("not found", 404)
	}
}

// product answers like sxhost's defquery: the row as a JSON object, null
// when there is none, under a request deadline like sxhost's (10 s).
func (pr *peer) product(ctx *fasthttp.RequestCtx) {
	id, err := strconv.ParseInt(string(ctx.QueryArgs().Peek("id")), 10, 64)
	if err != nil {
		ctx.Error(`{"error":"id must be an int"}`, 400)
		return
	}
	c, cancel := context.WithTimeout(context.Background(), pr.timeout)
	defer cancel()
	var p product
	var body []byte
	err = pr.pool.QueryRow(c, productSQL, id).Scan(&p.ID, &p.Name, (*string)(&p.Price))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		body = []byte("null")
	case err != nil:
		ctx.Error(`{"error":"internal error"}`, 500)
		return
	default:
		if body, err = json.Marshal(&p); err != nil {
			ctx.Error(`{"error":"internal error"}`, 500)
			return
		}
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// list answers like sxhost's defquery products-from: the rows as a JSON
// array of objects.
func (pr *peer) list(ctx *fasthttp.RequestCtx) {
	from, err := strconv.ParseInt(string(ctx.QueryArgs().Peek("from")), 10, 64)
	if err != nil {
		ctx.Error(`{"error":"from must be an int"}`, 400)
		return
	}
	c, cancel := context.WithTimeout(context.Background(), pr.timeout)
	defer cancel()
	rows, err := pr.pool.Query(c, listSQL, from)
	if err != nil {
		ctx.Error(`{"error":"internal error"}`, 500)
		return
	}
	out := make([]product, 0, 24)
	for rows.Next() {
		var p product
		if err := rows.Scan(&p.ID, &p.Name, (*string)(&p.Price)); err != nil {
			rows.Close()
			ctx.Error(`{"error":"internal error"}`, 500)
			return
		}
		out = append(out, p)
	}
	if rows.Err() != nil {
		ctx.Error(`{"error":"internal error"}`, 500)
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		ctx.Error(`{"error":"internal error"}`, 500)
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// orderLine is what both sides answer for the action: the inserted row's
// columns in order.
type orderLine struct {
	ProductID int64       `json:"product_id"`
	Price     json.Number `json:"price"`
}

// order answers like sxhost's defaction: the JSON body's id, both
// statements in one transaction that commits only when both succeed, the
// returned row as JSON (null when there is no such product).
func (pr *peer) order(ctx *fasthttp.RequestCtx) {
	var in struct {
		ID *int64 `json:"id"`
	}
	if err := json.Unmarshal(ctx.PostBody(), &in); err != nil || in.ID == nil {
		ctx.Error(`{"error":"id must be an int"}`, 400)
		return
	}
	c, cancel := context.WithTimeout(context.Background(), pr.timeout)
	defer cancel()
	var line orderLine
	found := true
	err := pgx.BeginFunc(c, pr.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(c, orderSQL, *in.ID).Scan(&line.ProductID, (*string)(&line.Price))
		if errors.Is(err, pgx.ErrNoRows) {
			found = false
		} else if err != nil {
			return err
		}
		_, err = tx.Exec(c, soldSQL, *in.ID)
		return err
	})
	if err != nil {
		ctx.Error(`{"error":"internal error"}`, 500)
		return
	}
	body := []byte("null")
	if found {
		if body, err = json.Marshal(&line); err != nil {
			ctx.Error(`{"error":"internal error"}`, 500)
			return
		}
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}
