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
	// power of two of at least a page; 0 means 8 MiB.
	RingBufferBytes int
	// Tee, when set, receives every raw record before it is decoded
	// (`lanner record --raw`, the pipeline benchmark's input). raw is
	// valid only during the call.
	Tee func(raw []byte)
	// Notify, when set, gets the collector's notices: another process
	// changed its maps (NoticeTampered), and the collector put them back
	// (NoticeRepaired).
	Notify collectors.Notify

	// rawSyscalls makes the collector use the raw_syscalls programs as
	// if tracefs were missing (tests).
	rawSyscalls bool
}

// DefaultRingBufferBytes is the ring buffer size used when
// Options.RingBufferBytes is 0.
const DefaultRingBufferBytes = 8 << 20

// ringBufferSize returns the ring buffer size for a request of n bytes.
func ringBufferSize(n, pageSize int) uint32 {
	if n <= 0 {
		n = DefaultRingBufferBytes
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
