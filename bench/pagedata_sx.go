package bench

import "github.com/rose-ash/sxhost/runtime"

// SX returns the page data as SX values (dicts in lists), as a host would
// hand records to a page.
func (p *PageData) SX() (nav, orders []runtime.Value) {
	nav = make([]runtime.Value, len(p.Nav))
	for i, n := range p.Nav {
		d := runtime.NewDict(3)
		d.Set("href", n.Href)
		d.Set("label", n.Label)
		d.Set("active", n.Active)
		nav[i] = d
	}
	orders = make([]runtime.Value, len(p.Orders))
	for i, o := range p.Orders {
		d := runtime.NewDict(6)
		d.Set("id", int64(o.ID))
		d.Set("customer", o.Customer)
		d.Set("note", o.Note)
		d.Set("qty", int64(o.Qty))
		d.Set("status", o.Status)
		d.Set("urgent", o.Urgent)
		orders[i] = d
	}
	return nav, orders
}
