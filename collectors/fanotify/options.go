package fanotify

import (
	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Options configure a Collector.
type Options struct {
	// Types are the syscall event types to deliver; exec, fork and exit
	// records are always delivered (the process table needs them).
	Types event.TypeSet
	// ExcludePID is a tgid whose events are dropped (Lanner's own); 0
	// excludes nothing.
	ExcludePID int
	// SkipEnv leaves Exec.Env empty instead of reading each new
	// program's environment from /proc, one of the costlier reads, for
	// rule sets that do not look at it.
	SkipEnv bool
	// Notify, when set, receives the collector's notices: NoticeLost
	// when events were lost and how many is not known (a fanotify queue
	// overflow, a process connector overrun). It must not block.
	Notify collectors.Notify
}

// Types returns the event types this collector can deliver (for coverage
// reports).
func Types() event.TypeSet {
	return event.TypeSetOf(event.TypeOpenat, event.TypeExecve, event.TypeMkdirat,
		event.TypeUnlinkat, event.TypeRenameat2)
}
