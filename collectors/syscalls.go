package collectors

import "github.com/lannersec/lanner/event"

// Syscall is a system call that produces events: its number on the
// architecture Lanner is built for, its name (that of its
// syscalls:sys_exit_<name> tracepoint and of audit's -S option) and the
// event type it produces.
//
// Syscalls and AbsentSyscalls are per architecture (syscalls_amd64.go,
// syscalls_arm64.go): arm64, like every architecture that came after the
// generic syscall table, lacks the legacy calls (open, creat, rename,
// mkdir, dup2, ...); its C library makes the *at calls instead, so those
// event types never occur there.
type Syscall struct {
	Nr   uint32
	Name string
	Type event.Type
}
