package state

import (
	"testing"

	"github.com/lannersec/lanner/collectors"
)

// TestExecBeforeFork: a collector that reports syscalls at their exit
// (audit) delivers a vfork'd child's exec before the parent's clone. The
// late fork record must not replace the exec'd description.
func TestExecBeforeFork(t *testing.T) {
	tb := New(Options{ProcRoot: t.TempDir(), HostRoot: t.TempDir()})
	const t0 = int64(1_700_000_000_000_000_000)
	tb.Apply(&collectors.Record{Kind: collectors.KindExec, PID: 100, Time: t0,
		Exec: collectors.Exec{Comm: "parent", ExePath: "/usr/bin/parent", Args: []string{"parent"}}})
	tb.Apply(&collectors.Record{Kind: collectors.KindExec, PID: 101, Time: t0 + 1000,
		Exec: collectors.Exec{Comm: "ln", ExePath: "/usr/bin/ln", Args: []string{"ln", "-s", "/etc", "/tmp/x"}, PPID: 100}})
	tb.Apply(&collectors.Record{Kind: collectors.KindFork, PID: 100, Time: t0 + 2000,
		Fork: collectors.Fork{ParentPID: 100, ChildPID: 101, ChildTID: 101}})
	p := tb.Process(101)
	if p == nil || p.Name != "ln" || p.Cmdline != "ln -s /etc /tmp/x" {
		t.Fatalf("child after a late fork record: %+v", p)
	}
	if p.Parent == nil || p.Parent.Name != "parent" {
		t.Errorf("parent not linked: %+v", p.Parent)
	}
}
