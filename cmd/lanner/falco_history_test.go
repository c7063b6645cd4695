package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/pipeline"
)

// historyEvent is a process reading /etc/shadow: every release's "Read
// sensitive file untrusted" fires on it. Its argument set is flags, name and
// dirfd.
const historyEvent = `{"type":"openat","time":1700000000000000000,"tid":4242,"res":3,` +
	`"proc":{"pid":4242,"ppid":4241,"name":"exfil","exe":"/tmp/exfil","exepath":"/tmp/exfil","args":["/etc/shadow"],` +
	`"uid":0,"gid":0,"user":"root","parent":{"pid":4241,"name":"bash","exepath":"/usr/bin/bash"}},` +
	`"fd":{"kind":"f","num":3,"name":"/etc/shadow"},"args":{"set":262153,"dirfd":-100,"name":"/etc/shadow","flags":0}}` + "\n"

// historyFiles are Falco's own rules files of releases 0.10 (2018) to 0.33
// (2022), in ../shared/falco-rules/history, with what each must load to.
var historyFiles = []struct {
	file           string
	rules, enabled int
	sensitiveTypes string // event types of "Read sensitive file untrusted"
}{
	{"falco_rules-0.10.0.yaml", 25, 25, "open,openat"},
	{"falco_rules-0.17.1.yaml", 48, 48, "open,openat"},
	{"falco_rules-0.21.0.yaml", 54, 53, "open,openat"},
	{"falco_rules-0.27.0.yaml", 62, 60, "open,openat"},
	{"falco_rules-0.31.1.yaml", 69, 65, "open,openat,openat2"},
	{"falco_rules-0.33.1.yaml", 75, 54, "open,openat,openat2"},
}

// TestFalcoHistoryRules: every historical Falco rules file loads unchanged
// (%container.info and all), with its rule count and event types, fires in
// replay through the interpreter, and compiles with gen.
func TestFalcoHistoryRules(t *testing.T) {
	bin := lanner(t)
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(events, []byte(historyEvent), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, h := range historyFiles {
		t.Run(h.file, func(t *testing.T) {
			path := testutil.Shared(t, filepath.Join("falco-rules", "history", h.file))
			out, err := exec.Command(bin, "rules", "check", "-q", path).CombinedOutput()
			want := fmt.Sprintf("%d rules OK (%d enabled)", h.rules, h.enabled)
			if err != nil || strings.TrimSpace(string(out)) != want {
				t.Errorf("rules check: %v, %q; want %q", err, out, want)
			}

			rs, err := lang.LoadPaths(path)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			info := 0
			for _, w := range rs.Warnings {
				if strings.Contains(w.Msg, "%container.info") {
					info++
				}
				if strings.Contains(w.Msg, "not supported") {
					t.Errorf("warning: %s", w.Msg)
				}
			}
			if info != 1 {
				t.Errorf("%d %%container.info warnings, want one", info)
			}
			found := false
			for _, r := range rs.Rules {
				if strings.Contains(r.OutputText, "container.info") {
					t.Errorf("rule %q output still has container.info: %q", r.Name, r.OutputText)
				}
				if r.Name != "Read sensitive file untrusted" {
					continue
				}
				found = true
				if got := strings.Join(pipeline.TypeNames(r.EvtTypes), ","); got != h.sensitiveTypes {
					t.Errorf("event types %s, want %s", got, h.sensitiveTypes)
				}
			}
			if !found {
				t.Fatal(`no rule "Read sensitive file untrusted"`)
			}

			cmd := exec.Command(bin, "replay", "--output", "json", "--rules", path, events)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("replay: %v: %s", err, stderr.String())
			}
			var alert struct {
				Rule         string         `json:"rule"`
				Output       string         `json:"output"`
				OutputFields map[string]any `json:"output_fields"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &alert); err != nil {
				t.Fatalf("replay printed %q: %v", stdout.String(), err)
			}
			if alert.Rule != "Read sensitive file untrusted" || alert.OutputFields["fd.name"] != "/etc/shadow" ||
				alert.OutputFields["container.id"] != "host" || strings.Contains(alert.Output, "%") {
				t.Errorf("alert %+v", alert)
			}

			gen := exec.Command("go", "run", "./gen", "-q", "-out", t.TempDir(), path)
			gen.Dir = testutil.Root(t)
			if out, err := gen.CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("gen: %v: %s", err, out)
			}
		})
	}
}

// TestFalcoHistoryCompiled builds a binary from the oldest historical
// rules file and checks the compiled rules fire as the interpreter does.
func TestFalcoHistoryCompiled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	path := testutil.Shared(t, "falco-rules/history/falco_rules-0.10.0.yaml")
	bin := testutil.BuildLanner(t, testutil.CompileOverlay(t, "compiled", "compiled", path))
	out, err := exec.Command(bin, "rules", "list", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var infos []ruleInfo
	if err := json.Unmarshal(out, &infos); err != nil || len(infos) != 25 {
		t.Fatalf("rules list: %d rules, %v", len(infos), err)
	}
	cmd := exec.Command(bin, "replay", "-")
	cmd.Stdin = strings.NewReader(historyEvent)
	out, err = cmd.Output()
	if err != nil || !strings.Contains(string(out), "Sensitive file opened for reading by non-trusted program (user=root program=exfil") ||
		!strings.HasSuffix(strings.TrimSpace(string(out)), "container_id=host container_name=host container_image_repository= container_image_tag= k8s_ns_name=<NA> k8s_pod_name=<NA>") {
		t.Errorf("replay: %v, %q", err, out)
	}
}

// TestSkippedSources: rules of a source Lanner does not support are
// counted once per source by rules check, gen, rules list and run, and
// --strict makes that an error.
func TestSkippedSources(t *testing.T) {
	const note = "39 rules of source k8s_audit skipped: not supported"
	k8s := testutil.Shared(t, "falco-rules/history/k8s_audit_rules-0.27.0.yaml")
	bin := lanner(t)
	run := func(bin string, args ...string) (string, int) {
		t.Helper()
		out, _ := exec.Command(bin, args...).CombinedOutput()
		code := 0
		if ee, ok := exec.Command(bin, args...).Run().(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	out, code := run(bin, "rules", "check", k8s)
	if code != 0 || strings.TrimSpace(out) != "0 rules OK (0 enabled); "+note {
		t.Errorf("rules check: exit %d, %q", code, out)
	}
	out, code = run(bin, "rules", "check", "--strict", k8s)
	if code != 1 || strings.Count(out, note) != 1 || strings.Contains(out, "OK") {
		t.Errorf("rules check --strict: exit %d, %q", code, out)
	}

	root := testutil.Root(t)
	gen := exec.Command("go", "run", "./gen", "-q", "-strict", "-out", t.TempDir(), k8s)
	gen.Dir = root
	if out, err := gen.CombinedOutput(); err == nil || strings.Count(string(out), note) != 1 {
		t.Errorf("gen -strict: %v, %q", err, out)
	}
	falco := testutil.Shared(t, "falco-rules/history/falco_rules-0.27.0.yaml")
	tmp := t.TempDir()
	gen = exec.Command("go", "run", "./gen", "-q", "-out", tmp, falco, k8s)
	gen.Dir = root
	if out, err := gen.CombinedOutput(); err != nil || strings.Count(string(out), note) != 1 {
		t.Errorf("gen: %v, %q", err, out)
	}
	ov := filepath.Join(tmp, "overlay.json")
	data, _ := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(root, "compiled", "rules_gen.go"): filepath.Join(tmp, "rules_gen.go")}})
	os.WriteFile(ov, data, 0o600)
	mixed := testutil.BuildLanner(t, ov)
	out, code = run(mixed, "rules", "list")
	if code != 0 || strings.Count(out, note) != 1 || !strings.Contains(out, "Write below etc") {
		t.Errorf("rules list: exit %d, %.300q", code, out)
	}
	if out, code = run(mixed, "rules", "list", "--strict"); code != 1 || strings.Count(out, note) != 1 {
		t.Errorf("rules list --strict: exit %d, %q", code, out)
	}
	if out, code = run(mixed, "run", "--strict"); code != 1 || strings.Count(out, note) != 1 {
		t.Errorf("run --strict: exit %d, %q", code, out)
	}
	// Without --strict, run reports the skipped rules through the same
	// reportSkipped as rules list, and goes on to start its collector
	// (which a test without the kernel lock does not do).
}
