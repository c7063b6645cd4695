package rulefiles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, text string) (*Result, error) {
	t.Helper()
	l, err := NewLoader(compiled.Sources, compiled.Rules)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "local.yaml", text)
	return l.Load([]string{p})
}

func byName(rs []*ruleset.Rule) map[string]*ruleset.Rule {
	m := map[string]*ruleset.Rule{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

// shellRules are the default rules whose condition uses shell_names,
// directly or through the shell_process macro.
var shellRules = []string{"Reverse Shell Socket Redirection"}

// TestWhatStaysCompiled: a rule no run-time file changes keeps its compiled
// code; one a file changes in any way that alters what it matches or prints
// is interpreted.
func TestWhatStaysCompiled(t *testing.T) {
	const rule = "Reverse Shell Socket Redirection"
	tests := []struct {
		name        string
		text        string
		interpreted []string // besides, every other builtin rule stays compiled
		added       int
		check       func(t *testing.T, m map[string]*ruleset.Rule)
	}{
		{name: "empty file", text: "[]\n"},
		{name: "disabled by override", text: "- rule: " + rule + "\n  enabled: false\n  override:\n    enabled: replace\n",
			check: func(t *testing.T, m map[string]*ruleset.Rule) {
				if m[rule].Enabled {
					t.Error("still enabled")
				}
			}},
		{name: "priority replaced", text: "- rule: " + rule + "\n  priority: DEBUG\n  override:\n    priority: replace\n",
			check: func(t *testing.T, m map[string]*ruleset.Rule) {
				if m[rule].Priority != ruleset.Debug {
					t.Errorf("priority %v", m[rule].Priority)
				}
			}},
		{name: "condition appended", text: "- rule: " + rule + "\n  condition: and proc.name != bash\n  override:\n    condition: append\n",
			interpreted: []string{rule}},
		{name: "old-style append", text: "- rule: " + rule + "\n  condition: and proc.name != bash\n  append: true\n",
			interpreted: []string{rule}},
		{name: "output replaced", text: "- rule: " + rule + "\n  output: shell %proc.name\n  override:\n    output: replace\n",
			interpreted: []string{rule}},
		{name: "exception added", text: "- rule: " + rule + "\n  exceptions:\n  - name: mine\n    fields: [proc.pname]\n    values: [[sshd]]\n  override:\n    exceptions: append\n",
			interpreted: []string{rule}},
		{name: "list it uses appended", text: "- list: shell_names\n  items: [myshell]\n  append: true\n",
			interpreted: shellRules},
		{name: "macro it uses replaced", text: "- macro: shell_process\n  condition: proc.name = bash\n  override:\n    condition: replace\n",
			interpreted: shellRules},
		{name: "new rule", text: "- rule: Marker Opened\n  desc: d\n  condition: evt.type in (open, openat) and fd.name startswith /tmp/marker\n  output: marker %fd.name\n  priority: WARNING\n",
			interpreted: []string{"Marker Opened"}, added: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := load(t, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(res.Rules), len(compiled.Rules)+tt.added; got != want {
				t.Fatalf("%d rules, want %d", got, want)
			}
			want := map[string]bool{}
			for _, n := range tt.interpreted {
				want[n] = true
			}
			n := 0
			for _, r := range res.Rules {
				if r.Interpreted {
					n++
				}
				if r.Interpreted != want[r.Name] && (want[r.Name] || !strings.Contains(tt.name, "uses")) {
					t.Errorf("%q interpreted %v, want %v", r.Name, r.Interpreted, want[r.Name])
				}
			}
			if n != res.Interpreted {
				t.Errorf("Interpreted %d, counted %d", res.Interpreted, n)
			}
			if strings.Contains(tt.name, "uses") && n < len(tt.interpreted) {
				t.Errorf("%d interpreted rules, want at least %d", n, len(tt.interpreted))
			}
			if tt.check != nil {
				tt.check(t, byName(res.Rules))
			}
		})
	}
}

// TestInterpretedRuleMatches: a rule a file changes matches what its new
// condition says.
func TestInterpretedRuleMatches(t *testing.T) {
	res, err := load(t, "- rule: Marker Opened\n  desc: d\n  condition: evt.type in (open, openat) and fd.name startswith /tmp/marker\n  output: marker %fd.name\n  priority: WARNING\n")
	if err != nil {
		t.Fatal(err)
	}
	set := ruleset.New([]*ruleset.Rule{byName(res.Rules)["Marker Opened"]}, ruleset.Selection{}, ruleset.MatchAll)
	ts := set.Types()
	if !ts.Has(event.TypeOpenat) {
		t.Fatal("openat not among the set's types")
	}
	proc := &event.Process{PID: 1, Name: "cat"}
	for _, tc := range []struct {
		path string
		want int
	}{{"/tmp/marker-1", 1}, {"/etc/passwd", 0}} {
		ev := &event.Event{Type: event.TypeOpenat, Proc: proc, FD: event.FD{Kind: event.FDFile, Num: 3, Name: tc.path}}
		var out []byte
		n := set.Eval(ev, func(r *ruleset.Rule, ev *event.Event) { out = r.Format(out, ev) })
		if n != tc.want {
			t.Errorf("%s: %d rules fired, want %d", tc.path, n, tc.want)
		}
		if tc.want == 1 && string(out) != "marker "+tc.path {
			t.Errorf("output %q", out)
		}
	}
}

// TestBadFile: a broken file is an error naming its file, line and column.
func TestBadFile(t *testing.T) {
	_, err := load(t, "- rule: Broken\n  desc: d\n  condition: evt.type = open and nosuch.field = 1\n  output: x\n  priority: WARNING\n")
	var ds lang.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("error %v (%T), want diagnostics", err, err)
	}
	if !strings.Contains(err.Error(), "local.yaml:3:") {
		t.Errorf("error %q does not name local.yaml:3", err)
	}
}

// TestDoublingMacros: a file of macros that each use the previous one
// twice, loaded over the builtin rules and loaded again as a reload would,
// fails each time with the budget's error naming the rule, and allocates
// a bounded amount; the loader then loads a good file.
func TestDoublingMacros(t *testing.T) {
	l, err := NewLoader(compiled.Sources, compiled.Rules)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := writeFile(t, dir, "doubling.yaml", testutil.DoublingRules(14, 9<<10))
	const loads = 3
	n := testutil.TotalAlloc(func() {
		for range loads {
			_, err := l.Load([]string{bad})
			if err == nil || !strings.Contains(err.Error(), "doubling.yaml:") ||
				!strings.Contains(err.Error(), "rules too large") || !strings.Contains(err.Error(), "(exceeded in rule 'r") {
				t.Fatalf("load: %v, want the budget's error naming a rule of doubling.yaml", err)
			}
		}
	})
	if n > loads*256<<20 {
		t.Errorf("%d loads of %s allocated %d MB", loads, bad, n>>20)
	}
	good := writeFile(t, dir, "good.yaml", "- rule: Good\n  desc: d\n  condition: evt.type = open\n  output: x\n  priority: WARNING\n")
	if _, err := l.Load([]string{good}); err != nil {
		t.Errorf("a good file after the bad ones: %v", err)
	}
}

// TestNoBuiltin: without the builtin sources every rule is a file's and
// interpreted.
func TestNoBuiltin(t *testing.T) {
	l, err := NewLoader(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "r.yaml", "- rule: A\n  desc: d\n  condition: evt.type = openat\n  output: a\n  priority: INFO\n")
	res, err := l.Load([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != 1 || !res.Rules[0].Interpreted || res.Interpreted != 1 {
		t.Errorf("rules %+v", res.Rules)
	}
}

// TestExpand: a directory gives its .yaml and .yml regular files, sorted,
// no subdirectory, no other name, no dangling link.
func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.yaml", "a.yml", "c.yaml.bak", "README", "10.yaml"} {
		writeFile(t, dir, n, "[]\n")
	}
	os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755)
	os.Symlink("/nonexistent", filepath.Join(dir, "dangling.yaml"))
	single := writeFile(t, t.TempDir(), "single.rules", "[]\n")
	files, dirs, err := Expand([]string{single, dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{single, filepath.Join(dir, "10.yaml"), filepath.Join(dir, "a.yml"), filepath.Join(dir, "b.yaml")}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", files, want)
	}
	if len(dirs) != 1 || dirs[0] != dir {
		t.Errorf("dirs %v", dirs)
	}
	if _, _, err := Expand([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing path is no error")
	}
}

// TestHostileFiles: a FIFO or a device named as a rules file is refused at
// once, never waited on; a file over the size limit is refused.
func TestHostileFiles(t *testing.T) {
	l, err := NewLoader(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := writeFile(t, dir, "big.yaml", "# "+strings.Repeat("x", 3<<20)+"\n")
	for _, p := range []string{fifo, "/dev/zero", big} {
		done := make(chan error, 1)
		go func() {
			_, err := l.Load([]string{p})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s loaded", p)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("loading %s hangs", p)
		}
	}
	// In a directory, a FIFO is skipped.
	os.Remove(big)
	writeFile(t, dir, "ok.yaml", "[]\n")
	if res, err := l.Load([]string{dir}); err != nil || len(res.Files) != 1 {
		t.Errorf("directory with a FIFO: %v, %+v", err, res)
	}
}

// TestInterpretedNoAlloc: an interpreted rule's condition allocates
// nothing per event.
func TestInterpretedNoAlloc(t *testing.T) {
	res, err := load(t, "- rule: Marker Opened\n  desc: d\n  condition: evt.type in (open, openat) and fd.name startswith /tmp/marker and not proc.name in (a, b, c) and fd.name glob '/tmp/*'\n  output: marker %fd.name\n  priority: WARNING\n")
	if err != nil {
		t.Fatal(err)
	}
	r := byName(res.Rules)["Marker Opened"]
	ev := &event.Event{Type: event.TypeOpenat, Proc: &event.Process{PID: 1, Name: "cat"},
		FD: event.FD{Kind: event.FDFile, Num: 3, Name: "/tmp/marker-1"}}
	if !r.Match(ev) {
		t.Fatal("no match")
	}
	if n := testing.AllocsPerRun(1000, func() { r.Match(ev) }); n != 0 {
		t.Errorf("%v allocations per event", n)
	}
}
