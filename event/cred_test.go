package event

import "testing"

// TestCredArgs checks how the parameters of the credential calls render,
// as evt.arg.NAME, evt.rawarg.NAME and evt.args show them.
func TestCredArgs(t *testing.T) {
	ids := ArgRID | ArgEID | ArgSID
	for _, tc := range []struct {
		name string
		ev   Event
		args string            // evt.args
		text map[string]string // evt.arg.NAME
		raw  map[string]int64  // evt.rawarg.NAME
	}{
		{"setuid named", Event{Type: TypeSetuid, Res: -1, Args: Args{Set: ArgUID, UID: 0, UserName: "root"}},
			"res=-1(EPERM) uid=0(root)", map[string]string{"uid": "root", "res": "EPERM"}, map[string]int64{"uid": 0}},
		{"setgid unnamed", Event{Type: TypeSetgid, Args: Args{Set: ArgGID, GID: 4242}},
			"res=0 gid=4242", map[string]string{"gid": "4242"}, map[string]int64{"gid": 4242}},
		{"setgid named", Event{Type: TypeSetgid, Args: Args{Set: ArgGID, GID: 65534, GroupName: "nogroup"}},
			"res=0 gid=65534(nogroup)", map[string]string{"gid": "nogroup"}, nil},
		{"setresuid", Event{Type: TypeSetresuid, Args: Args{Set: ids, IDs: [3]uint32{0xffffffff, 1000, 0},
			IDNames: [3]string{"", "alice", "root"}}},
			"res=0 ruid=4294967295 euid=1000(alice) suid=0(root)", map[string]string{"ruid": "4294967295", "euid": "alice", "suid": "root"},
			map[string]int64{"ruid": 0xffffffff, "euid": 1000, "suid": 0}},
		{"setregid", Event{Type: TypeSetregid, Args: Args{Set: ArgRID | ArgEID, IDs: [3]uint32{5, 6, 0}}},
			"res=0 rgid=5 egid=6", map[string]string{"rgid": "5", "egid": "6"}, map[string]int64{"rgid": 5}},
		{"capset", Event{Type: TypeCapset, Args: Args{Set: ArgCaps, Caps: [3]uint64{0, 1 << 21, 1<<21 | 1}}},
			"res=0 cap_inheritable= cap_permitted=CAP_SYS_ADMIN cap_effective=CAP_CHOWN CAP_SYS_ADMIN",
			map[string]string{"cap_permitted": "CAP_SYS_ADMIN"}, map[string]int64{"cap_effective": 1<<21 | 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := EvtArgs(&tc.ev, Arg{}); got != tc.args {
				t.Errorf("evt.args = %q, want %q", got, tc.args)
			}
			for name, want := range tc.text {
				id, ok := LookupArgID(name)
				if !ok {
					t.Fatalf("no parameter %q", name)
				}
				if got, ok := EvtArg(&tc.ev, Arg{Key: name, ID: id}); !ok || got != want {
					t.Errorf("evt.arg.%s = %q, %v; want %q", name, got, ok, want)
				}
			}
			for name, want := range tc.raw {
				id, _ := LookupArgID(name)
				if got, ok := EvtRawarg(&tc.ev, Arg{Key: name, ID: id}); !ok || got != want {
					t.Errorf("evt.rawarg.%s = %d, %v; want %d", name, got, ok, want)
				}
			}
		})
	}
	// A parameter the call does not have is absent.
	ev := Event{Type: TypeSetreuid, Args: Args{Set: ArgRID | ArgEID}}
	if _, ok := EvtArg(&ev, Arg{Key: "suid", ID: ArgIDSuid}); ok {
		t.Error("setreuid has evt.arg.suid")
	}
	if !TypeCapset.IsCred() || !TypeSetuid.IsCred() || TypeMount.IsCred() || TypeClone.IsCred() {
		t.Error("IsCred")
	}
}
