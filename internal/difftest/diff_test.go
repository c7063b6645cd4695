package difftest

import (
	"bytes"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
)

// eventsPerRun is how many random events each differential run checks.
const eventsPerRun = 200000

// Compare feeds random events to the rules of prog, interpreted, and to
// compiledRules, and reports every difference in verdict or output.
func Compare(t *testing.T, prog *lang.Program, compiledRules []*ruleset.Rule, n int) {
	t.Helper()
	interpreted := interp.Rules(prog)
	if len(interpreted) != len(compiledRules) {
		t.Fatalf("interpreter has %d rules, compiled code %d", len(interpreted), len(compiledRules))
	}
	for i := range interpreted {
		if interpreted[i].Name != compiledRules[i].Name {
			t.Fatalf("rule %d: %q vs %q", i, interpreted[i].Name, compiledRules[i].Name)
		}
	}
	g := &Generator{L: Gather(prog), R: rand.New(rand.NewPCG(1, 2))}
	fired := make([]int, len(interpreted))
	var a, b []byte
	failures := 0
	for k := 0; k < n && failures < 20; k++ {
		ev := g.Event()
		for i, ir := range interpreted {
			cr := compiledRules[i]
			mi, mc := ir.Match(ev), cr.Match(ev)
			if mi != mc {
				failures++
				t.Errorf("rule %q, event %d (%s): interpreter %v, compiled %v", ir.Name, k, ev.Type, mi, mc)
				continue
			}
			if mi {
				fired[i]++
			}
			if k%10 == 0 && !compareCond(t, ir, cr, ev, uint64(k)) {
				failures++
			}
			if mi || k%50 == 0 {
				a, b = ir.Format(a[:0], ev), cr.Format(b[:0], ev)
				if !bytes.Equal(a, b) {
					failures++
					t.Errorf("rule %q output differs:\ninterpreter %q\ncompiled    %q", ir.Name, a, b)
				}
			}
		}
	}
	hit := 0
	for _, n := range fired {
		if n > 0 {
			hit++
		}
	}
	t.Logf("%d events, %d of %d rules fired at least once", n, hit, len(interpreted))
}

// compareCond checks the rules' three-valued conditions on facts that know
// ev's value of a pseudo-random half of the fields (seeded by seed), and
// of every field: both forms must agree, a known verdict must be ev's
// verdict, and with every field known the verdict must be known.
func compareCond(t *testing.T, ir, cr *ruleset.Rule, ev *event.Event, seed uint64) bool {
	t.Helper()
	want := ruleset.TriOf(ir.Match(ev))
	half := &ruleset.Facts{Event: ev, Known: func(field string) bool {
		h := fnv.New64a()
		h.Write([]byte(field))
		return (h.Sum64()^seed)&1 == 0
	}}
	all := &ruleset.Facts{Event: ev, Known: func(string) bool { return true }}
	for _, f := range []*ruleset.Facts{half, all} {
		ti, tc := ir.Possible(f), cr.Possible(f)
		switch {
		case ti != tc:
			t.Errorf("rule %q, event %s: three-valued condition: interpreter %v, compiled %v", ir.Name, ev.Type, ti, tc)
			return false
		case ti != ruleset.Unknown && ti != want:
			t.Errorf("rule %q, event %s: three-valued condition %v, match %v", ir.Name, ev.Type, ti, want)
			return false
		case f == all && ti != want:
			t.Errorf("rule %q, event %s: every field known, condition %v, match %v", ir.Name, ev.Type, ti, want)
			return false
		}
	}
	return true
}

// TestDefaultRules compares the default rules compiled into package
// compiled with the interpreter.
func TestDefaultRules(t *testing.T) {
	prog, err := lang.LoadPaths(filepath.Join(testutil.Root(t), "rules", "lanner_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	Compare(t, prog, compiled.Rules, eventsPerRun/4)
}

// TestUpstreamRules compiles the three upstream rules files into package
// upstream through an overlay and runs TestUpstreamInner against it.
func TestUpstreamRules(t *testing.T) {
	if os.Getenv("LANNER_DIFF_INNER") != "" {
		t.Skip("inner run")
	}
	overlay := testutil.CompileOverlay(t, "upstream", "internal/upstream", testutil.UpstreamRules(t)...)
	cmd := exec.Command("go", "test", "-count=1", "-tags", "lanner_upstream", "-overlay", overlay, "-run", "^TestUpstreamInner$", "-v", ".")
	cmd.Dir = filepath.Join(testutil.Root(t), "internal", "difftest")
	cmd.Env = append(os.Environ(), "LANNER_DIFF_INNER=1")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("inner differential test failed: %v", err)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestUpstreamInner")) {
		t.Fatal("inner differential test did not run")
	}
}
