//go:build !linux

package fanotify

import (
	"fmt"
	"os"
	"runtime"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Collector is the fanotify collector; it runs on Linux only.
type Collector struct{}

// New returns an error wrapping collectors.ErrNotSupported.
func New(opts Options) (*Collector, error) {
	return nil, fmt.Errorf("fanotify collector on %s: %w", runtime.GOOS, collectors.ErrNotSupported)
}

// Name returns "fanotify".
func (c *Collector) Name() string { return "fanotify" }

func (c *Collector) watched() event.TypeSet { return event.TypeSet{} }

// Read returns os.ErrClosed.
func (c *Collector) Read(r *collectors.Record) error { return os.ErrClosed }

// Close does nothing.
func (c *Collector) Close() error { return nil }

// Stats returns zero counters.
func (c *Collector) Stats() collectors.Stats { return collectors.Stats{} }

var _ collectors.Collector = (*Collector)(nil)
