package bench

import (
	"testing"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/event"
)

// perRuleSample bounds the events each rule is measured on: 256 events of
// its types, spread evenly over the recording. They stay in the CPU caches,
// as the event the engine evaluates does while every rule of its type
// reads it; over the whole recording, the first rule to read an event's
// strings would pay a cache miss that in the engine all rules share.
const perRuleSample = 256

// BenchmarkPerRule measures each default rule alone on events of the
// recorded ordinary activity (testdata/activity.jsonl.gz) whose type it can
// match, in ns per evaluated event. BenchmarkPerRule/(all) is the whole
// default ruleset on the whole recording, every matching rule firing, in ns
// per event. Rules none of whose event types occur in the recording are
// left out.
func BenchmarkPerRule(b *testing.B) {
	evs := Activity(b)
	b.Run("(all)", func(b *testing.B) { evalAll(b, compiled.Rules, evs) })
	for _, r := range compiled.Rules {
		var mine []*event.Event
		for _, ev := range evs {
			for _, t := range r.EvtTypes {
				if ev.Type == t {
					mine = append(mine, ev)
					break
				}
			}
		}
		if len(mine) == 0 {
			continue
		}
		if len(mine) > perRuleSample {
			sample := make([]*event.Event, perRuleSample)
			for i := range sample {
				sample[i] = mine[i*len(mine)/perRuleSample]
			}
			mine = sample
		}
		b.Run(r.Name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Match(mine[i%len(mine)])
				i++
			}
		})
	}
}
