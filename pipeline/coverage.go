package pipeline

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// Coverage of one rule by one collector.
const (
	CoverFull    = "full"
	CoverPartial = "partial"
	CoverBlind   = "blind"
)

// RuleCoverage says how well a collector serves a rule: fully, partly
// (some of its event types or fields are invisible to it) or not at all.
type RuleCoverage struct {
	Rule    string   `json:"rule"`
	Level   string   `json:"coverage"`
	Reasons []string `json:"reasons,omitempty"`
}

func assess(r *ruleset.Rule, caps collectors.Capabilities) RuleCoverage {
	rc := RuleCoverage{Rule: r.Name, Level: CoverFull}
	var seen, unseen []string
	for _, t := range r.EvtTypes {
		if caps.Types.Has(t) {
			seen = append(seen, t.String())
		} else {
			unseen = append(unseen, t.String())
		}
	}
	if len(seen) == 0 {
		rc.Level = CoverBlind
		rc.Reasons = append(rc.Reasons, "sees none of its event types ("+strings.Join(unseen, ",")+")")
		return rc
	}
	if len(unseen) > 0 {
		rc.Level = CoverPartial
		rc.Reasons = append(rc.Reasons, "does not see "+strings.Join(unseen, ","))
	}
	var seenTypes []event.Type
	for _, t := range r.EvtTypes {
		if caps.Types.Has(t) {
			seenTypes = append(seenTypes, t)
		}
	}
	for _, f := range r.CondFields {
		if why, ok := caps.Missing[f]; ok {
			rc.Level = CoverPartial
			rc.Reasons = append(rc.Reasons, f+": "+why)
		} else if why := caps.MissingOnAll(f, seenTypes); why != "" {
			rc.Level = CoverPartial
			rc.Reasons = append(rc.Reasons, f+": "+why)
		}
	}
	// Blind when the fields the collector leaves absent make the
	// condition false on every event type it sees; partial when they do
	// on some that could match otherwise.
	blind := true
	var unmatched []string
	for _, t := range seenTypes {
		if r.Possible(absentFacts(caps, t)) != ruleset.False {
			blind = false
		} else if len(caps.MissingOn[t]) > 0 && r.Possible(typeFacts(t)) != ruleset.False {
			unmatched = append(unmatched, t.String())
		}
	}
	if !blind && len(unmatched) > 0 {
		rc.Level = CoverPartial
		rc.Reasons = append(rc.Reasons, "cannot match "+strings.Join(unmatched, ",")+
			" events with the fields it lacks on them")
	}
	if blind {
		rc.Level = CoverBlind
	}
	return rc
}

// typeFacts describe the events of type t, nothing else known.
func typeFacts(t event.Type) *ruleset.Facts {
	return &ruleset.Facts{Event: &event.Event{Type: t}, Known: func(field string) bool { return field == "evt.type" }}
}

// CoverageReport assesses every rule of set.
func CoverageReport(set *ruleset.Set, caps collectors.Capabilities) []RuleCoverage {
	var out []RuleCoverage
	for _, r := range set.Rules() {
		out = append(out, assess(r, caps))
	}
	return out
}

// PrintCoverage writes a summary line and one line per rule not fully served.
func PrintCoverage(w io.Writer, collector string, report []RuleCoverage) {
	count := map[string]int{}
	for _, rc := range report {
		count[rc.Level]++
	}
	fmt.Fprintf(w, "lanner: coverage with %s: %d rules fully served, %d partly, %d blind\n",
		collector, count[CoverFull], count[CoverPartial], count[CoverBlind])
	sorted := append([]RuleCoverage(nil), report...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Level < sorted[j].Level })
	for _, rc := range sorted {
		if rc.Level != CoverFull {
			fmt.Fprintf(w, "lanner:   %s: %s (%s)\n", rc.Level, rc.Rule, strings.Join(rc.Reasons, "; "))
		}
	}
}

// FieldLimit is a field a collector fills on most events but not all
// (collectors.Capabilities.Limits; LimitsOn for the events of Types
// only), and the rules whose conditions or outputs read it.
type FieldLimit struct {
	Field  string   `json:"field"`
	Types  []string `json:"types,omitempty"`
	Reason string   `json:"reason"`
	Rules  []string `json:"rules"`
}

// LimitsReport lists the limits of caps that rules of set read: those of
// caps.Limits, and those of caps.LimitsOn (one entry for the types that
// share a limit) read by rules matching one of their types.
func LimitsReport(set *ruleset.Set, caps collectors.Capabilities) []FieldLimit {
	var out []FieldLimit
	reads := func(r *ruleset.Rule, field string) bool {
		names := func(f string) bool { return collectors.LimitNames(field, f) }
		return slices.ContainsFunc(r.CondFields, names) || slices.ContainsFunc(r.Fields, func(o ruleset.OutputField) bool { return names(o.Key) })
	}
	for field, why := range caps.Limits {
		l := FieldLimit{Field: field, Reason: why}
		for _, r := range set.Rules() {
			if reads(r, field) {
				l.Rules = append(l.Rules, r.Name)
			}
		}
		if len(l.Rules) > 0 {
			out = append(out, l)
		}
	}
	type limitOn struct{ field, why string }
	types := map[limitOn][]event.Type{}
	for t, limits := range caps.LimitsOn {
		for field, why := range limits {
			types[limitOn{field, why}] = append(types[limitOn{field, why}], t)
		}
	}
	for k, ts := range types {
		slices.Sort(ts)
		l := FieldLimit{Field: k.field, Reason: k.why}
		for _, t := range ts {
			l.Types = append(l.Types, t.String())
		}
		for _, r := range set.Rules() {
			if reads(r, k.field) && slices.ContainsFunc(r.EvtTypes, func(t event.Type) bool { return slices.Contains(ts, t) }) {
				l.Rules = append(l.Rules, r.Name)
			}
		}
		if len(l.Rules) > 0 {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Field != out[j].Field {
			return out[i].Field < out[j].Field
		}
		return strings.Join(out[i].Types, ",") < strings.Join(out[j].Types, ",")
	})
	return out
}

// PrintLimits writes one line per limit.
func PrintLimits(w io.Writer, limits []FieldLimit) {
	for _, l := range limits {
		fmt.Fprintf(w, "lanner:   limit: %s (read by %d rules): %s\n", l.label(), len(l.Rules), l.Reason)
	}
}

// label names the limit's fields, and its event types when it has some.
func (l FieldLimit) label() string {
	if len(l.Types) == 0 {
		return l.Field
	}
	return l.Field + " on " + strings.Join(l.Types, ",")
}

// LogCoverage logs a coverage report and the limits as PrintCoverage and
// PrintLimits print them: a "coverage" record (keys collector, full,
// partial, blind), a "rule coverage" record per rule not fully served
// (rule, coverage, reasons) and a "coverage limit" record per limit
// (field, rules: how many read it, reason).
func LogCoverage(log *slog.Logger, collector string, report []RuleCoverage, limits []FieldLimit) {
	count := map[string]int{}
	for _, rc := range report {
		count[rc.Level]++
	}
	log.Info("coverage", "collector", collector, "full", count[CoverFull], "partial", count[CoverPartial], "blind", count[CoverBlind])
	sorted := append([]RuleCoverage(nil), report...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Level < sorted[j].Level })
	for _, rc := range sorted {
		if rc.Level != CoverFull {
			log.Info("rule coverage", "collector", collector, "rule", rc.Rule, "coverage", rc.Level, "reasons", strings.Join(rc.Reasons, "; "))
		}
	}
	for _, l := range limits {
		log.Info("coverage limit", "collector", collector, "field", l.label(), "rules", len(l.Rules), "reason", l.Reason)
	}
}
