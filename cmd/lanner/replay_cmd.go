package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
)

type replayCmd struct {
	File  string   `arg:"" help:"Events recorded by lanner record (JSON lines)." type:"path"`
	Rules []string `help:"Evaluate these rules files with the interpreter instead of the compiled rules (repeatable, in load order)." type:"path"`
	selectFlags
	outputFlags
}

func (c *replayCmd) Run() error {
	rules := compiled.Rules
	if len(c.Rules) > 0 {
		rs, err := lang.LoadPaths(c.Rules...)
		if err != nil {
			return err
		}
		rules = interp.Rules(rs)
	}
	set, err := c.set(rules)
	if err != nil {
		return err
	}
	f, err := os.Open(c.File)
	if err != nil {
		return err
	}
	defer f.Close()
	out, err := c.open()
	if err != nil {
		return err
	}
	hostname, _ := os.Hostname()
	eng := engine.New(engine.Config{Rules: set, Output: out, Hostname: hostname})
	rd := eventlog.NewReader(f)
	bad := 0
	for {
		ev, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad++
			fmt.Fprintf(os.Stderr, "%s: %v\n", c.File, err)
			continue
		}
		eng.HandleEvent(ev)
	}
	out.Close(10 * time.Second)
	s := eng.Stats()
	fmt.Fprintf(os.Stderr, "replayed %d events, %d alerts, %d malformed lines\n", s.Events, s.Alerts, bad)
	return nil
}
