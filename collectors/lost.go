package collectors

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// DefaultLossInterval is how often a LossReporter reports further losses
// after the first.
const DefaultLossInterval = time.Minute

// LossReporter turns a collector's growing loss counters into notices of
// kind NoticeLost, as Falco's "syscall event drop" does: the first loss
// of a run at once, then at most one notice per Interval with the losses
// since the previous one. A collector calls Update with its counters from
// one goroutine (it is not safe for concurrent use).
type LossReporter struct {
	// Collector is the collector's name in the notices.
	Collector string
	// What says what was lost and why, e.g. "records lost (ring buffer
	// full)".
	What string
	// Notify receives the notices; nil reports nothing.
	Notify Notify
	// Interval is the shortest time between two notices; 0 means
	// DefaultLossInterval.
	Interval time.Duration

	reported       uint64
	reportedByType map[string]uint64
	last           time.Time
}

// Update takes the collector's loss counters at now: total, and the part
// of it by event type (may be nil). It returns whether it sent a notice.
func (l *LossReporter) Update(now time.Time, total uint64, byType map[string]uint64) bool {
	if l.Notify == nil || total <= l.reported {
		return false
	}
	every := l.Interval
	if every <= 0 {
		every = DefaultLossInterval
	}
	first := l.reported == 0
	if !first && now.Sub(l.last) < every {
		return false
	}
	var b strings.Builder
	n := total - l.reported
	if first {
		fmt.Fprintf(&b, "%s: %d %s", l.Collector, n, l.What)
	} else {
		fmt.Fprintf(&b, "%s: %d more %s in the last %s (%d in all)", l.Collector, n, l.What,
			now.Sub(l.last).Round(time.Second), total)
	}
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(byType)) {
		if d := byType[t] - l.reportedByType[t]; byType[t] > l.reportedByType[t] {
			parts = append(parts, fmt.Sprintf("%s %d", t, d))
		}
	}
	if len(parts) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(parts, ", "))
	}
	l.reported, l.last = total, now
	l.reportedByType = maps.Clone(byType)
	l.Notify(Notice{Time: now.UnixNano(), Collector: l.Collector, Kind: NoticeLost, Message: b.String()})
	return true
}

// Watch calls Update every period with the counters losses returns, until
// stop is closed. A collector runs it in a goroutine of its own.
func (l *LossReporter) Watch(stop <-chan struct{}, period time.Duration, losses func() (total uint64, byType map[string]uint64)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			total, byType := losses()
			l.Update(now, total, byType)
		}
	}
}
