// Package ast defines the syntax tree of Falco rule conditions: boolean
// operators, checks on fields and transformers, literal values and macro
// references. It has no knowledge of which fields exist; that is checked
// later by package lang.
package ast

import (
	"strconv"
	"strings"
)

// Pos is a position inside a condition's text: a byte offset and the
// 1-based line and column it falls on. Origin, when set by the loader, says
// where that text starts in its rules file.
type Pos struct {
	Offset int
	Line   int
	Col    int
	Origin *Origin
	// Macro, set by the loader on the root node of a macro's expansion,
	// names the macro the node replaced a reference to.
	Macro *MacroRef
}

// MacroRef names a macro and where it is defined.
type MacroRef struct {
	Name string
	File string
	Line int
}

// Origin is where a condition's text starts in a rules file.
type Origin struct {
	File string
	Line int
	Col  int
}

// FilePos returns the file, line and column of p, mapped through its
// Origin. Without an Origin it returns p's own line and column.
func (p Pos) FilePos() (file string, line, col int) {
	if p.Origin == nil {
		return "", p.Line, p.Col
	}
	line = p.Origin.Line + p.Line - 1
	col = p.Col
	if p.Line <= 1 {
		col = p.Origin.Col + p.Col - 1
	}
	return p.Origin.File, line, col
}

// Expr is a boolean expression: *And, *Or, *Not, *Ident, *UnaryCheck or
// *BinaryCheck.
type Expr interface {
	Position() Pos
	String() string
	exprNode()
}

// Operand is the left side of a check, or a transformer used as a value:
// *FieldExpr or *TransformerExpr.
type Operand interface {
	Position() Pos
	String() string
	operandNode()
}

// Value is the right side of a binary check: *ValueExpr, *ListExpr,
// *FieldRef (val(field)) or *TransformerExpr.
type Value interface {
	Position() Pos
	String() string
	valueNode()
}

// And is the n-ary conjunction of its children, evaluated left to right.
type And struct {
	Children []Expr
	Pos      Pos
}

// Or is the n-ary disjunction of its children, evaluated left to right.
type Or struct {
	Children []Expr
	Pos      Pos
}

// Not negates its child.
type Not struct {
	Child Expr
	Pos   Pos
}

// Ident is a reference to a macro by name.
type Ident struct {
	Name string
	Pos  Pos
}

// UnaryCheck is a check with no right side; the only unary operator is
// "exists".
type UnaryCheck struct {
	Left Operand
	Op   string
	Pos  Pos
}

// BinaryCheck compares an operand with a value. Op is the operator as
// written ("=", "==", "contains", "in", ...). Modifier is "", "oneof",
// "anyof" or "allof".
type BinaryCheck struct {
	Left     Operand
	Op       string
	Modifier string
	Right    Value
	Pos      Pos
}

// FieldExpr names a field, with an optional bracket argument:
// proc.aname[2] has Name "proc.aname", Arg "2" and HasArg true. Arguments
// written after a dot (evt.arg.flags) are part of Name; the field registry
// splits them off.
type FieldExpr struct {
	Name   string
	Arg    string
	HasArg bool
	Pos    Pos
}

// TransformerExpr applies a transformer (tolower, toupper, b64, basename,
// len, join, concat, getopt) to its arguments. An argument is a *FieldExpr,
// a *TransformerExpr or a *ValueExpr (a literal).
type TransformerExpr struct {
	Name   string
	Args   []Node
	Arg    string // optional bracket argument after the call
	HasArg bool
	Pos    Pos
}

// ValueExpr is a literal value: a bare word or a quoted string, already
// unescaped. Quoted tells which.
type ValueExpr struct {
	Value  string
	Quoted bool
	Pos    Pos
}

// ListExpr is a parenthesised list of values. Ident is set instead when the
// list was written as a bare identifier, as in "in my_list" after list
// expansion failed to apply.
type ListExpr struct {
	Values []*ValueExpr
	Ident  string
	Pos    Pos
}

// FieldRef is val(field): the value of another field of the same event.
type FieldRef struct {
	Field *FieldExpr
	Pos   Pos
}

// Node is any node of the tree.
type Node interface {
	Position() Pos
	String() string
}

func (e *And) Position() Pos             { return e.Pos }
func (e *Or) Position() Pos              { return e.Pos }
func (e *Not) Position() Pos             { return e.Pos }
func (e *Ident) Position() Pos           { return e.Pos }
func (e *UnaryCheck) Position() Pos      { return e.Pos }
func (e *BinaryCheck) Position() Pos     { return e.Pos }
func (e *FieldExpr) Position() Pos       { return e.Pos }
func (e *TransformerExpr) Position() Pos { return e.Pos }
func (e *ValueExpr) Position() Pos       { return e.Pos }
func (e *ListExpr) Position() Pos        { return e.Pos }
func (e *FieldRef) Position() Pos        { return e.Pos }

func (*And) exprNode()         {}
func (*Or) exprNode()          {}
func (*Not) exprNode()         {}
func (*Ident) exprNode()       {}
func (*UnaryCheck) exprNode()  {}
func (*BinaryCheck) exprNode() {}

func (*FieldExpr) operandNode()       {}
func (*TransformerExpr) operandNode() {}

func (*ValueExpr) valueNode()       {}
func (*ListExpr) valueNode()        {}
func (*FieldRef) valueNode()        {}
func (*TransformerExpr) valueNode() {}

// String renders the tree back as condition text that parses to an equal
// tree.
func (e *And) String() string { return joinExprs(e.Children, " and ") }

// String renders the tree back as condition text.
func (e *Or) String() string { return joinExprs(e.Children, " or ") }

// String renders the tree back as condition text.
func (e *Not) String() string { return "not " + paren(e.Child) }

// String renders the macro name.
func (e *Ident) String() string { return e.Name }

// String renders the check as condition text.
func (e *UnaryCheck) String() string { return e.Left.String() + " " + e.Op }

// String renders the check as condition text.
func (e *BinaryCheck) String() string {
	var b strings.Builder
	b.WriteString(e.Left.String())
	b.WriteByte(' ')
	b.WriteString(e.Op)
	if e.Modifier != "" {
		b.WriteByte(' ')
		b.WriteString(e.Modifier)
	}
	b.WriteByte(' ')
	b.WriteString(e.Right.String())
	return b.String()
}

// String renders the field with its bracket argument.
func (e *FieldExpr) String() string {
	if !e.HasArg {
		return e.Name
	}
	return e.Name + "[" + Quote(e.Arg) + "]"
}

// String renders the transformer call.
func (e *TransformerExpr) String() string {
	var b strings.Builder
	b.WriteString(e.Name)
	b.WriteByte('(')
	for i, a := range e.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	b.WriteByte(')')
	if e.HasArg {
		b.WriteString("[" + Quote(e.Arg) + "]")
	}
	return b.String()
}

// String renders the value, quoted when it was quoted or needs to be.
func (e *ValueExpr) String() string {
	if e.Quoted {
		return quoted(e.Value)
	}
	return Quote(e.Value)
}

// String renders the list in parentheses.
func (e *ListExpr) String() string {
	if e.Ident != "" {
		return e.Ident
	}
	parts := make([]string, len(e.Values))
	for i, v := range e.Values {
		parts[i] = v.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// String renders val(field).
func (e *FieldRef) String() string { return "val(" + e.Field.String() + ")" }

func joinExprs(es []Expr, sep string) string {
	parts := make([]string, len(es))
	for i, c := range es {
		parts[i] = paren(c)
	}
	return strings.Join(parts, sep)
}

func paren(e Expr) string {
	switch e.(type) {
	case *And, *Or, *Not:
		return "(" + e.String() + ")"
	}
	return e.String()
}

// Quote returns s as a bare word when the grammar allows it, otherwise as a
// double-quoted string with the escapes the parser understands.
func Quote(s string) string {
	if s != "" && !strings.ContainsAny(s, "()\"'= ,\t\r\n\b\f\v\\[]") {
		return s
	}
	return quoted(s)
}

// quoted returns s as a double-quoted string. Backslashes are written as
// \x5c, since a quote preceded by a backslash never ends a string.
func quoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\x5c`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\x`)
				h := strconv.FormatUint(uint64(c), 16)
				if len(h) == 1 {
					b.WriteByte('0')
				}
				b.WriteString(h)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Walk calls fn for n and every node below it, depth first, parents before
// children. If fn returns false the children of that node are skipped.
func Walk(n Node, fn func(Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	switch n := n.(type) {
	case *And:
		for _, c := range n.Children {
			Walk(c, fn)
		}
	case *Or:
		for _, c := range n.Children {
			Walk(c, fn)
		}
	case *Not:
		Walk(n.Child, fn)
	case *UnaryCheck:
		Walk(n.Left, fn)
	case *BinaryCheck:
		Walk(n.Left, fn)
		Walk(n.Right, fn)
	case *TransformerExpr:
		for _, a := range n.Args {
			Walk(a, fn)
		}
	case *ListExpr:
		for _, v := range n.Values {
			Walk(v, fn)
		}
	case *FieldRef:
		Walk(n.Field, fn)
	}
}

// Equal reports whether a and b are the same tree, ignoring positions.
func Equal(a, b Node) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch a := a.(type) {
	case *And:
		b, ok := b.(*And)
		return ok && equalExprs(a.Children, b.Children)
	case *Or:
		b, ok := b.(*Or)
		return ok && equalExprs(a.Children, b.Children)
	case *Not:
		b, ok := b.(*Not)
		return ok && Equal(a.Child, b.Child)
	case *Ident:
		b, ok := b.(*Ident)
		return ok && a.Name == b.Name
	case *UnaryCheck:
		b, ok := b.(*UnaryCheck)
		return ok && a.Op == b.Op && Equal(a.Left, b.Left)
	case *BinaryCheck:
		b, ok := b.(*BinaryCheck)
		return ok && a.Op == b.Op && a.Modifier == b.Modifier && Equal(a.Left, b.Left) && Equal(a.Right, b.Right)
	case *FieldExpr:
		b, ok := b.(*FieldExpr)
		return ok && a.Name == b.Name && a.HasArg == b.HasArg && a.Arg == b.Arg
	case *TransformerExpr:
		b, ok := b.(*TransformerExpr)
		if !ok || a.Name != b.Name || a.HasArg != b.HasArg || a.Arg != b.Arg || len(a.Args) != len(b.Args) {
			return false
		}
		for i := range a.Args {
			if !Equal(a.Args[i], b.Args[i]) {
				return false
			}
		}
		return true
	case *ValueExpr:
		b, ok := b.(*ValueExpr)
		return ok && a.Value == b.Value
	case *ListExpr:
		b, ok := b.(*ListExpr)
		if !ok || a.Ident != b.Ident || len(a.Values) != len(b.Values) {
			return false
		}
		for i := range a.Values {
			if a.Values[i].Value != b.Values[i].Value {
				return false
			}
		}
		return true
	case *FieldRef:
		b, ok := b.(*FieldRef)
		return ok && Equal(a.Field, b.Field)
	}
	return false
}

func equalExprs(a, b []Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of e.
func Clone(e Expr) Expr {
	switch e := e.(type) {
	case *And:
		c := &And{Pos: e.Pos, Children: make([]Expr, len(e.Children))}
		for i, ch := range e.Children {
			c.Children[i] = Clone(ch)
		}
		return c
	case *Or:
		c := &Or{Pos: e.Pos, Children: make([]Expr, len(e.Children))}
		for i, ch := range e.Children {
			c.Children[i] = Clone(ch)
		}
		return c
	case *Not:
		return &Not{Pos: e.Pos, Child: Clone(e.Child)}
	case *Ident:
		c := *e
		return &c
	case *UnaryCheck:
		c := *e
		return &c
	case *BinaryCheck:
		c := *e
		return &c
	}
	return e
}
