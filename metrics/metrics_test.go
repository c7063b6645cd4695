package metrics

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/output"
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
		Tables: state.Stats{Processes: 42, Hits: 9}, RulesReloads: 4, RulesReloadFailures: 1}
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
		"lanner_rules_reloads_total":                           4,
		"lanner_rules_reload_failures_total":                   1,
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
