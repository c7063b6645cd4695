package ebpf

import "github.com/lannersec/lanner/collectors"

// Capabilities are what the eBPF collector can see on a kernel that has
// every syscall: every syscall event type, every field but those no
// collector fills.
func Capabilities() collectors.Capabilities {
	return collectors.Capabilities{Types: collectors.SyscallTypes(), Missing: collectors.NotCollected()}
}

// Capabilities are what the started collector sees: Capabilities less the
// event types of syscalls this kernel lacks, with its mode, ring buffer
// size and the types it watches.
func (c *Collector) Capabilities() collectors.Capabilities {
	caps := Capabilities()
	for _, t := range c.Absent() {
		caps.Types.Remove(t)
	}
	caps.Mode, caps.RingBufferBytes, caps.Watched = c.Mode(), c.RingBufferBytes(), c.Watched()
	return caps
}
