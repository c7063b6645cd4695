//go:build lanner_upstream

package bench

import (
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/internal/upstream"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
)

// BenchmarkRulesCompiled evaluates the 93 upstream rules compiled to Go
// (package upstream, supplied by `make bench` through an overlay).
func BenchmarkRulesCompiled(b *testing.B) {
	evalAll(b, upstream.Rules, Mix(4096))
}

// BenchmarkRulesInterpreted evaluates the same rules with the interpreter.
func BenchmarkRulesInterpreted(b *testing.B) {
	prog, err := lang.LoadPaths(testutil.UpstreamRules(b)...)
	if err != nil {
		b.Fatal(err)
	}
	evalAll(b, interp.Rules(prog), Mix(4096))
}
