package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	libaudit "github.com/elastic/go-libaudit/v2"

	"github.com/lannersec/lanner/internal/testutil"
)

// More attacks on the audit collector as the audit daemon: a never rule
// put ahead of its rules, and changes undone before its periodic
// comparison could see them.

// attackKey is the key of the audit rules the attacks add, by which they
// are removed after the test.
const attackKey = "lanner-test-attack"

// auditAttackSetup returns auditctl's path and an audit client, failing
// unless Lanner can be the audit daemon. When the test ends it puts back
// the machine's rules that an attack deleted, removes the rules the
// attacks added, and checks that no rule of Lanner's and none of the
// attacks' is left and that the audit settings are as found.
func auditAttackSetup(t *testing.T) (string, *libaudit.AuditClient) {
	t.Helper()
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
	before, err := ctl.GetStatus()
	if err != nil {
		ctl.Close()
		testutil.RequireKernel(t, "no audit: "+err.Error())
	}
	if before.PID != 0 {
		ctl.Close()
		t.Fatalf("an audit daemon (pid %d) runs: the test needs Lanner to be the audit daemon", before.PID)
	}
	saved, err := ctl.GetRules()
	if err != nil {
		ctl.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer ctl.Close()
		now, _ := ctl.GetRules()
		for _, r := range now {
			if strings.Contains(string(r), attackKey) {
				if err := ctl.DeleteRule(r); err != nil {
					t.Errorf("remove an attack's rule: %v", err)
				}
			}
		}
		now, _ = ctl.GetRules()
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
		if st, err := ctl.GetStatus(); err == nil && st.Enabled == 0 && before.Enabled != 0 {
			ctl.SetEnabled(true, libaudit.WaitForReply)
		}
		rules, err := ctl.GetRules()
		if err != nil {
			t.Error(err)
			return
		}
		for _, r := range rules {
			if strings.Contains(string(r), "lanner") {
				t.Errorf("a rule of Lanner's or of the attacks' left after the test")
			}
		}
		after, err := ctl.GetStatus()
		if err != nil {
			t.Error(err)
			return
		}
		if after.Enabled != before.Enabled || after.PID != 0 || after.BacklogLimit != before.BacklogLimit ||
			after.BacklogWaitTime != before.BacklogWaitTime {
			t.Errorf("audit settings not restored:\nbefore %+v\n after %+v", before, after)
		}
	})
	return auditctl, ctl
}

// attackRules lists the audit rules carrying attackKey.
func attackRules(t *testing.T, ctl *libaudit.AuditClient) int {
	t.Helper()
	rules, err := ctl.GetRules()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rules {
		if strings.Contains(string(r), attackKey) {
			n++
		}
	}
	return n
}

// TestLiveTamperAuditNeverRule puts a never rule for openat at the head of
// the exit list, ahead of Lanner's rules, which would hide every open from
// it: Lanner must report it with the process that added it, remove it, and
// see a read of /etc/shadow again.
func TestLiveTamperAuditNeverRule(t *testing.T) {
	auditctl, ctl := auditAttackSetup(t)
	l := startLanner(t, lanner(t), "--collector", "audit")
	from := shadowRead(t, l, 0, "cat /etc/shadow before the attack") + 1

	cmd := exec.Command(auditctl, "-A", "exit,never", "-F", "arch=b64", "-S", "openat", "-S", "openat2", "-k", attackKey)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("auditctl -A exit,never: %v\n%s", err, out)
	}
	i := l.waitAlert(t, from, expectation{"auditctl -A exit,never", "Lanner Collector Tampered", map[string]string{
		"lanner.collector": "audit", "lanner.notice": "*never rule(s) added ahead of the collector's rules (key \"" + attackKey + "\")",
		"proc.pid": fmt.Sprint(cmd.Process.Pid), "proc.name": "auditctl", "proc.exepath": auditctl, "user.uid": "0"}})
	checkOwnAlert(t, l.alertsSoFar(t)[i], "Critical")
	j := l.waitAlert(t, i+1, expectation{"never rule removed", "Lanner Collector Repaired",
		map[string]string{"lanner.collector": "audit", "lanner.notice": "*never rules ahead of the collector's rules"}})
	checkOwnAlert(t, l.alertsSoFar(t)[j], "Warning")
	if n := attackRules(t, ctl); n != 0 {
		t.Errorf("%d never rules of the attack left after the repair", n)
	}
	shadowRead(t, l, j+1, "cat /etc/shadow after the never rule was removed")
	l.stop(t)
}

// TestLiveTamperAuditUndone changes Lanner's audit state and changes it
// back at once, before the periodic comparison could find a difference:
// the change must be reported all the same, naming the process.
func TestLiveTamperAuditUndone(t *testing.T) {
	_, ctl := auditAttackSetup(t)
	l := startLanner(t, lanner(t), "--collector", "audit")
	from := shadowRead(t, l, 0, "cat /etc/shadow before any attack") + 1
	self := fmt.Sprint(os.Getpid())
	for _, attack := range []struct {
		name   string
		do     func() error
		notice string
	}{
		{"all rules deleted and added back", func() error {
			rules, err := ctl.GetRules()
			if err != nil {
				return err
			}
			for _, r := range rules {
				if err := ctl.DeleteRule(r); err != nil {
					return err
				}
			}
			for _, r := range rules {
				if err := ctl.AddRule(r); err != nil {
					return err
				}
			}
			return nil
		}, "rules with key lanner changed (remove_rule)"},
		{"audit disabled and enabled again", func() error {
			if err := ctl.SetEnabled(false, libaudit.WaitForReply); err != nil {
				return err
			}
			return ctl.SetEnabled(true, libaudit.WaitForReply)
		}, "audit_enabled changed"},
	} {
		if err := attack.do(); err != nil {
			t.Fatalf("%s: %v", attack.name, err)
		}
		i := l.waitAlert(t, from, expectation{attack.name, "Lanner Collector Tampered", map[string]string{
			"lanner.collector": "audit", "lanner.notice": "*" + attack.notice, "proc.pid": self, "user.uid": "0"}})
		a := l.alertsSoFar(t)[i]
		checkOwnAlert(t, a, "Critical")
		if n := fmt.Sprint(a.OutputFields["lanner.notice"]); !strings.Contains(n, "changed back before Lanner could compare") {
			t.Errorf("%s: notice %q does not say the change was undone", attack.name, n)
		}
		from = shadowRead(t, l, i+1, "cat /etc/shadow after "+attack.name) + 1
	}
	l.stop(t)
}
