package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/internal/testutil"
)

func TestExplainCollectorError(t *testing.T) {
	eperm := fmt.Errorf("ebpf: load programs: map create: %w (MEMLOCK may be too low, consider rlimit.RemoveMemlock)", unix.EPERM)
	for _, c := range []struct {
		collector string
		err       error
		caps      uint64
		want      string
		not       string
	}{
		{"ebpf", eperm, 0, "needs root, or CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8); this process lacks CAP_BPF, CAP_PERFMON", "MEMLOCK"},
		{"ebpf", eperm, 1 << capBPF, "this process lacks CAP_PERFMON", "MEMLOCK"},
		{"ebpf", eperm, 1<<capBPF | 1<<capPerfmon, "this process has them, so something else forbids it", ""},
		{"audit", fmt.Errorf("audit: get status: %w", unix.EPERM), 0, "needs root, or CAP_AUDIT_CONTROL", ""},
		{"fanotify", fmt.Errorf("fanotify_init: %w", unix.EPERM), 0, "needs root, or CAP_SYS_ADMIN", ""},
		{"fanotify", fmt.Errorf("fanotify_init: %w", unix.EINVAL), 0, "fanotify_init: invalid argument", "needs"},
	} {
		got := explainWithCaps(c.collector, c.err, c.caps, true).Error()
		if !strings.Contains(got, c.want) || (c.not != "" && strings.Contains(got, c.not)) {
			t.Errorf("%s %v caps %x: %q, want %q without %q", c.collector, c.err, c.caps, got, c.want, c.not)
		}
	}
	if caps, ok := parseCapEff("Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n"); !ok || caps != 0x1ffffffffff {
		t.Errorf("parseCapEff: %x %v", caps, ok)
	}
}

// TestLiveUnprivileged runs Lanner as nobody and as root without the
// capabilities the collectors need: each says what it lacks, and nothing
// speaks of MEMLOCK.
func TestLiveUnprivileged(t *testing.T) {
	testutil.LockKernel(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		testutil.RequireKernel(t, "setpriv not installed")
	}
	dir, err := os.MkdirTemp("", "lanner-unprivileged")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "lanner")
	data, err := os.ReadFile(lanner(t))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, data, 0o755)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"nobody", []string{"--reuid=65534", "--regid=65534", "--clear-groups"}, []string{
			"collector ebpf unavailable: not permitted: needs root, or CAP_BPF and CAP_PERFMON",
			"collector audit unavailable: not permitted: needs root, or CAP_AUDIT_CONTROL",
			"collector fanotify unavailable: not permitted: needs root, or CAP_SYS_ADMIN",
			"no collector works here: not permitted; run lanner as root (uid 65534 here)"}},
		{"root without capabilities", []string{"--inh-caps=-all", "--bounding-set=-all"}, []string{
			"this process lacks CAP_BPF, CAP_PERFMON",
			"this process lacks CAP_AUDIT_CONTROL",
			"this process lacks CAP_SYS_ADMIN",
			"this root process lacks the capabilities named above"}},
	} {
		args := append(c.args, bin, "run", "--duration", "1s")
		out, err := exec.Command(setpriv, args...).CombinedOutput()
		text := string(out)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%s: %v, want exit status 1\n%s", c.name, err, text)
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, text)
			}
		}
		if strings.Contains(text, "MEMLOCK") || strings.Contains(text, "rlimit") {
			t.Errorf("%s: speaks of MEMLOCK:\n%s", c.name, text)
		}
	}
}
