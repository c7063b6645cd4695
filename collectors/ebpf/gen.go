package ebpf

// The BPF object and its Go bindings (lanner_x86_bpfel.go/.o) are generated
// from c/lanner.bpf.c; generate.sh also refreshes c/vmlinux.h first.
//go:generate go tool bpf2go -tags linux -target amd64 -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" lanner c/lanner.bpf.c -- -I./c
