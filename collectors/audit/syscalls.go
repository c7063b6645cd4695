package audit

import "github.com/lannersec/lanner/event"

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

// syscalls lists every syscall the collector can audit. fchmodat2 reports
// as fchmodat, as in the eBPF collector.
var syscalls = []syscallInfo{
	{2, "open", event.TypeOpen},
	{257, "openat", event.TypeOpenat},
	{437, "openat2", event.TypeOpenat2},
	{85, "creat", event.TypeCreat},
	{nrExecve, "execve", event.TypeExecve},
	{nrExecveat, "execveat", event.TypeExecveat},
	{42, "connect", event.TypeConnect},
	{43, "accept", event.TypeAccept},
	{288, "accept4", event.TypeAccept4},
	{50, "listen", event.TypeListen},
	{41, "socket", event.TypeSocket},
	{49, "bind", event.TypeBind},
	{44, "sendto", event.TypeSendto},
	{46, "sendmsg", event.TypeSendmsg},
	{45, "recvfrom", event.TypeRecvfrom},
	{47, "recvmsg", event.TypeRecvmsg},
	{82, "rename", event.TypeRename},
	{264, "renameat", event.TypeRenameat},
	{316, "renameat2", event.TypeRenameat2},
	{87, "unlink", event.TypeUnlink},
	{263, "unlinkat", event.TypeUnlinkat},
	{84, "rmdir", event.TypeRmdir},
	{83, "mkdir", event.TypeMkdir},
	{258, "mkdirat", event.TypeMkdirat},
	{90, "chmod", event.TypeChmod},
	{91, "fchmod", event.TypeFchmod},
	{268, "fchmodat", event.TypeFchmodat},
	{452, "fchmodat2", event.TypeFchmodat},
	{86, "link", event.TypeLink},
	{265, "linkat", event.TypeLinkat},
	{88, "symlink", event.TypeSymlink},
	{266, "symlinkat", event.TypeSymlinkat},
	{32, "dup", event.TypeDup},
	{33, "dup2", event.TypeDup2},
	{292, "dup3", event.TypeDup3},
	{101, "ptrace", event.TypePtrace},
	{105, "setuid", event.TypeSetuid},
	{106, "setgid", event.TypeSetgid},
	{308, "setns", event.TypeSetns},
	{272, "unshare", event.TypeUnshare},
	{321, "bpf", event.TypeBpf},
	{175, "init_module", event.TypeInitModule},
	{313, "finit_module", event.TypeFinitModule},
	{323, "userfaultfd", event.TypeUserfaultfd},
	{165, "mount", event.TypeMount},
	{nrClone, "clone", event.TypeUnknown},
	{nrClone3, "clone3", event.TypeUnknown},
	{nrFork, "fork", event.TypeUnknown},
	{nrVfork, "vfork", event.TypeUnknown},
	{nrExit, "exit", event.TypeUnknown},
	{nrExitGroup, "exit_group", event.TypeUnknown},
}

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
// of the requested event types and those of the process table.
func ruleSyscalls(types *event.TypeSet) []string {
	var names []string
	for _, s := range syscalls {
		if procTable(uint64(s.nr)) || (s.t != event.TypeUnknown && types.Has(s.t)) {
			names = append(names, s.name)
		}
	}
	return names
}
