//go:build !linux

package selfcheck

import "syscall"

// probeAttr is empty where there is no parent-death signal: a probe
// outliving Lanner ends when its stdin closes.
func probeAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
