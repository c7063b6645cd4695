package audit

import (
	"fmt"
	"net/netip"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/linuxabi"
)

const (
	cwdFD   = int64(linuxabi.AtFDCWD)
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
	x86Records(t)
	recs, a := decodeFile(t, "exec_cat.txt", event.TypeSetOf(event.TypeExecve), hooks{})
	if len(recs) != 1 || a.malformed != 0 {
		t.Fatalf("got %d records, %d malformed", len(recs), a.malformed)
	}
	r := recs[0]
	want := collectors.Exec{
		Filename: "/usr/bin/cat", ExePath: "/usr/bin/cat", Comm: "cat",
		Args: []string{"cat", "hostname"}, Cwd: "/etc", PPID: 31622,
		UID: 0, GID: 0, LoginUID: unsetLoginUID,
		CapPermitted: 0x1fffeffffff, CapEffective: 0x1fffeffffff, ExeFlagsUnknown: true,
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
	x86Records(t)
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
	x86Records(t)
	recs, a := decodeFile(t, "exec_long.txt", event.TypeSetOf(event.TypeExecve), hooks{})
	if len(recs) != 1 || a.malformed != 0 {
		t.Fatalf("got %d records, %d malformed", len(recs), a.malformed)
	}
	// Longer than event.ArgvHead+ArgvTail: its head and tail are kept.
	want := event.CutArgs([]string{"/usr/bin/echo", strings.Repeat("a", 9000), "hello world", "t\tab", "", `q"uote`})
	if got := recs[0].Exec.Args; !slices.Equal(got, want) {
		t.Errorf("got %d args:", len(got))
		for i, s := range got {
			t.Errorf("  %d: %d bytes %.40q", i, len(s), s)
		}
	}
}

func TestDecodeOpen(t *testing.T) {
	x86Records(t)
	// /tmp is the parent the PARENT item of relname names (its inode).
	dirs := hooks{dirPath: func(pid, fd int64) (string, bool) {
		if pid == 432 && fd == 3 {
			return "/tmp", true
		}
		return "", false
	}, statID: func(p string, follow bool) (fileID, bool) {
		if p == "/tmp" {
			return fileID{dev: 0xfe << 32, ino: 246947}, true
		}
		return fileID{}, false
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
	// passed, and is counted.
	recs, a := decodeFile(t, "openat_relative.txt", event.TypeSetOf(event.TypeOpenat), hooks{})
	if len(recs) != 2 || recs[1].Event.FD.Name != "relname" || a.dec.unresolved != 1 {
		t.Errorf("got %+v, %d unresolved", recs, a.dec.unresolved)
	}
	// fd 3 now names another directory (it was closed and reused): the
	// path through it is not the file the records name.
	moved := dirs
	moved.dirPath = func(int64, int64) (string, bool) { return "/var/tmp", true }
	recs, a = decodeFile(t, "openat_relative.txt", event.TypeSetOf(event.TypeOpenat), moved)
	if len(recs) != 2 || recs[1].Event.FD.Name != "relname" || a.dec.unresolved != 1 {
		t.Errorf("got %+v, %d unresolved", recs, a.dec.unresolved)
	}

	recs, _ = decodeFile(t, "openat_create.txt", event.TypeSetOf(event.TypeOpenat), hooks{})
	wantEvents(t, recs, event.Event{Type: event.TypeOpenat, Res: 3,
		FD: event.FD{Kind: event.FDFile, Num: 3, Name: "/tmp/aw/newfile", NameRaw: "newfile", Dev: 0xfe00, Ino: 9977960},
		Args: event.Args{Set: event.ArgDirFD | event.ArgFlags | event.ArgMode | event.ArgPath,
			DirFD: cwdFD, Flags: 0x941 | created, Mode: 0o666, Path: "newfile"}})
}

// TestDecodeDirFDOpenat2 decodes, as captured, openat2("/etc/shadow"),
// then openat(open("/etc"), "shadow") and openat2(open("/etc"),
// "../etc/shadow") by processes that exited before anything could read
// their /proc entries.
func TestDecodeDirFDOpenat2(t *testing.T) {
	x86Records(t)
	shadow := fileID{dev: 0xfe << 32, ino: 817}
	types := event.TypeSetOf(event.TypeOpenat, event.TypeOpenat2)
	h := hooks{statID: func(p string, follow bool) (fileID, bool) {
		switch p {
		case "/etc/shadow":
			return shadow, true
		case "/etc":
			return fileID{dev: 0xfe << 32, ino: 19}, true
		}
		return fileID{}, false
	}}
	recs, a := decodeFile(t, "openat2_dirfd.txt", types, h)
	rdonly := event.ArgDirFD | event.ArgFlags | event.ArgMode | event.ArgPath
	wantEvents(t, recs,
		event.Event{Type: event.TypeOpenat2, Res: 6,
			FD:   event.FD{Kind: event.FDFile, Num: 6, Name: "/etc/shadow", NameRaw: "/etc/shadow", Dev: 0xfe00, Ino: 817},
			Args: event.Args{Set: rdonly, DirFD: cwdFD, Path: "/etc/shadow"}},
		event.Event{Type: event.TypeOpenat, Res: 6,
			FD:   event.FD{Kind: event.FDDirectory, Num: 6, Name: "/etc", NameRaw: "/etc", Dev: 0xfe00, Ino: 19},
			Args: event.Args{Set: rdonly, DirFD: cwdFD, Flags: 0x10000, Path: "/etc"}},
		event.Event{Type: event.TypeOpenat, Res: 7,
			FD:   event.FD{Kind: event.FDFile, Num: 7, Name: "/etc/shadow", NameRaw: "shadow", Dev: 0xfe00, Ino: 817},
			Args: event.Args{Set: rdonly, DirFD: 6, Path: "shadow"}},
		event.Event{Type: event.TypeOpenat, Res: 6,
			FD:   event.FD{Kind: event.FDDirectory, Num: 6, Name: "/etc", NameRaw: "/etc", Dev: 0xfe00, Ino: 19},
			Args: event.Args{Set: rdonly, DirFD: cwdFD, Flags: 0x10000, Path: "/etc"}},
		event.Event{Type: event.TypeOpenat2, Res: 7,
			FD:   event.FD{Kind: event.FDFile, Num: 7, Name: "/etc/shadow", NameRaw: "../etc/shadow", Dev: 0xfe00, Ino: 817},
			Args: event.Args{Set: rdonly, DirFD: 6, Path: "../etc/shadow"}},
	)
	if a.dec.unresolved != 0 {
		t.Errorf("%d unresolved", a.dec.unresolved)
	}

	// The file at the path the fd table gives is another one now (the
	// descriptor was replaced by a call audit did not report, or the
	// file was): the names stay relative, counted, never another path.
	h.statID = func(string, bool) (fileID, bool) { return fileID{dev: 0xfe << 32, ino: 1}, true }
	recs, a = decodeFile(t, "openat2_dirfd.txt", types, h)
	for _, i := range []int{2, 4} {
		if got := recs[i].Event.FD.Name; got != recs[i].Event.FD.NameRaw {
			t.Errorf("record %d: fd.name %q, want it as passed", i, got)
		}
	}
	if a.dec.unresolved != 2 {
		t.Errorf("%d unresolved, want 2", a.dec.unresolved)
	}
}

func TestDecodeRename(t *testing.T) {
	x86Records(t)
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
	x86Records(t)
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
	x86Records(t)
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
	x86Records(t)
	types := event.TypeSetOf(event.TypeSocket, event.TypeBind, event.TypeConnect, event.TypeAccept4, event.TypeSendto)
	recs, _ := decodeFile(t, "sockets.txt", types, hooks{})
	ap := netip.MustParseAddrPort
	any4, any6 := ap("0.0.0.0:0"), ap("[::]:0")
	fdArgs := func(fd int64) event.Args { return event.Args{Set: event.ArgFD, FD: fd} }
	wantEvents(t, recs,
		event.Event{Type: event.TypeSocket, Res: 5, FD: event.FD{Kind: event.FDIPv4, Num: 5, L4Proto: event.L4TCP},
			Args: event.Args{Set: event.ArgDomain | event.ArgType | event.ArgProto, Domain: 2, SockType: 0x80001}},
		// The protocol of fd 5 comes from its socket call.
		event.Event{Type: event.TypeBind, FD: event.FD{Kind: event.FDIPv4, Num: 5, Name: "127.0.0.1:0",
			L4Proto: event.L4TCP, Local: ap("127.0.0.1:0"), Remote: any4}, Args: fdArgs(5)},
		// fd 6 was made before: its protocol is unknown. A connected
		// socket has a local address, which audit does not log.
		event.Event{Type: event.TypeConnect, FD: event.FD{Kind: event.FDIPv4, Num: 6, Name: "0.0.0.0:0->127.0.0.1:44851",
			Connected: true, Remote: ap("127.0.0.1:44851")}, Args: fdArgs(6)},
		event.Event{Type: event.TypeAccept4, Res: 7, FD: event.FD{Kind: event.FDIPv4, Num: 7, Name: "127.0.0.1:47508->0.0.0.0:0",
			L4Proto: event.L4TCP, Connected: true, Server: true, Remote: ap("127.0.0.1:47508")},
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
	x86Records(t)
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
	x86Records(t)
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
	x86Records(t)
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

// TestStatDev: a PATH record's dev= in stat's encoding, as Falco prints
// it (dev=FE00 for fe:00); devices that do not fit give 0.
func TestStatDev(t *testing.T) {
	for in, want := range map[string]uint32{
		"fe:00": 0xfe00, "08:01": 0x801, "00:2a": 0x2a, "fe:12345": 0xfe45 | 0x12300<<12, "1000:00": 0,
	} {
		dev, ok := parseDev([]byte(in))
		if !ok {
			t.Fatalf("parseDev(%q) failed", in)
		}
		if got := statDev(fileID{dev: dev}); got != want {
			t.Errorf("statDev(%q) = %#x, want %#x", in, got, want)
		}
	}
}

// TestDecodeDirFDTwoParents: a rename between two directory fds logs two
// PARENT items without saying which name each belongs to; a name whose
// file is gone is then not resolved through a parent, rather than perhaps
// through the wrong one.
func TestDecodeDirFDTwoParents(t *testing.T) {
	x86Records(t)
	const sys = "arch=c000003e syscall=%d success=yes exit=%d a0=%s a1=1 a2=%s a3=0 items=%d ppid=1 pid=50 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"mv\" exe=\"/usr/bin/mv\""
	item := func(serial, i int, name string, ino int, mode, nt string) string {
		return fmt.Sprintf("type=1302 audit(1.0:%d): item=%d name=\"%s\" inode=%d dev=fe:00 mode=%s nametype=%s\n", serial, i, name, ino, mode, nt)
	}
	text := fmt.Sprintf("type=1300 audit(1.0:1): "+sys+"\n", 257, 3, "ffffff9c", "10000", 1) + item(1, 0, "/a", 10, "040755", "NORMAL") +
		"type=1320 audit(1.0:1): \n" +
		fmt.Sprintf("type=1300 audit(1.0:2): "+sys+"\n", 257, 4, "ffffff9c", "10000", 1) + item(2, 0, "/b", 11, "040755", "NORMAL") +
		"type=1320 audit(1.0:2): \n" +
		fmt.Sprintf("type=1300 audit(1.0:3): "+sys+"\n", 264, 0, "3", "4", 4) +
		item(3, 0, "/cwd", 10, "040755", "PARENT") + item(3, 1, "/cwd", 11, "040755", "PARENT") +
		item(3, 2, "x", 50, "0100644", "DELETE") + item(3, 3, "y", 50, "0100644", "CREATE") +
		"type=1320 audit(1.0:3): \n"
	a := newReassembler(event.TypeSetOf(event.TypeOpenat, event.TypeRenameat), 0)
	a.dec.hooks = hooks{statID: func(p string, follow bool) (fileID, bool) {
		switch p {
		case "/b/y":
			return fileID{dev: 0xfe << 32, ino: 50}, true
		case "/a", "/b":
			return fileID{dev: 0xfe << 32, ino: map[string]uint64{"/a": 10, "/b": 11}[p]}, true
		}
		return fileID{}, false
	}}
	feed(t, a, []byte(text))
	recs := drain(a)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	if args := recs[2].Event.Args; args.OldPath != "x" || args.NewPath != "/b/y" || a.dec.unresolved != 1 {
		t.Errorf("old %q new %q, %d unresolved", args.OldPath, args.NewPath, a.dec.unresolved)
	}
}

// TestDecodeDirFDDup: an audited dup2 moves what the fd table knows to the
// new number.
func TestDecodeDirFDDup(t *testing.T) {
	x86Records(t)
	const sys = "arch=c000003e syscall=%d success=yes exit=%d a0=%s a1=%s a2=0 a3=0 items=%d ppid=1 pid=50 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"x\" exe=\"/x\""
	text := fmt.Sprintf("type=1300 audit(1.0:1): "+sys+"\n", 257, 3, "ffffff9c", "0", 1) +
		"type=1302 audit(1.0:1): item=0 name=\"/a\" inode=10 dev=fe:00 mode=040755 nametype=NORMAL\ntype=1320 audit(1.0:1): \n" +
		fmt.Sprintf("type=1300 audit(1.0:2): "+sys+"\n", 257, 4, "ffffff9c", "0", 1) +
		"type=1302 audit(1.0:2): item=0 name=\"/b\" inode=11 dev=fe:00 mode=040755 nametype=NORMAL\ntype=1320 audit(1.0:2): \n" +
		fmt.Sprintf("type=1300 audit(1.0:3): "+sys+"\ntype=1320 audit(1.0:3): \n", 33, 3, "4", "3", 0) +
		fmt.Sprintf("type=1300 audit(1.0:4): "+sys+"\n", 257, 5, "3", "0", 1) +
		"type=1302 audit(1.0:4): item=0 name=\"y\" inode=60 dev=fe:00 mode=0100644 nametype=NORMAL\ntype=1320 audit(1.0:4): \n"
	a := newReassembler(event.TypeSetOf(event.TypeOpenat, event.TypeDup2), 0)
	a.dec.hooks = hooks{statID: func(p string, follow bool) (fileID, bool) {
		return fileID{dev: 0xfe << 32, ino: 60}, p == "/b/y"
	}}
	feed(t, a, []byte(text))
	recs := drain(a)
	if len(recs) != 4 || recs[3].Event.FD.Name != "/b/y" || a.dec.unresolved != 0 {
		t.Errorf("%d records, last %+v, %d unresolved", len(recs), recs[len(recs)-1].Event.FD, a.dec.unresolved)
	}
}

// TestAppendClean: appendClean is path.Clean for absolute paths.
func TestAppendClean(t *testing.T) {
	x86Records(t)
	for _, p := range []string{"/", "//", "/a", "/a/", "/a//b", "/a/./b", "/a/../b", "/../a", "/a/b/../../..", "/a/..",
		"/./", "/a/b/c/../../d", "/.a/..b/...", "/a/b/..c", "/tmp/../etc/shadow", "/..", "/a/.../..", "/x/./../y/."} {
		if got, want := string(appendClean([]byte("pre"), p)), "pre"+path.Clean(p); got != want {
			t.Errorf("appendClean(%q) = %q, want %q", p, got, want)
		}
	}
}

func FuzzAppendClean(f *testing.F) {
	f.Add("/a/../b/./c//")
	f.Fuzz(func(t *testing.T, p string) {
		p = "/" + p
		if got, want := string(appendClean(nil, p)), path.Clean(p); got != want {
			t.Errorf("appendClean(%q) = %q, want %q", p, got, want)
		}
	})
}

func TestDecodeCred(t *testing.T) {
	x86Records(t)
	// Credential calls are reported whatever the types asked for: the
	// process table follows them.
	recs, a := decodeFile(t, "cred.txt", event.TypeSet{}, hooks{})
	if a.malformed != 0 {
		t.Errorf("%d malformed", a.malformed)
	}
	nobody := collectors.Cred{UIDsKnown: true, GIDsKnown: true, UID: 65534, EUID: 65534, SUID: 65534, FSUID: 65534,
		GID: 65534, EGID: 65534, SGID: 65534, FSGID: 65534}
	want := []struct {
		typ  event.Type
		res  int64
		args event.Args
		cred collectors.Cred
	}{
		{event.TypeSetuid, 0, event.Args{Set: event.ArgUID, UID: 65534}, nobody},
		{event.TypeSetuid, -1, event.Args{Set: event.ArgUID, UID: 0}, nobody},
		{event.TypeSetresuid, 0, event.Args{Set: event.ArgRID | event.ArgEID | event.ArgSID, IDs: [3]uint32{0xffffffff, 1000, 0xffffffff}},
			collectors.Cred{UIDsKnown: true, GIDsKnown: true, UID: 0, EUID: 1000, SUID: 0, FSUID: 1000}},
		{event.TypeSetregid, 0, event.Args{Set: event.ArgRID | event.ArgEID, IDs: [3]uint32{5, 6, 0}},
			collectors.Cred{UIDsKnown: true, GIDsKnown: true, UID: 0, EUID: 1000, SUID: 0, FSUID: 1000, GID: 5, EGID: 6, SGID: 6, FSGID: 6}},
		// capset: audit logs no capability sets.
		{event.TypeCapset, 0, event.Args{},
			collectors.Cred{UIDsKnown: true, GIDsKnown: true, UID: 0, EUID: 1000, SUID: 0, FSUID: 1000, GID: 5, EGID: 6, SGID: 6, FSGID: 6}},
		// A record that lacks one of the ids gives no identity.
		{event.TypeSetuid, 0, event.Args{Set: event.ArgUID, UID: 1000}, collectors.Cred{}},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		r := recs[i]
		if r.Kind != collectors.KindSyscall || r.Event.Type != w.typ || r.Event.Res != w.res {
			t.Errorf("%d: kind %v type %v res %d", i, r.Kind, r.Event.Type, r.Event.Res)
		}
		if r.Event.Args != w.args {
			t.Errorf("%d: Args = %+v, want %+v", i, r.Event.Args, w.args)
		}
		if r.Cred != w.cred {
			t.Errorf("%d: Cred = %+v, want %+v", i, r.Cred, w.cred)
		}
	}
}

// TestDecodeLongCwdInherited: a file created from a working directory
// longer than PATH_MAX (the CWD record says "<too_long>") by a process
// gone before /proc could give its working directory takes its parent's,
// when that is the directory the file was created in, and stays as passed
// (unresolved) when it is not: never another file's path.
func TestDecodeLongCwdInherited(t *testing.T) {
	x86Records(t)
	deep := event.CutPath("/dev/.x/" + strings.Repeat("d/", 3000))
	parentDir := fileID{dev: 0xfe << 32, ino: 9977957}
	for _, tc := range []struct {
		name     string
		ppidDir  fileID // the directory "." names from the parent's working directory
		want     string
		unresolv uint64
	}{
		{"same directory", parentDir, deep, 0},
		{"parent moved on", fileID{dev: 0xfe << 32, ino: 1}, "./payload", 1},
	} {
		h := hooks{
			longCwd: func(int64) (string, bool) { return "", false },
			parentCwd: func(ppid int64, dir string, want fileID) (string, bool) {
				if ppid != 405 || dir != "." || want != tc.ppidDir {
					return "", false
				}
				return deep, true
			},
		}
		recs, a := decodeFile(t, "openat_create_long_cwd.txt", event.TypeSetOf(event.TypeOpenat), h)
		if len(recs) != 1 || recs[0].Event.FD.Name != tc.want || a.dec.unresolved != tc.unresolv {
			var name string
			if len(recs) == 1 {
				name = recs[0].Event.FD.Name
			}
			t.Errorf("%s: %d records, fd.name %.40q, %d unresolved; want %.40q, %d", tc.name, len(recs), name,
				a.dec.unresolved, tc.want, tc.unresolv)
		}
	}
}

// TestDecodeSocketReused: socket(AF_INET, SOCK_STREAM) made fd 5, then a
// connect on fd 5. When the process has since put another socket under
// that number (close, then dup2 or a descriptor received: calls audit does
// not report), the connect takes the protocol of the socket fd 5 is now;
// the fd table's is used only when the socket cannot be asked.
func TestDecodeSocketReused(t *testing.T) {
	x86Records(t)
	types := event.TypeSetOf(event.TypeSocket, event.TypeConnect)
	for _, tc := range []struct {
		name  string
		now   event.L4Proto
		known bool
		want  event.L4Proto
		stale uint64
	}{
		{"no way to ask", event.L4Unknown, false, event.L4TCP, 0},
		{"still the same socket", event.L4TCP, true, event.L4TCP, 0},
		{"a UDP socket now", event.L4UDP, true, event.L4UDP, 1},
		{"no IP socket now", event.L4Unknown, true, event.L4Unknown, 1},
	} {
		h := hooks{sockProto: func(pid, fd int64) (event.L4Proto, bool) {
			if pid != 432 || fd != 5 {
				return event.L4Unknown, false
			}
			return tc.now, tc.known
		}}
		if !tc.known {
			h = hooks{}
		}
		a := newReassembler(types, 0)
		a.dec.hooks = h
		a.dec.fds = newFDTable()
		feed(t, a, readTestdata(t, "socket_reused.txt"))
		recs := drain(a)
		if len(recs) != 2 || recs[1].Event.Type != event.TypeConnect {
			t.Fatalf("%s: %d records: %+v", tc.name, len(recs), recs)
		}
		if got := recs[1].Event.FD.L4Proto; got != tc.want || a.dec.staleSockets != tc.stale {
			t.Errorf("%s: connect's protocol %v, %d stale; want %v, %d", tc.name, got, a.dec.staleSockets, tc.want, tc.stale)
		}
	}
}
