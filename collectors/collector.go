// Package collectors defines what every collector (eBPF, audit, fanotify)
// delivers to the engine: Records, each a syscall event or a change to the
// process table, read one at a time from a Collector.
package collectors

import (
	"errors"
	"strings"

	"github.com/lannersec/lanner/event"
)

// ErrNotSupported is wrapped by the errors a collector returns when this
// kernel (or this process's privileges) cannot run it.
var ErrNotSupported = errors.New("not supported")

// Kind says what a Record carries.
type Kind uint8

// Record kinds.
const (
	// KindSyscall is a syscall exit: Event is filled (but for Proc).
	KindSyscall Kind = iota + 1
	// KindFork is a new process or thread: Fork is filled.
	KindFork
	// KindExec is a successful exec: Exec is filled, and Event too (an
	// execve/execveat event) when that event type was asked for.
	KindExec
	// KindExit is the exit of a process (thread group leader) or thread.
	KindExit
	// KindCred is a change of a thread's identity seen without the call
	// that made it (the fanotify collector's process connector): Cred is
	// filled, Event is not.
	KindCred
)

// Record is one thing a collector saw. Collectors reuse Records: strings
// and slices in a Record may point into the collector's buffers and are
// valid only until the next Read; whoever keeps them must copy them.
type Record struct {
	Kind Kind
	// PID is the thread group id and TID the thread id, in the host PID
	// namespace.
	PID, TID int64
	// Time is the wall clock time, ns since the Unix epoch.
	Time int64
	// Event is the syscall event, for KindSyscall and KindExec. Event.Proc
	// is nil: the engine fills it from the process table.
	Event event.Event
	// Cred is the calling thread's identity once a credential call
	// (event.Type.IsCred) returned, when the collector knows it, and the
	// new identity of KindCred.
	Cred Cred
	Fork Fork
	Exec Exec
	Exit Exit
}

// Cred is a thread's identity: user and group ids and capabilities.
type Cred struct {
	// UIDsKnown says the user ids are filled, GIDsKnown the group ids,
	// CapsKnown the capability sets.
	UIDsKnown, GIDsKnown, CapsKnown bool
	// Real, effective, saved and file system user and group ids.
	UID, EUID, SUID, FSUID                     uint32
	GID, EGID, SGID, FSGID                     uint32
	CapInheritable, CapPermitted, CapEffective uint64
}

// Fork describes a new task.
type Fork struct {
	ParentPID int64
	ChildPID  int64 // thread group id of the child
	ChildTID  int64
	// Thread is true when the child is a thread of the parent's process.
	Thread bool
}

// Exec describes the program a process now runs.
type Exec struct {
	Filename                                   string   // the path passed to execve
	ExePath                                    string   // resolved path of the executable
	Comm                                       string   // new comm
	Args                                       []string // argv, argv[0] included
	Env                                        []string // KEY=VALUE, may be empty when not collected
	Cwd                                        string
	PPID                                       int64
	VPID                                       int64 // pid in the process's own namespace
	SID                                        int64
	VPGID                                      int64
	TTY                                        uint32
	UID, GID                                   uint32 // effective
	LoginUID                                   uint32
	CapPermitted, CapEffective, CapInheritable uint64
	// Exe* describe the executable file.
	ExeUpperLayer, ExeFromMemfd, ExeWritable bool
	// ExeFlagsUnknown says the collector does not know ExeUpperLayer and
	// ExeWritable (they are then absent, not false).
	ExeFlagsUnknown          bool
	ExeInoCtime, ExeInoMtime int64
	// CgroupPath is the process's cgroup path (of the first hierarchy that
	// names a container, or the unified one), for container detection.
	CgroupPath string
	StartTime  int64
}

// Exit describes an exit.
type Exit struct {
	Code int64
	// Thread is true when only a thread exited, not the whole process.
	Thread bool
}

// Stats are a collector's counters.
type Stats struct {
	// Records read.
	Records uint64
	// KernelDrops are records the kernel could not deliver (ring buffer
	// full, audit backlog overflow).
	KernelDrops uint64
	// KernelDropsByType is the part of KernelDrops the collector can
	// attribute, by event type name ("fork", "exec" and "procexit" for
	// process records of no syscall type); nil when it cannot.
	KernelDropsByType map[string]uint64
	// Malformed are records that could not be decoded and were skipped.
	Malformed uint64
	// Unresolved are paths reported as the process passed them (relative)
	// because the directory they were relative to could not be
	// established.
	Unresolved uint64
}

// Collector reads Records from the kernel.
type Collector interface {
	// Name is the collector's name: ebpf, audit or fanotify.
	Name() string
	// Read blocks until a record is available and decodes it into r. It
	// returns os.ErrClosed once Close has been called.
	Read(r *Record) error
	// Close detaches everything the collector attached and unblocks Read.
	Close() error
	// Stats returns the current counters.
	Stats() Stats
	// Capabilities say what the collector sees as it runs now: the event
	// types it can deliver on this kernel, the fields it leaves absent,
	// its mode and the types it watches. They may change when the
	// collector is asked for other types.
	Capabilities() Capabilities
}

// Capabilities say what a collector can see, for coverage reports.
type Capabilities struct {
	// Types are the event types it can deliver (less, for a started
	// collector, those whose syscalls this kernel lacks).
	Types event.TypeSet
	// Watched are the event types a started collector delivers now.
	Watched event.TypeSet
	// Mode says how a started collector runs ("" when it has one way
	// only): the eBPF collector's program kind, the audit collector's
	// netlink mode.
	Mode string
	// RingBufferBytes is the size of a started collector's kernel ring
	// buffer (0: it has none).
	RingBufferBytes int
	// Missing maps fields it cannot fill (they stay absent) to the reason.
	Missing map[string]string
	// MissingOn maps event types to fields it never fills on events of
	// that type only (they are absent from those events), with the
	// reason; a field ending in "*" stands for every field it prefixes
	// ("fd.*").
	MissingOn map[event.Type]map[string]string
	// Limits maps fields it fills on most events but not on all (they
	// are then absent, or for paths left as passed) to when it cannot.
	// They do not make a rule partly served; the coverage report lists
	// them with the rules that read them. A key may name several fields,
	// separated by commas; a field named with an argument
	// ("proc.aname[2]") is limited when its name without one is.
	Limits map[string]string
	// LimitsOn maps event types to limits on events of that type only,
	// keyed as Limits: fields it fills on those events otherwise than
	// the call had them, or not at all, with when.
	LimitsOn map[event.Type]map[string]string
}

// Limit returns why field may differ from what the call had on an event
// of type t (a limit of Limits, or of LimitsOn for t), and whether it may.
func (c Capabilities) Limit(t event.Type, field string) (string, bool) {
	if why, ok := limitIn(c.Limits, field); ok {
		return why, true
	}
	return limitIn(c.LimitsOn[t], field)
}

// limitIn returns the reason of the limit of limits that names field.
func limitIn(limits map[string]string, field string) (string, bool) {
	for key, why := range limits {
		if LimitNames(key, field) {
			return why, true
		}
	}
	return "", false
}

// LimitNames reports whether the key of a limit (fields separated by
// commas) names field, or field without its argument.
func LimitNames(key, field string) bool {
	base, _, _ := strings.Cut(field, "[")
	for _, f := range strings.Split(key, ",") {
		if f == field || f == base {
			return true
		}
	}
	return false
}

// missingOn returns why field is missing on events of type t, and whether
// it is.
func (c Capabilities) missingOn(t event.Type, field string) (string, bool) {
	for f, r := range c.MissingOn[t] {
		if f == field || strings.HasSuffix(f, "*") && strings.HasPrefix(field, f[:len(f)-1]) {
			return r, true
		}
	}
	return "", false
}

// AbsentOn reports whether field is absent from every event of type t the
// collector delivers.
func (c Capabilities) AbsentOn(t event.Type, field string) bool {
	_, ok := c.missingOn(t, field)
	return ok
}

// MissingOnAll returns why field is missing on every one of types, or ""
// when some event of types has it.
func (c Capabilities) MissingOnAll(field string, types []event.Type) string {
	why := ""
	for _, t := range types {
		w, ok := c.missingOn(t, field)
		if !ok {
			return ""
		}
		why = w
	}
	return why
}

// SyscallTypes are the syscall event types (not Lanner's synthetic ones).
func SyscallTypes() event.TypeSet {
	var ts event.TypeSet
	for t := event.TypeUnknown + 1; t < event.NumTypes; t++ {
		if t != event.TypeProcexit && t != event.TypeContainer {
			ts.Add(t)
		}
	}
	return ts
}

// NotCollected returns the fields no collector fills yet, with the reason:
// a fresh map each collector's Missing may start from.
func NotCollected() map[string]string {
	return map[string]string{
		"evt.buffer":  "I/O buffers are not captured",
		"fd.sip.name": "no DNS names are resolved",
		"fd.cip.name": "no DNS names are resolved",
		"fd.lip.name": "no DNS names are resolved",
		"fd.rip.name": "no DNS names are resolved",
	}
}
