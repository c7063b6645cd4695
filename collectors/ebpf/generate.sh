#!/bin/sh
# Regenerates the eBPF collector's generated files:
#   c/vmlinux.h               kernel types, dumped from this machine's BTF
#   lanner_{x86,arm64}_bpfel.{go,o}  the compiled programs and their Go bindings
# Needs clang, llvm-strip, libbpf headers and bpftool (Debian: clang llvm
# libbpf-dev bpftool). LANNER_KEEP_VMLINUX=1 keeps the committed vmlinux.h
# (CO-RE relocates against the running kernel anyway).
set -eu
cd "$(dirname "$0")"

if [ "${LANNER_KEEP_VMLINUX:-0}" != 1 ]; then
	btf=${LANNER_BTF:-/sys/kernel/btf/vmlinux}
	bpftool btf dump file "$btf" format c > c/vmlinux.h.tmp
	mv c/vmlinux.h.tmp c/vmlinux.h
fi
go generate ./gen.go
