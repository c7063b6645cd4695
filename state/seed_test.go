package state

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lannersec/lanner/containers"
)

// pts0 is /dev/pts/0 encoded like the kernel's new_encode_dev.
const pts0 = 136 << 8

func fakeTree(t testing.TB) (procRoot, hostRoot string) {
	procRoot, hostRoot = newFakeRoot(t), newFakeHost(t)
	procs := []fakeProc{
		{pid: 1, ppid: 0, pgrp: 1, sid: 1, comm: "systemd", startTicks: 10, cmdline: []string{"/sbin/init", "splash"}, exe: "/usr/lib/systemd/systemd", cwd: "/", capPrm: 0x1ffffffffff, capEff: 0x1ffffffffff},
		{pid: 2, ppid: 0, pgrp: 0, sid: 0, comm: "kthreadd", flags: pfKthread, startTicks: 10},
		{pid: 100, ppid: 1, pgrp: 100, sid: 100, comm: "sshd", startTicks: 500, cmdline: []string{"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"}, exe: "/usr/sbin/sshd", cwd: "/"},
		{pid: 200, ppid: 100, pgrp: 200, sid: 200, comm: "bash", tty: pts0, startTicks: 123456, uid: 1000, gid: 1000, loginuid: "1000",
			cmdline: []string{"-bash"}, exe: "/usr/bin/bash", cwd: "/home/alice", env: []string{"HOME=/home/alice", "TERM=xterm"}, threads: []int64{200}},
		{pid: 300, ppid: 200, pgrp: 300, sid: 200, comm: "cat", tty: pts0, startTicks: 123500, uid: 1000, gid: 1000, loginuid: "1000",
			cmdline: []string{"cat", "/etc/hosts", "two words"}, exe: "/usr/bin/cat", cwd: "/home/alice", threads: []int64{300, 301, 302}},
		// A thread that shows up as its own entry: not a process.
		{pid: 301, ppid: 200, pgrp: 300, sid: 200, comm: "cat", tgid: 300, cmdline: []string{"cat"}},
		{pid: 400, ppid: 1, pgrp: 400, sid: 400, comm: "containerd-shim", startTicks: 2000, cmdline: []string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "moby"}, exe: "/usr/bin/containerd-shim-runc-v2"},
		{pid: 401, ppid: 400, pgrp: 401, sid: 401, comm: "nginx", startTicks: 2001, uid: 101, gid: 101,
			nspid: []int64{401, 1}, nspgid: []int64{401, 1}, nssid: []int64{401, 1},
			cmdline: []string{"nginx: master process nginx -g daemon off;"}, exe: "/usr/sbin/nginx", cwd: "/",
			cgroup: "12:pids:/docker/" + hexA + "\n1:name=systemd:/docker/" + hexA + "\n0::/\n",
			passwd: "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n",
			group:  "root:x:0:\nnginx:x:101:\n"},
		{pid: 402, ppid: 401, pgrp: 401, sid: 401, comm: "nginx", startTicks: 2005, uid: 101, gid: 101,
			nspid: []int64{402, 7}, nspgid: []int64{401, 1}, nssid: []int64{401, 1},
			cmdline: []string{"nginx: worker process"}, exe: "/usr/sbin/nginx", cwd: "/",
			cgroup: "0::/system.slice/docker-" + hexA + ".scope\n",
			passwd: "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n",
			group:  "root:x:0:\nnginx:x:101:\n"},
	}
	for _, p := range procs {
		p.write(t, procRoot)
	}
	// Entries that vanish or are garbage while seeding.
	writeFile(t, filepath.Join(procRoot, "500", "stat"), "500 (x) Z garbage")
	writeFile(t, filepath.Join(procRoot, "500", "status"), "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")
	writeFile(t, filepath.Join(procRoot, "600", "stat"), "600 (gone) S 1 600 600 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0")
	if err := os.MkdirAll(filepath.Join(procRoot, "700"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(procRoot, "self"), "")
	writeFile(t, filepath.Join(procRoot, "meminfo"), "")
	return procRoot, hostRoot
}

func TestSeedFakeTree(t *testing.T) {
	procRoot, hostRoot := fakeTree(t)
	tb := New(Options{ProcRoot: procRoot, HostRoot: hostRoot})
	if err := tb.Seed(); err != nil {
		t.Fatal(err)
	}
	if s := tb.Stats(); s.Processes != 8 {
		t.Errorf("Processes = %d, want 8", s.Processes)
	}
	get := func(pid int64) *entry {
		t.Helper()
		e := tb.byPID[pid]
		if e == nil {
			t.Fatalf("pid %d not seeded", pid)
		}
		return e
	}
	for _, pid := range []int64{301, 500, 600, 700} {
		if tb.byPID[pid] != nil {
			t.Errorf("pid %d seeded", pid)
		}
	}

	initP, sshd, bash, cat := &get(1).proc, &get(100).proc, &get(200).proc, &get(300).proc
	if initP.Parent != nil || sshd.Parent != initP || bash.Parent != sshd || cat.Parent != bash {
		t.Errorf("parents not linked: %p %p %p %p", initP.Parent, sshd.Parent, bash.Parent, cat.Parent)
	}
	if cat.Name != "cat" || cat.Exe != "cat" || cat.ExePath != "/usr/bin/cat" ||
		!slices.Equal(cat.Args, []string{"/etc/hosts", "two words"}) ||
		cat.ArgsText != "/etc/hosts two words" || cat.Cmdline != "cat /etc/hosts two words" || cat.Cwd != "/home/alice/" {
		t.Errorf("cat = %+v", *cat)
	}
	if cat.TTY != pts0 || bash.TTY != pts0 || sshd.TTY != 0 {
		t.Errorf("tty = %d %d %d", cat.TTY, bash.TTY, sshd.TTY)
	}
	if cat.UID != 1000 || cat.UserName != "alice" || cat.GroupName != "alice" || cat.LoginUID != 1000 || cat.LoginName != "alice" {
		t.Errorf("cat ids = %d %q %q %d %q", cat.UID, cat.UserName, cat.GroupName, cat.LoginUID, cat.LoginName)
	}
	if sshd.UserName != "root" || sshd.GroupName != "root" || sshd.LoginUID != unsetLoginUID || sshd.LoginName != "" {
		t.Errorf("sshd ids = %q %q %d %q", sshd.UserName, sshd.GroupName, sshd.LoginUID, sshd.LoginName)
	}
	if bash.Exe != "-bash" || bash.Cmdline != "bash" || len(bash.Args) != 0 {
		t.Errorf("bash exe/cmdline = %q %q %q", bash.Exe, bash.Cmdline, bash.Args)
	}
	if !slices.Equal(bash.Env, []string{"HOME=/home/alice", "TERM=xterm"}) || bash.EnvText != "HOME=/home/alice TERM=xterm" {
		t.Errorf("bash env = %q %q", bash.Env, bash.EnvText)
	}
	if want := int64(fakeBtime)*1e9 + 123456*1e7; bash.StartTime != want {
		t.Errorf("bash StartTime = %d, want %d", bash.StartTime, want)
	}
	if bash.SessionLeader != bash || cat.SessionLeader != bash || cat.GroupLeader != cat || cat.SID != 200 || cat.VPGID != 300 {
		t.Errorf("leaders: bash %p cat %p/%p (bash %p cat %p)", bash.SessionLeader, cat.SessionLeader, cat.GroupLeader, bash, cat)
	}
	if initP.CapEffective != 0x1ffffffffff || initP.CapPermitted != 0x1ffffffffff || initP.Exe != "/sbin/init" || initP.Cmdline != "systemd splash" {
		t.Errorf("init = %+v", *initP)
	}
	if k := &get(2).proc; k.Exe != "kthreadd" || k.Cmdline != "kthreadd" || k.ExePath != "" {
		t.Errorf("kthreadd = %+v", *k)
	}
	if len(sshd.Args) != 0 || sshd.Cmdline != "sshd" || sshd.Exe != "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups" {
		t.Errorf("sshd = %q %q", sshd.Exe, sshd.Args)
	}

	// The container.
	shim, master, worker := &get(400).proc, &get(401).proc, &get(402).proc
	if shim.Container != nil || bash.Container != nil {
		t.Error("host processes got a container")
	}
	c := master.Container
	if c == nil || c != worker.Container || c.ID != hexA[:12] || c.FullID != hexA || c.Runtime != containers.RuntimeDocker || c.MetadataKnown {
		t.Fatalf("container = %+v", c)
	}
	if tb.Container(hexA) != c {
		t.Error("Container(id) does not return the shared entry")
	}
	if master.VPID != 1 || worker.VPID != 7 || worker.VPGID != 1 || worker.SID != 1 {
		t.Errorf("vpid %d %d vpgid %d sid %d", master.VPID, worker.VPID, worker.VPGID, worker.SID)
	}
	if worker.Parent != master || master.Parent != shim || worker.GroupLeader != master || worker.SessionLeader != master {
		t.Error("container links wrong")
	}
	if master.UserName != "nginx" || master.GroupName != "nginx" {
		t.Errorf("container names = %q %q; want the container's nginx", master.UserName, master.GroupName)
	}
	if shim.UserName != "root" {
		t.Errorf("shim user = %q", shim.UserName)
	}
	if s := tb.Stats(); s.Containers != 1 {
		t.Errorf("Containers = %d", s.Containers)
	}
	// Process hits do not read.
	reads := tb.Stats().ProcReads
	if tb.Process(300) != cat || tb.Stats().ProcReads != reads {
		t.Error("Process after Seed reread /proc")
	}
}

func TestSeedMissingRoot(t *testing.T) {
	tb := New(Options{ProcRoot: filepath.Join(t.TempDir(), "nope")})
	if err := tb.Seed(); err == nil {
		t.Error("Seed of a missing ProcRoot succeeded")
	}
}

func TestMissReadsProc(t *testing.T) {
	procRoot, hostRoot := fakeTree(t)
	tb := New(Options{ProcRoot: procRoot, HostRoot: hostRoot})
	now := int64(1e18)
	tb.now = func() int64 { return now }

	cat := tb.Process(300)
	if cat == nil || cat.Name != "cat" || cat.Parent == nil || cat.Parent.Name != "bash" ||
		cat.Parent.Parent == nil || cat.Parent.Parent.Name != "sshd" || cat.SessionLeader != cat.Parent {
		t.Fatalf("miss read of 300 = %+v", cat)
	}
	s := tb.Stats()
	if s.Misses != 1 || s.ProcReads != 4 { // cat, bash, sshd, systemd
		t.Errorf("stats = %+v", s)
	}
	if tb.Process(300) != cat || tb.Process(200) != cat.Parent {
		t.Error("second lookup not a hit")
	}

	// A dead pid is read once, then negative-cached.
	for range 100 {
		if tb.Process(9999) != nil {
			t.Fatal("dead pid found")
		}
	}
	if got := tb.Stats().ProcReads - s.ProcReads; got != 1 {
		t.Errorf("dead pid read %d times, want 1", got)
	}
	now += int64(NegativeTTL) + 1
	tb.Process(9999)
	if got := tb.Stats().ProcReads - s.ProcReads; got != 2 {
		t.Errorf("dead pid read %d times after the TTL, want 2", got)
	}
	// A thread id is not a process.
	if tb.Process(301) != nil {
		t.Error("thread 301 resolved as a process")
	}
}
