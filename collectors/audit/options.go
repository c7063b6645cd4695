package audit

import "github.com/lannersec/lanner/event"

// Options configure a Collector.
type Options struct {
	// Types are the syscall event types to deliver. execve, execveat,
	// clone, clone3, fork, vfork, exit and exit_group are always audited:
	// the process table needs their exec, fork and exit records.
	Types event.TypeSet
	// ExcludePID is Lanner's own tgid: the audit rule excludes it
	// (-F pid!=ExcludePID) and its records are dropped; 0 excludes
	// nothing.
	ExcludePID int
	// Key is the key of the audit rules the collector installs, and
	// removes again (with any left by a run that was killed); "" means
	// DefaultKey.
	Key string
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
