package bench

import (
	"path/filepath"
	"testing"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
)

// evalAll runs every event of the stream through the rules (every match
// fires, so each event is tested against all the rules of its type).
func evalAll(b *testing.B, rules []*ruleset.Rule, evs []*event.Event) {
	set := ruleset.New(rules, ruleset.Selection{}, ruleset.MatchAll)
	fired := 0
	fire := func(*ruleset.Rule, *event.Event) { fired++ }
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		set.Eval(evs[i%len(evs)], fire)
		i++
	}
	b.ReportMetric(float64(fired)/float64(i), "alerts/event")
}

func defaultRules(b *testing.B) *lang.Program {
	prog, err := lang.LoadPaths(filepath.Join(testutil.Root(b), "rules", "lanner_rules.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	return prog
}

// BenchmarkDefaultRulesCompiled evaluates the default rules as compiled
// into the binary.
func BenchmarkDefaultRulesCompiled(b *testing.B) {
	evalAll(b, compiled.Rules, Mix(4096))
}

// BenchmarkDefaultRulesInterpreted evaluates the same rules with the
// interpreter.
func BenchmarkDefaultRulesInterpreted(b *testing.B) {
	evalAll(b, interp.Rules(defaultRules(b)), Mix(4096))
}

// TestCompiledAllocs checks that evaluating the compiled default rules
// allocates nothing per event.
func TestCompiledAllocs(t *testing.T) {
	set := ruleset.New(compiled.Rules, ruleset.Selection{}, ruleset.MatchAll)
	evs := Mix(1024)
	fire := func(*ruleset.Rule, *event.Event) {}
	for _, ev := range evs { // warm caches (rendered flag texts)
		set.Eval(ev, fire)
	}
	i := 0
	if n := testing.AllocsPerRun(10000, func() { set.Eval(evs[i%len(evs)], fire); i++ }); n != 0 {
		t.Errorf("compiled evaluation allocates %.2f times per event", n)
	}
}
