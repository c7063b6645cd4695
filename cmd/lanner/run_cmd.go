package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/config"
	"github.com/lannersec/lanner/internal/safefile"
	"github.com/lannersec/lanner/pipeline"
)

type runCmd struct {
	config.RunFlags
}

// exitAlertsUndelivered is the exit status of a run that ended normally
// but whose sinks did not deliver every alert.
const exitAlertsUndelivered = 3

// Run checks the flags (every problem is reported, each with its line in
// the configuration file when it comes from there), then watches until
// SIGINT, SIGTERM or the duration.
func (c *runCmd) Run(cf *config.File) error {
	// Until the signal handlers are in place, a SIGHUP must not stop the
	// run either.
	pipeline.HoldHUP()
	if errs := c.Check(); len(errs) > 0 {
		config.PrintErrors(os.Stderr, cf.Locate(errs))
		return exitCode(1)
	}
	if c.CPUProfile != "" {
		f, err := safefile.Create(c.CPUProfile, 0o600)
		if err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rules, loader, loaded, err := c.LoadRules(os.Stderr)
	if err != nil {
		return err
	}
	skipped := compiled.Skipped
	if loaded != nil {
		skipped = loaded.Skipped
	}
	if err := reportSkipped(skipped, c.Strict); err != nil {
		return err
	}
	set, err := c.Set(rules)
	if err != nil {
		return err
	}
	log := c.Logger(os.Stderr)
	if loader != nil {
		log.Info("rules files loaded", "files", len(loaded.Files), "interpreted", loaded.Interpreted)
	}
	out, err := c.Open(log)
	if err != nil {
		return err
	}
	err = pipeline.Run(pipeline.Config{
		RulesLoader: loader, RulesPaths: c.RulesFile, Loaded: loaded, Select: c.Select.Set, WatchRules: c.WatchRules,
		Collector: c.Collector, RingBufferBytes: c.BufferBytes(), Rules: set, Types: set.Types(), Output: out,
		Reopen: func() int { return c.Reopen(log) }, Log: log,
		Narrow: true, AuditExclusions: c.AuditExclusions, StateDir: c.StateDir,
		Duration: c.Duration, ReadyFile: c.ReadyFile, StatsEvery: c.StatsInterval,
		MetricsAddr: c.MetricsAddr, Rate: c.Rate, MaxBurst: c.MaxBurst,
		Containers: c.Resolver(), MetadataWait: c.Wait(), HostRoot: c.HostRoot, Hostname: c.Hostname,
		SelfCheckInterval: c.SelfCheckInterval, SelfCheckTimeout: c.SelfCheckTimeout,
	})
	if errors.Is(err, pipeline.ErrAlertsUndelivered) {
		return exitCode(exitAlertsUndelivered)
	}
	return err
}
