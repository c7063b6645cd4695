package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
)

var coverageSummary = regexp.MustCompile(`coverage with (\w+): (\d+) rules fully served, (\d+) partly, (\d+) blind`)

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
		m := coverageSummary.FindString(string(run))
		if m == "" || m != probed[f[0]] {
			t.Errorf("%s: run says %q, collectors %q\n%s", f[0], m, probed[f[0]], run)
		}
	}
	if available == 0 {
		t.Fatalf("no collector available:\n%s", out)
	}
}
