package main

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
)

var (
	coverageSummary = regexp.MustCompile(`coverage with (\w+): (\d+) rules fully served, (\d+) partly, (\d+) blind`)
	runCoverage     = regexp.MustCompile(`msg=coverage collector=(\w+) full=(\d+) partial=(\d+) blind=(\d+)`)
)

// TestLiveCoverageAgrees: `lanner collectors` counts the rules each
// available collector serves as `lanner run` with it does, syscalls this
// kernel lacks included.
func TestLiveCoverageAgrees(t *testing.T) {
	testutil.LockKernel(t)
	out, err := exec.Command(lanner(t), "collectors").CombinedOutput()
	if err != nil {
		t.Fatalf("collectors: %v\n%s", err, out)
	}
	probed := map[string]string{}
	for _, m := range coverageSummary.FindAllStringSubmatch(string(out), -1) {
		probed[m[1]] = m[0]
	}
	available := 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[1] != "available" {
			continue
		}
		available++
		run, _ := exec.Command(lanner(t), "run", "--collector", f[0], "--duration", "1ms").CombinedOutput()
		// run logs the same counts as a record.
		m := runCoverage.FindStringSubmatch(string(run))
		want := coverageSummary.FindStringSubmatch(probed[f[0]])
		if m == nil || want == nil || !slices.Equal(m[1:], want[1:]) {
			t.Errorf("%s: run says %q, collectors %q\n%s", f[0], m, probed[f[0]], run)
		}
	}
	if available == 0 {
		t.Fatalf("no collector available:\n%s", out)
	}
}
