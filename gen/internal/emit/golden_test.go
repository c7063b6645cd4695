package emit_test

import (
	"slices"
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/gen/internal/emit/testdata/small"
	"github.com/lannersec/lanner/ruleset"
)

// TestGoldenRuns uses the golden package: it must compile and match.
func TestGoldenRuns(t *testing.T) {
	if len(small.Rules) != 5 {
		t.Fatalf("%d rules, want 5", len(small.Rules))
	}
	shell := &event.Process{Name: "bash", Parent: &event.Process{Name: "nginx", Parent: &event.Process{Name: "systemd"}}}
	shell.SetArgs([]string{"-c", "id"})
	ev := &event.Event{Type: event.TypeExecve, Proc: shell}
	r := small.Rules[0]
	if !r.Match(ev) {
		t.Fatal("Shell spawned did not match")
	}
	if got := string(r.Format(nil, ev)); got != "shell bash started by nginx (cmdline=bash -c id gp=systemd tty=0)" {
		t.Errorf("output %q", got)
	}
	shell.Parent.Name = "sshd"
	if r.Match(ev) {
		t.Error("Shell spawned matched a shell started by sshd")
	}
	if len(r.EvtTypes) != 2 || r.EvtTypes[0] != event.TypeExecve {
		t.Errorf("event types %v", r.EvtTypes)
	}
}

// TestGoldenFolded runs the rule whose condition has constant parts: they
// are folded out of the matcher, not out of the three-valued condition.
func TestGoldenFolded(t *testing.T) {
	r := small.Rules[4]
	if r.Name != "Secret read by a shell" {
		t.Fatalf("rule 4 is %q", r.Name)
	}
	proc := &event.Process{Name: "bash", Parent: &event.Process{Name: "sshd"}}
	ev := &event.Event{Type: event.TypeOpenat, Proc: proc, FD: event.FD{Kind: event.FDFile, Name: "/etc/shadow"}}
	if !r.Match(ev) {
		t.Fatal("a shell reading /etc/shadow did not match")
	}
	proc.Name = "cat"
	if r.Match(ev) {
		t.Error("cat matched a rule for shells")
	}
	proc.Name = "sh"
	known := func(fields ...string) *ruleset.Facts {
		return &ruleset.Facts{Event: ev, Known: func(f string) bool { return slices.Contains(fields, f) }}
	}
	if got := r.Possible(known("evt.type", "fd.name", "fd.directory", "proc.name", "proc.pname")); got != ruleset.True {
		t.Errorf("every field known: %v, want True", got)
	}
	// proc.pname unknown: "not (proc.pname in () and ...)" stays Unknown,
	// as in the interpreter.
	if got := r.Possible(known("evt.type", "fd.name", "fd.directory", "proc.name")); got != ruleset.Unknown {
		t.Errorf("proc.pname unknown: %v, want Unknown", got)
	}
}

// TestGoldenAncestorTransformer runs a check of a transformed ancestor
// field, toupper(proc.aname) = SSHD: it holds when some ancestor's name,
// upper-cased, is SSHD.
func TestGoldenAncestorTransformer(t *testing.T) {
	r := small.Rules[3]
	if r.Name != "Misc" {
		t.Fatalf("rule 3 is %q", r.Name)
	}
	proc := &event.Process{Name: "cat", Parent: &event.Process{Name: "bash", Parent: &event.Process{Name: "init"}}}
	ev := &event.Event{Type: event.TypeOpenat, Proc: proc, FD: event.FD{Kind: event.FDFile, Name: "/etc/hosts"}}
	if r.Match(ev) {
		t.Fatal("Misc matched without an sshd ancestor")
	}
	proc.Parent.Parent.Name = "sshd"
	if !r.Match(ev) {
		t.Error("Misc did not match with sshd as grandparent")
	}
}
