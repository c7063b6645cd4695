//go:build !linux

package metrics

import "time"

type usage struct {
	rss, vsz, cpuSeconds float64
}

// selfUsage is not known outside Linux.
func selfUsage() (usage, bool) { return usage{}, false }

// processStart is the time of the first call outside Linux.
func processStart() time.Time { return time.Now() }
