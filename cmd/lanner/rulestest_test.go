package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/rulestest"
)

// TestDefaultRuleCases runs rules/tests with the compiled rules and the
// interpreter, and checks that every default rule has a case where it
// fires and one where it stays silent.
func TestDefaultRuleCases(t *testing.T) {
	root := testutil.Root(t)
	cmd := exec.Command(lanner(t), "rules", "test", "--rules", filepath.Join(root, "rules", "lanner_rules.yaml"), filepath.Join(root, "rules", "tests"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rules test: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), " 0 failed") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	cases, err := rulestest.Load(filepath.Join(root, "rules", "tests"))
	if err != nil {
		t.Fatal(err)
	}
	fire, silent := map[string]bool{}, map[string]bool{}
	for _, c := range cases {
		for _, n := range c.Fire {
			fire[n] = true
		}
		for _, n := range c.Silent {
			silent[n] = true
		}
	}
	for _, r := range compiled.Rules {
		if !fire[r.Name] {
			t.Errorf("rule %q has no case where it fires", r.Name)
		}
		if !silent[r.Name] {
			t.Errorf("rule %q has no case where it stays silent", r.Name)
		}
	}
}

// TestRulesTestFails shows the runner failing: a case expecting the wrong
// outcome must be reported and exit with status 1.
func TestRulesTestFails(t *testing.T) {
	p := filepath.Join(t.TempDir(), "broken.yaml")
	broken := `- case: a harmless open expected to alert
  events:
    - type: openat
      res: 3
      proc: {pid: 10, name: cat, exepath: /usr/bin/cat, uid: 0, gid: 0, user: root}
      fd: {kind: f, num: 3, name: /tmp/harmless}
      args: {flags: 0, name: /tmp/harmless}
  fire: [Credential Store Read By Untrusted Program]
`
	if err := os.WriteFile(p, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lanner(t), "rules", "test", p).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "FAIL") || !strings.Contains(string(out), "did not fire") || !strings.Contains(string(out), "0 passed, 1 failed") {
		t.Errorf("output does not report the failure:\n%s", out)
	}
}
