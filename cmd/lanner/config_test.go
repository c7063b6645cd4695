package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheck: a good file passes; an unknown key, a bad value or a
// bad address gives one line naming it and exit status 1.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ yaml, want string }{
		{"output: json\nmin-priority: warning\nrule_matching: all\nhttp-url: [http://127.0.0.1:9/alerts]\n", "OK"},
		{"outptu: json\n", `unknown key "outptu"`},
		{"output: xml\n", "output"},
		{"metrics-addr: nonsense\n", "metrics-addr"},
		{"min-priority: loud\n", "min-priority"},
		{"http-url: [ftp://x]\n", "http-url"},
		{"- not a map\n", "config"},
	}
	for i, c := range cases {
		p := filepath.Join(dir, "c"+string(rune('0'+i))+".yaml")
		os.WriteFile(p, []byte(c.yaml), 0o644)
		out, err := exec.Command(lanner(t), "config", "check", p).CombinedOutput()
		text := strings.TrimSpace(string(out))
		if c.want == "OK" {
			if err != nil || !strings.HasSuffix(text, "OK") {
				t.Errorf("%q: %v %s", c.yaml, err, text)
			}
			continue
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%q: exit %v, want 1", c.yaml, err)
		}
		if strings.Count(text, "\n") != 0 || !strings.Contains(text, c.want) {
			t.Errorf("%q: want one line mentioning %q, got %q", c.yaml, c.want, text)
		}
	}
	// run refuses the bad file before starting any collector.
	out, err := exec.Command(lanner(t), "run", "--config", filepath.Join(dir, "c1.yaml")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "outptu") || strings.Contains(string(out), "collector") {
		t.Errorf("run with a bad config: %v %s", err, out)
	}
}
