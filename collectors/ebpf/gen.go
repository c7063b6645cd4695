package ebpf

// The BPF objects and their Go bindings (lanner_x86_bpfel.go/.o for
// amd64, lanner_arm64_bpfel.go/.o for arm64) are generated from
// c/lanner.bpf.c; generate.sh also refreshes c/vmlinux.h first. vmlinux.h
// is x86_64's: the arm64 build reads arm64's pt_regs through types of its
// own (see read_args), and CO-RE relocates every field against the
// running kernel's BTF.
//go:generate go tool bpf2go -tags linux -target amd64 -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" lanner c/lanner.bpf.c -- -I./c
//go:generate go tool bpf2go -tags linux -target arm64 -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_arm64" lanner c/lanner.bpf.c -- -I./c
