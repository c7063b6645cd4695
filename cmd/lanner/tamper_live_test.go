package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	libaudit "github.com/elastic/go-libaudit/v2"

	"github.com/lannersec/lanner/internal/testutil"
)

// The tamper tests attack a running Lanner as an attacker with root would:
// they delete its audit rules, disable audit, and overwrite its BPF maps.
// Each attack must raise "Lanner Collector Tampered" naming the attacker
// when the kernel says who it was, then "Lanner Collector Repaired", and
// detection must work again afterwards.

// alertsSoFar reads the alerts written so far (a last line being written
// is left for the next read).
func (l *lannerRun) alertsSoFar(t *testing.T) []alert {
	t.Helper()
	data, err := os.ReadFile(l.alerts)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []alert
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasSuffix(line, "\n") {
			break
		}
		var a alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("bad alert %q: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

// waitAlert waits up to 20 s for an alert after the first from that meets
// e, and returns its index.
func (l *lannerRun) waitAlert(t *testing.T, from int, e expectation) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		alerts := l.alertsSoFar(t)
		for i := from; i < len(alerts); i++ {
			if e.matches(alerts[i]) {
				return i
			}
		}
		if time.Now().After(deadline) {
			var lines []string
			for _, a := range alerts[min(from, len(alerts)):] {
				b, _ := json.Marshal(a.OutputFields)
				lines = append(lines, a.Rule+" "+string(b))
			}
			t.Fatalf("%s: no %q alert with %v; alerts since:\n%s\nlanner:\n%s", e.what, e.rule, e.fields,
				strings.Join(lines, "\n"), l.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkOwnAlert checks the fields every alert of Lanner's own has.
func checkOwnAlert(t *testing.T, a alert, priority string) {
	t.Helper()
	if a.Source != "internal" || a.Priority != priority || a.OutputFields["lanner.notice"] == nil {
		t.Errorf("own alert %+v: want source internal, priority %s, lanner.notice", a, priority)
	}
}

// shadowRead reads /etc/shadow with cat and waits for the alert.
func shadowRead(t *testing.T, l *lannerRun, from int, what string) int {
	t.Helper()
	run(t, "cat", "/etc/shadow")
	return l.waitAlert(t, from, expectation{what, defaultRuleNames.shadow,
		map[string]string{"proc.name": "cat", "fd.name": "/etc/shadow"}})
}

// TestLiveTamperAudit deletes the audit collector's rules (with auditctl,
// and with a renamed copy of it) and disables audit while Lanner runs.
func TestLiveTamperAudit(t *testing.T) {
	testutil.LockKernel(t)
	auditctl, err := exec.LookPath("auditctl")
	if err != nil {
		auditctl, err = exec.LookPath("/sbin/auditctl")
	}
	if err != nil {
		testutil.RequireKernel(t, "auditctl is not installed")
	}
	ctl, err := libaudit.NewAuditClient(nil)
	if err != nil {
		testutil.RequireKernel(t, "no audit: "+err.Error())
	}
	defer ctl.Close()
	before, err := ctl.GetStatus()
	if err != nil {
		testutil.RequireKernel(t, "no audit: "+err.Error())
	}
	if before.PID != 0 {
		t.Fatalf("an audit daemon (pid %d) runs: the test needs Lanner to be the audit daemon", before.PID)
	}
	// auditctl -D deletes every rule: the machine's are put back after.
	saved, err := ctl.GetRules()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		now, _ := ctl.GetRules()
	next:
		for _, r := range saved {
			for _, x := range now {
				if string(x) == string(r) {
					continue next
				}
			}
			if err := ctl.AddRule(r); err != nil {
				t.Errorf("put back a rule of the machine: %v", err)
			}
		}
	}()
	innocent := filepath.Join(t.TempDir(), "innocent")
	copyFile(t, auditctl, innocent, 0o755)

	l := startLanner(t, lanner(t), "--collector", "audit")
	from := shadowRead(t, l, 0, "cat /etc/shadow before any attack") + 1
	for _, attack := range []struct {
		name, bin string
		args      []string
		notice    string
	}{
		{"auditctl -D", auditctl, []string{"-D"}, "audit rules deleted"},
		{"a renamed auditctl -D", innocent, []string{"-D"}, "audit rules deleted"},
		{"auditctl -e 0", auditctl, []string{"-e", "0"}, "audit disabled"},
	} {
		cmd := exec.Command(attack.bin, attack.args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", attack.name, err, out)
		}
		pid := fmt.Sprint(cmd.Process.Pid)
		i := l.waitAlert(t, from, expectation{attack.name, "Lanner Collector Tampered", map[string]string{
			"lanner.collector": "audit", "lanner.notice": "*" + attack.notice,
			"proc.pid": pid, "proc.name": filepath.Base(attack.bin), "proc.exepath": attack.bin, "user.uid": "0"}})
		checkOwnAlert(t, l.alertsSoFar(t)[i], "Critical")
		j := l.waitAlert(t, i+1, expectation{attack.name + " repaired", "Lanner Collector Repaired",
			map[string]string{"lanner.collector": "audit"}})
		checkOwnAlert(t, l.alertsSoFar(t)[j], "Warning")
		from = shadowRead(t, l, j+1, "cat /etc/shadow after "+attack.name) + 1
	}
	l.stop(t)
	rules, err := ctl.GetRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if strings.Contains(string(r), "lanner") {
			t.Errorf("a rule with key lanner left after the run")
		}
	}
	after, err := ctl.GetStatus()
	if err != nil {
		t.Fatal(err)
	}
	if after.Enabled != before.Enabled || after.PID != 0 || after.BacklogLimit != before.BacklogLimit ||
		after.BacklogWaitTime != before.BacklogWaitTime {
		t.Errorf("audit settings not restored:\nbefore %+v\n after %+v", before, after)
	}
}

// lannerMaps returns the ids of the BPF maps named name.
func lannerMaps(name string) map[ebpf.MapID]bool {
	ids := map[ebpf.MapID]bool{}
	var id ebpf.MapID
	for {
		next, err := ebpf.MapGetNextID(id)
		if err != nil {
			return ids
		}
		id = next
		m, err := ebpf.NewMapFromID(id)
		if err != nil {
			continue
		}
		if info, err := m.Info(); err == nil && info.Name == name {
			ids[id] = true
		}
		m.Close()
	}
}

// TestLiveTamperEBPF stops the eBPF collector from reporting opens by
// overwriting its syscall map with bpftool while Lanner runs.
func TestLiveTamperEBPF(t *testing.T) {
	testutil.LockKernel(t)
	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		testutil.RequireKernel(t, "bpftool is not installed")
	}
	before := lannerMaps("lanner_syscalls")
	l := startLanner(t, lanner(t), "--collector", "ebpf")
	var ours []ebpf.MapID
	for id := range lannerMaps("lanner_syscalls") {
		if !before[id] {
			ours = append(ours, id)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("%d new lanner_syscalls maps, want 1:\n%s", len(ours), l.stderr.String())
	}
	from := shadowRead(t, l, 0, "cat /etc/shadow before any attack") + 1
	// openat (257) reported as nothing.
	out, err := exec.Command(bpftool, "map", "update", "id", fmt.Sprint(ours[0]),
		"key", "0x01", "0x01", "0", "0", "value", "0", "0", "0", "0").CombinedOutput()
	if err != nil {
		t.Fatalf("bpftool map update: %v\n%s", err, out)
	}
	i := l.waitAlert(t, from, expectation{"bpftool map update", "Lanner Collector Tampered", map[string]string{
		"lanner.collector": "ebpf", "lanner.notice": "*lanner_syscalls changed"}})
	checkOwnAlert(t, l.alertsSoFar(t)[i], "Critical")
	j := l.waitAlert(t, i+1, expectation{"bpftool map update repaired", "Lanner Collector Repaired",
		map[string]string{"lanner.collector": "ebpf"}})
	checkOwnAlert(t, l.alertsSoFar(t)[j], "Warning")
	shadowRead(t, l, j+1, "cat /etc/shadow after the map was put back")
	l.stop(t)
}
