package ruleset

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// generatedAPI is what the package documentation promises generated code:
// the names of this package it may use.
var generatedAPI = map[string]bool{
	"Rule": true, "OutputField": true, "Source": true,
	"Emergency": true, "Alert": true, "Critical": true, "Error": true,
	"Warning": true, "Notice": true, "Informational": true, "Debug": true,
	"Tri": true, "True": true, "False": true, "Unknown": true,
	"TriAnd": true, "TriOr": true, "TriNot": true, "Facts": true,
	"Value": true, "Extract": true, "ApplyTransformers": true,
	"AppendString": true, "AppendInt": true, "AppendTimeOfDay": true,
	"AppendBool": true, "AppendIP": true, "AppendBytes": true,
	"AppendField": true, "Pad": true,
	"EnforceAPIVersion": true, "APIVersion": true,
}

// TestGeneratedAPI reads the committed generated code (compiled/ and the
// generator's golden files) and fails when it uses a name of this package
// that the documentation does not list for generated code.
func TestGeneratedAPI(t *testing.T) {
	files, err := filepath.Glob("../compiled/*_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := filepath.Glob("../gen/internal/emit/testdata/*/*_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, golden...)
	if len(files) < 2 {
		t.Fatalf("generated files not found: %v", files)
	}
	used := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		local := ""
		for _, imp := range f.Imports {
			if strings.Trim(imp.Path.Value, `"`) == "github.com/lannersec/lanner/ruleset" {
				local = "ruleset"
				if imp.Name != nil {
					local = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == local {
					used[sel.Sel.Name] = true
				}
			}
			return true
		})
	}
	var outside []string
	for name := range used {
		if !generatedAPI[name] {
			outside = append(outside, name)
		}
	}
	sort.Strings(outside)
	if len(outside) > 0 {
		t.Errorf("generated code uses ruleset names outside its documented API: %v", outside)
	}
	for _, name := range []string{"Rule", "EnforceAPIVersion", "Extract"} {
		if !used[name] {
			t.Errorf("generated code does not use ruleset.%s: is the test reading it?", name)
		}
	}
}
