package main

import (
	"strings"
	"testing"

	"github.com/lannersec/lanner/event"
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
