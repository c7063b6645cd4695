// Package engine runs the event pipeline: records from a collector update
// the process table or, enriched with their process, go through the rules;
// matches become alerts for the outputs. One goroutine does all of it, with
// no allocation per event; the collector's kernel buffer is the bounded
// queue in front of it (its overflows are counted as kernel drops) and each
// output sink has its own bounded queue behind it.
//
// Besides rule alerts the engine raises alerts of Lanner's own (source
// "internal", see Notify): collectors' notices about themselves and the
// verdicts of the self-check (package selfcheck), whose probe records it
// takes out before the rules.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/selfcheck"

	"github.com/lannersec/lanner/state"
	"golang.org/x/time/rate"
)

// Config wires an Engine.
type Config struct {
	Collector collectors.Collector
	Tables    *state.Tables
	Rules     *ruleset.Set
	Output    *output.Output
	Hostname  string
	// Record, when set, receives every enriched syscall event (lanner record).
	Record func(ev *event.Event)
	// StatsEvery, when positive, logs a stats record (Stats.Log) to Log
	// that often.
	StatsEvery time.Duration
	// Log gets the engine's records; nil discards them.
	Log *slog.Logger
	// Rate, when positive, limits each rule to Rate alerts per second of
	// event time on average with bursts of MaxBurst, whole alerts (a token
	// bucket per rule, like Falco's outputs.rate and outputs.max_burst);
	// alerts over the limit are counted as suppressed.
	Rate     float64
	MaxBurst float64
	// Containers, when set, looks up a container's metadata (name, image,
	// privileged, mounts, Kubernetes pod) when its processes first show
	// up. The first events of a container wait for the answer, at most
	// MetadataWait (default DefaultMetadataWait) once per container;
	// waits that run out are counted and the events go on without the
	// metadata, which later events then get.
	Containers   *containers.Resolver
	MetadataWait time.Duration
	// SelfCheck, when set, is run while the engine runs: the records of
	// its probe processes go to it instead of the rules, and its verdicts
	// become own alerts (see Notify).
	SelfCheck *selfcheck.Checker
}

// DefaultMetadataWait bounds how long the events of a new container wait
// for its runtime metadata.
const DefaultMetadataWait = 250 * time.Millisecond

// maxMissedWaits: after this many waits in a row ran out, a runtime is
// taken to be stuck and new containers do not wait at all until an answer
// comes in again.
const maxMissedWaits = 3

// Engine is a running pipeline.
type Engine struct {
	cfg    Config
	rec    collectors.Record
	build  output.Builder // builds every rule alert, which Send formats before it returns
	events [event.NumTypes]atomic.Uint64
	num    uint64 // last event number given
	// rules is the rule set in force, swapped whole by SetRules; the
	// engine loop reads it once per event into cur.
	rules    atomic.Pointer[ruleState]
	cur      *ruleState
	swapMu   sync.Mutex // serializes SetRules
	reloads  atomic.Uint64
	reloadKO atomic.Uint64
	suppr    atomic.Uint64
	evalNS   atomic.Int64 // sampled rule evaluation time, scaled
	records  atomic.Uint64
	alerts   atomic.Uint64
	noProc   atomic.Uint64
	fireFunc func(*ruleset.Rule, *event.Event)

	metaResults  <-chan containers.Result
	metaTimeouts atomic.Uint64
	missedWaits  int // waits in a row that ran out
	ctrStarts    atomic.Uint64
	startEv      event.Event // scratch for container start events

	// probePID is the self-check probe process running, 0 when none.
	probePID int64
	own      ownAlerts

	// running is set while Run reads the collector; failure holds the
	// error that ended Run, when the collector failed.
	running atomic.Bool
	failure atomic.Pointer[string]
}

// New returns an engine for cfg.
func New(cfg Config) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg}
	if cfg.MaxBurst <= 0 {
		e.cfg.MaxBurst = 1
	}
	e.rules.Store(e.newRuleState(cfg.Rules, nil))
	if e.cfg.MetadataWait <= 0 {
		e.cfg.MetadataWait = DefaultMetadataWait
	}
	if cfg.Containers != nil {
		e.metaResults = cfg.Containers.Results()
	}
	e.fireFunc = e.fire
	if cfg.SelfCheck != nil {
		cfg.SelfCheck.SetReport(e.selfCheckVerdict)
	}
	return e
}

// Run processes records until ctx is done (then it closes the collector)
// or the collector fails. It returns nil after a clean stop.
func (e *Engine) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { e.cfg.Collector.Close() })
	defer stop()
	defer e.own.stop()
	if sc := e.cfg.SelfCheck; sc != nil {
		checkCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc.Run(checkCtx)
		}()
		defer func() {
			cancel()
			<-done
		}()
	}
	if e.cfg.StatsEvery > 0 {
		t := time.NewTicker(e.cfg.StatsEvery)
		defer t.Stop()
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					e.Stats().Log(e.cfg.Log, "stats")
				}
			}
		}()
	}
	e.running.Store(true)
	defer e.running.Store(false)
	for {
		err := e.cfg.Collector.Read(&e.rec)
		if err != nil {
			if errors.Is(err, os.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			err = fmt.Errorf("%s collector: %w", e.cfg.Collector.Name(), err)
			msg := err.Error()
			e.failure.Store(&msg)
			return err
		}
		e.Handle(&e.rec)
	}
}

// Handle processes one record. It is exported for replays and tests.
func (e *Engine) Handle(r *collectors.Record) {
	e.records.Add(1)
	if len(e.metaResults) > 0 {
		e.applyMetadata()
	}
	if e.probePID != 0 && r.PID == e.probePID {
		if e.probeRecord(r) {
			return
		}
	} else if r.Kind == collectors.KindExec && e.cfg.SelfCheck != nil && e.cfg.SelfCheck.IsProbeExec(r.Exec.PPID, r.Exec.Args) {
		e.probePID = r.PID
		return
	}
	switch r.Kind {
	case collectors.KindFork, collectors.KindExit, collectors.KindCred:
		e.cfg.Tables.Apply(r)
		return
	case collectors.KindExec:
		e.cfg.Tables.Apply(r)
		if p := e.cfg.Tables.Process(r.PID); p != nil && p.Container != nil {
			e.containerSeen(p.Container)
			if p.VPID == 1 && p.Container.Lookup&event.LookupStartSent == 0 {
				e.containerStarted(p, r.Time)
			}
		}
		if r.Event.Type == event.TypeUnknown {
			return
		}
	case collectors.KindSyscall:
		if r.Event.Type.IsCred() {
			e.cfg.Tables.SetCred(r.PID, &r.Cred)
		}
	default:
		return
	}
	ev := &r.Event
	ev.Proc = e.cfg.Tables.Process(r.PID)
	if ev.Type.IsCred() {
		e.cfg.Tables.NameArgs(ev, ev.Proc)
	}
	if ev.Proc == nil {
		e.noProc.Add(1)
	} else if c := ev.Proc.Container; c != nil && c.Lookup&event.LookupSettled == 0 {
		e.containerSeen(c)
	}
	e.HandleEvent(ev)
}

// probeRecord hands a record of the self-check's probe process to the
// checker. It returns false for the records the process table still
// needs: the probe's exit, which ends its filtering.
func (e *Engine) probeRecord(r *collectors.Record) bool {
	switch r.Kind {
	case collectors.KindSyscall:
		e.cfg.SelfCheck.ProbeEvent(&r.Event)
	case collectors.KindExit:
		if !r.Exit.Thread {
			e.probePID = 0
			return false
		}
	case collectors.KindExec:
		if !e.cfg.SelfCheck.IsProbeExec(r.Exec.PPID, r.Exec.Args) {
			// The probe ran something else: not a probe any more.
			e.probePID = 0
			return false
		}
	}
	return true
}

// containerSeen makes sure the runtimes are asked about c, and waits for
// their answer (once per container, bounded by MetadataWait).
func (e *Engine) containerSeen(c *event.Container) {
	if e.cfg.Containers == nil || c.Lookup&event.LookupSettled != 0 {
		return
	}
	if c.MetadataKnown {
		c.Lookup |= event.LookupSettled
		return
	}
	if c.Lookup&event.LookupRequested == 0 {
		c.Lookup |= event.LookupRequested
		if !e.cfg.Containers.Request(c.FullID, c.Runtime) {
			c.Lookup |= event.LookupSettled
			return
		}
	}
	if e.missedWaits >= maxMissedWaits {
		c.Lookup |= event.LookupSettled
		return
	}
	timer := time.NewTimer(e.cfg.MetadataWait)
	defer timer.Stop()
	for c.Lookup&event.LookupSettled == 0 {
		select {
		case res := <-e.metaResults:
			e.applyResult(res)
		case <-timer.C:
			e.metaTimeouts.Add(1)
			e.missedWaits++
			c.Lookup |= event.LookupSettled
		}
	}
}

// applyMetadata applies the lookups that have finished.
func (e *Engine) applyMetadata() {
	for len(e.metaResults) > 0 {
		e.applyResult(<-e.metaResults)
	}
}

func (e *Engine) applyResult(res containers.Result) {
	e.missedWaits = 0
	c := e.cfg.Tables.Container(res.ID)
	if c == nil {
		return // evicted meanwhile
	}
	c.Lookup |= event.LookupSettled
	if res.Err != nil {
		return
	}
	e.cfg.Tables.SetContainerMetadata(c.FullID, res.Info.Fill)
}

// containerStarted emits the container start event (evt.type=container)
// for the container of p, whose init (pid 1 in the container) has just
// executed its program.
func (e *Engine) containerStarted(p *event.Process, now int64) {
	c := p.Container
	c.Lookup |= event.LookupStartSent
	if c.StartTS == 0 {
		c.StartTS = p.StartTime
		if c.StartTS == 0 {
			c.StartTS = now
		}
	}
	e.ctrStarts.Add(1)
	e.startEv = event.Event{Type: event.TypeContainer, Time: now, Proc: p}
	e.HandleEvent(&e.startEv)
}

// HandleEvent numbers an enriched event (evt.num counts from 1) and runs
// it through the rules.
func (e *Engine) HandleEvent(ev *event.Event) {
	e.num++
	ev.Num = e.num
	if ev.Hostname == "" {
		ev.Hostname = e.cfg.Hostname
	}
	if ev.Type < event.NumTypes {
		e.events[ev.Type].Add(1)
	}
	if e.cfg.Record != nil {
		e.cfg.Record(ev)
	}
	// One load per event: a swap by SetRules takes effect between two
	// events, never within one.
	e.cur = e.rules.Load()
	if e.cur.set == nil {
		return
	}
	if e.num%evalSample != 0 {
		e.cur.set.Eval(ev, e.fireFunc)
		return
	}
	start := time.Now()
	e.cur.set.Eval(ev, e.fireFunc)
	e.evalNS.Add(int64(time.Since(start)) * evalSample)
}

// ruleState is a rule set with the per-rule counters and rate limiters of
// its rules. It is not changed once published, except for the counters
// (atomics) and the limiters (the engine loop's alone).
type ruleState struct {
	set      *ruleset.Set
	hits     map[*ruleset.Rule]*atomic.Uint64
	limiters map[*ruleset.Rule]*rate.Limiter
}

// newRuleState indexes set's rules; a rule named as one of old's keeps
// that rule's alert counter and rate-limit bucket.
func (e *Engine) newRuleState(set *ruleset.Set, old *ruleState) *ruleState {
	st := &ruleState{set: set, hits: map[*ruleset.Rule]*atomic.Uint64{}, limiters: map[*ruleset.Rule]*rate.Limiter{}}
	if set == nil {
		return st
	}
	oldHits, oldLimiters := map[string]*atomic.Uint64{}, map[string]*rate.Limiter{}
	if old != nil {
		for r, c := range old.hits {
			oldHits[r.Name] = c
		}
		for r, l := range old.limiters {
			oldLimiters[r.Name] = l
		}
	}
	for _, r := range set.Rules() {
		if c := oldHits[r.Name]; c != nil {
			st.hits[r] = c
		} else {
			st.hits[r] = new(atomic.Uint64)
		}
		if l := oldLimiters[r.Name]; l != nil {
			st.limiters[r] = l
		} else {
			st.limiters[r] = rate.NewLimiter(rate.Limit(e.cfg.Rate), burst(e.cfg.MaxBurst))
		}
	}
	return st
}

// SetRules replaces the rules in force: the event the engine loop is
// handling finishes with the old set, the next one sees the new set. A
// rule keeps its alert count and rate limit across the swap when the new
// set has a rule of the same name. Safe to call from any goroutine.
func (e *Engine) SetRules(set *ruleset.Set) {
	e.swapMu.Lock()
	defer e.swapMu.Unlock()
	e.rules.Store(e.newRuleState(set, e.rules.Load()))
	e.reloads.Add(1)
}

// Rules returns the rule set in force.
func (e *Engine) Rules() *ruleset.Set { return e.rules.Load().set }

// ReloadFailed counts a rules reload that was refused (the old rules
// stay).
func (e *Engine) ReloadFailed() { e.reloadKO.Add(1) }

// evalSample: rule evaluation is timed on one event in evalSample, and the
// time scaled up, so that timing costs nothing noticeable.
const evalSample = 64

func (e *Engine) fire(r *ruleset.Rule, ev *event.Event) {
	if e.cfg.Rate > 0 && !e.allow(r, ev.Time) {
		e.suppr.Add(1)
		return
	}
	e.alerts.Add(1)
	if c := e.cur.hits[r]; c != nil {
		c.Add(1)
	}
	if e.cfg.Output == nil {
		return
	}
	e.cfg.Output.Send(e.build.Build(r, ev, e.cfg.Hostname))
}

// allow takes a token from r's bucket, refilled at Rate per second of
// event time (an event older than the last one refills nothing, and the
// next one refills from its time: a few microseconds between CPUs).
func (e *Engine) allow(r *ruleset.Rule, now int64) bool {
	l := e.cur.limiters[r]
	if l == nil {
		return true
	}
	return l.AllowN(time.Unix(0, now), 1)
}

// burst is a bucket's size in whole alerts, at least one.
func burst(maxBurst float64) int {
	if maxBurst < 1 {
		return 1
	}
	if maxBurst > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(maxBurst)
}

// Stats are the pipeline's counters.
type Stats struct {
	Collector   string
	Records     uint64
	Events      uint64
	ByType      map[string]uint64
	Alerts      uint64
	Suppressed  uint64 // alerts over a rule's rate limit
	NoProcess   uint64 // events whose process was unknown
	KernelDrops uint64
	// KernelDropsByType is the part of KernelDrops the collector can
	// attribute, by event type (collectors.Stats).
	KernelDropsByType map[string]uint64
	Malformed         uint64
	// Unresolved are relative paths the collector could not make
	// absolute.
	Unresolved uint64
	Sinks      []output.SinkStats
	Tables     state.Stats
	// Metadata counts runtime lookups; MetadataTimeouts the containers
	// whose events stopped waiting for theirs; ContainerStarts the
	// container start events.
	Metadata         containers.Stats
	MetadataTimeouts uint64
	ContainerStarts  uint64
	// ByRule counts alerts per rule (rules that fired at least once).
	ByRule []RuleCount
	// EvalTime estimates the time spent evaluating rules (sampled).
	EvalTime time.Duration
	// RulesReloads counts rule sets put in force after the first;
	// RulesReloadFailures the reloads refused (bad rules files).
	RulesReloads, RulesReloadFailures uint64
	// Own counts Lanner's own alerts (also in ByRule) and the
	// self-check's state.
	Own OwnStats
	// Hostname is the node's name written in alerts.
	Hostname string
	// Running is true while the engine reads the collector (Run has
	// started and not returned); Failure is the collector's error that
	// ended Run, if one did.
	Running bool
	Failure string
}

// RuleCount is the number of alerts of one rule.
type RuleCount struct {
	Rule     string
	Priority string
	Count    uint64
	// Level is Priority as a number (Emergency 0 ... Debug 7); Source
	// and Tags are the rule's (OwnSource and none for own alerts).
	Level  ruleset.Priority
	Source string
	Tags   []string
}

// Stats returns the current counters. It is safe to call concurrently with Run.
func (e *Engine) Stats() Stats {
	s := Stats{Records: e.records.Load(), Alerts: e.alerts.Load(), Suppressed: e.suppr.Load(), NoProcess: e.noProc.Load(), ByType: map[string]uint64{}}
	for t := range e.events {
		if n := e.events[t].Load(); n > 0 {
			s.ByType[event.Type(t).String()] = n
			s.Events += n
		}
	}
	for r, c := range e.rules.Load().hits {
		if n := c.Load(); n > 0 {
			s.ByRule = append(s.ByRule, RuleCount{Rule: r.Name, Priority: r.Priority.String(), Count: n,
				Level: r.Priority, Source: r.Source, Tags: r.Tags})
		}
	}
	s.Own = e.ownStats()
	for name, n := range s.Own.Alerts {
		p := ownPriority(name)
		s.ByRule = append(s.ByRule, RuleCount{Rule: name, Priority: p.String(), Count: n, Level: p, Source: OwnSource})
	}
	s.EvalTime = time.Duration(e.evalNS.Load())
	s.RulesReloads, s.RulesReloadFailures = e.reloads.Load(), e.reloadKO.Load()
	if c := e.cfg.Collector; c != nil {
		cs := c.Stats()
		s.Collector = c.Name()
		s.KernelDrops, s.Malformed, s.Unresolved = cs.KernelDrops, cs.Malformed, cs.Unresolved
		s.KernelDropsByType = cs.KernelDropsByType
	}
	if e.cfg.Output != nil {
		s.Sinks = e.cfg.Output.Stats()
	}
	if e.cfg.Tables != nil {
		s.Tables = e.cfg.Tables.Stats()
	}
	if e.cfg.Containers != nil {
		s.Metadata = e.cfg.Containers.Stats()
	}
	s.MetadataTimeouts, s.ContainerStarts = e.metaTimeouts.Load(), e.ctrStarts.Load()
	s.Hostname, s.Running = e.cfg.Hostname, e.running.Load()
	if f := e.failure.Load(); f != nil {
		s.Failure = *f
	}
	return s
}

// Log writes s as records of log: one with message msg ("stats" for the
// periodic ones) and the totals of s (alert_failures, alert_drops and
// alerts_lost summed over the sinks; kernel_drops_by_type, when there are
// such drops, as "openat:120,connect:3"), then, when there are several
// sinks or one did not deliver everything, one "sink stats" record per
// sink with keys sink, sent, failed, dropped and lost.
func (s Stats) Log(log *slog.Logger, msg string) {
	var failed, dropped, lost uint64
	for _, k := range s.Sinks {
		failed += k.Failed
		dropped += k.Dropped
		lost += k.Lost
	}
	attrs := []slog.Attr{slog.String("collector", s.Collector), slog.Uint64("records", s.Records),
		slog.Uint64("events", s.Events), slog.Uint64("alerts", s.Alerts), slog.Uint64("suppressed", s.Suppressed),
		slog.Uint64("kernel_drops", s.KernelDrops), slog.Uint64("malformed", s.Malformed), slog.Uint64("alert_drops", dropped),
		slog.Uint64("unknown_process", s.NoProcess), slog.Int("processes", s.Tables.Processes),
		slog.Int("containers", s.Tables.Containers), slog.Uint64("metadata_found", s.Metadata.Found),
		slog.Uint64("metadata_not_found", s.Metadata.NotFound), slog.Uint64("metadata_failures", s.Metadata.Failed+s.Metadata.QueueFull),
		slog.Uint64("metadata_timeouts", s.MetadataTimeouts), slog.Uint64("unresolved_paths", s.Unresolved),
		slog.Uint64("alert_failures", failed), slog.Uint64("alerts_lost", lost)}
	if len(s.KernelDropsByType) > 0 {
		var b strings.Builder
		for i, t := range slices.Sorted(maps.Keys(s.KernelDropsByType)) {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s:%d", t, s.KernelDropsByType[t])
		}
		attrs = append(attrs, slog.String("kernel_drops_by_type", b.String()))
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, msg, attrs...)
	if len(s.Sinks) > 1 || failed+dropped+lost > 0 {
		for _, k := range s.Sinks {
			log.LogAttrs(context.Background(), slog.LevelInfo, "sink stats", slog.String("sink", k.Name),
				slog.Uint64("sent", k.Sent), slog.Uint64("failed", k.Failed), slog.Uint64("dropped", k.Dropped), slog.Uint64("lost", k.Lost))
		}
	}
}
