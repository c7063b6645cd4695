package engine

import (
	"fmt"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/lannersec/lanner/collectors"
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
	e.cur = e.rules.Load() // as the engine loop does once per event
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

func openRule(name string, hit *atomic.Int64) *ruleset.Rule {
	return &ruleset.Rule{Name: name, Enabled: true, EvtTypes: []event.Type{event.TypeOpenat},
		Match: func(*event.Event) bool { hit.Add(1); return true }}
}

// TestSetRules: a swapped set takes effect at the next event; a rule of
// the same name keeps its alert count.
func TestSetRules(t *testing.T) {
	var hitA, hitB, hitA2 atomic.Int64
	set := func(rs ...*ruleset.Rule) *ruleset.Set { return ruleset.New(rs, ruleset.Selection{}, ruleset.MatchAll) }
	e := New(Config{Rules: set(openRule("a", &hitA))})
	ev := &event.Event{Type: event.TypeOpenat}
	e.HandleEvent(ev)
	e.SetRules(set(openRule("a", &hitA2), openRule("b", &hitB)))
	e.HandleEvent(ev)
	e.HandleEvent(ev)
	if hitA.Load() != 1 || hitA2.Load() != 2 || hitB.Load() != 2 {
		t.Errorf("old a %d, new a %d, b %d; want 1, 2, 2", hitA.Load(), hitA2.Load(), hitB.Load())
	}
	counts := map[string]uint64{}
	for _, c := range e.Stats().ByRule {
		counts[c.Rule] = c.Count
	}
	if counts["a"] != 3 || counts["b"] != 2 {
		t.Errorf("counts %v, want a 3, b 2", counts)
	}
	if s := e.Stats(); s.RulesReloads != 1 {
		t.Errorf("reloads %d", s.RulesReloads)
	}
	if e.Rules().Rules()[1].Name != "b" {
		t.Error("Rules is not the new set")
	}
}

// TestSetRulesConcurrent: sets swapped while events flow (run with -race):
// every event is evaluated by exactly one whole set.
func TestSetRulesConcurrent(t *testing.T) {
	var hits atomic.Int64
	mk := func() *ruleset.Set {
		return ruleset.New([]*ruleset.Rule{openRule("a", &hits), openRule("b", &hits)}, ruleset.Selection{}, ruleset.MatchAll)
	}
	e := New(Config{Rules: mk()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			e.SetRules(mk())
			_ = e.Stats()
		}
	}()
	ev := &event.Event{Type: event.TypeOpenat}
	n := 0
	for {
		select {
		case <-done:
			if got := hits.Load(); got != int64(2*n) {
				t.Errorf("%d matches over %d events, want two per event", got, n)
			}
			return
		default:
		}
		e.HandleEvent(ev)
		n++
	}
}

// TestHandleEventNoAlloc: evaluating an event allocates nothing, the
// load of the rules in force included.
func TestHandleEventNoAlloc(t *testing.T) {
	var hits atomic.Int64
	r := openRule("a", &hits)
	r.Match = func(*event.Event) bool { return false }
	e := New(Config{Rules: ruleset.New([]*ruleset.Rule{r}, ruleset.Selection{}, ruleset.MatchAll)})
	ev := &event.Event{Type: event.TypeOpenat}
	if n := testing.AllocsPerRun(1000, func() { e.HandleEvent(ev) }); n != 0 {
		t.Errorf("%v allocations per event", n)
	}
}

// TestStatsRuleDetails: a rule's count comes with its priority as a
// number, its source and tags, and an own alert's with source internal;
// the stats name the node.
func TestStatsRuleDetails(t *testing.T) {
	r := &ruleset.Rule{Name: "r", Enabled: true, Priority: ruleset.Error, Source: "syscall", Tags: []string{"T1", "host"},
		EvtTypes: []event.Type{event.TypeOpenat}, Match: func(*event.Event) bool { return true }}
	e := New(Config{Rules: ruleset.New([]*ruleset.Rule{r}, ruleset.Selection{}, ruleset.MatchFirst), Hostname: "node-1"})
	e.HandleEvent(&event.Event{Type: event.TypeOpenat})
	e.Notify(collectors.Notice{Kind: collectors.NoticeLost, Collector: "ebpf", Message: "lost"})
	s := e.Stats()
	if s.Hostname != "node-1" || s.Running || s.Failure != "" {
		t.Errorf("hostname %q running %v failure %q", s.Hostname, s.Running, s.Failure)
	}
	var got []string
	for _, c := range s.ByRule {
		got = append(got, fmt.Sprintf("%s/%s/%d/%s/%v/%d", c.Rule, c.Priority, c.Level, c.Source, c.Tags, c.Count))
	}
	sort.Strings(got)
	want := []string{"Lanner Events Lost/Critical/2/internal/[]/1", "r/Error/3/syscall/[T1 host]/1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ByRule %v, want %v", got, want)
	}
}
