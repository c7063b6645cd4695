package lang

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lannersec/lanner/lang/ast"
	"github.com/lannersec/lanner/lang/parser"
	"github.com/lannersec/lanner/ruleset"
)

type testFile struct{ name, src string }

// loadAll reads, adds and resolves files, returning every error.
func loadAll(files ...testFile) ([]*RuleDef, Diagnostics, *Collection) {
	c := NewCollection()
	var ds Diagnostics
	for _, f := range files {
		items, d := Read(f.name, []byte(f.src))
		ds = append(ds, d...)
		ds = append(ds, c.Add(items)...)
	}
	defs, d := c.Resolve()
	return defs, append(ds, d...), c
}

// loadOK is loadAll for one file "f.yaml" that must load without errors.
func loadOK(t *testing.T, src string) []*RuleDef {
	t.Helper()
	defs, ds, _ := loadAll(testFile{"f.yaml", src})
	if len(ds) > 0 {
		t.Fatalf("unexpected diagnostics:\n%v", ds)
	}
	return defs
}

// ruleYAML renders a rule item with the given condition.
func ruleYAML(name, cond string) string {
	return fmt.Sprintf("- rule: %s\n  desc: d\n  condition: '%s'\n  output: o\n  priority: INFO\n",
		name, strings.ReplaceAll(cond, "'", "''"))
}

func mustParse(t *testing.T, s string) ast.Expr {
	t.Helper()
	e, err := parser.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return e
}

func findRule(t *testing.T, defs []*RuleDef, name string) *RuleDef {
	t.Helper()
	for _, d := range defs {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no rule %q", name)
	return nil
}

// checkCond compares a rule's expanded condition with the parse of want.
func checkCond(t *testing.T, d *RuleDef, want string) {
	t.Helper()
	if !ast.Equal(d.Condition, mustParse(t, want)) {
		t.Errorf("rule %q condition\n got: %s\nwant: %s", d.Name, d.Condition, mustParse(t, want))
	}
	ast.Walk(d.Condition, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			t.Errorf("rule %q: macro reference %q left in condition", d.Name, id.Name)
		}
		if n.Position().Origin == nil {
			t.Errorf("rule %q: node %s has no origin", d.Name, n)
		}
		return true
	})
}

func TestSubstList(t *testing.T) {
	items := func(ss ...string) []Value {
		var out []Value
		for _, s := range ss {
			out = append(out, Value{Text: s})
		}
		return out
	}
	tests := []struct {
		cond  string
		items []Value
		want  string
	}{
		{"proc.name in (shells)", items("bash", "sh"), "proc.name in ( bash, sh )"},
		{"proc.name in (a, shells, b)", items("bash"), "proc.name in (a, bash , b)"},
		{"proc.name in (shells,shells)", items("bash"), "proc.name in ( bash , bash )"},
		// Items with a space are quoted unless they already start with a quote.
		{"x in (shells)", items("a b", `"c d"`, "'e f'", "g"), `x in ( "a b", "c d", 'e f', g )`},
		// An empty list swallows the comma on its left, else the one on its right.
		{"x in (a, shells, b)", nil, "x in (a  , b)"},
		{"x in (a, shells)", nil, "x in (a  )"},
		{"x in (shells, b)", nil, "x in (   b)"},
		{"x in (shells)", nil, "x in (  )"},
		// Boundaries: start or end of text, blanks, parentheses, comma, '='.
		{"shells", items("a"), "a "},
		{"x=shells", items("a"), "x= a "},
		{"x in\t(shells\n)", items("a"), "x in\t( a )"},
		{"x in (\rshells)", items("a"), "x in ( a )"},
		{"proc.name = shells and y", items("a"), "proc.name = a and y"},
		// Not bounded: left alone.
		{"x in (myshells, shellsx, shells.x, shells_y)", items("a"), "x in (myshells, shellsx, shells.x, shells_y)"},
		{`x = "shells"`, items("a"), `x = "shells"`},
		// Inside a quoted string the substitution still applies (textual).
		{`x = "a shells b"`, items("z"), `x = "a z b"`},
		// After a substitution at the very start, the search resumes two
		// bytes past the inserted text, so an immediately following
		// occurrence is skipped.
		{"shells shells", items("a"), "a shells"},
	}
	for _, tt := range tests {
		got, used := substList(Value{Text: tt.cond}, "shells", tt.items)
		if got.Text != tt.want {
			t.Errorf("substList(%q) = %q, want %q", tt.cond, got.Text, tt.want)
		}
		if used != (tt.want != tt.cond) {
			t.Errorf("substList(%q) used = %v", tt.cond, used)
		}
		if len(got.src) != len(got.Text)+1 && got.src != nil {
			t.Errorf("substList(%q): source map has %d entries for %d bytes", tt.cond, len(got.src), len(got.Text))
		}
	}
}

func TestListExpansion(t *testing.T) {
	tests := []struct {
		name  string
		lists string
		cond  string
		want  string
	}{
		{"simple", "- list: shells\n  items: [bash, sh]\n", "proc.name in (shells)", "proc.name in (bash, sh)"},
		{"mixed with literals", "- list: shells\n  items: [bash, sh]\n", "proc.name in (zsh, shells, ksh)", "proc.name in (zsh, bash, sh, ksh)"},
		{"numbers", "- list: ports\n  items: [80, 443]\n", "fd.sport in (ports)", "fd.sport in (80, 443)"},
		{"quote wrapping", "- list: l\n  items: [\"a b\", '\"(x) y\"', c]\n", "proc.cmdline in (l)", `proc.cmdline in ("a b", "(x) y", c)`},
		{"empty list", "- list: l\n  items: []\n", "proc.name in (a, l, b)", "proc.name in (a, b)"},
		{"empty list alone", "- list: l\n  items: []\n", "proc.name in (l)", "proc.name in ()"},
		{"empty list first", "- list: l\n  items: []\n", "proc.name in (l, b)", "proc.name in (b)"},
		{"empty list last", "- list: l\n  items: []\n", "proc.name in (a, l)", "proc.name in (a)"},
		{"composition", "- list: a\n  items: [1, 2]\n- list: b\n  items: [a, 3]\n", "fd.num in (b)", "fd.num in (1, 2, 3)"},
		{"composition of empty", "- list: a\n  items: []\n- list: b\n  items: [a, 3]\n", "fd.num in (b)", "fd.num in (3)"},
		// Composition is one level deep: c takes b's items as written, and
		// the name "a" it brings along is not substituted again because the
		// textual pass for list a came before the one for list c.
		{"two levels", "- list: a\n  items: [x]\n- list: b\n  items: [a, y]\n- list: c\n  items: [b, z]\n", "proc.name in (c)", "proc.name in (a, y, z)"},
		// A list defined later is substituted by its own, later, pass.
		{"item names a later list", "- list: b\n  items: [a, y]\n- list: a\n  items: [x]\n", "proc.name in (b)", "proc.name in (x, y)"},
		{"bare value", "- list: l\n  items: [bash]\n", "proc.name = l", "proc.name = bash"},
		{"after '='", "- list: l\n  items: [bash]\n", "proc.name=l", "proc.name = bash"},
		{"not a prefix", "- list: l\n  items: [bash]\n", "proc.name in (l_x, xl)", "proc.name in (l_x, xl)"},
		{"list defined after the rule", "", "proc.name in (later)", "proc.name in (x, y)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.lists + ruleYAML("r", tt.cond)
			if tt.name == "list defined after the rule" {
				src += "- list: later\n  items: [x, y]\n"
			}
			checkCond(t, loadOK(t, src)[0], tt.want)
		})
	}
}

func TestListWithoutParentheses(t *testing.T) {
	_, ds, _ := loadAll(testFile{"f.yaml", "- list: l\n  items: [a, b]\n" + ruleYAML("r", "proc.name in l")})
	// "in l" becomes "in a, b": the comma comes from the list, at the
	// place where the list name was written.
	wantDiags(t, ds, "f.yaml:5:28: unexpected \",\"")
}

func TestMacros(t *testing.T) {
	src := `- macro: open_read
  condition: evt.type = open or evt.type = openat
- macro: reading_etc
  condition: open_read and fd.name startswith /etc
` + ruleYAML("uses nested", "not reading_etc and proc.name = cat") +
		ruleYAML("uses later", "later and proc.name = a") + `- macro: later
  condition: proc.pname = b
`
	defs := loadOK(t, src)
	if len(defs) != 2 {
		t.Fatalf("got %d rules", len(defs))
	}
	checkCond(t, defs[0], "not ((evt.type = open or evt.type = openat) and fd.name startswith /etc) and proc.name = cat")
	checkCond(t, defs[1], "(proc.pname = b) and proc.name = a")
	// Each macro reference becomes one node: the "or" of open_read is a
	// child of the "and" of reading_etc.
	and := defs[0].Condition.(*ast.And).Children[0].(*ast.Not).Child.(*ast.And)
	if _, ok := and.Children[0].(*ast.Or); !ok {
		t.Errorf("macro not inlined as one node: %T", and.Children[0])
	}
}

func TestMacroPositions(t *testing.T) {
	src := `- macro: m
  condition: >
    evt.type = open and
      fd.name startswith /etc
- rule: r
  desc: d
  condition: m and proc.name = cat
  output: o
  priority: INFO
`
	defs := loadOK(t, src)
	want := map[string]string{
		"evt.type":  "f.yaml:3:5",
		"fd.name":   "f.yaml:4:7",
		"proc.name": "f.yaml:7:20",
	}
	ast.Walk(defs[0].Condition, func(n ast.Node) bool {
		if f, ok := n.(*ast.FieldExpr); ok {
			file, line, col := f.Pos.FilePos()
			got := fmt.Sprintf("%s:%d:%d", file, line, col)
			if got != want[f.Name] {
				t.Errorf("%s at %s, want %s", f.Name, got, want[f.Name])
			}
		}
		return true
	})
	if defs[0].CondPos != (Position{"f.yaml", 7, 14}) || defs[0].OutputPos != (Position{"f.yaml", 8, 11}) || defs[0].Pos != (Position{"f.yaml", 5, 3}) {
		t.Errorf("positions %v %v %v", defs[0].Pos, defs[0].CondPos, defs[0].OutputPos)
	}
}

func TestLateBinding(t *testing.T) {
	var files []testFile
	for _, name := range []string{"late1.yaml", "late2.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "loader", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, testFile{name, string(data)})
	}
	defs, ds, _ := loadAll(files...)
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if len(defs) != 2 || defs[0].Name != "Shell in first file" || defs[1].Name != "Shell in second file" {
		t.Fatalf("rules %v", defs)
	}
	for _, d := range defs {
		checkCond(t, d, "evt.type = execve and (proc.name in (zsh) or proc.pname in (zsh))")
	}
	// The first file's rule now points into the second file for the
	// macro's fields.
	var files2 []string
	ast.Walk(defs[0].Condition, func(n ast.Node) bool {
		if f, ok := n.(*ast.FieldExpr); ok {
			file, line, _ := f.Pos.FilePos()
			files2 = append(files2, fmt.Sprintf("%s:%d", file, line))
		}
		return true
	})
	if want := []string{"late1.yaml:10", "late2.yaml:7", "late2.yaml:8"}; !reflect.DeepEqual(files2, want) {
		t.Errorf("field positions %v, want %v", files2, want)
	}
}

func TestExceptions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "loader", "exceptions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defs := loadOK(t, string(data))
	if len(defs) != 1 {
		t.Fatalf("got %d rules", len(defs))
	}
	checkCond(t, defs[0], `(evt.type = execve and (proc.name = curl or proc.name in (cat, tac)))
		and not ((proc.cmdline contains "curl 127.0.0.1"))
		and not ((proc.pname = bash and fd.name in (/a, /b)) or (proc.pname = sh and fd.name in (cat, tac)))
		and not (proc.name in (tac, "my tool"))
		and not ((proc.name = cat))`)
	if defs[0].Exceptions != 4 {
		t.Errorf("Exceptions = %d, want 4", defs[0].Exceptions)
	}
}

func TestExceptionRewrite(t *testing.T) {
	const rule = "- rule: r\n  desc: d\n  condition: %s\n  output: o\n  priority: INFO\n  exceptions:\n%s"
	tests := []struct {
		name       string
		cond       string
		exceptions string
		lists      string
		want       string
		applied    int
	}{
		{
			name:       "upstream example",
			cond:       "proc.cmdline contains curl or proc.cmdline contains wget",
			exceptions: "    - name: e\n      fields: [proc.cmdline]\n      comps: [contains]\n      values:\n        - [curl 127.0.0.1]\n",
			want:       `((proc.cmdline contains curl or proc.cmdline contains wget) and not proc.cmdline contains "curl 127.0.0.1")`,
			applied:    1,
		},
		{
			name:       "default comps",
			cond:       "evt.type = open",
			exceptions: "    - name: e\n      fields: [proc.name, fd.name]\n      values:\n        - [a, b]\n",
			want:       "(evt.type = open) and not ((proc.name = a and fd.name = b))",
			applied:    1,
		},
		{
			name:       "single field defaults to in",
			cond:       "evt.type = open",
			exceptions: "    - name: e\n      fields: proc.name\n      values: [a, b c]\n",
			want:       `(evt.type = open) and not (proc.name in (a, "b c"))`,
			applied:    1,
		},
		{
			name:       "single field pmatch",
			cond:       "evt.type = open",
			exceptions: "    - name: e\n      fields: fd.name\n      comps: pmatch\n      values: [/tmp]\n",
			want:       "(evt.type = open) and not (fd.name pmatch (/tmp))",
			applied:    1,
		},
		{
			name:       "list comp wraps a scalar in parentheses",
			cond:       "evt.type = open",
			exceptions: "    - name: e\n      fields: [proc.name, fd.name]\n      comps: [in, startswith]\n      values:\n        - [bins, /tmp]\n        - [x, y z]\n",
			lists:      "- list: bins\n  items: [cat, tac]\n",
			want:       `(evt.type = open) and not ((proc.name in (cat, tac) and fd.name startswith /tmp) or (proc.name in (x) and fd.name startswith "y z"))`,
			applied:    1,
		},
		{
			name:       "modifier comp",
			cond:       "evt.type = open",
			exceptions: "    - name: e\n      fields: [fd.name]\n      comps: [startswith anyof]\n      values:\n        - [[/a, /b]]\n",
			want:       "(evt.type = open) and not ((fd.name startswith anyof (/a, /b)))",
			applied:    1,
		},
		{
			name:       "no values",
			cond:       "evt.type = open",
			exceptions: "    - name: e\n      fields: [proc.name]\n",
			want:       "(evt.type = open)",
		},
		{
			name:       "precedence is kept by the parentheses",
			cond:       "evt.type = open or evt.type = close",
			exceptions: "    - name: e\n      fields: [proc.name]\n      values: [[a]]\n    - name: f\n      fields: proc.pname\n      values: [b]\n",
			want:       "(evt.type = open or evt.type = close) and not ((proc.name = a)) and not (proc.pname in (b))",
			applied:    2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defs := loadOK(t, tt.lists+fmt.Sprintf(rule, tt.cond, tt.exceptions))
			checkCond(t, defs[0], tt.want)
			if defs[0].Exceptions != tt.applied {
				t.Errorf("Exceptions = %d, want %d", defs[0].Exceptions, tt.applied)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown macro in rule", ruleYAML("r", "evt.type = open and nosuch"), []string{
			"f.yaml:3:35: Undefined macro 'nosuch' used in filter",
		}},
		{"unknown macro in macro", "- macro: m\n  condition: >\n    evt.type = open and\n    nosuch\n" + ruleYAML("r", "m"), []string{
			"f.yaml:4:5: Undefined macro 'nosuch' used in filter",
		}},
		{"macro defined later is not visible to a macro", "- macro: m\n  condition: later\n- macro: later\n  condition: evt.type = open\n" + ruleYAML("r", "m"), []string{
			"f.yaml:2:14: Undefined macro 'later' used in filter",
		}},
		{"self loop through append", "- macro: m\n  condition: evt.type = open\n- macro: m\n  condition: or m\n  append: true\n" + ruleYAML("r", "m"), []string{
			"f.yaml:4:17: reference loop in macro 'm'",
		}},
		{"loop of two macros", "- macro: a\n  condition: evt.type = open\n- macro: b\n  condition: a\n- macro: a\n  condition: b\n  override:\n    condition: replace\n" + ruleYAML("r", "a"), []string{
			"f.yaml:4:14: reference loop in macro 'a'",
		}},
		{"syntax error in rule", ruleYAML("r", "evt.type = open and and"), []string{
			"f.yaml:3:35: expected a condition, found the keyword 'and'",
		}},
		{"syntax error in folded macro", "- macro: m\n  condition: >\n    evt.type = open and\n    proc.name in (a\n" + ruleYAML("r", "m"), []string{
			"f.yaml:4:20: expected ',' or ')' in the list opened at 4:18, found the end of the text",
		}},
		{"syntax error in an unused macro", "- macro: m\n  condition: (a.b = 1\n", []string{
			"f.yaml:2:22: expected ')' to close the '(' at 2:14",
		}},
		{"error reported once for a macro used twice", "- macro: m\n  condition: nosuch\n" + ruleYAML("r1", "m") + ruleYAML("r2", "m"), []string{
			"f.yaml:2:14: Undefined macro 'nosuch' used in filter",
		}},
		{"disabled rules are checked", "- rule: r\n  desc: d\n  condition: nosuch\n  output: o\n  priority: INFO\n  enabled: false\n", []string{
			"f.yaml:3:14: Undefined macro 'nosuch' used in filter",
		}},
		{"exception fields and comps lengths", "- rule: r\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a.b, a.c]\n      comps: [=]\n", []string{
			"f.yaml:7:7: exception 'e': fields and comps lists must have equal length (2 fields, 1 comps)",
		}},
		{"exception unknown comp", "- rule: r\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a.b]\n      comps: [like]\n", []string{
			"f.yaml:9:15: exception 'e': 'like' is not a supported comparison operator",
		}},
		{"exception values length", "- rule: r\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a.b, a.c]\n      values:\n        - [x, y]\n        - [x]\n", []string{
			"f.yaml:11:11: rule 'r': exception 'e': fields and values lists must have equal length (2 fields, 1 values)",
		}},
		{"exception single field comp", "- rule: r\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: a.b\n      comps: '='\n", []string{
			"f.yaml:9:14: exception 'e': when fields is a single field, comps must be in, pmatch, intersects",
		}},
		{"exception single field list value", "- rule: r\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: a.b\n      values: [[x]]\n", []string{
			"f.yaml:9:16: rule 'r': exception 'e': values must be strings when fields is a single field",
		}},
		{"exception without fields", "- rule: r\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      values: [[x]]\n", []string{
			"f.yaml:7:7: exception 'e' must have fields",
		}},
		{"several errors in one pass", ruleYAML("a", "nosuch1") + ruleYAML("b", "x.y = (") + ruleYAML("c", "nosuch2"), []string{
			"f.yaml:3:15: Undefined macro 'nosuch1' used in filter",
			"f.yaml:8:21: ",
			"f.yaml:13:15: Undefined macro 'nosuch2' used in filter",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds, _ := loadAll(testFile{"f.yaml", tt.src})
			wantDiags(t, ds, tt.want...)
		})
	}
}

func TestUnusedWarnings(t *testing.T) {
	src := "- list: used\n  items: [a]\n- list: unused\n  items: [a]\n- list: composed\n  items: [x]\n- list: composer\n  items: [composed]\n" +
		"- macro: m_used\n  condition: proc.name in (used)\n- macro: m_unused\n  condition: proc.name in (composer)\n" +
		ruleYAML("r", "m_used")
	_, ds, c := loadAll(testFile{"f.yaml", src})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	wantDiags(t, c.Warnings(),
		"f.yaml:3:3: list 'unused' is not used",
		"f.yaml:11:3: macro 'm_unused' is not used",
	)
}

func TestResolveTwice(t *testing.T) {
	c := NewCollection()
	items, _ := Read("f.yaml", []byte("- macro: m\n  condition: a.b = 1\n"+ruleYAML("r", "m")))
	c.Add(items)
	d1, ds1 := c.Resolve()
	d2, ds2 := c.Resolve()
	if len(ds1)+len(ds2) > 0 || len(d1) != 1 || len(d2) != 1 || !ast.Equal(d1[0].Condition, d2[0].Condition) {
		t.Fatalf("%v %v %v %v", d1, d2, ds1, ds2)
	}
	if d1[0].Condition == d2[0].Condition {
		t.Error("Resolve returned shared trees")
	}
}

// upstreamFiles are the Falco rule files in load order.
var upstreamFiles = []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}

func readUpstream(t testing.TB) []testFile {
	var files []testFile
	for _, name := range upstreamFiles {
		data, err := os.ReadFile(filepath.Join("..", "..", "shared", "falco-rules", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, testFile{name, string(data)})
	}
	return files
}

func TestUpstreamRules(t *testing.T) {
	defs, ds, c := loadAll(readUpstream(t)...)
	if len(ds) > 0 {
		t.Fatalf("diagnostics:\n%v", ds)
	}
	for _, w := range c.Warnings() {
		t.Logf("warning: %v", w)
	}

	f, err := os.Open(filepath.Join("..", "..", "shared", "conformance", "rule_evttypes.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type row struct {
		name, priority, enabled string
		tags                    []string
	}
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first {
			continue
		}
		if len(cols) < 6 {
			t.Fatalf("bad row %q", sc.Text())
		}
		rows = append(rows, row{cols[1], cols[2], cols[4], strings.Split(cols[5], ",")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	if len(defs) != 93 || len(rows) != 93 {
		t.Fatalf("got %d rules, the table has %d, want 93", len(defs), len(rows))
	}
	disabled := 0
	for i, d := range defs {
		if !d.Enabled {
			disabled++
		}
		r := rows[i]
		if d.Name != r.name {
			t.Errorf("rule %d is %q, want %q", i, d.Name, r.name)
			continue
		}
		if p, err := ruleset.ParsePriority(r.priority); err != nil || p != d.Priority {
			t.Errorf("%s: priority %v, want %s", d.Name, d.Priority, r.priority)
		}
		if want := r.enabled == "enabled"; d.Enabled != want {
			t.Errorf("%s: enabled %v, want %v", d.Name, d.Enabled, want)
		}
		got := append([]string{}, d.Tags...)
		want := append([]string{}, r.tags...)
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: tags %v, want %v", d.Name, got, want)
		}
		if d.Source != "syscall" || d.Output == "" || d.Desc == "" {
			t.Errorf("%s: source %q output %q desc %q", d.Name, d.Source, d.Output, d.Desc)
		}
		ast.Walk(d.Condition, func(n ast.Node) bool {
			if _, ok := n.(*ast.Ident); ok {
				t.Errorf("%s: macro reference left: %s", d.Name, n)
			}
			if file, line, col := n.Position().FilePos(); file == "" || line < 1 || col < 1 {
				t.Errorf("%s: node %s has no file position", d.Name, n)
			}
			return true
		})
	}
	if disabled != 12 {
		t.Errorf("%d disabled rules, want 12", disabled)
	}
}

func BenchmarkResolveUpstream(b *testing.B) {
	files := readUpstream(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ds, _ := loadAll(files...); len(ds) > 0 {
			b.Fatal(ds)
		}
	}
}

func TestExpansionLimits(t *testing.T) {
	// Each list names the next one twice, so the text doubles with every
	// list pass.
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "- list: l%d\n  items: [l%d, l%d]\n", i, i+1, i+1)
	}
	b.WriteString(ruleYAML("r", "a.b in (l0)"))
	_, ds, _ := loadAll(testFile{"f.yaml", b.String()})
	wantDiags(t, ds, "f.yaml:63:14: condition is longer than 1048576 bytes after list expansion")

	// Each macro uses the next one twice.
	b.Reset()
	b.WriteString("- macro: m30\n  condition: a.b = 1\n")
	for i := 29; i >= 0; i-- {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: m%d and m%d\n", i, i+1, i+1)
	}
	b.WriteString(ruleYAML("r", "m0"))
	_, ds, _ = loadAll(testFile{"f.yaml", b.String()})
	wantDiags(t, ds, "f.yaml:34:22: rules too large: the conditions of the rules and macros loaded together have more than 524288 nodes after list and macro expansion (exceeded in macro 'm14', expanding macro 'm15')")

	// One condition that uses a large macro five times: the fifth use
	// takes it over the limit of one condition, within the total budget.
	b.Reset()
	b.WriteString("- macro: m14\n  condition: a.b = 1\n")
	for i := 13; i >= 0; i-- {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: m%d and m%d\n", i, i+1, i+1)
	}
	b.WriteString(ruleYAML("r", "m0 and m0 and m0 and m0 and m0"))
	_, ds, _ = loadAll(testFile{"f.yaml", b.String()})
	wantDiags(t, ds, "f.yaml:33:43: condition has more than 262144 nodes after macro expansion")
}
