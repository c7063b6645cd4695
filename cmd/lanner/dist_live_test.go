package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
)

// packageFiles are the files the packages install (deploy/nfpm.yaml).
var packageFiles = []string{
	"/usr/bin/lanner",
	"/usr/share/lanner/rules/lanner_rules.yaml",
	"/usr/lib/systemd/system/lanner.service",
	"/etc/lanner/config.yaml",
	"/etc/logrotate.d/lanner",
	"/usr/share/doc/lanner/README.md",
}

// TestLiveDebPackage builds the packages with `make dist`, installs the
// .deb with dpkg, checks its files are where the unit expects them and the
// installed binary works, then purges it and checks nothing is left.
func TestLiveDebPackage(t *testing.T) {
	testutil.LockKernel(t)
	if _, err := exec.LookPath("dpkg"); err != nil {
		testutil.RequireKernel(t, "no dpkg")
	}
	if exec.Command("dpkg", "-s", "lanner").Run() == nil {
		t.Fatal("a lanner package is installed already: not touching it")
	}
	for _, f := range packageFiles {
		if _, err := os.Lstat(f); err == nil {
			t.Fatalf("%s exists already: not overwriting it", f)
		}
	}
	dist := t.TempDir()
	build := exec.Command("make", "-C", testutil.Root(t), "dist", "DIST="+dist)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, out)
	}
	for _, pattern := range []string{"*.deb", "*.rpm", "*.tar.gz"} {
		if m, _ := filepath.Glob(filepath.Join(dist, pattern)); len(m) != 1 {
			t.Errorf("make dist made %d %s files, want 1", len(m), pattern)
		}
	}
	debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
	if len(debs) != 1 {
		t.FailNow()
	}
	t.Cleanup(func() { exec.Command("dpkg", "--purge", "lanner").Run() })
	run(t, "dpkg", "-i", debs[0])

	for _, f := range packageFiles {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("installed package: %v", err)
		}
	}
	if st, err := os.Stat("/var/log/lanner"); err != nil || !st.IsDir() {
		t.Errorf("installed package: /var/log/lanner is not a directory (%v)", err)
	}
	// The unit's ExecStart names the installed binary and the config.
	unit, err := os.ReadFile("/usr/lib/systemd/system/lanner.service")
	if err != nil {
		t.Fatal(err)
	}
	execStart := ""
	for sc := bufio.NewScanner(strings.NewReader(string(unit))); sc.Scan(); {
		if v, ok := strings.CutPrefix(sc.Text(), "ExecStart="); ok {
			execStart = v
		}
	}
	argv := strings.Fields(execStart)
	if len(argv) == 0 || argv[0] != "/usr/bin/lanner" {
		t.Errorf("unit ExecStart=%q, want /usr/bin/lanner", execStart)
	}
	for i, a := range argv {
		if a == "--config" && (i+1 >= len(argv) || argv[i+1] != "/etc/lanner/config.yaml") {
			t.Errorf("unit ExecStart=%q: config is not the packaged /etc/lanner/config.yaml", execStart)
		}
	}
	if out, err := exec.Command("/usr/bin/lanner", "config", "check", "/etc/lanner/config.yaml").CombinedOutput(); err != nil {
		t.Errorf("lanner config check of the packaged config: %v\n%s", err, out)
	}
	version, err := exec.Command("/usr/bin/lanner", "version").Output()
	if err != nil || !strings.HasPrefix(string(version), "lanner ") || !strings.Contains(string(version), " commit ") || !strings.Contains(string(version), " built ") {
		t.Errorf("lanner version: %v %q, want version, commit and build date", err, version)
	}
	if out, err := exec.Command("/usr/bin/lanner", "collectors").CombinedOutput(); err != nil {
		t.Errorf("lanner collectors: %v\n%s", err, out)
	}

	run(t, "dpkg", "--purge", "lanner")
	for _, f := range append(packageFiles, "/etc/lanner", "/usr/share/lanner", "/usr/share/doc/lanner", "/var/log/lanner") {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s is left after dpkg --purge", f)
		}
	}
}
