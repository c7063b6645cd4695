// Package ebpf is Lanner's eBPF collector. BTF-typed raw tracepoint
// programs on raw_syscalls sys_exit (which keeps the syscalls asked for)
// and on sched_process_{fork,exec,exit} write one record per event to a BPF
// ring buffer; Read decodes them into collectors.Records. With
// Options.Tracepoints the syscalls are captured on the
// syscalls:sys_exit_<name> tracepoint of each syscall asked for instead
// (see Collector.Mode), which costs other syscalls nothing but takes the
// kernel about a second to detach.
//
// Close stops the programs first, lets the reader take every record they
// wrote, then releases the rest: no record written before Close is lost,
// and nothing stays in the kernel.
//
// Paths, file descriptors and sockets are resolved in the kernel: the
// absolute path of a newly opened file comes from its dentry chain, relative
// path arguments are joined to the path of their dirfd or of the working
// directory, socket endpoints come from the socket itself. See README.md
// for the record layout, the bounds and the costs.
//
// While it runs, the collector compares lanner_syscalls, the map that says
// which syscalls are reported, with what it wrote there, every 2 s, puts
// back what another process changed and reports it (see tamperWatch).
//
// The BPF objects (one per architecture) are generated from
// c/lanner.bpf.c by bpf2go (generate.sh) and committed, so building the
// package needs no C toolchain. The collector runs on linux/amd64 and
// linux/arm64; elsewhere New returns an error wrapping
// collectors.ErrNotSupported.
package ebpf
