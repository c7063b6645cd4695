package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/ruleset"
)

// TestAssess: fields a collector lacks on some event types only, and
// event types this kernel lacks, show in the coverage of the rules that
// need them.
func TestAssess(t *testing.T) {
	dupRule := &ruleset.Rule{Name: "dup", EvtTypes: []event.Type{event.TypeDup, event.TypeDup2, event.TypeDup3},
		CondFields: []string{"evt.rawres", "fd.typechar", "proc.name"}}
	connectRule := &ruleset.Rule{Name: "connect", EvtTypes: []event.Type{event.TypeConnect},
		CondFields: []string{"fd.typechar", "fd.sip"}}
	moduleRule := &ruleset.Rule{Name: "module", EvtTypes: []event.Type{event.TypeInitModule, event.TypeFinitModule},
		CondFields: []string{"proc.name"}}
	noModules := capabilities("ebpf")
	noModules.Types.Remove(event.TypeInitModule)
	noModules.Types.Remove(event.TypeFinitModule)
	for _, c := range []struct {
		rule   *ruleset.Rule
		caps   string
		level  string
		reason string
	}{
		{dupRule, "ebpf", coverFull, ""},
		{dupRule, "audit", coverPartial, "fd.typechar: audit does not say what a duplicated descriptor refers to"},
		{connectRule, "audit", coverFull, ""},
		{moduleRule, "ebpf", coverFull, ""},
		{moduleRule, "ebpf without modules", coverBlind, "sees none of its event types (init_module,finit_module)"},
	} {
		caps := capabilities(c.caps)
		if c.caps == "ebpf without modules" {
			caps = noModules
		}
		rc := assess(c.rule, caps)
		if rc.Level != c.level || !strings.Contains(strings.Join(rc.Reasons, "; "), c.reason) {
			t.Errorf("%s with %s: %s %v, want %s %q", c.rule.Name, c.caps, rc.Level, rc.Reasons, c.level, c.reason)
		}
	}
}

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
