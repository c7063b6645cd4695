package pipeline

import (
	"slices"
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
	noModules := Capabilities("ebpf")
	noModules.Types.Remove(event.TypeInitModule)
	noModules.Types.Remove(event.TypeFinitModule)
	for _, c := range []struct {
		rule   *ruleset.Rule
		caps   string
		level  string
		reason string
	}{
		{dupRule, "ebpf", CoverFull, ""},
		{dupRule, "audit", CoverPartial, "fd.typechar: audit does not say what a duplicated descriptor refers to"},
		{connectRule, "audit", CoverFull, ""},
		{moduleRule, "ebpf", CoverFull, ""},
		{moduleRule, "ebpf without modules", CoverBlind, "sees none of its event types (init_module,finit_module)"},
	} {
		caps := Capabilities(c.caps)
		if c.caps == "ebpf without modules" {
			caps = noModules
		}
		rc := assess(c.rule, caps)
		if rc.Level != c.level || !strings.Contains(strings.Join(rc.Reasons, "; "), c.reason) {
			t.Errorf("%s with %s: %s %v, want %s %q", c.rule.Name, c.caps, rc.Level, rc.Reasons, c.level, c.reason)
		}
	}
}

// TestLimits: the audit collector's limits are listed with the rules whose
// conditions or outputs read the fields; its limits on some event types
// with the rules of those types only.
func TestLimits(t *testing.T) {
	set := interpSet(t, `
- rule: shadow
  desc: d
  condition: evt.type = openat and fd.directory = /etc
  output: o %fd.l4proto %evt.args
  priority: NOTICE
- rule: udp
  desc: d
  condition: evt.type = connect and fd.l4proto = udp
  output: o %evt.args
  priority: NOTICE
`)
	limits := LimitsReport(set, Capabilities("audit"))
	if len(limits) != 3 || limits[0].Field != "fd.l4proto" || !slices.Equal(limits[0].Rules, []string{"shadow", "udp"}) ||
		limits[1].Field != "fd.name,evt.args" || !slices.Equal(limits[1].Types, []string{"connect"}) ||
		!slices.Equal(limits[1].Rules, []string{"udp"}) ||
		!strings.HasPrefix(limits[2].Field, "fd.name,fd.") || !slices.Equal(limits[2].Rules, []string{"shadow"}) {
		t.Errorf("limits %+v", limits)
	}
	var out strings.Builder
	PrintLimits(&out, limits[1:2])
	if want := "lanner:   limit: fd.name,evt.args on connect (read by 1 rules): audit logs only the peer"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("printed %q, want %q...", out.String(), want)
	}
	if l := LimitsReport(set, Capabilities("ebpf")); len(l) != 0 {
		t.Errorf("ebpf limits %+v", l)
	}
}

// TestAssessOpenat2: where audit cannot log openat2's flags, a rule on
// opens for reading is partly served: its openat2 events cannot match.
func TestAssessOpenat2(t *testing.T) {
	set := interpSet(t, `
- rule: read
  desc: d
  condition: evt.type in (open, openat, openat2) and evt.is_open_read=true and fd.name = /etc/shadow
  output: o
  priority: NOTICE
`)
	caps := Capabilities("audit")
	if rc := assess(set.Rules()[0], caps); rc.Level != CoverFull && caps.MissingOn[event.TypeOpenat2] == nil {
		t.Errorf("%s %v", rc.Level, rc.Reasons)
	}
	why := "no flags"
	caps.MissingOn = map[event.Type]map[string]string{event.TypeOpenat2: {"evt.is_open_*": why, "evt.arg.flags": why}}
	rc := assess(set.Rules()[0], caps)
	if rc.Level != CoverPartial || !strings.Contains(strings.Join(rc.Reasons, "; "), "cannot match openat2 events") {
		t.Errorf("%s %v", rc.Level, rc.Reasons)
	}
}

// TestLimitsNameFields: every limit of every collector names fields that
// exist, and says why.
func TestLimitsNameFields(t *testing.T) {
	for _, name := range Names {
		caps := Capabilities(name)
		check := func(key, why string) {
			if why == "" {
				t.Errorf("%s: limit %s has no reason", name, key)
			}
			for _, f := range strings.Split(key, ",") {
				if !event.IsField(f) {
					t.Errorf("%s: limit %s names %q, not a field", name, key, f)
				}
			}
		}
		for key, why := range caps.Limits {
			check(key, why)
		}
		for _, limits := range caps.LimitsOn {
			for key, why := range limits {
				check(key, why)
			}
		}
	}
}
