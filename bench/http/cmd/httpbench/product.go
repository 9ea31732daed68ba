package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/valyala/fasthttp"
)

// The product scenario (issue 14): a shop's product page, the shape of
// services/market's — title, description, canonical link, schema.org JSON-LD,
// breadcrumbs, the price as money, the add-to-cart form and four related
// products — from two statements (the product, the products after it).
// sxhost renders it with a defpage and components; the peer with
// fasthttp, pgx and html/template, writing the same bytes. sxhost serves it
// twice: /product/<id> through two defqueries with :cache 30 (the
// platform's query-result cache; the peer, a hand-written handler, has
// none and runs both statements every time), /product-uncached/<id> with
// the statements run on every request, like the peer.

const relatedSQL = "select id, name, price from products where id > $1 order by id limit 4"

const productService = `
;; The product scenario: a product page as services/market writes one.
(defcomp ~bench-product-page (&key p related)
  (html
    (head
      (meta :charset "utf-8")
      (title (str (get p :name) " · Bench market"))
      (meta :name "description" :content (str (get p :name) ", " (format-money (get p :price) "GBP") "."))
      (link :rel "canonical" :href (str "/product/" (get p :id)))
      (script :type "application/ld+json"
        (raw! (replace (json-encode {"@context" "https://schema.org" "@type" "Product" "name" (get p :name)
                                     "url" (str "/product/" (get p :id))
                                     "offers" {"@type" "Offer" "price" (format-decimal (get p :price) 2)
                                               "priceCurrency" "GBP"}})
                       "<" "\\u003c"))))
    (body
      (header :class "site-header" (a :href "/" "Bench market"))
      (main :class "content"
        (nav :class "breadcrumbs" :aria-label "Breadcrumb"
             (ol (li (a :href "/" "Bench market")) (li (span :aria-current "page" (get p :name)))))
        (article :class "product"
          (h1 (get p :name))
          (p :class "price" (format-money (get p :price) "GBP"))
          (form :method "post" :action (str "/product/" (get p :id) "/add")
                (label :for "q" "Quantity")
                (input :id "q" :type "number" :name "quantity" :value "1" :min "1" :max "999")
                (button :type "submit" "Add to cart")))
        (section :aria-labelledby "related"
          (h2 :id "related" "Related")
          (ul (map (fn (r) (li (a :href (str "/product/" (get r :id)) (get r :name))
                               " " (format-money (get r :price) "GBP")))
                   related)))))))

;; /product/<id>: the queries keep their results for 30 s (defquery
;; :cache), dropped when the process writes to the database, as a
;; platform's product pages would.
(defquery product-page-row :cache 30 (&key (id :int))
  "The product of a product page."
  (sql/one "` + productSQL + `" id))

(defquery product-page-related :cache 30 (&key (id :int))
  "The four products after it."
  (sql/rows "` + relatedSQL + `" id))

(defpage product :path "/product/<id>" :title "Product" :params ((id :int))
  :content
  (let ((p (or (product-page-row :id id) (abort 404 "no such product")))
        (related (product-page-related :id id)))
    (~bench-product-page :p p :related related)))

;; /product-uncached/<id>: the two statements on every request.
(defpage product-uncached :path "/product-uncached/<id>" :title "Product" :params ((id :int))
  :content
  (let ((p (or (sql/one "` + productSQL + `" id) (abort 404 "no such product")))
        (related (sql/rows "` + relatedSQL + `" id)))
    (~bench-product-page :p p :related related)))
`

// productTemplate is the same page in html/template. Names are written
// escaped the way the SX renderer escapes (html/template writes '"' as
// &#34;, SX as &quot;), passed in as template.HTML; the JSON-LD as
// template.JS.
var productTemplate = template.Must(template.New("product").Parse(
	`<!doctype html><html><head><meta charset="utf-8"><title>{{.Name}} · Bench market</title>` +
		`<meta name="description" content="{{.Name}}, £{{.Price}}."><link rel="canonical" href="/product/{{.ID}}">` +
		`<script type="application/ld+json">{{.JSONLD}}</script></head>` +
		`<body><header class="site-header"><a href="/">Bench market</a></header><main class="content">` +
		`<nav class="breadcrumbs" aria-label="Breadcrumb"><ol><li><a href="/">Bench market</a></li>` +
		`<li><span aria-current="page">{{.Name}}</span></li></ol></nav>` +
		`<article class="product"><h1>{{.Name}}</h1><p class="price">£{{.Price}}</p>` +
		`<form method="post" action="/product/{{.ID}}/add"><label for="q">Quantity</label>` +
		`<input id="q" type="number" name="quantity" value="1" min="1" max="999"><button type="submit">Add to cart</button></form></article>` +
		`<section aria-labelledby="related"><h2 id="related">Related</h2><ul>` +
		`{{range .Related}}<li><a href="/product/{{.ID}}">{{.Name}}</a> £{{.Price}}</li>{{end}}` +
		`</ul></section></main></body></html>`))

type productView struct {
	ID      int64
	Name    template.HTML
	Price   string
	JSONLD  template.JS
	Related []productView
}

var sxEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

type productLD struct {
	Context string  `json:"@context"`
	Type    string  `json:"@type"`
	Name    string  `json:"name"`
	URL     string  `json:"url"`
	Offers  offerLD `json:"offers"`
}

type offerLD struct {
	Type     string `json:"@type"`
	Price    string `json:"price"`
	Currency string `json:"priceCurrency"`
}

var (
	pathProductPage         = []byte("/product/")
	pathProductPageUncached = []byte("/product-uncached/")
)

// productPage answers /product/<id> and /product-uncached/<id> as the
// defpages do; prefix is the path's.
func (pr *peer) productPage(ctx *fasthttp.RequestCtx, prefix []byte) {
	id, err := strconv.ParseInt(string(bytes.TrimPrefix(ctx.Path(), prefix)), 10, 64)
	if err != nil {
		ctx.Error("bad id", 400)
		return
	}
	c, cancel := context.WithTimeout(context.Background(), pr.timeout)
	defer cancel()
	var name string
	v := productView{}
	err = pr.pool.QueryRow(c, productSQL, id).Scan(&v.ID, &name, &v.Price)
	if errors.Is(err, pgx.ErrNoRows) {
		ctx.Error("no such product", 404)
		return
	} else if err != nil {
		ctx.Error("internal error", 500)
		return
	}
	v.Name = template.HTML(sxEscaper.Replace(name))
	var ld bytes.Buffer
	enc := json.NewEncoder(&ld)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(productLD{"https://schema.org", "Product", name, "/product/" + strconv.FormatInt(id, 10),
		offerLD{"Offer", v.Price, "GBP"}}); err != nil {
		ctx.Error("internal error", 500)
		return
	}
	v.JSONLD = template.JS(strings.ReplaceAll(strings.TrimSuffix(ld.String(), "\n"), "<", `\u003c`))
	rows, err := pr.pool.Query(c, relatedSQL, id)
	if err != nil {
		ctx.Error("internal error", 500)
		return
	}
	for rows.Next() {
		var r productView
		var rname string
		if err := rows.Scan(&r.ID, &rname, &r.Price); err != nil {
			rows.Close()
			ctx.Error("internal error", 500)
			return
		}
		r.Name = template.HTML(sxEscaper.Replace(rname))
		v.Related = append(v.Related, r)
	}
	if rows.Err() != nil {
		ctx.Error("internal error", 500)
		return
	}
	ctx.SetContentType("text/html; charset=utf-8")
	if err := productTemplate.Execute(ctx, &v); err != nil {
		ctx.ResetBody()
		ctx.Error("internal error", 500)
	}
}
