package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/config"
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
		!strings.HasPrefix(text, "lanner: config "+bad+":2: http-ca-file: ") || strings.Contains(text, "collector") {
		t.Errorf("run with a bad http-ca-file: %v %q", err, text)
	}
}

// TestConfigEveryError: config check and run report every bad value of a
// file at once, each on its own line with its line number, and say the
// same; run starts no collector.
func TestConfigEveryError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.yaml")
	yaml := "output: json\n" +
		"syslog: [udp//1.2.3.4]\n" +
		"out-file: " + filepath.Join(dir, "afile", "sub", "alerts.json") + "\n" +
		"rate: -1\n" +
		"metrics-addr: 127.0.0.1:99999\n" +
		"http-url: [http://127.0.0.1:99999/]\n" +
		"min_priority: loud\n" +
		"rule-matching: some\n" +
		"bogus: 1\n" +
		"ready-file: " + filepath.Join(dir, "nodir", "ready") + "\n"
	os.WriteFile(filepath.Join(dir, "afile"), nil, 0o600)
	os.WriteFile(p, []byte(yaml), 0o644)
	want := []struct {
		line int
		text string
	}{{2, "syslog"}, {3, "out-file"}, {4, "rate"}, {5, "metrics-addr"}, {6, "http-url"},
		{7, "min-priority"}, {8, "rule-matching"}, {9, `unknown key "bogus"`}, {10, "ready-file"}}
	var outputs []string
	for _, args := range [][]string{{"config", "check", p}, {"run", "--config", p}} {
		out, err := exec.Command(lanner(t), args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%v: %v, want exit status 1", args, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(want) {
			t.Errorf("%v: %d lines, want %d:\n%s", args, len(lines), len(want), out)
			continue
		}
		for i, w := range want {
			prefix := fmt.Sprintf("lanner: config %s:%d: ", p, w.line)
			if !strings.HasPrefix(lines[i], prefix) || !strings.Contains(lines[i], w.text) {
				t.Errorf("%v: line %d is %q, want %q... %s", args, i, lines[i], prefix, w.text)
			}
		}
		outputs = append(outputs, string(out))
	}
	if len(outputs) == 2 && outputs[0] != outputs[1] {
		t.Errorf("config check and run disagree:\n%s\n%s", outputs[0], outputs[1])
	}
}

// TestOutFileDirectory: a missing directory of --out-file passes the check
// (run creates it, mode 0750); one below a regular file does not.
func TestOutFileDirectory(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	alerts := filepath.Join(dir, "log", "lanner", "alerts.json")
	os.WriteFile(good, []byte("out-file: "+alerts+"\n"), 0o644)
	if out, err := exec.Command(lanner(t), "config", "check", good).CombinedOutput(); err != nil {
		t.Errorf("config check: %v %s", err, out)
	}
	// The sinks run opens.
	f := config.Outputs{Output: "json", OutFile: alerts, HTTPTimeout: time.Second}
	out, err := f.Open(nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Close(time.Second)
	fi, err := os.Stat(filepath.Dir(alerts))
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Errorf("alert directory: %v %v", fi.Mode(), err)
	}
}

// TestSelectionEnablesNoRule: flags that leave no rule enabled are an
// error naming the flag, before any collector starts.
func TestSelectionEnablesNoRule(t *testing.T) {
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"--enable-tag", "nosuchtag"}, "enable-tag: no rule has the tag nosuchtag"},
		{[]string{"--disable-rule", "*"}, "disable-rule: "},
		{[]string{"--min-priority", "emergency"}, "min-priority: "},
	} {
		args := append([]string{"run", "--duration", "1s"}, c.args...)
		out, err := exec.Command(lanner(t), args...).CombinedOutput()
		text := strings.TrimSpace(string(out))
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%v: %v, want exit status 1", c.args, err)
		}
		if !strings.HasPrefix(text, "lanner: "+c.flag) || strings.Contains(text, "\n") || strings.Contains(text, "collector") {
			t.Errorf("%v: %q, want one line naming %q", c.args, text, c.flag)
		}
	}
}

// TestUsageError: a command-line mistake is one line with a hint, exit
// status 2; --help still prints the usage, exit status 0.
func TestUsageError(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--foo"}, "lanner: error: unknown flag --foo (see lanner run --help)"},
		{[]string{"run", "--collector", "nope"}, `(see lanner run --help)`},
		{[]string{"run", "--duration", "soon"}, "--duration"},
		{[]string{"config", "check"}, "(see lanner config check --help)"},
		{[]string{"nosuchcommand"}, "(see lanner --help)"},
		{nil, "(see lanner --help)"},
	} {
		out, err := exec.Command(lanner(t), c.args...).CombinedOutput()
		text := strings.TrimSpace(string(out))
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2", c.args, err)
		}
		if strings.Contains(text, "\n") || !strings.HasPrefix(text, "lanner: error: ") || !strings.Contains(text, c.want) {
			t.Errorf("%v: %q, want one line with %q", c.args, text, c.want)
		}
	}
	out, err := exec.Command(lanner(t), "run", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--collector") {
		t.Errorf("run --help: %v %s", err, out)
	}
}
