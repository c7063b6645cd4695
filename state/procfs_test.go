package state

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lannersec/lanner/containers"
)

func TestParseStat(t *testing.T) {
	st, ok := parseStat([]byte("4242 (we ird) (x)) S 1 4242 4200 34816 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 98765 0 0\n"))
	if !ok || st.pid != 4242 || st.comm != "we ird) (x)" || st.state != 'S' || st.ppid != 1 || st.pgrp != 4242 ||
		st.session != 4200 || st.ttyNr != 34816 || st.flags != 4194560 || st.startTicks != 98765 {
		t.Errorf("parseStat = %+v, %v", st, ok)
	}
	// A tty whose minor needs the high bits is printed negative.
	if st, ok := parseStat([]byte("1 (a) S 0 1 1 -2147483648 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0")); !ok || st.ttyNr != 0x80000000 {
		t.Errorf("negative tty_nr: %+v %v", st, ok)
	}
	for _, bad := range []string{"", "1", "1 (a)", "x (a) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", "1 (a) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0", "1 a) S (b"} {
		if _, ok := parseStat([]byte(bad)); ok {
			t.Errorf("parseStat(%q) ok", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	ss, ok := parseStatus([]byte("Name:\tnginx\nTgid:\t402\nUid:\t1\t101\t101\t101\nGid:\t2\t102\t102\t102\n" +
		"NStgid:\t402\t7\nNSpid:\t402\t7\nNSpgid:\t401\t1\nNSsid:\t401\t1\nCapInh:\t0000000000000001\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n"))
	want := statusInfo{tgid: 402, uid: 101, gid: 102, capInh: 1, capPrm: 0xa80425fb, capEff: 0xa80425fb, vpid: 7, vpgid: 1, vsid: 1}
	if !ok || ss != want {
		t.Errorf("parseStatus = %+v, %v; want %+v", ss, ok, want)
	}
	if _, ok := parseStatus([]byte("Name:\tx\nUid:\t0\n")); ok {
		t.Error("status without effective ids accepted")
	}
	if got := parseBootTime([]byte("cpu 1 2\nbtime 1795759297\n")); got != 1795759297*1e9 {
		t.Errorf("parseBootTime = %d", got)
	}
}

func TestSplitNul(t *testing.T) {
	for in, want := range map[string][]string{
		"":                  nil,
		"\x00":              nil,
		"a\x00b c\x00":      {"a", "b c"},
		"a\x00\x00b\x00":    {"a", "", "b"},
		"title\x00\x00\x00": {"title"},
		"no nul":            {"no nul"},
	} {
		if got := splitNul([]byte(in)); !slices.Equal(got, want) {
			t.Errorf("splitNul(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadRegularRejectsDevices(t *testing.T) {
	if b := readRegular("/dev/zero", 100); b != nil {
		t.Errorf("read %d bytes from /dev/zero", len(b))
	}
	if m := readIDFile(filepath.Join(t.TempDir(), "missing")); len(m) != 0 {
		t.Error("missing file gave names")
	}
}

// TestSeedRealProc seeds the tables from this machine's /proc and finds
// this test process.
func TestSeedRealProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no procfs:", err)
	}
	tb := New(Options{})
	if err := tb.Seed(); err != nil {
		t.Fatal(err)
	}
	s := tb.Stats()
	if s.Processes < 2 || s.ProcReads == 0 {
		t.Fatalf("stats after seeding /proc: %+v", s)
	}
	pid := int64(os.Getpid())
	p := tb.Process(pid)
	if p == nil {
		t.Fatal("this process was not seeded")
	}
	if tb.Stats().Misses != 0 {
		t.Error("lookup of a seeded process missed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		t.Fatal(err)
	}
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	if want := string(comm[:len(comm)-1]); p.Name != want {
		t.Errorf("Name = %q, want %q", p.Name, want)
	}
	if p.ExePath != exe {
		t.Errorf("ExePath = %q, want %q", p.ExePath, exe)
	}
	if p.Exe != os.Args[0] || !slices.Equal(p.Args, os.Args[1:]) {
		t.Errorf("Exe, Args = %q %q; want %q %q", p.Exe, p.Args, os.Args[0], os.Args[1:])
	}
	if wd, _ := os.Getwd(); p.Cwd != wd+"/" {
		t.Errorf("Cwd = %q, want %q", p.Cwd, wd)
	}
	if p.UID != uint32(os.Geteuid()) || p.GID != uint32(os.Getegid()) {
		t.Errorf("ids = %d %d", p.UID, p.GID)
	}
	if os.Geteuid() == 0 && p.UserName != "root" {
		t.Errorf("UserName = %q", p.UserName)
	}
	if p.PPID != int64(os.Getppid()) || p.Parent == nil || p.Parent.PID != int64(os.Getppid()) || p.Parent != tb.Process(p.PPID) {
		t.Errorf("parent = %d %v", p.PPID, p.Parent)
	}
	if p.Parent != nil && p.Parent.Name == "" {
		t.Error("parent has no name")
	}
	if p.VPID != pid {
		t.Errorf("VPID = %d", p.VPID)
	}
	if d := time.Since(time.Unix(0, p.StartTime)); d < -2*time.Second || d > time.Hour {
		t.Errorf("StartTime is %v ago", d)
	}
	if p.SessionLeader == nil && p.SID > 0 && tb.Process(p.SID) != nil {
		t.Error("session leader not linked")
	}
	if p.Env == nil {
		t.Error("no environment")
	}
	cg, _ := os.ReadFile("/proc/self/cgroup")
	if _, _, inCtr := containers.ContainerIDFromCgroup(string(cg)); !inCtr && p.Container != nil {
		t.Errorf("host process got container %+v", p.Container)
	}
	if init := tb.Process(1); init == nil || init.Parent != nil {
		t.Errorf("pid 1 = %+v", init)
	}
}
