//go:build linux && amd64

package audit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// TestSetPlanLive: types and exclusions changed while the collector runs
// take effect, and the kernel holds the new rules only, after.
func TestSetPlanLive(t *testing.T) {
	ctl, before := unicastSetup(t)
	excl := exclusions(t, ctl)
	opens := []event.Type{event.TypeOpen, event.TypeOpenat}
	c := startCollector(t, Options{Types: event.TypeSetOf(event.TypeOpen, event.TypeOpenat), ExcludePID: os.Getpid(),
		Exclusions: []Exclusion{{Types: opens, Path: "/dev/null"}}})
	defer c.Close()
	rc := record(c)
	dir := t.TempDir()
	target := filepath.Join(dir, "one")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	unlinkOf := func(pid int64) func(r *collectors.Record) bool {
		return func(r *collectors.Record) bool { return r.PID == pid && r.Event.Type == event.TypeUnlinkat }
	}
	openOf := func(pid int64, path string) func(r *collectors.Record) bool {
		return func(r *collectors.Record) bool {
			return r.PID == pid && r.Event.Type == event.TypeOpenat && r.Event.FD.Name == path
		}
	}
	rm1 := run(t, "", "rm", "-f", target)
	cat1 := run(t, "", "cat", "/etc/hostname")
	rc.find(t, "openat of /etc/hostname", openOf(cat1, "/etc/hostname"))
	if rc.any(unlinkOf(rm1)) {
		t.Error("an unlinkat audited before it was asked for")
	}

	// Add unlinkat, drop the /dev/null exclusion.
	if err := c.SetPlan(event.TypeSetOf(event.TypeOpen, event.TypeOpenat, event.TypeUnlinkat), nil); err != nil {
		t.Fatal(err)
	}
	if n := keyRules(t, ctl, DefaultKey); n != 1 {
		t.Errorf("%d rules with the key, want 1", n)
	}
	if w := c.Watched(); !w.Has(event.TypeUnlinkat) {
		t.Errorf("watched %v", w.Types())
	}
	os.WriteFile(target, nil, 0o600)
	rm2 := run(t, "", "rm", "-f", target)
	catNull := run(t, "", "cat", "/dev/null")
	rc.find(t, "unlinkat after SetPlan", unlinkOf(rm2))
	rc.find(t, "openat of /dev/null once not excluded", openOf(catNull, "/dev/null"))

	// Back to opens only, /dev/null excluded again.
	if err := c.SetPlan(event.TypeSetOf(event.TypeOpen, event.TypeOpenat), []Exclusion{{Types: opens, Path: "/dev/null"}}); err != nil {
		t.Fatal(err)
	}
	if n := keyRules(t, ctl, DefaultKey); n != 2 {
		t.Errorf("%d rules with the key, want 2", n)
	}
	os.WriteFile(target, nil, 0o600)
	rm3 := run(t, "", "rm", "-f", target)
	catNull2 := run(t, "", "cat", "/dev/null")
	cat3 := run(t, "", "cat", "/etc/hostname")
	rc.find(t, "openat of /etc/hostname after the second SetPlan", openOf(cat3, "/etc/hostname"))
	if rc.any(unlinkOf(rm3)) {
		t.Error("an unlinkat audited after it was dropped")
	}
	if rc.any(openOf(catNull2, "/dev/null")) {
		t.Error("an open of /dev/null audited although excluded again")
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	checkRestored(t, ctl, before, DefaultKey, excl)
}
