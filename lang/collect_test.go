package lang

import (
	"reflect"
	"testing"

	"github.com/lannersec/lanner/ruleset"
)

func TestListAppendOverride(t *testing.T) {
	tests := []struct {
		name  string
		lists string
		want  string
	}{
		{"legacy append", "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n", "proc.name in (a, b)"},
		{"override append", "- list: l\n  items: [a]\n- list: l\n  items: [b, c]\n  override:\n    items: append\n", "proc.name in (a, b, c)"},
		{"override replace", "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  override:\n    items: replace\n", "proc.name in (b)"},
		{"redefinition", "- list: l\n  items: [a]\n- list: l\n  items: [b]\n", "proc.name in (b)"},
		{"append: false is a definition", "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: false\n", "proc.name in (b)"},
		{"append after redefinition", "- list: l\n  items: [a]\n- list: l\n  items: [b]\n- list: l\n  items: [c]\n  append: true\n", "proc.name in (b, c)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCond(t, loadOK(t, tt.lists+ruleYAML("r", "proc.name in (l)"))[0], tt.want)
		})
	}
}

func TestMacroAppendOverride(t *testing.T) {
	tests := []struct {
		name   string
		macros string
		want   string
	}{
		// Appending is string concatenation with a space, no parentheses.
		{"legacy append", "- macro: m\n  condition: evt.type = open\n- macro: m\n  condition: or evt.type = close\n  append: true\n",
			"(evt.type = open or evt.type = close) and proc.name = x"},
		{"append binds by precedence", "- macro: m\n  condition: evt.type = open or evt.type = close\n- macro: m\n  condition: and proc.pname = y\n  override:\n    condition: append\n",
			"(evt.type = open or (evt.type = close and proc.pname = y)) and proc.name = x"},
		{"override replace", "- macro: m\n  condition: evt.type = open\n- macro: m\n  condition: evt.type = close\n  override:\n    condition: replace\n",
			"(evt.type = close) and proc.name = x"},
		{"redefinition", "- macro: m\n  condition: evt.type = open\n- macro: m\n  condition: evt.type = close\n",
			"(evt.type = close) and proc.name = x"},
		{"append may use earlier macros", "- macro: o\n  condition: proc.pname = y\n- macro: m\n  condition: evt.type = open\n- macro: m\n  condition: and o\n  append: true\n",
			"(evt.type = open and (proc.pname = y)) and proc.name = x"},
		// The redefinition makes m visible to macros defined before it.
		{"redefinition sees macros defined earlier", "- macro: m\n  condition: evt.type = open\n- macro: o\n  condition: proc.pname = y\n- macro: m\n  condition: o\n",
			"(proc.pname = y) and proc.name = x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCond(t, loadOK(t, tt.macros+ruleYAML("r", "m and proc.name = x"))[0], tt.want)
		})
	}
}

const baseRule = `- rule: r
  desc: first
  condition: evt.type = open
  output: out %proc.name
  priority: WARNING
  tags: [a, b]
`

func TestRuleAppendOverride(t *testing.T) {
	tests := []struct {
		name   string
		update string
		check  func(t *testing.T, d *RuleDef)
	}{
		{"legacy append", "- rule: r\n  condition: and proc.name = x\n  append: true\n  enabled: false\n  priority: DEBUG\n", func(t *testing.T, d *RuleDef) {
			checkCond(t, d, "evt.type = open and proc.name = x")
			// Other keys of a legacy append are ignored.
			if !d.Enabled || d.Priority != ruleset.Warning {
				t.Errorf("enabled %v priority %v", d.Enabled, d.Priority)
			}
		}},
		{"override append", "- rule: r\n  condition: and proc.name = x\n  output: more\n  desc: second\n  tags: [b, c]\n  override:\n    condition: append\n    output: append\n    desc: append\n    tags: append\n", func(t *testing.T, d *RuleDef) {
			checkCond(t, d, "evt.type = open and proc.name = x")
			if d.Output != "out %proc.name more" || d.Desc != "first second" || !reflect.DeepEqual(d.Tags, []string{"a", "b", "c"}) {
				t.Errorf("output %q desc %q tags %q", d.Output, d.Desc, d.Tags)
			}
		}},
		{"override replace", "- rule: r\n  condition: evt.type = close\n  priority: DEBUG\n  tags: [z]\n  enabled: false\n  warn_evttypes: false\n  skip-if-unknown-filter: true\n  capture: true\n  capture_duration: 3\n  override:\n    condition: replace\n    priority: replace\n    tags: replace\n    enabled: replace\n    warn_evttypes: replace\n    skip-if-unknown-filter: replace\n    capture: replace\n    capture_duration: replace\n", func(t *testing.T, d *RuleDef) {
			checkCond(t, d, "evt.type = close")
			if d.Priority != ruleset.Debug || d.Enabled || d.WarnEvttypes || !d.SkipIfUnknownFilter || !d.Capture || d.CaptureDuration != 3 ||
				!reflect.DeepEqual(d.Tags, []string{"z"}) || d.Output != "out %proc.name" {
				t.Errorf("rule %+v", d)
			}
		}},
		{"override append and replace together", "- rule: r\n  condition: or evt.type = close\n  priority: ERROR\n  override:\n    condition: append\n    priority: replace\n", func(t *testing.T, d *RuleDef) {
			checkCond(t, d, "evt.type = open or evt.type = close")
			if d.Priority != ruleset.Error {
				t.Errorf("priority %v", d.Priority)
			}
		}},
		{"enabled only", "- rule: r\n  enabled: false\n", func(t *testing.T, d *RuleDef) {
			checkCond(t, d, "evt.type = open")
			if d.Enabled {
				t.Error("still enabled")
			}
		}},
		{"redefinition", "- rule: r\n  desc: new\n  condition: evt.type = close\n  output: o2\n  priority: DEBUG\n", func(t *testing.T, d *RuleDef) {
			checkCond(t, d, "evt.type = close")
			if d.Desc != "new" || len(d.Tags) != 0 || d.Priority != ruleset.Debug {
				t.Errorf("rule %+v", d)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defs := loadOK(t, baseRule+tt.update)
			if len(defs) != 1 {
				t.Fatalf("got %d rules", len(defs))
			}
			tt.check(t, defs[0])
		})
	}
}

func TestRuleOrder(t *testing.T) {
	defs, ds, _ := loadAll(
		testFile{"a.yaml", ruleYAML("one", "evt.type = open") + ruleYAML("two", "evt.type = close")},
		testFile{"b.yaml", ruleYAML("three", "evt.type = read") + ruleYAML("one", "evt.type = write")},
	)
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	var names []string
	for _, d := range defs {
		names = append(names, d.Name)
	}
	if !reflect.DeepEqual(names, []string{"one", "two", "three"}) {
		t.Fatalf("order %v", names)
	}
	checkCond(t, defs[0], "evt.type = write")
	if defs[0].Pos != (Position{"b.yaml", 6, 3}) {
		t.Errorf("redefined rule at %v", defs[0].Pos)
	}
}

func TestEnabledAcrossFiles(t *testing.T) {
	defs, ds, c := loadAll(
		testFile{"a.yaml", ruleYAML("one", "evt.type = open")},
		testFile{"b.yaml", "- rule: one\n  enabled: false\n"},
	)
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if defs[0].Enabled {
		t.Error("rule still enabled")
	}
	wantDiags(t, c.Warnings(), "b.yaml:1:3: an item with only 'rule' and 'enabled' is deprecated")
}

func TestExceptionAppend(t *testing.T) {
	src := baseRule + `  exceptions:
    - name: procs
      fields: [proc.name]
      values: [[a]]
- rule: r
  exceptions:
    - name: procs
      values: [[b]]
    - name: parents
      fields: proc.pname
      values: [c]
  override:
    exceptions: append
- rule: r
  append: true
  exceptions:
    - name: procs
      values: [[d]]
`
	defs := loadOK(t, src)
	checkCond(t, defs[0], "(evt.type = open) and not ((proc.name = a) or (proc.name = b) or (proc.name = d)) and not (proc.pname in (c))")
	if defs[0].Exceptions != 2 {
		t.Errorf("Exceptions = %d", defs[0].Exceptions)
	}
}

func TestCollectErrors(t *testing.T) {
	tests := []struct {
		name  string
		files []testFile
		want  []string
	}{
		{"append to missing list", []testFile{{"a.yaml", "- list: l\n  items: [a]\n  append: true\n"}}, []string{
			"a.yaml:1:3: list 'l' does not exist; cannot append to it",
		}},
		{"override append to missing list", []testFile{{"a.yaml", "- list: l\n  items: [a]\n  override:\n    items: append\n"}}, []string{
			"a.yaml:1:3: list 'l' does not exist; cannot append to it",
		}},
		{"append to missing macro", []testFile{{"a.yaml", "- macro: m\n  condition: a\n  append: true\n"}}, []string{
			"a.yaml:1:3: macro 'm' does not exist; cannot append to it",
		}},
		{"append to missing rule", []testFile{{"a.yaml", "- rule: r\n  condition: a\n  append: true\n"}}, []string{
			"a.yaml:1:3: rule 'r' does not exist; cannot append to it",
		}},
		{"override missing rule", []testFile{{"a.yaml", "- rule: r\n  priority: INFO\n  override:\n    priority: replace\n"}}, []string{
			"a.yaml:1:3: rule 'r' does not exist; cannot override it",
		}},
		{"enable missing rule", []testFile{{"a.yaml", "- rule: r\n  enabled: true\n"}}, []string{
			"a.yaml:1:3: rule 'r' does not exist; cannot change whether it is enabled",
		}},
		{"append in a later file to a rule of an earlier one", []testFile{
			{"a.yaml", ruleYAML("r", "evt.type = open")},
			{"b.yaml", "- rule: s\n  condition: a\n  append: true\n"},
		}, []string{"b.yaml:1:3: rule 's' does not exist"}},
		{"appended rule without condition or exceptions", []testFile{{"a.yaml", baseRule + "- rule: r\n  append: true\n  output: x\n"}}, []string{
			"a.yaml:7:3: appended rule 'r' must have a condition or exceptions",
		}},
		{"different source", []testFile{
			{"a.yaml", baseRule},
			{"b.yaml", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n  source: k8s_audit\n"},
		}, []string{"b.yaml:1:3: rule 'r' has been redefined with a different source ('k8s_audit', was 'syscall')"}},
		{"append fields to an existing exception", []testFile{{"a.yaml", baseRule + "  exceptions:\n    - name: e\n      fields: [proc.name]\n- rule: r\n  exceptions:\n    - name: e\n      fields: [fd.name]\n      values: [[x]]\n  override:\n    exceptions: append\n"}}, []string{
			"a.yaml:12:7: cannot append fields to existing exception 'e', only values",
		}},
		{"append comps to an existing exception", []testFile{{"a.yaml", baseRule + "  exceptions:\n    - name: e\n      fields: [proc.name]\n- rule: r\n  append: true\n  exceptions:\n    - name: e\n      comps: [=]\n      values: [[x]]\n"}}, []string{
			"a.yaml:13:7: cannot append comps to existing exception 'e', only values",
		}},
		{"new appended exception without values", []testFile{{"a.yaml", baseRule + "- rule: r\n  append: true\n  exceptions:\n    - name: e\n      fields: [proc.name]\n"}}, []string{
			"a.yaml:10:7: new exception 'e' must have values",
		}},
		// An item Read rejected is not reported again by later items.
		{"no cascade after a bad definition", []testFile{{"a.yaml", "- list: l\n  items: x\n- list: l\n  items: [a]\n  append: true\n- macro: m\n  condition: [x]\n" + ruleYAML("r", "m")}}, []string{
			"a.yaml:2:10: value of 'items' must be a list",
			"a.yaml:7:14: value of 'condition' must be a string",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds, _ := loadAll(tt.files...)
			wantDiags(t, ds, tt.want...)
		})
	}
}

func TestWarningsAreCopied(t *testing.T) {
	c := NewCollection()
	items, _ := Read("f.yaml", []byte("- foo: 1\n- bar: 2\n"))
	c.Add(items)
	w := c.Warnings()
	_ = append(w[:1], Diagnostic{Msg: "x"})
	if got := c.Warnings(); len(got) != 2 || got[1].Msg == "x" {
		t.Errorf("warnings changed through a returned slice: %v", got)
	}
}
