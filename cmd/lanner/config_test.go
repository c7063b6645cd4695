package main

import (
	"fmt"
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
	pki := newTestPKI(t)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM\n"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	cases := []struct{ yaml, want string }{
		{"output: json\nmin-priority: warning\nrule_matching: all\nhttp-url: [http://127.0.0.1:9/alerts]\n", "OK"},
		{"outptu: json\n", `unknown key "outptu"`},
		{"output: xml\n", "output"},
		{"metrics-addr: nonsense\n", "metrics-addr"},
		{"min-priority: loud\n", "min-priority"},
		{"http-url: [ftp://x]\n", "http-url"},
		{"- not a map\n", "config"},
		{"http-url: [https://127.0.0.1:9/]\nhttp-header: ['Authorization: Bearer a, b', 'X-Empty:']\nhttp_timeout: 10s\n" +
			"http-ca-file: " + pki.caFile + "\nhttp-cert-file: " + pki.certFile + "\nhttp_key_file: " + pki.keyFile + "\nhttp-insecure: false\n", "OK"},
		{"http-header: 'X-One: 1'\n", "OK"},
		{"http-header: [no colon]\n", "http-header"},
		{"http-header: ['Bad Name: x']\n", "http-header"},
		{"http-header: {X-Token: abc}\n", "http-header"},
		{"http-timeout: 10\n", "http-timeout"},
		{"http-timeout: soon\n", "http-timeout"},
		{"http-insecure: maybe\n", "http-insecure"},
		{"http-ca-file: " + missing + "\n", "http-ca-file"},
		{"http-ca-file: " + garbage + "\n", "http-ca-file"},
		{"http-cert-file: " + pki.certFile + "\n", "http-cert-file"},
		{"http-key-file: " + pki.keyFile + "\n", "http-key-file"},
		{"http-cert-file: " + garbage + "\nhttp-key-file: " + pki.keyFile + "\n", "http-cert-file"},
		{"http-cert-file: " + pki.certFile + "\nhttp-key-file: " + pki.caFile + "\n", "http-key-file"},
	}
	for i, c := range cases {
		p := filepath.Join(dir, fmt.Sprintf("c%d.yaml", i))
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
	// So it does a file with a bad HTTP setting (a run that got past the
	// check would stop after a second).
	bad := filepath.Join(dir, "bad-http.yaml")
	os.WriteFile(bad, []byte("http-url: [https://127.0.0.1:9/]\nhttp-ca-file: "+missing+"\n"), 0o644)
	out, err = exec.Command(lanner(t), "run", "--duration", "1s", "--config", bad).CombinedOutput()
	text := strings.TrimSpace(string(out))
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || strings.Count(text, "\n") != 0 ||
		!strings.HasPrefix(text, "lanner: http-ca-file: ") || strings.Contains(text, "collector") {
		t.Errorf("run with a bad http-ca-file: %v %q", err, text)
	}
}
