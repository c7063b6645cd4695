package yamlguard

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bomb is a billion-laughs document: each anchor holds ten aliases of the
// one before, so its last alias stands for 10^levels scalars.
func bomb(levels int) string {
	var b strings.Builder
	b.WriteString("- &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= levels; i++ {
		b.WriteString("- &a" + itoa(i) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + itoa(i%10)
}

func TestParse(t *testing.T) {
	lim := Limits{Bytes: 4096, Tokens: 500, Depth: 8, Nodes: 1000}
	tests := []struct {
		name string
		yaml string
		want string // the error's text; "" for none
	}{
		{"plain", "- rule: r\n  tags: [a, b]\n  exceptions:\n    - name: e\n      values: [[a, b]]\n", ""},
		{"few aliases", "- &x [a, b]\n- *x\n- *x\n", ""},
		{"alias bomb", bomb(9), "3:38: YAML aliases expand to more than 1000 nodes"},
		{"flow nesting", "a: " + strings.Repeat("[", 9) + strings.Repeat("]", 9) + "\n", "1:11: YAML nested more than 8 levels deep"},
		{"flow nesting at the limit", "a: " + strings.Repeat("[", 7) + strings.Repeat("]", 7) + "\n", ""},
		{"block sequences", strings.Repeat("- ", 9) + "x\n", "1:17: YAML nested more than 8 levels deep"},
		{"block maps", func() string {
			var b strings.Builder
			for i := range 9 {
				b.WriteString(strings.Repeat("  ", i) + "k:\n")
			}
			return b.String()
		}(), "9:17: YAML nested more than 8 levels deep"},
		{"siblings are not nesting", strings.Repeat("- a: 1\n  b: 2\n", 20), ""},
		{"tokens", "[" + strings.Repeat("a, ", 300) + "a]\n", "1:750: more than 500 YAML tokens"},
		{"bytes", strings.Repeat("# comment\n", 500), "file is 5000 bytes, more than the limit of 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), lim)
			got := ""
			if err != nil {
				got = err.Error()
				var le *Error
				if !errors.As(err, &le) {
					t.Errorf("error %q is not a limit error", got)
				}
			}
			if got != tt.want {
				t.Errorf("Parse: %q, want %q", got, tt.want)
			}
		})
	}
}

// TestParseSyntaxError checks that a document within the limits but not
// YAML gets the library's error, not a limit's.
func TestParseSyntaxError(t *testing.T) {
	_, err := Parse([]byte("a: [b\n"), Rules)
	var le *Error
	if err == nil || errors.As(err, &le) {
		t.Fatalf("Parse: %v, want a YAML syntax error", err)
	}
}

// TestRulesLimitsFitFalcoRules checks that Falco's own rules files are
// far within the limits of a rules file.
func TestRulesLimitsFitFalcoRules(t *testing.T) {
	paths, _ := filepath.Glob("../../../shared/falco-rules/*.yaml")
	if len(paths) == 0 {
		t.Fatal("no Falco rules files in ../shared/falco-rules")
	}
	quarter := Limits{Bytes: Rules.Bytes / 4, Tokens: Rules.Tokens / 4, Depth: 8, Nodes: Rules.Nodes / 4}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(data, quarter); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.yaml")
	if err := os.WriteFile(p, make([]byte, 101), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p, 100); err == nil || !strings.Contains(err.Error(), "more than 100 bytes") {
		t.Errorf("ReadFile of 101 bytes, limit 100: %v", err)
	}
	if data, err := ReadFile(p, 101); err != nil || len(data) != 101 {
		t.Errorf("ReadFile of 101 bytes, limit 101: %d bytes, %v", len(data), err)
	}
	if _, err := ReadFile("/dev/zero", 1000); err == nil {
		t.Error("ReadFile(/dev/zero) succeeded")
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// is within the limits.
func FuzzParse(f *testing.F) {
	f.Add("- rule: r\n  condition: a and b\n")
	f.Add(bomb(3))
	f.Add("a: [[[{b: [c]}]]]\n")
	f.Add("- - - - x\n")
	f.Add("--- &a\n- *a\n...\n")
	lim := Limits{Bytes: 1 << 16, Tokens: 2000, Depth: 10, Nodes: 2000}
	f.Fuzz(func(t *testing.T, s string) {
		file, err := Parse([]byte(s), lim)
		if err != nil {
			return
		}
		for _, doc := range file.Docs {
			if doc != nil {
				if err := CheckExpansion(doc.Body, lim.Nodes); err != nil {
					t.Fatalf("accepted a document over the node limit: %v", err)
				}
			}
		}
	})
}
