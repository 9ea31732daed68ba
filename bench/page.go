package bench

import (
	"html/template"
	"io"
	"strconv"
	"strings"

	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

// The "complex page" program: a layout with a header and navigation, a
// 50-row order table built from nested components, a conditional badge,
// boolean and nil-omitted attributes, void elements and escaped user text.
//
// The same page is written four times (SX, html/template, gomponents and a
// hand-written strings.Builder writer) and the four outputs must be
// byte-identical. The escapers disagree on quotes ('"' is &#34; in Go and
// &quot; in SX) and html/template also escapes '+', so the user text below
// uses only '<', '>' and '&' in text nodes and only '&' in attribute values.

// NavItem is one link of the site navigation.
type NavItem struct {
	Href, Label string
	Active      bool
}

// Order is one row of the order table.
type Order struct {
	ID       int
	Customer string // shown as text and in a title attribute: '&' only
	Note     string // text only: may hold '<', '>' and '&'
	Qty      int
	Status   string
	Urgent   bool
}

// PageData is everything the page shows.
type PageData struct {
	Title  string
	User   string
	Nav    []NavItem
	Orders []Order
	Total  int
}

// PageRows is the number of rows in the order table.
const PageRows = 50

// NewPageData returns the deterministic data set every renderer uses.
func NewPageData() *PageData { return NewPageDataRows(PageRows) }

// NewPageDataRows is NewPageData with rows order rows: the large-page
// benchmarks (BenchmarkRows…) render the same page at 100 to 10,000 rows.
func NewPageDataRows(rows int) *PageData {
	customers := []string{"Smith & Sons", "Ada Lovelace", "B&Q Ltd", "Grace Hopper", "R&D Collective", "Linus"}
	notes := []string{
		"Leave at the door",
		"Fragile: <glass> & ceramics",
		"Deliver after 5pm > before 9am",
		"<script>alert(1)</script>",
		"Call first & knock twice",
		"",
		"Box < 2kg",
	}
	statuses := []string{"pending", "paid", "shipped", "delivered", "cancelled"}
	p := &PageData{
		Title: "Orders & Returns",
		User:  "Ada <admin>",
		Nav: []NavItem{
			{Href: "/", Label: "Home"},
			{Href: "/orders", Label: "Orders", Active: true},
			{Href: "/returns", Label: "Returns & Refunds"},
			{Href: "/account", Label: "Account"},
		},
	}
	for i := 0; i < rows; i++ {
		o := Order{
			ID:       1000 + i,
			Customer: customers[i%len(customers)],
			Note:     notes[i%len(notes)],
			Qty:      (i*7)%5 + 1,
			Status:   statuses[i%len(statuses)],
			Urgent:   i%4 == 0,
		}
		p.Orders = append(p.Orders, o)
		p.Total += o.Qty
	}
	return p
}

// PageSX defines the SX components. The page itself is PageSXForm. Note that
// ~layout's parameter title does not hide the title element: (title …) in
// head position is still the element, and title as an argument is the
// parameter.
const PageSX = `
(defcomp ~layout (&key title user &rest children)
  (<>
    (raw! "<!doctype html>")
    (html :lang "en"
      (head
        (meta :charset "utf-8")
        (title (str title " - Rose Ash"))
        (link :rel "stylesheet" :href "/static/site.css"))
      (body
        (~site-header :user user)
        (main :class "content" (h1 title) children)
        (footer :class "site-footer"
          (p "Orders are shown in the order placed." (br) "Questions? Write to the co-op."))))))

(defcomp ~site-header (&key user)
  (header :class "site-header"
    (a :class "brand" :href "/" "Rose Ash")
    (nav (ul (map (fn (item) (~nav-item :href (get item :href) :label (get item :label) :active (get item :active))) nav-items)))
    (span :class "user" user)))

(defcomp ~nav-item (&key href label active)
  (li :class (when active "active") (a :href href label)))

(defcomp ~badge (&key status)
  (span :class (str "badge badge-" status) status))

(defcomp ~order-row (&key order)
  (let ((id (get order :id)) (urgent (get order :urgent)))
    (tr :class (str "order status-" (get order :status) (if urgent " urgent" "")) :data-id id
      (td (a :href (str "/orders/" id) id))
      (td :title (get order :customer) (get order :customer))
      (td (get order :note))
      (td (get order :qty))
      (td (~badge :status (get order :status)))
      (td (input :type "checkbox" :disabled true :checked urgent)))))

(defcomp ~orders-table (&key orders total)
  (table :class "orders"
    (thead (tr (th "#") (th "Customer") (th "Note") (th "Qty") (th "Status") (th "Urgent")))
    (tbody (map (fn (o) (~order-row :order o)) orders))
    (tfoot (tr (td :colspan "3" "Total") (td total) (td :colspan "2")))))
`

// PageSXForm is the page expression; the globals page-title, user, nav-items,
// orders and total hold the data.
const PageSXForm = `(~layout :title page-title :user user
  (p :class "lead" "Signed in as " (strong user) ". " (len orders) " orders.")
  (~orders-table :orders orders :total total))`

// PageTemplate is the html/template version, one template per component.
var PageTemplate = template.Must(template.New("page").Parse(
	`{{define "page"}}<!doctype html><html lang="en"><head><meta charset="utf-8">` +
		`<title>{{.Title}} - Rose Ash</title><link rel="stylesheet" href="/static/site.css"></head>` +
		`<body>{{template "site-header" .}}<main class="content"><h1>{{.Title}}</h1>` +
		`<p class="lead">Signed in as <strong>{{.User}}</strong>. {{len .Orders}} orders.</p>` +
		`{{template "orders-table" .}}</main>` +
		`<footer class="site-footer"><p>Orders are shown in the order placed.<br>Questions? Write to the co-op.</p></footer>` +
		`</body></html>{{end}}` +

		`{{define "site-header"}}<header class="site-header"><a class="brand" href="/">Rose Ash</a>` +
		`<nav><ul>{{range .Nav}}{{template "nav-item" .}}{{end}}</ul></nav>` +
		`<span class="user">{{.User}}</span></header>{{end}}` +

		`{{define "nav-item"}}<li{{if .Active}} class="active"{{end}}><a href="{{.Href}}">{{.Label}}</a></li>{{end}}` +

		`{{define "badge"}}<span class="badge badge-{{.}}">{{.}}</span>{{end}}` +

		`{{define "order-row"}}<tr class="order status-{{.Status}}{{if .Urgent}} urgent{{end}}" data-id="{{.ID}}">` +
		`<td><a href="/orders/{{.ID}}">{{.ID}}</a></td><td title="{{.Customer}}">{{.Customer}}</td>` +
		`<td>{{.Note}}</td><td>{{.Qty}}</td><td>{{template "badge" .Status}}</td>` +
		`<td><input type="checkbox" disabled{{if .Urgent}} checked{{end}}></td></tr>{{end}}` +

		`{{define "orders-table"}}<table class="orders"><thead><tr><th>#</th><th>Customer</th><th>Note</th>` +
		`<th>Qty</th><th>Status</th><th>Urgent</th></tr></thead>` +
		`<tbody>{{range .Orders}}{{template "order-row" .}}{{end}}</tbody>` +
		`<tfoot><tr><td colspan="3">Total</td><td>{{.Total}}</td><td colspan="2"></td></tr></tfoot></table>{{end}}`,
))

// RenderTemplate renders the page with html/template.
func RenderTemplate(w io.Writer, p *PageData) error {
	return PageTemplate.ExecuteTemplate(w, "page", p)
}

// GomPage builds the page as a gomponents node tree.
func GomPage(p *PageData) g.Node {
	return gomLayout(p, h.P(h.Class("lead"), g.Text("Signed in as "), h.Strong(g.Text(p.User)),
		g.Text(". "), g.Text(strconv.Itoa(len(p.Orders))), g.Text(" orders.")),
		gomOrdersTable(p.Orders, p.Total))
}

func gomLayout(p *PageData, children ...g.Node) g.Node {
	return h.Doctype(h.HTML(h.Lang("en"),
		h.Head(
			h.Meta(h.Charset("utf-8")),
			h.TitleEl(g.Text(p.Title+" - Rose Ash")),
			h.Link(h.Rel("stylesheet"), h.Href("/static/site.css")),
		),
		h.Body(
			gomSiteHeader(p),
			h.Main(h.Class("content"), h.H1(g.Text(p.Title)), g.Group(children)),
			h.Footer(h.Class("site-footer"),
				h.P(g.Text("Orders are shown in the order placed."), h.Br(), g.Text("Questions? Write to the co-op."))),
		),
	))
}

func gomSiteHeader(p *PageData) g.Node {
	return h.Header(h.Class("site-header"),
		h.A(h.Class("brand"), h.Href("/"), g.Text("Rose Ash")),
		h.Nav(h.Ul(g.Map(p.Nav, gomNavItem))),
		h.Span(h.Class("user"), g.Text(p.User)),
	)
}

func gomNavItem(n NavItem) g.Node {
	return h.Li(g.If(n.Active, h.Class("active")), h.A(h.Href(n.Href), g.Text(n.Label)))
}

func gomBadge(status string) g.Node {
	return h.Span(h.Class("badge badge-"+status), g.Text(status))
}

func gomOrderRow(o Order) g.Node {
	id := strconv.Itoa(o.ID)
	class := "order status-" + o.Status
	if o.Urgent {
		class += " urgent"
	}
	return h.Tr(h.Class(class), h.Data("id", id),
		h.Td(h.A(h.Href("/orders/"+id), g.Text(id))),
		h.Td(h.Title(o.Customer), g.Text(o.Customer)),
		h.Td(g.Text(o.Note)),
		h.Td(g.Text(strconv.Itoa(o.Qty))),
		h.Td(gomBadge(o.Status)),
		h.Td(h.Input(h.Type("checkbox"), h.Disabled(), g.If(o.Urgent, h.Checked()))),
	)
}

func gomOrdersTable(orders []Order, total int) g.Node {
	return h.Table(h.Class("orders"),
		h.THead(h.Tr(h.Th(g.Text("#")), h.Th(g.Text("Customer")), h.Th(g.Text("Note")),
			h.Th(g.Text("Qty")), h.Th(g.Text("Status")), h.Th(g.Text("Urgent")))),
		h.TBody(g.Map(orders, gomOrderRow)),
		h.TFoot(h.Tr(h.Td(h.ColSpan("3"), g.Text("Total")), h.Td(g.Text(strconv.Itoa(total))), h.Td(h.ColSpan("2")))),
	)
}

// RenderBuilder renders the page by hand into b, the fastest reasonable Go
// baseline.
func RenderBuilder(b *strings.Builder, p *PageData) {
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>`)
	escape(b, p.Title)
	b.WriteString(` - Rose Ash</title><link rel="stylesheet" href="/static/site.css"></head><body>`)
	b.WriteString(`<header class="site-header"><a class="brand" href="/">Rose Ash</a><nav><ul>`)
	for _, n := range p.Nav {
		if n.Active {
			b.WriteString(`<li class="active"><a href="`)
		} else {
			b.WriteString(`<li><a href="`)
		}
		escape(b, n.Href)
		b.WriteString(`">`)
		escape(b, n.Label)
		b.WriteString(`</a></li>`)
	}
	b.WriteString(`</ul></nav><span class="user">`)
	escape(b, p.User)
	b.WriteString(`</span></header><main class="content"><h1>`)
	escape(b, p.Title)
	b.WriteString(`</h1><p class="lead">Signed in as <strong>`)
	escape(b, p.User)
	b.WriteString(`</strong>. `)
	b.WriteString(strconv.Itoa(len(p.Orders)))
	b.WriteString(` orders.</p><table class="orders"><thead><tr><th>#</th><th>Customer</th><th>Note</th>`)
	b.WriteString(`<th>Qty</th><th>Status</th><th>Urgent</th></tr></thead><tbody>`)
	for _, o := range p.Orders {
		b.WriteString(`<tr class="order status-`)
		escape(b, o.Status)
		if o.Urgent {
			b.WriteString(` urgent`)
		}
		b.WriteString(`" data-id="`)
		b.WriteString(strconv.Itoa(o.ID))
		b.WriteString(`"><td><a href="/orders/`)
		b.WriteString(strconv.Itoa(o.ID))
		b.WriteString(`">`)
		b.WriteString(strconv.Itoa(o.ID))
		b.WriteString(`</a></td><td title="`)
		escape(b, o.Customer)
		b.WriteString(`">`)
		escape(b, o.Customer)
		b.WriteString(`</td><td>`)
		escape(b, o.Note)
		b.WriteString(`</td><td>`)
		b.WriteString(strconv.Itoa(o.Qty))
		b.WriteString(`</td><td><span class="badge badge-`)
		escape(b, o.Status)
		b.WriteString(`">`)
		escape(b, o.Status)
		b.WriteString(`</span></td><td><input type="checkbox" disabled`)
		if o.Urgent {
			b.WriteString(` checked`)
		}
		b.WriteString(`></td></tr>`)
	}
	b.WriteString(`</tbody><tfoot><tr><td colspan="3">Total</td><td>`)
	b.WriteString(strconv.Itoa(p.Total))
	b.WriteString(`</td><td colspan="2"></td></tr></tfoot></table></main>`)
	b.WriteString(`<footer class="site-footer"><p>Orders are shown in the order placed.<br>Questions? Write to the co-op.</p></footer>`)
	b.WriteString(`</body></html>`)
}

// escape writes s with & < > " ' escaped, copying unescaped runs whole.
func escape(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&#34;"
		case '\'':
			rep = "&#39;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	b.WriteString(s[last:])
}
