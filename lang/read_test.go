package lang

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lannersec/lanner/ruleset"
)

// diagStrings renders diagnostics as "file:line:col: message" lines.
func diagStrings(ds Diagnostics) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// wantDiags checks that ds has exactly one diagnostic per entry of want,
// in order, each starting with its "file:line:col: " and containing the
// rest of the entry.
func wantDiags(t *testing.T, ds Diagnostics, want ...string) {
	t.Helper()
	got := diagStrings(ds)
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		pos, msg, _ := strings.Cut(w, ": ")
		if !strings.HasPrefix(got[i], pos+": ") || !strings.Contains(got[i], msg) {
			t.Errorf("diagnostic %d = %q, want %q", i, got[i], w)
		}
	}
}

func TestReadItems(t *testing.T) {
	src := `# a comment
- required_engine_version: 0.57.0
- required_plugin_versions:
    - name: container
      version: 0.4.0
- list: shells
  items: [bash, "sh", 80]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell spawned
  desc: a shell
  condition: >
    spawned and
    proc.name in (shells)
  output: "  shell %proc.name  "
  priority: info
  tags: [a, b, a]
  enabled: false
  warn_evttypes: false
  skip-if-unknown-filter: true
  capture: true
  capture_duration: 5
`
	items, ds := Read("f.yaml", []byte(src))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if len(items) != 5 {
		t.Fatalf("got %d items", len(items))
	}
	kinds := []ItemKind{ItemEngineVersion, ItemPluginVersions, ItemList, ItemMacro, ItemRule}
	lines := []int{2, 3, 6, 8, 10}
	for i, it := range items {
		if it.Kind != kinds[i] || it.Pos != (Position{"f.yaml", lines[i], 3}) || it.Invalid {
			t.Errorf("item %d: kind %v pos %v invalid %v", i, it.Kind, it.Pos, it.Invalid)
		}
	}
	if items[0].EngineVersion != "0.57.0" {
		t.Errorf("engine version %q", items[0].EngineVersion)
	}
	if p := items[1].Plugins; len(p) != 1 || p[0].Alternatives[0] != (PluginVersion{"container", "0.4.0"}) {
		t.Errorf("plugins %+v", p)
	}
	var texts []string
	for _, v := range items[2].Items {
		texts = append(texts, v.Text)
	}
	if !reflect.DeepEqual(texts, []string{"bash", "sh", "80"}) {
		t.Errorf("items %q", texts)
	}
	if p := items[2].Items[1].Pos; p != (Position{"f.yaml", 7, 17}) {
		t.Errorf("item position %v", p)
	}
	if c := items[3].Condition; c.Text != "evt.type in (execve, execveat)" || c.Pos != (Position{"f.yaml", 9, 14}) {
		t.Errorf("macro condition %q at %v", c.Text, c.Pos)
	}
	r := items[4]
	if r.Name != "Shell spawned" || r.Desc.Text != "a shell" || r.Output.Text != "shell %proc.name" ||
		r.Priority != ruleset.Informational || r.Source != "syscall" || r.Enabled || r.WarnEvttypes ||
		!r.SkipIfUnknownFilter || !r.Capture || r.CaptureDuration != 5 || !reflect.DeepEqual(r.Tags, []string{"a", "b"}) {
		t.Errorf("rule %+v", r)
	}
	if r.Condition.Text != "spawned and proc.name in (shells)\n" || r.Condition.Pos != (Position{"f.yaml", 13, 5}) {
		t.Errorf("rule condition %q at %v", r.Condition.Text, r.Condition.Pos)
	}
	// The source map follows the folded scalar onto its second line.
	if p := r.Condition.posAt(strings.Index(r.Condition.Text, "proc.name")); p != (Position{"f.yaml", 14, 5}) {
		t.Errorf("proc.name maps to %v", p)
	}
	if r.Output.Pos != (Position{"f.yaml", 15, 11}) {
		t.Errorf("output at %v", r.Output.Pos)
	}
}

func TestReadDefaults(t *testing.T) {
	items, ds := Read("f.yaml", []byte("- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: WARNING\n"))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	r := items[0]
	if !r.Enabled || !r.WarnEvttypes || r.SkipIfUnknownFilter || r.Source != "syscall" || r.Priority != ruleset.Warning {
		t.Errorf("defaults %+v", r)
	}
}

func TestReadDocuments(t *testing.T) {
	src := "---\n---\n- list: a\n  items: [x]\n...\n---\n# nothing\n---\n- list: b\n  items: []\n"
	items, ds := Read("f.yaml", []byte(src))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if len(items) != 2 || items[0].Name != "a" || items[1].Name != "b" || items[1].Pos.Line != 9 {
		t.Fatalf("items %+v", items)
	}
	items, ds = Read("f.yaml", []byte(""))
	if len(items) != 0 || len(ds) != 0 {
		t.Errorf("empty file: %v %v", items, ds)
	}
	items, ds = Read("f.yaml", []byte("# only a comment\n"))
	if len(items) != 0 || len(ds) != 0 {
		t.Errorf("comment only: %v %v", items, ds)
	}
}

func TestReadAnchors(t *testing.T) {
	src := "- list: a\n  items: &shared [x, y]\n- list: b\n  items: *shared\n"
	items, ds := Read("f.yaml", []byte(src))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if len(items[1].Items) != 2 || items[1].Items[1].Text != "y" {
		t.Errorf("alias items %+v", items[1].Items)
	}
	// An alias to an unknown anchor makes the document unreadable, as a
	// syntax error does.
	items, ds = Read("f.yaml", []byte("- list: a\n  items: [x]\n- list: c\n  items: *missing\n"))
	wantDiags(t, ds, "f.yaml:4:10: unknown YAML alias '*missing'")
	if len(items) != 0 {
		t.Errorf("items %+v", items)
	}
}

func TestReadWarnings(t *testing.T) {
	src := `- foo: bar
- rule: r
  desc: d
  condition: a
  output: o
  priority: ERROR
  colour: blue
- list: "bad name"
  items: []
- macro: bad.name
  condition: a
- required_plugin_versions:
    - name: k8saudit
      version: 0.1.0
      alternatives:
        - name: k8saudit-eks
          version: 0.1.0
    - name: json
      version: 0.1.0
      alternatives:
        - name: container
          version: 0.1.0
- rule: r
  enabled: false
- rule: r
  desc: x
  condition: b
  output: o
  priority: ERROR
  exceptions:
    - name: e
      fields: proc.name
      extra: 1
`
	items, ds := Read("f.yaml", []byte(src))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	c := NewCollection()
	if ds := c.Add(items); len(ds) > 0 {
		t.Fatal(ds)
	}
	wantDiags(t, c.Warnings(),
		"f.yaml:1:3: Unknown top level item",
		"f.yaml:7:3: unknown key 'colour' in rule 'r'",
		"f.yaml:8:9: list name 'bad name' does not match",
		"f.yaml:10:10: macro name 'bad.name' does not match",
		"f.yaml:13:7: plugin 'k8saudit' required by the rules is not available",
		"f.yaml:23:3: deprecated",
		"f.yaml:33:7: unknown key 'extra' in exception",
	)
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"yaml syntax", "- rule: r\n  desc: [a, b\n", []string{"f.yaml:2:9: invalid YAML"}},
		{"tab", "- rule: r\n\tdesc: x\n", []string{"f.yaml:2:1: invalid YAML"}},
		{"top level map", "rule: r\ndesc: d\n", []string{"f.yaml:1:1: rules content must be a list of items, not a map"}},
		{"top level scalar", "hello\n", []string{"f.yaml:1:1: rules content must be a list of items, not a scalar"}},
		{"item not a map", "- list: a\n  items: []\n- hello\n- [a]\n", []string{
			"f.yaml:3:3: rules file item must be a map",
			"f.yaml:4:3: rules file item must be a map",
		}},
		{"missing rule keys", "- rule: r\n  desc: d\n", []string{
			"f.yaml:1:3: rule 'r' has no 'condition'",
			"f.yaml:1:3: rule 'r' has no 'output'",
			"f.yaml:1:3: rule 'r' has no 'priority'",
		}},
		{"bad priority", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: LOUD\n", []string{
			"f.yaml:5:13: invalid priority 'LOUD'",
		}},
		{"tags not a list", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n  tags: a\n", []string{
			"f.yaml:6:9: value of 'tags' must be a list",
		}},
		{"tag not a string", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n  tags: [a, [b]]\n", []string{
			"f.yaml:6:13: items of 'tags' must be strings",
		}},
		{"enabled not a bool", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n  enabled: maybe\n", []string{
			"f.yaml:6:12: value of 'enabled' must be a boolean",
		}},
		{"condition not a string", "- macro: m\n  condition: [a]\n", []string{
			"f.yaml:2:14: value of 'condition' must be a string",
		}},
		{"empty condition", "- macro: m\n  condition:\n", []string{
			"f.yaml:2:3: value of 'condition' is empty",
		}},
		{"list without items", "- list: l\n", []string{"f.yaml:1:3: list 'l' has no 'items'"}},
		{"items not a list", "- list: l\n  items: x\n", []string{"f.yaml:2:10: value of 'items' must be a list"}},
		{"capture_duration", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n  capture_duration: -1\n", []string{
			"f.yaml:6:21: value of 'capture_duration' must be a non-negative integer",
		}},
		{"enabled only without enabled", "- rule: r\n  tags: [a]\n", []string{
			"f.yaml:1:3: rule 'r' has none of 'condition', 'output', 'desc', 'priority' or 'enabled'",
		}},
		{"engine too new", "- required_engine_version: 64\n", []string{
			"f.yaml:1:28: rules require engine version 0.64.0, but engine version is 0.63.0",
		}},
		{"engine major", "- required_engine_version: 1.0.0\n", []string{
			"f.yaml:1:28: rules require engine version 1.0.0",
		}},
		{"engine bad", "- required_engine_version: abc\n", []string{
			"f.yaml:1:28: cannot parse engine version 'abc'",
		}},
		{"plugin version", "- required_plugin_versions:\n    - name: container\n      version: x\n", []string{
			"f.yaml:2:7: invalid required version 'x' for plugin 'container'",
		}},
		{"plugin not a list", "- required_plugin_versions: x\n", []string{
			"f.yaml:1:29: value of 'required_plugin_versions' must be a list",
		}},
		{"append and override", "- list: l\n  items: [a]\n  append: true\n  override:\n    items: append\n", []string{
			"f.yaml:1:3: 'append' and 'override' cannot be used together",
		}},
		{"override key missing", "- rule: r\n  override:\n    desc: replace\n  priority: INFO\n", []string{
			"f.yaml:3:5: an replace override for 'desc' was specified but 'desc' is not defined",
			"f.yaml:4:3: unexpected key 'priority': no corresponding entry under 'override' is defined",
		}},
		{"override bad operation", "- rule: r\n  override:\n    priority: append\n    desc: merge\n  priority: INFO\n  desc: d\n", []string{
			"f.yaml:3:5: key 'priority' cannot be appended to, use 'replace' instead",
			"f.yaml:4:11: invalid override operation for key 'desc': 'merge' (allowed: append, replace)",
		}},
		{"override not a map", "- macro: m\n  condition: a\n  override: replace\n", []string{
			"f.yaml:3:13: value of 'override' must be a map",
		}},
		{"override not a map on a rule", "- rule: r\n  override: x\n  priority: INFO\n", []string{
			"f.yaml:2:13: value of 'override' must be a map",
		}},
		{"empty override is a definition", "- rule: r\n  override: {}\n  priority: INFO\n", []string{
			"f.yaml:1:3: rule 'r' has no 'condition'",
			"f.yaml:1:3: rule 'r' has no 'output'",
			"f.yaml:1:3: rule 'r' has no 'desc'",
		}},
		{"exceptions not a list", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n  exceptions: x\n", []string{
			"f.yaml:6:15: value of 'exceptions' must be a list",
		}},
		{"exception without name", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n  exceptions:\n    - fields: [a]\n", []string{
			"f.yaml:7:7: rule exception must have a non-empty 'name'",
		}},
		{"exception values nested", "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a]\n      values: [[[[x]]]]\n", []string{
			"f.yaml:9:18: exception values must be strings or lists of strings",
		}},
		{"several items with errors", "- rule: a\n  desc: d\n- macro: m\n- list: l\n  items: [a]\n- rule: b\n  enabled: 3\n", []string{
			"f.yaml:1:3: rule 'a' has no 'condition'",
			"f.yaml:1:3: rule 'a' has no 'output'",
			"f.yaml:1:3: rule 'a' has no 'priority'",
			"f.yaml:3:3: macro 'm' has no 'condition'",
			"f.yaml:7:12: value of 'enabled' must be a boolean",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := Read("f.yaml", []byte(tt.src))
			wantDiags(t, ds, tt.want...)
		})
	}
}

func TestReadInvalidItems(t *testing.T) {
	items, ds := Read("f.yaml", []byte("- list: ok\n  items: [a]\n- list: bad\n  items: a\n"))
	if len(ds) != 1 || len(items) != 2 || items[0].Invalid || !items[1].Invalid || items[1].Name != "bad" {
		t.Fatalf("items %+v diags %v", items, ds)
	}
}

func TestSplitDocuments(t *testing.T) {
	data := []byte("a\n--- x\nb\n...\nc\n---\n")
	var got []string
	for _, d := range splitDocuments(data) {
		got = append(got, string(data[d.start:d.end])+"@"+string(rune('0'+d.lineBase)))
	}
	want := []string{"a\n@0", "--- x\nb\n@1", "c\n@4", "---\n@5"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReadSourceMap(t *testing.T) {
	src := "- macro: a\n  condition: \"x.y = \\\"q\\\" and\n    fd.name = \\t\"\n" +
		"- macro: b\n  condition: 'x.y = ''q'' and fd.name = z'\n" +
		"- macro: c\n  condition: |\n    x.y = q and\n      fd.name = z\n"
	items, ds := Read("f.yaml", []byte(src))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	want := []Position{{"f.yaml", 3, 5}, {"f.yaml", 5, 31}, {"f.yaml", 9, 7}}
	for i, it := range items {
		v := it.Condition
		if got := v.posAt(strings.Index(v.Text, "fd.name")); got != want[i] {
			t.Errorf("macro %s: fd.name of %q maps to %v, want %v", it.Name, v.Text, got, want[i])
		}
	}
}

// longCondition is a macro whose condition is one line of about n bytes,
// with a multi-byte character in each term so that columns (in runes)
// and byte offsets differ.
func longCondition(n int) (string, string) {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString("proc.name = \"é" + strings.Repeat("x", i%7) + "\"")
	}
	cond := b.String()
	return cond, "- macro: m\n  condition: '" + cond + "'\n"
}

// TestReadLongConditionSourceMap checks the source map of a condition on
// one long line: every byte maps to the column it is written at.
func TestReadLongConditionSourceMap(t *testing.T) {
	cond, src := longCondition(MaxConditionBytes - 100)
	items, ds := Read("f.yaml", []byte(src))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	v := items[0].Condition
	if v.Text != cond {
		t.Fatal("condition read wrong")
	}
	prefix := len("  condition: '")
	for _, off := range []int{0, 1, len(cond) / 2, len(cond) - 1} {
		want := Position{"f.yaml", 2, prefix + utf8.RuneCountInString(cond[:off]) + 1}
		if got := v.posAt(off); got != want {
			t.Errorf("byte %d maps to %v, want %v", off, got, want)
		}
	}
}

func TestReadConditionTooLong(t *testing.T) {
	_, src := longCondition(MaxConditionBytes + 1)
	_, ds := Read("f.yaml", []byte(src))
	wantDiags(t, ds, "f.yaml:2:14: value of 'condition' is")
	if !strings.Contains(ds.Error(), "more than the limit of 65536") {
		t.Errorf("got %v", ds)
	}
}

func TestReadLimits(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"aliases", "- list: a\n  items: &a [" + strings.Repeat("x, ", 999) + "x]\n" +
			strings.Repeat("- list: b\n  items: *a\n", 300),
			"f.yaml:496:10: YAML aliases expand to more than 250000 nodes"},
		{"nesting", "- rule: r\n  condition: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n",
			"f.yaml:2:76: YAML nested more than 64 levels deep"},
		{"second document", "- list: a\n  items: [x]\n---\n- list: b\n  items: " + strings.Repeat("[", 100) + "\n",
			"f.yaml:5:72: YAML nested more than 64 levels deep"},
		{"size", "# " + strings.Repeat("x", 2<<20) + "\n", "f.yaml:1:1: file is 2097155 bytes, more than the limit of 2097152"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := Read("f.yaml", []byte(tt.src))
			wantDiags(t, ds, tt.want)
		})
	}
}

// BenchmarkReadLongCondition reads a condition of the largest size
// allowed on one line: reading it is linear in its length.
func BenchmarkReadLongCondition(b *testing.B) {
	_, src := longCondition(MaxConditionBytes - 100)
	for b.Loop() {
		if _, ds := Read("f.yaml", []byte(src)); len(ds) > 0 {
			b.Fatal(ds)
		}
	}
}
