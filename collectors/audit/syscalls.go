package audit

import (
	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Syscall numbers of the x86_64 syscalls that feed the process table.
const (
	nrClone     = 56
	nrFork      = 57
	nrVfork     = 58
	nrExecve    = 59
	nrExit      = 60
	nrExitGroup = 231
	nrExecveat  = 322
	nrClone3    = 435
)

// syscallInfo maps an x86_64 syscall to its audit rule name and the event
// type it produces (TypeUnknown for the process table's syscalls that
// produce only fork and exit records).
type syscallInfo struct {
	nr   uint32
	name string
	t    event.Type
}

// syscalls lists every syscall the collector can audit: those that
// produce events (collectors.Syscalls) and those of the process table.
var syscalls = func() []syscallInfo {
	var out []syscallInfo
	for _, s := range collectors.Syscalls {
		out = append(out, syscallInfo{s.Nr, s.Name, s.Type})
	}
	return append(out,
		syscallInfo{nrClone, "clone", event.TypeUnknown},
		syscallInfo{nrClone3, "clone3", event.TypeUnknown},
		syscallInfo{nrFork, "fork", event.TypeUnknown},
		syscallInfo{nrVfork, "vfork", event.TypeUnknown},
		syscallInfo{nrExit, "exit", event.TypeUnknown},
		syscallInfo{nrExitGroup, "exit_group", event.TypeUnknown})
}()

// maxNr bounds the syscall numbers in syscalls.
const maxNr = 512

// typeByNr is the event type of each syscall number, TypeUnknown when the
// syscall produces no syscall event.
var typeByNr = func() (m [maxNr]event.Type) {
	for _, s := range syscalls {
		m[s.nr] = s.t
	}
	return m
}()

// procTable reports whether syscall nr is always audited because the
// process table needs it.
func procTable(nr uint64) bool {
	switch nr {
	case nrExecve, nrExecveat, nrClone, nrClone3, nrFork, nrVfork, nrExit, nrExitGroup:
		return true
	}
	return false
}

// ruleSyscalls returns the names of the syscalls to audit for types: those
// of the requested event types, the credential calls and those of the
// process table.
func ruleSyscalls(types *event.TypeSet) []string {
	var names []string
	for _, s := range syscalls {
		if procTable(uint64(s.nr)) || s.t.IsCred() || (s.t != event.TypeUnknown && types.Has(s.t)) {
			names = append(names, s.name)
		}
	}
	return names
}
