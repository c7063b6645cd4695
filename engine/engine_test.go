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
