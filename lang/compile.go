package lang

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/lang/ast"
	"github.com/lannersec/lanner/lang/parser"
	"github.com/lannersec/lanner/match"
)

// Compile type-checks resolved rules against the event model: every field,
// its argument, the operator for the field's type and each value. It
// computes each rule's event-type set and parses its output.
func Compile(defs []*RuleDef) (*Program, Diagnostics) {
	prog := &Program{}
	var diags Diagnostics
	var containerInfoRules int
	var containerInfoPos Position
	defer func() {
		if containerInfoRules > 0 {
			what := fmt.Sprintf("%d rule outputs use", containerInfoRules)
			if containerInfoRules == 1 {
				what = "1 rule output uses"
			}
			prog.Warnings.add(containerInfoPos, "%s the deprecated %%container.info; it is dropped: "+
				"the container fields are added to every alert", what)
		}
	}()
	for _, d := range defs {
		c := &checker{listItems: d.ListItems}
		output, hadInfo := dropContainerInfo(d.Output)
		if hadInfo {
			containerInfoRules++
			if containerInfoRules == 1 {
				containerInfoPos = d.OutputPos
			}
		}
		r := &Rule{
			Name: d.Name, Desc: d.Desc, Priority: d.Priority, Source: d.Source,
			Enabled: d.Enabled, Tags: d.Tags, Pos: d.Pos, OutputText: output, CondText: d.CondText,
		}
		if d.Source != "" && d.Source != "syscall" {
			if prog.Skipped == nil {
				prog.Skipped = map[string]int{}
			}
			prog.Skipped[d.Source]++
			continue
		}
		r.Cond = c.expr(d.Condition)
		r.Output = c.output(output, d.OutputPos)
		if len(c.diags) > 0 {
			if d.SkipIfUnknownFilter && c.unknownOnly {
				prog.Warnings.add(d.Pos, "rule %q skipped: %s", d.Name, c.diags[0].Msg)
				continue
			}
			diags = append(diags, c.diags...)
			continue
		}
		r.EvtTypes, r.AllTypes = EvtTypes(r.Cond)
		if r.AllTypes && d.WarnEvttypes {
			prog.Warnings.add(d.Pos, "rule %q matches every event type; this has a significant performance cost", d.Name)
		}
		prog.Rules = append(prog.Rules, r)
	}
	return prog, diags
}

// containerInfo is the deprecated output placeholder of Falco's rules
// files of 2018 to 2022, at the end of most outputs. Falco expanded it to
// container fields; since its container plugin suggests them for every
// alert it expands it to nothing. Lanner adds the same fields to every
// syscall alert (see package output), so it does as current Falco does.
const containerInfo = "%container.info"

// dropContainerInfo removes every %container.info from an output format,
// with the blanks before it when a blank, a closing bracket or the end
// follows, and reports whether there was one.
func dropContainerInfo(output string) (string, bool) {
	if !strings.Contains(output, containerInfo) {
		return output, false
	}
	var b strings.Builder
	for {
		i := strings.Index(output, containerInfo)
		if i < 0 {
			b.WriteString(output)
			break
		}
		before := output[:i]
		rest := output[i+len(containerInfo):]
		if rest == "" || strings.IndexByte(" \t)]", rest[0]) >= 0 {
			before = strings.TrimRight(before, " \t")
		}
		b.WriteString(before)
		output = rest
	}
	return b.String(), true
}

type checker struct {
	listItems map[Position]string // see RuleDef.ListItems
	diags     Diagnostics
	// unknownOnly stays true while every problem is an unknown field.
	unknownOnly bool
	seen        bool
}

func nodePos(n ast.Node) Position {
	f, l, c := n.Position().FilePos()
	return Position{File: f, Line: l, Col: c}
}

func (c *checker) errorf(n ast.Node, unknownField bool, format string, args ...any) {
	if !c.seen {
		c.unknownOnly = true
		c.seen = true
	}
	c.unknownOnly = c.unknownOnly && unknownField
	c.diags.add(nodePos(n), format, args...)
}

// expr compiles a condition node, keeping the macro it expands.
func (c *checker) expr(e ast.Expr) Expr {
	out := c.node(e)
	if e == nil {
		return out
	}
	if m := e.Position().Macro; m != nil {
		ref := &MacroRef{Name: m.Name, Pos: Position{File: m.File, Line: m.Line}}
		switch x := out.(type) {
		case *And:
			x.Macro = ref
		case *Or:
			x.Macro = ref
		case *Not:
			x.Macro = ref
		case *Check:
			x.Macro = ref
		}
	}
	return out
}

func (c *checker) node(e ast.Expr) Expr {
	switch e := e.(type) {
	case *ast.And:
		out := &And{}
		for _, ch := range e.Children {
			out.Children = append(out.Children, c.expr(ch))
		}
		return out
	case *ast.Or:
		out := &Or{}
		for _, ch := range e.Children {
			out.Children = append(out.Children, c.expr(ch))
		}
		return out
	case *ast.Not:
		return &Not{Child: c.expr(e.Child)}
	case *ast.Ident:
		c.errorf(e, false, "undefined macro '%s' used in filter", e.Name)
		return &Const{}
	case *ast.UnaryCheck:
		left, ok := c.operand(e.Left)
		if !ok {
			return &Const{}
		}
		return &Check{Left: *left, Op: OpExists, Text: e.String(), Pos: nodePos(e)}
	case *ast.BinaryCheck:
		return c.binary(e)
	case nil:
		c.diags.add(Position{}, "empty condition")
		return &Const{}
	}
	c.errorf(e, false, "unexpected condition node %T", e)
	return &Const{}
}

// operand resolves a field or transformer on the left of a check (or in
// val()/transformer position on the right).
func (c *checker) operand(n ast.Node) (*Operand, bool) {
	switch n := n.(type) {
	case *ast.FieldExpr:
		f, arg, err := resolveField(n)
		if err != nil {
			c.errorf(n, errors.Is(err, errUnknownField), "%v", err)
			return nil, false
		}
		key := n.Name
		if n.HasArg {
			key = n.Name + "[" + n.Arg + "]"
		}
		return &Operand{Field: f, Arg: arg, Kind: f.Kind, Text: n.String(), Key: key}, true
	case *ast.TransformerExpr:
		if !match.IsTransformer(n.Name) {
			c.errorf(n, false, "transformer %s is not supported", n.Name)
			return nil, false
		}
		if len(n.Args) != 1 || n.HasArg {
			c.errorf(n, false, "transformer %s takes exactly one field", n.Name)
			return nil, false
		}
		inner, ok := c.operand(n.Args[0])
		if !ok {
			return nil, false
		}
		if inner.Kind != event.KindString && !(inner.Kind == event.KindBytes && match.TransformerTakesBytes(n.Name)) {
			c.errorf(n, false, "transformer %s cannot be applied to %s (type %s)", n.Name, inner.Text, inner.Kind)
			return nil, false
		}
		out := *inner
		out.Transformers = append(append([]string(nil), inner.Transformers...), n.Name)
		out.Kind = event.KindString
		if match.TransformerYieldsLength(n.Name) {
			out.Kind = event.KindInt
		}
		out.Text = n.String()
		return &out, true
	}
	c.errorf(n, false, "expected a field, got %s", n.String())
	return nil, false
}

var errUnknownField = errors.New("unknown field")

func resolveField(n *ast.FieldExpr) (*event.Field, event.Arg, error) {
	f, dotArg, ok := event.LookupField(n.Name)
	if !ok {
		return nil, event.Arg{}, fmt.Errorf("%w %s", errUnknownField, n.Name)
	}
	if dotArg != "" && n.HasArg {
		return nil, event.Arg{}, fmt.Errorf("field %s: argument given both after a dot and in brackets", n.Name)
	}
	has, a := n.HasArg, n.Arg
	if dotArg != "" {
		has, a = true, dotArg
	}
	arg, err := f.ResolveArg(has, a)
	return f, arg, err
}

// allowedOps lists the operators each kind of field accepts.
var allowedOps = map[event.Kind][]Op{
	event.KindString: {OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpContains, OpIContains, OpStartsWith, OpEndsWith, OpGlob, OpIGlob, OpPmatch, OpRegex, OpIn, OpIntersects, OpExists},
	event.KindInt:    {OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn, OpIntersects, OpExists},
	event.KindBool:   {OpEq, OpNe, OpIn, OpIntersects, OpExists},
	event.KindIP:     {OpEq, OpNe, OpIn, OpIntersects, OpExists},
	event.KindIPNet:  {OpEq, OpNe, OpIn, OpIntersects, OpExists},
	event.KindBytes:  {OpEq, OpNe, OpContains, OpBContains, OpStartsWith, OpBStartsWith, OpEndsWith, OpIn, OpIntersects, OpExists},
}

func opAllowed(k event.Kind, op Op) bool {
	for _, o := range allowedOps[k] {
		if o == op {
			return true
		}
	}
	return false
}

func (c *checker) binary(e *ast.BinaryCheck) Expr {
	left, ok := c.operand(e.Left)
	if !ok {
		return &Const{}
	}
	op, ok := ParseOp(e.Op)
	if !ok {
		c.errorf(e, false, "unknown operator %s", e.Op)
		return &Const{}
	}
	if !opAllowed(left.Kind, op) {
		c.errorf(e, false, "operator %s cannot be used with field %s of type %s", e.Op, left.Text, left.Field.Type)
		return &Const{}
	}
	ch := &Check{Left: *left, Op: op, Text: e.String(), Pos: nodePos(e)}
	switch e.Modifier {
	case "":
	case "oneof":
		ch.Mod = ModOneOf
	case "anyof":
		ch.Mod = ModAnyOf
	case "allof":
		ch.Mod = ModAllOf
	default:
		c.errorf(e, false, "unknown modifier %s", e.Modifier)
		return &Const{}
	}
	if ch.Mod != ModNone && (op.IsList() || op == OpLt || op == OpLe || op == OpGt || op == OpGe) {
		c.errorf(e, false, "modifier %s cannot follow operator %s", e.Modifier, e.Op)
		return &Const{}
	}

	var values []*ast.ValueExpr
	switch r := e.Right.(type) {
	case *ast.FieldRef, *ast.TransformerExpr:
		var n ast.Node = r
		if fr, ok := r.(*ast.FieldRef); ok {
			n = fr.Field
		}
		right, ok := c.operand(n)
		if !ok {
			return &Const{}
		}
		if op == OpRegex || op == OpPmatch || op == OpBContains || op == OpBStartsWith || ch.Mod != ModNone {
			c.errorf(e, false, "operator %s needs literal values, not %s", e.Op, right.Text)
			return &Const{}
		}
		if right.Kind != left.Kind && !(left.Kind == event.KindIPNet && right.Kind == event.KindIP) {
			c.errorf(e, false, "cannot compare %s (type %s) with %s (type %s)", left.Text, left.Kind, right.Text, right.Kind)
			return &Const{}
		}
		if right.Field.Both || right.Quantified() {
			c.errorf(e, false, "field %s cannot be used as a value", right.Text)
			return &Const{}
		}
		ch.Right = right
		return ch
	case *ast.ListExpr:
		if r.Ident != "" {
			c.errorf(e, false, "expected a list of values in parentheses, got identifier %s", r.Ident)
			return &Const{}
		}
		if !op.IsList() && ch.Mod == ModNone {
			c.errorf(e, false, "operator %s takes a single value, not a list", e.Op)
			return &Const{}
		}
		values = r.Values
	case *ast.ValueExpr:
		if op.IsList() {
			values = []*ast.ValueExpr{r}
		} else if ch.Mod != ModNone {
			c.errorf(e, false, "modifier %s needs a list of values", e.Modifier)
			return &Const{}
		} else {
			values = []*ast.ValueExpr{r}
		}
	default:
		c.errorf(e, false, "unexpected value %s", e.Right.String())
		return &Const{}
	}
	if !c.values(ch, e, values) {
		return &Const{}
	}
	ch.Lists = c.listsOf(values)
	if left.Field.Name == "evt.type" && left.Transformers == nil {
		for _, s := range ch.Strings {
			if t, ok := event.ParseType(s); ok {
				ch.EvtTypes = append(ch.EvtTypes, t)
			}
		}
	}
	if op == OpPmatch {
		ch.Prefixes = match.NewPathPrefixes(ch.Strings...)
	}
	return ch
}

// values parses the literal values of a check as the left side's kind.
// listsOf returns the names of the lists values were substituted from,
// in order, each once; nil unless every value came from a list.
func (c *checker) listsOf(values []*ast.ValueExpr) []string {
	var names []string
	for _, v := range values {
		name, ok := c.listItems[nodePos(v)]
		if !ok {
			return nil
		}
		if len(names) == 0 || names[len(names)-1] != name {
			names = append(names, name)
		}
	}
	return names
}

func (c *checker) values(ch *Check, e *ast.BinaryCheck, vs []*ast.ValueExpr) bool {
	ok := true
	fail := func(v *ast.ValueExpr, format string, args ...any) {
		c.errorf(v, false, format, args...)
		ok = false
	}
	for _, v := range vs {
		s := v.Value
		switch ch.Left.Kind {
		case event.KindString:
			ch.Strings = append(ch.Strings, s)
			if ch.Op == OpRegex {
				re, err := regexp.Compile(`^(?:` + s + `)$`)
				if err != nil {
					fail(v, "invalid regular expression %q: %v", s, err)
					continue
				}
				ch.Regexes = append(ch.Regexes, re)
			}
		case event.KindInt:
			n, err := parseInt(s, ch.Left.Field.Type == "port" && ch.Left.Transformers == nil)
			if err != nil {
				fail(v, "value %q is not a valid %s for %s", s, ch.Left.Field.Type, ch.Left.Text)
				continue
			}
			ch.Ints = append(ch.Ints, n)
		case event.KindBool:
			switch s {
			case "true":
				ch.Bools = append(ch.Bools, true)
			case "false":
				ch.Bools = append(ch.Bools, false)
			default:
				fail(v, "value %q is not a valid bool for %s (use true or false)", s, ch.Left.Text)
			}
		case event.KindIP:
			a, err := netip.ParseAddr(s)
			if err != nil {
				fail(v, "value %q is not a valid IP address for %s", s, ch.Left.Text)
				continue
			}
			ch.IPs = append(ch.IPs, a.Unmap())
		case event.KindIPNet:
			p, err := parseNet(s)
			if err != nil {
				fail(v, "value %q is not a valid network for %s", s, ch.Left.Text)
				continue
			}
			ch.Nets = append(ch.Nets, p)
		case event.KindBytes:
			if ch.Op == OpBContains || ch.Op == OpBStartsWith {
				b, err := match.ParseHex(s)
				if err != nil {
					fail(v, "value %q is not valid hex for %s", s, e.Op)
					continue
				}
				ch.Bytes = append(ch.Bytes, b)
			} else {
				ch.Bytes = append(ch.Bytes, []byte(s))
			}
		}
	}
	return ok
}

func parseInt(s string, port bool) (int64, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		n, err := strconv.ParseUint(t[2:], 16, 64)
		if err != nil {
			return 0, err
		}
		if strings.HasPrefix(s, "-") {
			return -int64(n), nil
		}
		return int64(n), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return n, nil
	}
	if port {
		if p, ok := servicePort(s); ok {
			return int64(p), nil
		}
	}
	return 0, err
}

func parseNet(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// output parses an output format and resolves its fields.
func (c *checker) output(text string, pos Position) *Output {
	f, err := parser.ParseFormat(text, event.IsField)
	if err != nil {
		c.diags.add(pos, "invalid output format: %v", err)
		c.unknownOnly = false
		c.seen = true
		return nil
	}
	out := &Output{}
	for _, t := range f.Tokens {
		switch {
		case t.Field != nil:
			op, ok := c.outputOperand(t.Field, pos)
			if ok {
				out.Tokens = append(out.Tokens, OutputToken{Value: op, Width: t.Width})
			}
		case t.Transformer != nil:
			op, ok := c.operand(t.Transformer)
			if ok {
				out.Tokens = append(out.Tokens, OutputToken{Value: op, Width: t.Width})
			}
		default:
			if n := len(out.Tokens); n > 0 && out.Tokens[n-1].Value == nil {
				out.Tokens[n-1].Literal += t.Literal
			} else {
				out.Tokens = append(out.Tokens, OutputToken{Literal: t.Literal})
			}
		}
	}
	return out
}

func (c *checker) outputOperand(fe *ast.FieldExpr, pos Position) (*Operand, bool) {
	f, arg, err := resolveField(fe)
	if err != nil {
		c.diags.add(pos, "output: %v", err)
		c.unknownOnly = c.unknownOnly && errors.Is(err, errUnknownField)
		c.seen = true
		return nil, false
	}
	if f.FilterOnly {
		c.diags.add(pos, "output: field %s can only be used in conditions", fe.Name)
		c.unknownOnly, c.seen = false, true
		return nil, false
	}
	key := fe.Name
	if fe.HasArg {
		key = fe.Name + "[" + fe.Arg + "]"
	}
	return &Operand{Field: f, Arg: arg, Kind: f.Kind, Text: key, Key: key}, true
}

// EvtTypes computes the event types a condition can match, as Falco's
// indexer does: "and" intersects, "or" unions, "not" is pushed down with De
// Morgan's laws; a check on evt.type gives its set (its complement for !=),
// evt.num=0 gives the empty set, every other check all types. all is true
// when the result is every type.
func EvtTypes(e Expr) (set event.TypeSet, all bool) {
	s := evtTypes(e, false)
	full := universe()
	return s, s == full
}

func universe() event.TypeSet {
	var s event.TypeSet
	for t := event.TypeUnknown + 1; t < event.NumTypes; t++ {
		s.Add(t)
	}
	return s
}

func evtTypes(e Expr, neg bool) event.TypeSet {
	switch e := e.(type) {
	case *And:
		return combine(e.Children, neg, !neg)
	case *Or:
		return combine(e.Children, neg, neg)
	case *Not:
		return evtTypes(e.Child, !neg)
	case *Const:
		if e.Value != neg {
			return universe()
		}
		return event.TypeSet{}
	case *Check:
		if e.Left.Field.Name == "evt.num" && e.Op == OpEq && len(e.Ints) == 1 && e.Ints[0] == 0 && e.Left.Transformers == nil {
			if neg {
				return universe()
			}
			return event.TypeSet{}
		}
		if e.Left.Field.Name != "evt.type" || e.Left.Transformers != nil || e.Right != nil || e.Mod != ModNone {
			return universe()
		}
		var s event.TypeSet
		switch e.Op {
		case OpEq, OpIn, OpIntersects:
			for _, t := range e.EvtTypes {
				s.Add(t)
			}
			if neg {
				s = complement(s)
			}
		case OpNe:
			for _, t := range e.EvtTypes {
				s.Add(t)
			}
			if !neg {
				s = complement(s)
			}
		default:
			return universe()
		}
		return s
	}
	return universe()
}

// combine intersects (intersect=true) or unions the children's sets.
func combine(children []Expr, neg, intersect bool) event.TypeSet {
	var acc event.TypeSet
	if intersect {
		acc = universe()
	}
	for _, ch := range children {
		s := evtTypes(ch, neg)
		for i := range acc {
			if intersect {
				acc[i] &= s[i]
			} else {
				acc[i] |= s[i]
			}
		}
	}
	return acc
}

func complement(s event.TypeSet) event.TypeSet {
	u := universe()
	for i := range u {
		u[i] &^= s[i]
	}
	return u
}

// TypeNames returns the names of the types in s, sorted.
func TypeNames(s event.TypeSet) []string {
	var out []string
	for _, t := range s.Types() {
		out = append(out, t.String())
	}
	sort.Strings(out)
	return out
}
