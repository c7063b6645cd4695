package lang

import (
	"strings"

	"github.com/lannersec/lanner/ruleset"
)

// Collection accumulates the items of several rules files in load order.
// Definitions, appends and overrides are applied as items are added; lists
// and macros are bound late, when Resolve runs, so the last definition of
// a list or macro is the one every rule sees.
type Collection struct {
	seq int // sequence number of the last define, append or override

	lists  map[string]*listInfo
	macros map[string]*macroInfo
	rules  map[string]*ruleInfo

	listOrder  []*listInfo
	macroOrder []*macroInfo
	ruleOrder  []*ruleInfo

	// broken holds names of items Read rejected, by kind, so that later
	// references to them are not reported again.
	broken map[ItemKind]map[string]bool

	warnings        Diagnostics
	resolveWarnings Diagnostics
	// resolvedNodes is the number of condition nodes the last Resolve
	// made, counted against maxLoadNodes.
	resolvedNodes int
}

// listInfo is a list as collected. index is the sequence number of its
// first definition, visibility that of its last definition or append.
type listInfo struct {
	name       string
	pos        Position
	items      []Value
	index      int
	visibility int
}

type macroInfo struct {
	name       string
	pos        Position
	cond       Value
	index      int
	visibility int
}

type ruleInfo struct {
	name                string
	pos                 Position
	cond                Value
	output              Value
	desc                Value
	priority            ruleset.Priority
	source              string
	enabled             bool
	tags                []string
	exceptions          []Exception
	warnEvttypes        bool
	skipIfUnknownFilter bool
	capture             bool
	captureDuration     int
}

// NewCollection returns an empty collection.
func NewCollection() *Collection {
	return &Collection{
		lists:  map[string]*listInfo{},
		macros: map[string]*macroInfo{},
		rules:  map[string]*ruleInfo{},
		broken: map[ItemKind]map[string]bool{},
	}
}

// Warnings returns the warnings collected so far: those of the added items
// (unknown keys, deprecated forms, unknown top level items, ...) and those
// of the last Resolve (unused lists and macros). The slice is a copy.
func (c *Collection) Warnings() Diagnostics {
	out := make(Diagnostics, 0, len(c.warnings)+len(c.resolveWarnings))
	out = append(out, c.warnings...)
	return append(out, c.resolveWarnings...)
}

func (c *Collection) next() int {
	c.seq++
	return c.seq
}

func (c *Collection) isBroken(kind ItemKind, name string) bool {
	return c.broken[kind][name]
}

// Add applies the items of one file (define, append, override, enable).
// Errors such as appending to a missing rule, list or macro, or redefining
// a rule with a different source, are diagnostics at the item's position.
// Items marked Invalid are not applied.
func (c *Collection) Add(items []Item) Diagnostics {
	var ds Diagnostics
	for i := range items {
		it := &items[i]
		c.warnings = append(c.warnings, it.Warnings...)
		if it.Invalid {
			if it.Name != "" {
				if c.broken[it.Kind] == nil {
					c.broken[it.Kind] = map[string]bool{}
				}
				c.broken[it.Kind][it.Name] = true
			}
			continue
		}
		switch it.Kind {
		case ItemPluginVersions:
			c.addPlugins(it)
		case ItemList:
			c.addList(it, &ds)
		case ItemMacro:
			c.addMacro(it, &ds)
		case ItemRule:
			c.addRule(it, &ds)
		}
	}
	return ds
}

// builtinPlugins are plugins whose fields the monitor provides itself.
var builtinPlugins = map[string]bool{"container": true}

func (c *Collection) addPlugins(it *Item) {
	for _, req := range it.Plugins {
		ok := false
		for _, a := range req.Alternatives {
			ok = ok || builtinPlugins[a.Name]
		}
		if !ok && len(req.Alternatives) > 0 {
			c.warnings.add(req.Pos, "plugin '%s' required by the rules is not available; rules using its fields will not load", req.Alternatives[0].Name)
		}
	}
}

func (c *Collection) addList(it *Item, ds *Diagnostics) {
	prev := c.lists[it.Name]
	if it.Append {
		if prev == nil {
			if !c.isBroken(ItemList, it.Name) {
				ds.add(it.Pos, "list '%s' does not exist; cannot append to it", it.Name)
			}
			return
		}
		prev.items = append(prev.items, it.Items...)
		prev.visibility = c.next()
		return
	}
	id := c.next()
	if prev != nil {
		prev.items = append([]Value(nil), it.Items...)
		prev.pos = it.Pos
		prev.visibility = id
		return
	}
	l := &listInfo{name: it.Name, pos: it.Pos, items: append([]Value(nil), it.Items...), index: id, visibility: id}
	c.lists[it.Name] = l
	c.listOrder = append(c.listOrder, l)
}

func (c *Collection) addMacro(it *Item, ds *Diagnostics) {
	prev := c.macros[it.Name]
	if it.Append {
		if prev == nil {
			if !c.isBroken(ItemMacro, it.Name) {
				ds.add(it.Pos, "macro '%s' does not exist; cannot append to it", it.Name)
			}
			return
		}
		prev.cond = joinValues(prev.cond, it.Condition, " ")
		prev.visibility = c.next()
		return
	}
	id := c.next()
	if prev != nil {
		prev.cond = it.Condition
		prev.pos = it.Pos
		prev.visibility = id
		return
	}
	m := &macroInfo{name: it.Name, pos: it.Pos, cond: it.Condition, index: id, visibility: id}
	c.macros[it.Name] = m
	c.macroOrder = append(c.macroOrder, m)
}

func (c *Collection) addRule(it *Item, ds *Diagnostics) {
	prev := c.rules[it.Name]
	switch {
	case it.Override != nil || it.Append:
		if prev == nil {
			if !c.isBroken(ItemRule, it.Name) {
				what := "append to"
				if it.Override != nil {
					what = "override"
				}
				ds.add(it.Pos, "rule '%s' does not exist; cannot %s it", it.Name, what)
			}
			return
		}
		if it.Append {
			c.appendRule(prev, it, ds)
		} else {
			c.overrideRule(prev, it, ds)
		}
		c.next()
	case it.EnableOnly:
		if prev == nil {
			if !c.isBroken(ItemRule, it.Name) {
				ds.add(it.Pos, "rule '%s' does not exist; cannot change whether it is enabled", it.Name)
			}
			return
		}
		prev.enabled = it.Enabled
	default:
		r := &ruleInfo{
			name:                it.Name,
			pos:                 it.Pos,
			cond:                it.Condition,
			output:              it.Output,
			desc:                it.Desc,
			priority:            it.Priority,
			source:              it.Source,
			enabled:             it.Enabled,
			tags:                append([]string{}, it.Tags...),
			warnEvttypes:        it.WarnEvttypes,
			skipIfUnknownFilter: it.SkipIfUnknownFilter,
			capture:             it.Capture,
			captureDuration:     it.CaptureDuration,
		}
		for _, ex := range it.Exceptions {
			if c.checkException(&ex, true, ds) {
				r.exceptions = append(r.exceptions, ex)
			}
		}
		c.next()
		if prev != nil {
			if it.Has("source") && prev.source != it.Source {
				ds.add(it.Pos, "rule '%s' has been redefined with a different source ('%s', was '%s')", it.Name, it.Source, prev.source)
				return
			}
			if !it.Has("source") {
				r.source = prev.source
			}
			*prev = *r
			return
		}
		c.rules[it.Name] = r
		c.ruleOrder = append(c.ruleOrder, r)
	}
}

// appendRule applies a deprecated "append: true" rule item: the condition
// is appended and exceptions are merged; other keys are ignored.
func (c *Collection) appendRule(prev *ruleInfo, it *Item, ds *Diagnostics) {
	if !it.Has("condition") && !it.Has("exceptions") {
		ds.add(it.Pos, "appended rule '%s' must have a condition or exceptions", it.Name)
		return
	}
	if it.Has("condition") {
		prev.cond = joinValues(prev.cond, it.Condition, " ")
	}
	if it.Has("exceptions") {
		c.mergeExceptions(prev, it.Exceptions, ds)
	}
}

// overrideRule applies an item with "override": appends first, then
// replacements.
func (c *Collection) overrideRule(prev *ruleInfo, it *Item, ds *Diagnostics) {
	for _, appendPass := range []bool{true, false} {
		for _, key := range overrideKeys {
			o, ok := it.Override[key]
			if !ok || o.Append != appendPass || !it.Has(key) {
				continue
			}
			if o.Append {
				switch key {
				case "condition":
					prev.cond = joinValues(prev.cond, it.Condition, " ")
				case "output":
					prev.output = joinValues(prev.output, it.Output, " ")
				case "desc":
					prev.desc = joinValues(prev.desc, it.Desc, " ")
				case "tags":
					prev.tags = unionTags(prev.tags, it.Tags)
				case "exceptions":
					c.mergeExceptions(prev, it.Exceptions, ds)
				}
				continue
			}
			switch key {
			case "condition":
				prev.cond = it.Condition
			case "output":
				prev.output = it.Output
			case "desc":
				prev.desc = it.Desc
			case "priority":
				prev.priority = it.Priority
			case "tags":
				prev.tags = append([]string{}, it.Tags...)
			case "exceptions":
				prev.exceptions = nil
				for _, ex := range it.Exceptions {
					if c.checkException(&ex, true, ds) {
						prev.exceptions = append(prev.exceptions, ex)
					}
				}
			case "enabled":
				prev.enabled = it.Enabled
			case "warn_evttypes":
				prev.warnEvttypes = it.WarnEvttypes
			case "skip-if-unknown-filter":
				prev.skipIfUnknownFilter = it.SkipIfUnknownFilter
			case "capture":
				prev.capture = it.Capture
			case "capture_duration":
				prev.captureDuration = it.CaptureDuration
			}
		}
	}
}

// overrideKeys are the rule keys an override may name, in the order
// they are applied.
var overrideKeys = []string{"condition", "output", "desc", "priority", "tags", "exceptions", "enabled",
	"warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"}

func unionTags(a, b []string) []string {
	out := append([]string{}, a...)
	seen := map[string]bool{}
	for _, t := range a {
		seen[t] = true
	}
	for _, t := range b {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// mergeExceptions merges exceptions by name: a new name is added (it
// needs fields and values), an existing one receives extra values only.
func (c *Collection) mergeExceptions(prev *ruleInfo, exs []Exception, ds *Diagnostics) {
	for _, ex := range exs {
		i := -1
		for j := range prev.exceptions {
			if prev.exceptions[j].Name == ex.Name {
				i = j
				break
			}
		}
		if i < 0 {
			if !ex.HasFields {
				ds.add(ex.Pos, "new exception '%s' must have fields", ex.Name)
				continue
			}
			if !ex.HasValues {
				ds.add(ex.Pos, "new exception '%s' must have values", ex.Name)
				continue
			}
			if c.checkException(&ex, false, ds) {
				prev.exceptions = append(prev.exceptions, ex)
			}
			continue
		}
		if ex.HasFields {
			ds.add(ex.Pos, "cannot append fields to existing exception '%s', only values", ex.Name)
			continue
		}
		if ex.HasComps {
			ds.add(ex.Pos, "cannot append comps to existing exception '%s', only values", ex.Name)
			continue
		}
		old := &prev.exceptions[i]
		old.Values = append(append([]ExceptionValue(nil), old.Values...), ex.Values...)
		old.HasValues = old.HasValues || ex.HasValues
	}
}

// listOperators take a list on their right side.
var listOperators = keySet("in", "intersects", "pmatch")

// stringOperators take a single string value and accept a modifier.
var stringOperators = keySet("=", "==", "!=", "contains", "icontains", "bcontains", "startswith",
	"bstartswith", "endswith", "glob", "iglob", "regex")

// compOperators are the operators an exception comp may use.
var compOperators = keySet("=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains",
	"startswith", "bstartswith", "endswith", "glob", "iglob", "regex", "in", "intersects", "pmatch")

var modifiers = keySet("oneof", "anyof", "allof")

// isComp reports whether op is a valid exception comp: an operator, or a
// string operator followed by a modifier.
func isComp(op string) bool {
	if compOperators[op] {
		return true
	}
	f := strings.Fields(op)
	return len(f) == 2 && stringOperators[f[0]] && modifiers[f[1]]
}

// isListComp reports whether comp takes a list of values.
func isListComp(op string) bool {
	if listOperators[op] {
		return true
	}
	f := strings.Fields(op)
	return len(f) == 2 && stringOperators[f[0]] && modifiers[f[1]]
}

// checkException validates an exception's fields and comps and fills in
// default comps. needFields is set for exceptions of a rule definition.
func (c *Collection) checkException(ex *Exception, needFields bool, ds *Diagnostics) bool {
	if !ex.HasFields {
		if needFields {
			ds.add(ex.Pos, "exception '%s' must have fields", ex.Name)
			return false
		}
		return true
	}
	n := len(*ds)
	if ex.Fields.IsList {
		for _, f := range ex.Fields.Items {
			if f.IsList {
				ds.add(f.Pos, "exception '%s': fields must be strings", ex.Name)
			}
		}
		if !ex.HasComps {
			ex.Comps = ExceptionValue{Value: Value{Pos: ex.Pos}, IsList: true}
			for range ex.Fields.Items {
				ex.Comps.Items = append(ex.Comps.Items, ExceptionValue{Value: Value{Text: "=", Pos: ex.Pos}})
			}
			ex.HasComps = true
		}
		if !ex.Comps.IsList {
			ds.add(ex.Comps.Pos, "exception '%s': fields and comps must both be lists or both be strings", ex.Name)
			return false
		}
		if len(ex.Comps.Items) != len(ex.Fields.Items) {
			ds.add(ex.Pos, "exception '%s': fields and comps lists must have equal length (%d fields, %d comps)",
				ex.Name, len(ex.Fields.Items), len(ex.Comps.Items))
		}
		for _, comp := range ex.Comps.Items {
			if comp.IsList || !isComp(comp.Text) {
				ds.add(comp.Pos, "exception '%s': '%s' is not a supported comparison operator", ex.Name, comp.Text)
			}
		}
		return len(*ds) == n
	}
	if !ex.HasComps {
		ex.Comps = ExceptionValue{Value: Value{Text: "in", Pos: ex.Pos}}
		ex.HasComps = true
	}
	if ex.Comps.IsList {
		ds.add(ex.Comps.Pos, "exception '%s': fields and comps must both be lists or both be strings", ex.Name)
		return false
	}
	if !isListComp(ex.Comps.Text) {
		if isComp(ex.Comps.Text) {
			ds.add(ex.Comps.Pos, "exception '%s': when fields is a single field, comps must be in, pmatch, intersects or an operator with a modifier", ex.Name)
		} else {
			ds.add(ex.Comps.Pos, "exception '%s': '%s' is not a supported comparison operator", ex.Name, ex.Comps.Text)
		}
		return false
	}
	return true
}

// joinValues returns a + sep + b, keeping the source map of both.
func joinValues(a, b Value, sep string) Value {
	var t textBuilder
	t.addValue(a)
	t.add(sep, b.Pos)
	t.addValue(b)
	return t.value(a.Pos)
}

// textBuilder builds condition text together with its source map.
type textBuilder struct {
	b   []byte
	src []Position
}

// add appends s, every byte of which maps to p.
func (t *textBuilder) add(s string, p Position) {
	t.b = append(t.b, s...)
	for range len(s) {
		t.src = append(t.src, p)
	}
}

// addValue appends v's text and source map.
func (t *textBuilder) addValue(v Value) {
	t.addRange(v, 0, len(v.Text))
}

// addRange appends v.Text[i:j] and its source map.
func (t *textBuilder) addRange(v Value, i, j int) {
	t.b = append(t.b, v.Text[i:j]...)
	if v.src == nil {
		for range j - i {
			t.src = append(t.src, v.Pos)
		}
		return
	}
	t.src = append(t.src, v.src[i:j]...)
}

// last returns the last byte written, or 0.
func (t *textBuilder) last() byte {
	if len(t.b) == 0 {
		return 0
	}
	return t.b[len(t.b)-1]
}

// drop removes the last byte written.
func (t *textBuilder) drop() {
	t.b = t.b[:len(t.b)-1]
	t.src = t.src[:len(t.src)-1]
}

// value returns the built text as a Value starting at pos.
func (t *textBuilder) value(pos Position) Value {
	end := pos
	if n := len(t.src); n > 0 {
		end = t.src[n-1]
		if t.b[n-1] != '\n' {
			end.Col++
		}
	}
	src := append(t.src, end)
	return Value{Text: string(t.b), Pos: pos, src: src}
}
