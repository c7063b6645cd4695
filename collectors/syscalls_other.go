//go:build !amd64 && !arm64

package collectors

// Syscalls is empty where Lanner has no syscall table: no collector runs
// there, the decoders still build.
var Syscalls []Syscall

// AbsentSyscalls is empty too.
var AbsentSyscalls []Syscall
