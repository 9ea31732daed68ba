package runtime

import "sync"

// The compiler works in two passes. analyze turns a form into an IR tree in
// which every variable is resolved (to a frame slot, a captured cell or a
// global cell) and macros are expanded; codegen then turns the IR into Go
// closures for one of three modes: evaluation, HTML rendering and the wire
// format. Running the resolution once means the three modes share one frame
// layout, so a lambda compiled for evaluation can later be rendered.

// node is an IR node.
type node interface{ pos() *Pos }

type basePos struct{ p *Pos }

func (b basePos) pos() *Pos { return b.p }

type (
	constNode struct {
		basePos
		v Value
	}
	// varNode reads a local of the current function or a captured one.
	varNode struct {
		basePos
		v    *localVar
		from *fnScope
	}
	globalNode struct {
		basePos
		cell *Cell
	}
	setNode struct {
		basePos
		target node // *varNode or *globalNode
		value  node
	}
	// defineNode binds a global (cell) or a local (local) to value.
	defineNode struct {
		basePos
		cell  *Cell
		local *varNode
		value node
	}
	ifNode struct {
		basePos
		test, then, els node
	}
	andNode struct {
		basePos
		items []node
	}
	orNode struct {
		basePos
		items []node
	}
	seqNode struct {
		basePos
		items []node
	}
	// letNode initialises locals then runs body.
	letNode struct {
		basePos
		vars  []*varNode
		inits []node
		body  *seqNode
	}
	lambdaNode struct {
		basePos
		proto *proto
	}
	callNode struct {
		basePos
		fn    node
		args  []node
		hasKw bool // args hold Keyword constants marking keyword arguments
		tail  bool
		src   *List // the call as written, for runtime macro expansion
		late  *lateSite
	}
	dictNode struct {
		basePos
		keys []string
		vals []node
	}
	qqNode struct {
		basePos
		parts  []qqPart
		isDict bool
		keys   []string
	}
	elemNode struct {
		basePos
		// alt, when set, is the same form as a call: used when the head
		// names a local variable that holds a function at run time.
		alt      *callNode
		tag      string
		attrs    []attrNode
		children []node
		void     bool
	}
	fragNode struct {
		basePos
		children []node
	}
	rawNode struct {
		basePos
		args []node
	}
	// compNode is a call to a ~component.
	compNode struct {
		basePos
		tail      bool
		argsOnce  sync.Once // compiles kwCode and childCode for compArgs
		kwArgs    []Value   // kwNames as KeywordArg values, boxed once
		kwCode    []code
		childCode []code
		late      *lateSite
		src       *List
		cell      *Cell
		name      string
		kwNames   []string
		kwVals    []node
		children  []node
	}
	defcompNode struct {
		basePos
		cell  *Cell
		proto *proto
	}
	defmacroNode struct {
		basePos
		cell  *Cell
		proto *proto
	}
	// defFormNode evaluates a platform definition form into a *Definition.
	defFormNode struct {
		basePos
		def   *Definition
		cell  *Cell
		proto *proto // body as a callable, for queries, actions and handlers
	}
	// tryNode is not syntax: try-call and friends are primitives. Kept out.
)

type attrNode struct {
	name  string
	value node
}

// qqPart is one element of a quasiquoted list: a constant, a value, or a
// list to splice.
type qqPart struct {
	n      node
	splice bool
}

// localVar is a variable bound in some function's frame.
type localVar struct {
	name     string
	fn       *fnScope
	slot     int
	captured bool // referenced from an inner function: the slot holds a *Cell
	// early is set for variables that must hold their cell from function
	// entry on (internal defines, which code before them may capture).
	early bool
}

// fnScope collects the slots and captured variables of one function.
type fnScope struct {
	parent  *fnScope
	nslots  int
	vars    []*localVar
	free    []*localVar // variables of enclosing functions, in closure order
	freeIdx map[*localVar]int
}

func (f *fnScope) newSlot() int {
	f.nslots++
	return f.nslots - 1
}

// freeIndex returns the closure index of v in f, adding it (and to every
// function in between) on first use.
func (f *fnScope) freeIndex(v *localVar) int {
	if i, ok := f.freeIdx[v]; ok {
		return i
	}
	if f.parent != nil && f.parent != v.fn {
		f.parent.freeIndex(v)
	}
	if f.freeIdx == nil {
		f.freeIdx = make(map[*localVar]int)
	}
	f.freeIdx[v] = len(f.free)
	f.free = append(f.free, v)
	return len(f.free) - 1
}

// scope is one block of bindings within a function.
type scope struct {
	top    bool // the top level of a form: define binds globals
	fn     *fnScope
	parent *scope
	vars   []*localVar
}

func (s *scope) lookup(name string) *localVar {
	for sc := s; sc != nil; sc = sc.parent {
		for i := len(sc.vars) - 1; i >= 0; i-- {
			if sc.vars[i].name == name {
				return sc.vars[i]
			}
		}
	}
	return nil
}

func (s *scope) bind(name string) *localVar {
	v := &localVar{name: name, fn: s.fn, slot: s.fn.newSlot()}
	s.vars = append(s.vars, v)
	s.fn.vars = append(s.fn.vars, v)
	return v
}

// Param is one declared parameter of a function, component or definition.
type Param struct {
	Name string
	// Type is the declared type name ("int", "ids", "datetime" …) or "".
	Type string
	// Key is true for &key parameters.
	Key bool
	// Rest is true for the &rest parameter.
	Rest bool
	// Default is the default value's source form, when one is declared.
	Default    Value
	HasDefault bool
}

// proto is a compiled function: parameters, frame layout and body, shared by
// every closure made from the same source.
type proto struct {
	name        string
	doc         string
	params      []Param
	npos        int  // positional parameters
	hasKey      bool // any &key parameter
	hasRest     bool
	slots       []int  // frame slot of each param
	defaults    []node // default value per param (nil when none)
	defaultCode []code
	scope       *fnScope
	body        *seqNode
	pos         Pos
	src         Value // the lambda as written (for printing and doc)
	evalCode    code
	htmlCode    hcode
	wireCode    hcode
	isMacro     bool
	component   bool
	genOnce     sync.Mutex // guards lazy generation of htmlCode and wireCode
	box         bool       // some variable of the frame is captured
	anyDefault  bool       // some parameter declares a default
	selfLoop    bool       // self tail calls may rebind parameters in place
	direct      bool       // positional parameters only: calls bind by copying
}
