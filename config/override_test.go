package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOverridesWin: a -o override wins over the file whichever spelling
// either uses (Lanner's key with dashes or underscores, or Falco's), and
// never counts as the file setting a flag twice.
func TestOverridesWin(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("min-priority: notice\noutput: text\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"min_priority=error", "min-priority=error", "priority=error"} {
		cf, errs := Read(p, []string{o})
		if len(errs) > 0 {
			t.Fatalf("-o %s: %v", o, errs)
		}
		run, err := cf.Run()
		if err != nil {
			t.Fatalf("-o %s: %v", o, err)
		}
		if run.MinPriority != "error" {
			t.Errorf("-o %s: min-priority %q, want error", o, run.MinPriority)
		}
	}
	cf, errs := Read(p, []string{"json_output=true"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if run, err := cf.Run(); err != nil || run.Output != "json" {
		t.Errorf("-o json_output=true over output: text: %v %q", err, run.Output)
	}
	// A Falco key's bad value is reported at its line.
	if err := os.WriteFile(p, []byte("# x\npriority: bogus\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cf, errs = Check(p, nil)
	errs = append(errs, cf.CheckRun()...)
	if len(errs) != 1 {
		t.Fatalf("errors %v", errs)
	}
	if ce, ok := errs[0].(*Error); !ok || ce.line != 2 {
		t.Errorf("error %v not at line 2", errs[0])
	}
}

// TestDurationWithoutUnit: a bare number is nanoseconds to the flag
// parser; a duration under a millisecond is refused with a hint.
func TestDurationWithoutUnit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("self_check_interval: 5\nstats_interval: 5000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cf, errs := Check(p, nil)
	errs = append(errs, cf.CheckRun()...)
	if len(errs) != 2 {
		t.Errorf("errors %v, want one per duration", errs)
	}
	if len(cf.Warnings) != 0 {
		t.Errorf("warnings %q: stats_interval is run's own key", cf.Warnings)
	}
}

// TestCheckWithRulesFiles: the selection is checked against the rules of
// the --rules-file files too, and a rules file that cannot be read is an
// error of config check as of run.
func TestCheckWithRulesFiles(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(rules, []byte("- rule: My tagged rule\n  desc: d\n  condition: evt.type = openat and fd.name = /x\n  output: \"x %fd.name\"\n  priority: WARNING\n  tags: [mytag]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		config string
		errs   int
	}{
		{"rules_file: [" + rules + "]\nenable_tag: [mytag]\n", 0},
		{"rules_file: [" + filepath.Join(dir, "missing.yaml") + "]\n", 1},
		{"enable_tag: [mytag]\n", 1},
	} {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(tc.config), 0o600); err != nil {
			t.Fatal(err)
		}
		cf, errs := Check(p, nil)
		errs = append(errs, cf.CheckRun()...)
		if len(errs) != tc.errs {
			t.Errorf("%q: errors %v, want %d", tc.config, errs, tc.errs)
		}
	}
}
