package engine

import (
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// TestRateLimit: a rule limited to 2 alerts per second with bursts of 3
// raises 3 alerts at once, then one more per half second of event time.
func TestRateLimit(t *testing.T) {
	r := &ruleset.Rule{Name: "r", Enabled: true, EvtTypes: []event.Type{event.TypeOpenat},
		Match: func(*event.Event) bool { return true }}
	e := New(Config{Rules: ruleset.New([]*ruleset.Rule{r}, ruleset.Selection{}, ruleset.MatchFirst), Rate: 2, MaxBurst: 3})
	t0 := int64(1_700_000_000_000_000_000)
	for i := 0; i < 10; i++ { // ten events in the same instant
		e.HandleEvent(&event.Event{Type: event.TypeOpenat, Time: t0})
	}
	for i := 1; i <= 4; i++ { // then one every 500 ms
		e.HandleEvent(&event.Event{Type: event.TypeOpenat, Time: t0 + int64(i)*500_000_000})
	}
	s := e.Stats()
	if s.Alerts != 7 || s.Suppressed != 7 {
		t.Errorf("alerts %d suppressed %d, want 7 and 7", s.Alerts, s.Suppressed)
	}
	if len(s.ByRule) != 1 || s.ByRule[0].Count != 7 {
		t.Errorf("by rule: %+v", s.ByRule)
	}
}

// TestRateLimitAllocatesNothing: the per-rule limit costs no allocation per
// event, whether the alert passes or is suppressed.
func TestRateLimitAllocatesNothing(t *testing.T) {
	r := &ruleset.Rule{Name: "r", Enabled: true}
	e := New(Config{Rules: ruleset.New([]*ruleset.Rule{r}, ruleset.Selection{}, ruleset.MatchFirst), Rate: 1000, MaxBurst: 5})
	now := int64(1_700_000_000_000_000_000)
	allocs := testing.AllocsPerRun(1000, func() {
		now += 100_000 // 0.1 ms: some pass, some are suppressed
		e.allow(r, now)
	})
	if allocs != 0 {
		t.Errorf("allow allocates %v times per event", allocs)
	}
}

// TestRateLimitBurst: MaxBurst is a whole number of alerts, at least one.
func TestRateLimitBurst(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want int
	}{{0, 1}, {-3, 1}, {0.5, 1}, {1, 1}, {2.9, 2}, {1e300, 1<<31 - 1}} {
		if got := burst(tc.in); got != tc.want {
			t.Errorf("burst(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
