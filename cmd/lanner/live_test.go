package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/lannersec/lanner/internal/testutil"
)

// The live tests run the real binary as root on this machine, do real
// things (read /etc/shadow, create a file below /dev, spawn a shell from a
// process named like a web server, connect from a program named ls to a test
// host in a network namespace, set the setuid bit, link /etc) and check the
// alerts. Each action is done once by a process started after Lanner and
// once by a process that was already running when Lanner started.

// helperEnv makes the test binary act as a helper process (see
// runHelper), so that actions come from processes with chosen names.
const helperEnv = "LANNER_LIVE_HELPER"

// runHelper reads commands from stdin, one per line, performs each and
// answers "ok" or "err: ...".
func runHelper() {
	if len(os.Args) > 1 && os.Args[1] == helperActionArg {
		os.Exit(ruleAction(os.Args[2:]))
	}
	if len(os.Args) > 2 && os.Args[1] == "listen" {
		ln, err := net.Listen("tcp", os.Args[2])
		if err != nil {
			fmt.Println("err:", err)
			os.Exit(1)
		}
		fmt.Println("listening")
		for {
			c, err := ln.Accept()
			if err != nil {
				os.Exit(0)
			}
			c.Close()
		}
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch f[0] {
		case "open": // open and read, as a program reading a file does
			var fh *os.File
			if fh, err = os.Open(f[1]); err == nil {
				fh.Read(make([]byte, 1))
				fh.Close()
			}
		case "create":
			var fh *os.File
			if fh, err = os.Create(f[1]); err == nil {
				fh.Close()
			}
		case "chmod":
			var mode uint64
			if _, err = fmt.Sscanf(f[2], "%o", &mode); err == nil {
				err = os.Chmod(f[1], os.FileMode(mode&0o777)|modeBits(mode))
			}
		case "symlink":
			err = os.Symlink(f[1], f[2])
		case "connect":
			var c net.Conn
			if c, err = net.DialTimeout("tcp", f[1], 3*time.Second); err == nil {
				c.Close()
			}
		case "spawn":
			err = exec.Command(f[1], f[2:]...).Run()
		case "shell": // the rest of the line is a script for /bin/sh -c
			err = exec.Command("/bin/sh", "-c", strings.TrimSpace(strings.TrimPrefix(sc.Text(), "shell"))).Run()
		default:
			err = fmt.Errorf("unknown command %q", f[0])
		}
		if err != nil {
			fmt.Println("err:", err)
		} else {
			fmt.Println("ok")
		}
	}
}

func modeBits(m uint64) os.FileMode {
	var fm os.FileMode
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	return fm
}

// helper is a running helper process.
type helper struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startHelper(t *testing.T, path string, args ...string) *helper {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if path != self {
		copyFile(t, self, path, 0o755)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(func() {
		in.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return h
}

// do sends one command and waits for its answer.
func (h *helper) do(t *testing.T, command string) {
	t.Helper()
	fmt.Fprintln(h.in, command)
	if !h.out.Scan() {
		t.Fatalf("helper %s: no answer to %q", h.cmd.Path, command)
	}
	if ans := h.out.Text(); ans != "ok" {
		t.Fatalf("helper %s: %q: %s", h.cmd.Path, command, ans)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// testHost creates a network namespace with a veth pair (198.51.100.1 here,
// 198.51.100.2 there) and a TCP listener there. It returns the listener's
// address.
func testHost(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("lanner-live-%d", os.Getpid())
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run(t, "ip", "link", "add", "lnrlive0", "type", "veth", "peer", "name", "lnrlive1")
	t.Cleanup(func() { exec.Command("ip", "link", "del", "lnrlive0").Run() })
	run(t, "ip", "link", "set", "lnrlive1", "netns", ns)
	run(t, "ip", "addr", "add", "198.51.100.1/24", "dev", "lnrlive0")
	run(t, "ip", "link", "set", "lnrlive0", "up")
	run(t, "ip", "netns", "exec", ns, "ip", "addr", "add", "198.51.100.2/24", "dev", "lnrlive1")
	run(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lnrlive1", "up")
	run(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
	self, _ := os.Executable()
	cmd := exec.Command("ip", "netns", "exec", ns, self, "listen", "198.51.100.2:8080")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "listening" {
		t.Fatalf("test host listener: %q", sc.Text())
	}
	return "198.51.100.2:8080"
}

// lannerRun is a running `lanner run`.
type lannerRun struct {
	cmd    *exec.Cmd
	alerts string
	stderr strings.Builder
	// dropsExpected: the collector counts losses it cannot help (the
	// fanotify collector, processes gone before /proc was read).
	dropsExpected bool
}

func startLanner(t *testing.T, bin string, args ...string) *lannerRun {
	return startLannerSeccomp(t, "", bin, args...)
}

// startLannerSeccomp starts `lanner run` under the seccomp filter mode
// (see seccompEnv), or none when mode is "".
func startLannerSeccomp(t *testing.T, mode, bin string, args ...string) *lannerRun {
	t.Helper()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	l := &lannerRun{alerts: filepath.Join(dir, "alerts.json")}
	argv := append([]string{"run", "--output", "json", "--out-file", l.alerts, "--ready-file", ready}, args...)
	if mode == "" {
		l.cmd = exec.Command(bin, argv...)
	} else {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		l.cmd = exec.Command(self, append([]string{bin}, argv...)...)
		l.cmd.Env = append(os.Environ(), seccompEnv+"="+mode)
	}
	l.cmd.Stderr = &l.stderr
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A test that ends without stop: SIGTERM first, so that Lanner undoes
	// what it changed in the kernel (audit rules and settings) for the
	// tests after this one; SIGKILL if it does not stop.
	t.Cleanup(func() {
		if l.cmd.ProcessState != nil {
			return
		}
		l.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { l.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
		}
		l.cmd.Process.Kill()
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("lanner did not become ready:\n%s", l.stderr.String())
		}
		if l.cmd.ProcessState != nil {
			t.Fatalf("lanner exited:\n%s", l.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop stops Lanner with SIGINT and returns its alerts.
func (l *lannerRun) stop(t *testing.T) []alert {
	t.Helper()
	return l.stopExit(t, 0)
}

// stopExit stops Lanner with SIGINT, checks it exits with status code and
// returns its alerts.
func (l *lannerRun) stopExit(t *testing.T, code int) []alert {
	t.Helper()
	time.Sleep(500 * time.Millisecond) // the collector delivers within 50 ms
	l.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- l.cmd.Wait() }()
	select {
	case err := <-done:
		if got := l.cmd.ProcessState.ExitCode(); got != code {
			t.Fatalf("lanner: %v, want exit status %d\n%s", err, code, l.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("lanner did not stop on SIGINT:\n%s", l.stderr.String())
	}
	if !l.dropsExpected && !strings.Contains(l.stderr.String(), "kernel_drops=0") {
		t.Errorf("lanner dropped events:\n%s", l.stderr.String())
	}
	if l.alerts == "" {
		return nil // alerts not written to a file
	}
	data, err := os.ReadFile(l.alerts)
	if err != nil {
		t.Fatal(err)
	}
	var out []alert
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var a alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("bad alert %q: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

type alert struct {
	Rule         string         `json:"rule"`
	Priority     string         `json:"priority"`
	Output       string         `json:"output"`
	OutputFields map[string]any `json:"output_fields"`
	Source       string         `json:"source"`
	Hostname     string         `json:"hostname"`
	Time         string         `json:"time"`
}

// expectation is an alert a live action must raise: the rule and output
// fields with their values (a value ending in "*" is a prefix, one
// starting with "*" a substring).
type expectation struct {
	what   string
	rule   string
	fields map[string]string
}

func (e expectation) matches(a alert) bool {
	if a.Rule != e.rule {
		return false
	}
	for k, want := range e.fields {
		v, ok := a.OutputFields[k]
		if !ok {
			return false
		}
		got := fmt.Sprint(v)
		switch {
		case strings.HasPrefix(want, "*"):
			if !strings.Contains(got, want[1:]) {
				return false
			}
		case strings.HasSuffix(want, "*"):
			if !strings.HasPrefix(got, want[:len(want)-1]) {
				return false
			}
		case got != want:
			return false
		}
	}
	return true
}

// ruleNames maps each behaviour to the rule expected to catch it.
type ruleNames struct {
	shadow, dev, webShell, sysNet, setuid, symlink string
}

var defaultRuleNames = ruleNames{
	shadow:   "Credential Store Read By Untrusted Program",
	dev:      "Non-Device File Created Under Dev",
	webShell: "Shell Spawned By Web Server",
	sysNet:   "System Utility Opened Network Connection",
	setuid:   "Setuid Or Setgid Bit Set",
	symlink:  "Symbolic Link To Sensitive File",
}

var upstreamRuleNames = ruleNames{
	shadow:   "Read sensitive file untrusted",
	dev:      "Create files below dev",
	webShell: "Run shell untrusted",
	sysNet:   "System procs network activity",
	setuid:   "Set Setuid or Setgid bit",
	symlink:  "Create Symlink Over Sensitive Files",
}

func selfComm(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// liveOptions vary a live scenario: the seccomp mode Lanner runs under,
// the collector it must pick, and the behaviours it must catch (all when
// nil).
type liveOptions struct {
	seccomp   string
	collector string
	only      map[string]bool
}

// liveScenario runs every action against bin and checks the alerts.
func liveScenario(t *testing.T, bin string, names ruleNames, host string, opts ...liveOptions) {
	var o liveOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	dir := t.TempDir()
	tag := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	comm := selfComm(t)
	for _, f := range []string{"fresh-file", "pre-file"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	devFresh, devPre := "/dev/lanner-live-fresh-"+tag, "/dev/lanner-live-pre-"+tag
	linkFresh, linkPre := "/tmp/lanner-live-link-fresh-"+tag, "/tmp/lanner-live-link-pre-"+tag
	t.Cleanup(func() {
		for _, p := range []string{devFresh, devPre, linkFresh, linkPre} {
			os.Remove(p)
		}
	})

	preDir, freshDir := filepath.Join(dir, "pre"), filepath.Join(dir, "fresh")
	for _, d := range []string{preDir, freshDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	// Processes that exist before Lanner starts.
	pre := startHelper(t, filepath.Join(preDir, "prehelper"))
	preNginx := startHelper(t, filepath.Join(preDir, "nginx"))
	preLs := startHelper(t, filepath.Join(preDir, "ls"))

	l := startLannerSeccomp(t, o.seccomp, bin, "--rule-matching", "all")
	l.dropsExpected = o.collector == "fanotify"

	// The same actions by processes started after Lanner.
	run(t, "cat", "/etc/shadow")
	run(t, "touch", devFresh)
	startHelper(t, filepath.Join(freshDir, "nginx")).do(t, "shell sleep 0.3;true")
	startHelper(t, filepath.Join(freshDir, "ls")).do(t, "connect "+host)
	run(t, "chmod", "u+s", filepath.Join(dir, "fresh-file"))
	run(t, "ln", "-s", "/etc", linkFresh)

	pre.do(t, "open /etc/shadow")
	pre.do(t, "create "+devPre)
	preNginx.do(t, "shell sleep 0.3;true")
	preLs.do(t, "connect "+host)
	pre.do(t, "chmod "+filepath.Join(dir, "pre-file")+" 4755")
	pre.do(t, "symlink /etc "+linkPre)

	alerts := l.stop(t)
	preExe := filepath.Join(preDir, "prehelper")
	expect := []expectation{
		{"cat /etc/shadow", names.shadow, map[string]string{"proc.name": "cat", "proc.pname": comm, "proc.cmdline": "cat /etc/shadow", "proc.exepath": "/usr/bin/cat", "fd.name": "/etc/shadow", "user.name": "root", "evt.type": "openat"}},
		{"a file created below /dev", names.dev, map[string]string{"proc.name": "touch", "proc.pname": comm, "proc.cmdline": "touch " + devFresh, "proc.exepath": "/usr/bin/touch", "fd.name": devFresh, "user.name": "root", "evt.type": "openat"}},
		{"a shell spawned by a web server", names.webShell, map[string]string{"proc.name": "sh", "proc.pname": "nginx", "proc.cmdline": "sh -c sleep 0.3;true", "proc.exepath": "/usr/bin/dash", "user.name": "root", "evt.type": "execve"}},
		{"ls connecting to a remote host", names.sysNet, map[string]string{"proc.name": "ls", "proc.pname": comm, "proc.exepath": filepath.Join(freshDir, "ls"), "fd.name": "*->" + host, "user.name": "root", "evt.type": "connect"}},
		{"chmod u+s", names.setuid, map[string]string{"proc.name": "chmod", "proc.pname": comm, "proc.cmdline": "chmod u+s " + filepath.Join(dir, "fresh-file"), "proc.exepath": "/usr/bin/chmod", "user.name": "root", "evt.type": "fchmodat"}},
		{"a symlink to /etc", names.symlink, map[string]string{"proc.name": "ln", "proc.pname": comm, "proc.cmdline": "ln -s /etc " + linkFresh, "proc.exepath": "/usr/bin/ln", "user.name": "root", "evt.type": "symlinkat"}},

		{"/etc/shadow read by a process started before Lanner", names.shadow, map[string]string{"proc.name": "prehelper", "proc.pname": comm, "proc.exepath": preExe, "fd.name": "/etc/shadow", "user.name": "root", "evt.type": "openat"}},
		{"a file created below /dev by a process started before Lanner", names.dev, map[string]string{"proc.name": "prehelper", "proc.pname": comm, "proc.exepath": preExe, "fd.name": devPre, "user.name": "root", "evt.type": "openat"}},
		{"a shell spawned by a web server started before Lanner", names.webShell, map[string]string{"proc.name": "sh", "proc.pname": "nginx", "proc.cmdline": "sh -c sleep 0.3;true", "user.name": "root", "evt.type": "execve"}},
		{"ls started before Lanner connecting to a remote host", names.sysNet, map[string]string{"proc.name": "ls", "proc.pname": comm, "proc.exepath": filepath.Join(preDir, "ls"), "fd.name": "*->" + host, "evt.type": "connect"}},
		{"setuid bit set by a process started before Lanner", names.setuid, map[string]string{"proc.name": "prehelper", "proc.pname": comm, "proc.exepath": preExe, "user.name": "root", "evt.type": "fchmodat"}},
		{"a symlink to /etc by a process started before Lanner", names.symlink, map[string]string{"proc.name": "prehelper", "proc.pname": comm, "proc.exepath": preExe, "user.name": "root", "evt.type": "symlinkat"}},
	}
	if o.collector != "" && !strings.Contains(l.stderr.String(), `msg="collector started" collector=`+o.collector+" ") {
		t.Errorf("lanner did not pick the %s collector:\n%s", o.collector, l.stderr.String())
	}
	if o.collector == "audit" {
		// The default rules' dup rules need the descriptor's type,
		// which audit does not log: their calls are not audited.
		if !strings.Contains(l.stderr.String(), `msg="audit plan" collector=audit not_audited="dup,dup2,dup3 `) ||
			regexp.MustCompile(`watching=[a-z0-9_,]*\bdup`).MatchString(l.stderr.String()) {
			t.Errorf("the audit collector still audits dup calls:\n%s", l.stderr.String())
		}
	}
	for _, e := range expect {
		if o.only != nil && !o.only[e.rule] {
			continue
		}
		if o.collector == "fanotify" {
			// fanotify reads a command line from /proc, which a
			// short-lived process may have left by then: it has only
			// the name (and counts the loss).
			fields := map[string]string{}
			for k, v := range e.fields {
				if k != "proc.cmdline" {
					fields[k] = v
				}
			}
			e.fields = fields
		}
		found := false
		for _, a := range alerts {
			if e.matches(a) {
				found = true
				break
			}
		}
		if !found {
			var near []string
			for _, a := range alerts {
				if a.Rule == e.rule {
					b, _ := json.Marshal(a.OutputFields)
					near = append(near, string(b))
				}
			}
			t.Errorf("%s: no %q alert with %v; alerts of that rule:\n%s", e.what, e.rule, e.fields, strings.Join(near, "\n"))
		}
	}
	if t.Failed() {
		for _, a := range alerts {
			t.Logf("alert: %s: %s", a.Rule, a.Output)
		}
	}
}

// TestLive runs the live actions against the binary with the default rules
// and against one built from the three upstream rules files.
func TestLive(t *testing.T) {
	testutil.LockKernel(t)
	host := testHost(t)
	t.Run("default rules", func(t *testing.T) {
		liveScenario(t, lanner(t), defaultRuleNames, host)
	})
	t.Run("upstream rules", func(t *testing.T) {
		overlay := testutil.CompileOverlay(t, "compiled", "compiled", testutil.UpstreamRules(t)...)
		liveScenario(t, testutil.BuildLanner(t, overlay), upstreamRuleNames, host)
	})
}

// lannerPrograms returns the ids of loaded BPF programs named lanner_*.
func lannerPrograms(t *testing.T) map[ebpf.ProgramID]bool {
	t.Helper()
	ids := map[ebpf.ProgramID]bool{}
	var id ebpf.ProgramID
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if err != nil {
			return ids
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		if info, err := p.Info(); err == nil && strings.HasPrefix(info.Name, "lanner_") {
			ids[id] = true
		}
		p.Close()
	}
}

// TestNothingLeftAfterKill kills a running Lanner with SIGKILL: every BPF
// program it attached must be gone.
func TestNothingLeftAfterKill(t *testing.T) {
	testutil.LockKernel(t)
	before := lannerPrograms(t)
	l := startLanner(t, lanner(t))
	during := lannerPrograms(t)
	var ours []ebpf.ProgramID
	for id := range during {
		if !before[id] {
			ours = append(ours, id)
		}
	}
	if len(ours) == 0 {
		t.Fatal("no lanner_* BPF program found while Lanner runs")
	}
	l.cmd.Process.Kill()
	l.cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		after := lannerPrograms(t)
		left := 0
		for _, id := range ours {
			if after[id] {
				left++
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d BPF programs still loaded 10 s after SIGKILL", left, len(ours))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLiveWithoutBPFOrAudit runs Lanner where bpf(2) fails with EPERM and
// NETLINK_AUDIT sockets are denied (a seccomp filter): auto must pick
// fanotify, which catches the reads and the execs. (It does not see the
// syscalls of the other behaviours, and a file created below /dev is seen
// as a create and a write apart, neither with the open flags the rule
// needs.)
func TestLiveWithoutBPFOrAudit(t *testing.T) {
	testutil.LockKernel(t)
	host := testHost(t)
	n := defaultRuleNames
	liveScenario(t, lanner(t), n, host, liveOptions{
		seccomp: "bpf+audit", collector: "fanotify",
		only: map[string]bool{n.shadow: true, n.webShell: true, n.dev: true},
	})
}

// TestLiveWithoutBPF runs Lanner where bpf(2) fails with EPERM (a seccomp
// filter): auto must pick the audit collector, which catches every
// behaviour.
func TestLiveWithoutBPF(t *testing.T) {
	testutil.LockKernel(t)
	host := testHost(t)
	liveScenario(t, lanner(t), defaultRuleNames, host, liveOptions{seccomp: "bpf", collector: "audit"})
}

// TestLiveHTTPSink runs Lanner with an HTTP sink next to the file sink: a
// real alert arrives at a local server as one JSON object per request with
// the keys Falco's event-generator checks.
func TestLiveHTTPSink(t *testing.T) {
	testutil.LockKernel(t)
	got := make(chan map[string]any, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a map[string]any
		if r.Method == http.MethodPost && json.NewDecoder(r.Body).Decode(&a) == nil {
			got <- a
		}
	}))
	defer srv.Close()
	l := startLanner(t, lanner(t), "--http-url", srv.URL)
	run(t, "cat", "/etc/shadow")
	l.stop(t)
	close(got)
	for a := range got {
		if a["rule"] != defaultRuleNames.shadow {
			continue
		}
		for _, k := range []string{"rule", "priority", "source", "hostname", "output", "output_fields", "tags", "time"} {
			if _, ok := a[k]; !ok {
				t.Errorf("alert lacks %q: %v", k, a)
			}
		}
		if f, _ := a["output_fields"].(map[string]any); f["fd.name"] != "/etc/shadow" || f["proc.name"] != "cat" {
			t.Errorf("output_fields: %v", f)
		}
		return
	}
	t.Fatal("the HTTP server received no alert for cat /etc/shadow")
}

// TestLiveOperations runs Lanner with metrics on, a dead HTTP sink and an
// alert file rotated by rename and SIGHUP: alerts keep flowing to the file
// (none lost across the rotation), the dead sink's failures show in
// /metrics, and the counters move as events and alerts flow.
func TestLiveOperations(t *testing.T) {
	testutil.LockKernel(t)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/"
	dead.Close() // connections are now refused
	port, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := port.Addr().String()
	port.Close()

	syslogUDP, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer syslogUDP.Close()
	const node = "live-node-7"
	l := startLanner(t, lanner(t), "--metrics-addr", maddr, "--http-url", deadURL,
		"--syslog", "udp://"+syslogUDP.LocalAddr().String(), "--hostname", node)
	// Ready once the engine reads the collector, soon after the ready
	// file.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + maddr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && string(body) == "ready\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz: %d %q", resp.StatusCode, body)
		}
	}
	scrape := func() string {
		resp, err := http.Get("http://" + maddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	value := func(text, prefix string) float64 {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, prefix) {
				var v float64
				fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
				return v
			}
		}
		return 0
	}
	before := scrape()
	run(t, "cat", "/etc/shadow")
	time.Sleep(300 * time.Millisecond)
	if err := os.Rename(l.alerts, l.alerts+".1"); err != nil {
		t.Fatal(err)
	}
	l.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(200 * time.Millisecond)
	run(t, "cat", "/etc/shadow")
	time.Sleep(2 * time.Second) // the dead sink's retries
	after := scrape()
	rule := `lanner_alerts_total{priority="Warning",rule="` + defaultRuleNames.shadow + `"}`
	if got := value(after, rule); got < 2 {
		t.Errorf("%s = %v after two reads of /etc/shadow\n%s", rule, got, after)
	}
	if value(after, `lanner_events_total{collector="ebpf",type="openat"}`) <= value(before, `lanner_events_total{collector="ebpf",type="openat"}`) {
		t.Errorf("openat events did not move")
	}
	// Syslog messages name the node as the alerts do, not the system.
	for sawShadow := false; !sawShadow; {
		syslogUDP.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64<<10)
		n, _, err := syslogUDP.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no syslog message of the /etc/shadow alert: %v", err)
		}
		msg := string(buf[:n])
		if !strings.Contains(msg, "/etc/shadow") {
			continue
		}
		sawShadow = true
		if f := strings.Fields(msg); len(f) < 5 || f[3] != node || !strings.Contains(msg, `"hostname":"`+node+`"`) {
			t.Errorf("syslog message does not name the node %s: %q", node, msg)
		}
	}
	if value(after, `falcosecurity_evt_hostname_info{hostname="`+node+`"}`) != 1 || value(after, `lanner_ready `) != 1 {
		t.Errorf("node name or readiness not in /metrics:\n%s", after)
	}
	deadSink := "http:http://" + dead.Addr().String()
	if value(after, `lanner_sink_failed_total{sink="`+deadSink+`"}`)+value(after, `lanner_sink_dropped_total{sink="`+deadSink+`"}`) < 1 {
		t.Errorf("the dead sink's failures do not show:\n%s", after)
	}
	l.stopExit(t, exitAlertsUndelivered) // the dead sink's alerts; reads the new alert file
	for _, f := range []string{l.alerts + ".1", l.alerts} {
		data, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(data), "/etc/shadow") {
			t.Errorf("%s lacks its alert (rotation lost one): %v", f, err)
		}
	}
}
