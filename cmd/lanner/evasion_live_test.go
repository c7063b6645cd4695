package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/pipeline"
)

// TestLiveEvasions performs, with a binary built from the upstream rules
// and under both syscall collectors, the evasions once found in the audit
// collector: /etc/shadow read through openat2, and relative to a
// directory descriptor (openat, openat2, Python's dir_fd), each by a
// process that exits at once; a program named ls connecting out (the
// rule needs the socket's endpoints and the "System procs network
// activity" output its protocol). Each must raise its alert with the
// absolute path or the connection, and the coverage report must say the
// rules are served. A descriptor replaced behind the collector's back
// (dup2 of /etc over a directory with a decoy "shadow") must never be
// reported as the decoy's path.
func TestLiveEvasions(t *testing.T) {
	testutil.LockKernel(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		testutil.RequireKernel(t, "the evasion suite needs python3")
	}
	host := testHost(t)
	overlay := testutil.CompileOverlay(t, "compiled", "compiled", testutil.UpstreamRules(t)...)
	bin := testutil.BuildLanner(t, overlay)

	dir, err := os.MkdirTemp("", "lanner-evasion-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	decoy := filepath.Join(dir, "decoy")
	if err := os.Mkdir(decoy, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(decoy, "shadow"), []byte("decoy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := func(name string) string {
		d := filepath.Join(dir, "h-"+name)
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, self, p, 0o755)
		return p
	}
	probe, ls := helper("lnrprobe"), helper("ls")

	for _, collector := range []string{"ebpf", "audit"} {
		t.Run(collector, func(t *testing.T) {
			marker := "lnrev" + collector
			act := func(path string, args ...string) {
				t.Helper()
				cmd := exec.Command(path, append([]string{helperActionArg, marker}, args...)...)
				cmd.Env = append(os.Environ(), helperEnv+"=1")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s %v: %v\n%s", path, args, err, out)
				}
			}

			l := startLanner(t, bin, "--collector", collector, "--rule-matching", "all")
			act(probe, "openat2", "/etc/shadow")
			act(probe, "openat", "/etc", "shadow")
			act(probe, "openat2dir", "/tmp", "../etc/shadow")
			act(probe, "openatdup", decoy, "/etc", "shadow")
			pyOpen := "import os; os.open('shadow', os.O_RDONLY, dir_fd=os.open('/etc', os.O_RDONLY))  # " + marker
			if out, err := exec.Command(python, "-c", pyOpen).CombinedOutput(); err != nil {
				t.Errorf("python: %v\n%s", err, out)
			}
			act(ls, "connect", host)
			alerts := l.stop(t)
			stderr := l.stderr.String()
			if !strings.Contains(stderr, `msg="collector started" collector=`+collector+" ") {
				t.Fatalf("lanner did not run the %s collector:\n%s", collector, stderr)
			}

			shadow := map[string]string{"fd.name": "/etc/shadow", "user.name": "root"}
			with := func(m map[string]string, kv ...string) map[string]string {
				out := map[string]string{}
				for k, v := range m {
					out[k] = v
				}
				for i := 0; i+1 < len(kv); i += 2 {
					out[kv[i]] = kv[i+1]
				}
				return out
			}
			expect := []expectation{
				{"openat2 of /etc/shadow", "Read sensitive file untrusted",
					with(shadow, "proc.name", "lnrprobe", "evt.type", "openat2", "proc.cmdline", "*openat2 /etc/shadow")},
				{"shadow opened relative to a descriptor of /etc", "Read sensitive file untrusted",
					with(shadow, "proc.name", "lnrprobe", "evt.type", "openat", "proc.cmdline", "*openat /etc shadow")},
				{"../etc/shadow opened with openat2 relative to a descriptor of /tmp", "Read sensitive file untrusted",
					with(shadow, "proc.name", "lnrprobe", "evt.type", "openat2", "proc.cmdline", "*openat2dir /tmp")},
				{"Python's os.open with dir_fd", "Read sensitive file untrusted",
					with(shadow, "proc.name", "python3", "evt.type", "openat", "proc.cmdline", "*"+marker)},
				{"ls connecting to the test host", "System procs network activity",
					map[string]string{"proc.name": "ls", "proc.exepath": ls, "evt.type": "connect", "fd.name": "*->" + host,
						"fd.l4proto": "tcp"}},
			}
			for _, e := range expect {
				found := false
				for _, a := range alerts {
					if e.matches(a) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("%s: no %q alert with %v; its alerts: %s", e.what, e.rule, e.fields, describe(rulesAlerts(alerts, e.rule)))
				}
			}

			// The replaced descriptor: never the decoy's path. The
			// eBPF collector reads the descriptor's real path; the
			// audit collector resolves it only while the process lives,
			// and otherwise leaves it relative and counts it.
			dupAt := func(a alert) bool { return strings.Contains(fmt.Sprint(a.OutputFields["proc.cmdline"]), "openatdup") }
			var dupAlerts []alert
			for _, a := range alerts {
				if dupAt(a) {
					dupAlerts = append(dupAlerts, a)
				}
				for _, v := range a.OutputFields {
					if strings.Contains(fmt.Sprint(v), filepath.Join(decoy, "shadow")) {
						t.Errorf("an alert names the decoy %s: %s: %s", filepath.Join(decoy, "shadow"), a.Rule, a.Output)
					}
				}
			}
			unresolved := statValue(t, stderr, "unresolved_paths")
			resolved := false
			for _, a := range dupAlerts {
				if a.Rule == "Read sensitive file untrusted" && a.OutputFields["fd.name"] == "/etc/shadow" {
					resolved = true
				}
			}
			switch {
			case collector == "ebpf" && !resolved:
				t.Errorf("openat through a replaced descriptor: no alert on /etc/shadow: %s", describe(dupAlerts))
			case collector == "audit" && !resolved && unresolved == 0:
				t.Errorf("openat through a replaced descriptor: neither resolved nor counted: %s", describe(dupAlerts))
			}
			t.Logf("%s: openat through a replaced descriptor resolved: %v; unresolved paths: %d", collector, resolved, unresolved)

			// The coverage report says these rules are served.
			for _, m := range coverageLines(stderr) {
				if m[2] == "Read sensitive file untrusted" || m[2] == "System procs network activity" {
					t.Errorf("coverage report: %s: %s (%s)", m[2], m[1], m[3])
				}
			}
			if collector == "audit" {
				for _, want := range []string{`msg="coverage limit" collector=audit field=fd.l4proto `, `msg="coverage limit" collector=audit field=fd.name,`} {
					if !strings.Contains(stderr, want) {
						t.Errorf("no %q line in the coverage report:\n%s", want, stderr)
					}
				}
			}
			if t.Failed() {
				t.Logf("lanner stderr:\n%s", stderr)
			}
		})
	}

	// `lanner collectors --json` agrees.
	out, err := exec.Command(bin, "collectors", "--json").Output()
	if err != nil {
		t.Fatalf("lanner collectors: %v", err)
	}
	var infos []collectorInfo
	if err := json.Unmarshal(out, &infos); err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Name != "audit" && info.Name != "ebpf" {
			continue
		}
		for _, rc := range info.Coverage {
			if (rc.Rule == "Read sensitive file untrusted" || rc.Rule == "System procs network activity") && rc.Level != pipeline.CoverFull {
				t.Errorf("collectors --json: %s: %s: %s %v", info.Name, rc.Rule, rc.Level, rc.Reasons)
			}
		}
		if info.Name == "audit" {
			// The two limits the run's coverage records state above.
			var l4proto, relative bool
			for _, l := range info.Limits {
				l4proto = l4proto || l.Field == "fd.l4proto"
				relative = relative || strings.HasPrefix(l.Field, "fd.name,") && len(l.Types) == 0
			}
			if !l4proto || !relative {
				t.Errorf("collectors --json: audit limits %+v", info.Limits)
			}
		}
	}
}

// rulesAlerts returns the alerts of one rule.
func rulesAlerts(alerts []alert, rule string) []alert {
	var out []alert
	for _, a := range alerts {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

// statValue returns counter name of the "stats:" line Lanner prints at
// exit.
func statValue(t *testing.T, stderr, name string) uint64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)\bmsg=(?:stats|exit) .*\b` + regexp.QuoteMeta(name) + `=(\d+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no %s in the stats line:\n%s", name, stderr)
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n
}
