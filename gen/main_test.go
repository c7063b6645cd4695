package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lannersec/lanner/internal/testutil"
)

// TestRunHostileFile checks that gen (behind `make build RULES=...`)
// refuses a file beyond the limits of a rules file as `rules check` does
// (the YAML's, and the budget of condition nodes of a load), and writes
// nothing.
func TestRunHostileFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, content, want string }{
		{"aliases.yaml", "- list: a\n  items: &a [" + strings.Repeat("x, ", 9999) + "x]\n" +
			strings.Repeat("- list: b\n  items: *a\n", 30), "aliases.yaml:50:10: YAML aliases expand to more than"},
		{"nested.yaml", "- rule: r\n  condition: " + strings.Repeat("[", 40000) + "\n", "nested.yaml:2:76: YAML nested more than 64"},
		{"huge.yaml", strings.Repeat("# padding\n", 300_000), "more than 2097152 bytes"},
		{"doubling.yaml", testutil.DoublingRules(14, 9<<10), "doubling.yaml:58:14: rules too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			var stderr bytes.Buffer
			err := run([]string{"-out", out, path}, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("gen: %v, want an error with %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(out, outputName)); err == nil {
				t.Error("gen wrote its output")
			}
		})
	}
}
