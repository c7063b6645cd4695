package pipeline

import (
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/audit"
	"github.com/lannersec/lanner/collectors/ebpf"
	"github.com/lannersec/lanner/collectors/fanotify"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// Names are the collectors in the order auto tries them.
var Names = []string{"ebpf", "audit", "fanotify"}

// Capabilities are what the named collector can see when it is not
// started (a started collector says it: collectors.Collector.Capabilities).
func Capabilities(name string) collectors.Capabilities {
	switch name {
	case "ebpf":
		return ebpf.Capabilities()
	case "audit":
		return audit.Capabilities()
	case "fanotify":
		return fanotify.Capabilities()
	}
	return collectors.Capabilities{}
}

// Request is what a collector is asked to deliver.
type Request struct {
	// Types are the event types wanted.
	Types event.TypeSet
	// Rules, when set, are what the events are for: the audit collector
	// then audits no call that none of them can match (planAudit), and
	// with AuditExclusions it also excludes such calls of the types it
	// audits.
	Rules           *ruleset.Set
	AuditExclusions bool
	// Tee gets the raw records, from collectors that have them.
	Tee func([]byte)
	// Log, when set, gets a record saying what the audit plan leaves out.
	Log *slog.Logger
	// StateDir is the audit collector's state directory ("": its
	// default).
	StateDir string
	// Notify, when set, receives the collector's notices about itself
	// (for collectors whose Options take a Notify).
	Notify collectors.Notify
	// RingBufferBytes is the eBPF collector's ring buffer size (0: its
	// default).
	RingBufferBytes int
}

// New starts the named collector.
func New(name string, req Request) (collectors.Collector, error) {
	switch name {
	case "ebpf":
		return ebpf.New(ebpf.Options{Types: req.Types, ExcludePID: os.Getpid(), Tee: req.Tee,
			RingBufferBytes: req.RingBufferBytes, Notify: req.Notify})
	case "audit":
		opts := audit.Options{Types: req.Types, ExcludePID: os.Getpid(), Notify: req.Notify, StateDir: req.StateDir}
		var plan auditPlan
		if req.Rules != nil {
			plan = planAudit(req.Rules, audit.Capabilities(), req.AuditExclusions)
			opts.Types, opts.Exclusions = plan.Types, plan.Exclusions
		}
		col, err := audit.New(opts)
		if err != nil {
			return nil, err
		}
		if d := plan.describe(col.Excluded()); d != "" && req.Log != nil {
			req.Log.Info("audit plan", "collector", "audit", "not_audited", d)
		}
		return col, nil
	case "fanotify":
		return fanotify.New(fanotify.Options{Types: req.Types, ExcludePID: os.Getpid(),
			SkipEnv: req.Rules != nil && !readsField(req.Rules, "proc.env")})
	}
	return nil, fmt.Errorf("unknown collector %q", name)
}

// Open starts the named collector, or for auto the first that works,
// saying on log (nil: nowhere) why each one skipped failed.
func Open(name string, req Request, log *slog.Logger) (collectors.Collector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	order := Names
	if name != "auto" {
		order = []string{name}
	}
	var errs []error
	for _, n := range order {
		col, err := New(n, req)
		if err == nil {
			return col, nil
		}
		err = ExplainCollectorError(n, err)
		log.Warn("collector unavailable", "collector", n, "err", err)
		errs = append(errs, err)
	}
	return nil, noCollectorError(errs)
}

// TypeNames are the names of the types of ts.
func TypeNames(ts event.TypeSet) []string {
	var out []string
	for _, t := range ts.Types() {
		out = append(out, t.String())
	}
	return out
}

// readsField reports whether a rule of set reads field in its condition
// or its output.
func readsField(set *ruleset.Set, field string) bool {
	for _, r := range set.Rules() {
		if slices.Contains(r.CondFields, field) {
			return true
		}
		for _, f := range r.Fields {
			if f.Field != nil && f.Field.Name == field {
				return true
			}
		}
	}
	return false
}
