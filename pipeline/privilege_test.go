package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
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
