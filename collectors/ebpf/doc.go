// Package ebpf is Lanner's eBPF collector. Raw tracepoint programs on
// sys_enter, sys_exit and sched_process_{fork,exec,exit} write one record
// per event to a BPF ring buffer; Read decodes them into collectors.Records.
//
// Paths, file descriptors and sockets are resolved in the kernel: the
// absolute path of a newly opened file comes from its dentry chain, relative
// path arguments are joined to the path of their dirfd or of the working
// directory, socket endpoints come from the socket itself. See README.md
// for the record layout and the bounds.
//
// The BPF object is generated from c/lanner.bpf.c by bpf2go (generate.sh)
// and committed, so building the package needs no C toolchain. The
// collector runs on linux/amd64; elsewhere New returns an error wrapping
// collectors.ErrNotSupported.
package ebpf
