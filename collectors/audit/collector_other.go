//go:build !(linux && (amd64 || arm64))

package audit

import (
	"fmt"
	"os"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Collector reads syscall events from the kernel's audit subsystem; it
// runs on linux/amd64 only.
type Collector struct{}

var _ collectors.Collector = (*Collector)(nil)

// New returns an error wrapping collectors.ErrNotSupported: the collector
// knows the x86_64 syscall numbers only.
func New(Options) (*Collector, error) {
	return nil, fmt.Errorf("audit: %w on this platform", collectors.ErrNotSupported)
}

// Name returns "audit".
func (c *Collector) Name() string { return "audit" }

// Mode returns "".
func (c *Collector) Mode() string { return "" }

// Watched returns no type.
func (c *Collector) Watched() event.TypeSet { return event.TypeSet{} }

// SetPlan returns an error wrapping collectors.ErrNotSupported.
func (c *Collector) SetPlan(event.TypeSet, []Exclusion) error {
	return fmt.Errorf("audit: %w on this platform", collectors.ErrNotSupported)
}

// Excluded returns nil.
func (c *Collector) Excluded() []Exclusion { return nil }

// Read returns os.ErrClosed.
func (c *Collector) Read(*collectors.Record) error { return os.ErrClosed }

// Close does nothing.
func (c *Collector) Close() error { return nil }

// Stats returns zero counters.
func (c *Collector) Stats() collectors.Stats { return collectors.Stats{} }
