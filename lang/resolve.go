package lang

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/lannersec/lanner/lang/ast"
	"github.com/lannersec/lanner/lang/parser"
	"github.com/lannersec/lanner/ruleset"
)

// RuleDef is a rule after lists, macros and exceptions have been expanded.
type RuleDef struct {
	Name   string
	Desc   string
	Output string // whitespace-trimmed
	// CondText is the condition as written (appends joined), before lists,
	// macros and exceptions are expanded.
	CondText string
	Priority ruleset.Priority
	Source   string // "syscall" by default
	Enabled  bool
	Tags     []string // set semantics, in first-seen order
	// Condition is fully expanded: lists substituted, macros inlined (no
	// *ast.Ident is left) and exceptions applied. Every node's Pos has an
	// Origin, so Pos.FilePos gives the node's place in its rules file.
	Condition           ast.Expr
	Pos                 Position // the rule item
	CondPos             Position // the condition value
	OutputPos           Position // the output value
	WarnEvttypes        bool
	SkipIfUnknownFilter bool
	Capture             bool
	CaptureDuration     int
	Exceptions          int // exceptions with values that were applied
	// ListItems maps the place of each list item in its rules file to
	// the list's name, so values substituted for a list can be traced
	// back to it. It is shared by every rule of a Resolve.
	ListItems map[Position]string
}

const (
	// maxCondText bounds the text of a condition after list expansion.
	maxCondText = 1 << 20
	// maxCondNodes bounds the nodes of a condition after macro expansion.
	maxCondNodes = 1 << 18
	// maxLoadNodes bounds the nodes of all the conditions of one load
	// together: every macro and rule, as parsed after list expansion and
	// as expanded, since all of them are held at once. Falco's own rules
	// files of every release need less than a 30th of it (15,000 nodes for
	// the three current files together); rules just under it take about
	// 70 MB to compile.
	maxLoadNodes = 1 << 19
)

// Resolve expands every rule, enabled or not, into its final condition.
// It uses the last definition of each list and macro, whichever file it
// came from. Rules with errors are left out of the result.
func (c *Collection) Resolve() ([]*RuleDef, Diagnostics) {
	r := &resolver{
		c:         c,
		listUsed:  map[string]bool{},
		listItems: map[Position]string{},
		macros:    map[string]*macroState{},
		macroUsed: map[string]bool{},
	}
	r.compileLists()
	r.compileMacros()
	defs := r.compileRules()

	var warns Diagnostics
	for _, l := range c.listOrder {
		if !r.listUsed[l.name] {
			warns.add(l.pos, "list '%s' is not used by any rule, macro or list", l.name)
		}
	}
	for _, m := range c.macroOrder {
		if !r.macroUsed[m.name] {
			warns.add(m.pos, "macro '%s' is not used by any rule or macro", m.name)
		}
	}
	c.resolveWarnings = warns
	c.resolvedNodes = r.total
	return defs, dedupe(r.diags)
}

type resolver struct {
	c         *Collection
	lists     []compiledList
	listUsed  map[string]bool
	listItems map[Position]string // see RuleDef.ListItems
	macros    map[string]*macroState
	macroUsed map[string]bool
	diags     Diagnostics
	nodes     int  // nodes of the condition being expanded
	tooLarge  bool // the condition being expanded hit maxCondNodes
	// total counts the condition nodes made so far in this load, parsed
	// or copied from a macro; over maxLoadNodes, resolution stops.
	total      int
	overBudget bool
	item       string // the macro or rule being resolved: "rule 'x'"
}

type compiledList struct {
	name  string
	items []Value
}

type macroState struct {
	info     *macroInfo
	parsed   ast.Expr // nil when the condition did not parse
	resolved ast.Expr // set once done
	failed   bool     // an error was reported for this macro
	done     bool
}

// compileLists expands list items that name a list defined before the
// list's last definition or append, one level deep.
func (r *resolver) compileLists() {
	for _, l := range r.c.listOrder {
		cl := compiledList{name: l.name}
		for _, item := range l.items {
			ref := r.c.lists[item.Text]
			if ref != nil && ref.index < l.visibility {
				r.listUsed[ref.name] = true
				cl.items = append(cl.items, ref.items...)
				continue
			}
			cl.items = append(cl.items, item)
			r.listItems[item.Pos] = l.name
		}
		r.lists = append(r.lists, cl)
	}
}

func (r *resolver) compileMacros() {
	for _, m := range r.c.macroOrder {
		st := &macroState{info: m}
		r.macros[m.name] = st
		r.item = "macro '" + m.name + "'"
		text, ok := r.substLists(m.cond)
		if ok {
			st.parsed, ok = r.parse(text)
		}
		st.failed = !ok
	}
	for _, m := range r.c.macroOrder {
		st := r.macros[m.name]
		if st.failed {
			continue
		}
		vis := m.visibility
		r.nodes, r.tooLarge = 0, false
		r.item = "macro '" + m.name + "'"
		e, ok := r.expand(ast.Clone(st.parsed), func(x *macroInfo) bool { return x.index < vis }, []string{m.name})
		if !ok {
			st.failed = true
			continue
		}
		st.resolved, st.done = e, true
	}
}

func (r *resolver) compileRules() []*RuleDef {
	var defs []*RuleDef
	for _, ri := range r.c.ruleOrder {
		if r.overBudget {
			break
		}
		r.item = "rule '" + ri.name + "'"
		cond := ri.cond
		applied := 0
		if len(ri.exceptions) > 0 {
			var ok bool
			cond, applied, ok = r.applyExceptions(ri)
			if !ok {
				continue
			}
		}
		text, ok := r.substLists(cond)
		if !ok {
			continue
		}
		e, ok := r.parse(text)
		if !ok {
			continue
		}
		r.nodes, r.tooLarge = 0, false
		e, ok = r.expand(e, func(*macroInfo) bool { return true }, nil)
		if !ok {
			continue
		}
		defs = append(defs, &RuleDef{
			Name:                ri.name,
			Desc:                ri.desc.Text,
			Output:              strings.TrimSpace(ri.output.Text),
			CondText:            strings.TrimSpace(ri.cond.Text),
			Priority:            ri.priority,
			Source:              ri.source,
			Enabled:             ri.enabled,
			Tags:                append([]string{}, ri.tags...),
			Condition:           e,
			Pos:                 ri.pos,
			CondPos:             ri.cond.Pos,
			OutputPos:           ri.output.Pos,
			WarnEvttypes:        ri.warnEvttypes,
			SkipIfUnknownFilter: ri.skipIfUnknownFilter,
			Capture:             ri.capture,
			CaptureDuration:     ri.captureDuration,
			Exceptions:          applied,
			ListItems:           r.listItems,
		})
	}
	return defs
}

// substLists replaces list names in a condition's text by their items, one
// list after the other in definition order.
func (r *resolver) substLists(v Value) (Value, bool) {
	for _, l := range r.lists {
		var used bool
		v, used = substList(v, l.name, l.items)
		if used {
			r.listUsed[l.name] = true
		}
		if len(v.Text) > maxCondText {
			r.diags.add(v.Pos, "condition is longer than %d bytes after list expansion", maxCondText)
			return v, false
		}
	}
	return v, true
}

func isListDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '(', ')', ',', '=':
		return true
	}
	return false
}

func isBlank(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// quoteItem wraps a list item or exception value that contains a space
// in double quotes, unless it already starts with a quote.
func quoteItem(s string) string {
	if strings.Contains(s, " ") && s[0] != '"' && s[0] != '\'' {
		return `"` + s + `"`
	}
	return s
}

// substList replaces every occurrence of name that is bounded by the
// start or end of the text or by one of ` \t\n\r(),=` with the items
// joined by ", ". The blanks around an occurrence are replaced by single
// spaces; an empty list also removes one neighbouring comma, the one on
// the left if there is one. The search for the next occurrence resumes
// after the inserted text, one byte further when the occurrence was at
// the very start of the text.
//
// The result is built in one pass: out holds the text before the cursor
// as it reads after the substitutions so far, v.Text[i:] the rest.
func substList(v Value, name string, items []Value) (Value, bool) {
	s := v.Text
	from := strings.Index(s, name)
	if name == "" || from < 0 {
		return v, false
	}
	var out textBuilder
	i := 0
	used := false
	for from <= len(s) {
		k := strings.Index(s[from:], name)
		if k < 0 {
			break
		}
		at := from + k
		end := at + len(name)
		before := at == 0 || isListDelim(s[at-1])
		if at == i && i > 0 {
			before = len(out.b) == 0 || isListDelim(out.last())
		}
		if !before || (end < len(s) && !isListDelim(s[end])) {
			from = at + 1
			continue
		}
		occ := v.posAt(at)
		out.addRange(v, i, at)
		for len(out.b) > 0 && isBlank(out.last()) {
			out.drop()
		}
		for end < len(s) && isBlank(s[end]) {
			end++
		}
		if len(items) == 0 {
			if len(out.b) > 0 && out.last() == ',' {
				out.drop()
			} else if end < len(s) && s[end] == ',' {
				end++
			}
		}
		atStart := len(out.b) == 0
		if !atStart {
			out.add(" ", occ)
		}
		for n, item := range items {
			if n > 0 {
				out.add(", ", occ)
			}
			out.add(quoteItem(item.Text), item.Pos)
		}
		out.add(" ", occ)
		i, from = end, end
		if atStart {
			from++
		}
		used = true
		if len(out.b) > maxCondText {
			break
		}
	}
	out.addRange(v, i, len(s))
	return out.value(v.Pos), used
}

// applyExceptions rewrites a rule's condition C into
// "(C) and not E1 and not E2 ...", one term per exception with values.
func (r *resolver) applyExceptions(ri *ruleInfo) (Value, int, bool) {
	var t textBuilder
	t.add("(", ri.cond.Pos)
	t.addValue(ri.cond)
	t.add(")", ri.cond.Pos)
	applied := 0
	ok := true
	for i := range ri.exceptions {
		ex := &ri.exceptions[i]
		var e textBuilder
		if ex.Fields.IsList {
			if !r.exceptionRows(&e, ri, ex) {
				ok = false
				continue
			}
		} else if !r.exceptionSingle(&e, ri, ex) {
			ok = false
			continue
		}
		if len(e.b) == 0 {
			continue
		}
		t.add(" and not ", ex.Pos)
		t.addValue(e.value(ex.Pos))
		applied++
	}
	return t.value(ri.cond.Pos), applied, ok
}

// exceptionSingle writes "(f c (v1, v2, ...))" for an exception whose
// fields is a single field.
func (r *resolver) exceptionSingle(t *textBuilder, ri *ruleInfo, ex *Exception) bool {
	for i, v := range ex.Values {
		if v.IsList {
			r.diags.add(v.Pos, "rule '%s': exception '%s': values must be strings when fields is a single field", ri.name, ex.Name)
			return false
		}
		if i == 0 {
			t.add("(", ex.Pos)
			t.add(ex.Fields.Text, ex.Fields.Pos)
			t.add(" ", ex.Pos)
			t.add(ex.Comps.Text, ex.Comps.Pos)
			t.add(" (", ex.Pos)
		} else {
			t.add(", ", ex.Pos)
		}
		t.add(quoteItem(v.Text), v.Pos)
	}
	if len(ex.Values) > 0 {
		t.add("))", ex.Pos)
	}
	return true
}

// exceptionRows writes "((f1 c1 v1 and f2 c2 v2) or (...))" for an
// exception whose fields is a list.
func (r *resolver) exceptionRows(t *textBuilder, ri *ruleInfo, ex *Exception) bool {
	if len(ex.Values) == 0 {
		return true
	}
	t.add("(", ex.Pos)
	for i, row := range ex.Values {
		if !row.IsList || len(row.Items) != len(ex.Fields.Items) {
			n := 1
			if row.IsList {
				n = len(row.Items)
			}
			r.diags.add(row.Pos, "rule '%s': exception '%s': fields and values lists must have equal length (%d fields, %d values)",
				ri.name, ex.Name, len(ex.Fields.Items), n)
			return false
		}
		if i > 0 {
			t.add(" or ", ex.Pos)
		}
		t.add("(", row.Pos)
		for k, f := range ex.Fields.Items {
			if k > 0 {
				t.add(" and ", row.Pos)
			}
			comp := ex.Comps.Items[k]
			t.add(" ", row.Pos)
			t.add(f.Text, f.Pos)
			t.add(" ", row.Pos)
			t.add(comp.Text, comp.Pos)
			t.add(" ", row.Pos)
			val := row.Items[k]
			switch {
			case val.IsList:
				t.add("(", val.Pos)
				for j, item := range val.Items {
					if j > 0 {
						t.add(", ", val.Pos)
					}
					t.add(quoteItem(item.Text), item.Pos)
				}
				t.add(")", val.Pos)
			case isListComp(comp.Text):
				if strings.HasPrefix(val.Text, "(") {
					t.add(val.Text, val.Pos)
				} else {
					t.add("("+val.Text+")", val.Pos)
				}
			default:
				t.add(quoteItem(val.Text), val.Pos)
			}
		}
		t.add(")", row.Pos)
	}
	t.add(")", ex.Pos)
	return true
}

// flattenNewlines replaces line breaks outside quoted strings by spaces,
// which the condition grammar treats alike. Conditions then parse as one
// line, so every node's column can be mapped back to the file.
func flattenNewlines(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	b := []byte(s)
	var quote byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '\n' || c == '\r':
			b[i] = ' '
		}
	}
	return string(b)
}

// parse parses a condition and sets the Origin of every node.
func (r *resolver) parse(v Value) (ast.Expr, bool) {
	text := flattenNewlines(v.Text)
	e, err := parser.Parse(text)
	if err != nil {
		var pe *parser.Error
		if errors.As(err, &pe) {
			r.diags.add(filePos(v, pe.Pos), "%s", mapTextPositions(v, text, pe.Msg))
		} else {
			r.diags.add(v.Pos, "%v", err)
		}
		return nil, false
	}
	if e == nil {
		r.diags.add(v.Pos, "empty condition")
		return nil, false
	}
	setOrigins(e, v)
	n := 0
	ast.Walk(e, func(ast.Node) bool { n++; return true })
	if !r.charge(n, v.Pos, "") {
		return nil, false
	}
	return e, true
}

// charge counts n more condition nodes against the budget of the load,
// maxLoadNodes. Past it, it reports the macro or rule being resolved (and
// the macro being expanded there, if any) once and returns false, and
// resolution stops: a file of macros that each use the previous one twice
// would otherwise grow to gigabytes over a few hundred rules.
func (r *resolver) charge(n int, pos Position, macro string) bool {
	if r.overBudget {
		return false
	}
	r.total += n
	if r.total <= maxLoadNodes {
		return true
	}
	r.overBudget = true
	where := r.item
	if macro != "" {
		where += ", expanding macro '" + macro + "'"
	}
	r.diags.add(pos, "rules too large: the conditions of the rules and macros loaded together have more than %d nodes after list and macro expansion (exceeded in %s)", maxLoadNodes, where)
	return false
}

// originFor returns an Origin for p such that p.FilePos() is the place in
// the file of the condition byte at p.Offset.
func originFor(v Value, p ast.Pos) *ast.Origin {
	fp := v.posAt(p.Offset)
	o := &ast.Origin{File: fp.File, Line: fp.Line - (p.Line - 1), Col: 1}
	if p.Line <= 1 {
		o.Col = fp.Col - (p.Col - 1)
	}
	return o
}

func filePos(v Value, p ast.Pos) Position {
	p.Origin = originFor(v, p)
	f, l, c := p.FilePos()
	return Position{File: f, Line: l, Col: c}
}

var textPosRe = regexp.MustCompile(`\b(\d+):(\d+)\b`)

// mapTextPositions rewrites "line:col" references to the condition text
// in a parser message into positions in the rules file.
func mapTextPositions(v Value, text, msg string) string {
	return textPosRe.ReplaceAllStringFunc(msg, func(m string) string {
		sub := textPosRe.FindStringSubmatch(m)
		line, err1 := strconv.Atoi(sub[1])
		col, err2 := strconv.Atoi(sub[2])
		if err1 != nil || err2 != nil || line < 1 || col < 1 {
			return m
		}
		off := 0
		for l := 1; l < line; l++ {
			i := strings.IndexByte(text[off:], '\n')
			if i < 0 {
				return m
			}
			off += i + 1
		}
		off += col - 1
		if off > len(text) {
			return m
		}
		fp := v.posAt(off)
		return strconv.Itoa(fp.Line) + ":" + strconv.Itoa(fp.Col)
	})
}

// setOrigins sets the Origin of every node of e from v's source map.
func setOrigins(e ast.Expr, v Value) {
	ast.Walk(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.And:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.Or:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.Not:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.Ident:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.UnaryCheck:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.BinaryCheck:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.FieldExpr:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.TransformerExpr:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.ValueExpr:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.ListExpr:
			n.Pos.Origin = originFor(v, n.Pos)
		case *ast.FieldRef:
			n.Pos.Origin = originFor(v, n.Pos)
		}
		return true
	})
}

func nodeFilePos(n ast.Node) Position {
	f, l, c := n.Position().FilePos()
	return Position{File: f, Line: l, Col: c}
}

// expand replaces macro references in e, which it may modify, by copies
// of the macros' trees. visible says which macros may be referenced;
// stack holds the macros being expanded, to detect loops.
func (r *resolver) expand(e ast.Expr, visible func(*macroInfo) bool, stack []string) (ast.Expr, bool) {
	if r.tooLarge {
		return e, false
	}
	switch x := e.(type) {
	case *ast.And:
		ok := true
		for i, ch := range x.Children {
			var cok bool
			x.Children[i], cok = r.expand(ch, visible, stack)
			ok = ok && cok
		}
		return x, ok
	case *ast.Or:
		ok := true
		for i, ch := range x.Children {
			var cok bool
			x.Children[i], cok = r.expand(ch, visible, stack)
			ok = ok && cok
		}
		return x, ok
	case *ast.Not:
		var ok bool
		x.Child, ok = r.expand(x.Child, visible, stack)
		return x, ok
	case *ast.Ident:
		return r.expandIdent(x, visible, stack)
	}
	return e, true
}

func (r *resolver) expandIdent(x *ast.Ident, visible func(*macroInfo) bool, stack []string) (ast.Expr, bool) {
	m := r.c.macros[x.Name]
	if m == nil || !visible(m) {
		if m == nil && r.c.isBroken(ItemMacro, x.Name) {
			return x, false
		}
		r.diags.add(nodeFilePos(x), "Undefined macro '%s' used in filter", x.Name)
		return x, false
	}
	for _, s := range stack {
		if s == x.Name {
			r.diags.add(nodeFilePos(x), "reference loop in macro '%s'", x.Name)
			return x, false
		}
	}
	r.macroUsed[x.Name] = true
	st := r.macros[x.Name]
	if st == nil || st.failed {
		return x, false
	}
	src := st.parsed
	if st.done {
		src = st.resolved
	}
	n := 0
	ast.Walk(src, func(ast.Node) bool { n++; return true })
	r.nodes += n
	if r.nodes > maxCondNodes {
		r.tooLarge = true
		r.diags.add(nodeFilePos(x), "condition has more than %d nodes after macro expansion", maxCondNodes)
		return x, false
	}
	if !r.charge(n, nodeFilePos(x), x.Name) {
		r.tooLarge = true
		return x, false
	}
	body := ast.Clone(src)
	ref := &ast.MacroRef{Name: x.Name, File: m.pos.File, Line: m.pos.Line}
	if st.done {
		return markMacro(body, ref), true
	}
	body, ok := r.expand(body, visible, append(stack[:len(stack):len(stack)], x.Name))
	return markMacro(body, ref), ok
}

// markMacro records on the root of a macro's expansion which macro it
// expands; an outer macro whose body is just another macro's name wins.
func markMacro(e ast.Expr, ref *ast.MacroRef) ast.Expr {
	switch n := e.(type) {
	case *ast.And:
		n.Pos.Macro = ref
	case *ast.Or:
		n.Pos.Macro = ref
	case *ast.Not:
		n.Pos.Macro = ref
	case *ast.UnaryCheck:
		n.Pos.Macro = ref
	case *ast.BinaryCheck:
		n.Pos.Macro = ref
	}
	return e
}

// dedupe drops repeated diagnostics, keeping the first of each.
func dedupe(ds Diagnostics) Diagnostics {
	seen := map[Diagnostic]bool{}
	var out Diagnostics
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
