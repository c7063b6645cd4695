package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
)

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
			`msg="collector unavailable" collector=ebpf err="not permitted: needs root, or CAP_BPF and CAP_PERFMON`,
			`msg="collector unavailable" collector=audit err="not permitted: needs root, or CAP_AUDIT_CONTROL`,
			`msg="collector unavailable" collector=fanotify err="not permitted: needs root, or CAP_SYS_ADMIN`,
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
