package collectors

import "github.com/lannersec/lanner/event"

// Syscalls are the arm64 system calls the collectors report as events.
// fchmodat2 reports as fchmodat.
var Syscalls = []Syscall{
	{56, "openat", event.TypeOpenat},
	{437, "openat2", event.TypeOpenat2},
	{221, "execve", event.TypeExecve},
	{281, "execveat", event.TypeExecveat},
	{203, "connect", event.TypeConnect},
	{202, "accept", event.TypeAccept},
	{242, "accept4", event.TypeAccept4},
	{201, "listen", event.TypeListen},
	{198, "socket", event.TypeSocket},
	{200, "bind", event.TypeBind},
	{206, "sendto", event.TypeSendto},
	{211, "sendmsg", event.TypeSendmsg},
	{207, "recvfrom", event.TypeRecvfrom},
	{212, "recvmsg", event.TypeRecvmsg},
	{38, "renameat", event.TypeRenameat},
	{276, "renameat2", event.TypeRenameat2},
	{35, "unlinkat", event.TypeUnlinkat},
	{34, "mkdirat", event.TypeMkdirat},
	{52, "fchmod", event.TypeFchmod},
	{53, "fchmodat", event.TypeFchmodat},
	{452, "fchmodat2", event.TypeFchmodat},
	{37, "linkat", event.TypeLinkat},
	{36, "symlinkat", event.TypeSymlinkat},
	{23, "dup", event.TypeDup},
	{24, "dup3", event.TypeDup3},
	{117, "ptrace", event.TypePtrace},
	{146, "setuid", event.TypeSetuid},
	{144, "setgid", event.TypeSetgid},
	{268, "setns", event.TypeSetns},
	{97, "unshare", event.TypeUnshare},
	{280, "bpf", event.TypeBpf},
	{105, "init_module", event.TypeInitModule},
	{273, "finit_module", event.TypeFinitModule},
	{282, "userfaultfd", event.TypeUserfaultfd},
	{40, "mount", event.TypeMount},
	{147, "setresuid", event.TypeSetresuid},
	{149, "setresgid", event.TypeSetresgid},
	{145, "setreuid", event.TypeSetreuid},
	{143, "setregid", event.TypeSetregid},
	{151, "setfsuid", event.TypeSetfsuid},
	{152, "setfsgid", event.TypeSetfsgid},
	{91, "capset", event.TypeCapset},
}

// AbsentSyscalls are the x86_64 syscalls arm64 does not have (Nr 0): their
// event types never occur, and collectors report them as absent.
var AbsentSyscalls = []Syscall{
	{0, "open", event.TypeOpen},
	{0, "creat", event.TypeCreat},
	{0, "rename", event.TypeRename},
	{0, "unlink", event.TypeUnlink},
	{0, "rmdir", event.TypeRmdir},
	{0, "mkdir", event.TypeMkdir},
	{0, "chmod", event.TypeChmod},
	{0, "link", event.TypeLink},
	{0, "symlink", event.TypeSymlink},
	{0, "dup2", event.TypeDup2},
}
