package main

import (
	"fmt"
	"os"

	"github.com/lannersec/lanner/config"
)

type configCmd struct {
	Check configCheckCmd `cmd:"" help:"Check a configuration file: every value run would refuse, each with its line."`
}

type configCheckCmd struct {
	File string `arg:"" help:"Configuration file (YAML: run's flags by name)." type:"path"`
}

func (c *configCheckCmd) Run() error {
	cf, errs := config.Check(c.File, nil)
	if cf != nil {
		for _, w := range cf.Warnings {
			fmt.Fprintln(os.Stderr, w)
		}
	}
	errs = append(errs, cf.CheckRun()...)
	if len(errs) > 0 {
		config.PrintErrors(os.Stderr, errs)
		return exitCode(1)
	}
	fmt.Printf("%s: OK\n", c.File)
	return nil
}
