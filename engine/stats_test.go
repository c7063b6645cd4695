package engine

import (
	"strings"
	"testing"

	"github.com/lannersec/lanner/output"
)

// TestStatsLineSinks: the stats line totals what the sinks failed, dropped
// and lost, and then gives each sink's counters on a line of its own.
func TestStatsLineSinks(t *testing.T) {
	s := Stats{Collector: "ebpf", Sinks: []output.SinkStats{
		{Name: "file:/var/log/lanner alerts.json", Sent: 10},
		{Name: "http:http://127.0.0.1:9/x", Failed: 3, Dropped: 2, Lost: 4},
	}}
	lines := strings.Split(s.Line(), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines %q", lines)
	}
	for _, want := range []string{" alert_drops=2 ", " alert_failures=3 ", " alerts_lost=4"} {
		if !strings.Contains(lines[0]+" ", want) {
			t.Errorf("%q lacks %q", lines[0], want)
		}
	}
	if want := `stats: sink="file:/var/log/lanner alerts.json" sent=10 failed=0 dropped=0 lost=0`; lines[1] != want {
		t.Errorf("%q, want %q", lines[1], want)
	}
	if want := `stats: sink=http:http://127.0.0.1:9/x sent=0 failed=3 dropped=2 lost=4`; lines[2] != want {
		t.Errorf("%q, want %q", lines[2], want)
	}
	// One sink that delivered everything: the one line, as before.
	s.Sinks = s.Sinks[:1]
	if l := s.Line(); strings.Contains(l, "\n") || !strings.Contains(l, "alert_failures=0 alerts_lost=0") {
		t.Errorf("%q", l)
	}
}
