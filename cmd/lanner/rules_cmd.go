package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/config"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
)

type rulesCmd struct {
	List     rulesListCmd     `cmd:"" help:"List the rules compiled into this binary, or those run with --rules-file, and whether each is compiled or interpreted."`
	Describe rulesDescribeCmd `cmd:"" help:"Describe one rule compiled into this binary: its description, condition and output."`
	Check    rulesCheckCmd    `cmd:"" help:"Validate rules files without rebuilding."`
	Test     rulesTestCmd     `cmd:"" help:"Run rule test cases (events and the rules that must fire or stay silent)."`
}

type rulesListCmd struct {
	JSON        bool `help:"Print a JSON array."`
	Description bool `name:"desc" help:"Print each rule's name and description (as falco -L)."`
	Strict      bool `help:"Fail when rules of a source Lanner does not support were left out of this binary."`
	config.RulesFiles
}

// ruleInfo is one entry of `rules list --json`.
type ruleInfo struct {
	Name      string   `json:"name"`
	Desc      string   `json:"desc"`
	Condition string   `json:"condition"`
	Output    string   `json:"output"`
	Priority  string   `json:"priority"`
	Enabled   bool     `json:"enabled"`
	Tags      []string `json:"tags"`
	Source    string   `json:"source"`
	EvtTypes  []string `json:"evttypes"`
	File      string   `json:"file"`
	Line      int      `json:"line"`
	// Kind is "compiled" or "interpreted".
	Kind string `json:"kind"`
}

func (c *rulesListCmd) Run() error {
	rules, _, loaded, err := c.LoadRules(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitCode(1)
	}
	skipped := compiled.Skipped
	if loaded != nil {
		skipped = loaded.Skipped
	}
	if err := reportSkipped(skipped, c.Strict); err != nil {
		return err
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
			Name: r.Name, Desc: r.Desc, Condition: r.Condition, Output: r.Output, Priority: r.Priority.String(), Enabled: r.Enabled, Tags: tags,
			Source: r.Source, EvtTypes: types, File: r.File, Line: r.Line, Kind: ruleKind(r),
		})
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	if c.Description {
		for _, i := range infos {
			printDescription(os.Stdout, i)
		}
		return nil
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

// printDescription prints a rule's name and its description, folded, as
// falco -L does.
func printDescription(w io.Writer, i ruleInfo) {
	fmt.Fprintln(w, i.Name)
	fmt.Fprintf(w, "    %s\n\n", strings.Join(strings.Fields(i.Desc), " "))
}

type rulesDescribeCmd struct {
	Rule string `arg:"" help:"Rule name."`
}

func (c *rulesDescribeCmd) Run() error {
	for _, r := range compiled.Rules {
		if r.Name != c.Rule {
			continue
		}
		fmt.Printf("%s\n    %s\n\n", r.Name, strings.Join(strings.Fields(r.Desc), " "))
		fmt.Printf("priority:  %s\nenabled:   %v\nsource:    %s\ntags:      %s\n", r.Priority, r.Enabled, r.Source, strings.Join(r.Tags, ", "))
		fmt.Printf("condition: %s\noutput:    %s\nfile:      %s:%d\n", r.Condition, r.Output, r.File, r.Line)
		return nil
	}
	return fmt.Errorf("no rule named %q (lanner rules list names them)", c.Rule)
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
