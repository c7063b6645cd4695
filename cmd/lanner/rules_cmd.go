package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
)

type rulesCmd struct {
	List  rulesListCmd  `cmd:"" help:"List the rules compiled into this binary, or those run with --rules-file, and whether each is compiled or interpreted."`
	Check rulesCheckCmd `cmd:"" help:"Validate rules files without rebuilding."`
	Test  rulesTestCmd  `cmd:"" help:"Run rule test cases (events and the rules that must fire or stay silent)."`
}

type rulesListCmd struct {
	JSON bool `help:"Print a JSON array."`
	rulesFileFlags
}

// ruleInfo is one entry of `rules list --json`.
type ruleInfo struct {
	Name     string   `json:"name"`
	Priority string   `json:"priority"`
	Enabled  bool     `json:"enabled"`
	Tags     []string `json:"tags"`
	Source   string   `json:"source"`
	EvtTypes []string `json:"evttypes"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	// Kind is "compiled" or "interpreted".
	Kind string `json:"kind"`
}

func (c *rulesListCmd) Run() error {
	rules, _, _, err := c.loadRules(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitCode(1)
	}
	infos := make([]ruleInfo, 0, len(rules))
	for _, r := range rules {
		types := make([]string, 0, len(r.EvtTypes))
		for _, t := range r.EvtTypes {
			types = append(types, t.String())
		}
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		infos = append(infos, ruleInfo{
			Name: r.Name, Priority: r.Priority.String(), Enabled: r.Enabled, Tags: tags,
			Source: r.Source, EvtTypes: types, File: r.File, Line: r.Line, Kind: ruleKind(r),
		})
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RULE\tPRIORITY\tENABLED\tKIND\tEVENT TYPES")
	for _, i := range infos {
		fmt.Fprintf(w, "%s\t%s\t%v\t%s\t%s\n", i.Name, i.Priority, i.Enabled, i.Kind, strings.Join(i.EvtTypes, ","))
	}
	return w.Flush()
}

// ruleKind says how r runs: "compiled" or "interpreted".
func ruleKind(r *ruleset.Rule) string {
	if r.Interpreted {
		return "interpreted"
	}
	return "compiled"
}

type rulesCheckCmd struct {
	Files []string `arg:"" name:"file" help:"Rules files, in load order." type:"path"`
	Quiet bool     `short:"q" help:"Do not print warnings."`
}

func (c *rulesCheckCmd) Run() error {
	rs, err := lang.LoadPaths(c.Files...)
	if rs != nil && !c.Quiet {
		for _, w := range rs.Warnings {
			fmt.Fprintf(os.Stderr, "%s: warning: %s\n", w.Pos, w.Msg)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitCode(1)
	}
	enabled := 0
	for _, r := range rs.Rules {
		if r.Enabled {
			enabled++
		}
	}
	fmt.Printf("%d rules OK (%d enabled)\n", len(rs.Rules), enabled)
	return nil
}
