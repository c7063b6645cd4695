package ebpf

import (
	"net/netip"
	"path"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// FuzzDecode checks that Decode never panics, whatever the bytes, and that
// decoding the same bytes twice gives the same record.
func FuzzDecode(f *testing.F) {
	at := uint64(0xffffff9c)
	for _, seed := range [][]byte{
		sysRec(event.TypeOpenat, 42, 3, at, 0x1000, 0o101, 0o644).
			str(sP1, "hostname").str(sP1Abs, "/etc/../etc/./hostname").file(3, sIFREG|0o644, "/etc/hostname").bytes(),
		sysRec(event.TypeConnect, 9, 0, 5, 0x2000, 16).
			str(sSaddr, sockaddrIn(netip.MustParseAddrPort("10.0.0.1:80"))).
			sock(5, collectors.AFInet, collectors.SockStream, collectors.IPProtoTCP, netip.MustParseAddrPort("10.0.0.2:40000"), netip.MustParseAddrPort("10.0.0.1:80")).bytes(),
		sysRec(event.TypeAccept4, 9, 7, 3).
			sock(7, collectors.AFInet6, collectors.SockStream, collectors.IPProtoTCP, netip.MustParseAddrPort("[::1]:443"), netip.MustParseAddrPort("[::1]:5000")).bytes(),
		sysRec(event.TypeConnect, 9, 0, 5, 0x2000, 20).str(sSaddr, sockaddrUn("\x00abs")).unixSock(5, "", "\x00abs").bytes(),
		sysRec(event.TypeRecvmsg, 9, 10, 3, 0x1000).str(sSaddr, sockaddrIn6(netip.MustParseAddrPort("[fe80::1]:53"))).
			sock(3, collectors.AFInet6, collectors.SockDgram, collectors.IPProtoUDP, netip.MustParseAddrPort("[::]:53"), netip.MustParseAddrPort("[::]:0")).bytes(),
		sysRec(event.TypeRenameat2, 1, 0, at, 0x1000, at, 0x2000, 1).
			str(sP1, "a").str(sP1Abs, "/x/a").str(sP2, "../b").str(sP2Abs, "/x/y/../b").bytes(),
		sysRec(event.TypeSymlinkat, 1, 0, 0x1000, at, 0x2000).str(sP1, "/etc").str(sP2, "l").str(sP2Abs, "/tmp/l").bytes(),
		sysRec(event.TypeDup2, 9, 0, 5, 0).sock(0, collectors.AFInet, collectors.SockStream, collectors.IPProtoTCP,
			netip.MustParseAddrPort("10.0.0.5:43210"), netip.MustParseAddrPort("10.0.0.9:4444")).bytes(),
		sysRec(event.TypeMount, 1, 0, 0x1000, 0x2000, 0, 0).str(sP1, "none").str(sP2, "/mnt").bytes(),
		execRec(100, event.TypeExecve, "/bin/cat", "/usr/bin/cat", "/", []string{"/bin/cat", "/etc/hostname"}).
			str(sCgroup, "/").str(sEnv, "A=1\x00").bytes(),
		newRec(kindFork, forkSize, 0, 1, 1, 1).u32(forkChild, 2).bytes(),
		newRec(kindExit, exitSize, 0, 1, 1, 1).bytes(),
		credRec(event.TypeSetresuid, 1, 0, 0xffffffff, 65534, 0).ids([4]uint32{0, 65534, 0, 65534}, [4]uint32{}).bytes(),
		credRec(event.TypeCapset, 1, 0).u64(credCapPerm, 1<<21).bytes(),
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var r1, r2 collectors.Record
		err1 := Decode(raw, &r1)
		err2 := Decode(raw, &r2)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("decoding twice: %v, then %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if r1.Event.FD.Name != r2.Event.FD.Name || r1.Event.Args.Name != r2.Event.Args.Name ||
			r1.Event.Args.OldPath != r2.Event.Args.OldPath || r1.Event.Args.NewPath != r2.Event.Args.NewPath {
			t.Fatalf("decoding twice differs:\n%+v\n%+v", r1.Event, r2.Event)
		}
	})
}

// FuzzCleanPath checks cleanPath against path.Clean.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/a/../b", "a/./b/", "../../x", "/", "", "//a//b//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		b := []byte(p)
		n := cleanPath(b)
		want := path.Clean(p)
		if p == "" {
			want = ""
		}
		if got := string(b[:n]); got != want {
			t.Fatalf("cleanPath(%q) = %q, want %q", p, got, want)
		}
	})
}
