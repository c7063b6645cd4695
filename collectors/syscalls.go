package collectors

import "github.com/lannersec/lanner/event"

// Syscall is an x86_64 system call that produces events: its number, its
// name (that of its syscalls:sys_exit_<name> tracepoint and of audit's -S
// option) and the event type it produces.
type Syscall struct {
	Nr   uint32
	Name string
	Type event.Type
}

// Syscalls are the x86_64 system calls the collectors report as events.
// fchmodat2 reports as fchmodat.
var Syscalls = []Syscall{
	{2, "open", event.TypeOpen},
	{257, "openat", event.TypeOpenat},
	{437, "openat2", event.TypeOpenat2},
	{85, "creat", event.TypeCreat},
	{59, "execve", event.TypeExecve},
	{322, "execveat", event.TypeExecveat},
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
	{117, "setresuid", event.TypeSetresuid},
	{119, "setresgid", event.TypeSetresgid},
	{113, "setreuid", event.TypeSetreuid},
	{114, "setregid", event.TypeSetregid},
	{122, "setfsuid", event.TypeSetfsuid},
	{123, "setfsgid", event.TypeSetfsgid},
	{126, "capset", event.TypeCapset},
}
