package metrics

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/output"
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
		ByRule: []engine.RuleCount{{Rule: "Read \"x\"", Priority: "Warning", Count: 3}},
		Sinks:  []output.SinkStats{{Name: "http:x", Sent: 1, Failed: 2, Dropped: 5, Lost: 7}},
		Tables: state.Stats{Processes: 42, Hits: 9}}
	s, err := Serve("127.0.0.1:0", func() engine.Stats { return st })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := scrape(t, s.Addr())
	for k, want := range map[string]float64{
		"lanner_records_total,collector=ebpf":                  10,
		"lanner_events_total,collector=ebpf,type=openat":       7,
		"lanner_kernel_drops_total,collector=ebpf":             2,
		"lanner_alerts_total,priority=Warning,rule=Read \"x\"": 3,
		"lanner_sink_dropped_total,sink=http:x":                5,
		"lanner_sink_failed_total,sink=http:x":                 2,
		"lanner_sink_lost_total,sink=http:x":                   7,
		"lanner_processes":                                     42,
		"lanner_process_table_lookups_total,result=hit":        9,
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
