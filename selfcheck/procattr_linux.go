package selfcheck

import "syscall"

// probeAttr makes the kernel kill a probe whose parent dies.
func probeAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
