package ebpf

import (
	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Options configure a Collector.
type Options struct {
	// Types are the syscall event types to deliver; exec, fork and exit
	// records, and the events of credential calls (event.Type.IsCred),
	// are always delivered (the process table needs them).
	Types event.TypeSet
	// ExcludePID is a tgid whose events are dropped in the kernel
	// (Lanner's own); 0 excludes nothing.
	ExcludePID int
	// RingBufferBytes is the size of the ring buffer, rounded up to a
	// power of two of at least a page, at most 1 GiB; 0 means
	// DefaultRingBufferBytes for this machine.
	RingBufferBytes int
	// Tee, when set, receives every raw record before it is decoded
	// (`lanner record --raw`, the pipeline benchmark's input). raw is
	// valid only during the call.
	Tee func(raw []byte)
	// Notify, when set, gets the collector's notices: another process
	// changed its maps (NoticeTampered), and the collector put them back
	// (NoticeRepaired), and the kernel dropped records with the ring
	// buffer full (NoticeLost: the first drop, then at most one a minute
	// with the drops since, see collectors.LossReporter).
	Notify collectors.Notify

	// Tracepoints attaches the syscall program to the
	// syscalls:sys_exit_<name> tracepoint of each syscall asked for
	// (sys_enter_<name> too for the exec calls) instead of the default,
	// one program on raw_syscalls sys_exit (and sys_enter) that runs for
	// every syscall and keeps those asked for. A syscall nobody asked for
	// then costs nothing at all instead of a few nanoseconds, but
	// stopping takes longer: the kernel waits for RCU grace periods as
	// each tracepoint is detached, one after another, about a second
	// for the default rules' 40 syscalls on a small VM (bench/README.md,
	// "Stopping"). Where tracefs is not available the raw_syscalls
	// programs are used anyway.
	Tracepoints bool
}

// Bounds of DefaultRingBufferBytes.
const (
	ringBytesPerCPU = 8 << 20
	minRingBytes    = 16 << 20
	maxRingBytes    = 256 << 20
)

// DefaultRingBufferBytes is the ring buffer size used when
// Options.RingBufferBytes is 0, on a machine of cpus CPUs and mem bytes of
// memory (0: unknown): 8 MiB per CPU, as Falco's per-CPU buffers (the
// collector's one ring buffer takes the records of every CPU), at least
// 16 MiB, at most 256 MiB and a 32nd of the memory (but 8 MiB always).
// The kernel allocates it whole at start. A burst of 50,000 opens (about
// 270 bytes each) fills 13 MiB before the reader gets to it.
func DefaultRingBufferBytes(cpus int, mem uint64) int {
	n := min(max(cpus*ringBytesPerCPU, minRingBytes), maxRingBytes)
	if mem > 0 && uint64(n) > mem/32 {
		n = max(int(mem/32), 8<<20)
	}
	return n
}

// ringBufferSize returns the ring buffer size for a request of n bytes,
// def when n is not positive.
func ringBufferSize(n, def, pageSize int) uint32 {
	if n <= 0 {
		n = def
	}
	if n > 1<<30 {
		n = 1 << 30
	}
	size := pageSize
	for size < n {
		size <<= 1
	}
	return uint32(size)
}
