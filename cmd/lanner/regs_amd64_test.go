//go:build linux

package main

import "syscall"

// stackPointer is the stack pointer in a traced thread's registers.
func stackPointer(regs *syscall.PtraceRegs) uintptr { return uintptr(regs.Rsp) }
