package ruleset

import (
	"path"

	"github.com/lannersec/lanner/event"
)

// Matching is Falco's rule_matching setting.
type Matching uint8

const (
	// MatchFirst fires only the first matching rule, in load order.
	MatchFirst Matching = iota
	// MatchAll fires every matching rule.
	MatchAll
)

// ParseMatching reads "first" or "all".
func ParseMatching(s string) (Matching, bool) {
	switch s {
	case "first", "":
		return MatchFirst, true
	case "all":
		return MatchAll, true
	}
	return MatchFirst, false
}

// Selection chooses which rules run.
type Selection struct {
	MinPriority  Priority // rules less severe than this are off; zero value = Debug is set by New
	HasMinPrio   bool
	DisableRules []string // glob patterns on rule names
	EnableRules  []string // glob patterns: turn on rules disabled in their file
	EnableTags   []string // if set, only rules with one of these tags run
	DisableTags  []string
}

// Set is a selection of rules indexed by event type. It is safe for
// concurrent use once built.
type Set struct {
	rules  []*Rule
	byType [event.NumTypes][]*Rule
	mode   Matching
}

// New selects the enabled rules and indexes them by event type, keeping
// load order within each type.
func New(rules []*Rule, sel Selection, mode Matching) *Set {
	s := &Set{mode: mode}
	for _, r := range rules {
		if !sel.selects(r) {
			continue
		}
		s.rules = append(s.rules, r)
		for _, t := range r.EvtTypes {
			s.byType[t] = append(s.byType[t], r)
		}
	}
	return s
}

func (sel *Selection) selects(r *Rule) bool {
	on := r.Enabled
	if globAny(sel.EnableRules, r.Name) {
		on = true
	}
	if globAny(sel.DisableRules, r.Name) {
		on = false
	}
	if sel.HasMinPrio && r.Priority > sel.MinPriority {
		on = false
	}
	if len(sel.EnableTags) > 0 {
		any := false
		for _, t := range sel.EnableTags {
			any = any || r.HasTag(t)
		}
		on = on && any
	}
	for _, t := range sel.DisableTags {
		if r.HasTag(t) {
			on = false
		}
	}
	return on
}

func globAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok || p == name {
			return true
		}
	}
	return false
}

// Rules returns the selected rules in load order.
func (s *Set) Rules() []*Rule { return s.rules }

// Types returns the event types at least one selected rule can match.
func (s *Set) Types() event.TypeSet {
	var ts event.TypeSet
	for t := range s.byType {
		if len(s.byType[t]) > 0 {
			ts.Add(event.Type(t))
		}
	}
	return ts
}

// Eval tests ev against the rules indexed under its type and calls fire for
// the first match (MatchFirst) or every match (MatchAll). It returns the
// number of rules that fired. It does not allocate.
func (s *Set) Eval(ev *event.Event, fire func(*Rule, *event.Event)) int {
	if ev.Type >= event.NumTypes {
		return 0
	}
	n := 0
	for _, r := range s.byType[ev.Type] {
		if r.Match(ev) {
			n++
			fire(r, ev)
			if s.mode == MatchFirst {
				break
			}
		}
	}
	return n
}
