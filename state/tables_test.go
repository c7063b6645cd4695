package state

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"unsafe"

	"github.com/lannersec/lanner/collectors"
)

const sec = int64(1e9)

func forkRec(parent, child, at int64) *collectors.Record {
	return &collectors.Record{Kind: collectors.KindFork, PID: parent, TID: parent, Time: at,
		Fork: collectors.Fork{ParentPID: parent, ChildPID: child, ChildTID: child}}
}

func threadRec(pid, tid, at int64) *collectors.Record {
	return &collectors.Record{Kind: collectors.KindFork, PID: pid, TID: pid, Time: at,
		Fork: collectors.Fork{ParentPID: pid, ChildPID: pid, ChildTID: tid, Thread: true}}
}

func execRec(pid, at int64, x collectors.Exec) *collectors.Record {
	if x.LoginUID == 0 {
		x.LoginUID = unsetLoginUID
	}
	return &collectors.Record{Kind: collectors.KindExec, PID: pid, TID: pid, Time: at, Exec: x}
}

func exitRec(pid int64) *collectors.Record {
	return &collectors.Record{Kind: collectors.KindExit, PID: pid, TID: pid}
}

// newTestTables returns tables over an empty fake /proc and a fake host,
// with a clock the test controls.
func newTestTables(t testing.TB, opts Options) (*Tables, *int64) {
	if opts.ProcRoot == "" {
		opts.ProcRoot = newFakeRoot(t)
	}
	if opts.HostRoot == "" {
		opts.HostRoot = newFakeHost(t)
	}
	tb := New(opts)
	now := int64(1e18)
	tb.now = func() int64 { return now }
	return tb, &now
}

func TestForkExecExit(t *testing.T) {
	tb, _ := newTestTables(t, Options{})
	tb.Apply(execRec(10, 1*sec, collectors.Exec{Comm: "init", Filename: "/sbin/init", ExePath: "/usr/lib/systemd/systemd",
		Args: []string{"/sbin/init"}, Cwd: "/", VPID: 10, SID: 10, VPGID: 10}))
	tb.Apply(forkRec(10, 20, 2*sec))
	child := tb.Process(20)
	if child == nil || child.Name != "init" || child.PID != 20 || child.PPID != 10 || child.Parent != tb.Process(10) ||
		child.StartTime != 2*sec || child.Cwd != "/" || child.SessionLeader != tb.Process(10) || child.VPID != 20 {
		t.Fatalf("forked child = %+v", child)
	}
	tb.Apply(execRec(20, 3*sec, collectors.Exec{Comm: "bash", Filename: "/bin/bash", ExePath: "/usr/bin/bash",
		Args: []string{"-bash", "-l"}, Env: []string{"HOME=/home/alice", "TERM=xterm"}, Cwd: "/home/alice", PPID: 10,
		VPID: 20, SID: 20, VPGID: 20, TTY: pts0, UID: 1000, GID: 1000, LoginUID: 1000, CapEffective: 3,
		ExeUpperLayer: true, ExeInoCtime: 11, ExeInoMtime: 12}))
	bash := tb.Process(20)
	if bash != child {
		t.Error("exec of a live process made a new entry")
	}
	if bash.Name != "bash" || bash.Exe != "-bash" || bash.ExePath != "/usr/bin/bash" || !slices.Equal(bash.Args, []string{"-l"}) ||
		bash.Cmdline != "bash -l" || bash.EnvText != "HOME=/home/alice TERM=xterm" || bash.Cwd != "/home/alice/" ||
		bash.TTY != pts0 || bash.UserName != "alice" || bash.GroupName != "alice" || bash.LoginName != "alice" ||
		bash.CapEffective != 3 || !bash.ExeUpperLayer || bash.ExeInoCtime != 11 || bash.ExeInoMtime != 12 ||
		bash.StartTime != 2*sec || bash.SessionLeader != bash || bash.GroupLeader != bash {
		t.Errorf("bash = %+v", *bash)
	}

	// The child inherits the whole description.
	tb.Apply(forkRec(20, 30, 4*sec))
	sub := tb.Process(30)
	if sub.Name != "bash" || sub.Cmdline != "bash -l" || sub.EnvText != bash.EnvText || sub.TTY != pts0 || sub.UID != 1000 ||
		sub.UserName != "alice" || sub.LoginUID != 1000 || sub.CapEffective != 3 || sub.Parent != bash ||
		sub.SessionLeader != bash || sub.GroupLeader != bash || sub.SID != 20 || sub.VPID != 30 {
		t.Errorf("sub = %+v", *sub)
	}
	// Exec without Env keeps it; without args, Exe is the filename.
	tb.Apply(execRec(30, 5*sec, collectors.Exec{Comm: "ls", Filename: "/bin/ls", ExePath: "/usr/bin/ls", PPID: 20,
		VPID: 30, SID: 20, VPGID: 30, TTY: pts0, UID: 0, LoginUID: 1000}))
	if sub.Exe != "/bin/ls" || sub.Cmdline != "ls" || sub.ArgsText != "" || sub.EnvText != bash.EnvText ||
		sub.UserName != "root" || sub.LoginName != "alice" || sub.GroupLeader != sub || sub.SessionLeader != bash {
		t.Errorf("ls = %+v", *sub)
	}

	// Threads are not processes.
	n := tb.Stats().Processes
	tb.Apply(threadRec(20, 21, 6*sec))
	tb.Apply(&collectors.Record{Kind: collectors.KindExit, PID: 20, TID: 21, Exit: collectors.Exit{Thread: true}})
	tb.Apply(&collectors.Record{Kind: collectors.KindSyscall, PID: 20, TID: 21})
	if tb.Stats().Processes != n || tb.byPID[21] != nil || tb.byPID[20].exited {
		t.Error("a thread changed the process table")
	}

	// An exited process still resolves.
	tb.Apply(exitRec(30))
	if tb.Process(30) != sub || !tb.byPID[30].exited {
		t.Error("exited process not kept")
	}
}

func TestPIDReuse(t *testing.T) {
	tb, _ := newTestTables(t, Options{})
	tb.Apply(execRec(10, 1*sec, collectors.Exec{Comm: "init", Args: []string{"init"}, VPID: 10}))
	tb.Apply(forkRec(10, 20, 2*sec))
	tb.Apply(execRec(20, 3*sec, collectors.Exec{Comm: "bash", Args: []string{"bash"}, PPID: 10, VPID: 20}))
	oldBash := tb.Process(20)
	tb.Apply(forkRec(20, 30, 4*sec))
	oldChild := tb.Process(30)
	tb.Apply(exitRec(20))

	// Pid 20 comes back as another process.
	tb.Apply(forkRec(10, 20, 10*sec))
	newP := tb.Process(20)
	if newP == oldBash || newP.StartTime != 10*sec || newP.Name != "init" {
		t.Fatalf("pid reuse: %+v", newP)
	}
	tb.Apply(execRec(20, 11*sec, collectors.Exec{Comm: "python3", Args: []string{"python3", "x.py"}, PPID: 10, VPID: 20}))
	if tb.Process(20) != newP || newP.Name != "python3" {
		t.Error("exec after reuse")
	}
	if oldChild.Parent != oldBash || oldChild.Parent.Name != "bash" || oldChild.Parent.StartTime != 2*sec || oldChild.Parent.Cmdline != "bash" {
		t.Errorf("old child's parent now %+v", *oldChild.Parent)
	}
	if tb.Stats().Processes != 3 {
		t.Errorf("Processes = %d, want 3 (the old pid 20 is dropped)", tb.Stats().Processes)
	}

	// A missed exit: an exec whose start time is another process's.
	tb.Apply(forkRec(10, 40, 20*sec))
	p40 := tb.Process(40)
	tb.Apply(execRec(40, 100*sec, collectors.Exec{Comm: "nginx", Args: []string{"nginx"}, PPID: 10, VPID: 40, StartTime: 90 * sec}))
	if got := tb.Process(40); got == p40 || got.StartTime != 90*sec || p40.Name != "init" {
		t.Errorf("exec with another start time reused the entry: %+v", got)
	}
	// A start time close to the fork's is the same process.
	tb.Apply(forkRec(10, 50, 30*sec))
	p50 := tb.Process(50)
	tb.Apply(execRec(50, 31*sec, collectors.Exec{Comm: "sh", Args: []string{"sh"}, PPID: 10, VPID: 50, StartTime: 30*sec + 1234}))
	if tb.Process(50) != p50 || p50.StartTime != 30*sec+1234 {
		t.Error("exec with the fork's start time made a new entry")
	}
	// Exec in place: children see what their parent runs now.
	tb.Apply(forkRec(50, 51, 32*sec))
	tb.Apply(execRec(50, 33*sec, collectors.Exec{Comm: "make", Args: []string{"make"}, PPID: 10, VPID: 50}))
	if tb.Process(51).Parent.Name != "make" {
		t.Error("child does not see its parent's exec")
	}
}

func TestExitedPolicy(t *testing.T) {
	tb, _ := newTestTables(t, Options{})
	tb.keepExited = 3
	tb.Apply(execRec(1, sec, collectors.Exec{Comm: "init", VPID: 1}))
	for pid := int64(100); pid < 110; pid++ {
		tb.Apply(forkRec(1, pid, pid*sec))
	}
	tb.Apply(exitRec(100))
	tb.Apply(exitRec(100)) // duplicate exits count once
	tb.Apply(exitRec(101))
	tb.Apply(exitRec(102))
	for _, pid := range []int64{100, 101, 102} {
		if tb.Process(pid) == nil {
			t.Errorf("pid %d dropped too early", pid)
		}
	}
	tb.Apply(exitRec(103))
	if tb.byPID[100] != nil || tb.byPID[101] == nil {
		t.Error("pid 100 should be dropped after 3 more exits, 101 kept")
	}
	tb.Apply(exitRec(104))
	tb.Apply(exitRec(105))
	if tb.byPID[101] != nil || tb.byPID[102] != nil || tb.byPID[103] == nil {
		t.Error("exited ring")
	}
	s := tb.Stats()
	if s.Processes != 11-3 || s.ProcessEvictions != 0 {
		t.Errorf("stats = %+v", s)
	}
	// A reused pid is not dropped for its predecessor's exit.
	tb.Apply(forkRec(1, 103, 200*sec))
	tb.Apply(exitRec(106))
	tb.Apply(exitRec(107))
	tb.Apply(exitRec(108))
	if p := tb.byPID[103]; p == nil || p.exited {
		t.Error("new pid 103 dropped with the old one")
	}
}

// collectorString returns a string that aliases buf, as a collector's
// strings alias its ring buffer.
func collectorString(buf []byte) string { return unsafe.String(&buf[0], len(buf)) }

func TestApplyCopiesStrings(t *testing.T) {
	tb, _ := newTestTables(t, Options{})
	bufs := map[string][]byte{}
	s := func(v string) string {
		b := []byte(v)
		bufs[v] = b
		return collectorString(b)
	}
	tb.Apply(execRec(10, sec, collectors.Exec{Comm: s("bash"), Filename: s("/bin/bash"), ExePath: s("/usr/bin/bash"),
		Args: []string{s("bash"), s("-c"), s("echo hi")}, Env: []string{s("A=1"), s("B=2")}, Cwd: s("/tmp"),
		CgroupPath: s("0::/docker/" + hexA), VPID: 1}))
	for _, b := range bufs {
		for i := range b {
			b[i] = 'X'
		}
	}
	p := tb.Process(10)
	if p.Name != "bash" || p.Exe != "bash" || p.ExePath != "/usr/bin/bash" || !slices.Equal(p.Args, []string{"-c", "echo hi"}) ||
		p.Cmdline != "bash -c echo hi" || !slices.Equal(p.Env, []string{"A=1", "B=2"}) || p.Cwd != "/tmp/" ||
		p.Container == nil || p.Container.FullID != hexA {
		t.Errorf("strings not copied: %+v", *p)
	}
}

func TestContainerProcesses(t *testing.T) {
	procRoot := newFakeRoot(t)
	for _, pid := range []int64{1001, 1002, 1003} {
		writeFile(t, filepath.Join(procRoot, strconv.FormatInt(pid, 10), "root", "etc", "passwd"), "root:x:0:0::/:/bin/sh\nnginx:x:101:101::/:/sbin/nologin\n")
		writeFile(t, filepath.Join(procRoot, strconv.FormatInt(pid, 10), "root", "etc", "group"), "root:x:0:\nwww:x:101:\n")
	}
	tb, _ := newTestTables(t, Options{ProcRoot: procRoot})
	cg := "0::/system.slice/docker-" + hexA + ".scope"
	tb.Apply(execRec(900, sec, collectors.Exec{Comm: "containerd-shim", Args: []string{"shim"}, VPID: 900, SID: 900, VPGID: 900, UID: 101, GID: 101, CgroupPath: "0::/system.slice/containerd.service"}))
	tb.Apply(forkRec(900, 1001, 2*sec))
	tb.Apply(execRec(1001, 3*sec, collectors.Exec{Comm: "sh", Args: []string{"sh", "-c", "x"}, PPID: 900, VPID: 1, SID: 1, VPGID: 1, UID: 101, GID: 101, CgroupPath: cg}))
	shim, sh := tb.Process(900), tb.Process(1001)
	if shim.Container != nil || shim.UserName != "systemd-resolve" {
		t.Errorf("shim: %v %q", shim.Container, shim.UserName)
	}
	if sh.Container == nil || sh.Container.ID != hexA[:12] || sh.UserName != "nginx" || sh.GroupName != "www" ||
		sh.SessionLeader != sh || sh.GroupLeader != sh || sh.Parent != shim {
		t.Errorf("sh = %+v", *sh)
	}
	// A pipeline inside the container: 1002 leads the group, 1003 joins it.
	tb.Apply(forkRec(1001, 1002, 4*sec))
	tb.Apply(forkRec(1001, 1003, 4*sec))
	if tb.Process(1002).VPID != 0 {
		t.Error("vpid of a container child before exec should be unknown here")
	}
	tb.Apply(execRec(1002, 5*sec, collectors.Exec{Comm: "cat", Args: []string{"cat"}, PPID: 1001, VPID: 5, SID: 1, VPGID: 5, CgroupPath: cg}))
	tb.Apply(execRec(1003, 5*sec, collectors.Exec{Comm: "grep", Args: []string{"grep", "x"}, PPID: 1001, VPID: 6, SID: 1, VPGID: 5, CgroupPath: cg}))
	cat, grep := tb.Process(1002), tb.Process(1003)
	if cat.Container != sh.Container || grep.Container != sh.Container {
		t.Error("container not shared")
	}
	if cat.SessionLeader != sh || cat.GroupLeader != cat || grep.SessionLeader != sh || grep.GroupLeader != cat {
		t.Errorf("leaders: cat %v/%v grep %v/%v", cat.SessionLeader.Name, cat.GroupLeader.Name, grep.SessionLeader.Name, grep.GroupLeader.Name)
	}
	if cat.UserName != "root" {
		t.Errorf("cat user = %q", cat.UserName)
	}
}

// TestContainerInheritedWithoutCgroup: a collector that reads the cgroup
// from /proc after the fact (audit) has none for a process that already
// exited; the process is in its parent's container, whether its exec came
// without a fork (audit has no clone records) or before its fork.
func TestContainerInheritedWithoutCgroup(t *testing.T) {
	tb, _ := newTestTables(t, Options{ProcRoot: newFakeRoot(t)})
	cg := "4:memory:/docker/" + hexA
	tb.Apply(execRec(1001, sec, collectors.Exec{Comm: "sh", Args: []string{"sh", "-c", "x"}, VPID: 1, CgroupPath: cg}))
	sh := tb.Process(1001)
	if sh.Container == nil {
		t.Fatal("sh not in a container")
	}
	// Exec of a child with no fork seen and no cgroup.
	tb.Apply(execRec(1002, 2*sec, collectors.Exec{Comm: "cat", Args: []string{"cat"}, PPID: 1001}))
	if c := tb.Process(1002); c.Container != sh.Container || c.VPID == 1002 {
		t.Errorf("cat: container %v vpid %d", c.Container, c.VPID)
	}
	// Exec before fork.
	tb.Apply(execRec(1003, 3*sec, collectors.Exec{Comm: "grep", Args: []string{"grep"}}))
	tb.Apply(forkRec(1001, 1003, 3*sec))
	if g := tb.Process(1003); g.Container != sh.Container {
		t.Errorf("grep: container %v", g.Container)
	}
	// A host parent gives nothing.
	tb.Apply(execRec(2001, sec, collectors.Exec{Comm: "bash", Args: []string{"bash"}, VPID: 2001, CgroupPath: "0::/user.slice"}))
	tb.Apply(execRec(2002, 2*sec, collectors.Exec{Comm: "ls", Args: []string{"ls"}, PPID: 2001}))
	if l := tb.Process(2002); l.Container != nil {
		t.Errorf("ls: container %v", l.Container)
	}
}

func TestUserNamesCached(t *testing.T) {
	tb, now := newTestTables(t, Options{})
	passwd := filepath.Join(tb.opts.HostRoot, "etc", "passwd")
	tb.Apply(execRec(10, sec, collectors.Exec{Comm: "a", UID: 1000, VPID: 10}))
	if got := tb.Process(10).UserName; got != "alice" {
		t.Fatalf("UserName = %q", got)
	}
	writeFile(t, passwd, "alicia:x:1000:1000::/:/bin/sh\n")
	tb.Apply(execRec(11, sec, collectors.Exec{Comm: "b", UID: 1000, VPID: 11}))
	if got := tb.Process(11).UserName; got != "alice" {
		t.Errorf("passwd reread before UserDBRecheck: %q", got)
	}
	*now += int64(UserDBRecheck)
	tb.Apply(execRec(12, sec, collectors.Exec{Comm: "c", UID: 1000, VPID: 12}))
	if got := tb.Process(12).UserName; got != "alicia" {
		t.Errorf("changed passwd not seen: %q", got)
	}
	if got := tb.Process(10).UserName; got != "alice" {
		t.Errorf("existing process renamed: %q", got)
	}
	if err := os.Remove(passwd); err != nil {
		t.Fatal(err)
	}
	*now += int64(UserDBRecheck)
	tb.Apply(execRec(13, sec, collectors.Exec{Comm: "d", UID: 1000, VPID: 13}))
	if got := tb.Process(13).UserName; got != "" {
		t.Errorf("removed passwd still gives %q", got)
	}
}

func TestEvictionBound(t *testing.T) {
	const max, n = 1000, 10000
	tb, _ := newTestTables(t, Options{MaxProcesses: max})
	tb.Apply(execRec(1, sec, collectors.Exec{Comm: "init", VPID: 1}))
	cg := "/docker/" + hexA
	for i := int64(0); i < n; i++ {
		pid := 100 + i
		tb.Apply(forkRec(1, pid, 2*sec+i))
		if i%2 == 0 {
			tb.Apply(execRec(pid, 2*sec+i, collectors.Exec{Comm: "w", Args: []string{"w", "x"}, PPID: 1, VPID: 2 + i, SID: 1, VPGID: 2 + i, CgroupPath: cg}))
		}
		if i%3 == 0 {
			tb.Apply(exitRec(pid))
		}
		if got := tb.Stats().Processes; got > max {
			t.Fatalf("Processes = %d > %d after %d forks", got, max, i+1)
		}
	}
	s := tb.Stats()
	if s.Processes < max-1 {
		t.Errorf("Processes = %d, want about %d", s.Processes, max)
	}
	if s.ProcessEvictions == 0 || s.ProcessEvictions > n+1-max {
		t.Errorf("ProcessEvictions = %d", s.ProcessEvictions)
	}
	// Evictions and exited-entry drops account for every process added.
	if len(tb.byPID) != s.Processes || len(tb.byVPID) > s.Processes {
		t.Errorf("indexes leak: byPID %d byVPID %d entries %d", len(tb.byPID), len(tb.byVPID), s.Processes)
	}
	if tb.Process(1) == nil {
		t.Error("the parent of every fork was evicted")
	}
	for pid, e := range tb.byPID {
		if v, ok := tb.procs.Peek(e.key); !ok || v != e || e.proc.PID != pid {
			t.Fatalf("index entry %d not in the LRU", pid)
		}
	}
}

func TestProcessHitAllocs(t *testing.T) {
	procRoot, hostRoot := fakeTree(t)
	tb := New(Options{ProcRoot: procRoot, HostRoot: hostRoot})
	if err := tb.Seed(); err != nil {
		t.Fatal(err)
	}
	var p any
	if allocs := testing.AllocsPerRun(1000, func() { p = tb.Process(300) }); allocs != 0 {
		t.Errorf("Process hit allocates %.1f times", allocs)
	}
	if p == nil {
		t.Fatal("no process")
	}
}

func BenchmarkProcessHit(b *testing.B) {
	tb, _ := newTestTables(b, Options{})
	for pid := int64(1); pid <= 1000; pid++ {
		tb.Apply(execRec(pid, sec, collectors.Exec{Comm: "x", VPID: pid}))
	}
	b.ReportAllocs()
	pid := int64(0)
	for b.Loop() {
		pid = pid%1000 + 1
		if tb.Process(pid) == nil {
			b.Fatal("miss")
		}
	}
}

func TestStatsConcurrent(t *testing.T) {
	tb, _ := newTestTables(t, Options{MaxProcesses: 100})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := int64(0); i < 2000; i++ {
			tb.Apply(execRec(i+1, sec, collectors.Exec{Comm: "x", VPID: i + 1, CgroupPath: "/docker/" + hexA}))
			tb.Process(i + 1)
		}
	}()
	for {
		select {
		case <-done:
			if s := tb.Stats(); s.Processes != 100 || s.Hits != 2000 {
				t.Errorf("stats = %+v", s)
			}
			return
		default:
			if s := tb.Stats(); s.Processes > 100 {
				t.Fatalf("Processes = %d", s.Processes)
			}
		}
	}
}

func TestExitedChainBounded(t *testing.T) {
	tb, _ := newTestTables(t, Options{})
	tb.keepExited = 2
	tb.Apply(execRec(1, sec, collectors.Exec{Comm: "init", VPID: 1}))
	// Each process forks the next and exits, as a daemon that keeps
	// re-forking itself would.
	tb.Apply(forkRec(1, 100, 2*sec))
	for pid := int64(100); pid < 200; pid++ {
		tb.Apply(forkRec(pid, pid+1, pid*sec))
		tb.Apply(exitRec(pid))
	}
	live := tb.Process(200)
	depth := 0
	for p := live.Parent; p != nil; p = p.Parent {
		depth++
	}
	if depth > tb.keepExited+2 {
		t.Errorf("a live process retains %d exited ancestors", depth)
	}
	if live.Parent == nil || live.Parent.PID != 199 {
		t.Error("the live process lost its exited parent")
	}
}

func TestTinyTable(t *testing.T) {
	procRoot, hostRoot := fakeTree(t)
	tb := New(Options{MaxProcesses: 1, ProcRoot: procRoot, HostRoot: hostRoot})
	tb.Apply(forkRec(300, 800, sec))
	tb.Apply(execRec(800, 2*sec, collectors.Exec{Comm: "x", PPID: 200, VPID: 3, SID: 1, VPGID: 3, CgroupPath: "/docker/" + hexA}))
	tb.Apply(exitRec(800))
	tb.Apply(execRec(402, 2*sec, collectors.Exec{Comm: "y", PPID: 401, VPID: 7, SID: 1, VPGID: 1, CgroupPath: "/docker/" + hexA}))
	if p := tb.Process(402); p == nil || p.Name != "y" || p.Parent == nil || p.Parent.PID != 401 {
		t.Errorf("402 = %+v", p)
	}
	if s := tb.Stats(); s.Processes != 1 || len(tb.byPID) != 1 || len(tb.byVPID) > 1 {
		t.Errorf("stats %+v, byPID %d, byVPID %d", s, len(tb.byPID), len(tb.byVPID))
	}
}
