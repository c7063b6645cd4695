package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"github.com/lannersec/lanner/config"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/internal/safefile"
	"github.com/lannersec/lanner/pipeline"
	"github.com/lannersec/lanner/ruleset"
)

type recordCmd struct {
	Out       string        `help:"File to write the enriched events to (JSON lines, each process written once; created 0600)." required:"" type:"path"`
	Env       bool          `help:"Record processes' environment variables too (they often hold secrets)."`
	Raw       string        `help:"Also write the collector's raw records to this file (each prefixed by its length as a little-endian uint32), e.g. as input for the pipeline benchmark." type:"path"`
	Collector string        `help:"Collector: auto picks the first that works here." enum:"auto,ebpf,audit,fanotify" default:"auto"`
	Duration  time.Duration `help:"Stop after this long (0: run until SIGINT or SIGTERM)."`
	ReadyFile string        `name:"ready-file" help:"Create this file once every probe is attached." type:"path"`
	config.Containers
}

func (c *recordCmd) Run() error {
	pipeline.HoldHUP() // see pipeline.Run
	f, err := safefile.Create(c.Out, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	w := eventlog.NewWriter(f)
	w.Env = c.Env
	var werr error
	var tee func([]byte)
	if c.Raw != "" {
		rf, err := safefile.Create(c.Raw, 0o600)
		if err != nil {
			return err
		}
		defer rf.Close()
		rw := bufio.NewWriterSize(rf, 1<<20)
		defer rw.Flush()
		var n [4]byte
		tee = func(raw []byte) {
			binary.LittleEndian.PutUint32(n[:], uint32(len(raw)))
			rw.Write(n[:])
			rw.Write(raw)
		}
	}
	var all event.TypeSet
	for t := event.TypeUnknown + 1; t < event.NumTypes; t++ {
		all.Add(t)
	}
	err = pipeline.Run(pipeline.Config{
		Collector: c.Collector, Rules: ruleset.New(nil, ruleset.Selection{}, ruleset.MatchFirst), Types: all, Tee: tee,
		Record: func(ev *event.Event) {
			if werr == nil {
				werr = w.Write(ev)
			}
		},
		Duration: c.Duration, ReadyFile: c.ReadyFile,
		Containers: c.Resolver(), MetadataWait: c.Wait(), HostRoot: c.HostRoot,
		Log: config.NewLogger(os.Stderr, "info", "text"),
	})
	if ferr := w.Flush(); werr == nil {
		werr = ferr
	}
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", c.Out, werr)
	}
	return nil
}
