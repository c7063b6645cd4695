package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// seccompEnv makes the test binary install a seccomp filter and exec the
// program named in its arguments: "bpf" makes bpf(2) fail with EPERM (a
// kernel without BPF, as far as Lanner can tell), "bpf+audit" also denies
// NETLINK_AUDIT sockets (no audit either).
const seccompEnv = "LANNER_SECCOMP"

const (
	sysBPF        = 321 // x86_64
	sysSocket     = 41
	afNetlink     = 16
	netlinkAudit  = 9
	auditArchX86  = 0xc000003e
	seccompRetErr = 0x00050000 // SECCOMP_RET_ERRNO
	seccompRetOK  = 0x7fff0000 // SECCOMP_RET_ALLOW
)

func stmt(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }
func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

// runSeccompped installs the filter for mode and execs argv; it only
// returns on failure.
func runSeccompped(mode string, argv []string) error {
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	eperm := uint32(seccompRetErr | uint32(syscall.EPERM))
	prog := []unix.SockFilter{
		stmt(ld, 4), // arch
		jump(jeq, auditArchX86, 1, 0),
		stmt(ret, seccompRetOK),
		stmt(ld, 0), // syscall number
		jump(jeq, sysBPF, 0, 1),
		stmt(ret, eperm),
	}
	if mode == "bpf+audit" {
		prog = append(prog,
			jump(jeq, sysSocket, 0, 5),
			stmt(ld, 16), // args[0], low half: domain
			jump(jeq, afNetlink, 0, 3),
			stmt(ld, 32), // args[2], low half: protocol
			jump(jeq, netlinkAudit, 0, 1),
			stmt(ret, eperm),
		)
	}
	prog = append(prog, stmt(ret, seccompRetOK))
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, 1 /* SECCOMP_SET_MODE_FILTER */, 0, uintptr(unsafe.Pointer(&fprog))); errno != 0 {
		return fmt.Errorf("seccomp: %w", errno)
	}
	return syscall.Exec(argv[0], argv, os.Environ())
}
