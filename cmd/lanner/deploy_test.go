package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/lannersec/lanner/config"
	"github.com/lannersec/lanner/internal/testutil"
)

// readUnit returns the Key=Value settings of a systemd unit file, by key.
func readUnit(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	settings := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not a setting: %q", path, line)
		}
		settings[k] = append(settings[k], v)
	}
	return settings
}

// TestSystemdUnit: the unit reloads with SIGHUP, waits for Lanner's
// readiness notification, creates the log directory of the example
// configuration, keeps the audit state directory across restarts, and
// starts Lanner with arguments and a configuration that run accepts on a
// fresh host. systemd-analyze verify checks it where systemd is installed.
func TestSystemdUnit(t *testing.T) {
	root := testutil.Root(t)
	unit := filepath.Join(root, "deploy", "lanner.service")
	s := readUnit(t, unit)
	want := map[string]string{
		"Type": "notify", "ExecReload": "/bin/kill -HUP $MAINPID", "KillSignal": "SIGTERM",
		"LogsDirectory": "lanner", "RuntimeDirectory": "lanner", "RuntimeDirectoryPreserve": "yes",
	}
	for k, v := range want {
		if got := s[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s=%q, want %q", k, got, v)
		}
	}
	if len(s["ExecStart"]) != 1 {
		t.Fatalf("ExecStart %q", s["ExecStart"])
	}
	argv := strings.Fields(s["ExecStart"][0])
	if argv[0] != "/usr/bin/lanner" {
		t.Errorf("ExecStart runs %s", argv[0])
	}
	args := argv[1:]
	var c cli
	k, err := kong.New(&c, kong.Name("lanner"), kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Parse(args); err != nil {
		t.Fatalf("ExecStart's arguments: %v", err)
	}
	if c.Run.StateDir != "/run/"+s["RuntimeDirectory"][0] {
		t.Errorf("--state-dir %s is not the RuntimeDirectory", c.Run.StateDir)
	}
	if c.Run.Config != "/etc/lanner/config.yaml" {
		t.Errorf("--config %s", c.Run.Config)
	}
	// The example configuration: its alert file is in LogsDirectory, and
	// it passes run's check (its directory need not exist yet).
	cfgPath := filepath.Join(root, "deploy", "config.yaml")
	cf, errs := config.Check(cfgPath, nil)
	errs = append(errs, cf.CheckRun()...)
	if len(errs) > 0 {
		t.Errorf("deploy/config.yaml: %v", errs)
	}
	if out, _ := cf.Value("out-file").(string); filepath.Dir(out) != "/var/log/"+s["LogsDirectory"][0] {
		t.Errorf("out-file %q is not in LogsDirectory", out)
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: unit not verified")
		return
	}
	// verify wants ExecStart's program to exist.
	data, _ := os.ReadFile(unit)
	copyPath := filepath.Join(t.TempDir(), "lanner.service")
	os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(data), "/usr/bin/lanner", lanner(t))), 0o644)
	if out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
