package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/audit"
	"github.com/lannersec/lanner/collectors/ebpf"
	"github.com/lannersec/lanner/collectors/fanotify"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// collectorNames are the collectors in the order auto tries them.
var collectorNames = []string{"ebpf", "audit", "fanotify"}

// syscallTypes are the syscall event types (not Lanner's synthetic ones).
func syscallTypes() event.TypeSet {
	var ts event.TypeSet
	for t := event.TypeUnknown + 1; t < event.NumTypes; t++ {
		if t != event.TypeProcexit && t != event.TypeContainer {
			ts.Add(t)
		}
	}
	return ts
}

// notCollected are fields no collector fills yet.
var notCollected = map[string]string{
	"evt.buffer":  "I/O buffers are not captured",
	"fd.sip.name": "no DNS names are resolved",
	"fd.cip.name": "no DNS names are resolved",
	"fd.lip.name": "no DNS names are resolved",
	"fd.rip.name": "no DNS names are resolved",
}

// capabilities says what each collector can see.
func capabilities(name string) collectors.Capabilities {
	switch name {
	case "ebpf":
		return collectors.Capabilities{Types: syscallTypes(), Missing: notCollected}
	case "audit":
		missing := map[string]string{
			"proc.env":                "audit does not log the environment",
			"proc.is_exe_writable":    "audit does not say",
			"proc.is_exe_upper_layer": "audit does not say",
			"lanner.fd.realpath":      "audit logs a path as given, not the file it resolves to",
		}
		for k, v := range notCollected {
			missing[k] = v
		}
		dupFD := map[string]string{"fd.*": "audit does not say what a duplicated descriptor refers to"}
		capset := map[string]string{"evt.arg.cap_*": "audit logs no capability sets with capset"}
		missingOn := map[event.Type]map[string]string{event.TypeDup: dupFD, event.TypeDup2: dupFD, event.TypeDup3: dupFD,
			event.TypeCapset: capset}
		if !kernelAtLeast(5, 16) {
			why := "audit logs openat2's flags and mode from Linux 5.16 on"
			missingOn[event.TypeOpenat2] = map[string]string{"evt.is_open_*": why, "evt.arg.flags": why,
				"evt.arg.mode": why, "evt.rawarg.flags": why, "evt.rawarg.mode": why}
		}
		limits := map[string]string{
			"fd.name,fd.directory,fd.filename": "a path relative to a directory descriptor stays relative when audit cannot establish the " +
				"directory (a descriptor opened before Lanner started, or replaced by dup2 or fcntl, in a process " +
				"gone before /proc could be read); counted in unresolved_paths",
			"fd.l4proto": "known only for sockets made by socket or accept calls audited while Lanner runs (in the " +
				"process or a parent it forked from)",
			"fd.lip,fd.lport": "audit logs only the peer of a socket: the local endpoint is known only for a socket " +
				"bound to an address (not a wildcard) by a bind call audited while Lanner runs, and for the " +
				"connections it accepts",
		}
		return collectors.Capabilities{Types: syscallTypes(), Missing: missing, MissingOn: missingOn, Limits: limits}
	case "fanotify":
		missing := map[string]string{
			"fd.num":                  "fanotify does not report fd numbers",
			"evt.rawres":              "fanotify does not report return values",
			"proc.is_exe_writable":    "fanotify does not say",
			"proc.is_exe_upper_layer": "fanotify does not say",
		}
		limits := map[string]string{
			"evt.arg.flags": "fanotify reports no open flags but O_CREAT and the access mode, and the access mode only once " +
				"the file is read, written or closed (absent before)",
			"evt.is_open_read":  "fanotify reports the access mode only once the file is read, written or closed (a read through mmap: at the close)",
			"evt.is_open_write": "fanotify reports the access mode only once the file is written or closed",
		}
		for k, v := range notCollected {
			missing[k] = v
		}
		// fanotify sees the effect, not the syscall: every open, exec,
		// mkdir, unlink and rename is reported under one type (openat,
		// execve, mkdirat, unlinkat, renameat2), so rules naming the
		// other variants are served by those events.
		types := fanotify.Types()
		for _, t := range []event.Type{event.TypeOpen, event.TypeOpenat2, event.TypeCreat, event.TypeExecveat,
			event.TypeMkdir, event.TypeUnlink, event.TypeRmdir, event.TypeRename, event.TypeRenameat} {
			types.Add(t)
		}
		return collectors.Capabilities{Types: types, Missing: missing, Limits: limits}
	}
	return collectors.Capabilities{}
}

// kernelAtLeast reports whether the running kernel's release is at least
// major.minor (false when it cannot be read).
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var maj, min int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &maj, &min); err != nil {
		return false
	}
	return maj > major || maj == major && min >= minor
}

// runningCapabilities are what the started collector col can see: its
// capabilities less the event types of syscalls this kernel lacks.
func runningCapabilities(col collectors.Collector) collectors.Capabilities {
	caps := capabilities(col.Name())
	if a, ok := col.(interface{ Absent() []event.Type }); ok {
		for _, t := range a.Absent() {
			caps.Types.Remove(t)
		}
	}
	return caps
}

// collectorRequest is what a collector is asked to deliver.
type collectorRequest struct {
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
	// Log, when set, gets a line saying what the audit plan leaves out.
	Log io.Writer
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

func newCollector(name string, req collectorRequest) (collectors.Collector, error) {
	switch name {
	case "ebpf":
		return ebpf.New(ebpf.Options{Types: req.Types, ExcludePID: os.Getpid(), Tee: req.Tee,
			RingBufferBytes: req.RingBufferBytes, Notify: req.Notify})
	case "audit":
		opts := audit.Options{Types: req.Types, ExcludePID: os.Getpid(), Notify: req.Notify, StateDir: req.StateDir}
		var plan auditPlan
		if req.Rules != nil {
			plan = planAudit(req.Rules, capabilities("audit"), req.AuditExclusions)
			opts.Types, opts.Exclusions = plan.Types, plan.Exclusions
		}
		col, err := audit.New(opts)
		if err != nil {
			return nil, err
		}
		if d := plan.describe(col.Excluded()); d != "" && req.Log != nil {
			fmt.Fprintf(req.Log, "lanner: audit: not audited: %s\n", d)
		}
		return col, nil
	case "fanotify":
		return fanotify.New(fanotify.Options{Types: req.Types, ExcludePID: os.Getpid(),
			SkipEnv: req.Rules != nil && !readsField(req.Rules, "proc.env")})
	}
	return nil, fmt.Errorf("unknown collector %q", name)
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
