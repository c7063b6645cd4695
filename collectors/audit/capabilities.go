package audit

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Capabilities are what the audit collector can see on this kernel: every
// syscall event type, less the fields audit does not log (on every event,
// or on events of some types) and with the limits of what it works out.
func Capabilities() collectors.Capabilities {
	missing := collectors.NotCollected()
	for k, v := range map[string]string{
		"proc.env":                "audit does not log the environment",
		"proc.is_exe_writable":    "audit does not say",
		"proc.is_exe_upper_layer": "audit does not say",
		"lanner.fd.realpath":      "audit logs a path as given, not the file it resolves to",
	} {
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
		"fd.lip,fd.lport,fd.cip,fd.cport": localEndpoint,
	}
	// What audit does not log of some calls: it stays out of evt.args
	// (and the descriptor's name in it).
	flags := map[string]string{"evt.args": "audit logs the first four arguments of a call only: not the flags of " +
		"renameat2 and linkat (their fifth)"}
	connect := map[string]string{"fd.name,evt.args": localEndpoint}
	send := map[string]string{"fd.name": localEndpoint, "evt.args": localEndpoint + "; and audit logs no data sent"}
	accept := map[string]string{"evt.args": "audit does not log the listening socket's queue"}
	dupArgs := map[string]string{"evt.args": "audit does not say what a duplicated descriptor refers to"}
	limitsOn := map[event.Type]map[string]string{
		event.TypeRenameat2: flags, event.TypeLinkat: flags,
		event.TypeConnect: connect, event.TypeSendto: send, event.TypeSendmsg: send,
		event.TypeAccept: accept, event.TypeAccept4: accept,
		event.TypeDup: dupArgs, event.TypeDup2: dupArgs, event.TypeDup3: dupArgs,
	}
	return collectors.Capabilities{Types: collectors.SyscallTypes(), Missing: missing, MissingOn: missingOn,
		Limits: limits, LimitsOn: limitsOn}
}

// localEndpoint is why audit may not know a socket's local endpoint.
const localEndpoint = "audit logs only the peer of a socket: the local endpoint is known only for a socket " +
	"bound to an address (not a wildcard) by a bind call audited while Lanner runs, and for the " +
	"connections it accepts"

// Capabilities are what the started collector sees: Capabilities, with
// its netlink mode and the types it audits.
func (c *Collector) Capabilities() collectors.Capabilities {
	caps := Capabilities()
	caps.Mode, caps.Watched = c.Mode(), c.Watched()
	return caps
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
