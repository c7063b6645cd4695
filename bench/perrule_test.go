package bench

import (
	"testing"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/event"
)

// BenchmarkPerRule measures each default rule alone on the events of the
// stream it can match (its event types), in ns per evaluated event.
func BenchmarkPerRule(b *testing.B) {
	evs := Mix(4096)
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
