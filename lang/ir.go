package lang

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/match"
	"github.com/lannersec/lanner/ruleset"
)

// Program is the intermediate form of a set of rules files, what the front
// end hands on: every rule, in load order, with its lists, macros and
// exceptions expanded into a type-checked condition ([Expr]) and its output
// parsed. The code generator (gen) turns a Program into Go and the
// interpreter (interp) evaluates it; neither the binary's compiled rules nor
// package ruleset, the run-time rule table both produce, depend on it.
type Program struct {
	Rules    []*Rule
	Warnings Diagnostics
	// Skipped counts, by source, the rules left out because Lanner does
	// not support their source (k8s_audit, plugin sources).
	Skipped map[string]int
}

// SkippedNotes says, one line per source in name order, how many rules
// were left out for their source: "N rules of source S skipped: not
// supported".
func (prog *Program) SkippedNotes() []string {
	return SkippedNotes(prog.Skipped)
}

// SkippedNotes is Program.SkippedNotes for counts by source.
func SkippedNotes(skipped map[string]int) []string {
	sources := make([]string, 0, len(skipped))
	for s := range skipped {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	notes := make([]string, 0, len(sources))
	for _, s := range sources {
		word := "rules"
		if skipped[s] == 1 {
			word = "rule"
		}
		notes = append(notes, fmt.Sprintf("%d %s of source %s skipped: not supported", skipped[s], word, s))
	}
	return notes
}

// Rule is one type-checked rule.
type Rule struct {
	Name       string
	Desc       string
	Priority   ruleset.Priority
	Source     string
	Enabled    bool
	Tags       []string
	Pos        Position
	Cond       Expr
	Output     *Output
	OutputText string
	// CondText is the condition as written, before expansion.
	CondText string
	// EvtTypes is the set of event types the condition can match.
	EvtTypes event.TypeSet
	// AllTypes is set when the condition does not restrict the event type.
	AllTypes bool
}

// Expr is a type-checked condition: *And, *Or, *Not or *Check.
type Expr interface{ irNode() }

// And holds when every child holds; children are evaluated in order.
type And struct {
	Children []Expr
	Macro    *MacroRef // the macro this node expands, if any
}

// Or holds when some child holds; children are evaluated in order.
type Or struct {
	Children []Expr
	Macro    *MacroRef // the macro this node expands, if any
}

// Not negates its child.
type Not struct {
	Child Expr
	Macro *MacroRef // the macro this node expands, if any
}

// Const is a condition known when compiling (an empty "in ()" list).
type Const struct{ Value bool }

// MacroRef names the macro a node of a condition was expanded from: the
// root of each expansion carries it, so generated code can keep the
// macro's name and place.
type MacroRef struct {
	Name string
	Pos  Position // the macro's definition
}

// MacroOf returns the macro e is the expansion of, or nil.
func MacroOf(e Expr) *MacroRef {
	switch e := e.(type) {
	case *And:
		return e.Macro
	case *Or:
		return e.Macro
	case *Not:
		return e.Macro
	case *Check:
		return e.Macro
	}
	return nil
}

func (*And) irNode()   {}
func (*Or) irNode()    {}
func (*Not) irNode()   {}
func (*Check) irNode() {}
func (*Const) irNode() {}

// Op is a comparison operator.
type Op uint8

// Operators.
const (
	OpEq Op = iota + 1
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpContains
	OpIContains
	OpBContains
	OpStartsWith
	OpBStartsWith
	OpEndsWith
	OpGlob
	OpIGlob
	OpRegex
	OpIn
	OpIntersects
	OpPmatch
	OpExists
)

var opNames = map[string]Op{
	"=": OpEq, "==": OpEq, "!=": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe,
	"contains": OpContains, "icontains": OpIContains, "bcontains": OpBContains,
	"startswith": OpStartsWith, "bstartswith": OpBStartsWith, "endswith": OpEndsWith,
	"glob": OpGlob, "iglob": OpIGlob, "regex": OpRegex, "in": OpIn,
	"intersects": OpIntersects, "pmatch": OpPmatch, "exists": OpExists,
}

// String returns the operator's canonical spelling.
func (o Op) String() string {
	for n, op := range opNames {
		if op == o && n != "==" {
			return n
		}
	}
	return "?"
}

// ParseOp returns the operator spelled s.
func ParseOp(s string) (Op, bool) {
	o, ok := opNames[s]
	return o, ok
}

// IsList reports whether o takes a list of values.
func (o Op) IsList() bool { return o == OpIn || o == OpIntersects || o == OpPmatch }

// Modifier is oneof, anyof or allof after a string operator.
type Modifier uint8

// Modifiers: OneOf and AnyOf hold if the operator holds for some value of
// the list, AllOf if it holds for every value.
const (
	ModNone Modifier = iota
	ModOneOf
	ModAnyOf
	ModAllOf
)

// Operand is a field, possibly passed through transformers.
type Operand struct {
	Field *event.Field
	Arg   event.Arg
	// Transformers are applied innermost first.
	Transformers []string
	// Kind is the value's kind after the transformers.
	Kind event.Kind
	// Text is the operand as written, e.g. proc.aname[2] or tolower(proc.name).
	Text string
	// Key is the field with its argument, as output_fields names it.
	Key string
}

// Quantified reports whether the operand quantifies over ancestors: an
// ancestor field used without an index.
func (o *Operand) Quantified() bool { return o.Field.Ancestors && !o.Arg.Set }

// Check compares an operand with literal values or another operand.
type Check struct {
	Left Operand
	Op   Op
	Mod  Modifier
	// The right side: literal values of the left side's kind (one of these
	// slices is set, even for single-value operators) or another operand.
	Strings []string
	Ints    []int64
	Bools   []bool
	IPs     []netip.Addr
	Nets    []netip.Prefix
	Bytes   [][]byte
	Right   *Operand
	// Regexes are the anchored, compiled patterns of a regex check, one
	// per value.
	Regexes []*regexp.Regexp
	// Prefixes is the path-prefix set of a pmatch check.
	Prefixes *match.PathPrefixes
	// EvtTypes is set for checks on evt.type: the types named.
	EvtTypes []event.Type
	// Text is the check as written, for diagnostics and comments.
	Text string
	Pos  Position
	// Lists names the lists the literal values were substituted from, in
	// order, when every value came from a list.
	Lists []string
	// Macro is the macro this check is the whole expansion of, if any.
	Macro *MacroRef
}

// Output is a parsed output format.
type Output struct {
	Tokens []OutputToken
}

// OutputToken is literal text or a value.
type OutputToken struct {
	Literal string
	Value   *Operand // nil for literal text
	Width   int
}

// Len returns the number of literal values of the check.
func (c *Check) Len() int {
	switch {
	case c.Strings != nil:
		return len(c.Strings)
	case c.Ints != nil:
		return len(c.Ints)
	case c.Bools != nil:
		return len(c.Bools)
	case c.IPs != nil:
		return len(c.IPs)
	case c.Nets != nil:
		return len(c.Nets)
	}
	return len(c.Bytes)
}

// CondFields returns the names of the fields a condition reads, sorted,
// each once.
func CondFields(e Expr) []string {
	seen := map[string]bool{}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *And:
			for _, c := range e.Children {
				walk(c)
			}
		case *Or:
			for _, c := range e.Children {
				walk(c)
			}
		case *Not:
			walk(e.Child)
		case *Check:
			seen[e.Left.Field.Name] = true
			if e.Right != nil {
				seen[e.Right.Field.Name] = true
			}
		}
	}
	walk(e)
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
