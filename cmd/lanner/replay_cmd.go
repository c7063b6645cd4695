package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/config"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
)

type replayCmd struct {
	File  string   `arg:"" help:"Events recorded by lanner record (either format, plain or gzip-compressed; - for standard input)."`
	Rules []string `help:"Evaluate these rules files with the interpreter instead of the compiled rules (repeatable, in load order)." type:"path"`
	config.Select
	config.Outputs
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
	set, err := c.Set(rules)
	if err != nil {
		return err
	}
	in := os.Stdin
	if c.File != "-" {
		f, err := os.Open(c.File)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	out, err := c.Open(config.NewLogger(os.Stderr, "info", "text"))
	if err != nil {
		return err
	}
	hostname, _ := os.Hostname()
	eng := engine.New(engine.Config{Rules: set, Output: out, Hostname: hostname})
	rd := eventlog.NewReader(in)
	bad := 0
	var readErr error
	for {
		ev, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var lineErr *eventlog.LineError
		if errors.As(err, &lineErr) {
			bad++
			fmt.Fprintf(os.Stderr, "%s: %v\n", c.File, err)
			continue
		}
		if err != nil {
			// The input itself failed (a broken gzip stream): nothing
			// more can be read.
			readErr = err
			continue
		}
		eng.HandleEvent(ev)
	}
	out.Close(10 * time.Second)
	s := eng.Stats()
	fmt.Fprintf(os.Stderr, "replayed %d events, %d alerts, %d malformed lines\n", s.Events, s.Alerts, bad)
	switch {
	case readErr != nil:
		return fmt.Errorf("reading %s: %w", c.File, readErr)
	case s.Events == 0:
		return fmt.Errorf("%s: no event could be read", c.File)
	}
	return nil
}
