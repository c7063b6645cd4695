package metrics

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

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
		Sinks:  []output.SinkStats{{Name: "http:x", Sent: 1, Failed: 2, Dropped: 5}},
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
