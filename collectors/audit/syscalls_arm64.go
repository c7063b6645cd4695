package audit

// Syscall numbers of the arm64 syscalls that feed the process table.
// arm64 has no fork or vfork (its C library calls clone): their numbers
// are past maxNr, so no record carries them and no rule names them.
const (
	nrClone     = 220
	nrFork      = maxNr
	nrVfork     = maxNr + 1
	nrExecve    = 221
	nrExit      = 93
	nrExitGroup = 94
	nrExecveat  = 281
	nrClone3    = 435
)

// auditArch is arm64 as audit names it in arch= (AUDIT_ARCH_AARCH64):
// records of other ABIs (32-bit programs) are not decoded.
const auditArch = 0xc00000b7
