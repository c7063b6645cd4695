package interp

import (
	"bytes"
	"strings"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/match"
	"github.com/lannersec/lanner/ruleset"
)

// maxAncestors bounds the walk of ancestor fields used without an index.
const maxAncestors = 64

// Rules returns run-time rules whose conditions and outputs are evaluated
// by walking prog's intermediate form.
func Rules(prog *lang.Program) []*ruleset.Rule {
	out := make([]*ruleset.Rule, 0, len(prog.Rules))
	for _, r := range prog.Rules {
		r := r
		out = append(out, &ruleset.Rule{
			Name:        r.Name,
			Desc:        r.Desc,
			Condition:   r.CondText,
			Output:      r.OutputText,
			Priority:    r.Priority,
			Source:      r.Source,
			Tags:        r.Tags,
			Enabled:     r.Enabled,
			EvtTypes:    r.EvtTypes.Types(),
			File:        r.Pos.File,
			Line:        r.Pos.Line,
			Interpreted: true,
			Match:       func(ev *event.Event) bool { return Eval(r.Cond, ev) },
			Format:      func(dst []byte, ev *event.Event) []byte { return Format(dst, r.Output, ev) },
			Fields:      OutputFields(r.Output),
			CondFields:  lang.CondFields(r.Cond),
			Cond:        func(f *ruleset.Facts) ruleset.Tri { return Tri(r.Cond, f) },
		})
	}
	return out
}

// Eval reports whether ev satisfies the condition e.
func Eval(e lang.Expr, ev *event.Event) bool {
	switch e := e.(type) {
	case *lang.And:
		for _, c := range e.Children {
			if !Eval(c, ev) {
				return false
			}
		}
		return true
	case *lang.Or:
		for _, c := range e.Children {
			if Eval(c, ev) {
				return true
			}
		}
		return false
	case *lang.Not:
		return !Eval(e.Child, ev)
	case *lang.Const:
		return e.Value
	case *lang.Check:
		return evalCheck(e, ev)
	}
	return false
}

// Tri evaluates the condition e in three-valued logic over the events f
// describes: a check is evaluated on f.Event when f knows every field it
// reads, and is Unknown otherwise.
func Tri(e lang.Expr, f *ruleset.Facts) ruleset.Tri {
	switch e := e.(type) {
	case *lang.And:
		out := ruleset.True
		for _, c := range e.Children {
			out = ruleset.TriAnd(out, Tri(c, f))
		}
		return out
	case *lang.Or:
		out := ruleset.False
		for _, c := range e.Children {
			out = ruleset.TriOr(out, Tri(c, f))
		}
		return out
	case *lang.Not:
		return ruleset.TriNot(Tri(e.Child, f))
	case *lang.Const:
		return ruleset.TriOf(e.Value)
	case *lang.Check:
		fields := []string{e.Left.Key}
		if e.Right != nil {
			fields = append(fields, e.Right.Key)
		}
		return f.Check(func(ev *event.Event) bool { return evalCheck(e, ev) }, fields...)
	}
	return ruleset.Unknown
}

func evalCheck(c *lang.Check, ev *event.Event) bool {
	l := &c.Left
	if l.Quantified() {
		for i := 1; i <= maxAncestors; i++ {
			raw := ruleset.Extract(ev, l.Field, event.Arg{Set: true, Index: i}, nil)
			if !raw.OK {
				return false
			}
			v := ruleset.ApplyTransformers(raw, l.Transformers)
			if v.OK && compare(c, v, ev) {
				return true
			}
		}
		return false
	}
	v := ruleset.Extract(ev, l.Field, l.Arg, l.Transformers)
	if !v.OK {
		return false
	}
	return compare(c, v, ev)
}

// compare applies the check's operator to a present value.
func compare(c *lang.Check, v ruleset.Value, ev *event.Event) bool {
	if c.Op == lang.OpExists {
		return true
	}
	if c.Right != nil {
		r := ruleset.Extract(ev, c.Right.Field, c.Right.Arg, c.Right.Transformers)
		if !r.OK {
			return false
		}
		return compareRight(c, v, r)
	}
	if c.Left.Field.Both {
		first, second := v, v
		second.IP, second.Int = v.IP2, v.Int2
		if c.Op == lang.OpNe {
			return !compareOne(c, lang.OpEq, first) && !compareOne(c, lang.OpEq, second)
		}
		return compareOne(c, c.Op, first) || compareOne(c, c.Op, second)
	}
	return compareOne(c, c.Op, v)
}

// compareOne applies op between v and the check's literal values: for list
// operators and the oneof/anyof modifiers it holds if some value matches,
// for allof if every value does.
func compareOne(c *lang.Check, op lang.Op, v ruleset.Value) bool {
	n := c.Len()
	if op == lang.OpPmatch {
		return c.Prefixes.Match(v.Str)
	}
	if op == lang.OpIn || op == lang.OpIntersects {
		op = lang.OpEq
	}
	if c.Mod == lang.ModAllOf {
		for i := 0; i < n; i++ {
			if !one(c, op, v, i) {
				return false
			}
		}
		return n > 0
	}
	for i := 0; i < n; i++ {
		if one(c, op, v, i) {
			return true
		}
	}
	return false
}

// one compares v with the check's i-th literal value.
func one(c *lang.Check, op lang.Op, v ruleset.Value, i int) bool {
	switch v.Kind {
	case event.KindString:
		if op == lang.OpRegex {
			return c.Regexes[i].MatchString(v.Str)
		}
		return cmpString(op, v.Str, c.Strings[i])
	case event.KindInt:
		return cmpInt(op, v.Int, c.Ints[i])
	case event.KindBool:
		return cmpEq(op, v.Bool == c.Bools[i])
	case event.KindIP:
		return cmpEq(op, v.IP == c.IPs[i])
	case event.KindIPNet:
		return cmpEq(op, c.Nets[i].Contains(v.IP))
	case event.KindBytes:
		return cmpBytes(op, v.Bytes, c.Bytes[i])
	}
	return false
}

func compareRight(c *lang.Check, v, r ruleset.Value) bool {
	op := c.Op
	if op == lang.OpIn || op == lang.OpIntersects {
		op = lang.OpEq
	}
	switch v.Kind {
	case event.KindString:
		return cmpString(op, v.Str, r.Str)
	case event.KindInt:
		return cmpInt(op, v.Int, r.Int)
	case event.KindBool:
		return cmpEq(op, v.Bool == r.Bool)
	case event.KindIP:
		return cmpEq(op, v.IP == r.IP)
	case event.KindIPNet:
		return cmpEq(op, v.IP == r.IP)
	case event.KindBytes:
		return cmpBytes(op, v.Bytes, r.Bytes)
	}
	return false
}

func cmpEq(op lang.Op, equal bool) bool {
	switch op {
	case lang.OpEq:
		return equal
	case lang.OpNe:
		return !equal
	}
	return false
}

func cmpString(op lang.Op, s, v string) bool {
	switch op {
	case lang.OpEq:
		return s == v
	case lang.OpNe:
		return s != v
	case lang.OpLt:
		return s < v
	case lang.OpLe:
		return s <= v
	case lang.OpGt:
		return s > v
	case lang.OpGe:
		return s >= v
	case lang.OpContains:
		return strings.Contains(s, v)
	case lang.OpIContains:
		return match.ContainsFold(s, v)
	case lang.OpStartsWith:
		return strings.HasPrefix(s, v)
	case lang.OpEndsWith:
		return strings.HasSuffix(s, v)
	case lang.OpGlob:
		return match.Glob(v, s)
	case lang.OpIGlob:
		return match.IGlob(v, s)
	}
	return false
}

func cmpInt(op lang.Op, n, v int64) bool {
	switch op {
	case lang.OpEq:
		return n == v
	case lang.OpNe:
		return n != v
	case lang.OpLt:
		return n < v
	case lang.OpLe:
		return n <= v
	case lang.OpGt:
		return n > v
	case lang.OpGe:
		return n >= v
	}
	return false
}

func cmpBytes(op lang.Op, b, v []byte) bool {
	switch op {
	case lang.OpEq:
		return bytes.Equal(b, v)
	case lang.OpNe:
		return !bytes.Equal(b, v)
	case lang.OpContains, lang.OpBContains:
		return bytes.Contains(b, v)
	case lang.OpStartsWith, lang.OpBStartsWith:
		return bytes.HasPrefix(b, v)
	case lang.OpEndsWith:
		return bytes.HasSuffix(b, v)
	}
	return false
}

// Format appends the text of an output for ev to dst.
func Format(dst []byte, o *lang.Output, ev *event.Event) []byte {
	if o == nil {
		return dst
	}
	for i := range o.Tokens {
		t := &o.Tokens[i]
		if t.Value == nil {
			dst = append(dst, t.Literal...)
			continue
		}
		start := len(dst)
		dst = ruleset.AppendField(dst, ev, t.Value.Field, t.Value.Arg, t.Value.Transformers)
		if t.Width > 0 {
			dst = ruleset.Pad(dst, start, t.Width)
		}
	}
	return dst
}

// OutputFields lists the values an output names, each once, in order.
func OutputFields(o *lang.Output) []ruleset.OutputField {
	if o == nil {
		return nil
	}
	var out []ruleset.OutputField
	seen := map[string]bool{}
	for _, t := range o.Tokens {
		if t.Value == nil || seen[t.Value.Text] {
			continue
		}
		seen[t.Value.Text] = true
		out = append(out, ruleset.OutputField{Key: t.Value.Text, Field: t.Value.Field, Arg: t.Value.Arg, Transformers: t.Value.Transformers})
	}
	return out
}
