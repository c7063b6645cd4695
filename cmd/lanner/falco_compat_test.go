package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lannersec/lanner/config"
	"github.com/lannersec/lanner/internal/testutil"
)

// falcoFixture writes testdata/falco.yaml with its placeholders filled in
// and returns its path and the alert file, rules directory and port it
// names.
func falcoFixture(t *testing.T, port int) (path, alerts, rules string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "falco.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	alerts = filepath.Join(dir, "events.json")
	rules = filepath.Join(dir, "rules.d")
	if err := os.Mkdir(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("@ALERTS@", alerts, "@RULES@", rules, "@PORT@", strconv.Itoa(port)).Replace(string(data))
	path = filepath.Join(dir, "falco.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, alerts, rules
}

// falcoUnsupported are the keys of testdata/falco.yaml Lanner ignores, in
// file order.
var falcoUnsupported = []string{"load_plugins", "plugins", "outputs_queue", "grpc", "grpc_output", "log_stderr",
	"log_syslog", "libs_logger", "output_timeout", "syscall_event_timeouts", "syscall_event_drops", "base_syscalls"}

// resolveRun resolves a configuration (file and -o overrides) against
// run's flags as `lanner run --config` does.
func resolveRun(t *testing.T, path string, overrides ...string) (*config.RunFlags, []string, error) {
	t.Helper()
	cf, errs := config.Read(path, overrides)
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	run, err := cf.Run()
	if err != nil {
		return nil, cf.Warnings, err
	}
	return run, cf.Warnings, nil
}

// TestFalcoConfigCheck: Falco's falco.yaml passes config check with one
// warning, naming its line, per key Lanner ignores, and resolves to the
// flags of run that do what it asks.
func TestFalcoConfigCheck(t *testing.T) {
	path, alerts, rules := falcoFixture(t, 8765)
	cmd := exec.Command(lanner(t), "config", "check", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || strings.TrimSpace(stdout.String()) != path+": OK" {
		t.Fatalf("config check: %v, %q, %q", err, stdout.String(), stderr.String())
	}
	data, _ := os.ReadFile(path)
	lineOf := map[string]int{}
	for i, l := range strings.Split(string(data), "\n") {
		if k, _, ok := strings.Cut(l, ":"); ok && regexp.MustCompile(`^[a-z_0-9]+$`).MatchString(k) {
			lineOf[k] = i + 1
		}
	}
	var want []string
	for _, k := range falcoUnsupported {
		want = append(want, "config "+path+":"+strconv.Itoa(lineOf[k])+": warning: "+k+" is not supported by Lanner; ignored")
	}
	got := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d warnings, want %d:\n%s", len(got), len(want), stderr.String())
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d: %q, want %q...", i, got[i], want[i])
		}
	}

	run, _, err := resolveRun(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if run.Output != "json" || run.MinPriority != "notice" || run.OutFile != alerts || run.MetricsAddr != "127.0.0.1:8765" ||
		run.Stdout || !run.JSONOutput || !run.JSONTags || run.TimeISO8601 || run.RuleMatching != "first" ||
		run.Rate != 0 || run.MaxBurst != 1000 || len(run.RulesFile) != 1 || run.RulesFile[0] != rules ||
		len(run.HTTPURL) != 0 || len(run.Syslog) != 0 || len(run.Program) != 0 {
		t.Errorf("resolved %+v", run)
	}
}

// TestFalcoConfigKeys: each Falco key becomes the flag that does what it
// asks; -o overrides the file; Lanner's own keys win; a bad value is an
// error naming the key.
func TestFalcoConfigKeys(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t)
	file := func(yaml string) string {
		p := filepath.Join(dir, strconv.Itoa(len(yaml))+".yaml")
		os.WriteFile(p, []byte(yaml), 0o644)
		return p
	}
	httpOn := "http_output:\n  enabled: true\n  url: https://127.0.0.1:2801/\n  user_agent: falcosecurity/falco\n  insecure: true\n" +
		"  ca_cert: " + pki.caFile + "\n  mtls: true\n  client_cert: " + pki.certFile + "\n  client_key: " + pki.keyFile + "\n"
	cases := []struct {
		name      string
		yaml      string // "" for no file
		overrides []string
		check     func(r *config.RunFlags) bool
		warnings  []string // substrings, one per warning
		err       string
	}{
		{"http with mTLS", httpOn, nil, func(r *config.RunFlags) bool {
			return len(r.HTTPURL) == 1 && r.HTTPURL[0] == "https://127.0.0.1:2801/" && r.HTTPInsecure &&
				r.HTTPCAFile == pki.caFile && r.HTTPCertFile == pki.certFile && r.HTTPKeyFile == pki.keyFile &&
				len(r.HTTPHeader) == 1 && r.HTTPHeader[0] == "User-Agent: falcosecurity/falco"
		}, nil, ""},
		{"http echo", httpOn + "  echo: true\n  compress_uploads: false\n", nil, func(r *config.RunFlags) bool { return len(r.HTTPURL) == 1 },
			[]string{":10: warning: http_output.echo is not supported"}, ""},
		{"http off by default", "http_output:\n  url: http://127.0.0.1:9/\n", nil,
			func(r *config.RunFlags) bool { return len(r.HTTPURL) == 0 }, nil, ""},
		{"-o enables http", "", []string{"http_output.enabled=true", "http_output.url=http://127.0.0.1:9/"},
			func(r *config.RunFlags) bool { return len(r.HTTPURL) == 1 && r.HTTPURL[0] == "http://127.0.0.1:9/" }, nil, ""},
		{"http disabled", "http_output:\n  enabled: false\n  url: http://x/\n  echo: true\n", nil,
			func(r *config.RunFlags) bool { return len(r.HTTPURL) == 0 }, nil, ""},
		{"sinks", "stdout_output: {enabled: true}\nsyslog_output: {enabled: true}\nprogram_output:\n  enabled: true\n  program: logger -t falco\n" +
			"file_output:\n  enabled: true\n  filename: /tmp/x.json\n", nil, func(r *config.RunFlags) bool {
			return r.Stdout && len(r.Syslog) == 1 && r.Syslog[0] == "local" && len(r.Program) == 1 && r.Program[0] == "logger -t falco" &&
				r.OutFile == "/tmp/x.json"
		}, nil, ""},
		{"style", "time_format_iso_8601: true\njson_include_output_property: false\njson_include_tags_property: false\nrule_matching: all\n",
			nil, func(r *config.RunFlags) bool {
				return r.TimeISO8601 && !r.JSONOutput && !r.JSONTags && r.RuleMatching == "all"
			}, nil, ""},
		{"throttle", "outputs:\n  rate: 2\n  max_burst: 5\n", nil, func(r *config.RunFlags) bool { return r.Rate == 2 && r.MaxBurst == 5 }, nil, ""},
		{"webserver default address", "webserver:\n  enabled: true\n  listen_port: 9000\n", nil,
			func(r *config.RunFlags) bool { return r.MetricsAddr == "127.0.0.1:9000" }, nil, ""},
		{"webserver off", "webserver:\n  enabled: false\n  listen_port: 9000\n", nil,
			func(r *config.RunFlags) bool { return r.MetricsAddr == "" }, nil, ""},
		{"webserver ssl", "webserver:\n  enabled: true\n  ssl_enabled: true\n", nil, func(r *config.RunFlags) bool { return r.MetricsAddr == "127.0.0.1:8765" },
			[]string{":3: warning: webserver.ssl_enabled"}, ""},
		{"metrics", "metrics:\n  enabled: true\n  interval: 15m\n  output_file: /tmp/m.jsonl\n", nil,
			func(r *config.RunFlags) bool { return r.StatsInterval == 15*time.Minute }, []string{":4: warning: metrics.output_file"}, ""},
		{"rules_file string", "rules_file: /etc/falco/falco_rules.yaml\n", nil,
			func(r *config.RunFlags) bool {
				return len(r.RulesFile) == 1 && r.RulesFile[0] == "/etc/falco/falco_rules.yaml"
			}, nil, ""},
		{"rules_files list", "rules_files: [/a.yaml, /rules.d]\n", []string{"rules_files[]=/b.yaml"},
			func(r *config.RunFlags) bool { return strings.Join(r.RulesFile, ",") == "/a.yaml,/rules.d,/b.yaml" }, nil, ""},
		{"-o alone", "", []string{"json_output=true", "priority=warning"},
			func(r *config.RunFlags) bool { return r.Output == "json" && r.MinPriority == "warning" }, nil, ""},
		{"-o over the file", "json_output: true\nwebserver:\n  enabled: true\n  listen_port: 9000\n",
			[]string{"json_output=false", "webserver.listen_port=9100"},
			func(r *config.RunFlags) bool { return r.Output == "text" && r.MetricsAddr == "127.0.0.1:9100" }, nil, ""},
		{"-o an unsupported key", "", []string{"log_syslog=true"}, func(r *config.RunFlags) bool { return true },
			[]string{"-o log_syslog: warning: log_syslog is not supported"}, ""},
		{"Falco's log_level", "log_level: warning\n", nil, func(r *config.RunFlags) bool { return r.LogLevel == "warning" }, nil, ""},
		{"-o a Lanner key", "", []string{"collector=audit"}, func(r *config.RunFlags) bool { return r.Collector == "audit" }, nil, ""},
		{"Lanner's key wins", "json_output: true\noutput: text\n", nil, func(r *config.RunFlags) bool { return r.Output == "text" }, nil, ""},
		{"bad boolean", "json_output: maybe\n", nil, nil, nil, "json_output: want true or false"},
		{"bad section", "http_output: yes please\n", nil, nil, nil, "http_output: want a mapping"},
		{"bad interval", "metrics:\n  enabled: true\n  interval: soon\n", nil, nil, nil, "metrics.interval"},
		{"typo", "json_ouptut: true\n", nil, nil, nil, `unknown key "json_ouptut"`},
		{"bad -o", "", []string{"no-equals"}, nil, nil, "want key=value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := ""
			if c.yaml != "" {
				path = file(c.yaml)
			}
			run, warnings, err := resolveRun(t, path, c.overrides...)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(run) {
				t.Errorf("resolved %+v", run)
			}
			if len(warnings) != len(c.warnings) {
				t.Fatalf("warnings %q, want %q", warnings, c.warnings)
			}
			for i, w := range c.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %q, want %q", warnings[i], w)
				}
			}
			// The rules files named here do not exist: what they name is
			// checked above; check() would refuse to read them.
			run.RulesFile = nil
			if errs := run.Check(); len(errs) > 0 {
				t.Errorf("check: %v", errs)
			}
		})
	}
}

// TestFalcoCommandLine runs the binary with Falco's flags.
func TestFalcoCommandLine(t *testing.T) {
	bin := lanner(t)
	history := testutil.Shared(t, "falco-rules/history/falco_rules-0.27.0.yaml")
	const rule = "Credential Store Read By Untrusted Program"
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("outptu: json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--version"}, 0, []string{"lanner "}},
		{[]string{"-L"}, 0, []string{rule + "\n    ", "Namespace Change Inside Container\n"}},
		{[]string{"-o", "json_output=true", "-L"}, 0, []string{`"name": "` + rule + `"`, `"desc": "`, `"condition": "`, `"output": "`}},
		{[]string{"-l", rule}, 0, []string{rule + "\n    ", "condition: ", "output:    ", "priority:  Warning"}},
		{[]string{"-l", "no such rule"}, 1, []string{`no rule named "no such rule"`}},
		{[]string{"-V", history}, 0, []string{"62 rules OK (60 enabled)"}},
		{[]string{"--list"}, 0, []string{"proc.name ", "fd.name "}},
		// The run's flags are resolved, then its bad collector refused.
		{[]string{"-M", "1", "-U", "-A", "-o", "priority=warning", "--collector", "nope"}, exitUsage,
			[]string{"-U: Lanner writes every alert", "-A: Lanner watches", `--collector must be one of`}},
		{[]string{"-o", "priority=loud", "-M", "1"}, 1, []string{"min-priority"}},
		// -c is --config, Falco's way or run's.
		{[]string{"-c", bad, "-M", "1"}, 1, []string{`unknown key "outptu"`}},
		{[]string{"run", "-c", bad}, 1, []string{`unknown key "outptu"`}},
	}
	for _, c := range cases {
		out, err := exec.Command(bin, c.args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != c.code {
			t.Errorf("%q: exit %d, want %d: %.500s", c.args, code, c.code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%q: output lacks %q: %.500s", c.args, w, out)
			}
		}
	}
}

// TestLiveFalcoConfig runs `lanner -c falco.yaml -M 120` as falco would be
// run: JSON alerts go to the file falco.yaml names, with the output and tags
// properties, and /healthz answers on the webserver's port.
func TestLiveFalcoConfig(t *testing.T) {
	testutil.LockKernel(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	path, alerts, _ := falcoFixture(t, port)
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command(lanner(t), "-c", path, "-M", "120", "--ready-file", ready)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lanner did not become ready:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/healthz")
	if err != nil {
		t.Fatalf("/healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %s", resp.Status)
	}
	run(t, "cat", "/etc/shadow")
	var found map[string]any
	deadline = time.Now().Add(30 * time.Second)
	for found == nil && time.Now().Before(deadline) {
		data, _ := os.ReadFile(alerts)
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var a map[string]any
			if json.Unmarshal([]byte(line), &a) == nil && a["rule"] == defaultRuleNames.shadow {
				found = a
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if found == nil {
		t.Fatalf("no JSON alert for cat /etc/shadow in %s:\n%s", alerts, stderr.String())
	}
	if _, ok := found["output"].(string); !ok {
		t.Errorf("alert lacks output: %v", found)
	}
	if _, ok := found["tags"].([]any); !ok {
		t.Errorf("alert lacks tags: %v", found)
	}
	if cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("exit %d:\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	}
	for _, k := range falcoUnsupported {
		if strings.Count(stderr.String(), " "+k+" is not supported by Lanner") != 1 {
			t.Errorf("warning for %s not given once:\n%s", k, stderr.String())
		}
	}
}

// FuzzLoadConfig: any configuration file, with any -o override, loads or
// is refused with an error; never a panic.
func FuzzLoadConfig(f *testing.F) {
	if seed, err := os.ReadFile(filepath.Join("testdata", "falco.yaml")); err == nil {
		f.Add(seed, "webserver.listen_port=9000")
	}
	f.Add([]byte("http_output:\n  enabled: true\n  headers: {a: b}\n  mtls: yes\n"), "rules_file[]=x")
	f.Add([]byte("outputs: [1, 2]\nmetrics: {enabled: true, interval: 1d}\n"), "a.b.c=[1,{x: y}]")
	f.Add([]byte("webserver: {listen_address: '::1', listen_port: {a: 1}}\n"), "webserver=3")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, override string) {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cf, errs := config.Read(p, []string{override})
		if len(errs) > 0 || cf == nil {
			return
		}
		if run, err := cf.Run(); err == nil {
			run.Check()
		}
	})
}
