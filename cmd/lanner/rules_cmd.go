package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/lang"
)

type rulesCmd struct {
	List  rulesListCmd  `cmd:"" help:"List the rules compiled into this binary."`
	Check rulesCheckCmd `cmd:"" help:"Validate rules files without rebuilding."`
	Test  rulesTestCmd  `cmd:"" help:"Run rule test cases (events and the rules that must fire or stay silent)."`
}

type rulesListCmd struct {
	JSON   bool `help:"Print a JSON array."`
	Strict bool `help:"Fail when rules of a source Lanner does not support were left out of this binary."`
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
}

func (c *rulesListCmd) Run() error {
	if err := reportSkipped(compiled.Skipped, c.Strict); err != nil {
		return err
	}
	infos := make([]ruleInfo, 0, len(compiled.Rules))
	for _, r := range compiled.Rules {
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
			Source: r.Source, EvtTypes: types, File: r.File, Line: r.Line,
		})
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RULE\tPRIORITY\tENABLED\tEVENT TYPES")
	for _, i := range infos {
		fmt.Fprintf(w, "%s\t%s\t%v\t%s\n", i.Name, i.Priority, i.Enabled, strings.Join(i.EvtTypes, ","))
	}
	return w.Flush()
}

type rulesCheckCmd struct {
	Files  []string `arg:"" name:"file" help:"Rules files, in load order." type:"path"`
	Quiet  bool     `short:"q" help:"Do not print warnings."`
	Strict bool     `help:"Fail when rules of a source Lanner does not support (k8s_audit, plugins) are left out."`
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
	notes := rs.SkippedNotes()
	if c.Strict && len(notes) > 0 {
		return reportSkipped(rs.Skipped, true)
	}
	summary := fmt.Sprintf("%d rules OK (%d enabled)", len(rs.Rules), enabled)
	for _, n := range notes {
		summary += "; " + n
	}
	fmt.Println(summary)
	return nil
}

// reportSkipped says, once per source, how many rules were left out for
// their source; with strict that is an error (exit status 1).
func reportSkipped(skipped map[string]int, strict bool) error {
	for _, n := range lang.SkippedNotes(skipped) {
		if strict {
			fmt.Fprintf(os.Stderr, "lanner: error: %s (--strict)\n", n)
		} else {
			fmt.Fprintf(os.Stderr, "lanner: %s\n", n)
		}
	}
	if strict && len(skipped) > 0 {
		return exitCode(1)
	}
	return nil
}
