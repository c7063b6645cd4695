package pipeline

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestHoldHUPNotInherited: while SIGHUP is held off, a program Lanner
// starts (a program sink) does not inherit it ignored.
func TestHoldHUPNotInherited(t *testing.T) {
	HoldHUP()
	out, err := exec.Command("sh", "-c", "grep SigIgn /proc/self/status").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		t.Fatalf("status line %q", out)
	}
	mask, err := strconv.ParseUint(f[1], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	if mask&1 != 0 { // bit 0 is signal 1, SIGHUP
		t.Errorf("SIGHUP ignored in the child: SigIgn %s", f[1])
	}
}
