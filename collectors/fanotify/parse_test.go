package fanotify

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors"
)

const sampleMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600
42 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
43 23 0:13 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime - tracefs tracefs rw
50 27 8:1 / /mnt/my\040disk rw - xfs /dev/sdb1 rw
51 27 8:1 / /data rw - xfs /dev/sdb1 rw
52 27 0:50 / /srv/nfs rw - nfs server:/export rw
53 27 0:51 / /var/lib/docker/overlay2/x/merged rw - overlay overlay rw,lowerdir=/a
54 27 0:52 / /run rw shared:5 - tmpfs tmpfs rw
55 27 0:53 / /mnt/fuse rw - fuse.sshfs host: rw
garbage line
`

func TestWatchMounts(t *testing.T) {
	ms := parseMountinfo(strings.NewReader(sampleMountinfo))
	if len(ms) != 17 {
		t.Fatalf("parsed %d mounts, want 17", len(ms))
	}
	var got []string
	for _, m := range watchMounts(ms) {
		got = append(got, m.MountPoint+" "+m.FSType)
	}
	want := []string{
		"/ ext4",
		"/dev devtmpfs",
		"/dev/shm tmpfs",
		"/data xfs", // same superblock as "/mnt/my disk": the shorter mount point
		"/var/lib/docker/overlay2/x/merged overlay",
		"/run tmpfs",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("watchMounts:\n got %q\nwant %q", got, want)
	}
	if ms[11].MountPoint != "/mnt/my disk" {
		t.Errorf("unescaped mount point %q", ms[11].MountPoint)
	}
	if got := unescapeMount(`a\134b\04`); got != `a\b\04` {
		t.Errorf("unescapeMount = %q", got)
	}
}

func TestWatchMountsThisHost(t *testing.T) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	ms := watchMounts(parseMountinfo(f))
	if len(ms) == 0 || ms[0].MountPoint != "/" {
		t.Fatalf("watchMounts on this host: %+v", ms)
	}
}

// The builders below write fanotify records the way the kernel does.

func metadata(mask uint64, fd, pid int32, info ...[]byte) []byte {
	n := metadataLen
	for _, b := range info {
		n += len(b)
	}
	b := make([]byte, metadataLen, n)
	le.PutUint32(b, uint32(n))
	b[4] = metadataVersion
	le.PutUint16(b[6:], metadataLen)
	le.PutUint64(b[8:], mask)
	le.PutUint32(b[16:], uint32(fd))
	le.PutUint32(b[20:], uint32(pid))
	for _, i := range info {
		b = append(b, i...)
	}
	return b
}

func fidInfo(typ byte, fsid uint64, htype int32, handle []byte, name string) []byte {
	b := make([]byte, 4+8+8, 64)
	b[0] = typ
	le.PutUint64(b[4:], fsid)
	le.PutUint32(b[12:], uint32(len(handle)))
	le.PutUint32(b[16:], uint32(htype))
	b = append(b, handle...)
	if typ != infoTypeFID && typ != infoTypeDFID {
		b = append(b, name...)
		b = append(b, 0)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	le.PutUint16(b[2:], uint16(len(b)))
	return b
}

func TestParseEvents(t *testing.T) {
	h := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	var buf []byte
	buf = append(buf, metadata(fanOpen|fanModify, 7, 100)...)
	buf = append(buf, metadata(fanCreate, fanNoFD, 101,
		fidInfo(infoTypeDFIDName, 0xabcdef, 1, h, "file.txt"), fidInfo(infoTypeFID, 0xabcdef, 1, h[:4], ""))...)
	buf = append(buf, metadata(fanRename, fanNoFD, 102,
		fidInfo(infoTypeOldDFIDName, 9, 2, h, "old"), fidInfo(infoTypeNewDFIDName, 9, 2, h, "new"))...)
	buf = append(buf, metadata(fanQOverflow, fanNoFD, 0)...)
	bad := fidInfo(infoTypeDFIDName, 1, 1, h, "x/y") // a name with a slash
	buf = append(buf, metadata(fanDelete, 9, 103, bad)...)

	var got []rawEvent
	lost := parseEvents(buf, func(ev *rawEvent) {
		e := *ev
		got = append(got, e)
	})
	if lost != 0 || len(got) != 5 {
		t.Fatalf("lost %d, events %d", lost, len(got))
	}
	if e := got[0]; e.Mask != fanOpen|fanModify || e.FD != 7 || e.PID != 100 || e.Bad || e.Dir.Valid {
		t.Errorf("notification event: %+v", e)
	}
	if e := got[1]; e.Bad || !e.Dir.Valid || e.Dir.Name != "file.txt" || e.Dir.FSID != 0xabcdef ||
		e.Dir.HandleType != 1 || string(e.Dir.Handle) != string(h) || !e.Obj.Valid || len(e.Obj.Handle) != 4 {
		t.Errorf("create event: %+v", e)
	}
	if e := got[2]; e.OldDir.Name != "old" || e.NewDir.Name != "new" || e.OldDir.HandleType != 2 {
		t.Errorf("rename event: %+v", e)
	}
	if got[3].Mask != fanQOverflow {
		t.Errorf("overflow event: %+v", got[3])
	}
	if e := got[4]; !e.Bad || e.FD != 9 {
		t.Errorf("broken event must come with Bad and its fd: %+v", e)
	}

	// A truncated buffer: the whole events before it are delivered.
	n := 0
	if lost := parseEvents(buf[:len(buf)-3], func(*rawEvent) { n++ }); lost == 0 || n != 4 {
		t.Errorf("truncated: lost %d, events %d", lost, n)
	}
	// A wrong version is Bad but skipped by its length.
	v := metadata(fanOpen, 3, 1)
	v[4] = 2
	n = 0
	parseEvents(append(v, metadata(fanOpen, 4, 1)...), func(ev *rawEvent) {
		if n == 0 && !ev.Bad || n == 1 && ev.Bad {
			t.Errorf("event %d: %+v", n, ev)
		}
		n++
	})
	if n != 2 {
		t.Errorf("version: %d events", n)
	}
}

func TestParseConnector(t *testing.T) {
	msg := func(what uint32, data ...uint32) []byte {
		pe := make([]byte, 16)
		le.PutUint32(pe, what)
		le.PutUint64(pe[8:], 12345)
		for _, d := range data {
			pe = le.AppendUint32(pe, d)
		}
		b := make([]byte, nlmsgHdrLen+cnMsgLen)
		le.PutUint16(b[4:], nlmsgDone)
		le.PutUint32(b[nlmsgHdrLen:], cnIdxProc)
		le.PutUint32(b[nlmsgHdrLen+4:], cnValProc)
		le.PutUint16(b[nlmsgHdrLen+16:], uint16(len(pe)))
		b = append(b, pe...)
		le.PutUint32(b, uint32(len(b)))
		return b
	}
	var buf []byte
	buf = append(buf, msg(procEventFork, 10, 10, 11, 11)...)
	buf = append(buf, msg(procEventExec, 11, 11)...)
	buf = append(buf, msg(procEventExit, 12, 11, 256, 17, 10, 10)...)
	buf = append(buf, msg(procEventUID, 13, 11, 65534, 0)...)
	buf = append(buf, msg(procEventGID, 13, 11, 5, 6)...)
	buf = append(buf, msg(procEventFork, 1)...)        // short
	buf = append(buf, msg(procEventUID, 13, 11, 1)...) // short
	var got []procEvent
	bad := parseConnector(buf, func(ev *procEvent) { got = append(got, *ev) })
	if bad != 2 || len(got) != 5 {
		t.Fatalf("bad %d, events %+v", bad, got)
	}
	if g := got[3]; g.What != procEventUID || g.PID != 13 || g.TGID != 11 || g.RealID != 65534 || g.EffectiveID != 0 {
		t.Errorf("uid %+v", g)
	}
	if g := got[4]; g.What != procEventGID || g.RealID != 5 || g.EffectiveID != 6 {
		t.Errorf("gid %+v", g)
	}
	if g := got[0]; g.What != procEventFork || g.ParentTGID != 10 || g.PID != 11 || g.TGID != 11 || g.Timestamp != 12345 {
		t.Errorf("fork %+v", g)
	}
	if g := got[1]; g.What != procEventExec || g.TGID != 11 {
		t.Errorf("exec %+v", g)
	}
	if g := got[2]; g.What != procEventExit || g.PID != 12 || g.TGID != 11 || g.ExitCode != 256 {
		t.Errorf("exit %+v", g)
	}
	if l := connectorListen(5, true); len(l) != nlmsgHdrLen+cnMsgLen+4 || le.Uint32(l[nlmsgHdrLen+cnMsgLen:]) != procCnMcastListen {
		t.Errorf("listen message %x", l)
	}
}

func TestProcReader(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "4242")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"status": "Name:\tbash\nPPid:\t4000\nUid:\t1000\t1001\t1001\t1001\nGid:\t100\t101\t101\t101\n" +
			"NSpid:\t4242\t7\nNSpgid:\t4242\t7\nNSsid:\t3000\t1\nCapInh:\t0000000000000000\n" +
			"CapPrm:\t000001ffffffffff\nCapEff:\t0000000000000400\n",
		"cmdline":  "bash\x00-c\x00echo hi\x00",
		"environ":  "A=1\x00B=2\x00",
		"loginuid": "1000",
		"stat":     "4242 (a) b) c) S 4000 4242 3000 34816 4242 4194560 1 0 0 0 0 0 0 0 20 0 1 0 500 1000 100",
		"cgroup":   "12:cpu:/\n0::/user.slice\n",
	}
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("/usr/bin/bash", filepath.Join(dir, "exe"))
	os.Symlink("/home/u (deleted)", filepath.Join(dir, "cwd"))

	p := procReader{Root: root, BootTime: 1e18, TicksPerSec: 100}
	var ex collectors.Exec
	if alive, _ := p.readExec(4242, &ex); !alive {
		t.Fatal("readExec: process not found")
	}
	want := collectors.Exec{
		ExePath: "/usr/bin/bash", Comm: "a) b) c", Args: []string{"bash", "-c", "echo hi"},
		Env: []string{"A=1", "B=2"}, Cwd: "/home/u", PPID: 4000, VPID: 7, SID: 3000, VPGID: 7,
		TTY: 34816, UID: 1001, GID: 101, LoginUID: 1000, CapPermitted: 0x1ffffffffff,
		CapEffective: 0x400, CgroupPath: "/user.slice", StartTime: 1e18 + 500*1e7, ExeFlagsUnknown: true,
	}
	if !reflect.DeepEqual(ex, want) {
		t.Errorf("readExec:\n got %+v\nwant %+v", ex, want)
	}
	p.SkipEnv = true
	var noEnv collectors.Exec
	want.Env = nil
	if alive, _ := p.readExec(4242, &noEnv); !alive || !reflect.DeepEqual(noEnv, want) {
		t.Errorf("readExec without the environment:\n got %+v\nwant %+v", noEnv, want)
	}
	if got := p.ppid(4242); got != 4000 {
		t.Errorf("ppid = %d", got)
	}
	if alive, _ := p.readExec(1, &ex); alive {
		t.Error("readExec of a missing process reported it")
	}
	pids, err := p.listPIDs()
	if err != nil || !reflect.DeepEqual(pids, map[int64]bool{4242: true}) {
		t.Errorf("listPIDs = %v, %v", pids, err)
	}
	if got := pickCgroup([]byte("3:memory:/docker/abc\n0::/x\n")); got != "/docker/abc" {
		t.Errorf("pickCgroup = %q", got)
	}
}

func TestProcReaderSelf(t *testing.T) {
	p := procReader{Root: "/proc", TicksPerSec: 100}
	var ex collectors.Exec
	if alive, _ := p.readExec(int64(os.Getpid()), &ex); !alive {
		t.Skip("no /proc")
	}
	exe, _ := os.Executable()
	if ex.ExePath != exe || len(ex.Args) == 0 || ex.PPID != int64(os.Getppid()) || ex.UID != uint32(os.Geteuid()) {
		t.Errorf("readExec(self) = %+v", ex)
	}
}
