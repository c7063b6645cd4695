package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
)

// maxLoadAlloc is a generous bound on what loading a file over the budget
// may allocate; without the budget the files below take gigabytes.
const maxLoadAlloc = 256 << 20

// TestLoadBudget loads 9 KB rules files of doubling macros: whether the
// budget runs out in the macros or in the rules that use them, the load
// fails with one error naming where, and memory stays bounded.
func TestLoadBudget(t *testing.T) {
	for _, tt := range []struct {
		top  int
		want string
	}{
		// m16 is the largest macro one condition may hold; the macros up
		// to it alone exceed the budget.
		{16, "f.yaml:34:22: rules too large: the conditions of the rules and macros loaded together have more than 524288 nodes after list and macro expansion (exceeded in macro 'm16', expanding macro 'm15')"},
		// The macros up to m12 fit, and 29 rules using it. Without the
		// budget, compiling this file took 750 MB.
		{12, "f.yaml:174:14: rules too large: the conditions of the rules and macros loaded together have more than 524288 nodes after list and macro expansion (exceeded in rule 'r29', expanding macro 'm12')"},
		// The macros up to m14 fit; the rules using it do not.
		{14, "f.yaml:58:14: rules too large: the conditions of the rules and macros loaded together have more than 524288 nodes after list and macro expansion (exceeded in rule 'r5', expanding macro 'm14')"},
	} {
		t.Run(fmt.Sprintf("m%d", tt.top), func(t *testing.T) {
			src := testutil.DoublingRules(tt.top, 9<<10)
			var err error
			n := testutil.TotalAlloc(func() {
				_, err = Load(File{Name: "f.yaml", Data: []byte(src)})
			})
			ds, ok := err.(Diagnostics)
			if !ok {
				t.Fatalf("load: %v, want diagnostics", err)
			}
			wantDiags(t, ds, tt.want)
			if n > maxLoadAlloc {
				t.Errorf("loading %d bytes of rules allocated %d MB, more than %d MB", len(src), n>>20, maxLoadAlloc>>20)
			}
		})
	}
}

// TestLoadBudgetAcrossFiles: the budget is one for all the files of a
// load, so splitting the rules over files does not escape it.
func TestLoadBudgetAcrossFiles(t *testing.T) {
	files := []File{{Name: "macros.yaml", Data: []byte(testutil.DoublingRules(14, 0))}}
	for i := range 6 {
		files = append(files, File{Name: fmt.Sprintf("more%d.yaml", i), Data: []byte(
			fmt.Sprintf("- rule: s%d\n  desc: d\n  condition: m14\n  output: o\n  priority: INFO\n", i))})
	}
	_, err := Load(files...)
	if err == nil || !strings.Contains(err.Error(), "more4.yaml:3:14: rules too large") || !strings.Contains(err.Error(), "rule 's4'") {
		t.Fatalf("load: %v, want the budget exceeded in more4.yaml's rule s4 (r0 of macros.yaml is the first)", err)
	}
}

// TestLoadBudgetHeadroom: Falco's rules files of every release, and the
// three current files together, need a small part of the budget.
func TestLoadBudgetHeadroom(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "falco-rules")
	current := []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}
	history, err := filepath.Glob(filepath.Join(dir, "history", "*.yaml"))
	if err != nil || len(history) == 0 {
		t.Fatalf("no history files in %s: %v", dir, err)
	}
	loads := [][]string{current}
	for _, h := range history {
		loads = append(loads, []string{h})
	}
	for _, load := range loads {
		c := NewCollection()
		for _, name := range load {
			path := name
			if !filepath.IsAbs(path) && filepath.Dir(path) == "." {
				path = filepath.Join(dir, name)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			items, ds := Read(path, data)
			if ds = append(ds, c.Add(items)...); len(ds) > 0 {
				t.Fatalf("%v: %v", load, ds)
			}
		}
		if _, ds := c.Resolve(); len(ds) > 0 {
			t.Fatalf("%v: %v", load, ds)
		}
		if c.resolvedNodes == 0 || c.resolvedNodes > maxLoadNodes/30 {
			t.Errorf("%v: %d condition nodes, want some and at most %d", load, c.resolvedNodes, maxLoadNodes/30)
		}
	}
}
