package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/internal/testutil"
)

// The self-check's live tests attack a running Lanner as someone with
// root would: delete its audit rules, change its BPF syscall map, remove
// its fanotify marks. The
// self-check must raise "Lanner Collector Blind" and turn /healthz to 503
// within its bound; once the test puts the kernel state back, "Lanner
// Collector Recovered" and detection of `cat /etc/shadow` again. (Links of
// tracepoint programs cannot be detached from outside, and a stalled
// reader stalls the whole process: the engine's tests cover a collector
// that stops delivering.)

// selfCheckInterval is the interval the tests run the self-check at; its
// bound is then 3 s, and the tests wait far longer for outcomes.
const selfCheckInterval = "1s"

// outcomeWait is how long the tests wait for an alert or a health change.
const outcomeWait = 60 * time.Second

// selfCheckRun is a Lanner running with a fast self-check and /metrics.
type selfCheckRun struct {
	*lannerRun
	addr    string
	started time.Time
}

func startSelfCheck(t *testing.T, collector string) *selfCheckRun {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	started := time.Now().Add(-100 * time.Millisecond) // file times use a coarser clock
	l := startLanner(t, lanner(t), "--collector", collector, "--self-check-interval", selfCheckInterval, "--metrics-addr", addr)
	// fanotify counts losses it cannot help (processes gone before /proc
	// could be read).
	l.dropsExpected = collector == "fanotify"
	r := &selfCheckRun{lannerRun: l, addr: addr, started: started}
	// Healthy with at least one probe back before any attack.
	r.waitFor(t, "a first self-check", func() bool {
		code, _ := r.health(t)
		return code == http.StatusOK && r.metric(t, `lanner_self_check_probes_total{collector="`+collector+`"}`) >= 2 &&
			r.metric(t, `lanner_collector_healthy{collector="`+collector+`"}`) == 1
	})
	return r
}

// health returns /healthz's status code and body.
func (r *selfCheckRun) health(t *testing.T) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of the sample named exactly name (with its
// labels), or -1 when /metrics lacks it.
func (r *selfCheckRun) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// alertsSoFar reads the alerts written so far.
func (r *selfCheckRun) alertsSoFar(t *testing.T) []alert {
	t.Helper()
	data, err := os.ReadFile(r.alerts)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []alert
	for _, line := range strings.Split(string(data), "\n") {
		var a alert
		if line != "" && json.Unmarshal([]byte(line), &a) == nil {
			out = append(out, a)
		}
	}
	return out
}

// ownAlert returns the first own alert of rule for collector after the
// first skip alerts, or false.
func (r *selfCheckRun) ownAlert(t *testing.T, rule, collector string, skip int) (alert, bool) {
	t.Helper()
	all := r.alertsSoFar(t)
	for _, a := range all[min(skip, len(all)):] {
		if a.Rule == rule && a.Source == "internal" && a.OutputFields["lanner.collector"] == collector {
			return a, true
		}
	}
	return alert{}, false
}

// waitFor polls cond until it holds, failing the test after outcomeWait.
func (r *selfCheckRun) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(outcomeWait)
	for !cond() {
		if time.Now().After(deadline) {
			code, body := r.health(t)
			t.Fatalf("no %s within %v; /healthz %d %q; stderr:\n%s\nalerts: %v", what, outcomeWait, code, body, r.stderr.String(), r.alertsSoFar(t))
		}
		if r.cmd.ProcessState != nil {
			t.Fatalf("lanner exited:\n%s", r.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// shadowDetected reads /etc/shadow with cat until a rule alert names it.
func (r *selfCheckRun) shadowDetected(t *testing.T) bool {
	t.Helper()
	run(t, "cat", "/etc/shadow")
	time.Sleep(300 * time.Millisecond)
	for _, a := range r.alertsSoFar(t) {
		if a.Source == "syscall" && a.OutputFields["fd.name"] == "/etc/shadow" && a.OutputFields["proc.name"] == "cat" {
			return true
		}
	}
	return false
}

// checkBlind checks the Blind alert's form and the unhealthy state.
func (r *selfCheckRun) checkBlind(t *testing.T, a alert, collector string) {
	t.Helper()
	if a.Priority != "Critical" || !strings.Contains(a.Output, ": Critical Lanner Collector Blind: the "+collector+" collector did not deliver") ||
		!strings.Contains(fmt.Sprint(a.OutputFields["lanner.notice"]), "no event proven seen since") {
		t.Errorf("Blind alert: %+v", a)
	}
	code, body := r.health(t)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "did not deliver") {
		t.Errorf("/healthz while blind: %d %q", code, body)
	}
	if r.metric(t, `lanner_self_check_failures_total{collector="`+collector+`"}`) < 1 {
		t.Errorf("lanner_self_check_failures_total did not count the failure")
	}
	if r.metric(t, `lanner_alerts_total{priority="Critical",rule="Lanner Collector Blind"}`) < 1 {
		t.Errorf("lanner_alerts_total does not count the Blind alert")
	}
}

// checkRecovered waits for Recovered after a Blind alert and for
// detection to work again.
func (r *selfCheckRun) checkRecovered(t *testing.T, collector string, skip int) {
	t.Helper()
	r.waitFor(t, "Recovered alert", func() bool {
		_, ok := r.ownAlert(t, "Lanner Collector Recovered", collector, skip)
		return ok
	})
	a, _ := r.ownAlert(t, "Lanner Collector Recovered", collector, skip)
	if a.Priority != "Warning" {
		t.Errorf("Recovered alert: %+v", a)
	}
	r.waitFor(t, "healthy /healthz", func() bool { code, _ := r.health(t); return code == http.StatusOK })
	r.waitFor(t, "alert for cat /etc/shadow after recovery", func() bool { return r.shadowDetected(t) })
}

// noProbeFilesLeft checks that a stopped Lanner, started at since,
// removed its probe files (older ones are another run's).
func noProbeFilesLeft(t *testing.T, since time.Time) {
	t.Helper()
	all, _ := filepath.Glob("/run/lanner/self-check-*")
	var left []string
	for _, p := range all {
		if fi, err := os.Stat(p); err == nil && !fi.ModTime().Before(since) {
			left = append(left, p)
		}
	}
	if len(left) > 0 {
		t.Errorf("probe files left: %v", left)
	}
}

// auditctlPath finds auditctl.
func auditctlPath(t *testing.T) string {
	for _, p := range []string{"auditctl", "/sbin/auditctl", "/usr/sbin/auditctl"} {
		if c, err := exec.LookPath(p); err == nil {
			return c
		}
	}
	testutil.RequireKernel(t, "auditctl is not installed")
	return ""
}

// auditRules lists the audit rules, one auditctl command line each.
func auditRules(t *testing.T, ctl string) []string {
	t.Helper()
	out, err := exec.Command(ctl, "-l").CombinedOutput()
	if err != nil {
		t.Fatalf("auditctl -l: %v\n%s", err, out)
	}
	var rules []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(line, "-") {
			rules = append(rules, line)
		}
	}
	return rules
}

// addAuditRules adds rules listed by auditRules (no rule has a quoted
// field with spaces: Lanner's and this machine's do not).
func addAuditRules(t *testing.T, ctl string, rules []string) {
	t.Helper()
	for _, r := range rules {
		if out, err := exec.Command(ctl, strings.Fields(r)...).CombinedOutput(); err != nil {
			t.Errorf("auditctl %s: %v\n%s", r, err, out)
		}
	}
}

// TestLiveSelfCheckAuditRulesDeleted deletes every audit rule during a
// run with the audit collector (`auditctl -D`, and through a renamed copy
// of auditctl): Lanner must raise "Lanner Collector Blind" or, where it
// repairs its rules, "Lanner Collector Tampered"; then either detection
// works again or /healthz stays 503. Once the rules are back, Recovered
// and detection.
func TestLiveSelfCheckAuditRulesDeleted(t *testing.T) {
	testutil.LockKernel(t)
	ctl := auditctlPath(t)
	foreign := auditRules(t, ctl) // the machine's own rules, put back at the end
	t.Cleanup(func() {
		now := auditRules(t, ctl)
		var missing []string
		for _, r := range foreign {
			if !slices.Contains(now, r) {
				missing = append(missing, r)
			}
		}
		addAuditRules(t, ctl, missing)
	})
	renamed := filepath.Join(t.TempDir(), "sysctl-helper")
	copyFile(t, ctl, renamed, 0o755)
	for _, tool := range []struct{ name, path string }{{"auditctl", ctl}, {"renamed auditctl", renamed}} {
		t.Run(tool.name, func(t *testing.T) {
			r := startSelfCheck(t, "audit")
			if !r.shadowDetected(t) {
				r.waitFor(t, "alert for cat /etc/shadow", func() bool { return r.shadowDetected(t) })
			}
			var ours []string
			for _, rule := range auditRules(t, ctl) {
				if strings.Contains(rule, "key=lanner") || strings.Contains(rule, "msgtype=") {
					ours = append(ours, rule)
				}
			}
			if len(ours) == 0 {
				t.Fatal("Lanner's audit rules are not listed")
			}
			skip := len(r.alertsSoFar(t))
			run(t, tool.path, "-D")

			var blind, tampered bool
			r.waitFor(t, "Blind or Tampered alert", func() bool {
				_, blind = r.ownAlert(t, "Lanner Collector Blind", "audit", skip)
				_, tampered = r.ownAlert(t, "Lanner Collector Tampered", "audit", skip)
				return blind || tampered
			})
			if blind {
				a, _ := r.ownAlert(t, "Lanner Collector Blind", "audit", skip)
				r.checkBlind(t, a, "audit")
			}
			// After Lanner's reaction: detection works again (its
			// rules repaired) or it keeps saying it is blind.
			r.waitFor(t, "detection again or a lasting 503", func() bool {
				if r.shadowDetected(t) {
					return true
				}
				code, _ := r.health(t)
				return code == http.StatusServiceUnavailable
			})
			if !blind {
				// Repaired: no Recovered to expect. A graceful stop
				// undoes what Lanner changed in the kernel.
				r.stop(t)
				noProbeFilesLeft(t, r.started)
				return
			}
			// Put Lanner's rules back as they were.
			if len(auditRules(t, ctl)) == 0 {
				addAuditRules(t, ctl, ours)
			}
			r.checkRecovered(t, "audit", skip)
			r.stop(t)
			noProbeFilesLeft(t, r.started)
		})
	}
}

// lannerMap returns the BPF map named name held by process pid.
func lannerMap(t *testing.T, pid int, name string) ebpf.MapID {
	t.Helper()
	infos, err := filepath.Glob(fmt.Sprintf("/proc/%d/fdinfo/*", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range infos {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			v, ok := strings.CutPrefix(line, "map_id:")
			if !ok {
				continue
			}
			id, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			m, err := ebpf.NewMapFromID(ebpf.MapID(id))
			if err != nil {
				continue
			}
			info, err := m.Info()
			m.Close()
			if err == nil && info.Name == name {
				return ebpf.MapID(id)
			}
		}
	}
	t.Fatalf("process %d holds no BPF map %s", pid, name)
	return 0
}

// bpftool runs bpftool and returns its output.
func bpftool(t *testing.T, args ...string) string {
	t.Helper()
	tool, err := exec.LookPath("bpftool")
	if err != nil {
		testutil.RequireKernel(t, "bpftool is not installed")
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("bpftool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestLiveSelfCheckBPFMapChanged clears openat in the eBPF collector's
// syscall selection map (lanner_syscalls) with bpftool during a run: opens
// are no longer delivered, so the self-check's open does not come back:
// Blind and /healthz 503. Once the test puts the entry back: Recovered.
// The collector's own check of its maps may find the change first: then
// Tampered, Repaired, and opens are seen again.
func TestLiveSelfCheckBPFMapChanged(t *testing.T) {
	testutil.LockKernel(t)
	r := startSelfCheck(t, "ebpf")
	id := lannerMap(t, r.cmd.Process.Pid, "lanner_syscalls")
	ids := strconv.FormatUint(uint64(id), 10)
	key := []string{"key", "1", "1", "0", "0"} // openat, 257 on x86_64
	var entry struct {
		Value []string `json:"value"`
	}
	if err := json.Unmarshal([]byte(bpftool(t, append([]string{"-j", "map", "lookup", "id", ids}, key...)...)), &entry); err != nil || len(entry.Value) != 4 {
		t.Fatalf("lanner_syscalls[openat]: %v %v", entry, err)
	}
	if strings.Join(entry.Value, "") == "0x000x000x000x00" {
		t.Fatal("lanner_syscalls does not select openat")
	}
	restore := func() {
		args := append(append([]string{"map", "update", "id", ids}, key...), "value")
		bpftool(t, append(args, entry.Value...)...)
	}
	restored := false
	t.Cleanup(func() {
		if !restored {
			restore()
		}
	})
	skip := len(r.alertsSoFar(t))
	bpftool(t, append(append([]string{"map", "update", "id", ids}, key...), "value", "0", "0", "0", "0")...)
	var blind, tampered bool
	r.waitFor(t, "Blind or Tampered alert", func() bool {
		_, blind = r.ownAlert(t, "Lanner Collector Blind", "ebpf", skip)
		_, tampered = r.ownAlert(t, "Lanner Collector Tampered", "ebpf", skip)
		return blind || tampered
	})
	if !blind {
		// The collector's own check found the change first and puts
		// the entry back: Repaired, and opens are seen again.
		restored = true
		r.waitFor(t, "Repaired alert", func() bool {
			_, ok := r.ownAlert(t, "Lanner Collector Repaired", "ebpf", skip)
			return ok
		})
		skip = len(r.alertsSoFar(t))
		r.waitFor(t, "alert for cat /etc/shadow after the repair", func() bool {
			r.shadowDetected(t)
			for _, a := range r.alertsSoFar(t)[skip:] {
				if a.Source == "syscall" && a.OutputFields["fd.name"] == "/etc/shadow" && a.OutputFields["proc.name"] == "cat" {
					return true
				}
			}
			return false
		})
		r.stop(t)
		noProbeFilesLeft(t, r.started)
		return
	}
	a, _ := r.ownAlert(t, "Lanner Collector Blind", "ebpf", skip)
	r.checkBlind(t, a, "ebpf")
	if !strings.Contains(a.Output, "self-check's open") {
		t.Errorf("the Blind alert does not say the open is missing: %s", a.Output)
	}
	restore()
	restored = true
	r.checkRecovered(t, "ebpf", skip)
	r.stop(t)
	noProbeFilesLeft(t, r.started)
}

// fanotifyMark is one filesystem mark of a fanotify group, as fdinfo
// lists it.
type fanotifyMark struct {
	sdev, mask uint64
}

// fanotifyGroups takes a copy of every fanotify descriptor of process pid
// (pidfd_getfd, as an attacker with root can) with the filesystem marks
// each has.
func fanotifyGroups(t *testing.T, pid int) map[int][]fanotifyMark {
	t.Helper()
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		testutil.RequireKernel(t, "pidfd_open: "+err.Error())
	}
	defer unix.Close(pidfd)
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	groups := map[int][]fanotifyMark{}
	for _, f := range fds {
		if target, _ := os.Readlink(f); target != "anon_inode:[fanotify]" {
			continue
		}
		n, _ := strconv.Atoi(filepath.Base(f))
		info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, n))
		if err != nil {
			t.Fatal(err)
		}
		var marks []fanotifyMark
		for _, line := range strings.Split(string(info), "\n") {
			var m fanotifyMark
			var mflags, ignored uint64
			if _, err := fmt.Sscanf(line, "fanotify sdev:%x mflags:%x mask:%x ignored_mask:%x", &m.sdev, &mflags, &m.mask, &ignored); err == nil {
				marks = append(marks, m)
			}
		}
		fd, err := unix.PidfdGetfd(pidfd, n, 0)
		if err != nil {
			testutil.RequireKernel(t, "pidfd_getfd: "+err.Error())
		}
		t.Cleanup(func() { unix.Close(fd) })
		groups[fd] = marks
	}
	if len(groups) == 0 {
		t.Fatalf("process %d has no fanotify descriptor", pid)
	}
	return groups
}

// mountOfDev returns a mount point, in process pid's mount namespace, of
// the filesystem whose kernel device number fdinfo printed as sdev.
func mountOfDev(t *testing.T, pid int, sdev uint64) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		var major, minor uint64
		if _, err := fmt.Sscanf(f[2], "%d:%d", &major, &minor); err == nil && major<<20|minor == sdev {
			return f[4]
		}
	}
	t.Fatalf("no mount of device %x", sdev)
	return ""
}

// TestLiveSelfCheckFanotifyMarksRemoved removes every filesystem mark of a
// running Lanner's fanotify groups (through copies of its descriptors):
// the self-check's events no longer come back: Blind and /healthz 503.
// Once the test puts the marks back: Recovered and detection.
func TestLiveSelfCheckFanotifyMarksRemoved(t *testing.T) {
	testutil.LockKernel(t)
	r := startSelfCheck(t, "fanotify")
	pid := r.cmd.Process.Pid
	groups := fanotifyGroups(t, pid)
	skip := len(r.alertsSoFar(t))
	for fd, marks := range groups {
		if len(marks) == 0 {
			t.Fatalf("fanotify group without filesystem marks")
		}
		if err := unix.FanotifyMark(fd, unix.FAN_MARK_FLUSH|unix.FAN_MARK_FILESYSTEM, 0, unix.AT_FDCWD, "/"); err != nil {
			t.Fatalf("flush the marks: %v", err)
		}
	}
	r.waitFor(t, "Blind alert", func() bool {
		_, ok := r.ownAlert(t, "Lanner Collector Blind", "fanotify", skip)
		return ok
	})
	a, _ := r.ownAlert(t, "Lanner Collector Blind", "fanotify", skip)
	r.checkBlind(t, a, "fanotify")
	for fd, marks := range groups {
		for _, m := range marks {
			dir := mountOfDev(t, pid, m.sdev)
			if err := unix.FanotifyMark(fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, m.mask, unix.AT_FDCWD, dir); err != nil {
				t.Fatalf("put back the mark on %s: %v", dir, err)
			}
		}
	}
	r.checkRecovered(t, "fanotify", skip)
	r.stop(t)
	noProbeFilesLeft(t, r.started)
}
