package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
)

var (
	defaultBin     string
	defaultBinErr  error
	defaultBinOnce sync.Once
	binDir         string
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		runHelper()
		os.Exit(0)
	}
	if mode := os.Getenv(seccompEnv); mode != "" {
		os.Unsetenv(seccompEnv)
		fmt.Fprintln(os.Stderr, runSeccompped(mode, os.Args[1:]))
		os.Exit(1)
	}
	var err error
	binDir, err = os.MkdirTemp("", "lanner-test")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// lanner builds the binary with the default rules once per test run.
func lanner(t *testing.T) string {
	t.Helper()
	defaultBinOnce.Do(func() {
		defaultBin = filepath.Join(binDir, "lanner")
		cmd := exec.Command("go", "build", "-o", defaultBin, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			defaultBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if defaultBinErr != nil {
		t.Fatal(defaultBinErr)
	}
	return defaultBin
}

// TestUpstreamRulesList builds a binary from the three upstream rules files
// and checks `rules list --json` against the event-type sets upstream
// computes (../shared/conformance/rule_evttypes.tsv).
func TestUpstreamRulesList(t *testing.T) {
	overlay := testutil.CompileOverlay(t, "compiled", "compiled", testutil.UpstreamRules(t)...)
	bin := testutil.BuildLanner(t, overlay)
	out, err := exec.Command(bin, "rules", "list", "--json").Output()
	if err != nil {
		t.Fatalf("rules list: %v", err)
	}
	var got []ruleInfo
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("rules list --json: %v", err)
	}
	byName := map[string]ruleInfo{}
	for _, r := range got {
		byName[r.Name] = r
	}

	f, err := os.Open(testutil.Shared(t, "conformance/rule_evttypes.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 8 {
			continue
		}
		n++
		name, prio, enabled, wantTypes := cols[1], cols[2], cols[4] == "enabled", cols[7]
		r, ok := byName[name]
		if !ok {
			t.Errorf("rule %q missing from rules list", name)
			continue
		}
		if !strings.EqualFold(r.Priority, prio) && !(strings.EqualFold(prio, "INFO") && r.Priority == "Informational") {
			t.Errorf("%q: priority %s, want %s", name, r.Priority, prio)
		}
		if r.Enabled != enabled {
			t.Errorf("%q: enabled %v, want %v", name, r.Enabled, enabled)
		}
		want := strings.Split(wantTypes, ",")
		sort.Strings(want)
		have := append([]string(nil), r.EvtTypes...)
		sort.Strings(have)
		if strings.Join(have, ",") != strings.Join(want, ",") {
			t.Errorf("%q: event types %v, want %v", name, have, want)
		}
		if r.Source != "syscall" || r.File == "" || r.Line <= 0 {
			t.Errorf("%q: source %q file %q line %d", name, r.Source, r.File, r.Line)
		}
	}
	if n != 93 || len(got) != 93 {
		t.Errorf("tsv has %d rules, rules list %d; want 93 each", n, len(got))
	}
}

var diagLine = regexp.MustCompile(`^[^:]+:\d+:\d+: \S`)

// TestRulesCheckErrors feeds broken rules files to `rules check`: each must
// exit 1 with file:line:col lines and never panic.
func TestRulesCheckErrors(t *testing.T) {
	bin := lanner(t)
	rule := func(cond string) string {
		return "- rule: r\n  desc: d\n  condition: " + cond + "\n  output: o %proc.name\n  priority: WARNING\n"
	}
	cases := map[string]struct {
		yaml string
		want string // substring of the diagnostics
	}{
		"syntax":            {rule("proc.name = (a"), ""},
		"unknown field":     {rule("proc.nme = a"), "proc.nme"},
		"unexpected arg":    {rule("proc.name[1] = a"), "argument"},
		"wrong operator":    {rule("fd.num contains 3"), "contains"},
		"bad bool":          {rule("evt.is_open_read = yes"), "bool"},
		"unknown macro":     {rule("evt.type = open and no_such_macro"), "no_such_macro"},
		"macro cycle":       {"- macro: a\n  condition: b\n- macro: b\n  condition: a\n" + rule("a"), ""},
		"bad priority":      {strings.Replace(rule("evt.type = open"), "WARNING", "LOUD", 1), "priority"},
		"append missing":    {"- rule: nope\n  condition: and evt.type = open\n  append: true\n", "nope"},
		"not a list":        {"rule: r\ncondition: x\n", ""},
		"yaml syntax":       {"- rule: [unclosed\n", ""},
		"filter-only field": {strings.Replace(rule("evt.type = open"), "%proc.name", "%fd.net", 1), "fd.net"},
	}
	dir := t.TempDir()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "rules", "check", "-q", p)
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, out)
			}
			text := strings.TrimSpace(string(out))
			if strings.Contains(text, "panic") || strings.Contains(text, "goroutine") {
				t.Fatalf("panicked:\n%s", text)
			}
			for _, line := range strings.Split(text, "\n") {
				if !diagLine.MatchString(line) || !strings.HasPrefix(line, p+":") {
					t.Errorf("not a file:line:col diagnostic: %q", line)
				}
			}
			if !strings.Contains(text, c.want) {
				t.Errorf("diagnostics do not mention %q:\n%s", c.want, text)
			}
		})
	}
}

func TestRulesCheckUpstream(t *testing.T) {
	bin := lanner(t)
	args := append([]string{"rules", "check", "-q"}, testutil.UpstreamRules(t)...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rules check: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "93 rules OK (81 enabled)") {
		t.Errorf("unexpected output: %s", out)
	}
}

func TestFieldsJSON(t *testing.T) {
	out, err := exec.Command(lanner(t), "fields", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var fields []fieldInfo
	if err := json.Unmarshal(out, &fields); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range fields {
		have[f.Name] = true
		if f.Type == "" || f.Desc == "" {
			t.Errorf("field %s lacks type or description", f.Name)
		}
	}
	for _, n := range []string{"proc.name", "proc.aname", "fd.name", "fd.net", "evt.arg", "container.mount.dest", "k8s.ns.name", "thread.cap_permitted"} {
		if !have[n] {
			t.Errorf("fields --json lacks %s", n)
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(lanner(t), "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "lanner ") {
		t.Fatalf("version: %v %q", err, out)
	}
}
