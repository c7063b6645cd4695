package ebpf

import (
	"errors"
	"net/netip"
	"path"
	"slices"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/linuxabi"
)

func decode(t *testing.T, raw []byte) *collectors.Record {
	t.Helper()
	var r collectors.Record
	if err := Decode(raw, &r); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return &r
}

// TestDecodeOpenThroughLink: fd.name is the path as given, made absolute,
// not resolved through the symbolic link (as Falco's); RealPath is the
// file the fd really is.
func TestDecodeOpenThroughLink(t *testing.T) {
	raw := sysRec(event.TypeOpenat, 42, 3, uint64(0xffffff9c), 0x1000, 0, 0).
		str(sP1, "../tmp//link").str(sP1Abs, "/etc/../tmp//link").
		file(3, linuxabi.ModeRegular|0o640, "/etc/shadow").
		u32(sysFdi+fdiFlags, fdiFile).
		u64(sysFdi+fdiIno, 1123).
		u32(sysFdi+fdiDev, 254<<20|0x12345). // major 254, minor 0x12345
		bytes()
	ev := &decode(t, raw).Event
	want := event.FD{Kind: event.FDFile, Num: 3, Name: "/tmp/link", NameRaw: "../tmp//link", RealPath: "/etc/shadow",
		Dev: 0xfe00 | 0x12345&0xff | (0x12345&^0xff)<<12, Ino: 1123}
	if ev.FD != want {
		t.Errorf("FD = %+v, want %+v", ev.FD, want)
	}
}

func TestDecodeOpenatRelative(t *testing.T) {
	const flags = 0o100 | 0o1 // O_CREAT|O_WRONLY
	raw := sysRec(event.TypeOpenat, 42, 3, uint64(0xffffff9c), 0x1000, flags, 0o100644).
		str(sP1, "hostname").str(sP1Abs, "/etc/hostname").
		file(3, linuxabi.ModeRegular|0o644, "/etc/hostname").
		u32(sysFdi+fdiFlags, fdiFile|fdiCreated).
		bytes()
	r := decode(t, raw)
	ev := &r.Event
	if r.Kind != collectors.KindSyscall || r.PID != 42 || r.TID != 42 || ev.TID != 42 {
		t.Fatalf("header: %+v", r)
	}
	if ev.Type != event.TypeOpenat || ev.Res != 3 || ev.Time != 1_700_000_000_000_000_000 {
		t.Fatalf("event: type %v res %d time %d", ev.Type, ev.Res, ev.Time)
	}
	want := event.FD{Kind: event.FDFile, Num: 3, Name: "/etc/hostname", NameRaw: "hostname", RealPath: "/etc/hostname",
		Dev: encodeDev(0)}
	if ev.FD != want {
		t.Errorf("FD = %+v, want %+v", ev.FD, want)
	}
	a := &ev.Args
	if !a.Has(event.ArgFlags|event.ArgMode|event.ArgPath|event.ArgDirFD) || a.Has(event.ArgName) {
		t.Errorf("Args.Set = %b", a.Set)
	}
	if a.Flags != flags|event.OpenCreated || a.Mode != 0o644 || a.Path != "hostname" || a.DirFD != -100 {
		t.Errorf("Args = %+v", *a)
	}
}

func TestDecodeOpenFailed(t *testing.T) {
	raw := sysRec(event.TypeOpen, 7, -2, 0x1000, 0, 0o777).
		str(sP1, "../x/./y").str(sP1Abs, "/home/u/../x/./y").bytes()
	r := decode(t, raw)
	fd := r.Event.FD
	if fd.Kind != event.FDFile || fd.Num != -1 || fd.Name != "/home/x/y" || fd.NameRaw != "../x/./y" {
		t.Errorf("FD = %+v", fd)
	}
	if r.Event.Args.Mode != 0 || r.Event.Args.Flags != 0 {
		t.Errorf("mode without O_CREAT must be 0: %+v", r.Event.Args)
	}
	// Decoding the same bytes again gives the same result.
	r2 := decode(t, raw)
	if r2.Event.FD != fd {
		t.Errorf("second decode: %+v, want %+v", r2.Event.FD, fd)
	}
}

func TestDecodeCreatNotCreated(t *testing.T) {
	raw := sysRec(event.TypeCreat, 7, 4, 0x1000, 0o755).
		str(sP1, "/tmp/f").str(sP1Abs, "/tmp/f").file(4, linuxabi.ModeRegular|0o755, "/tmp/f").bytes()
	a := decode(t, raw).Event.Args
	if a.Flags != linuxabi.CreatFlags || a.Mode != 0o755 {
		t.Errorf("Args = %+v", a)
	}
}

func TestDecodeOpenat2(t *testing.T) {
	raw := sysRec(event.TypeOpenat2, 7, 5, 9, 0x1000, 0x2000, 24).
		u64(sysAux, 0o2|0o100).u64(sysAux+8, 0o600).
		str(sP1, "f").str(sP1Abs, "/srv/f").file(5, linuxabi.ModeRegular|0o600, "/srv/f").bytes()
	ev := decode(t, raw).Event
	if ev.Args.Flags != 0o102 || ev.Args.Mode != 0o600 || ev.Args.DirFD != 9 || ev.FD.Name != "/srv/f" {
		t.Errorf("event = %+v", ev)
	}
}

func TestDecodeConnectIPv4(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	remote := netip.MustParseAddrPort("127.0.0.1:8080")
	raw := sysRec(event.TypeConnect, 9, -115, 5, 0x2000, 16).
		str(sSaddr, sockaddrIn(remote)).
		sock(5, collectors.AFInet, collectors.SockStream, collectors.IPProtoTCP, local, netip.AddrPortFrom(remote.Addr(), 0)).
		bytes()
	fd := decode(t, raw).Event.FD
	if fd.Kind != event.FDIPv4 || fd.L4Proto != event.L4TCP || fd.Num != 5 || fd.Server {
		t.Errorf("FD = %+v", fd)
	}
	if fd.Local != local || fd.Remote != remote {
		t.Errorf("endpoints %v -> %v", fd.Local, fd.Remote)
	}
	if fd.Name != "127.0.0.1:40000->127.0.0.1:8080" {
		t.Errorf("Name = %q", fd.Name)
	}
}

func TestDecodeAcceptIPv6(t *testing.T) {
	local := netip.MustParseAddrPort("[2001:db8::1]:443")
	remote := netip.MustParseAddrPort("[2001:db8::2]:51000")
	raw := sysRec(event.TypeAccept4, 9, 7, 3, 0, 0, 0x80000).
		sock(7, collectors.AFInet6, collectors.SockStream, collectors.IPProtoTCP, local, remote).bytes()
	ev := decode(t, raw).Event
	fd := ev.FD
	if fd.Kind != event.FDIPv6 || !fd.Server || fd.Num != 7 || !fd.Connected {
		t.Errorf("FD = %+v", fd)
	}
	if fd.Name != "2001:db8::2:51000->2001:db8::1:443" {
		t.Errorf("Name = %q", fd.Name)
	}
	if ev.Args.Flags != 0x80000 {
		t.Errorf("flags = %#x", ev.Args.Flags)
	}
}

func TestDecodeMappedIPv4OnIPv6Socket(t *testing.T) {
	local := netip.MustParseAddrPort("[::ffff:127.0.0.1]:8000")
	remote := netip.MustParseAddrPort("[::ffff:127.0.0.1]:50000")
	raw := sysRec(event.TypeAccept, 9, 4, 3).sock(4, collectors.AFInet6, collectors.SockStream, collectors.IPProtoTCP, local, remote).bytes()
	fd := decode(t, raw).Event.FD
	if fd.Kind != event.FDIPv4 || fd.Name != "127.0.0.1:50000->127.0.0.1:8000" {
		t.Errorf("FD = %+v", fd)
	}
}

func TestDecodeRecvfromUDPServer(t *testing.T) {
	local := netip.MustParseAddrPort("0.0.0.0:53")
	peer := netip.MustParseAddrPort("10.1.2.3:5353")
	raw := sysRec(event.TypeRecvfrom, 9, 12, 3, 0x1000, 512, 0, 0x2000, 0x3000).
		str(sSaddr, sockaddrIn(peer)).
		sock(3, collectors.AFInet, collectors.SockDgram, collectors.IPProtoUDP, local, netip.AddrPortFrom(netip.IPv4Unspecified(), 0)).
		bytes()
	fd := decode(t, raw).Event.FD
	if !fd.Server || fd.L4Proto != event.L4UDP || fd.Remote != peer {
		t.Errorf("FD = %+v", fd)
	}
	if fd.Name != "10.1.2.3:5353->0.0.0.0:53" {
		t.Errorf("Name = %q", fd.Name)
	}
}

func TestDecodeSendtoIPv6Sockaddr(t *testing.T) {
	dst := netip.MustParseAddrPort("[::1]:9999")
	raw := sysRec(event.TypeSendto, 9, 3, 4, 0x1000, 3, 0, 0x2000, 28).
		str(sSaddr, sockaddrIn6(dst)).
		sock(4, collectors.AFInet6, collectors.SockDgram, collectors.IPProtoUDP, netip.MustParseAddrPort("[::]:41000"), netip.AddrPortFrom(netip.IPv6Unspecified(), 0)).
		bytes()
	fd := decode(t, raw).Event.FD
	if fd.Remote != dst || fd.Name != ":::41000->::1:9999" {
		t.Errorf("FD = %+v", fd)
	}
}

func TestDecodeUnix(t *testing.T) {
	raw := sysRec(event.TypeConnect, 9, 0, 5, 0x2000, 20).
		str(sSaddr, sockaddrUn("/run/x.sock")).unixSock(5, "", "/run/x.sock").bytes()
	fd := decode(t, raw).Event.FD
	if fd.Kind != event.FDUnix || fd.Name != "/run/x.sock" || !fd.Connected {
		t.Errorf("FD = %+v", fd)
	}
	raw = sysRec(event.TypeAccept, 9, 6, 5).unixSock(6, "\x00abstract", "").bytes()
	fd = decode(t, raw).Event.FD
	if fd.Name != "@abstract" || !fd.Server {
		t.Errorf("abstract FD = %+v", fd)
	}
}

func TestDecodeDupSocketToStdin(t *testing.T) {
	raw := sysRec(event.TypeDup2, 9, 0, 5, 0).
		sock(0, collectors.AFInet, collectors.SockStream, collectors.IPProtoTCP, netip.MustParseAddrPort("10.0.0.5:43210"), netip.MustParseAddrPort("10.0.0.9:4444")).
		bytes()
	ev := decode(t, raw).Event
	if ev.Args.FD != 5 || !ev.Args.Has(event.ArgFD) || ev.FD.Num != 0 || ev.FD.Kind != event.FDIPv4 {
		t.Errorf("event = %+v", ev)
	}
	if ev.FD.Name != "10.0.0.5:43210->10.0.0.9:4444" {
		t.Errorf("Name = %q", ev.FD.Name)
	}
}

func TestDecodeFileKinds(t *testing.T) {
	for _, tc := range []struct {
		mode  uint32
		magic uint64
		dname string
		want  event.FDKind
	}{
		{linuxabi.ModeRegular | 0o644, 0xEF53, "passwd", event.FDFile},
		{linuxabi.ModeDir | 0o755, 0xEF53, "etc", event.FDDirectory},
		{linuxabi.ModeFIFO | 0o600, pipefsMagic, "", event.FDPipe},
		{linuxabi.ModeFIFO | 0o600, 0xEF53, "fifo", event.FDPipe},
		{linuxabi.ModeChar | 0o666, 0x1373, "null", event.FDFile},
		{linuxabi.ModeRegular | 0o777, 0x01021994, "memfd:x", event.FDMemfd},
		{0o600, anonInodeMagic, "[eventfd]", event.FDEvent},
		{0o600, anonInodeMagic, "[eventpoll]", event.FDEventPoll},
		{0o600, anonInodeMagic, "[timerfd]", event.FDTimer},
		{0o600, anonInodeMagic, "[signalfd]", event.FDSignal},
		{0o600, anonInodeMagic, "inotify", event.FDInotify},
		{0o600, anonInodeMagic, "bpf-map", event.FDBPF},
		{0o600, anonInodeMagic, "[userfaultfd]", event.FDUserfault},
		{0o600, anonInodeMagic, "[io_uring]", event.FDIOUring},
		{0o600, anonInodeMagic, "[fanotify]", event.FDUnknown},
		{linuxabi.ModeRegular | 0o600, pidfsMagic, "pidfd", event.FDPidfd},
	} {
		if got := fileKind(tc.mode, tc.magic, []byte(tc.dname)); got != tc.want {
			t.Errorf("fileKind(%o, %#x, %q) = %c, want %c", tc.mode, tc.magic, tc.dname, got, tc.want)
		}
	}
}

func TestDecodePathSyscalls(t *testing.T) {
	at := uint64(0xffffff9c) // AT_FDCWD
	for _, tc := range []struct {
		name string
		raw  []byte
		want event.Args
	}{
		{"unlinkat", sysRec(event.TypeUnlinkat, 1, 0, at, 0x1000, 0x200).
			str(sP1, "d").str(sP1Abs, "/tmp//d").bytes(),
			event.Args{Set: event.ArgPath | event.ArgName | event.ArgDirFD | event.ArgFlags,
				Path: "d", Name: "/tmp/d", DirFD: -100, Flags: 0x200}},
		{"mkdir", sysRec(event.TypeMkdir, 1, 0, 0x1000, 0o40755).
			str(sP1, "a/b").str(sP1Abs, "/w/a/b").bytes(),
			event.Args{Set: event.ArgPath | event.ArgName | event.ArgMode, Path: "a/b", Name: "/w/a/b", Mode: 0o755}},
		{"fchmodat", sysRec(event.TypeFchmodat, 1, 0, 3, 0x1000, 0o4755).
			str(sP1, "f").str(sP1Abs, "/srv/f").bytes(),
			event.Args{Set: event.ArgPath | event.ArgName | event.ArgMode | event.ArgDirFD, Path: "f", Name: "/srv/f", Mode: 0o4755, DirFD: 3}},
		{"chmod", sysRec(event.TypeChmod, 1, 0, 0x1000, 0o4755).
			str(sP1, "/srv/f").str(sP1Abs, "/srv/f").bytes(),
			event.Args{Set: event.ArgPath | event.ArgName | event.ArgMode, Path: "/srv/f", Name: "/srv/f", Mode: 0o4755}},
		{"renameat2", sysRec(event.TypeRenameat2, 1, 0, at, 0x1000, 5, 0x2000, 1).
			str(sP1, "a").str(sP1Abs, "/x/a").str(sP2, "../b").str(sP2Abs, "/x/y/../b").bytes(),
			event.Args{Set: event.ArgOldPath | event.ArgNewPath | event.ArgFlags | event.ArgDirFD | event.ArgNewDirFD,
				OldPath: "/x/a", NewPath: "/x/b", Flags: 1, DirFD: -100, NewDirFD: 5}},
		{"renameat", sysRec(event.TypeRenameat, 1, 0, 4, 0x1000, at, 0x2000, 0xdead).
			str(sP1, "a").str(sP1Abs, "/x/a").str(sP2, "/b").str(sP2Abs, "/b").bytes(),
			event.Args{Set: event.ArgOldPath | event.ArgNewPath | event.ArgDirFD | event.ArgNewDirFD,
				OldPath: "/x/a", NewPath: "/b", DirFD: 4, NewDirFD: -100}},
		{"symlinkat", sysRec(event.TypeSymlinkat, 1, 0, 0x1000, at, 0x2000).
			str(sP1, "/etc").str(sP2, "lnk").str(sP2Abs, "/tmp/lnk").bytes(),
			event.Args{Set: event.ArgTarget | event.ArgLinkPath | event.ArgDirFD, Target: "/etc", LinkPath: "/tmp/lnk", DirFD: -100}},
		{"linkat", sysRec(event.TypeLinkat, 1, 0, at, 0x1000, at, 0x2000, 0x400).
			str(sP1, "/a").str(sP1Abs, "/a").str(sP2, "b").str(sP2Abs, "/w/b").bytes(),
			event.Args{Set: event.ArgOldPath | event.ArgNewPath | event.ArgFlags | event.ArgDirFD | event.ArgNewDirFD,
				OldPath: "/a", NewPath: "/w/b", Flags: 0x400, DirFD: -100, NewDirFD: -100}},
		{"listen", sysRec(event.TypeListen, 1, 0, 3, 128).bytes(),
			event.Args{Set: event.ArgFD | event.ArgBacklog, FD: 3, Backlog: 128}},
		{"sendto", sysRec(event.TypeSendto, 1, 5, 3, 0x1000, 5, 0, 0x2000, 16).str(sData, "hello").bytes(),
			event.Args{Set: event.ArgFD | event.ArgSize | event.ArgData, FD: 3, Size: 5}},
		{"sendmsg", sysRec(event.TypeSendmsg, 1, 7, 3, 0x1000, 0).u64(sysAux, 7).bytes(),
			event.Args{Set: event.ArgFD | event.ArgSize, FD: 3, Size: 7}},
		{"recvmsg failed", sysRec(event.TypeRecvmsg, 1, -11, 3, 0x1000, 0).bytes(),
			event.Args{Set: event.ArgFD, FD: 3}},
		{"accept4", sysRec(event.TypeAccept4, 1, 4, 3, 0, 0, 0x80800).u64(sysAux, 2).u64(sysAux+8, 128).bytes(),
			event.Args{Set: event.ArgFlags | event.ArgQueue, Flags: 0x80800, QueueLen: 2, QueueMax: 128}},
		{"ptrace", sysRec(event.TypePtrace, 1, 0, 16, 1234).bytes(),
			event.Args{Set: event.ArgRequest | event.ArgPID, Request: 16, PID: 1234}},
		{"setuid", credRec(event.TypeSetuid, 1, 0, 0).bytes(),
			event.Args{Set: event.ArgUID, UID: 0}},
		{"setgid", credRec(event.TypeSetgid, 1, 0, 50).bytes(),
			event.Args{Set: event.ArgGID, GID: 50}},
		{"setresuid", credRec(event.TypeSetresuid, 1, 0, 1, 0xffffffff, 3).bytes(),
			event.Args{Set: event.ArgRID | event.ArgEID | event.ArgSID, IDs: [3]uint32{1, 0xffffffff, 3}}},
		{"setregid", credRec(event.TypeSetregid, 1, 0, 4, 5, 6).bytes(),
			event.Args{Set: event.ArgRID | event.ArgEID, IDs: [3]uint32{4, 5, 0}}},
		{"setfsuid", credRec(event.TypeSetfsuid, 1, 0, 9).bytes(),
			event.Args{Set: event.ArgUID, UID: 9}},
		{"capset", credRec(event.TypeCapset, 1, 0, 0x1000, 0x2000).u64(credCapInh, 1).u64(credCapPerm, 2).u64(credCapEff, 3).bytes(),
			event.Args{Set: event.ArgCaps, Caps: [3]uint64{1, 2, 3}}},
		{"setns", sysRec(event.TypeSetns, 1, 0, 4, 0x40000000).bytes(),
			event.Args{Set: event.ArgFD | event.ArgFlags, FD: 4, Flags: 0x40000000}},
		{"unshare", sysRec(event.TypeUnshare, 1, 0, 0x20000).bytes(),
			event.Args{Set: event.ArgFlags, Flags: 0x20000}},
		{"bpf", sysRec(event.TypeBpf, 1, 5, 5).bytes(),
			event.Args{Set: event.ArgCmd, Cmd: 5}},
		{"socket", sysRec(event.TypeSocket, 1, 3, 2, 1, 6).bytes(),
			event.Args{Set: event.ArgDomain | event.ArgType | event.ArgProto, Domain: 2, SockType: 1, Proto: 6}},
		{"mount", sysRec(event.TypeMount, 1, 0, 0x1000, 0x2000, 0x3000, 0x1000).
			str(sP1, "/dev/sda1").str(sP2, "/mnt").bytes(),
			event.Args{Set: event.ArgName | event.ArgPath | event.ArgFlags, Name: "/dev/sda1", Path: "/mnt", Flags: 0x1000}},
		{"execve failed", sysRec(event.TypeExecve, 1, -2, 0x1000).str(sP1, "/nope").bytes(),
			event.Args{Set: event.ArgFilename | event.ArgPID, Filename: "/nope", PID: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decode(t, tc.raw).Event.Args
			if got != tc.want {
				t.Errorf("Args =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeCred(t *testing.T) {
	raw := credRec(event.TypeSetuid, 9, -1, 0).
		ids([4]uint32{65534, 65534, 65534, 65534}, [4]uint32{65533, 65533, 0, 65533}).
		u64(credCapPerm, 0x1f).bytes()
	r := decode(t, raw)
	if r.Kind != collectors.KindSyscall || r.Event.Type != event.TypeSetuid || r.Event.Res != -1 || r.TID != 9 {
		t.Fatalf("record: %+v", r)
	}
	want := collectors.Cred{UIDsKnown: true, GIDsKnown: true, CapsKnown: true, UID: 65534, EUID: 65534, SUID: 65534, FSUID: 65534,
		GID: 65533, EGID: 65533, SGID: 0, FSGID: 65533, CapPermitted: 0x1f}
	if r.Cred != want {
		t.Errorf("Cred = %+v, want %+v", r.Cred, want)
	}
	// A credential record of another type, or cut short, is refused.
	if err := Decode(credRec(event.TypeOpen, 9, 0).bytes(), &collectors.Record{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("open as a credential record: %v", err)
	}
	if err := Decode(fixLen(credRec(event.TypeSetuid, 9, 0).bytes()[:credSize-8]), &collectors.Record{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("short credential record: %v", err)
	}
	// A syscall record never fills Cred: the process keeps its identity.
	if r := decode(t, sysRec(event.TypePtrace, 1, 0, 16, 1234).bytes()); r.Cred.UIDsKnown {
		t.Errorf("Cred from a syscall record: %+v", r.Cred)
	}
}

func TestDecodeExec(t *testing.T) {
	raw := execRec(100, event.TypeExecve, "/bin/cat", "/usr/bin/cat", "/root", []string{"/bin/cat", "", "/etc/hostname"}).
		u32(execUID, 0).u32(execLoginUID, 1000).u32(execPPID, 99).u32(execVPID, 5).
		u32(execExeFlags, uint32(event.ExeUpperLayer|event.ExeWritable)).
		u64(execCapEff, 0x1ff).u64(execStart, 123).
		str(sCgroup, "/docker/abc").str(sEnv, "A=1\x00B=2\x00").
		bytes()
	var r collectors.Record
	r.Exec.Args = make([]string, 0, 8)
	backing := &r.Exec.Args[:1][0]
	if err := Decode(raw, &r); err != nil {
		t.Fatal(err)
	}
	ex := r.Exec
	if r.Kind != collectors.KindExec || ex.Filename != "/bin/cat" || ex.ExePath != "/usr/bin/cat" ||
		ex.Cwd != "/root" || ex.Comm != "cat" || ex.PPID != 99 || ex.VPID != 5 || ex.LoginUID != 1000 ||
		ex.CapEffective != 0x1ff || ex.StartTime != 123 || ex.CgroupPath != "/docker/abc" ||
		!ex.ExeUpperLayer || !ex.ExeWritable || ex.ExeFromMemfd {
		t.Errorf("Exec = %+v", ex)
	}
	if !slices.Equal(ex.Args, []string{"/bin/cat", "", "/etc/hostname"}) {
		t.Errorf("Args = %q", ex.Args)
	}
	if &ex.Args[:1][0] != backing {
		t.Errorf("Exec.Args was reallocated")
	}
	if !slices.Equal(ex.Env, []string{"A=1", "B=2"}) {
		t.Errorf("Env = %q", ex.Env)
	}
	ev := r.Event
	if ev.Type != event.TypeExecve || ev.Res != 0 || ev.Args.Filename != "/bin/cat" ||
		ev.Args.Flags != event.ExeUpperLayer|event.ExeWritable || ev.Args.PID != 100 {
		t.Errorf("Event = %+v", ev)
	}

	// Without the execve type asked for, the exec record has no event.
	raw = execRec(100, event.TypeUnknown, "/bin/true", "/usr/bin/true", "/", []string{"true"}).bytes()
	if err := Decode(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Event.Type != event.TypeUnknown || r.Exec.ExePath != "/usr/bin/true" || len(r.Exec.Args) != 1 {
		t.Errorf("record = %+v", r)
	}
}

func TestDecodeForkExit(t *testing.T) {
	raw := newRec(kindFork, forkSize, 0, 10, 11, 5).
		u32(forkParent, 10).u32(forkChild, 10).u32(forkChildTID, 12).u32(forkThread, 1).bytes()
	r := decode(t, raw)
	want := collectors.Fork{ParentPID: 10, ChildPID: 10, ChildTID: 12, Thread: true}
	if r.Kind != collectors.KindFork || r.Fork != want || r.PID != 10 || r.TID != 11 || r.Time != 5 {
		t.Errorf("fork record = %+v", r)
	}
	raw = newRec(kindExit, exitSize, 0, 10, 10, 6).u64(exitCode, 0x100).u32(exitGroupDead, 1).bytes()
	r = decode(t, raw)
	if r.Kind != collectors.KindExit || r.Exit != (collectors.Exit{Code: 0x100}) {
		t.Errorf("exit record = %+v", r)
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := sysRec(event.TypeOpenat, 1, 3).str(sP1, "x").bytes()
	for name, raw := range map[string][]byte{
		"empty":        nil,
		"short header": good[:hdrSize-1],
		"short fixed":  fixLen(good[:sysSize-8]),
		"len too big":  func() []byte { b := clone(good); le.PutUint32(b[hdrLen:], uint32(len(b)+1)); return b }(),
		"bad kind":     func() []byte { b := clone(good); b[hdrKind] = 9; return b }(),
		"bad type":     func() []byte { b := clone(good); b[hdrType] = byte(event.TypeClone); return b }(),
		"zero type":    func() []byte { b := clone(good); b[hdrType] = 0; return b }(),
		"string past end": func() []byte {
			b := clone(good)
			le.PutUint16(b[hdrSlen+2*sP1:], 2)
			return b
		}(),
		"exec bad type": execRec(1, event.TypeOpen, "a", "b", "c", nil).bytes(),
	} {
		var r collectors.Record
		if err := Decode(raw, &r); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func fixLen(b []byte) []byte {
	b = clone(b)
	le.PutUint32(b[hdrLen:], uint32(len(b)))
	return b
}

func TestDecodeIgnoresTrailingBytes(t *testing.T) {
	raw := append(credRec(event.TypeSetuid, 1, 0, 7).bytes(), 1, 2, 3)
	if a := decode(t, raw).Event.Args; a.UID != 7 {
		t.Errorf("Args = %+v", a)
	}
}

func TestDecodeReusesRecord(t *testing.T) {
	var r collectors.Record
	if err := Decode(execRec(1, event.TypeExecve, "/a", "/a", "/", []string{"a"}).bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if err := Decode(credRec(event.TypeSetuid, 2, 0, 7).bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Exec.ExePath != "" || len(r.Exec.Args) != 0 || r.Event.Args.Filename != "" || r.Kind != collectors.KindSyscall {
		t.Errorf("stale fields: %+v", r)
	}
}

func TestDecodeAllocs(t *testing.T) {
	open := sysRec(event.TypeOpenat, 42, 3, uint64(0xffffff9c), 0x1000, 0, 0).
		str(sP1, "hostname").str(sP1Abs, "/etc/./hostname").file(3, linuxabi.ModeRegular|0o644, "/etc/hostname").bytes()
	conn := sysRec(event.TypeConnect, 9, 0, 5, 0x2000, 16).
		str(sSaddr, sockaddrIn(netip.MustParseAddrPort("10.0.0.1:80"))).
		sock(5, collectors.AFInet, collectors.SockStream, collectors.IPProtoTCP, netip.MustParseAddrPort("10.0.0.2:40000"), netip.MustParseAddrPort("10.0.0.1:80")).
		bytes()
	ex := execRec(1, event.TypeExecve, "/bin/cat", "/usr/bin/cat", "/", []string{"cat", "a", "b"}).bytes()
	var r collectors.Record
	for name, raw := range map[string][]byte{"openat": open, "connect": conn, "exec": ex} {
		Decode(raw, &r) // warm up the reused slices
		if n := testing.AllocsPerRun(100, func() {
			if err := Decode(raw, &r); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per Decode", name, n)
		}
	}
}

func TestCleanPath(t *testing.T) {
	for _, p := range []string{
		"/", "//", "/a/b", "/a//b/", "/a/./b", "/a/../b", "/../a", "/a/b/../../..", "/a/b/c/../../d",
		"a", "a/..", "../a", "a/../../b", "./a", ".", "..", "/.", "/..", "/a/.", "/a/..", "a/b/../../..",
	} {
		b := []byte(p)
		n := cleanPath(b)
		if got, want := string(b[:n]), path.Clean(p); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestRingBufferSize(t *testing.T) {
	for _, tc := range []struct{ in, want int }{
		{0, 16 << 20}, {-1, 16 << 20}, {1, 4096}, {4096, 4096}, {5000, 8192}, {3 << 20, 4 << 20},
		{24 << 20, 32 << 20}, {1 << 40, 1 << 30},
	} {
		if got := ringBufferSize(tc.in, 16<<20, 4096); int(got) != tc.want {
			t.Errorf("ringBufferSize(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestDefaultRingBufferBytes(t *testing.T) {
	for _, tc := range []struct {
		cpus int
		mem  uint64
		want int
	}{
		{1, 0, 16 << 20}, {2, 24 << 30, 16 << 20}, {4, 24 << 30, 32 << 20}, {128, 1 << 40, 256 << 20},
		{4, 512 << 20, 16 << 20}, {2, 128 << 20, 8 << 20}, {0, 0, 16 << 20},
	} {
		if got := DefaultRingBufferBytes(tc.cpus, tc.mem); got != tc.want {
			t.Errorf("DefaultRingBufferBytes(%d, %d) = %d, want %d", tc.cpus, tc.mem, got, tc.want)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for name, raw := range map[string][]byte{
		"openat": sysRec(event.TypeOpenat, 42, 3, uint64(0xffffff9c), 0x1000, 0, 0).
			str(sP1, "hostname").str(sP1Abs, "/etc/hostname").file(3, linuxabi.ModeRegular|0o644, "/etc/hostname").bytes(),
		"connect": sysRec(event.TypeConnect, 9, 0, 5, 0x2000, 16).
			str(sSaddr, sockaddrIn(netip.MustParseAddrPort("10.0.0.1:80"))).
			sock(5, collectors.AFInet, collectors.SockStream, collectors.IPProtoTCP, netip.MustParseAddrPort("10.0.0.2:40000"), netip.MustParseAddrPort("10.0.0.1:80")).
			bytes(),
		"exec": execRec(1, event.TypeExecve, "/bin/cat", "/usr/bin/cat", "/", []string{"cat", "a", "b"}).bytes(),
	} {
		b.Run(name, func(b *testing.B) {
			var r collectors.Record
			b.ReportAllocs()
			for b.Loop() {
				if err := Decode(raw, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeData: the data of a send call goes to Buffer, whose memory the
// next records reuse; a record without data leaves evt.buffer absent.
func TestDecodeData(t *testing.T) {
	var r collectors.Record
	send := sysRec(event.TypeSendto, 1, 5, 3, 0x1000, 5).str(sData, "he\x00lo").bytes()
	if err := Decode(send, &r); err != nil {
		t.Fatal(err)
	}
	if string(r.Event.Buffer) != "he\x00lo" {
		t.Fatalf("Buffer %q", r.Event.Buffer)
	}
	if got, _ := event.EvtArgs(&r.Event, event.Arg{}); got != "res=5 data=he.lo fd=3 size=5" {
		t.Errorf("evt.args %q", got)
	}
	if err := Decode(sysRec(event.TypeListen, 1, 0, 3, 1).bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if _, ok := event.EvtBuffer(&r.Event, event.Arg{}); ok {
		t.Errorf("listen has a buffer %q", r.Event.Buffer)
	}
	if err := Decode(send, &r); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Decode(send, &r) }); n != 0 {
		t.Errorf("%v allocations per send record", n)
	}
}
