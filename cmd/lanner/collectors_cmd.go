package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/pipeline"
	"github.com/lannersec/lanner/ruleset"
)

type collectorsCmd struct {
	JSON bool `help:"Print a JSON array of objects with keys name, available, reason, coverage and limits."`
}

// collectorInfo is one entry of `collectors --json`.
type collectorInfo struct {
	Name      string                  `json:"name"`
	Available bool                    `json:"available"`
	Reason    string                  `json:"reason"`
	Coverage  []pipeline.RuleCoverage `json:"coverage,omitempty"`
	Limits    []pipeline.FieldLimit   `json:"limits,omitempty"`
}

// Run probes every collector by starting and stopping it, and reports
// which work here and how well each would serve the compiled rules.
func (c *collectorsCmd) Run() error {
	set := ruleset.New(compiled.Rules, ruleset.Selection{}, ruleset.MatchFirst)
	var infos []collectorInfo
	for _, name := range pipeline.Names {
		info := collectorInfo{Name: name, Available: true, Reason: "works here"}
		// What run would report: the capabilities of the started
		// collector (less the syscalls this kernel lacks), else those it
		// would have.
		caps := pipeline.Capabilities(name)
		col, err := pipeline.New(name, pipeline.Request{Types: set.Types(), Rules: set, AuditExclusions: true})
		if err != nil {
			info.Available, info.Reason = false, pipeline.ExplainCollectorError(name, err).Error()
		} else {
			caps = col.Capabilities()
			col.Close()
		}
		info.Coverage = pipeline.CoverageReport(set, caps)
		info.Limits = pipeline.LimitsReport(set, caps)
		infos = append(infos, info)
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	for _, i := range infos {
		state := "available"
		if !i.Available {
			state = "unavailable"
		}
		fmt.Printf("%-10s %-12s %s\n", i.Name, state, i.Reason)
		pipeline.PrintCoverage(os.Stdout, i.Name, i.Coverage)
		pipeline.PrintLimits(os.Stdout, i.Limits)
	}
	return nil
}
