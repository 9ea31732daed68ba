package runtime

import "sync"

// Dicts given to a pure component sent as a call carry, over the wire,
// only the keys the component reads. A service's rows have many columns
// (a post's html, plaintext, dates, ids …) while a card shows three, and
// the browser would receive every one of them with each call.

// wireKeys are, per component, the keyword parameters its body uses only
// as (get param :key …) with constant keys, each with those keys.
type wireKeys struct {
	once sync.Once
	keys map[string]map[string]bool
}

var componentKeys sync.Map // *Component → *wireKeys

// keysRead returns the keys c reads of its keyword parameter name, or nil
// when it may read any (it passes the value on, iterates it, reads a key
// computed at run time, or its body holds a macro expanded late).
func (c *Component) keysRead(name string) map[string]bool {
	v, _ := componentKeys.LoadOrStore(c, &wireKeys{})
	wk := v.(*wireKeys)
	wk.once.Do(func() { wk.keys = analyzeKeys(c.fn.proto) })
	return wk.keys[name]
}

func analyzeKeys(pr *proto) map[string]map[string]bool {
	params := map[*localVar]string{}
	for i, prm := range pr.params {
		if prm.Rest {
			continue
		}
		for _, v := range pr.scope.vars {
			if v.slot == pr.slots[i] && v.name == prm.Name {
				params[v] = prm.Name
			}
		}
	}
	refs, gets := map[*localVar]int{}, map[*localVar]int{}
	keys := map[*localVar]map[string]bool{}
	unknown := false
	var visit func(n node)
	visit = func(n node) {
		switch x := n.(type) {
		case *varNode:
			refs[x.v]++
		case *setNode:
			if t, ok := x.target.(*varNode); ok {
				refs[t.v] += 2 // never all reads by get
			}
		case *lambdaNode:
			for _, d := range x.proto.defaults {
				walkIR(d, visit)
			}
			walkIR(x.proto.body, visit)
		case *compNode:
			if _, ok := x.cell.Value.(*Component); !ok {
				unknown = true
			}
		case *callNode:
			g, ok := x.fn.(*globalNode)
			if !ok {
				return
			}
			switch f := g.cell.Value.(type) {
			case *Primitive:
				// (get post :title) reads as a call whose keyword marks a
				// keyword argument; get takes it as the key.
				if f.Name != "get" || len(x.args) < 2 || len(x.args) > 3 {
					return
				}
				v, isVar := x.args[0].(*varNode)
				k, isConst := x.args[1].(*constNode)
				if !isVar || !isConst {
					return
				}
				var key string
				switch kv := k.v.(type) {
				case KeywordArg:
					key = kv.Name
				case Keyword:
					key = kv.Name
				case string:
					key = kv
				default:
					return
				}
				gets[v.v]++
				if keys[v.v] == nil {
					keys[v.v] = map[string]bool{}
				}
				keys[v.v][key] = true
			case *Lambda, *Component, *Definition:
			default:
				unknown = true // a macro (expanded late) or not yet defined
			}
		}
	}
	for _, d := range pr.defaults {
		walkIR(d, visit)
	}
	walkIR(pr.body, visit)
	if unknown {
		return nil
	}
	out := map[string]map[string]bool{}
	for v, name := range params {
		if refs[v] > 0 && refs[v] == gets[v] {
			out[name] = keys[v]
		}
	}
	return out
}

// wireArg writes the value of c's keyword parameter name: a dict without
// the keys c never reads.
func (th *Thread) wireArg(w *Writer, c *Component, name string, v Value, p *Pos) {
	if d, ok := v.(*Dict); ok && c != nil {
		if keys := c.keysRead(name); keys != nil {
			kept := NewDict(len(keys))
			for _, k := range d.Keys() {
				if keys[k] {
					kept.Set(k, d.val(k))
				}
			}
			v = kept
		}
	}
	th.wireData(w, v, p, 0)
}
