package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/ruleset"
)

type collectorsCmd struct {
	JSON bool `help:"Print a JSON array of objects with keys name, available, reason, coverage and limits."`
}

// collectorInfo is one entry of `collectors --json`.
type collectorInfo struct {
	Name      string         `json:"name"`
	Available bool           `json:"available"`
	Reason    string         `json:"reason"`
	Coverage  []ruleCoverage `json:"coverage,omitempty"`
	Limits    []fieldLimit   `json:"limits,omitempty"`
}

// Run probes every collector by starting and stopping it, and reports
// which work here and how well each would serve the compiled rules.
func (c *collectorsCmd) Run() error {
	set := ruleset.New(compiled.Rules, ruleset.Selection{}, ruleset.MatchFirst)
	var infos []collectorInfo
	for _, name := range collectorNames {
		info := collectorInfo{Name: name, Available: true, Reason: "works here"}
		col, err := newCollector(name, collectorRequest{Types: set.Types(), Rules: set, AuditExclusions: true})
		if err != nil {
			info.Available, info.Reason = false, err.Error()
		} else {
			col.Close()
		}
		info.Coverage = coverageReport(set, capabilities(name))
		info.Limits = limitsReport(set, capabilities(name))
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
		printCoverage(os.Stdout, i.Name, i.Coverage)
		printLimits(os.Stdout, i.Limits)
	}
	return nil
}
