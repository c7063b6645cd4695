//go:build linux && amd64

package audit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
)

// The test binary doubles as a helper process: LANNER_AUDIT_HELPER says
// what to do.
func TestMain(m *testing.M) {
	switch os.Getenv("LANNER_AUDIT_HELPER") {
	case "dial":
		conn, err := net.Dial("tcp", os.Getenv("LANNER_AUDIT_ADDR"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		conn.Close()
		os.Exit(0)
	case "openat2", "openatdir":
		// openat2(AT_FDCWD, path, O_RDONLY), or openat(open(dir), name).
		var fd int
		var err error
		if os.Getenv("LANNER_AUDIT_HELPER") == "openat2" {
			fd, err = unix.Openat2(unix.AT_FDCWD, os.Getenv("LANNER_AUDIT_PATH"), &unix.OpenHow{Flags: unix.O_RDONLY})
		} else if dir, derr := unix.Open(os.Getenv("LANNER_AUDIT_DIR"), unix.O_RDONLY|unix.O_DIRECTORY, 0); derr != nil {
			err = derr
		} else {
			fd, err = unix.Openat(dir, os.Getenv("LANNER_AUDIT_PATH"), unix.O_RDONLY, 0)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		unix.Close(fd)
		os.Exit(0)
	case "sockets":
		// One socket of each family the exclusion test looks for.
		for _, family := range []int{syscall.AF_UNIX, syscall.AF_INET} {
			fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			syscall.Close(fd)
		}
		os.Exit(0)
	case "collect":
		// Start a collector and wait to be killed.
		c, err := New(Options{Types: event.TypeSetOf(event.TypeOpenat), ExcludePID: os.Getpid(), Key: os.Getenv("LANNER_AUDIT_KEY")})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ready", c.Mode())
		go func() {
			var r collectors.Record
			for c.Read(&r) == nil {
			}
		}()
		time.Sleep(time.Hour)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// control is a go-libaudit client for checking the kernel's state.
func control(t *testing.T) *libaudit.AuditClient {
	t.Helper()
	c, err := libaudit.NewAuditClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func status(t *testing.T, c *libaudit.AuditClient) libaudit.AuditStatus {
	t.Helper()
	st, err := c.GetStatus()
	if err != nil {
		t.Fatal(err)
	}
	return *st
}

// keyRules counts the rules carrying key.
func keyRules(t *testing.T, c *libaudit.AuditClient, key string) int {
	t.Helper()
	rules, err := c.GetRules()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rules {
		if ruleHasKey(r, key) {
			n++
		}
	}
	return n
}

// exclusions counts the rules "-a never,exclude -F msgtype=PROCTITLE" and
// "-a never,exclude -F msgtype=EOE".
func exclusions(t *testing.T, c *libaudit.AuditClient) int {
	t.Helper()
	return typeExclusions(t, c, typeProctitle) + typeExclusions(t, c, typeEOE)
}

// typeExclusions counts the rules "-a never,exclude -F msgtype=TYP", in
// the kernel's binary format: list, action, field count, then the field
// types, values and operators.
func typeExclusions(t *testing.T, c *libaudit.AuditClient, typ uint32) int {
	t.Helper()
	rules, err := c.GetRules()
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	n := 0
	for _, r := range rules {
		if len(r) >= ruleHdrSize && le.Uint32(r[0:]) == 5 && le.Uint32(r[4:]) == 0 && le.Uint32(r[8:]) == 1 &&
			le.Uint32(r[ruleOffFields:]) == 12 && le.Uint32(r[ruleOffValues:]) == typ &&
			le.Uint32(r[ruleOffValues+ruleMaxFields*4:]) == 0x40000000 {
			n++
		}
	}
	return n
}

// restoreStatus puts the settings of st back.
func restoreStatus(t *testing.T, c *libaudit.AuditClient, st libaudit.AuditStatus) {
	t.Helper()
	errs := errors.Join(
		c.SetEnabled(st.Enabled != 0, libaudit.WaitForReply),
		c.SetBacklogLimit(st.BacklogLimit, libaudit.WaitForReply),
		c.SetBacklogWaitTime(int32(st.BacklogWaitTime), libaudit.WaitForReply),
	)
	if errs != nil {
		t.Errorf("restore audit settings: %v", errs)
	}
}

func checkRestored(t *testing.T, ctl *libaudit.AuditClient, before libaudit.AuditStatus, key string, excl int) {
	t.Helper()
	if n := keyRules(t, ctl, key); n != 0 {
		t.Errorf("%d rules with key %q left", n, key)
	}
	if n := exclusions(t, ctl); n != excl {
		t.Errorf("%d PROCTITLE and EOE exclusion rules after Close, %d before", n, excl)
	}
	after := status(t, ctl)
	if after.Enabled != before.Enabled || after.PID != before.PID || after.BacklogLimit != before.BacklogLimit ||
		after.BacklogWaitTime != before.BacklogWaitTime {
		t.Errorf("audit settings not restored:\nbefore %+v\n after %+v", before, after)
		restoreStatus(t, ctl, before)
	}
	if _, err := os.Stat(statePath(key)); err == nil {
		t.Errorf("state file %s left", statePath(key))
	}
}

func startCollector(t *testing.T, opts Options) *Collector {
	t.Helper()
	c, err := New(opts)
	if errors.Is(err, collectors.ErrNotSupported) {
		testutil.RequireKernel(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recorder keeps copies of what a collector reads.
type recorder struct {
	mu   sync.Mutex
	recs []collectors.Record
	done chan error
}

func record(c *Collector) *recorder {
	rc := &recorder{done: make(chan error, 1)}
	go func() {
		var r collectors.Record
		for {
			if err := c.Read(&r); err != nil {
				rc.done <- err
				return
			}
			cp := cloneRecord(&r)
			rc.mu.Lock()
			if len(rc.recs) >= 200000 {
				rc.recs = rc.recs[:copy(rc.recs, rc.recs[100000:])]
			}
			rc.recs = append(rc.recs, cp)
			rc.mu.Unlock()
		}
	}()
	return rc
}

// find waits up to 10 s for a record that satisfies pred.
func (rc *recorder) find(t *testing.T, what string, pred func(*collectors.Record) bool) collectors.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rc.mu.Lock()
		for i := range rc.recs {
			if pred(&rc.recs[i]) {
				r := rc.recs[i]
				rc.mu.Unlock()
				return r
			}
		}
		rc.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no record: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (rc *recorder) any(pred func(*collectors.Record) bool) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.ContainsFunc(rc.recs, func(r collectors.Record) bool { return pred(&r) })
}

func run(t *testing.T, dir string, name string, args ...string) int64 {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return int64(cmd.Process.Pid)
}

// unicastSetup takes the kernel test lock for a test of the collector as
// the audit daemon, and returns a control client and the audit status
// before the test; it fails the test when another daemon runs.
func unicastSetup(t *testing.T) (*libaudit.AuditClient, libaudit.AuditStatus) {
	t.Helper()
	testutil.LockKernel(t)
	ctl := control(t)
	before := status(t, ctl)
	if before.PID != 0 {
		t.Fatalf("an audit daemon (pid %d) is running", before.PID)
	}
	return ctl, before
}

func TestCollectorLive(t *testing.T) {
	ctl, before := unicastSetup(t)

	excl := exclusions(t, ctl)
	types := event.TypeSetOf(event.TypeOpenat, event.TypeOpenat2, event.TypeExecve, event.TypeSocket, event.TypeConnect,
		event.TypeSymlinkat, event.TypeFchmodat)
	c := startCollector(t, Options{Types: types, ExcludePID: os.Getpid()})
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	if c.Name() != "audit" || c.Mode() != ModeUnicast {
		t.Errorf("name %q mode %q", c.Name(), c.Mode())
	}
	st := status(t, ctl)
	if st.Enabled != 1 || st.PID != uint32(os.Getpid()) || st.BacklogLimit < backlogLimit || keyRules(t, ctl, DefaultKey) != 1 {
		t.Errorf("while running: %+v, %d rules", st, keyRules(t, ctl, DefaultKey))
	}
	if n := exclusions(t, ctl); n != 2 {
		t.Errorf("%d PROCTITLE and EOE exclusion rules while running, want 2", n)
	}
	rc := record(c)

	// An exec, and the open of an absolute path.
	pid := run(t, "", "cat", "/etc/hostname")
	x := rc.find(t, "exec of cat", func(r *collectors.Record) bool {
		return r.Kind == collectors.KindExec && r.PID == pid
	})
	if !slices.Equal(x.Exec.Args, []string{"cat", "/etc/hostname"}) || x.Exec.ExePath != "/usr/bin/cat" ||
		x.Exec.Comm != "cat" || x.Exec.PPID != int64(os.Getpid()) || x.Exec.Cwd == "" ||
		x.Event.Type != event.TypeExecve || x.Event.Res != 0 || !strings.HasSuffix(x.Exec.Filename, "/cat") {
		t.Errorf("exec record %+v", x)
	}
	rc.find(t, "openat /etc/hostname", func(r *collectors.Record) bool {
		e := &r.Event
		return r.PID == pid && e.Type == event.TypeOpenat && e.Res >= 0 && e.FD.Name == "/etc/hostname" &&
			e.FD.NameRaw == "/etc/hostname" && e.FD.Kind == event.FDFile && e.FD.Num == e.Res
	})

	// A relative open, resolved against the working directory.
	pid = run(t, "/etc", "cat", "hostname")
	rc.find(t, "openat hostname in /etc", func(r *collectors.Record) bool {
		e := &r.Event
		return r.PID == pid && e.Type == event.TypeOpenat && e.FD.Name == "/etc/hostname" && e.FD.NameRaw == "hostname"
	})

	// openat2, its flags from the OPENAT2 record, and an open relative to
	// a directory fd, by helpers that exit at once: the directory comes
	// from the helper's own open of it.
	helper := func(env ...string) int64 {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("helper %v: %v\n%s", env, err, out)
		}
		return int64(cmd.Process.Pid)
	}
	pid = helper("LANNER_AUDIT_HELPER=openat2", "LANNER_AUDIT_PATH=/etc/hostname")
	rc.find(t, "openat2 /etc/hostname", func(r *collectors.Record) bool {
		e := &r.Event
		return r.PID == pid && e.Type == event.TypeOpenat2 && e.FD.Name == "/etc/hostname" && e.Res >= 0 &&
			e.Args.Has(event.ArgFlags) && e.Args.Flags&0o3 == 0
	})
	pid = helper("LANNER_AUDIT_HELPER=openatdir", "LANNER_AUDIT_DIR=/etc", "LANNER_AUDIT_PATH=hostname")
	rc.find(t, "openat(dirfd of /etc, hostname)", func(r *collectors.Record) bool {
		e := &r.Event
		return r.PID == pid && e.Type == event.TypeOpenat && e.FD.Name == "/etc/hostname" && e.FD.NameRaw == "hostname"
	})

	// chmod u+s.
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pid = run(t, "", "chmod", "u+s", file)
	rc.find(t, "fchmodat u+s", func(r *collectors.Record) bool {
		a := &r.Event.Args
		return r.PID == pid && r.Event.Type == event.TypeFchmodat && a.Has(event.ArgMode|event.ArgName) &&
			a.Mode&0o4000 != 0 && a.Name == file
	})

	// Symlinks, the link path absolute and relative to the working
	// directory.
	for _, link := range []string{filepath.Join(dir, "abs"), "rel"} {
		pid = run(t, dir, "ln", "-s", "/etc", link)
		rc.find(t, "symlinkat "+link, func(r *collectors.Record) bool {
			a := &r.Event.Args
			return r.PID == pid && r.Event.Type == event.TypeSymlinkat && a.Has(event.ArgTarget|event.ArgLinkPath) &&
				a.Target == "/etc" && a.LinkPath == filepath.Join(dir, filepath.Base(link))
		})
	}

	// A connect from another process, and one from this (excluded) one.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	addr := netip.MustParseAddrPort(ln.Addr().String())
	dialer := helper("LANNER_AUDIT_HELPER=dial", "LANNER_AUDIT_ADDR="+addr.String())
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	r := rc.find(t, "connect", func(r *collectors.Record) bool {
		return r.PID == dialer && r.Event.Type == event.TypeConnect && r.Event.FD.Remote == addr
	})
	// The protocol from the socket call; the local endpoint, which audit
	// does not log, invalid.
	if fd := r.Event.FD; fd.Kind != event.FDIPv4 || fd.Name != "0.0.0.0:0->"+addr.String() || !r.Event.Args.Has(event.ArgFD) ||
		fd.L4Proto != event.L4TCP || fd.Local.IsValid() {
		t.Errorf("connect %+v", r.Event)
	}

	// Fork, exec and exit as the process table sees them.
	pid = run(t, "", "sh", "-c", "cat /etc/hostname >/dev/null; exit 0")
	fork := rc.find(t, "fork by sh", func(r *collectors.Record) bool {
		return r.Kind == collectors.KindFork && r.Fork.ParentPID == pid && !r.Fork.Thread
	})
	rc.find(t, "exec of the forked cat", func(r *collectors.Record) bool {
		return r.Kind == collectors.KindExec && r.PID == fork.Fork.ChildPID && r.Exec.Comm == "cat"
	})
	rc.find(t, "exit of sh", func(r *collectors.Record) bool {
		return r.Kind == collectors.KindExit && r.PID == pid && !r.Exit.Thread
	})

	// Nothing of this process.
	if rc.any(func(r *collectors.Record) bool { return r.PID == int64(os.Getpid()) }) {
		t.Error("records of the excluded process")
	}

	s := c.Stats()
	t.Logf("stats %+v", s)
	if s.Records == 0 {
		t.Error("no records counted")
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	closed = true
	select {
	case err := <-rc.done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Read still blocked after Close")
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Read(&collectors.Record{}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	checkRestored(t, ctl, before, DefaultKey, excl)
	if out, err := exec.Command("auditctl", "-l").CombinedOutput(); err == nil && strings.Contains(string(out), "key="+DefaultKey) {
		t.Errorf("auditctl -l still lists our rule:\n%s", out)
	}
}

// TestCollectorExclusions: the calls Options.Exclusions name are not
// audited, the others are, and Close removes the never rules.
func TestCollectorExclusions(t *testing.T) {
	ctl, before := unicastSetup(t)
	excl := exclusions(t, ctl)
	opens := []event.Type{event.TypeOpen, event.TypeOpenat}
	c := startCollector(t, Options{
		Types:      event.TypeSetOf(event.TypeOpen, event.TypeOpenat, event.TypeSocket),
		ExcludePID: os.Getpid(),
		Exclusions: []Exclusion{
			{Types: opens, Path: "/dev/null"},
			{Types: []event.Type{event.TypeSocket}, Arg: 0, Value: syscall.AF_UNIX},
		},
	})
	defer c.Close()
	if len(c.Excluded()) != 2 {
		t.Errorf("excluded %v", c.Excluded())
	}
	if n := keyRules(t, ctl, DefaultKey); n != 3 {
		t.Errorf("%d rules with the key, want 3 (two never rules and the collector's)", n)
	}
	rc := record(c)

	dir := t.TempDir()
	if err := os.Symlink("/dev/null", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	catNull := run(t, "", "cat", "/dev/null")
	catLink := run(t, dir, "cat", "link")
	catNullRel := run(t, "/dev", "cat", "null")
	catFile := run(t, "", "cat", "/etc/hostname")
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), "LANNER_AUDIT_HELPER=sockets")
	if out, err := helper.CombinedOutput(); err != nil {
		t.Fatalf("socket helper: %v\n%s", err, out)
	}
	sockets := int64(helper.Process.Pid)

	rc.find(t, "openat of /etc/hostname", func(r *collectors.Record) bool {
		return r.PID == catFile && r.Event.Type == event.TypeOpenat && r.Event.FD.Name == "/etc/hostname"
	})
	rc.find(t, "AF_INET socket", func(r *collectors.Record) bool {
		return r.PID == sockets && r.Event.Type == event.TypeSocket && r.Event.Args.Domain == syscall.AF_INET
	})
	// The calls before these in each process are in by now.
	for _, pid := range []int64{catNull, catLink, catNullRel} {
		if rc.any(func(r *collectors.Record) bool {
			return r.PID == pid && r.Event.Type == event.TypeOpenat &&
				(strings.Contains(r.Event.FD.Name, "null") || strings.HasSuffix(r.Event.FD.Name, "/link"))
		}) {
			t.Errorf("an open of /dev/null by %d was audited", pid)
		}
	}
	if rc.any(func(r *collectors.Record) bool {
		return r.PID == sockets && r.Event.Type == event.TypeSocket && r.Event.Args.Domain == syscall.AF_UNIX
	}) {
		t.Error("an AF_UNIX socket call was audited")
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	checkRestored(t, ctl, before, DefaultKey, excl)
}

// TestCollectorKilledRun checks that a collector cleans up after one that
// was killed: its rules, and the settings it had changed.
func TestCollectorKilledRun(t *testing.T) {
	testutil.LockKernel(t)
	ctl := control(t)
	before := status(t, ctl)
	excl := exclusions(t, ctl)
	const key = "lanner-killed-test"

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "LANNER_AUDIT_HELPER=collect", "LANNER_AUDIT_KEY="+key)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("helper: %q %v", line, err)
	}
	if n := keyRules(t, ctl, key); n != 1 {
		t.Errorf("helper installed %d rules", n)
	}
	child.Process.Kill()
	child.Wait()
	if n := keyRules(t, ctl, key); n != 1 {
		t.Fatalf("%d stale rules after the kill, want 1", n)
	}
	if n := exclusions(t, ctl); n != 2 {
		t.Errorf("%d PROCTITLE and EOE exclusion rules after the kill, want 2", n)
	}

	c := startCollector(t, Options{Types: event.TypeSetOf(event.TypeOpenat), ExcludePID: os.Getpid(), Key: key})
	if n := keyRules(t, ctl, key); n != 1 {
		t.Errorf("%d rules with the new collector, want 1", n)
	}
	if c.Mode() != ModeUnicast {
		t.Errorf("mode %q", c.Mode())
	}
	if n := exclusions(t, ctl); n != 2 {
		t.Errorf("%d PROCTITLE and EOE exclusion rules with the new collector, want 2", n)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	checkRestored(t, ctl, before, key, excl)
}

// auditdBinaries returns the paths of auditd and auditctl, installing
// Debian's auditd package when they are missing.
func auditdBinaries(t *testing.T) (string, string) {
	find := func() (string, string, bool) {
		d, err1 := exec.LookPath("auditd")
		if err1 != nil {
			d, err1 = exec.LookPath("/sbin/auditd")
		}
		c, err2 := exec.LookPath("auditctl")
		if err2 != nil {
			c, err2 = exec.LookPath("/sbin/auditctl")
		}
		return d, c, err1 == nil && err2 == nil
	}
	if d, c, ok := find(); ok {
		return d, c
	}
	if _, err := exec.LookPath("apt-get"); err == nil {
		install := exec.Command("apt-get", "install", "-y", "-q", "auditd")
		install.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := install.CombinedOutput(); err != nil {
			t.Logf("apt-get install auditd: %v\n%s", err, out)
		}
	}
	d, c, ok := find()
	if !ok {
		testutil.RequireKernel(t, "auditd and auditctl are not installed and cannot be")
	}
	return d, c
}

// TestCollectorWithAuditd runs the collector next to Debian's auditd: it
// must leave auditd the audit socket and its rules.
func TestCollectorWithAuditd(t *testing.T) {
	testutil.LockKernel(t)
	auditd, auditctl := auditdBinaries(t)
	ctl := control(t)
	before := status(t, ctl)
	if before.PID != 0 {
		t.Fatalf("an audit daemon (pid %d) is running", before.PID)
	}
	rules := func() string {
		out, err := exec.Command(auditctl, "-l").CombinedOutput()
		if err != nil {
			t.Fatalf("auditctl -l: %v\n%s", err, out)
		}
		return string(out)
	}
	rulesBefore := rules()

	daemon := exec.Command(auditd, "-n")
	var dout strings.Builder
	daemon.Stdout, daemon.Stderr = &dout, &dout
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { daemon.Wait(); close(exited) }()
	const watchKey = "lanner-auditd-test"
	defer func() {
		exec.Command(auditctl, "-W", "/etc/hostname", "-p", "r", "-k", watchKey).Run()
		daemon.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			daemon.Process.Kill()
			<-exited
		}
		restoreStatus(t, ctl, before)
		if got := rules(); got != rulesBefore {
			t.Errorf("rules after the test:\n%s\nbefore:\n%s", got, rulesBefore)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for status(t, ctl).PID != uint32(daemon.Process.Pid) {
		select {
		case <-exited:
			t.Fatalf("auditd exited:\n%s", dout.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("auditd did not register; auditctl -s shows pid %d\n%s", status(t, ctl).PID, dout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := exec.Command(auditctl, "-s").CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("pid %d", daemon.Process.Pid)) {
		t.Fatalf("auditctl -s: %v\n%s", err, out)
	}
	// A rule of auditd's own, which matches the open below first.
	if out, err := exec.Command(auditctl, "-w", "/etc/hostname", "-p", "r", "-k", watchKey).CombinedOutput(); err != nil {
		t.Fatalf("auditctl -w: %v\n%s", err, out)
	}
	auditdRules := rules()
	auditdStatus := status(t, ctl)

	var got notices
	c := startCollector(t, Options{Types: event.TypeSetOf(event.TypeExecve, event.TypeOpenat), ExcludePID: os.Getpid(),
		Exclusions: []Exclusion{{Types: []event.Type{event.TypeOpenat}, Path: "/dev/null"}}, Notify: got.notify})
	if c.Mode() != ModeMulticast {
		t.Errorf("mode %q, want multicast", c.Mode())
	}
	if len(c.Excluded()) != 0 || keyRules(t, ctl, DefaultKey) != 1 {
		t.Errorf("exclusions in multicast mode: %v, %d rules with the key", c.Excluded(), keyRules(t, ctl, DefaultKey))
	}
	if st := status(t, ctl); st.PID != uint32(daemon.Process.Pid) {
		t.Errorf("audit pid %d, want auditd's %d", st.PID, daemon.Process.Pid)
	}
	rc := record(c)
	pid := run(t, "", "cat", "/etc/hostname")
	x := rc.find(t, "exec of cat", func(r *collectors.Record) bool {
		return r.Kind == collectors.KindExec && r.PID == pid
	})
	if !slices.Equal(x.Exec.Args, []string{"cat", "/etc/hostname"}) || x.Exec.ExePath != "/usr/bin/cat" {
		t.Errorf("exec %+v", x.Exec)
	}
	rc.find(t, "openat /etc/hostname (matched by auditd's rule)", func(r *collectors.Record) bool {
		return r.PID == pid && r.Event.Type == event.TypeOpenat && r.Event.FD.Name == "/etc/hostname"
	})
	multicastTamper(t, ctl, auditctl, &got, auditdStatus, func() {
		if out, err := exec.Command(auditctl, "-w", "/etc/hostname", "-p", "r", "-k", watchKey).CombinedOutput(); err != nil {
			t.Fatalf("auditctl -w: %v\n%s", err, out)
		}
	})
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	<-rc.done
	if got := rules(); got != auditdRules {
		t.Errorf("auditd's rules changed:\n%s\nwant:\n%s", got, auditdRules)
	}
	if st := status(t, ctl); st.PID != auditdStatus.PID || st.Enabled != auditdStatus.Enabled ||
		st.BacklogLimit != auditdStatus.BacklogLimit || st.BacklogWaitTime != auditdStatus.BacklogWaitTime {
		t.Errorf("settings changed under auditd:\n got %+v\nwant %+v", st, auditdStatus)
	}
}
