//go:build lanner_upstream

package difftest

import (
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/internal/upstream"
	"github.com/lannersec/lanner/lang"
)

func TestUpstreamInner(t *testing.T) {
	prog, err := lang.LoadPaths(testutil.UpstreamRules(t)...)
	if err != nil {
		t.Fatal(err)
	}
	if len(prog.Rules) != 93 {
		t.Fatalf("%d rules, want 93", len(prog.Rules))
	}
	Compare(t, prog, upstream.Rules, eventsPerRun)
}
