package state

import (
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

func TestSetCred(t *testing.T) {
	tb, _ := newTestTables(t, Options{})
	tb.Apply(execRec(10, sec, collectors.Exec{Comm: "daemon", VPID: 10, CapEffective: 0x1ff, CapPermitted: 0x1ff}))
	tb.Apply(forkRec(10, 20, 2*sec))
	p := tb.Process(10)
	if p.UserName != "root" || p.GroupName != "root" {
		t.Fatalf("before: %q %q", p.UserName, p.GroupName)
	}

	// Ids change, capabilities unknown (audit): the capabilities stay.
	tb.SetCred(10, &collectors.Cred{UIDsKnown: true, GIDsKnown: true, UID: 1000, EUID: 1000, SUID: 1000, GID: 1, EGID: 1, SGID: 1})
	if p.UID != 1000 || p.UserName != "alice" || p.GID != 1 || p.GroupName != "daemon" || p.CapEffective != 0x1ff {
		t.Errorf("after setuid: uid %d %q gid %d %q caps %#x", p.UID, p.UserName, p.GID, p.GroupName, p.CapEffective)
	}
	// The child forked before keeps its own identity.
	if c := tb.Process(20); c.UID != 0 || c.UserName != "root" {
		t.Errorf("child: %d %q", c.UID, c.UserName)
	}
	// Only the effective id counts; an unknown id has no name.
	tb.SetCred(10, &collectors.Cred{UIDsKnown: true, UID: 1000, EUID: 4242, CapsKnown: true, CapEffective: 0})
	if p.UID != 4242 || p.UserName != "" || p.CapEffective != 0 || p.CapPermitted != 0 {
		t.Errorf("after setresuid: uid %d %q caps %#x/%#x", p.UID, p.UserName, p.CapEffective, p.CapPermitted)
	}
	// A collector that knows nothing changes nothing; an unknown pid is no error.
	tb.SetCred(10, &collectors.Cred{})
	tb.SetCred(999, &collectors.Cred{UIDsKnown: true})
	if p.UID != 4242 {
		t.Errorf("empty Cred changed the uid to %d", p.UID)
	}
}

func TestNameArgs(t *testing.T) {
	tb, _ := newTestTables(t, Options{})
	tb.Apply(execRec(10, sec, collectors.Exec{Comm: "a", VPID: 10}))
	p := tb.Process(10)
	for _, tc := range []struct {
		typ  event.Type
		args event.Args
		want event.Args
	}{
		{event.TypeSetuid, event.Args{Set: event.ArgUID, UID: 1000},
			event.Args{Set: event.ArgUID, UID: 1000, UserName: "alice"}},
		{event.TypeSetgid, event.Args{Set: event.ArgGID, GID: 5},
			event.Args{Set: event.ArgGID, GID: 5, GroupName: "tty"}},
		{event.TypeSetresuid, event.Args{Set: event.ArgRID | event.ArgEID | event.ArgSID, IDs: [3]uint32{1, noChange, 4242}},
			event.Args{Set: event.ArgRID | event.ArgEID | event.ArgSID, IDs: [3]uint32{1, noChange, 4242}, IDNames: [3]string{"daemon", "", ""}}},
		{event.TypeSetregid, event.Args{Set: event.ArgRID | event.ArgEID, IDs: [3]uint32{5, 0}},
			event.Args{Set: event.ArgRID | event.ArgEID, IDs: [3]uint32{5, 0}, IDNames: [3]string{"tty", "root", ""}}},
	} {
		ev := event.Event{Type: tc.typ, Args: tc.args}
		tb.NameArgs(&ev, p)
		if ev.Args != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.typ, ev.Args, tc.want)
		}
	}
}
