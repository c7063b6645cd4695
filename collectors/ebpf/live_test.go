//go:build linux && amd64

package ebpf

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/lannersec/lanner/internal/testutil"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// snap is a copy of the parts of a Record the live test looks at.
type snap struct {
	Kind     collectors.Kind
	PID, TID int64
	Type     event.Type
	Res      int64
	FD       event.FD
	Args     event.Args
	Fork     collectors.Fork
	Exit     collectors.Exit
	Exec     collectors.Exec
}

func snapshot(r *collectors.Record) snap {
	s := snap{Kind: r.Kind, PID: r.PID, TID: r.TID, Type: r.Event.Type, Res: r.Event.Res,
		FD: r.Event.FD, Args: r.Event.Args, Fork: r.Fork, Exit: r.Exit}
	s.FD.Name = strings.Clone(s.FD.Name)
	s.FD.NameRaw = strings.Clone(s.FD.NameRaw)
	for _, p := range []*string{&s.Args.Path, &s.Args.Name, &s.Args.OldPath, &s.Args.NewPath,
		&s.Args.Target, &s.Args.LinkPath, &s.Args.Filename} {
		*p = strings.Clone(*p)
	}
	if r.Kind == collectors.KindExec {
		e := r.Exec
		s.Exec = collectors.Exec{Filename: strings.Clone(e.Filename), ExePath: strings.Clone(e.ExePath),
			Comm: strings.Clone(e.Comm), Cwd: strings.Clone(e.Cwd), UID: e.UID, GID: e.GID,
			PPID: e.PPID, CgroupPath: strings.Clone(e.CgroupPath)}
		for _, a := range e.Args {
			s.Exec.Args = append(s.Exec.Args, strings.Clone(a))
		}
	}
	return s
}

// liveCollector starts a collector or skips (fails with
// LANNER_REQUIRE_KERNEL=1) when this machine cannot run it.
func liveCollector(t *testing.T, opts Options) *Collector {
	t.Helper()
	unavailable := func(why string) {
		t.Helper()
		testutil.RequireKernel(t, "eBPF collector unavailable: "+why)
	}
	testutil.LockKernel(t)
	c, err := New(opts)
	if errors.Is(err, collectors.ErrNotSupported) {
		unavailable(err.Error())
	}
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestCollectorLive(t *testing.T) { testCollectorLive(t, true) }

// TestCollectorLiveTracepoints runs the same checks with a
// syscalls:sys_exit_<name> tracepoint per syscall (Options.Tracepoints).
func TestCollectorLiveTracepoints(t *testing.T) { testCollectorLive(t, false) }

func testCollectorLive(t *testing.T, raw bool) {
	var types event.TypeSet
	for _, ty := range []event.Type{event.TypeOpenat, event.TypeExecve, event.TypeExecveat,
		event.TypeConnect, event.TypeUnlinkat, event.TypeSymlinkat, event.TypeChmod,
		event.TypeFchmodat} {
		types.Add(ty)
	}
	c := liveCollector(t, Options{Types: types, Tracepoints: !raw})
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	if c.Name() != "ebpf" {
		t.Errorf("Name() = %q", c.Name())
	}
	wantMode := "tracepoints"
	if raw {
		wantMode = "raw_syscalls"
	}
	if c.Mode() != wantMode {
		t.Errorf("Mode() = %q, want %q", c.Mode(), wantMode)
	}

	// Keep the records of this process and its descendants.
	var (
		mu    sync.Mutex
		recs  []snap
		other int
	)
	readErr := make(chan error, 1)
	go func() {
		mine := map[int64]bool{int64(os.Getpid()): true}
		var r collectors.Record
		for {
			if err := c.Read(&r); err != nil {
				readErr <- err
				return
			}
			if r.Kind == collectors.KindFork && mine[r.Fork.ParentPID] {
				mine[r.Fork.ChildPID] = true
			}
			mu.Lock()
			if mine[r.PID] {
				recs = append(recs, snapshot(&r))
			} else {
				other++
			}
			mu.Unlock()
		}
	}()

	run := func(dir string, name string, args ...string) int {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
		return cmd.Process.Pid
	}
	catPID := run("", "/bin/cat", "/etc/hostname")
	relPID := run("/etc", "/bin/cat", "hostname")

	// execveat(dirfd of /bin, "true") from a child of the test binary,
	// and an execve that fails.
	helper := exec.Command(os.Args[0], "-test.run=^TestExecveatHelper$")
	helper.Env = append(os.Environ(), "LANNER_EXECVEAT_HELPER=1")
	if out, err := helper.CombinedOutput(); err != nil {
		t.Fatalf("execveat helper: %v\n%s", err, out)
	}
	atPID := helper.Process.Pid
	missing := "/nonexistent-lanner-" + strconv.Itoa(os.Getpid())
	if _, err := syscall.ForkExec(missing, []string{missing}, nil); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("ForkExec(%s): %v, want ENOENT", missing, err)
	}

	suffix := make([]byte, 6)
	rand.Read(suffix)
	linkName := "lanner-test-link-" + hex.EncodeToString(suffix)
	linkPath := filepath.Join("/tmp", linkName)
	lnPID := run("/tmp", "ln", "-s", "/etc", linkName)
	rmPID := run("", "rm", linkPath)

	tmp := t.TempDir()
	file := filepath.Join(tmp, "suid")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	chmodPID := run("", "chmod", "u+s", file)

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	server := netip.MustParseAddrPort(ln.Addr().String())
	conn, err := net.Dial("tcp4", server.String())
	if err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort(conn.LocalAddr().String())
	conn.Close()

	catExe, err := filepath.EvalSymlinks("/bin/cat")
	if err != nil {
		t.Fatal(err)
	}
	self := int64(os.Getpid())
	checks := []struct {
		name string
		ok   func(s *snap) bool
	}{
		{"exec of /bin/cat /etc/hostname", func(s *snap) bool {
			e := &s.Exec
			return s.Kind == collectors.KindExec && s.PID == int64(catPID) &&
				slices.Equal(e.Args, []string{"/bin/cat", "/etc/hostname"}) && e.Comm == "cat" &&
				e.ExePath == catExe && e.Filename == "/bin/cat" && e.Cwd != "" && e.UID == 0 &&
				e.PPID == self && s.Type == event.TypeExecve && s.Res == 0
		}},
		{"execveat of true in /bin", func(s *snap) bool {
			e := &s.Exec
			return s.Kind == collectors.KindExec && s.PID == int64(atPID) &&
				s.Type == event.TypeExecveat && s.Res == 0 && s.Args.DirFD == execveatDirFD &&
				e.Filename == "/dev/fd/"+strconv.Itoa(execveatDirFD)+"/true" && e.Comm == "true"
		}},
		{"failed execve of " + missing, func(s *snap) bool {
			return s.Kind == collectors.KindSyscall && s.Type == event.TypeExecve &&
				s.Res == -int64(syscall.ENOENT) && s.Args.Filename == missing
		}},
		{"openat of /etc/hostname by cat", func(s *snap) bool {
			return s.Kind == collectors.KindSyscall && s.PID == int64(catPID) &&
				s.Type == event.TypeOpenat && s.Res >= 0 && s.FD.Name == "/etc/hostname" &&
				s.FD.NameRaw == "/etc/hostname" && s.FD.Kind == event.FDFile && s.FD.Num == s.Res &&
				s.Args.Has(event.ArgFlags) && s.Args.Flags&3 == 0 // O_RDONLY
		}},
		{"openat of the relative path hostname in /etc", func(s *snap) bool {
			return s.Kind == collectors.KindSyscall && s.PID == int64(relPID) &&
				s.Type == event.TypeOpenat && s.Res >= 0 && s.FD.Name == "/etc/hostname" &&
				s.FD.NameRaw == "hostname" && s.Args.Path == "hostname" && s.FD.Kind == event.FDFile
		}},
		{"symlinkat /etc -> " + linkPath, func(s *snap) bool {
			return s.Kind == collectors.KindSyscall && s.PID == int64(lnPID) &&
				s.Type == event.TypeSymlinkat && s.Res == 0 && s.Args.Target == "/etc" &&
				s.Args.LinkPath == linkPath
		}},
		{"unlinkat of " + linkPath, func(s *snap) bool {
			return s.Kind == collectors.KindSyscall && s.PID == int64(rmPID) &&
				s.Type == event.TypeUnlinkat && s.Res == 0 && s.Args.Name == linkPath
		}},
		{"chmod u+s", func(s *snap) bool {
			return s.Kind == collectors.KindSyscall && s.PID == int64(chmodPID) &&
				(s.Type == event.TypeChmod || s.Type == event.TypeFchmodat) && s.Res == 0 &&
				s.Args.Has(event.ArgMode) && s.Args.Mode&0o4000 != 0 && s.Args.Name == file
		}},
		{"connect to " + server.String(), func(s *snap) bool {
			return s.Kind == collectors.KindSyscall && s.PID == self && s.Type == event.TypeConnect &&
				s.FD.Kind == event.FDIPv4 && s.FD.L4Proto == event.L4TCP && s.FD.Remote == server &&
				s.FD.Local == client && s.FD.Name == client.String()+"->"+server.String()
		}},
		{"fork of cat", func(s *snap) bool {
			return s.Kind == collectors.KindFork && s.Fork.ParentPID == self &&
				s.Fork.ChildPID == int64(catPID) && s.Fork.ChildTID == int64(catPID) && !s.Fork.Thread
		}},
		{"exit of cat", func(s *snap) bool {
			return s.Kind == collectors.KindExit && s.PID == int64(catPID) && !s.Exit.Thread &&
				s.Exit.Code == 0
		}},
	}
	found := make([]bool, len(checks))
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		missing := 0
		for i, ch := range checks {
			if !found[i] {
				found[i] = slices.ContainsFunc(recs, func(s snap) bool { return ch.ok(&s) })
			}
			if !found[i] {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	for i, ch := range checks {
		if !found[i] {
			t.Errorf("no record: %s", ch.name)
		}
	}
	if t.Failed() {
		for _, s := range recs {
			if s.Kind != collectors.KindSyscall || s.Type != event.TypeOpenat || s.Res < 0 {
				t.Logf("record: %+v", s)
			}
		}
	}
	n := len(recs)
	mu.Unlock()

	st := c.Stats()
	t.Logf("%d records of this test's processes, %d of others; stats %+v", n, other, st)
	if st.KernelDrops != 0 {
		t.Errorf("KernelDrops = %d", st.KernelDrops)
	}
	if st.Malformed != 0 {
		t.Errorf("Malformed = %d", st.Malformed)
	}
	if st.Records == 0 {
		t.Errorf("Records = 0")
	}

	ours := map[ebpf.ProgramID]bool{}
	for _, p := range []*ebpf.Program{c.objs.LannerEnter, c.objs.LannerExit, c.objs.LannerTpEnter,
		c.objs.LannerTpExit, c.objs.LannerExec, c.objs.LannerFork, c.objs.LannerPexit} {
		if p == nil {
			continue // lanner_tp_exit is loaded only with Options.Tracepoints
		}
		info, err := p.Info()
		if err != nil {
			t.Fatal(err)
		}
		id, ok := info.ID()
		if !ok || !strings.HasPrefix(info.Name, "lanner_") {
			t.Fatalf("program %q: id %d, %v", info.Name, id, ok)
		}
		ours[id] = true
	}
	if got := loadedLannerPrograms(t); len(got) < len(ours) {
		t.Errorf("lanner_ programs while running: %v", got)
	}

	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed = true
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case err := <-readErr:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("Read still blocked after Close")
	}
	var r collectors.Record
	if err := c.Read(&r); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close: %v, want os.ErrClosed", err)
	}
	// Programs of another collector running on this machine meanwhile
	// (another test run) may be listed; ours must be gone.
	left := func() (mine, others []string) {
		for id, name := range loadedLannerPrograms(t) {
			s := fmt.Sprintf("%s (id %d)", name, id)
			if ours[id] {
				mine = append(mine, s)
			} else {
				others = append(others, s)
			}
		}
		return mine, others
	}
	mine, others := left()
	if len(mine) != 0 {
		time.Sleep(time.Second) // the kernel may still be releasing them
		mine, others = left()
	}
	if len(mine) != 0 {
		t.Errorf("programs left after Close: %v", mine)
	}
	if len(others) != 0 {
		t.Logf("lanner_ programs of other processes: %v", others)
	}
}

// execveatDirFD is the dirfd TestExecveatHelper passes to execveat.
const execveatDirFD = 9

// TestExecveatHelper is run by the live tests in a child process: it
// replaces itself with /bin/true through execveat(dirfd of /bin, "true").
func TestExecveatHelper(t *testing.T) {
	if os.Getenv("LANNER_EXECVEAT_HELPER") != "1" {
		t.Skip("run by the live tests")
	}
	fd, err := unix.Open("/bin", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup2(fd, execveatDirFD); err != nil {
		t.Fatal(err)
	}
	path, err := unix.BytePtrFromString("true")
	if err != nil {
		t.Fatal(err)
	}
	argv := []*byte{path, nil}
	envv := []*byte{nil}
	_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, execveatDirFD, uintptr(unsafe.Pointer(path)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), 0, 0)
	t.Fatalf("execveat: %v", errno)
}

// loadedLannerPrograms returns the loaded BPF programs whose names start
// with "lanner_", by id.
func loadedLannerPrograms(t *testing.T) map[ebpf.ProgramID]string {
	t.Helper()
	progs := map[ebpf.ProgramID]string{}
	var id ebpf.ProgramID
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			return progs
		}
		if err != nil {
			t.Fatalf("ProgramGetNextID: %v", err)
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if errors.Is(err, os.ErrNotExist) {
			continue // gone meanwhile
		}
		if err != nil {
			t.Fatalf("NewProgramFromID(%d): %v", id, err)
		}
		info, err := p.Info()
		p.Close()
		if err != nil {
			t.Fatalf("program %d: Info: %v", id, err)
		}
		if strings.HasPrefix(info.Name, "lanner_") {
			progs[id] = info.Name
		}
	}
}

// TestCollectorExcludePID checks that the excluded tgid's events never
// arrive while others' do.
func TestCollectorExcludePID(t *testing.T) {
	var types event.TypeSet
	types.Add(event.TypeOpenat)
	c := liveCollector(t, Options{Types: types, ExcludePID: os.Getpid(), RingBufferBytes: 1 << 20})
	defer c.Close()
	got := make(chan collectors.Record, 1)
	self := int64(os.Getpid())
	var mu sync.Mutex
	var leaked []string
	go func() {
		var r collectors.Record
		for c.Read(&r) == nil {
			if r.PID == self {
				mu.Lock()
				leaked = append(leaked, fmt.Sprintf("%d %s %s", r.Kind, r.Event.Type, strings.Clone(r.Event.FD.Name)))
				mu.Unlock()
			}
			if r.Kind == collectors.KindSyscall && r.Event.FD.Name == "/etc/hostname" && r.PID != self {
				select {
				case got <- r:
				default:
				}
			}
		}
	}()
	for range 3 {
		if _, err := os.ReadFile("/etc/hostname"); err != nil {
			t.Fatal(err)
		}
	}
	if err := exec.Command("/bin/cat", "/etc/hostname").Run(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no openat of /etc/hostname by cat")
	}
	c.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) > 0 {
		t.Errorf("records of the excluded process: %q", leaked)
	}
}

// TestCloseUnblocksReadFirst: with per-syscall tracepoints, Close returns
// a blocked Read (os.ErrClosed) before it detaches the tracepoints, so that
// a stopping reader never waits for the kernel's slow tracepoint teardown.
func TestCloseUnblocksReadFirst(t *testing.T) {
	var types event.TypeSet
	types.Add(event.TypeOpenat)
	types.Add(event.TypeExecve)
	c := liveCollector(t, Options{Types: types, Tracepoints: true})
	readDone := make(chan error, 1)
	go func() {
		var r collectors.Record
		for {
			if err := c.Read(&r); err != nil {
				readDone <- err
				return
			}
		}
	}()
	hookRan := make(chan error, 1)
	closeHook = func() {
		select {
		case err := <-readDone:
			hookRan <- err
		case <-time.After(30 * time.Second):
			hookRan <- errors.New("Read still blocked when the tracepoints are detached")
		}
	}
	defer func() { closeHook = nil }()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-hookRan:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read returned %v before detaching, want os.ErrClosed", err)
		}
	default:
		t.Fatal("Close did not reach the detaching")
	}
}

// BenchmarkStartStop measures New and Close with every syscall type
// watched: the time a run of Lanner takes to attach and to stop.
func BenchmarkStartStop(b *testing.B) {
	var types event.TypeSet
	for _, s := range syscallTypes {
		types.Add(s.t)
	}
	testutil.LockKernel(b)
	for b.Loop() {
		c, err := New(Options{Types: types})
		if errors.Is(err, collectors.ErrNotSupported) {
			testutil.RequireKernel(b, err.Error())
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLiveDropsNoticed: with a ring buffer of one page and nobody reading,
// a burst of opens is dropped in the kernel; the drops are counted by
// event type and raise one NoticeLost.
func TestLiveDropsNoticed(t *testing.T) {
	notices := make(chan collectors.Notice, 16)
	var ts event.TypeSet
	ts.Add(event.TypeOpenat)
	c := liveCollector(t, Options{Types: ts, RingBufferBytes: 1, ExcludePID: 0,
		Notify: func(n collectors.Notice) {
			select {
			case notices <- n:
			default:
			}
		}})
	t.Cleanup(func() { c.Close() })
	if got := c.RingBufferBytes(); got != os.Getpagesize() {
		t.Errorf("RingBufferBytes = %d, want one page", got)
	}
	for range 2000 {
		if f, err := os.Open("/etc/hostname"); err == nil {
			f.Close()
		}
	}
	var n collectors.Notice
	select {
	case n = <-notices:
	case <-time.After(30 * time.Second):
		t.Fatal("no notice of the drops")
	}
	st := c.Stats()
	if st.KernelDrops == 0 || st.KernelDropsByType["openat"] == 0 {
		t.Fatalf("drops %d by type %v", st.KernelDrops, st.KernelDropsByType)
	}
	var sum uint64
	for _, v := range st.KernelDropsByType {
		sum += v
	}
	if sum != st.KernelDrops {
		t.Errorf("drops by type %v sum to %d, want %d", st.KernelDropsByType, sum, st.KernelDrops)
	}
	if n.Kind != collectors.NoticeLost || n.Collector != "ebpf" ||
		!strings.Contains(n.Message, "records lost (ring buffer full)") || !strings.Contains(n.Message, "openat ") {
		t.Errorf("notice %+v", n)
	}
	// More drops within the minute raise no second notice.
	for range 2000 {
		if f, err := os.Open("/etc/hostname"); err == nil {
			f.Close()
		}
	}
	time.Sleep(2 * dropCheckInterval)
	select {
	case n := <-notices:
		t.Errorf("second notice within the interval: %+v", n)
	default:
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if after := c.Stats(); after.KernelDrops < st.KernelDrops || after.KernelDropsByType["openat"] == 0 {
		t.Errorf("after Close: %+v", after)
	}
}
