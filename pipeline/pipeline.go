package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/safefile"
	"github.com/lannersec/lanner/metrics"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/rulefiles"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/selfcheck"
	"github.com/lannersec/lanner/state"
)

// sinkDrainTimeout bounds how long a stopping run waits for the sinks to
// deliver the alerts they have queued; a sink that hangs holds the exit up
// no longer.
const sinkDrainTimeout = 5 * time.Second

// ErrAlertsUndelivered is returned by Run when the run ended normally but
// its sinks did not deliver every alert (Run has said which, and why).
var ErrAlertsUndelivered = errors.New("alerts not delivered")

// Config is what Run runs.
type Config struct {
	// Collector is the collector's name, or auto for the first that
	// works (Names).
	Collector string
	Rules     *ruleset.Set
	// Types are the event types asked of the collector.
	Types  event.TypeSet
	Output *output.Output
	// Record, when set, gets every event after the rules.
	Record func(*event.Event)
	// Tee gets the raw collector records, when the collector has them.
	Tee        func([]byte)
	Duration   time.Duration
	ReadyFile  string
	StatsEvery time.Duration
	// MetricsAddr, when set, serves /metrics there.
	MetricsAddr string
	Rate        float64
	MaxBurst    float64
	// Containers, when set, looks up container metadata; it is closed
	// when the pipeline stops.
	Containers   *containers.Resolver
	MetadataWait time.Duration
	// Narrow lets the audit collector leave out calls no rule can match;
	// with AuditExclusions, also calls of the types it audits.
	Narrow, AuditExclusions bool
	// Reopen is called on SIGHUP to reopen the alert files, and says how
	// many it reopened (nil: SIGHUP does nothing to the outputs).
	Reopen func() int
	// StateDir is the audit collector's state directory ("": its default).
	StateDir string
	// RulesLoader, when set, reloads the rules files RulesPaths on SIGHUP
	// and, with WatchRules, when they change; Loaded is what it loaded at
	// start, and Select selects the rules that run among those it loads.
	RulesLoader *rulefiles.Loader
	RulesPaths  []string
	Loaded      *rulefiles.Result
	Select      func([]*ruleset.Rule) (*ruleset.Set, error)
	WatchRules  bool
	// RingBufferBytes is the eBPF ring buffer's size (0: the default).
	RingBufferBytes int
	// SelfCheckInterval, when positive, runs the self-check that often,
	// with SelfCheckTimeout as its bound (see selfcheck.Options).
	SelfCheckInterval, SelfCheckTimeout time.Duration
	// HostRoot is where the host's file system is mounted (user and
	// group names of host processes are read below it); "" means "/".
	HostRoot string
	// Hostname is written in alerts; "" means os.Hostname().
	Hostname string
	// Log gets the run's records (see the README for their keys); nil
	// discards them.
	Log *slog.Logger
}

// reload is what SIGHUP does to the outputs: reopen the alert files. The
// rules files are reloaded on the same signal by the rules reloader.
func (pc *Config) reload(log *slog.Logger) func() {
	if pc.Reopen == nil {
		return nil
	}
	return func() {
		sdNotify(reloadingState())
		n := pc.Reopen()
		log.Info("SIGHUP: alert files reopened", "files", n)
		sdNotify("READY=1")
	}
}

// Run starts a collector and the engine and runs until SIGINT or SIGTERM,
// the duration, or a collector failure.
func Run(pc Config) error {
	log := pc.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx := watchSignals(pc.reload(log))
	var running atomic.Pointer[engine.Engine] // once it exists
	if pc.MetricsAddr != "" {
		// Listen before any collector starts, so a bad address fails
		// early; until the engine exists the counters are zero.
		ms, err := metrics.Serve(pc.MetricsAddr, func() engine.Stats {
			if e := running.Load(); e != nil {
				return e.Stats()
			}
			return engine.Stats{}
		})
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		defer ms.Close()
	}
	tables := state.New(state.Options{HostRoot: pc.HostRoot})
	if err := tables.Seed(); err != nil {
		log.Warn("process table seed incomplete", "err", err)
	}
	// The collector reports about itself from its start; the engine,
	// which turns that into alerts, exists only after it.
	relay := &engine.NoticeRelay{}
	req := Request{Types: pc.Types, Tee: pc.Tee, AuditExclusions: pc.AuditExclusions, Log: log, Notify: relay.Notify,
		StateDir: pc.StateDir, RingBufferBytes: pc.RingBufferBytes}
	if pc.Narrow {
		req.Rules = pc.Rules
	}
	col, err := Open(pc.Collector, req, log)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		// Stopped while the collector started.
		return col.Close()
	}
	hostname := pc.Hostname
	if hostname == "" {
		hostname, _ = os.Hostname()
	}
	caps := col.Capabilities()
	var checker *selfcheck.Checker
	if pc.SelfCheckInterval > 0 {
		checker, err = selfcheck.New(selfcheck.Options{Collector: col.Name(), Interval: pc.SelfCheckInterval,
			Timeout: pc.SelfCheckTimeout, ExpectOpen: caps.Watched.Has(event.TypeOpenat), Log: log})
		if err != nil {
			col.Close()
			return err
		}
	}
	eng := engine.New(engine.Config{
		Collector: col, Tables: tables, Rules: pc.Rules, Output: pc.Output, Hostname: hostname,
		Record: pc.Record, StatsEvery: pc.StatsEvery, Rate: pc.Rate, MaxBurst: pc.MaxBurst,
		Containers: pc.Containers, MetadataWait: pc.MetadataWait, SelfCheck: checker, Log: log,
	})
	relay.Attach(eng)
	if pc.Containers != nil {
		defer pc.Containers.Close()
	}
	running.Store(eng)
	if pc.Duration > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, pc.Duration)
		defer cancelTimeout()
	}
	attrs := []any{"collector", col.Name()}
	if caps.Mode != "" {
		attrs = append(attrs, "mode", caps.Mode)
	}
	if n := caps.RingBufferBytes; n > 0 {
		attrs = append(attrs, "ring_buffer_bytes", n)
	}
	log.Info("collector started", append(attrs, "rules", len(pc.Rules.Rules()),
		"watching", strings.Join(TypeNames(caps.Watched), ","))...)
	if len(pc.Rules.Rules()) > 0 {
		LogCoverage(log, col.Name(), CoverageReport(pc.Rules, caps), LimitsReport(pc.Rules, caps))
	}
	if pc.RulesLoader != nil {
		rl := &rulesReloader{loader: pc.RulesLoader, paths: pc.RulesPaths, sel: pc.Select, log: log,
			narrow: pc.Narrow, auditExclusions: pc.AuditExclusions}
		if pc.Loaded != nil {
			rl.files, rl.dirs = pc.Loaded.Files, pc.Loaded.Dirs
		}
		if checker != nil && caps.Watched.Has(event.TypeOpenat) {
			// The self-check expects its opens whatever the rules.
			rl.keep.Add(event.TypeOpenat)
		}
		stopReloads := rl.start(eng, col, pc.WatchRules)
		defer stopReloads()
	}
	if pc.ReadyFile != "" {
		if err := safefile.WriteFile(pc.ReadyFile, []byte(col.Name()+"\n"), 0o644); err != nil {
			col.Close()
			return fmt.Errorf("--ready-file: %w", err)
		}
	}
	if err := sdNotify("READY=1"); err != nil {
		log.Warn("service manager not notified", "err", err)
	}
	runErr := eng.Run(ctx)
	sdNotify("STOPPING=1")
	// No alert is sent any more: the sinks deliver what they have queued
	// while the collector detaches, which takes a while.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		if pc.Output != nil {
			pc.Output.Close(sinkDrainTimeout)
		}
	}()
	col.Close()
	<-drained
	st := eng.Stats()
	st.Log(log, "exit")
	if runErr == nil && reportUndelivered(log, st.Sinks) {
		return ErrAlertsUndelivered
	}
	return runErr
}

// reportUndelivered says, when some sink did not deliver every alert it
// was given, how many and why, and reports whether it did.
func reportUndelivered(log *slog.Logger, sinks []output.SinkStats) bool {
	var parts []string
	var total uint64
	for _, k := range sinks {
		if n := k.Undelivered(); n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%s %d (failed %d, dropped %d, lost at shutdown %d)", k.Name, n, k.Failed, k.Dropped, k.Lost))
		}
	}
	if total == 0 {
		return false
	}
	log.Error("alerts not delivered", "undelivered", total, "sinks", strings.Join(parts, ", "))
	return true
}
