package pipeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors/audit"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
)

// interpSet compiles rules given as YAML for the interpreter.
func interpSet(t *testing.T, yaml string) *ruleset.Set {
	t.Helper()
	rs, err := lang.Load(lang.File{Name: "test.yaml", Data: []byte(yaml)})
	if err != nil {
		t.Fatal(err)
	}
	return ruleset.New(interp.Rules(rs), ruleset.Selection{}, ruleset.MatchAll)
}

const planRules = `
- rule: redirect
  desc: d
  condition: evt.type in (dup, dup2, dup3) and evt.rawres in (0, 1, 2) and fd.type in (ipv4, ipv6)
  output: o
  priority: NOTICE
- rule: shadow
  desc: d
  condition: evt.type in (open, openat) and fd.name = /etc/shadow
  output: o
  priority: WARNING
- rule: packet
  desc: d
  condition: evt.type = socket and evt.arg.domain contains AF_PACKET and not proc.name = tcpdump
  output: o
  priority: NOTICE
- rule: exec
  desc: d
  condition: evt.type = execve and proc.name = nc
  output: o
  priority: NOTICE
`

// TestPlanAudit: the audit plan leaves out what no rule can match, and
// nothing else.
func TestPlanAudit(t *testing.T) {
	p := planAudit(interpSet(t, planRules), Capabilities("audit"), true)
	if want := []event.Type{event.TypeDup, event.TypeDup2, event.TypeDup3}; !slices.Equal(p.Unmatchable, want) {
		t.Errorf("unmatchable %v, want %v", p.Unmatchable, want)
	}
	for _, ty := range []event.Type{event.TypeOpen, event.TypeOpenat, event.TypeSocket, event.TypeExecve} {
		if !p.Types.Has(ty) {
			t.Errorf("%s is not audited", ty)
		}
	}
	var paths []string
	var families []uint32
	for _, x := range p.Exclusions {
		switch {
		case x.Path != "":
			paths = append(paths, x.Path)
			if !slices.Equal(x.Types, []event.Type{event.TypeOpen, event.TypeOpenat}) {
				t.Errorf("exclusion %s applies to %v", x, x.Types)
			}
		default:
			families = append(families, x.Value)
			if x.Arg != 0 || !slices.Equal(x.Types, []event.Type{event.TypeSocket}) {
				t.Errorf("exclusion %s applies to %v", x, x.Types)
			}
		}
	}
	if !slices.Contains(paths, "/dev/null") {
		t.Errorf("opens of /dev/null are audited (exclusions %v)", p.Exclusions)
	}
	if !slices.Equal(families, socketFamilies) {
		t.Errorf("socket families excluded: %v, want %v", families, socketFamilies)
	}
	if d := p.describe(p.Exclusions); !strings.Contains(d, "dup,dup2,dup3 (no rule can match what audit logs of them)") ||
		!strings.Contains(d, "socket with a0 in 1,2,10,16") || !strings.Contains(d, "open,openat with path in /dev/null,") {
		t.Errorf("describe: %s", d)
	}

	// Without exclusions only the unmatchable types go.
	if p := planAudit(interpSet(t, planRules), Capabilities("audit"), false); len(p.Exclusions) != 0 || len(p.Unmatchable) != 3 {
		t.Errorf("without exclusions: %+v", p)
	}
}

// TestPlanAuditKeeps: rules that might match keep their calls audited.
func TestPlanAuditKeeps(t *testing.T) {
	for _, c := range []struct{ name, cond string }{
		{"dup without fd", "evt.type = dup2 and evt.rawres = 0"},
		{"negated fd", "evt.type = dup2 and not fd.type = ipv4"},
		{"any open", "evt.type = openat and proc.name = cat"},
		{"dev prefix", "evt.type = openat and fd.name startswith /dev/"},
		{"dev directory", "evt.type = openat and fd.directory = /dev"},
		{"by raw name", "evt.type = openat and fd.nameraw contains null"},
		{"not shadow", "evt.type = openat and not fd.name = /etc/shadow"},
		{"inet socket", "evt.type = socket and evt.arg.domain = AF_INET"},
		{"socket args", "evt.type = socket and evt.args contains AF_INET"},
		{"no type", "proc.name = nc"},
	} {
		set := interpSet(t, "- rule: r\n  desc: d\n  condition: "+c.cond+"\n  output: o\n  priority: NOTICE\n")
		p := planAudit(set, Capabilities("audit"), true)
		types := set.Types()
		if len(p.Unmatchable) > 0 {
			t.Errorf("%s: unmatchable %v", c.name, p.Unmatchable)
		}
		for _, x := range p.Exclusions {
			for _, ty := range x.Types {
				if types.Has(ty) && (x.Path == "/dev/null" || x.Value == 2 || strings.Contains(c.cond, "dup")) {
					t.Errorf("%s: excludes %s of %s", c.name, x, ty)
				}
			}
		}
	}
}

// TestPlanAuditUpstream: with Falco's default rules only the dup calls of
// the stdout redirection rule, which needs the fd's type, are left out.
func TestPlanAuditUpstream(t *testing.T) {
	rs, err := lang.LoadPaths(testutil.Shared(t, "falco-rules/falco_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set := ruleset.New(interp.Rules(rs), ruleset.Selection{}, ruleset.MatchAll)
	p := planAudit(set, Capabilities("audit"), true)
	if want := []event.Type{event.TypeDup, event.TypeDup2, event.TypeDup3}; !slices.Equal(p.Unmatchable, want) {
		t.Errorf("unmatchable %v, want %v", p.Unmatchable, want)
	}
	if !slices.ContainsFunc(p.Exclusions, func(x audit.Exclusion) bool { return x.Path == "/dev/null" }) {
		t.Errorf("opens of /dev/null audited: %v", p.Exclusions)
	}
	report := CoverageReport(set, Capabilities("audit"))
	for _, rc := range report {
		if rc.Rule == "Redirect STDOUT/STDIN to Network Connection in Container" && rc.Level != CoverBlind {
			t.Errorf("%s: %s %v, want blind", rc.Rule, rc.Level, rc.Reasons)
		}
	}
}

// TestReadsField: a field counts as read when a condition or an output
// names it.
func TestReadsField(t *testing.T) {
	inCond := interpSet(t, "- rule: r\n  desc: d\n  condition: evt.type = execve and proc.env contains LD_PRELOAD\n  output: o\n  priority: NOTICE\n")
	inOutput := interpSet(t, "- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: env=%proc.env\n  priority: NOTICE\n")
	neither := interpSet(t, "- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: o %proc.name\n  priority: NOTICE\n")
	if !readsField(inCond, "proc.env") || !readsField(inOutput, "proc.env") || readsField(neither, "proc.env") {
		t.Error("readsField")
	}
}

// TestPlanAuditProtocols: a rule that reads fd.l4proto has the socket
// calls of IP sockets audited (audit logs a socket's protocol only there),
// even when no rule matches socket events; those of other families stay
// excluded.
func TestPlanAuditProtocols(t *testing.T) {
	const rules = `
- rule: udp out
  desc: d
  condition: evt.type = connect and fd.l4proto = udp and proc.name = ls
  output: o
  priority: NOTICE
- rule: packet
  desc: d
  condition: evt.type = socket and evt.arg.domain contains AF_PACKET
  output: o
  priority: NOTICE
`
	for _, exclusions := range []bool{true, false} {
		p := planAudit(interpSet(t, rules), Capabilities("audit"), exclusions)
		if !p.Protocols || !p.Types.Has(event.TypeSocket) || !p.Types.Has(event.TypeConnect) || len(p.Unmatchable) != 0 {
			t.Errorf("exclusions %v: plan %+v", exclusions, p)
		}
		var families []uint32
		for _, x := range p.Exclusions {
			if x.Path == "" {
				families = append(families, x.Value)
			}
		}
		want := []uint32{1, 16}
		if !exclusions {
			want = nil
		}
		if !slices.Equal(families, want) {
			t.Errorf("exclusions %v: socket families excluded %v, want %v", exclusions, families, want)
		}
	}

	// Without such a rule, socket calls no rule matches are not audited.
	p := planAudit(interpSet(t, "- rule: r\n  desc: d\n  condition: evt.type = connect and proc.name = ls\n  output: o\n  priority: NOTICE\n"),
		Capabilities("audit"), true)
	if p.Protocols || p.Types.Has(event.TypeSocket) {
		t.Errorf("plan %+v", p)
	}
}

// TestPlanAuditBind: a rule on listen or accept has bind audited too, for
// the address of the listening socket; without one bind is not.
func TestPlanAuditBind(t *testing.T) {
	p := planAudit(interpSet(t, "- rule: r\n  desc: d\n  condition: evt.type = accept4 and fd.sport = 22\n  output: o\n  priority: NOTICE\n"),
		Capabilities("audit"), true)
	if !p.Types.Has(event.TypeBind) || !p.Types.Has(event.TypeAccept4) || slices.Contains(p.Unmatchable, event.TypeBind) {
		t.Errorf("plan %+v", p)
	}
	p = planAudit(interpSet(t, "- rule: r\n  desc: d\n  condition: evt.type = connect and fd.sport = 22\n  output: o\n  priority: NOTICE\n"),
		Capabilities("audit"), true)
	if p.Types.Has(event.TypeBind) {
		t.Errorf("plan %+v", p)
	}
}
