package audit

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

// auditArch is x86_64 as audit names it in arch= (AUDIT_ARCH_X86_64):
// records of other ABIs (32-bit programs) are not decoded.
const auditArch = 0xc000003e
