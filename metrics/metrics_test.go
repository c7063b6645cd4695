package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/selfcheck"
	"github.com/lannersec/lanner/state"
)

func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("not valid Prometheus text: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			key := strings.Join(append([]string{name}, ls...), ",")
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			}
		}
	}
	return out
}

// TestScrape parses /metrics with Prometheus' own parser and checks the
// counters follow the stats.
func TestScrape(t *testing.T) {
	st := engine.Stats{Collector: "ebpf", Records: 10, ByType: map[string]uint64{"openat": 7}, KernelDrops: 2,
		KernelDropsByType: map[string]uint64{"openat": 1, "exec": 1},
		ByRule:            []engine.RuleCount{{Rule: "Read \"x\"", Priority: "Warning", Count: 3}},
		Sinks:             []output.SinkStats{{Name: "http:x", Sent: 1, Failed: 2, Dropped: 5, Lost: 7}},
		Tables:            state.Stats{Processes: 42, Hits: 9}, RulesReloads: 4, RulesReloadFailures: 1}
	s, err := Serve("127.0.0.1:0", func() engine.Stats { return st })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := scrape(t, s.Addr())
	for k, want := range map[string]float64{
		"lanner_records_total,collector=ebpf":                          10,
		"lanner_events_total,collector=ebpf,type=openat":               7,
		"lanner_kernel_drops_total,collector=ebpf":                     2,
		"lanner_kernel_drops_by_type_total,collector=ebpf,type=openat": 1,
		"lanner_kernel_drops_by_type_total,collector=ebpf,type=exec":   1,
		"lanner_alerts_total,priority=Warning,rule=Read \"x\"":         3,
		"lanner_sink_dropped_total,sink=http:x":                        5,
		"lanner_sink_failed_total,sink=http:x":                         2,
		"lanner_sink_lost_total,sink=http:x":                           7,
		"lanner_processes":                                             42,
		"lanner_process_table_lookups_total,result=hit":                9,
		"lanner_rules_reloads_total":                                   4,
		"lanner_rules_reload_failures_total":                           1,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	st.ByType["openat"] = 8
	if m := scrape(t, s.Addr()); m["lanner_events_total,collector=ebpf,type=openat"] != 8 {
		t.Errorf("counter did not move")
	}
	resp, err := http.Get("http://" + s.Addr() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
}

func TestBadAddress(t *testing.T) {
	for _, a := range []string{"nonsense", "127.0.0.1:99999", "256.0.0.1:80"} {
		if _, err := Serve(a, nil); err == nil || !strings.Contains(err.Error(), a) {
			t.Errorf("%q: %v", a, err)
		}
	}
}

// TestHostileLabels: label values with quotes, backslashes, newlines,
// control bytes and invalid UTF-8 leave the scrape parseable, each value
// readable; sinks are named without credentials, query or arguments.
func TestHostileLabels(t *testing.T) {
	hs, err := output.NewHTTPSink(output.HTTPOptions{URL: "https://user:pw0@example.com:8443/hook/in?token=hunter2#x"})
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	ps, err := output.NewProgramSink("exec /usr/local/bin/notify-team --api-key hunter3 >/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	o := output.New(output.JSON, hs, ps, output.NewWriterSink("a\"b\\c\nd\x1be\xff", nil))
	defer o.Close(time.Second)
	st := engine.Stats{Collector: "ebpf\n# TYPE x counter", ByType: map[string]uint64{"open\"at": 1},
		ByRule: []engine.RuleCount{
			{Rule: "Read \"x\" \\ y", Priority: "Warning", Count: 3},
			{Rule: "line\nbreak\r\x00\x1b[2J\u0085\xfe", Priority: "Critical", Count: 4},
		},
		Sinks: o.Stats()}
	s, err := Serve("127.0.0.1:0", func() engine.Stats { return st })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, secret := range []string{"hunter", "pw0", "token", "api-key", "#x"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
	if !utf8.Valid(body) {
		t.Errorf("/metrics is not valid UTF-8")
	}
	m := scrape(t, s.Addr())
	for k, want := range map[string]float64{
		"lanner_records_total,collector=ebpf\\n# TYPE x counter":                        0,
		"lanner_events_total,collector=ebpf\\n# TYPE x counter,type=open\"at":           1,
		"lanner_alerts_total,priority=Warning,rule=Read \"x\" \\ y":                     3,
		`lanner_alerts_total,priority=Critical,rule=line\nbreak\r\x00\x1b[2J\u0085\xfe`: 4,
		"lanner_sink_sent_total,sink=http:https://example.com:8443":                     0,
		"lanner_sink_sent_total,sink=program:notify-team":                               0,
		`lanner_sink_sent_total,sink=a"b\c\nd\x1be\xff`:                                 0,
	} {
		if v, ok := m[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v; have %q", k, v, ok, want, keysOf(m))
		}
	}
}

func keysOf(m map[string]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestHealthzSelfCheck: /healthz answers 503 with the reason while the
// self-check finds the collector blind, and the self-check's counters and
// gauge follow its state.
func TestHealthzSelfCheck(t *testing.T) {
	var mu sync.Mutex
	st := engine.Stats{Collector: "audit", Own: engine.OwnStats{Dropped: 1,
		SelfCheck: selfcheck.Status{Enabled: true, Collector: "audit", Healthy: true, Probes: 4}}}
	s, err := Serve("127.0.0.1:0", func() engine.Stats { mu.Lock(); defer mu.Unlock(); return st })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	health := func() (int, string) {
		resp, err := http.Get("http://" + s.Addr() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := health(); code != 200 || body != "ok\n" {
		t.Errorf("healthy: %d %q", code, body)
	}
	if m := scrape(t, s.Addr()); m["lanner_collector_healthy,collector=audit"] != 1 || m["lanner_self_check_probes_total,collector=audit"] != 4 ||
		m["lanner_own_alerts_dropped_total"] != 1 {
		t.Errorf("healthy metrics: %v", m)
	}
	mu.Lock()
	st.Own.SelfCheck.Healthy, st.Own.SelfCheck.Failures, st.Own.SelfCheck.Reason = false, 2, "the audit collector did not deliver"
	mu.Unlock()
	if code, body := health(); code != http.StatusServiceUnavailable || body != "unhealthy: the audit collector did not deliver\n" {
		t.Errorf("blind: %d %q", code, body)
	}
	m := scrape(t, s.Addr())
	if _, ok := m["lanner_collector_healthy,collector=audit"]; !ok || m["lanner_collector_healthy,collector=audit"] != 0 ||
		m["lanner_self_check_failures_total,collector=audit"] != 2 {
		t.Errorf("blind metrics: %v", m)
	}
}

// TestRuntimeAndBuild: the Go runtime, process and build information
// collectors are served beside Lanner's counters, with the version given
// to SetBuildInfo.
func TestRuntimeAndBuild(t *testing.T) {
	SetBuildInfo("1.2.3", "abc123", "2026-12-06")
	defer SetBuildInfo("", "", "")
	s, err := Serve("127.0.0.1:0", func() engine.Stats { return engine.Stats{} })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := scrape(t, s.Addr())
	for _, k := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_resident_memory_bytes", "process_open_fds",
		"lanner_build_info,build_date=2026-12-06,commit=abc123,goversion=" + runtime.Version() + ",version=1.2.3",
		"falcosecurity_falco_version_info,version=1.2.3"} {
		if v, ok := m[k]; !ok || v <= 0 {
			t.Errorf("%s = %v (present %v)", k, v, ok)
		}
	}
	found := false
	for k := range m {
		found = found || strings.HasPrefix(k, "go_build_info,")
	}
	if !found {
		t.Errorf("no go_build_info")
	}
}

// TestFalcoNames: the counters Falco has too are served under Falco's
// names and labels, next to Lanner's.
func TestFalcoNames(t *testing.T) {
	st := engine.Stats{Collector: "ebpf", Hostname: "node-7", Records: 1000, KernelDrops: 9,
		KernelDropsByType: map[string]uint64{"openat": 3, "openat2": 1, "fork": 1, "exec": 2, "procexit": 1, "mkdir": 1, "ptrace": 4},
		ByRule: []engine.RuleCount{
			{Rule: "Read sensitive file untrusted", Priority: "Warning", Level: ruleset.Warning, Source: "syscall",
				Tags: []string{"T1555", "container", "mitre-credential.access"}, Count: 11},
			{Rule: "Lanner Collector Blind", Priority: "Critical", Level: ruleset.Critical, Source: engine.OwnSource, Count: 1},
		},
		Sinks:  []output.SinkStats{{Name: "stdout", Dropped: 2}, {Name: "http:x", Dropped: 3}},
		Tables: state.Stats{Containers: 5}}
	s, err := Serve("127.0.0.1:0", func() engine.Stats { return st })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := scrape(t, s.Addr())
	for k, want := range map[string]float64{
		"falcosecurity_scap_n_evts_total":                                      1000,
		"falcosecurity_scap_n_drops_total":                                     9,
		"falcosecurity_scap_n_drops_buffer_total,dir=exit,drop=open":           4,
		"falcosecurity_scap_n_drops_buffer_total,dir=exit,drop=clone_fork":     1,
		"falcosecurity_scap_n_drops_buffer_total,dir=exit,drop=execve":         2,
		"falcosecurity_scap_n_drops_buffer_total,dir=exit,drop=proc":           1,
		"falcosecurity_scap_n_drops_buffer_total,dir=exit,drop=dir_file":       1,
		"falcosecurity_scap_n_drops_buffer_total,dir=exit,drop=other_interest": 4,
		"falcosecurity_scap_n_drops_buffer_total,dir=exit,drop=connect":        0,
		"falcosecurity_scap_n_drops_buffer_total,dir=exit,drop=close":          0,
		"falcosecurity_scap_n_drops_buffer_total,dir=enter,drop=open":          0,
		"falcosecurity_falco_rules_matches_total,priority=4,rule_name=Read sensitive file untrusted,source=syscall,tag_T1555=true,tag_container=true,tag_mitre_credential_access=true": 11,
		"falcosecurity_falco_outputs_queue_num_drops_total":                       5,
		"falcosecurity_evt_hostname_info,hostname=node-7":                         1,
		"falcosecurity_scap_engine_name_info,engine_name=ebpf,evt_source=syscall": 1,
		"falcosecurity_scap_n_containers_total":                                   5,
		"falcosecurity_falco_host_num_cpus_total":                                 float64(runtime.NumCPU()),
		"lanner_alerts_total,priority=Critical,rule=Lanner Collector Blind":       1,
		"lanner_alerts_total,priority=Warning,rule=Read sensitive file untrusted": 11,
		"lanner_kernel_drops_by_type_total,collector=ebpf,type=openat2":           1,
		"lanner_kernel_drops_total,collector=ebpf":                                9,
		"lanner_sink_dropped_total,sink=http:x":                                   3,
		"lanner_records_total,collector=ebpf":                                     1000,
		"lanner_containers":                                                       5,
		"lanner_ready":                                                            0,
	} {
		if v, ok := m[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, want)
		}
	}
	for k := range m {
		// Own alerts are not rule matches.
		if strings.HasPrefix(k, "falcosecurity_falco_rules_matches_total") && strings.Contains(k, "Lanner") {
			t.Errorf("own alert counted as a Falco rule match: %s", k)
		}
	}
	for _, k := range []string{"falcosecurity_falco_start_timestamp_nanoseconds", "falcosecurity_falco_memory_rss_bytes",
		"falcosecurity_falco_memory_vsz_bytes"} {
		if m[k] <= 0 {
			t.Errorf("%s = %v", k, m[k])
		}
	}
	if _, ok := m["falcosecurity_falco_duration_seconds_total"]; !ok {
		t.Errorf("no falcosecurity_falco_duration_seconds_total")
	}
}

// TestDuplicateSamples: two rules of one name and priority (an
// overridden rule, a rule named as an own alert) make one sample with
// their sum, not a scrape error.
func TestDuplicateSamples(t *testing.T) {
	st := engine.Stats{ByRule: []engine.RuleCount{
		{Rule: "r", Priority: "Warning", Level: ruleset.Warning, Source: "syscall", Count: 2},
		{Rule: "r", Priority: "Warning", Level: ruleset.Warning, Source: "syscall", Count: 3},
		{Rule: "r", Priority: "Error", Level: ruleset.Error, Source: "syscall", Count: 1},
	}}
	s, err := Serve("127.0.0.1:0", func() engine.Stats { return st })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := scrape(t, s.Addr())
	if m["lanner_alerts_total,priority=Warning,rule=r"] != 5 || m["lanner_alerts_total,priority=Error,rule=r"] != 1 ||
		m["falcosecurity_falco_rules_matches_total,priority=4,rule_name=r,source=syscall"] != 5 {
		t.Errorf("duplicates: %v", m)
	}
}

// TestEscapedLabelValues: a rule name with a newline, a double quote, a
// backslash, control bytes and invalid UTF-8 leaves every line of the
// scrape one sample, and Prometheus' parser reads the name back as it
// shows in alert lines, under Lanner's name and Falco's.
func TestEscapedLabelValues(t *testing.T) {
	name := "evil\n# TYPE x counter\nx{a=\"b\"} 1\r\"q\" back\\slash \x00\x07\x1b[31m\x7f\xc3"
	shown := `evil\n# TYPE x counter\nx{a="b"} 1\r"q" back\slash \x00\x07\x1b[31m\x7f\xc3`
	st := engine.Stats{ByRule: []engine.RuleCount{{Rule: name, Priority: "Warning", Level: ruleset.Warning, Source: "syscall", Count: 7}}}
	s, err := Serve("127.0.0.1:0", func() engine.Stats { return st })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !utf8.Valid(body) {
		t.Errorf("/metrics is not valid UTF-8")
	}
	for i, line := range strings.Split(string(body), "\n") {
		if strings.ContainsAny(line, "\r\x00\x07\x1b\x7f") {
			t.Errorf("line %d holds a raw control byte: %q", i, line)
		}
		if strings.HasPrefix(line, "x{") || strings.HasPrefix(line, "# TYPE x ") {
			t.Errorf("line %d forged: %q", i, line)
		}
	}
	want := `lanner_alerts_total{priority="Warning",rule="evil\\n# TYPE x counter\\nx{a=\"b\"} 1\\r\"q\" back\\slash \\x00\\x07\\x1b[31m\\x7f\\xc3"} 7`
	if !strings.Contains(string(body), want+"\n") {
		t.Errorf("no line %s in\n%s", want, body)
	}
	m := scrape(t, s.Addr())
	for _, k := range []string{"lanner_alerts_total,priority=Warning,rule=" + shown,
		"falcosecurity_falco_rules_matches_total,priority=4,rule_name=" + shown + ",source=syscall"} {
		if m[k] != 7 {
			t.Errorf("%q = %v; have %q", k, m[k], keysOf(m))
		}
	}
}

// TestReadyz: /readyz is 503 until the engine reads its collector, 200
// while it does, and 503 with the error once the collector failed; the
// lanner_ready gauge follows it.
func TestReadyz(t *testing.T) {
	var mu sync.Mutex
	var st engine.Stats // no engine yet
	s, err := Serve("127.0.0.1:0", func() engine.Stats { mu.Lock(); defer mu.Unlock(); return st })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	set := func(f func(*engine.Stats)) { mu.Lock(); f(&st); mu.Unlock() }
	for _, c := range []struct {
		name   string
		change func(*engine.Stats)
		code   int
		body   string
	}{
		{"no engine", func(*engine.Stats) {}, 503, "not ready: starting: no collector attached yet\n"},
		{"engine not reading", func(s *engine.Stats) { s.Collector = "audit" }, 503, "not ready: the engine is not reading the audit collector\n"},
		{"running", func(s *engine.Stats) { s.Running = true }, 200, "ready\n"},
		{"blind is still ready", func(s *engine.Stats) {
			s.Own.SelfCheck = selfcheck.Status{Enabled: true, Collector: "audit", Reason: "blind"}
		}, 200, "ready\n"},
		{"collector failed", func(s *engine.Stats) {
			s.Running, s.Failure = false, "audit collector: netlink\x1b[2J: connection reset"
		}, 503, "not ready: audit collector: netlink\\x1b[2J: connection reset\n"},
	} {
		set(c.change)
		if code, body := get("/readyz"); code != c.code || body != c.body {
			t.Errorf("%s: /readyz %d %q, want %d %q", c.name, code, body, c.code, c.body)
		}
		want := 0.0
		if c.code == 200 {
			want = 1
		}
		if m := scrape(t, s.Addr()); m["lanner_ready"] != want {
			t.Errorf("%s: lanner_ready = %v", c.name, m["lanner_ready"])
		}
	}
	// /healthz is the self-check's verdict alone.
	if code, body := get("/healthz"); code != 503 || body != "unhealthy: blind\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
}

// TestReadyzWithEngine: an engine's Stats say it runs from Run's start to
// its end, and name the collector's error when it failed.
func TestReadyzWithEngine(t *testing.T) {
	col := &failingCollector{fail: make(chan error)}
	eng := engine.New(engine.Config{Collector: col, Hostname: "n"})
	s, err := Serve("127.0.0.1:0", eng.Stats)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ready := func() (int, string) {
		resp, err := http.Get("http://" + s.Addr() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := ready(); code != 503 {
		t.Errorf("before Run: %d", code)
	}
	done := make(chan error)
	go func() { done <- eng.Run(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for code, _ := ready(); code != 200; code, _ = ready() {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never 200 while the engine runs")
		}
		time.Sleep(10 * time.Millisecond)
	}
	col.fail <- errors.New("ring buffer gone")
	if err := <-done; err == nil {
		t.Fatalf("Run returned no error")
	}
	if code, body := ready(); code != 503 || body != "not ready: fake collector: ring buffer gone\n" {
		t.Errorf("after the failure: %d %q", code, body)
	}
}

// failingCollector delivers nothing and fails when told to.
type failingCollector struct{ fail chan error }

func (c *failingCollector) Name() string                  { return "fake" }
func (c *failingCollector) Read(*collectors.Record) error { return <-c.fail }
func (c *failingCollector) Close() error                  { return nil }
func (c *failingCollector) Stats() collectors.Stats       { return collectors.Stats{} }
func (c *failingCollector) Capabilities() collectors.Capabilities {
	return collectors.Capabilities{}
}
