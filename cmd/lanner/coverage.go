package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// Coverage of one rule by one collector.
const (
	coverFull    = "full"
	coverPartial = "partial"
	coverBlind   = "blind"
)

// ruleCoverage says how well a collector serves a rule: fully, partly
// (some of its event types or fields are invisible to it) or not at all.
type ruleCoverage struct {
	Rule    string   `json:"rule"`
	Level   string   `json:"coverage"`
	Reasons []string `json:"reasons,omitempty"`
}

func assess(r *ruleset.Rule, caps collectors.Capabilities) ruleCoverage {
	rc := ruleCoverage{Rule: r.Name, Level: coverFull}
	var seen, unseen []string
	for _, t := range r.EvtTypes {
		if caps.Types.Has(t) {
			seen = append(seen, t.String())
		} else {
			unseen = append(unseen, t.String())
		}
	}
	if len(seen) == 0 {
		rc.Level = coverBlind
		rc.Reasons = append(rc.Reasons, "sees none of its event types ("+strings.Join(unseen, ",")+")")
		return rc
	}
	if len(unseen) > 0 {
		rc.Level = coverPartial
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
			rc.Level = coverPartial
			rc.Reasons = append(rc.Reasons, f+": "+why)
		} else if why := caps.MissingOnAll(f, seenTypes); why != "" {
			rc.Level = coverPartial
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
		rc.Level = coverPartial
		rc.Reasons = append(rc.Reasons, "cannot match "+strings.Join(unmatched, ",")+
			" events with the fields it lacks on them")
	}
	if blind {
		rc.Level = coverBlind
	}
	return rc
}

// typeFacts describe the events of type t, nothing else known.
func typeFacts(t event.Type) *ruleset.Facts {
	return &ruleset.Facts{Event: &event.Event{Type: t}, Known: func(field string) bool { return field == "evt.type" }}
}

// coverageReport assesses every rule of set.
func coverageReport(set *ruleset.Set, caps collectors.Capabilities) []ruleCoverage {
	var out []ruleCoverage
	for _, r := range set.Rules() {
		out = append(out, assess(r, caps))
	}
	return out
}

// printCoverage writes a summary line and one line per rule not fully served.
func printCoverage(w io.Writer, collector string, report []ruleCoverage) {
	count := map[string]int{}
	for _, rc := range report {
		count[rc.Level]++
	}
	fmt.Fprintf(w, "lanner: coverage with %s: %d rules fully served, %d partly, %d blind\n",
		collector, count[coverFull], count[coverPartial], count[coverBlind])
	sorted := append([]ruleCoverage(nil), report...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Level < sorted[j].Level })
	for _, rc := range sorted {
		if rc.Level != coverFull {
			fmt.Fprintf(w, "lanner:   %s: %s (%s)\n", rc.Level, rc.Rule, strings.Join(rc.Reasons, "; "))
		}
	}
}

// fieldLimit is a field a collector fills on most events but not all
// (collectors.Capabilities.Limits), and the rules whose conditions read it.
type fieldLimit struct {
	Field  string   `json:"field"`
	Reason string   `json:"reason"`
	Rules  []string `json:"rules"`
}

// limitsReport lists the limits of caps that rules of set read.
func limitsReport(set *ruleset.Set, caps collectors.Capabilities) []fieldLimit {
	var out []fieldLimit
	for field, why := range caps.Limits {
		l := fieldLimit{Field: field, Reason: why}
		fields := strings.Split(field, ",")
		for _, r := range set.Rules() {
			if slices.ContainsFunc(r.CondFields, func(f string) bool { return slices.Contains(fields, f) }) {
				l.Rules = append(l.Rules, r.Name)
			}
		}
		if len(l.Rules) > 0 {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// printLimits writes one line per limit.
func printLimits(w io.Writer, limits []fieldLimit) {
	for _, l := range limits {
		fmt.Fprintf(w, "lanner:   limit: %s (read by %d rules): %s\n", l.Field, len(l.Rules), l.Reason)
	}
}
