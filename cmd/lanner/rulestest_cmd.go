package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/rulestest"
)

type rulesTestCmd struct {
	Files   []string `arg:"" name:"file" help:"Test case files, or directories of *.yaml case files." type:"path"`
	Rules   []string `help:"Rules files (in load order) to evaluate with the interpreter too; without it only the compiled rules run." type:"path"`
	Verbose bool     `short:"v" help:"Also print passing cases and the rules each fired."`
}

func (c *rulesTestCmd) Run() error {
	cases, err := rulestest.Load(c.Files...)
	if err != nil {
		return err
	}
	engines := []struct {
		name  string
		rules []*ruleset.Rule
	}{{"compiled", compiled.Rules}}
	if len(c.Rules) > 0 {
		rs, err := lang.LoadPaths(c.Rules...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return exitCode(1)
		}
		engines = append(engines, struct {
			name  string
			rules []*ruleset.Rule
		}{"interpreter", interp.Rules(rs)})
	}
	passed, failed := 0, 0
	for _, tc := range cases {
		for _, e := range engines {
			res := rulestest.Run(tc, e.rules)
			if len(res.Failures) == 0 {
				passed++
				if c.Verbose {
					fmt.Printf("PASS %s: %s (%s) fired [%s]\n", tc.File, tc.Name, e.name, strings.Join(res.Fired, ", "))
				}
				continue
			}
			failed++
			fmt.Printf("FAIL %s: %s (%s): %s; fired [%s]\n", tc.File, tc.Name, e.name, strings.Join(res.Failures, "; "), strings.Join(res.Fired, ", "))
		}
	}
	fmt.Printf("rules test: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitCode(1)
	}
	return nil
}
