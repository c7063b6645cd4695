package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/state"
)

// TestCredentialsFollowed: a credential call's event already shows the
// identity the call left, with its id arguments named, and so do the
// process's later events; an identity change without its call (KindCred)
// changes the identity too.
func TestCredentialsFollowed(t *testing.T) {
	host := t.TempDir()
	if err := os.MkdirAll(filepath.Join(host, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(host, "etc", "passwd"), []byte("root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n"), 0o644)
	os.WriteFile(filepath.Join(host, "etc", "group"), []byte("root:x:0:\nnogroup:x:65534:\n"), 0o644)
	type seen struct {
		typ        event.Type
		uid        uint32
		user, arg  string
		group, gid string
	}
	var got []seen
	r := &ruleset.Rule{Name: "r", Enabled: true, EvtTypes: []event.Type{event.TypeSetuid, event.TypeSetgid, event.TypeOpenat},
		Match: func(ev *event.Event) bool {
			s := seen{typ: ev.Type, uid: ev.Proc.UID, user: ev.Proc.UserName, group: ev.Proc.GroupName}
			s.arg, _ = event.EvtArg(ev, event.Arg{Key: "uid", ID: event.ArgIDUID})
			s.gid, _ = event.EvtArg(ev, event.Arg{Key: "gid", ID: event.ArgIDGID})
			got = append(got, s)
			return false
		}}
	e := New(Config{Tables: state.New(state.Options{ProcRoot: t.TempDir(), HostRoot: host}),
		Rules: ruleset.New([]*ruleset.Rule{r}, ruleset.Selection{}, ruleset.MatchAll)})
	const pid, t0 = 100, int64(1_700_000_000_000_000_000)
	e.Handle(&collectors.Record{Kind: collectors.KindExec, PID: pid, TID: pid, Time: t0,
		Exec: collectors.Exec{Comm: "probe", Args: []string{"probe"}, VPID: pid, LoginUID: 0xffffffff}})
	nobody := collectors.Cred{UIDsKnown: true, GIDsKnown: true, UID: 65534, EUID: 65534, SUID: 65534, FSUID: 65534,
		GID: 65534, EGID: 65534, SGID: 65534, FSGID: 65534}
	gidOnly := nobody
	gidOnly.UID, gidOnly.EUID, gidOnly.SUID, gidOnly.FSUID = 0, 0, 0, 0
	e.Handle(&collectors.Record{Kind: collectors.KindSyscall, PID: pid, TID: pid, Time: t0 + 1, Cred: gidOnly,
		Event: event.Event{Type: event.TypeSetgid, Args: event.Args{Set: event.ArgGID, GID: 65534}}})
	e.Handle(&collectors.Record{Kind: collectors.KindSyscall, PID: pid, TID: pid, Time: t0 + 2, Cred: nobody,
		Event: event.Event{Type: event.TypeSetuid, Args: event.Args{Set: event.ArgUID, UID: 65534}}})
	e.Handle(&collectors.Record{Kind: collectors.KindSyscall, PID: pid, TID: pid, Time: t0 + 3, Cred: nobody,
		Event: event.Event{Type: event.TypeSetuid, Res: -1, Args: event.Args{Set: event.ArgUID, UID: 0}}})
	e.Handle(&collectors.Record{Kind: collectors.KindSyscall, PID: pid, TID: pid, Time: t0 + 4,
		Event: event.Event{Type: event.TypeOpenat}})
	e.Handle(&collectors.Record{Kind: collectors.KindCred, PID: pid, TID: pid + 1, Time: t0 + 5,
		Cred: collectors.Cred{UIDsKnown: true, EUID: 0}})
	e.Handle(&collectors.Record{Kind: collectors.KindSyscall, PID: pid, TID: pid, Time: t0 + 6,
		Event: event.Event{Type: event.TypeOpenat}})
	want := []seen{
		{event.TypeSetgid, 0, "root", "", "nogroup", "nogroup"},
		{event.TypeSetuid, 65534, "nobody", "nobody", "nogroup", ""},
		{event.TypeSetuid, 65534, "nobody", "root", "nogroup", ""},
		{event.TypeOpenat, 65534, "nobody", "", "nogroup", ""},
		{event.TypeOpenat, 0, "root", "", "nogroup", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("saw %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
