package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/pipeline"
)

// TestLiveCredentials shows the identity of a process following its
// setuid calls, with the eBPF and the audit collector: a root process
// becomes nobody, asks for uid 0 back (refused) and creates a userfaultfd;
// then a set-user-ID program owned by nobody, run by root, creates one.
// Built from the upstream rules files, Lanner must raise "Non sudo setuid"
// for the refused setuid(0) (it needs user.uid != 0 at that call, and
// evt.arg.uid named) and the userfaultfd rule (user.uid != 0); with the
// default rules, "Root Requested By Non-Root Process". Both must show the
// process as nobody. The fanotify collector sees neither call: its
// coverage report says so, and the test checks that.
func TestLiveCredentials(t *testing.T) {
	testutil.LockKernel(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "lanner-cred-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(dir, "lnrcredprobe")
	copyFile(t, self, probe, 0o755)
	// A set-user-ID copy owned by nobody: run by root, it runs as nobody.
	suidProbe := filepath.Join(dir, "lnrsuidprobe")
	copyFile(t, self, suidProbe, 0o755)
	if err := os.Chown(suidProbe, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(suidProbe, 0o4755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}

	upstream := testutil.BuildLanner(t, testutil.CompileOverlay(t, "compiled", "compiled", testutil.UpstreamRules(t)...))
	const (
		nonSudo = "Non sudo setuid"
		uffd    = "Unprivileged Delegation of Page Faults Handling to a Userspace Process"
		regain  = "Root Requested By Non-Root Process"
	)
	nobody := map[string]string{"proc.name": "lnrcredprobe", "user.uid": "65534", "user.name": "nobody"}
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
	for _, collector := range []string{"ebpf", "audit"} {
		t.Run(collector, func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				bin    string
				expect []expectation
			}{
				{"upstream rules", upstream, []expectation{
					{"setuid(0) as nobody", nonSudo, with(nobody, "evt.type", "setuid", "evt.arg.uid", "root")},
					{"userfaultfd as nobody", uffd, with(nobody, "evt.type", "userfaultfd")},
					{"userfaultfd by a set-user-ID program", uffd, with(nobody, "evt.type", "userfaultfd", "proc.name", "lnrsuidprobe")},
				}},
				{"default rules", lanner(t), []expectation{
					{"setuid(0) as nobody", regain, with(nobody, "evt.type", "setuid", "evt.arg.uid", "root", "evt.res", "EPERM")},
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					marker := fmt.Sprintf("cred-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
					l := startLanner(t, tc.bin, "--collector", collector, "--rule-matching", "all")
					cmd := exec.Command(probe, helperActionArg, marker, "dropuffd")
					cmd.Env = append(os.Environ(), helperEnv+"=1")
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("probe: %v\n%s", err, out)
					}
					cmd = exec.Command(suidProbe, helperActionArg, marker, "uffd")
					cmd.Env = append(os.Environ(), helperEnv+"=1")
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("set-user-ID probe: %v\n%s", err, out)
					}
					alerts := l.stop(t)
					if !strings.Contains(l.stderr.String(), `msg="collector started" collector=`+collector+" ") {
						t.Errorf("lanner did not pick the %s collector:\n%s", collector, l.stderr.String())
					}
					for _, e := range tc.expect {
						found := false
						for _, a := range alerts {
							if e.matches(a) && strings.Contains(fmt.Sprint(a.OutputFields["proc.cmdline"]), marker) {
								t.Logf("%s: %s", a.Rule, a.Output)
								found = true
								break
							}
						}
						if !found {
							var near []string
							for _, a := range alerts {
								if a.Rule == e.rule {
									b, _ := json.Marshal(a.OutputFields)
									near = append(near, string(b))
								}
							}
							t.Errorf("%s: no %q alert with %v; alerts of that rule:\n%s", e.what, e.rule, e.fields, strings.Join(near, "\n"))
						}
					}
					// Dropping to nobody is no request for root: only the
					// refused setuid(0) raises the rules of the call.
					for _, a := range alerts {
						if (a.Rule == nonSudo || a.Rule == regain) && fmt.Sprint(a.OutputFields["evt.arg.uid"]) == "nobody" {
							t.Errorf("%s raised for the drop to nobody: %s", a.Rule, a.Output)
						}
					}
				})
			}
		})
	}
	t.Run("fanotify coverage", func(t *testing.T) {
		out, err := exec.Command(upstream, "collectors", "--json").CombinedOutput()
		if err != nil {
			t.Fatalf("lanner collectors: %v\n%s", err, out)
		}
		for _, rule := range []string{nonSudo, uffd} {
			if !fanotifyCannotServe(t, out, rule) {
				t.Errorf("the fanotify coverage report does not list %q as not served:\n%s", rule, out)
			}
		}
	})
}

// fanotifyCannotServe reports whether the `collectors --json` report out
// says the fanotify collector serves rule not at all.
func fanotifyCannotServe(t *testing.T, out []byte, rule string) bool {
	t.Helper()
	var infos []collectorInfo
	if err := json.Unmarshal(out, &infos); err != nil {
		t.Fatalf("collectors --json: %v\n%s", err, out)
	}
	for _, i := range infos {
		if i.Name != "fanotify" {
			continue
		}
		for _, c := range i.Coverage {
			if c.Rule == rule {
				return c.Level == pipeline.CoverBlind
			}
		}
	}
	return false
}
