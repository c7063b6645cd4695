package audit

import (
	"strconv"

	"github.com/lannersec/lanner/collectors"

	"github.com/lannersec/lanner/event"
)

// Options configure a Collector.
type Options struct {
	// Types are the syscall event types to deliver. execve, execveat,
	// clone, clone3, fork, vfork, exit and exit_group are always audited:
	// the process table needs their exec, fork and exit records; so are
	// the credential calls (event.Type.IsCred), whose events carry the
	// identity they leave.
	Types event.TypeSet
	// ExcludePID is Lanner's own tgid: the audit rule excludes it
	// (-F pid!=ExcludePID) and its records are dropped; 0 excludes
	// nothing.
	ExcludePID int
	// Exclusions are calls the collector does not audit although their
	// event type is in Types, meant for calls no rule can match: in
	// ModeUnicast it adds a "-a never,exit" rule for each, ahead of its
	// own rule. In ModeMulticast it adds none, since a never rule would
	// also hide the calls from the rules another daemon adds later.
	Exclusions []Exclusion
	// Notify, when set, gets the collector's notices: another process
	// changed its audit rules or settings (NoticeTampered), and the
	// collector put them back (NoticeRepaired).
	Notify collectors.Notify
	// Key is the key of the audit rules the collector installs, and
	// removes again (with any left by a run that was killed); "" means
	// DefaultKey.
	Key string
}

// Exclusion names calls of some event types by the file they act on or by
// the value of one argument.
type Exclusion struct {
	// Types are the event types whose syscalls it applies to.
	Types []event.Type
	// Path, when set, is a file that the calls resolve a path to. Audit
	// compares inodes: the calls are excluded whatever name they use for
	// the file, through a link or relative to any directory.
	Path string
	// Arg (0 to 3) is the argument that must equal Value, when Path is
	// empty.
	Arg   int
	Value uint32
}

// String renders x as the audit rule fields that select its calls.
func (x Exclusion) String() string {
	field, value := x.Field()
	return field + "=" + value
}

// Field returns the audit rule field that selects x's calls, and its
// value: path and the file, or aN and the argument's value.
func (x Exclusion) Field() (name, value string) {
	if x.Path != "" {
		return "path", x.Path
	}
	return "a" + strconv.Itoa(x.Arg), strconv.FormatUint(uint64(x.Value), 10)
}

// DefaultKey is the audit rule key used when Options.Key is empty.
const DefaultKey = "lanner"

// Modes, as Mode reports them.
const (
	// ModeUnicast: the collector is the audit daemon (it registered its
	// socket with the kernel).
	ModeUnicast = "unicast"
	// ModeMulticast: another daemon (auditd) owns the audit socket; the
	// collector reads the read-only multicast copy of the records.
	ModeMulticast = "multicast"
)
