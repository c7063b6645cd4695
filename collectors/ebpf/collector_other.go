//go:build !(linux && (amd64 || arm64))

package ebpf

import (
	"fmt"
	"os"
	"runtime"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Collector is the eBPF collector; it runs on linux/amd64 and
// linux/arm64 only.
type Collector struct{}

// New returns an error wrapping collectors.ErrNotSupported: the eBPF
// collector runs on linux/amd64 and linux/arm64 only.
func New(opts Options) (*Collector, error) {
	return nil, fmt.Errorf("ebpf collector on %s/%s: %w", runtime.GOOS, runtime.GOARCH, collectors.ErrNotSupported)
}

// Name returns "ebpf".
func (c *Collector) Name() string { return "ebpf" }

// Mode returns "none".
func (c *Collector) Mode() string { return "none" }

// Absent returns nil.
func (c *Collector) Absent() []event.Type { return nil }

// RingBufferBytes returns 0.
func (c *Collector) RingBufferBytes() int { return 0 }

// Watched returns no type.
func (c *Collector) Watched() event.TypeSet { return event.TypeSet{} }

// Read returns os.ErrClosed.
func (c *Collector) Read(r *collectors.Record) error { return os.ErrClosed }

// Close does nothing.
func (c *Collector) Close() error { return nil }

// Stats returns zero counters.
func (c *Collector) Stats() collectors.Stats { return collectors.Stats{} }

var _ collectors.Collector = (*Collector)(nil)
