//go:build linux && amd64

package audit

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// notices keeps the notices a collector sends.
type notices struct {
	mu   sync.Mutex
	list []collectors.Notice
}

func (n *notices) notify(x collectors.Notice) {
	n.mu.Lock()
	n.list = append(n.list, x)
	n.mu.Unlock()
}

func (n *notices) snapshot() []collectors.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]collectors.Notice(nil), n.list...)
}

// wait waits up to 15 s for a notice, after the first from, that
// satisfies pred, and returns its index.
func (n *notices) wait(t *testing.T, from int, what string, pred func(*collectors.Notice) bool) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		list := n.snapshot()
		for i := from; i < len(list); i++ {
			if pred(&list[i]) {
				return i
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notice: %s; got %+v", what, list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keepRules saves the machine's audit rules and puts back, at the end of
// the test, those an auditctl -D of the test deleted.
func keepRules(t *testing.T, ctl *libaudit.AuditClient) {
	t.Helper()
	saved, err := ctl.GetRules()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		now, err := ctl.GetRules()
		if err != nil {
			t.Error(err)
			return
		}
		for _, r := range saved {
			if !containsRule(now, r) {
				if err := ctl.AddRule(r); err != nil {
					t.Errorf("put back a rule of the machine: %v", err)
				}
			}
		}
	})
}

func containsRule(rules [][]byte, r []byte) bool {
	for _, x := range rules {
		if bytes.Equal(x, r) {
			return true
		}
	}
	return false
}

// TestCollectorTamperLive changes the collector's rules and settings with
// auditctl, as an attacker would: each change must be reported with the
// process that made it, put back, and events must be seen again.
func TestCollectorTamperLive(t *testing.T) {
	ctl, before := unicastSetup(t)
	_, auditctl := auditdBinaries(t)
	keepRules(t, ctl)
	excl := exclusions(t, ctl)

	var got notices
	c := startCollector(t, Options{Types: event.TypeSetOf(event.TypeOpenat, event.TypeExecve),
		ExcludePID: os.Getpid(), Notify: got.notify,
		Exclusions: []Exclusion{{Types: []event.Type{event.TypeOpenat}, Path: "/dev/null"}}})
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	rc := record(c)
	rules := keyRules(t, ctl, DefaultKey)
	if rules != 2 {
		t.Fatalf("%d rules with key %q, want 2", rules, DefaultKey)
	}
	dir := t.TempDir()
	seen := func(t *testing.T, name string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		// Tried three times: a record lost while the backlog was tiny
		// is not what this checks.
		for try := 1; ; try++ {
			pid := run(t, "", "cat", p)
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				if rc.any(func(r *collectors.Record) bool {
					return r.PID == pid && r.Event.Type == event.TypeOpenat && r.Event.FD.Name == p
				}) {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			if try == 3 {
				t.Fatalf("open of %s not seen (3 tries); collector stats %+v", p, c.Stats())
			}
			t.Logf("open of %s not seen, trying again; collector stats %+v", p, c.Stats())
		}
	}
	seen(t, "before")
	if n := got.snapshot(); len(n) != 0 {
		t.Fatalf("notices before any change: %+v", n)
	}

	// A renamed copy of auditctl, so that its name tells nothing.
	innocent := filepath.Join(dir, "innocent")
	b, err := os.ReadFile(auditctl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(innocent, b, 0o755); err != nil {
		t.Fatal(err)
	}

	from := 0
	for _, attack := range []struct {
		name, bin string
		args      []string
		message   string
		check     func(libaudit.AuditStatus) bool
		lossy     bool // the change may lose the record of its author
	}{
		{"auditctl -D", auditctl, []string{"-D"}, "audit rules deleted", nil, false},
		{"renamed auditctl -D", innocent, []string{"-D"}, "audit rules deleted", nil, false},
		{"auditctl -e 0", auditctl, []string{"-e", "0"}, "audit disabled",
			func(st libaudit.AuditStatus) bool { return st.Enabled == 1 }, false},
		{"auditctl -b 10", auditctl, []string{"-b", "10"}, "backlog_limit changed to 10",
			func(st libaudit.AuditStatus) bool { return st.BacklogLimit >= backlogLimit }, true},
		{"auditctl --backlog_wait_time 60000", auditctl, []string{"--backlog_wait_time", "60000"}, "backlog_wait_time changed",
			func(st libaudit.AuditStatus) bool { return st.BacklogWaitTime == 0 }, false},
	} {
		t.Run(strings.ReplaceAll(attack.name, " ", "_"), func(t *testing.T) {
			cmd := exec.Command(attack.bin, attack.args...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", attack.name, err, out)
			}
			pid := int64(cmd.Process.Pid)
			i := got.wait(t, from, "tampered after "+attack.name, func(n *collectors.Notice) bool {
				return n.Kind == collectors.NoticeTampered
			})
			n := got.snapshot()[i]
			if n.Collector != "audit" || !strings.Contains(n.Message, attack.message) {
				t.Errorf("notice %+v, want a message with %q", n, attack.message)
			}
			switch {
			case attack.lossy && n.Actor.PID == 0 && strings.Contains(n.Message, "no audit record names"):
				// The change itself can make the kernel drop the
				// record that names its author.
				t.Logf("actor unknown: %s", n.Message)
			case n.Actor.PID != pid || n.Actor.Exe != attack.bin || n.Actor.Comm != filepath.Base(attack.bin) || n.Actor.UID != 0:
				t.Errorf("actor %+v, want pid %d exe %s", n.Actor, pid, attack.bin)
			}
			j := got.wait(t, i+1, "repaired after "+attack.name, func(n *collectors.Notice) bool {
				return n.Kind == collectors.NoticeRepaired
			})
			from = j + 1
			if k := keyRules(t, ctl, DefaultKey); k != rules {
				t.Errorf("%d rules with key %q after the repair, want %d", k, DefaultKey, rules)
			}
			if n := exclusions(t, ctl); n != 2 {
				t.Errorf("%d PROCTITLE and EOE exclusion rules after the repair, want 2", n)
			}
			if attack.check != nil && !attack.check(status(t, ctl)) {
				t.Errorf("settings not put back: %+v", status(t, ctl))
			}
			seen(t, strings.ReplaceAll(attack.name, " ", "_"))
		})
	}

	// A loop of deletions: the collector keeps putting the rules back at
	// a bounded rate, and its notices are bounded too.
	start := len(got.snapshot())
	for range 30 {
		exec.Command(auditctl, "-D").Run()
	}
	deadline := time.Now().Add(15 * time.Second)
	for keyRules(t, ctl, DefaultKey) != rules {
		if time.Now().After(deadline) {
			t.Fatalf("rules not put back after a loop of deletions")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(got.snapshot()) - start; n == 0 || n > 2*30 {
		t.Errorf("%d notices for 30 deletions", n)
	}
	seen(t, "after_loop")

	// Close removes everything without a notice.
	time.Sleep(tamperCheckEvery) // the loop's last report
	for _, x := range got.snapshot() {
		t.Logf("%s: %s (actor %+v)", x.Kind, x.Message, x.Actor)
	}
	n := len(got.snapshot())
	closed = true
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	if after := got.snapshot(); len(after) != n {
		t.Errorf("notices at Close: %+v", after[n:])
	}
	checkRestored(t, ctl, before, DefaultKey, excl)
}

// multicastTamper checks the watch of a collector in multicast mode next
// to auditd: its rule deleted is put back, auditd's settings changed are
// not its business, and audit disabled is reported but left alone.
//
// auditctl -D deletes auditd's rules too (as a reload of auditd's rules
// does); reload then adds them back.
func multicastTamper(t *testing.T, ctl *libaudit.AuditClient, auditctl string, got *notices, auditd libaudit.AuditStatus, reload func()) {
	t.Helper()
	if n := got.snapshot(); len(n) != 0 {
		t.Fatalf("notices before any change: %+v", n)
	}
	auditctlRun := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(auditctl, args...).CombinedOutput(); err != nil {
			t.Fatalf("auditctl %q: %v\n%s", args, err, out)
		}
	}
	auditctlRun("-D")
	reload()
	i := got.wait(t, 0, "tampered after auditctl -D", func(n *collectors.Notice) bool {
		return n.Kind == collectors.NoticeTampered && strings.Contains(n.Message, "audit rules deleted") && n.Actor.Comm == "auditctl"
	})
	i = got.wait(t, i+1, "repaired after auditctl -D", func(n *collectors.Notice) bool { return n.Kind == collectors.NoticeRepaired })
	if n := keyRules(t, ctl, DefaultKey); n != 1 {
		t.Errorf("%d rules with key %q after the repair, want 1", n, DefaultKey)
	}

	// auditd's settings: changed and changed back, nothing to report.
	auditctlRun("-b", fmt.Sprint(auditd.BacklogLimit+1))
	auditctlRun("-b", fmt.Sprint(auditd.BacklogLimit))
	auditctlRun("-e", "0")
	j := got.wait(t, i+1, "tampered after auditctl -e 0", func(n *collectors.Notice) bool {
		return n.Kind == collectors.NoticeTampered && strings.Contains(n.Message, "left as it is")
	})
	time.Sleep(tamperCheckEvery + time.Second)
	if st := status(t, ctl); st.Enabled != 0 {
		t.Errorf("audit enabled again under auditd: %+v", st)
	}
	auditctlRun("-e", fmt.Sprint(auditd.Enabled))
	for _, n := range got.snapshot()[i+1:] {
		if n != got.snapshot()[j] {
			t.Errorf("notice %+v: auditd's settings are not the collector's", n)
		}
	}
}
