package emit_test

import (
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/gen/internal/emit/testdata/small"
)

// TestGoldenRuns uses the golden package: it must compile and match.
func TestGoldenRuns(t *testing.T) {
	if len(small.Rules) != 4 {
		t.Fatalf("%d rules, want 4", len(small.Rules))
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
