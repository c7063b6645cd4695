package lang

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lannersec/lanner/lang/ast"
)

// FuzzRead feeds arbitrary bytes through Read, Add and Resolve. None of
// them may panic, every diagnostic must have a position, and every
// resolved rule must be fully expanded.
func FuzzRead(f *testing.F) {
	seeds := []string{
		"",
		"- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n",
		"- list: l\n  items: [a, \"b c\", 80]\n- macro: m\n  condition: proc.name in (l)\n- rule: r\n  desc: d\n  condition: >\n    m and\n    not proc.pname in (l)\n  output: o\n  priority: INFO\n",
		"- list: l\n  items: []\n- list: l\n  items: [x]\n  append: true\n- macro: m\n  condition: a.b in (l, y)\n- macro: m\n  condition: or m\n  override:\n    condition: append\n",
		"- rule: r\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a.b, a.c]\n      comps: [=, in]\n      values:\n        - [x, [y, z]]\n- rule: r\n  enabled: false\n",
		"- required_engine_version: 0.57.0\n- required_plugin_versions:\n    - name: container\n      version: 0.4.0\n",
		"---\n- list: &a [x]\n  items: *a\n...\n--- {rule: r}\n",
		"rule: r\n",
		"- [a, b]\n- 3\n-\n- {}\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	for _, dir := range []string{filepath.Join("testdata", "loader"), filepath.Join("..", "..", "shared", "falco-rules")} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, ds := Read("fuzz.yaml", data)
		c := NewCollection()
		ds = append(ds, c.Add(items)...)
		defs, rds := c.Resolve()
		ds = append(ds, rds...)
		for _, d := range append(ds, c.Warnings()...) {
			if d.Pos.File != "fuzz.yaml" || d.Pos.Line < 1 || d.Pos.Col < 1 {
				t.Fatalf("diagnostic without a position: %v", d)
			}
		}
		for _, d := range defs {
			ast.Walk(d.Condition, func(n ast.Node) bool {
				if _, ok := n.(*ast.Ident); ok {
					t.Fatalf("rule %q: macro reference left", d.Name)
				}
				if n.Position().Origin == nil {
					t.Fatalf("rule %q: node without origin", d.Name)
				}
				return true
			})
		}
	})
}
