package audit

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

const (
	cwdFD   = int64(atFDCWD)
	created = event.OpenCreated
)

func ts(sec, ms int64) int64 { return sec*1e9 + ms*1e6 }

// wantEvents checks that recs are syscall records with exactly the events
// in want (Time and TID are checked against pid and the records' times).
func wantEvents(t *testing.T, recs []collectors.Record, want ...event.Event) {
	t.Helper()
	if len(recs) != len(want) {
		for _, r := range recs {
			t.Logf("got %+v", r.Event)
		}
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		r := &recs[i]
		if r.Kind != collectors.KindSyscall {
			t.Errorf("record %d: kind %d, want syscall", i, r.Kind)
			continue
		}
		got := r.Event
		if got.TID != r.PID || got.Time != r.Time {
			t.Errorf("record %d: TID %d Time %d, record PID %d Time %d", i, got.TID, got.Time, r.PID, r.Time)
		}
		got.TID, got.Time = 0, 0
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
}

func TestDecodeExec(t *testing.T) {
	recs, a := decodeFile(t, "exec_cat.txt", event.TypeSetOf(event.TypeExecve), hooks{})
	if len(recs) != 1 || a.malformed != 0 {
		t.Fatalf("got %d records, %d malformed", len(recs), a.malformed)
	}
	r := recs[0]
	want := collectors.Exec{
		Filename: "/usr/bin/cat", ExePath: "/usr/bin/cat", Comm: "cat",
		Args: []string{"cat", "hostname"}, Cwd: "/etc", PPID: 31622,
		UID: 0, GID: 0, LoginUID: unsetLoginUID,
		CapPermitted: 0x1fffeffffff, CapEffective: 0x1fffeffffff,
	}
	if r.Kind != collectors.KindExec || r.PID != 31632 || r.TID != 31632 || r.Time != ts(1795768241, 392) {
		t.Errorf("record %+v", r)
	}
	if !reflect.DeepEqual(r.Exec, want) {
		t.Errorf("exec\n got %+v\nwant %+v", r.Exec, want)
	}
	ev := r.Event
	if ev.Type != event.TypeExecve || ev.Res != 0 || ev.TID != 31632 ||
		!ev.Args.Has(event.ArgFilename|event.ArgPID) || ev.Args.Filename != "/usr/bin/cat" || ev.Args.PID != 31632 {
		t.Errorf("event %+v", ev)
	}
	if ev.Args.Has(event.ArgFlags) {
		t.Errorf("exe flags are unknown to audit, but set: %+v", ev.Args)
	}

	// Without execve among the types, the exec record comes without its
	// event.
	recs, _ = decodeFile(t, "exec_cat.txt", event.TypeSetOf(event.TypeOpenat), hooks{})
	if len(recs) != 1 || recs[0].Kind != collectors.KindExec || recs[0].Event.Type != event.TypeUnknown {
		t.Errorf("got %+v", recs)
	}
}

func TestDecodeExecHexArgsAndTTY(t *testing.T) {
	recs, _ := decodeFile(t, "exec_tty_hex.txt", event.TypeSet{}, hooks{})
	if len(recs) != 1 {
		t.Fatalf("got %d records", len(recs))
	}
	x := recs[0].Exec
	if !slices.Equal(x.Args, []string{"bash", "-c", "bash -i"}) {
		t.Errorf("args %q", x.Args)
	}
	if x.TTY != 34816 || x.Cwd != "/tmp/lv" || x.Filename != "/bin/bash" || x.ExePath != "/usr/bin/bash" {
		t.Errorf("exec %+v", x)
	}
}

func TestDecodeExecLongArgs(t *testing.T) {
	recs, a := decodeFile(t, "exec_long.txt", event.TypeSetOf(event.TypeExecve), hooks{})
	if len(recs) != 1 || a.malformed != 0 {
		t.Fatalf("got %d records, %d malformed", len(recs), a.malformed)
	}
	want := []string{"/usr/bin/echo", strings.Repeat("a", 9000), "hello world", "t\tab", "", `q"uote`}
	if got := recs[0].Exec.Args; !slices.Equal(got, want) {
		t.Errorf("got %d args:", len(got))
		for i, s := range got {
			t.Errorf("  %d: %d bytes %.40q", i, len(s), s)
		}
	}
}

func TestDecodeOpen(t *testing.T) {
	dirs := hooks{dirPath: func(pid, fd int64) (string, bool) {
		if pid == 432 && fd == 3 {
			return "/tmp", true
		}
		return "", false
	}}
	recs, _ := decodeFile(t, "openat_relative.txt", event.TypeSetOf(event.TypeOpenat), dirs)
	wantEvents(t, recs,
		event.Event{Type: event.TypeOpenat, Res: 3,
			FD: event.FD{Kind: event.FDFile, Num: 3, Name: "/etc/hostname", NameRaw: "hostname", Dev: 0xfe00, Ino: 611},
			Args: event.Args{Set: event.ArgDirFD | event.ArgFlags | event.ArgMode | event.ArgPath,
				DirFD: cwdFD, Path: "hostname"}},
		// openat(3, "relname", O_RDONLY|O_CREAT|O_CLOEXEC, 0640): the
		// PARENT item shows the cwd, not the directory of fd 3.
		event.Event{Type: event.TypeOpenat, Res: 4,
			FD: event.FD{Kind: event.FDFile, Num: 4, Name: "/tmp/relname", NameRaw: "relname", Dev: 0xfe00, Ino: 9977965},
			Args: event.Args{Set: event.ArgDirFD | event.ArgFlags | event.ArgMode | event.ArgPath,
				DirFD: 3, Flags: 0x80040 | created, Mode: 0o640, Path: "relname"}},
	)

	// Without a way to find the directory of fd 3, the name stays as
	// passed.
	recs, _ = decodeFile(t, "openat_relative.txt", event.TypeSetOf(event.TypeOpenat), hooks{})
	if len(recs) != 2 || recs[1].Event.FD.Name != "relname" {
		t.Errorf("got %+v", recs)
	}

	recs, _ = decodeFile(t, "openat_create.txt", event.TypeSetOf(event.TypeOpenat), hooks{})
	wantEvents(t, recs, event.Event{Type: event.TypeOpenat, Res: 3,
		FD: event.FD{Kind: event.FDFile, Num: 3, Name: "/tmp/aw/newfile", NameRaw: "newfile", Dev: 0xfe00, Ino: 9977960},
		Args: event.Args{Set: event.ArgDirFD | event.ArgFlags | event.ArgMode | event.ArgPath,
			DirFD: cwdFD, Flags: 0x941 | created, Mode: 0o666, Path: "newfile"}})
}

func TestDecodeRename(t *testing.T) {
	recs, _ := decodeFile(t, "rename.txt", event.TypeSetOf(event.TypeRenameat2, event.TypeRenameat), hooks{})
	wantEvents(t, recs,
		event.Event{Type: event.TypeRenameat2, Res: 0, Args: event.Args{Set: event.ArgOldPath | event.ArgNewPath,
			OldPath: "/tmp/aw/old", NewPath: "/tmp/aw/renamed"}},
		// Over an existing file: DELETE old, DELETE replaced, CREATE new.
		event.Event{Type: event.TypeRenameat, Res: 0, Args: event.Args{Set: event.ArgOldPath | event.ArgNewPath,
			OldPath: "/tmp/aw/renamed", NewPath: "/tmp/aw/target2"}},
		// A failed call has only the PARENT items: nothing to say.
		event.Event{Type: event.TypeRenameat2, Res: -17},
	)
}

func TestDecodeSymlinkLinkUnlink(t *testing.T) {
	recs, _ := decodeFile(t, "symlink.txt", event.TypeSetOf(event.TypeSymlinkat), hooks{})
	wantEvents(t, recs,
		event.Event{Type: event.TypeSymlinkat, Args: event.Args{Set: event.ArgTarget | event.ArgLinkPath,
			Target: "/etc", LinkPath: "/tmp/aw/xl"}},
		event.Event{Type: event.TypeSymlinkat, Args: event.Args{Set: event.ArgTarget | event.ArgLinkPath,
			Target: "../etc", LinkPath: "/tmp/aw/rel"}},
	)

	recs, _ = decodeFile(t, "link_unlink.txt", event.TypeSetOf(event.TypeLinkat, event.TypeUnlinkat), hooks{})
	wantEvents(t, recs,
		event.Event{Type: event.TypeLinkat, Args: event.Args{Set: event.ArgOldPath | event.ArgNewPath,
			OldPath: "/tmp/aw/newfile", NewPath: "/tmp/aw/hard"}},
		event.Event{Type: event.TypeUnlinkat, Args: event.Args{
			Set:   event.ArgDirFD | event.ArgFlags | event.ArgPath | event.ArgName,
			DirFD: cwdFD, Path: "hard", Name: "/tmp/aw/hard"}},
		// Relative to fd 4, whose directory is unknown: no absolute name.
		event.Event{Type: event.TypeUnlinkat, Args: event.Args{
			Set:   event.ArgDirFD | event.ArgFlags | event.ArgPath,
			DirFD: 4, Path: "rc"}},
	)
}

func TestDecodeChmodMountMkdir(t *testing.T) {
	recs, _ := decodeFile(t, "chmod.txt", event.TypeSetOf(event.TypeFchmodat, event.TypeFchmod), hooks{})
	wantEvents(t, recs,
		event.Event{Type: event.TypeFchmodat, Args: event.Args{
			Set:   event.ArgDirFD | event.ArgPath | event.ArgName | event.ArgMode,
			DirFD: cwdFD, Path: "newfile", Name: "/tmp/aw/newfile", Mode: 0o4644}},
		event.Event{Type: event.TypeFchmod, FD: event.FD{Kind: event.FDFile, Num: 4},
			Args: event.Args{Set: event.ArgFD | event.ArgMode, FD: 4, Mode: 0o600}},
	)

	recs, _ = decodeFile(t, "mount_mkdir.txt", event.TypeSetOf(event.TypeMount, event.TypeMkdir, event.TypeRmdir), hooks{})
	wantEvents(t, recs,
		event.Event{Type: event.TypeMount, Args: event.Args{Set: event.ArgPath | event.ArgFlags, Path: "/tmp/aw/d2"}},
		event.Event{Type: event.TypeMkdir, Args: event.Args{Set: event.ArgPath | event.ArgName | event.ArgMode,
			Path: "d1", Name: "/tmp/aw/d1", Mode: 0o777}},
		event.Event{Type: event.TypeRmdir, Args: event.Args{Set: event.ArgPath | event.ArgName,
			Path: "d1", Name: "/tmp/aw/d1"}},
	)
}

func TestDecodeSockets(t *testing.T) {
	types := event.TypeSetOf(event.TypeSocket, event.TypeBind, event.TypeConnect, event.TypeAccept4, event.TypeSendto)
	recs, _ := decodeFile(t, "sockets.txt", types, hooks{})
	ap := netip.MustParseAddrPort
	any4, any6 := ap("0.0.0.0:0"), ap("[::]:0")
	fdArgs := func(fd int64) event.Args { return event.Args{Set: event.ArgFD, FD: fd} }
	wantEvents(t, recs,
		event.Event{Type: event.TypeSocket, Res: 5, FD: event.FD{Kind: event.FDIPv4, Num: 5, L4Proto: event.L4TCP},
			Args: event.Args{Set: event.ArgDomain | event.ArgType | event.ArgProto, Domain: 2, SockType: 0x80001}},
		event.Event{Type: event.TypeBind, FD: event.FD{Kind: event.FDIPv4, Num: 5, Name: "127.0.0.1:0",
			Local: ap("127.0.0.1:0"), Remote: any4}, Args: fdArgs(5)},
		event.Event{Type: event.TypeConnect, FD: event.FD{Kind: event.FDIPv4, Num: 6, Name: "0.0.0.0:0->127.0.0.1:44851",
			Connected: true, Local: any4, Remote: ap("127.0.0.1:44851")}, Args: fdArgs(6)},
		event.Event{Type: event.TypeAccept4, Res: 7, FD: event.FD{Kind: event.FDIPv4, Num: 7, Name: "127.0.0.1:47508->0.0.0.0:0",
			Connected: true, Server: true, Local: any4, Remote: ap("127.0.0.1:47508")},
			Args: event.Args{Set: event.ArgFlags, Flags: 0x80000}},
		event.Event{Type: event.TypeConnect, Res: -111, FD: event.FD{Kind: event.FDIPv6, Num: 8, Name: ":::0->::1:1",
			Local: any6, Remote: ap("[::1]:1")}, Args: fdArgs(8)},
		event.Event{Type: event.TypeConnect, Res: -2, FD: event.FD{Kind: event.FDUnix, Num: 9, Name: "/tmp/nonexist.sock"},
			Args: fdArgs(9)},
		event.Event{Type: event.TypeConnect, Res: -111, FD: event.FD{Kind: event.FDUnix, Num: 11, Name: "@abstract"},
			Args: fdArgs(11)},
		event.Event{Type: event.TypeSendto, Res: 1, FD: event.FD{Kind: event.FDIPv4, Num: 12, Name: "0.0.0.0:0->127.0.0.1:9",
			Local: any4, Remote: ap("127.0.0.1:9")}, Args: fdArgs(12)},
	)
}

func TestDecodeForkExit(t *testing.T) {
	thread := hooks{isThread: func(pid, tid int64) (bool, bool) { return pid == 432 && tid == 437, true }}
	recs, a := decodeFile(t, "clone_exit.txt", event.TypeSet{}, thread)
	if a.malformed != 0 {
		t.Errorf("%d malformed", a.malformed)
	}
	type kv struct {
		kind     collectors.Kind
		pid      int64
		fork     collectors.Fork
		exit     collectors.Exit
		timeNsec int64
	}
	var got []kv
	for _, r := range recs {
		got = append(got, kv{r.Kind, r.PID, r.Fork, r.Exit, r.Time})
	}
	want := []kv{
		{collectors.KindFork, 31633, collectors.Fork{ParentPID: 31633, ChildPID: 31634, ChildTID: 31634}, collectors.Exit{}, ts(1795768241, 424)},
		{collectors.KindFork, 432, collectors.Fork{ParentPID: 432, ChildPID: 432, ChildTID: 437, Thread: true}, collectors.Exit{}, ts(1795768400, 64)},
		{collectors.KindExit, 432, collectors.Fork{}, collectors.Exit{Thread: true}, ts(1795768400, 64)},
		{collectors.KindExit, 448, collectors.Fork{}, collectors.Exit{Code: 3 << 8}, ts(1795768400, 112)},
		{collectors.KindExit, 31632, collectors.Fork{}, collectors.Exit{}, ts(1795768241, 392)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}

	// Without /proc, a clone3 child counts as a process.
	recs, _ = decodeFile(t, "clone_exit.txt", event.TypeSet{}, hooks{})
	if f := recs[1].Fork; f.Thread || f.ChildPID != 437 {
		t.Errorf("clone3 without hook: %+v", f)
	}
}

func TestTTY(t *testing.T) {
	for name, want := range map[string]uint32{
		"pts0": 34816, "pts5": 136<<8 | 5, "pts300": 300&0xff | 136<<8 | (300&^0xff)<<12,
		"tty1": 4<<8 | 1, "ttyS0": 4<<8 | 64, "console": 5<<8 | 1, "(none)": 0, "": 0, "ptsx": 0, "hvc0": 0,
	} {
		if got := ttyDev([]byte(name)); got != want {
			t.Errorf("ttyDev(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestParseHeaderAndFields(t *testing.T) {
	h, rest, err := parseHeader([]byte("audit(1795768241.392:4): a=1 b=\"x y\" c=(null)  d=4142"))
	if err != nil || h.time != ts(1795768241, 392) || h.serial != 4 {
		t.Fatalf("%+v %v", h, err)
	}
	it := fields{rest}
	var got []string
	for {
		k, v, q, ok := it.next()
		if !ok {
			break
		}
		got = append(got, string(k)+"|"+string(v)+"|"+map[bool]string{true: "q", false: ""}[q])
	}
	if want := []string{"a|1|", "b|x y|q", "c|(null)|", "d|4142|"}; !slices.Equal(got, want) {
		t.Errorf("fields %q", got)
	}
	for _, bad := range []string{"", "audit(", "audit(1.2)", "audit(x.1:2):", "audit(1.1234567890:2):", "audit(1.1:):"} {
		if _, _, err := parseHeader([]byte(bad)); err == nil {
			t.Errorf("parseHeader(%q) accepted", bad)
		}
	}
	if s, ok := appendUntrusted(nil, []byte("4142"), false); !ok || string(s) != "AB" {
		t.Errorf("hex: %q %v", s, ok)
	}
	for _, bad := range []string{"414", "zz", "(null)"} {
		if _, ok := appendUntrusted(nil, []byte(bad), false); ok {
			t.Errorf("appendUntrusted(%q) accepted", bad)
		}
	}
}

// TestParseDev: a PATH record's dev= in stat's encoding, as Falco prints
// it (dev=FE00 for fe:00); malformed values give 0.
func TestParseDev(t *testing.T) {
	for in, want := range map[string]uint32{
		"fe:00": 0xfe00, "08:01": 0x801, "00:2a": 0x2a, "fe:12345": 0xfe45 | 0x12300<<12,
		"": 0, "fe": 0, "zz:00": 0, "fe:": 0, "1000:00": 0, ":": 0,
	} {
		if got := parseDev([]byte(in)); got != want {
			t.Errorf("parseDev(%q) = %#x, want %#x", in, got, want)
		}
	}
}
